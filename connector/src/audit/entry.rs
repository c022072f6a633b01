//! One audit entry: what callers record ([`AuditEvent`]), how it is written as a line of the
//! log, and how a line is read back and its hash checked.
//!
//! A line is the JSON object of the entry's fields in a fixed order, ending with its hash:
//!
//! ```text
//! {"seq":7,"at":"2025-05-02T09:14:03.120Z","id":"…","kind":"data_access","agreement":"urn:uuid:…",
//!  "party":"did:web:…","process":"urn:uuid:…","summary":"…","details":{…},"prev":"<64 hex>","hash":"<64 hex>"}
//! ```
//!
//! `hash` is the SHA-256 of the exact bytes of the line without `,"hash":"…"` (the object then
//! closes right after `prev`), so any change to any byte of an entry changes its hash; `prev`
//! is the hash of the entry before (64 zeros for the first), so removing or reordering entries
//! breaks the chain.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditKind {
    /// A contract negotiation changed its state.
    Negotiation,
    /// An agreement was concluded (finalized) and stored.
    Agreement,
    /// A policy was evaluated; the entry carries the decision and its reasons.
    PolicyDecision,
    /// A transfer process changed its state.
    Transfer,
    /// Data was served to the consumer (provider side), before the first byte.
    DataAccess,
    /// A data access ended (bytes delivered, complete or cut and why).
    DataAccessEnd,
    /// A data access was refused (token, caller, state or policy), with the reason.
    AccessRefused,
    /// Data was received and verified (consumer side).
    DataReceived,
    /// Received data was deleted (consumer side: the deletion duty).
    Deletion,
    /// The log itself: a torn last line (never acknowledged) was cut off at start.
    LogRecovered,
}

impl AuditKind {
    /// The name in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Negotiation => "negotiation",
            Self::Agreement => "agreement",
            Self::PolicyDecision => "policy_decision",
            Self::Transfer => "transfer",
            Self::DataAccess => "data_access",
            Self::DataAccessEnd => "data_access_end",
            Self::AccessRefused => "access_refused",
            Self::DataReceived => "data_received",
            Self::Deletion => "deletion",
            Self::LogRecovered => "log_recovered",
        }
    }

    /// Reads the name in the log.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "negotiation" => Self::Negotiation,
            "agreement" => Self::Agreement,
            "policy_decision" => Self::PolicyDecision,
            "transfer" => Self::Transfer,
            "data_access" => Self::DataAccess,
            "data_access_end" => Self::DataAccessEnd,
            "access_refused" => Self::AccessRefused,
            "data_received" => Self::DataReceived,
            "deletion" => Self::Deletion,
            "log_recovered" => Self::LogRecovered,
            _ => return None,
        })
    }
}

/// An event to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// A unique id (recognises an event written twice after a crash).
    pub id: String,
    /// When it happened (ms since the epoch).
    pub at_ms: i64,
    /// What happened.
    pub kind: AuditKind,
    /// The agreement concerned.
    pub agreement: Option<String>,
    /// The other party (its DID).
    pub party: Option<String>,
    /// The negotiation or transfer process (this side's id).
    pub process: Option<String>,
    /// One sentence for people.
    pub summary: String,
    /// Facts for machines (reasons, byte counts, digests, …); a JSON object.
    pub details: Value,
}

impl crate::store::Record for AuditEvent {
    const SCHEMA_VERSION: u32 = 1;
}

impl AuditEvent {
    /// An event of `kind` happening now.
    pub fn new(kind: AuditKind, summary: impl Into<String>) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            at_ms: crate::process::now_ms(),
            kind,
            agreement: None,
            party: None,
            process: None,
            summary: summary.into(),
            details: Value::Object(serde_json::Map::new()),
        }
    }

    /// Names the agreement.
    #[must_use]
    pub fn agreement(mut self, id: impl Into<String>) -> Self {
        self.agreement = Some(id.into());
        self
    }

    /// Names the other party.
    #[must_use]
    pub fn party(mut self, id: impl Into<String>) -> Self {
        self.party = Some(id.into());
        self
    }

    /// Names the process.
    #[must_use]
    pub fn process(mut self, id: impl Into<String>) -> Self {
        self.process = Some(id.into());
        self
    }

    /// Adds a fact.
    #[must_use]
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        if let Value::Object(m) = &mut self.details {
            m.insert(key.to_owned(), value.into());
        }
        self
    }
}

/// An entry as stored: the event with its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// When the event happened (RFC 3339, UTC, milliseconds).
    pub at: String,
    /// The event's unique id.
    pub id: String,
    /// What happened.
    pub kind: AuditKind,
    /// The agreement concerned.
    pub agreement: Option<String>,
    /// The other party.
    pub party: Option<String>,
    /// The process.
    pub process: Option<String>,
    /// One sentence for people.
    pub summary: String,
    /// Facts for machines.
    #[schema(value_type = Object)]
    pub details: Value,
    /// The hash of the entry before.
    pub prev: String,
    /// This entry's hash (absent while the line is being built).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl AuditEntry {
    /// The entry for `event` at position `seq` after the entry with hash `prev`.
    pub fn chain(event: &AuditEvent, seq: u64, prev: &str) -> Self {
        let at = chrono::DateTime::from_timestamp_millis(event.at_ms)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        Self {
            seq,
            at,
            id: event.id.clone(),
            kind: event.kind,
            agreement: event.agreement.clone(),
            party: event.party.clone(),
            process: event.process.clone(),
            summary: event.summary.clone(),
            details: event.details.clone(),
            prev: prev.to_owned(),
            hash: String::new(),
        }
    }

    /// The line to write (with its newline); sets `self.hash`.
    pub fn seal(&mut self) -> String {
        self.hash.clear();
        // Our own plain types always serialise.
        let body = serde_json::to_string(&*self).unwrap_or_default();
        self.hash = hex_sha256(body.as_bytes());
        let open = body.strip_suffix('}').unwrap_or(&body);
        format!("{open},\"hash\":\"{}\"}}\n", self.hash)
    }
}

/// Why a line is not a valid entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// The line does not end with a hash member.
    #[error("the line does not end with its hash (\"hash\":\"<64 hex digits>\")")]
    NoHash,
    /// The line is not an entry.
    #[error("not an audit entry: {0}")]
    Malformed(String),
    /// The content does not match the hash: the entry was changed.
    #[error("the entry was changed: its content does not match its hash")]
    Changed,
}

const HASH_MEMBER: &str = ",\"hash\":\"";

/// Reads one line (without its newline) and checks that its content matches its hash.
pub fn read_line(line: &str) -> Result<AuditEntry, LineError> {
    let tail_len = HASH_MEMBER.len() + 64 + 2;
    if line.len() < tail_len || !line.ends_with("\"}") {
        return Err(LineError::NoHash);
    }
    let split = line.len() - tail_len;
    if !line.is_char_boundary(split) || &line[split..split + HASH_MEMBER.len()] != HASH_MEMBER {
        return Err(LineError::NoHash);
    }
    let hash = &line[split + HASH_MEMBER.len()..line.len() - 2];
    if !hash
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(LineError::NoHash);
    }
    let body = format!("{}}}", &line[..split]);
    let mut entry: AuditEntry =
        serde_json::from_str(&body).map_err(|e| LineError::Malformed(e.to_string()))?;
    if !entry.hash.is_empty() {
        return Err(LineError::Malformed("the hash member appears twice".into()));
    }
    if hex_sha256(body.as_bytes()) != hash {
        return Err(LineError::Changed);
    }
    entry.hash = hash.to_owned();
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> AuditEvent {
        AuditEvent::new(AuditKind::DataAccess, "Daten an X ausgeliefert")
            .agreement("urn:uuid:a")
            .party("did:web:x.example")
            .detail("bytes", 42)
    }

    #[test]
    fn a_sealed_line_reads_back_and_any_change_is_detected() {
        let mut e = AuditEntry::chain(&event(), 1, GENESIS);
        let line = e.seal();
        assert!(line.ends_with("\"}\n"));
        let back = read_line(line.trim_end()).expect("valid");
        assert_eq!(back, e);
        assert_eq!(back.details["bytes"], 42);
        let changed = line.replace("\"bytes\":42", "\"bytes\":43");
        assert_eq!(read_line(changed.trim_end()), Err(LineError::Changed));
        let no_hash = line.replace(",\"hash\":\"", ",\"hush\":\"");
        assert_eq!(read_line(no_hash.trim_end()), Err(LineError::NoHash));
        assert!(matches!(
            read_line("{\"seq\":1}"),
            Err(LineError::NoHash) | Err(LineError::Malformed(_))
        ));
    }

    #[test]
    fn kinds_round_trip() {
        for k in [
            AuditKind::Negotiation,
            AuditKind::Agreement,
            AuditKind::PolicyDecision,
            AuditKind::Transfer,
            AuditKind::DataAccess,
            AuditKind::DataAccessEnd,
            AuditKind::AccessRefused,
            AuditKind::DataReceived,
            AuditKind::Deletion,
            AuditKind::LogRecovered,
        ] {
            assert_eq!(AuditKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).expect("json"),
                Value::String(k.as_str().into())
            );
        }
    }
}
