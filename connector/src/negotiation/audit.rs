//! What a negotiation's changes mean for the audit log: every state change (with the message
//! and, for terminations, the reasons), every policy decision with its reasons, and the
//! agreement when the negotiation is finalized. Staged in the same batch as the change.

use serde_json::{Value, json};

use super::record::Negotiation;
use crate::audit::{AuditEvent, AuditKind, AuditLog};
use crate::dsp::negotiation::NegotiationState;
use crate::store::WriteBatch;

fn event(n: &Negotiation, kind: AuditKind, summary: String) -> AuditEvent {
    let mut e = AuditEvent::new(kind, summary)
        .party(n.counterparty.id.clone())
        .process(n.id.clone())
        .detail("role", n.role.as_str())
        .detail("dataset", n.dataset_id.clone());
    if let Some(id) = agreement_id(n) {
        e = e.agreement(id);
    }
    e
}

fn agreement_id(n: &Negotiation) -> Option<String> {
    n.agreement
        .as_ref()
        .and_then(|a| a.get("@id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Stages the audit events for the change from `before` to `n`.
pub(super) fn stage_changes(
    audit: &AuditLog,
    batch: &mut WriteBatch,
    before: Option<&Negotiation>,
    n: &Negotiation,
) {
    if before.and_then(|b| b.evaluation.as_ref()) != n.evaluation.as_ref()
        && let Some(eval) = &n.evaluation
    {
        let mut reasons = eval.reasons_de.clone();
        reasons.extend(eval.reasons_en.iter().cloned());
        audit.stage(
            batch,
            event(
                n,
                AuditKind::PolicyDecision,
                if eval.permitted {
                    "Anfrage erfüllt die Bedingungen des Angebots".into()
                } else {
                    "Anfrage abgelehnt".into()
                },
            )
            .detail("permitted", eval.permitted)
            .detail("purpose", n.purpose.clone())
            .detail("reasons", reasons),
        );
    }
    if before.map(|b| b.state) == Some(n.state) {
        return;
    }
    let last = n.history.last();
    let mut e = event(
        n,
        AuditKind::Negotiation,
        format!("Vertragsverhandlung: {}", n.state.as_str()),
    )
    .detail("state", n.state.as_str())
    .detail(
        "message",
        last.map(|h| h.message.to_string()).unwrap_or_default(),
    )
    .detail("by", last.map(|h| h.by.as_str()).unwrap_or_default());
    if let Some(t) = &n.termination {
        e = e.detail(
            "termination",
            json!({"by": t.by, "code": t.code, "reasons": t.reasons}),
        );
    }
    audit.stage(batch, e);
    if n.state == NegotiationState::Finalized
        && let Some(id) = agreement_id(n)
    {
        audit.stage(
            batch,
            event(
                n,
                AuditKind::Agreement,
                format!("Vereinbarung {id} geschlossen"),
            )
            .detail("contract_sha256", n.contract_sha256.clone()),
        );
    }
}
