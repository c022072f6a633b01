//! Onboarding: join requests, the operator's decisions, membership credentials, revocation.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use vocab::jose::PublicKey;

use super::Broker;
use crate::error::{BrokerError, invalid};
use crate::store::{Participant, ParticipantStatus, ParticipantType};

/// Longest accepted legal name, in characters.
const MAX_NAME_CHARS: usize = 300;
/// Longest accepted reason text, in characters.
const MAX_REASON_CHARS: usize = 2_000;

/// A participant's request to join (`POST /api/v1/participants`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JoinRequest {
    /// The participant's `did:web`.
    pub did: String,
    /// Legal name.
    pub legal_name: String,
    /// Kind of organisation (`municipality`, `public_body`, `company`, `research`).
    pub participant_type: ParticipantType,
    /// Official municipality key; required for municipalities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ags: Option<String>,
    /// The connector's DSP endpoint (https).
    pub connector_endpoint: String,
    /// The participant's public key (JWK; `kid` a DID URL of `did`).
    pub public_key: serde_json::Value,
    /// The Charta acceptance JWS signed with that key.
    pub charta_acceptance: String,
}

/// What a join request led to.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinOutcome {
    /// Waiting for the operator.
    Pending(Participant),
    /// Approved at once (dev mode); the record holds the credential.
    Approved(Participant),
}

fn check_text(field: &str, value: &str, max: usize) -> Result<String, BrokerError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(invalid(field, format!("is longer than {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(value.to_owned())
}

const JOIN_FIELDS: [&str; 7] = [
    "did",
    "legalName",
    "participantType",
    "ags",
    "connectorEndpoint",
    "publicKey",
    "chartaAcceptance",
];

impl JoinRequest {
    /// Reads a join request from JSON; every error names the member that is wrong.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BrokerError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| invalid("body", format!("not JSON: {e}")))?;
        let obj = value
            .as_object()
            .ok_or_else(|| invalid("body", "must be a JSON object"))?;
        if let Some(unknown) = obj.keys().find(|k| !JOIN_FIELDS.contains(&k.as_str())) {
            return Err(invalid(
                unknown,
                format!(
                    "is not a member of a join request (expected {})",
                    JOIN_FIELDS.join(", ")
                ),
            ));
        }
        let text = |name: &str| -> Result<String, BrokerError> {
            match obj.get(name) {
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(invalid(name, "must be a string")),
                None => Err(invalid(name, "is missing")),
            }
        };
        let participant_type = text("participantType").and_then(|t| {
            crate::store::parse_participant_type(&t).ok_or_else(|| {
                invalid(
                    "participantType",
                    format!("{t:?}: use municipality, public_body, company or research"),
                )
            })
        })?;
        let ags = match obj.get("ags") {
            None | Some(serde_json::Value::Null) => None,
            Some(_) => Some(text("ags")?),
        };
        let public_key = obj
            .get("publicKey")
            .filter(|v| v.is_object())
            .cloned()
            .ok_or_else(|| invalid("publicKey", "must be a JWK object"))?;
        Ok(Self {
            did: text("did")?,
            legal_name: text("legalName")?,
            participant_type,
            ags,
            connector_endpoint: text("connectorEndpoint")?,
            public_key,
            charta_acceptance: text("chartaAcceptance")?,
        })
    }

    /// Checks every field; returns the normalised record of a pending participant.
    fn into_pending(self, broker: &Broker) -> Result<Participant, BrokerError> {
        vocab::did::check_did_web(&self.did).map_err(|e| invalid("did", e.to_string()))?;
        let legal_name = check_text("legalName", &self.legal_name, MAX_NAME_CHARS)?;
        let ags = match (&self.ags, self.participant_type) {
            (Some(a), _) => Some(
                vocab::ags::Ags::parse(a)
                    .map_err(|e| invalid("ags", e.to_string()))?
                    .as_str()
                    .to_owned(),
            ),
            (None, ParticipantType::Municipality) => {
                return Err(invalid("ags", "is required for a municipality"));
            }
            (None, _) => None,
        };
        let endpoint = url::Url::parse(&self.connector_endpoint)
            .map_err(|e| invalid("connectorEndpoint", format!("not a URL: {e}")))?;
        if endpoint.scheme() != "https" {
            return Err(invalid("connectorEndpoint", "must be an https URL"));
        }
        let key = PublicKey::from_jwk_value(&self.public_key)
            .map_err(|e| invalid("publicKey", e.to_string()))?;
        let kid = key
            .kid()
            .ok_or_else(|| invalid("publicKey.kid", "is missing"))?;
        if vocab::did::did_of_did_url(kid) != self.did || !kid.contains('#') {
            return Err(invalid(
                "publicKey.kid",
                format!(
                    "{kid:?} is not a key id of {} ({}#<name>)",
                    self.did, self.did
                ),
            ));
        }
        let acceptance = broker
            .authority()
            .verify_acceptance(self.charta_acceptance.trim(), &key)?;
        if acceptance.participant != self.did {
            return Err(invalid(
                "chartaAcceptance",
                format!(
                    "accepted by {}, but the request is for {}",
                    acceptance.participant, self.did
                ),
            ));
        }
        Ok(Participant {
            did: self.did,
            legal_name,
            participant_type: self.participant_type,
            ags,
            connector_endpoint: self.connector_endpoint,
            public_key: key.to_jwk_value(),
            charta_acceptance: self.charta_acceptance.trim().to_owned(),
            charta_version: acceptance.charta_version,
            status: ParticipantStatus::Pending,
            status_index: None,
            requested_at: Utc::now(),
            decided_at: None,
            reason: None,
            credential: None,
        })
    }
}

fn same_request(a: &Participant, b: &Participant) -> bool {
    a.legal_name == b.legal_name
        && a.participant_type == b.participant_type
        && a.ags == b.ags
        && a.connector_endpoint == b.connector_endpoint
        && a.public_key == b.public_key
}

impl Broker {
    /// Handles a join request: checks it, stores the pending participant (or approves it at
    /// once in dev mode).
    pub fn join(&self, request: JoinRequest) -> Result<JoinOutcome, BrokerError> {
        let candidate = request.into_pending(self)?;
        let _guard = self.lock_writes()?;
        if let Some(existing) = self.store.participant(&candidate.did)? {
            match existing.status {
                ParticipantStatus::Pending if same_request(&existing, &candidate) => {
                    return Ok(JoinOutcome::Pending(existing));
                }
                ParticipantStatus::Pending => {
                    return Err(BrokerError::Conflict(format!(
                        "a different join request for {} is pending",
                        candidate.did
                    )));
                }
                ParticipantStatus::Active => {
                    return Err(BrokerError::Conflict(format!(
                        "{} is a member already",
                        candidate.did
                    )));
                }
                ParticipantStatus::Revoked => return Err(BrokerError::Revoked(candidate.did)),
                ParticipantStatus::Rejected => {}
            }
        }
        self.store.put_participant(&candidate)?;
        tracing::info!(did = %candidate.did, "join request stored");
        if self.config.dev_auto_approve {
            let approved = self.approve_locked(&candidate.did)?;
            return Ok(JoinOutcome::Approved(approved));
        }
        Ok(JoinOutcome::Pending(candidate))
    }

    /// Approves a pending participant and issues its membership credential.
    pub fn approve(&self, did: &str) -> Result<Participant, BrokerError> {
        let _guard = self.lock_writes()?;
        self.approve_locked(did)
    }

    fn approve_locked(&self, did: &str) -> Result<Participant, BrokerError> {
        let mut p = self.participant(did)?;
        if p.status != ParticipantStatus::Pending {
            return Err(BrokerError::InvalidTransition {
                did: did.to_owned(),
                status: p.status.as_str().to_owned(),
                action: "approve",
            });
        }
        let now = Utc::now();
        if p.status_index.is_none() {
            p.status_index = Some(self.store.next_status_index()?);
        }
        p.credential = Some(self.authority.issue_credential(&p, now.timestamp())?);
        p.status = ParticipantStatus::Active;
        p.decided_at = Some(now);
        p.reason = None;
        self.store.put_participant(&p)?;
        tracing::info!(did, "participant approved");
        Ok(p)
    }

    /// Rejects a pending participant.
    pub fn reject(&self, did: &str, reason: &str) -> Result<Participant, BrokerError> {
        let reason = check_text("reason", reason, MAX_REASON_CHARS)?;
        let _guard = self.lock_writes()?;
        let mut p = self.participant(did)?;
        if p.status != ParticipantStatus::Pending {
            return Err(BrokerError::InvalidTransition {
                did: did.to_owned(),
                status: p.status.as_str().to_owned(),
                action: "reject",
            });
        }
        p.status = ParticipantStatus::Rejected;
        p.decided_at = Some(Utc::now());
        p.reason = Some(reason);
        self.store.put_participant(&p)?;
        tracing::info!(did, "participant rejected");
        Ok(p)
    }

    /// Revokes an active participant: its bit is set in the status list and its description
    /// disappears from every view at once.
    pub fn revoke(&self, did: &str, reason: &str) -> Result<Participant, BrokerError> {
        let reason = check_text("reason", reason, MAX_REASON_CHARS)?;
        let _guard = self.lock_writes()?;
        let mut p = self.participant(did)?;
        if p.status != ParticipantStatus::Active {
            return Err(BrokerError::InvalidTransition {
                did: did.to_owned(),
                status: p.status.as_str().to_owned(),
                action: "revoke",
            });
        }
        p.status = ParticipantStatus::Revoked;
        p.decided_at = Some(Utc::now());
        p.reason = Some(reason);
        self.store.put_participant(&p)?;
        self.catalog.remove(did)?;
        tracing::warn!(did, "participant revoked");
        Ok(p)
    }

    /// Participants, optionally only those with one status.
    pub fn participants(
        &self,
        status: Option<ParticipantStatus>,
    ) -> Result<Vec<Participant>, BrokerError> {
        Ok(self
            .store
            .participants()?
            .into_iter()
            .filter(|p| status.is_none_or(|s| p.status == s))
            .collect())
    }
}
