//! Provider: the completion of a push is a claim the consumer confirms or refuses.
//!
//! When every file was answered 2xx, the provider sends `TransferCompletionMessage` through
//! the outbox (persisted before it is sent) but stays STARTED, with `progress.done_ms` set,
//! until the consumer acknowledges it: DSP 2025-1 moves a process to COMPLETED when the
//! completion is accepted, and a consumer refuses it while the pushed data has not all
//! arrived verified (`data_incomplete` from this connector; another implementation may refuse
//! for its own reasons). Committing COMPLETED before the answer left the two sides apart
//! (provider COMPLETED, consumer STARTED) with no way back: COMPLETED is final.
//!
//! - **Accepted** ([`Transfers::push_completion_accepted`]): COMPLETED on this side too,
//!   audited.
//! - **Refused** ([`Transfers::push_completion_refused`]): the refusal and the consumer's
//!   reasons are audited and shown as the transfer's `last_error`; the push continues (the
//!   consumer is asked with `HEAD` for every file and sent what it does not have), then the
//!   completion is sent again. After `dataplane.max_attempts` refusals the transfer is
//!   terminated with code `completion_refused` and a reason quoting the consumer's, so both
//!   sides end TERMINATED and the consumer discards what it staged.
//! - Undeliverable (network, 5xx after the outbox's retries): as for every other message,
//!   the transfer ends locally (`delivery_failed`).
//! - Not learnt (killed after sending, before the answer was recorded): the completion is
//!   still in the outbox and is sent again after the restart (no data is sent again:
//!   `done_ms` is set); a consumer that accepted it already answers success again
//!   (`staging`), and this side completes.

use serde_json::json;

use super::super::record::Transfer;
use super::super::service::Transfers;
use super::super::state::MessageKind;
use crate::audit::AuditKind;
use crate::dataplane::token;
use crate::dsp::DspMessage;
use crate::dsp::transfer::{TransferCompletionMessage, TransferState};
use crate::negotiation::DspFailure;
use crate::outbox::Expect;
use crate::process::{Role, now_ms};
use crate::store::{StoreError, WriteBatch};

/// The termination code after the consumer refused the completion too often.
pub const COMPLETION_REFUSED: &str = "completion_refused";

impl Transfers {
    /// Provider: whether `t` is a push whose completion was sent and not yet answered.
    pub(crate) fn awaits_push_completion(&self, t: &Transfer) -> bool {
        t.role == Role::Provider
            && t.format.direction() == super::super::Direction::Push
            && t.state == TransferState::Started
            && t.progress.done_ms.is_some()
    }

    /// Provider: stages the completion of a push whose files were all answered 2xx; the
    /// state stays STARTED until the consumer accepts it (see the module docs).
    pub(super) fn stage_push_completion(
        &self,
        batch: &mut WriteBatch,
        t: &mut Transfer,
        size: u64,
    ) -> Result<(), DspFailure> {
        t.allows(MessageKind::Completion, t.role)?;
        t.progress.bytes = size;
        t.progress.total = Some(size);
        t.progress.done_ms = Some(now_ms());
        let body = TransferCompletionMessage {
            provider_pid: t.provider_pid.clone().unwrap_or_default(),
            consumer_pid: t.consumer_pid.clone().unwrap_or_default(),
        }
        .to_json();
        self.record(
            batch,
            t,
            AuditKind::Transfer,
            "TransferCompletionMessage gesendet (Push: alle Dateien angenommen; wartet auf die Bestätigung des Verbrauchers)".into(),
            json!({"message": "TransferCompletionMessage", "by": "provider", "push": true,
                   "refused_before": t.progress.completion_refusals}),
        );
        let path = format!("transfers/{}/completion", t.their_pid());
        self.send(batch, t, &path, body, Expect::Ack)?;
        Ok(())
    }

    /// Provider: the consumer accepted the completion of a push: COMPLETED here too.
    pub(crate) fn push_completion_accepted(
        &self,
        batch: &mut WriteBatch,
        t: &mut Transfer,
    ) -> Result<(), StoreError> {
        if t.step(MessageKind::Completion, Role::Provider, Vec::new())
            .is_err()
        {
            // Not STARTED any more (ended meanwhile): nothing to complete.
            return Ok(());
        }
        t.progress.last_error = None;
        token::revoke_all(self.store.as_ref(), batch, &t.id)?;
        self.record(
            batch,
            t,
            AuditKind::Transfer,
            "Abschluss vom Verbraucher bestätigt (Push)".into(),
            json!({"message": "TransferCompletionMessage", "by": "provider", "accepted": true,
                   "refused_before": t.progress.completion_refusals}),
        );
        Ok(())
    }

    /// Provider: the consumer refused the completion of a push (`what`: the delivery
    /// failure with the consumer's reasons). Returns whether the push continues (the caller
    /// then commits and calls [`Transfers::continue_push_later`]); otherwise the transfer
    /// is terminated in `batch` with [`COMPLETION_REFUSED`].
    pub(crate) fn push_completion_refused(
        &self,
        batch: &mut WriteBatch,
        t: &mut Transfer,
        what: &str,
    ) -> Result<bool, StoreError> {
        t.progress.completion_refusals += 1;
        let refusals = t.progress.completion_refusals;
        let limit = self.settings.dataplane.max_attempts.max(1);
        t.progress.done_ms = None;
        t.progress.last_error = Some(format!(
            "completion refused ({refusals} of {limit}): {what}"
        ));
        let again = refusals < limit;
        self.record(
            batch,
            t,
            AuditKind::PolicyDecision,
            if again {
                format!("Abschluss vom Verbraucher abgelehnt ({refusals}/{limit}); der Push wird fortgesetzt: {what}")
            } else {
                format!("Abschluss vom Verbraucher {refusals}-mal abgelehnt; die Übertragung wird beendet: {what}")
            },
            json!({"decision": if again { "continue_push" } else { "terminate" },
                   "completion_refused": what, "refusals": refusals, "max_attempts": limit}),
        );
        if again {
            tracing::warn!(transfer = %t.id, refusals, %what,
                "the consumer refused the completion; continuing the push");
            return Ok(true);
        }
        tracing::warn!(transfer = %t.id, refusals, %what,
            "the consumer refused the completion too often; terminating");
        let reasons = vec![
            format!(
                "Der Verbraucher hat den Abschluss der Übertragung {refusals}-mal abgelehnt, zuletzt: {what}"
            ),
            format!("The consumer refused the completion {refusals} times, last: {what}"),
        ];
        match self.terminate_with(batch, t, "provider", COMPLETION_REFUSED, reasons) {
            Ok(()) => Ok(false),
            Err(DspFailure::Store(e)) => Err(e),
            Err(e) => {
                // Not possible from STARTED; the state says how it ended.
                tracing::warn!(transfer = %t.id, error = %e, "cannot terminate after refusals");
                Ok(false)
            }
        }
    }

    /// Provider: continues a push after a refused completion, after a pause that grows with
    /// the refusals (cut short by a stop; a restart meanwhile continues it anyway).
    pub(crate) fn continue_push_later(&self, t: &Transfer) {
        let this = self.clone();
        let id = t.id.clone();
        let wait = (200u64 << t.progress.completion_refusals.min(5)).min(5000);
        tokio::spawn(async move {
            let Some(cancel) = this.registry.stream(&id) else {
                return;
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(std::time::Duration::from_millis(wait)) => {}
            }
            // The attempt that sent the completion may still be unregistering.
            for _ in 0..50 {
                let running = this
                    .fetching
                    .lock()
                    .map(|r| r.contains(&id))
                    .unwrap_or(false);
                if !running {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            if let Ok(Some(t)) = this.get(&id) {
                this.spawn_push(&t);
            }
        });
    }
}
