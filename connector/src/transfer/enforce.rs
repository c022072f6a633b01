//! Enforcement: whether the agreement still allows a transfer's use, evaluated with
//! `contracts::eval` at every access (each data request, each start or restart) and, for
//! running transfers, again every `dataplane.enforcement_interval_ms` — so that an agreement
//! that expires, or whose time window closes, stops the data within one second.
//!
//! The world the agreement's policy is evaluated in: the time now, the agreement's start (for
//! `elapsedTime`), the number of earlier uses (for `count`: this transfer is use number
//! `use_number`), the consumer's attributes from its credential, the declared purpose and
//! area, and every duty of the agreement recorded as pending (duties such as deletion fall
//! due when the agreement ends; the consumer connector carries them out then). Membership
//! revocation is checked on every request: each data request carries the consumer's own
//! request token with its membership credential, verified against the federation's
//! revocation list.

use chrono::{DateTime, Utc};
use contracts::eval::{
    CompiledPolicy, DutyState, EvaluationRequest, Lang, RecipientAttributes, WorldState,
};

use super::record::Transfer;
use crate::negotiation::AgreementRecord;
use crate::terms::Terms;

/// Why the agreement does not (or no longer) allow the use, in German and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// A short machine-readable code (`agreement_missing`, `agreement_expired`,
    /// `not_yet_valid`, `policy_denied`, `agreement_unreadable`, `membership_revoked`).
    pub code: &'static str,
    /// The reasons, German first.
    pub reasons_de: Vec<String>,
    /// The reasons in English.
    pub reasons_en: Vec<String>,
}

impl Denial {
    fn new(code: &'static str, de: String, en: String) -> Self {
        Self {
            code,
            reasons_de: vec![de],
            reasons_en: vec![en],
        }
    }

    /// German reasons, then English ones.
    pub fn reasons(&self) -> Vec<String> {
        let mut r = self.reasons_de.clone();
        r.extend(self.reasons_en.iter().cloned());
        r
    }

    /// One line (English), for logs and error bodies.
    pub fn summary(&self) -> String {
        self.reasons_en.join("; ")
    }
}

/// Decides whether the agreement allows the transfer's use at `now`, as use number
/// `use_number` (1 for the first).
pub fn decide(
    terms: &Terms,
    agreement: Option<&AgreementRecord>,
    t: &Transfer,
    use_number: u64,
    now: DateTime<Utc>,
) -> Result<(), Denial> {
    let Some(record) = agreement else {
        return Err(Denial::new(
            "agreement_missing",
            format!("Die Vereinbarung {} besteht nicht (mehr).", t.agreement_id),
            format!(
                "The agreement {} does not exist (any more).",
                t.agreement_id
            ),
        ));
    };
    if t.counterparty.tck && !record.fully_signed {
        // The TCK's seeded agreements carry no terms beyond `use`.
        return Ok(());
    }
    let agreement =
        contracts::agreement::Agreement::from_dsp_json(&record.agreement).map_err(|e| {
            Denial::new(
                "agreement_unreadable",
                format!("Die Vereinbarung ist nicht lesbar: {e}"),
                format!("The agreement cannot be read: {e}"),
            )
        })?;
    if now < agreement.start {
        return Err(Denial::new(
            "not_yet_valid",
            format!(
                "Die Nutzung beginnt erst am {}.",
                agreement.start.to_rfc3339()
            ),
            format!("Use begins only at {}.", agreement.start.to_rfc3339()),
        ));
    }
    if let Some(end) = agreement.end
        && now >= end
    {
        return Err(Denial::new(
            "agreement_expired",
            format!("Die Vereinbarung ist am {} abgelaufen.", end.to_rfc3339()),
            format!("The agreement expired at {}.", end.to_rfc3339()),
        ));
    }
    let compiled = CompiledPolicy::compile(&agreement.policy, terms.charta()).map_err(|e| {
        Denial::new(
            "agreement_unreadable",
            format!("Die Bedingungen der Vereinbarung sind nicht auswertbar: {e}"),
            format!("The agreement's terms cannot be evaluated: {e}"),
        )
    })?;
    let mut world = WorldState::at(now);
    world.agreement_start = Some(agreement.start);
    world.use_count = Some(use_number.saturating_sub(1));
    if t.format.direction() == super::format::Direction::Query {
        // The sandbox applies the agreement's k to every answer.
        world.aggregation_k = Some(super::sandbox::min_group_size(&agreement.policy));
    }
    world.recipient = RecipientAttributes {
        participant_type: t.counterparty.participant_type.clone(),
        ags: t.counterparty.ags.clone(),
        charta_member: !t.counterparty.tck,
        charta_version: Some(agreement.charta_version.clone()),
    };
    world.spatial_scope = t
        .spatial_scope
        .clone()
        .or_else(|| t.counterparty.ags.first().cloned());
    for rule in &agreement.policy.permissions {
        for duty in &rule.duties {
            let key = duty
                .uid
                .clone()
                .or_else(|| duty.action_iri().map(str::to_owned));
            if let Some(key) = key {
                world.duties.insert(key, DutyState::Pending);
            }
        }
    }
    let mut actions: Vec<String> = agreement
        .policy
        .permissions
        .iter()
        .filter_map(|r| r.action_iri().map(str::to_owned))
        .collect();
    actions.dedup();
    if actions.is_empty() {
        actions.push("use".into());
    }
    let mut first = None;
    for action in actions {
        let mut request = EvaluationRequest::new(&action)
            .with_party(record.consumer.clone())
            .with_target(record.dataset_id.clone());
        if let Some(p) = &t.purpose {
            request = request.with_purpose(p);
        }
        let report = compiled.evaluate(&request, &world);
        if report.is_permitted() {
            return Ok(());
        }
        first.get_or_insert(Denial {
            code: "policy_denied",
            reasons_de: report.denial_reasons(Lang::De),
            reasons_en: report.denial_reasons(Lang::En),
        });
    }
    let mut denial = first.unwrap_or(Denial {
        code: "policy_denied",
        reasons_de: Vec::new(),
        reasons_en: Vec::new(),
    });
    if denial.reasons_en.is_empty() {
        denial.reasons_de = vec!["Die Vereinbarung erlaubt diese Nutzung nicht.".into()];
        denial.reasons_en = vec!["The agreement does not allow this use.".into()];
    }
    Err(denial)
}

/// The consumer's membership was revoked by the federation's authority: its running
/// transfers stop (the reasons name the revocation list and the entry).
pub fn membership_revoked(consumer: &str, list_url: &str, index: u64) -> Denial {
    Denial::new(
        "membership_revoked",
        format!(
            "Die Mitgliedschaft von {consumer} im Datenraum wurde widerrufen (Widerrufsliste {list_url}, Eintrag {index}); laufende Übertragungen werden beendet."
        ),
        format!(
            "The membership of {consumer} in the data space was revoked (revocation list {list_url}, entry {index}); running transfers are stopped."
        ),
    )
}

/// When the agreement ends, if it has a fixed end.
pub fn agreement_end(record: &AgreementRecord) -> Option<DateTime<Utc>> {
    contracts::agreement::Agreement::from_dsp_json(&record.agreement)
        .ok()
        .and_then(|a| a.end)
}
