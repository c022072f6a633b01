//! What the broker stores, as versioned records. Every stored value is JSON tagged with its
//! schema (`"schema": "participant/v1"`); a new layout gets a new variant and a migration.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use vocab::model::ParticipantType;

/// The wire name of a participant type (`municipality`, `public_body`, `company`, `research`),
/// the same as its serde name.
pub fn participant_type_name(t: ParticipantType) -> &'static str {
    match t {
        ParticipantType::Municipality => "municipality",
        ParticipantType::PublicBody => "public_body",
        ParticipantType::Company => "company",
        ParticipantType::Research => "research",
    }
}

/// Parses a wire name.
pub fn parse_participant_type(s: &str) -> Option<ParticipantType> {
    ParticipantType::ALL
        .into_iter()
        .find(|t| participant_type_name(*t) == s)
}

/// Where a participant stands with the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParticipantStatus {
    /// Asked to join; the operator has not decided.
    Pending,
    /// Approved; holds a membership credential.
    Active,
    /// The operator refused the request (it may apply again).
    Rejected,
    /// Membership revoked (final).
    Revoked,
}

impl ParticipantStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantStatus::Pending => "pending",
            ParticipantStatus::Active => "active",
            ParticipantStatus::Rejected => "rejected",
            ParticipantStatus::Revoked => "revoked",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Active, Self::Rejected, Self::Revoked]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// A participant as the authority knows it (layout version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// The participant's `did:web`.
    pub did: String,
    /// Legal name.
    pub legal_name: String,
    /// Kind of organisation.
    pub participant_type: ParticipantType,
    /// Official municipality key (8 digits) for municipalities; optional for others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ags: Option<String>,
    /// The connector's DSP endpoint.
    pub connector_endpoint: String,
    /// The registered public key (JWK, `kid` a DID URL of `did`).
    pub public_key: serde_json::Value,
    /// The Charta acceptance JWS exactly as received.
    pub charta_acceptance: String,
    /// The Charta version accepted.
    pub charta_version: String,
    /// Current status.
    pub status: ParticipantStatus,
    /// Index of this participant's bit in the status list (assigned at approval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_index: Option<u64>,
    /// When the join request arrived.
    pub requested_at: DateTime<Utc>,
    /// When the operator last decided (approve, reject, revoke).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    /// Reason given for rejection or revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The membership credential (VC-JWT) issued at approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// An accepted self-description envelope (layout version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// The publishing participant.
    pub did: String,
    /// The compact JWS exactly as received.
    pub jws: String,
    /// The envelope's `iat` (seconds since the epoch).
    pub iat: i64,
    /// When the broker accepted it (the last refresh).
    pub accepted_at: DateTime<Utc>,
    /// How many datasets it describes.
    pub datasets: usize,
}

/// An entry of the public register of cooperations (layout version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterEntry {
    /// Stable id (the agreement id).
    pub id: String,
    /// The signed summary exactly as received (JSON).
    pub summary: serde_json::Value,
    /// When the broker recorded it.
    pub recorded_at: DateTime<Utc>,
}

/// A stored value with its layout tag.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "schema")]
pub(crate) enum Stored {
    #[serde(rename = "participant/v1")]
    Participant(Participant),
    #[serde(rename = "envelope/v1")]
    Envelope(Envelope),
    #[serde(rename = "register/v1")]
    Register(RegisterEntry),
}
