//! The public register of data cooperations (Charta GW-5): after an agreement is finalized,
//! both parties sign the same agreement summary and the provider submits it to the broker.
//!
//! How the two signatures meet, inside the negotiation both parties already conduct:
//! 1. The provider puts the summary it proposes into its `ContractAgreementMessage`
//!    ([`SUMMARY_MEMBER`]). Every fact in it except the dataset title follows from the signed
//!    agreement itself ([`derive`]): id, parties, the dataset IRI (`<provider's did:web
//!    URL>/datasets/<target>`, the IRI its self-description uses), the agreed purposes, the
//!    period (start of the agreement until its `elapsedTime` limit, at most the Charta's
//!    maximum) and the Charta.
//! 2. The consumer derives the same facts from the agreement it countersigns, refuses to sign
//!    a summary that says anything else, and otherwise sends its detached signature over the
//!    summary's JCS (RFC 8785) form in the `ContractAgreementVerificationMessage`
//!    ([`SIGNATURE_MEMBER`]), beside its agreement signature.
//! 3. The provider checks that signature with the consumer's credential key, and its
//!    background task signs the summary too and submits both (`POST /api/v1/register`), with
//!    doubling back-off until the broker answers; the state is kept per agreement.
//!
//! A refusal of the summary never stops the agreement: the register is public bookkeeping.

use chrono::{DateTime, Months, Utc};
use contracts::agreement::SignedAgreement;
use contracts::charta::Charta;
use contracts::odrl::{Operator, RightOperand};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vocab::jose::{PublicKey, SigningKey};

/// The extension member of the `ContractAgreementMessage` with the proposed summary.
pub const SUMMARY_MEMBER: &str = "https://w3id.org/gemeinwohl-datenraum/ns#registerSummary";
/// The extension member of the `ContractAgreementVerificationMessage` with the consumer's
/// signature over the summary.
pub const SIGNATURE_MEMBER: &str = "https://w3id.org/gemeinwohl-datenraum/ns#registerSignature";

/// What both parties sign (the broker's `summary`, `broker/API.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgreementSummary {
    /// The agreement's id (`urn:uuid:…`).
    pub agreement_id: String,
    /// The provider's DID.
    pub provider: String,
    /// The consumer's DID.
    pub consumer: String,
    /// The dataset's IRI.
    pub dataset: String,
    /// The dataset's title.
    pub dataset_title: String,
    /// The agreed purposes.
    pub purposes: Vec<String>,
    /// Start of use (RFC 3339, seconds).
    pub start: String,
    /// End of use (RFC 3339, seconds).
    pub end: String,
    /// The Charta version.
    pub charta_version: String,
    /// Its SHA-256.
    pub charta_hash: String,
}

impl AgreementSummary {
    /// The bytes both parties sign: the RFC 8785 canonical JSON.
    pub fn signing_bytes(&self) -> Result<Vec<u8>, String> {
        serde_jcs::to_vec(self).map_err(|e| format!("cannot canonicalise the summary: {e}"))
    }

    /// A detached signature (`header..signature`) with `key`.
    pub fn sign(&self, key: &SigningKey) -> Result<String, String> {
        key.sign_detached(&self.signing_bytes()?)
            .map_err(|e| format!("cannot sign the summary: {e}"))
    }

    /// Checks a detached signature with `key`.
    pub fn verify(&self, jws: &str, key: &PublicKey) -> Result<(), String> {
        key.verify_detached(jws.trim(), &self.signing_bytes()?)
            .map(|_| ())
            .map_err(|e| format!("the signature over the register summary: {e}"))
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Adds an ISO 8601 duration of years, months and days (`P24M`, `P1Y6M`, `P90D`).
fn add_duration(start: DateTime<Utc>, iso: &str) -> Option<DateTime<Utc>> {
    let rest = iso.strip_prefix('P')?;
    if rest.contains('T') || rest.is_empty() {
        return None;
    }
    let (mut months, mut days, mut number) = (0u32, 0u64, String::new());
    for c in rest.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u32 = number.parse().ok()?;
        number.clear();
        match c {
            'Y' => months = months.checked_add(n.checked_mul(12)?)?,
            'M' => months = months.checked_add(n)?,
            'W' => days += u64::from(n) * 7,
            'D' => days += u64::from(n),
            _ => return None,
        }
    }
    if !number.is_empty() {
        return None;
    }
    start
        .checked_add_months(Months::new(months))?
        .checked_add_days(chrono::Days::new(days))
}

/// The facts of the summary that follow from the agreement (the title comes from the
/// provider's asset).
pub fn derive(
    signed: &SignedAgreement,
    charta: &Charta,
    dataset_title: &str,
) -> Result<AgreementSummary, String> {
    let a = &signed.agreement;
    if a.charta_version != charta.version() || a.charta_sha256 != charta.sha256() {
        return Err(format!(
            "the agreement is bound to Charta {} ({}), not to {} ({})",
            a.charta_version,
            a.charta_sha256,
            charta.version(),
            charta.sha256()
        ));
    }
    let target = a.policy.target.clone().unwrap_or_default();
    let base = vocab::did::base_url_of(a.provider()).map_err(|e| {
        format!(
            "the provider {} is not a did:web with a URL: {e}",
            a.provider()
        )
    })?;
    let mut dataset = reqwest::Url::parse(&format!("{base}/datasets/"))
        .map_err(|e| format!("dataset IRI: {e}"))?;
    dataset
        .path_segments_mut()
        .map_err(|_| "dataset IRI: not a base URL".to_owned())?
        .pop_if_empty()
        .push(&target);
    let mut purposes = Vec::new();
    let mut longest: Option<String> = None;
    for rule in &a.policy.permissions {
        for atom in rule.constraints.iter().flat_map(|c| c.atoms()) {
            let left = atom.left_operand.as_str();
            if left.ends_with("/purpose") || left.ends_with("#purpose") {
                let mut stack = vec![&atom.right_operand];
                while let Some(o) = stack.pop() {
                    match o {
                        RightOperand::Iri(i) => purposes.push(i.clone()),
                        RightOperand::Literal(l) => purposes.push(l.lexical.clone()),
                        RightOperand::List(items) => stack.extend(items.iter().rev()),
                    }
                }
            } else if (left.ends_with("/elapsedTime") || left.ends_with("#elapsedTime"))
                && matches!(atom.operator, Operator::Lteq | Operator::Lt | Operator::Eq)
                && let RightOperand::Literal(l) = &atom.right_operand
            {
                longest = Some(l.lexical.clone());
            }
        }
    }
    purposes.sort();
    purposes.dedup();
    if purposes.is_empty() {
        return Err("the agreement names no purpose".into());
    }
    let max = a
        .start
        .checked_add_months(Months::new(charta.max_duration_months()))
        .ok_or("the Charta's maximum duration overflows")?;
    let end = match (
        a.end,
        longest.as_deref().and_then(|d| add_duration(a.start, d)),
    ) {
        (Some(e), _) => e,
        (None, Some(e)) => e,
        (None, None) => max,
    }
    .min(max);
    Ok(AgreementSummary {
        agreement_id: a.policy.uid.clone(),
        provider: a.provider().to_owned(),
        consumer: a.consumer().to_owned(),
        dataset: dataset.to_string(),
        dataset_title: dataset_title.trim().to_owned(),
        purposes,
        start: time(a.start),
        end: time(end),
        charta_version: charta.version().to_owned(),
        charta_hash: charta.sha256().to_owned(),
    })
}

/// The consumer's check of the provider's proposal: every fact but the title must follow
/// from the agreement; then it signs. `Err` says why it does not.
pub fn countersign(
    proposal: &Value,
    signed: &SignedAgreement,
    charta: &Charta,
    key: &SigningKey,
) -> Result<(AgreementSummary, String), String> {
    let proposed: AgreementSummary = serde_json::from_value(proposal.clone())
        .map_err(|e| format!("the proposed register summary: {e}"))?;
    let title = proposed.dataset_title.trim();
    if title.is_empty() || title.chars().count() > 500 || title.chars().any(char::is_control) {
        return Err("the proposed register summary has no usable dataset title".into());
    }
    let ours = derive(signed, charta, title)?;
    if ours != proposed {
        return Err(format!(
            "the proposed register summary does not follow from the agreement (proposed {}, derived {})",
            serde_json::to_string(&proposed).unwrap_or_default(),
            serde_json::to_string(&ours).unwrap_or_default()
        ));
    }
    let signature = ours.sign(key)?;
    Ok((ours, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_add_calendar_months_and_days() {
        let start = DateTime::parse_from_rfc3339("2025-01-31T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(
            time(add_duration(start, "P1M").expect("1 month")),
            "2025-02-28T10:00:00Z"
        );
        assert_eq!(
            time(add_duration(start, "P1Y2M3D").expect("mixed")),
            "2026-04-03T10:00:00Z"
        );
        assert_eq!(
            time(add_duration(start, "P2W").expect("weeks")),
            "2025-02-14T10:00:00Z"
        );
        assert!(add_duration(start, "PT5H").is_none());
        assert!(add_duration(start, "P").is_none());
        assert!(add_duration(start, "P12").is_none());
        assert!(add_duration(start, "12M").is_none());
    }
}
