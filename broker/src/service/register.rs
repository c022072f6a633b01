//! The public register of data cooperations (Charta GW-5): agreement summaries signed by both
//! parties, each signature checked against the party's registered key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Broker;
use super::publication::registered_key;
use crate::error::{BrokerError, invalid};
use crate::store::{ParticipantStatus, RegisterEntry};

/// Longest dataset title, in characters.
const MAX_TITLE_CHARS: usize = 500;

/// What both parties sign: the facts the register publishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgreementSummary {
    /// The agreement's id (`urn:uuid:…`), the register entry's id.
    pub agreement_id: String,
    /// The data provider's DID.
    pub provider: String,
    /// The data consumer's DID.
    pub consumer: String,
    /// The dataset's IRI.
    pub dataset: String,
    /// The dataset's title.
    pub dataset_title: String,
    /// The agreed purposes (Charta purpose IRIs).
    pub purposes: Vec<String>,
    /// Start of use (RFC 3339).
    pub start: DateTime<Utc>,
    /// End of use (RFC 3339).
    pub end: DateTime<Utc>,
    /// The Charta version both are bound by.
    pub charta_version: String,
    /// Its SHA-256.
    pub charta_hash: String,
}

/// The two detached signatures over the summary's JCS (RFC 8785) form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartySignatures {
    /// The provider's detached JWS (`header..signature`).
    pub provider: String,
    /// The consumer's detached JWS.
    pub consumer: String,
}

/// A submission to the register (`POST /api/v1/register`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterSubmission {
    /// The signed facts.
    pub summary: AgreementSummary,
    /// Both parties' signatures.
    pub signatures: PartySignatures,
}

impl AgreementSummary {
    /// The bytes both parties sign: the RFC 8785 canonical JSON of the summary.
    pub fn signing_bytes(&self) -> Result<Vec<u8>, BrokerError> {
        serde_jcs::to_vec(self).map_err(|e| invalid("summary", format!("cannot canonicalise: {e}")))
    }

    fn check(&self, broker: &Broker) -> Result<(), BrokerError> {
        if !self.agreement_id.starts_with("urn:") || self.agreement_id.len() > 200 {
            return Err(invalid(
                "summary.agreementId",
                "must be a URN (urn:uuid:…) of at most 200 characters",
            ));
        }
        let title = self.dataset_title.trim();
        if title.is_empty()
            || title.chars().count() > MAX_TITLE_CHARS
            || title.chars().any(char::is_control)
        {
            return Err(invalid(
                "summary.datasetTitle",
                format!("must be 1 to {MAX_TITLE_CHARS} characters without control characters"),
            ));
        }
        oxigraph::model::NamedNode::new(&self.dataset)
            .map_err(|e| invalid("summary.dataset", format!("not an IRI: {e}")))?;
        if self.provider == self.consumer {
            return Err(invalid(
                "summary.consumer",
                "provider and consumer are the same participant",
            ));
        }
        if self.end <= self.start {
            return Err(invalid("summary.end", "must be after summary.start"));
        }
        let charta = broker.authority().charta();
        if self.charta_version != charta.version() || self.charta_hash != charta.sha256() {
            return Err(BrokerError::ChartaMismatch(format!(
                "the summary names Charta {} ({}); this federation publishes {} ({})",
                self.charta_version,
                self.charta_hash,
                charta.version(),
                charta.sha256()
            )));
        }
        let months = (self.end - self.start).num_days() / 30;
        if months > i64::from(charta.max_duration_months()) {
            return Err(invalid(
                "summary.end",
                format!(
                    "the duration exceeds the Charta's maximum of {} months (GW-3)",
                    charta.max_duration_months()
                ),
            ));
        }
        if self.purposes.is_empty() {
            return Err(invalid("summary.purposes", "name at least one purpose"));
        }
        for p in &self.purposes {
            if !charta.purposes().is_allowed(p) {
                return Err(invalid(
                    "summary.purposes",
                    format!("{p} is not a public-benefit purpose of the Charta (GW-1)"),
                ));
            }
        }
        Ok(())
    }
}

impl Broker {
    /// Verifies both signatures and records the cooperation.
    pub fn register_cooperation(
        &self,
        submission: RegisterSubmission,
    ) -> Result<RegisterEntry, BrokerError> {
        let summary = &submission.summary;
        summary.check(self)?;
        let bytes = summary.signing_bytes()?;
        for (role, did, jws) in [
            (
                "provider",
                &summary.provider,
                &submission.signatures.provider,
            ),
            (
                "consumer",
                &summary.consumer,
                &submission.signatures.consumer,
            ),
        ] {
            let party = self.participant(did)?;
            if party.status != ParticipantStatus::Active {
                return Err(BrokerError::NotActive {
                    did: did.clone(),
                    status: party.status.as_str().to_owned(),
                });
            }
            let key = registered_key(&party)?;
            key.verify_detached(jws.trim(), &bytes).map_err(|e| {
                BrokerError::InvalidSignature(format!("signatures.{role} ({did}): {e}"))
            })?;
        }
        let entry = RegisterEntry {
            id: summary.agreement_id.clone(),
            summary: serde_json::to_value(&submission)
                .map_err(|e| BrokerError::Storage(e.to_string()))?,
            recorded_at: Utc::now(),
        };
        let _guard = self.lock_writes()?;
        self.store.insert_register_entry(&entry)?;
        tracing::info!(id = %entry.id, "cooperation registered");
        Ok(entry)
    }

    /// The register, oldest first, with the summaries parsed.
    pub fn register(&self) -> Result<Vec<(RegisterEntry, RegisterSubmission)>, BrokerError> {
        self.store
            .register_entries()?
            .into_iter()
            .map(|e| {
                let s: RegisterSubmission =
                    serde_json::from_value(e.summary.clone()).map_err(|err| {
                        BrokerError::Storage(format!("register entry {}: {err}", e.id))
                    })?;
                Ok((e, s))
            })
            .collect()
    }
}
