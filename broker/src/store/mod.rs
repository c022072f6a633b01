//! The source of truth: participants, accepted envelopes, register entries. Behind the crate's
//! own [`Store`] trait (sled by default) so the engine can be replaced without touching the rest.

mod records;
mod sled_store;

pub use records::{
    Envelope, Participant, ParticipantStatus, ParticipantType, RegisterEntry,
    parse_participant_type, participant_type_name,
};
pub use sled_store::SledStore;

use crate::error::BrokerError;

/// Persistent storage of everything the broker accepted.
///
/// Writes that must be atomic are single methods: [`Store::put_envelope`] checks the replay
/// high-water mark and writes the envelope in one transaction.
pub trait Store: Send + Sync {
    /// One participant.
    fn participant(&self, did: &str) -> Result<Option<Participant>, BrokerError>;
    /// Every participant, ordered by DID.
    fn participants(&self) -> Result<Vec<Participant>, BrokerError>;
    /// Creates or replaces a participant record.
    fn put_participant(&self, participant: &Participant) -> Result<(), BrokerError>;
    /// Assigns the next free status-list index (never reused).
    fn next_status_index(&self) -> Result<u64, BrokerError>;

    /// The accepted envelope of a participant.
    fn envelope(&self, did: &str) -> Result<Option<Envelope>, BrokerError>;
    /// Every accepted envelope, ordered by DID.
    fn envelopes(&self) -> Result<Vec<Envelope>, BrokerError>;
    /// Stores an envelope if its `iat` is greater than the participant's last accepted `iat`
    /// (else [`BrokerError::Replay`]), replacing the previous one; both in one transaction.
    fn put_envelope(&self, envelope: &Envelope) -> Result<(), BrokerError>;
    /// Deletes a participant's envelope under the same replay rule (`iat` of the deletion).
    fn delete_envelope(&self, did: &str, iat: i64) -> Result<(), BrokerError>;
    /// The participant's last accepted `iat` (publication or deletion).
    fn last_iat(&self, did: &str) -> Result<Option<i64>, BrokerError>;

    /// Records a register entry; [`BrokerError::Conflict`] if the id exists.
    fn insert_register_entry(&self, entry: &RegisterEntry) -> Result<(), BrokerError>;
    /// Every register entry, oldest first.
    fn register_entries(&self) -> Result<Vec<RegisterEntry>, BrokerError>;

    /// Writes everything to disk.
    fn flush(&self) -> Result<(), BrokerError>;
}
