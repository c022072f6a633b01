//! [`Store`] on sled: one tree per kind of record, JSON values tagged with their layout.

use std::path::Path;

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::Store;
use super::records::{Envelope, Participant, RegisterEntry, Stored};
use crate::error::BrokerError;

const STATUS_INDEX_KEY: &[u8] = b"status-list-next-index";

/// The sled-backed store.
#[derive(Clone)]
pub struct SledStore {
    db: sled::Db,
    participants: sled::Tree,
    envelopes: sled::Tree,
    iats: sled::Tree,
    register: sled::Tree,
    meta: sled::Tree,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").finish_non_exhaustive()
    }
}

impl SledStore {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, BrokerError> {
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::LowSpace)
            .open()
            .map_err(|e| BrokerError::Storage(format!("cannot open {}: {e}", dir.display())))?;
        Self::from_db(db)
    }

    /// A store that lives in memory only (for tests).
    pub fn temporary() -> Result<Self, BrokerError> {
        Self::from_db(sled::Config::new().temporary(true).open()?)
    }

    fn from_db(db: sled::Db) -> Result<Self, BrokerError> {
        Ok(Self {
            participants: db.open_tree("participants")?,
            envelopes: db.open_tree("envelopes")?,
            iats: db.open_tree("last-iat")?,
            register: db.open_tree("register")?,
            meta: db.open_tree("meta")?,
            db,
        })
    }
}

fn encode(value: Stored) -> Result<Vec<u8>, BrokerError> {
    serde_json::to_vec(&value).map_err(|e| BrokerError::Storage(e.to_string()))
}

fn decode(bytes: &[u8]) -> Result<Stored, BrokerError> {
    serde_json::from_slice(bytes)
        .map_err(|e| BrokerError::Storage(format!("undecodable stored value: {e}")))
}

fn as_participant(bytes: &[u8]) -> Result<Participant, BrokerError> {
    match decode(bytes)? {
        Stored::Participant(p) => Ok(p),
        other => Err(BrokerError::Storage(format!(
            "expected a participant record, found {other:?}"
        ))),
    }
}

fn as_envelope(bytes: &[u8]) -> Result<Envelope, BrokerError> {
    match decode(bytes)? {
        Stored::Envelope(e) => Ok(e),
        _ => Err(BrokerError::Storage("expected an envelope record".into())),
    }
}

fn as_register(bytes: &[u8]) -> Result<RegisterEntry, BrokerError> {
    match decode(bytes)? {
        Stored::Register(r) => Ok(r),
        _ => Err(BrokerError::Storage("expected a register record".into())),
    }
}

fn iat_bytes(iat: i64) -> [u8; 8] {
    iat.to_be_bytes()
}

fn iat_from(bytes: &[u8]) -> Option<i64> {
    <[u8; 8]>::try_from(bytes).ok().map(i64::from_be_bytes)
}

/// Aborts a transaction with the replay error unless `iat` is newer than the stored mark.
fn check_iat(
    iats: &sled::transaction::TransactionalTree,
    did: &str,
    iat: i64,
) -> Result<(), ConflictableTransactionError<BrokerError>> {
    if let Some(last) = iats.get(did.as_bytes())?.as_deref().and_then(iat_from)
        && iat <= last
    {
        return Err(ConflictableTransactionError::Abort(BrokerError::Replay {
            iat,
            last,
        }));
    }
    iats.insert(did.as_bytes(), &iat_bytes(iat))?;
    Ok(())
}

impl Store for SledStore {
    fn participant(&self, did: &str) -> Result<Option<Participant>, BrokerError> {
        self.participants
            .get(did.as_bytes())?
            .map(|v| as_participant(&v))
            .transpose()
    }

    fn participants(&self) -> Result<Vec<Participant>, BrokerError> {
        self.participants
            .iter()
            .map(|r| {
                r.map_err(BrokerError::from)
                    .and_then(|(_, v)| as_participant(&v))
            })
            .collect()
    }

    fn put_participant(&self, participant: &Participant) -> Result<(), BrokerError> {
        let bytes = encode(Stored::Participant(participant.clone()))?;
        self.participants
            .insert(participant.did.as_bytes(), bytes)?;
        self.db.flush()?;
        Ok(())
    }

    fn next_status_index(&self) -> Result<u64, BrokerError> {
        let previous = self.meta.fetch_and_update(STATUS_INDEX_KEY, |old| {
            let next = old.and_then(iat_from).unwrap_or(0) + 1;
            Some(iat_bytes(next).to_vec())
        })?;
        let index = previous.as_deref().and_then(iat_from).unwrap_or(0);
        self.db.flush()?;
        u64::try_from(index).map_err(|_| BrokerError::Storage("negative status index".into()))
    }

    fn envelope(&self, did: &str) -> Result<Option<Envelope>, BrokerError> {
        self.envelopes
            .get(did.as_bytes())?
            .map(|v| as_envelope(&v))
            .transpose()
    }

    fn envelopes(&self) -> Result<Vec<Envelope>, BrokerError> {
        self.envelopes
            .iter()
            .map(|r| {
                r.map_err(BrokerError::from)
                    .and_then(|(_, v)| as_envelope(&v))
            })
            .collect()
    }

    fn put_envelope(&self, envelope: &Envelope) -> Result<(), BrokerError> {
        let bytes = encode(Stored::Envelope(envelope.clone()))?;
        (&self.envelopes, &self.iats).transaction(|(envelopes, iats)| {
            check_iat(iats, &envelope.did, envelope.iat)?;
            envelopes.insert(envelope.did.as_bytes(), bytes.as_slice())?;
            Ok(())
        })?;
        self.db.flush()?;
        Ok(())
    }

    fn delete_envelope(&self, did: &str, iat: i64) -> Result<(), BrokerError> {
        (&self.envelopes, &self.iats).transaction(|(envelopes, iats)| {
            check_iat(iats, did, iat)?;
            envelopes.remove(did.as_bytes())?;
            Ok(())
        })?;
        self.db.flush()?;
        Ok(())
    }

    fn last_iat(&self, did: &str) -> Result<Option<i64>, BrokerError> {
        Ok(self.iats.get(did.as_bytes())?.as_deref().and_then(iat_from))
    }

    fn insert_register_entry(&self, entry: &RegisterEntry) -> Result<(), BrokerError> {
        let bytes = encode(Stored::Register(entry.clone()))?;
        let swapped = self.register.compare_and_swap(
            entry.id.as_bytes(),
            None as Option<&[u8]>,
            Some(bytes),
        )?;
        if swapped.is_err() {
            return Err(BrokerError::Conflict(format!(
                "agreement {} is already in the register",
                entry.id
            )));
        }
        self.db.flush()?;
        Ok(())
    }

    fn register_entries(&self) -> Result<Vec<RegisterEntry>, BrokerError> {
        let mut entries = self
            .register
            .iter()
            .map(|r| {
                r.map_err(BrokerError::from)
                    .and_then(|(_, v)| as_register(&v))
            })
            .collect::<Result<Vec<_>, _>>()?;
        entries.sort_by(|a, b| a.recorded_at.cmp(&b.recorded_at).then(a.id.cmp(&b.id)));
        Ok(entries)
    }

    fn flush(&self) -> Result<(), BrokerError> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ParticipantStatus, ParticipantType};
    use chrono::Utc;

    fn envelope(did: &str, iat: i64) -> Envelope {
        Envelope {
            did: did.into(),
            jws: format!("jws-{iat}"),
            iat,
            accepted_at: Utc::now(),
            datasets: 1,
        }
    }

    #[test]
    fn envelopes_replace_and_refuse_replays() {
        let store = SledStore::temporary().expect("store");
        store
            .put_envelope(&envelope("did:web:a", 10))
            .expect("first");
        store
            .put_envelope(&envelope("did:web:a", 11))
            .expect("newer");
        let err = store
            .put_envelope(&envelope("did:web:a", 11))
            .expect_err("same iat");
        assert!(matches!(err, BrokerError::Replay { iat: 11, last: 11 }));
        assert!(store.put_envelope(&envelope("did:web:a", 5)).is_err());
        assert_eq!(
            store.envelope("did:web:a").expect("get").expect("some").iat,
            11
        );
        // deletion obeys the same rule and keeps the mark
        assert!(store.delete_envelope("did:web:a", 11).is_err());
        store.delete_envelope("did:web:a", 12).expect("delete");
        assert!(store.envelope("did:web:a").expect("get").is_none());
        assert!(
            store.put_envelope(&envelope("did:web:a", 12)).is_err(),
            "replay after delete"
        );
        assert_eq!(store.last_iat("did:web:a").expect("iat"), Some(12));
        // other participants are independent
        store.put_envelope(&envelope("did:web:b", 1)).expect("b");
        assert_eq!(store.envelopes().expect("all").len(), 1);
    }

    #[test]
    fn participants_round_trip_and_status_indexes_are_unique() {
        let store = SledStore::temporary().expect("store");
        let p = Participant {
            did: "did:web:m.example".into(),
            legal_name: "Musterstadt".into(),
            participant_type: ParticipantType::Municipality,
            ags: Some("09162000".into()),
            connector_endpoint: "https://m.example/dsp".into(),
            public_key: serde_json::json!({"kty": "EC"}),
            charta_acceptance: "a.b.c".into(),
            charta_version: "1.0".into(),
            status: ParticipantStatus::Pending,
            status_index: None,
            requested_at: Utc::now(),
            decided_at: None,
            reason: None,
            credential: None,
        };
        store.put_participant(&p).expect("put");
        assert_eq!(store.participant(&p.did).expect("get"), Some(p.clone()));
        assert_eq!(store.participants().expect("all").len(), 1);
        let a = store.next_status_index().expect("a");
        let b = store.next_status_index().expect("b");
        assert_ne!(a, b);
    }

    #[test]
    fn register_ids_are_unique() {
        let store = SledStore::temporary().expect("store");
        let entry = RegisterEntry {
            id: "urn:uuid:1".into(),
            summary: serde_json::json!({}),
            recorded_at: Utc::now(),
        };
        store.insert_register_entry(&entry).expect("first");
        assert!(matches!(
            store.insert_register_entry(&entry),
            Err(BrokerError::Conflict(_))
        ));
        assert_eq!(store.register_entries().expect("all").len(), 1);
    }
}
