//! Storage behind the connector's own [`Store`] trait.
//!
//! The store is a sorted key-value map with string keys grouped by a prefix per kind of record
//! (`neg/…`, `outbox/…`, `asset/…`). Writes go through [`WriteBatch`], which lands atomically:
//! a state change and the outbox message it causes are one batch, so a crash (even `kill -9`)
//! leaves either both or neither. Values are JSON wrapped in a [`Stored`] envelope carrying a
//! schema version ([`Record::SCHEMA_VERSION`]); reading a value of another version fails with
//! a clear error instead of guessing.
//!
//! [`SledStore`] is the implementation used in production; it can be replaced without touching
//! domain code.

mod sled_store;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use sled_store::SledStore;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database reported an error.
    #[error("database: {0}")]
    Backend(String),
    /// A stored value could not be decoded.
    #[error("stored value {key}: {message}")]
    Corrupt {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A stored value has a schema version this build does not read.
    #[error(
        "stored value {key} has schema version {found}, this build reads version {expected}; migrate or use a newer connector"
    )]
    Version {
        /// The key.
        key: String,
        /// The version in the database.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
}

/// One write operation.
#[derive(Debug, Clone)]
pub enum WriteOp {
    /// Set a key.
    Put(String, Vec<u8>),
    /// Remove a key.
    Delete(String),
}

/// Writes that land together or not at all.
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    ops: Vec<WriteOp>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a record (serialised with its schema version).
    pub fn put<R: Record>(&mut self, key: impl Into<String>, record: &R) -> &mut Self {
        self.ops.push(WriteOp::Put(key.into(), encode(record)));
        self
    }

    /// Adds raw bytes.
    pub fn put_raw(&mut self, key: impl Into<String>, value: Vec<u8>) -> &mut Self {
        self.ops.push(WriteOp::Put(key.into(), value));
        self
    }

    /// Removes a key.
    pub fn delete(&mut self, key: impl Into<String>) -> &mut Self {
        self.ops.push(WriteOp::Delete(key.into()));
        self
    }

    /// The operations, in order.
    pub fn ops(&self) -> &[WriteOp] {
        &self.ops
    }

    /// True when nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// The storage the connector needs.
pub trait Store: Send + Sync + 'static {
    /// Reads one key.
    fn get_raw(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// All keys starting with `prefix`, in key order, with their values.
    fn scan_raw(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// Applies a batch atomically and durably (flushed before returning).
    fn apply(&self, batch: WriteBatch) -> Result<(), StoreError>;
    /// A number never returned before (monotonic across restarts).
    fn next_id(&self) -> Result<u64, StoreError>;
}

/// A value type kept in the store.
pub trait Record: Serialize + DeserializeOwned {
    /// The schema version written with every value; bump it (and add a migration) when the
    /// stored shape changes incompatibly.
    const SCHEMA_VERSION: u32;
}

/// The envelope around every stored value.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored<T> {
    v: u32,
    data: T,
}

fn encode<R: Record>(record: &R) -> Vec<u8> {
    // Serialising our own plain data types to JSON cannot fail (no maps with non-string keys).
    serde_json::to_vec(&Stored {
        v: R::SCHEMA_VERSION,
        data: record,
    })
    .unwrap_or_default()
}

/// Decodes a stored value, checking its schema version.
pub fn decode<R: Record>(key: &str, bytes: &[u8]) -> Result<R, StoreError> {
    #[derive(serde::Deserialize)]
    struct Version {
        v: u32,
    }
    let version: Version = serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key.to_owned(),
        message: format!("no schema version: {e}"),
    })?;
    if version.v != R::SCHEMA_VERSION {
        return Err(StoreError::Version {
            key: key.to_owned(),
            found: version.v,
            expected: R::SCHEMA_VERSION,
        });
    }
    let stored: Stored<R> = serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key.to_owned(),
        message: e.to_string(),
    })?;
    Ok(stored.data)
}

/// Typed access on top of any [`Store`].
pub trait StoreExt: Store {
    /// Reads and decodes one record.
    fn get<R: Record>(&self, key: &str) -> Result<Option<R>, StoreError> {
        match self.get_raw(key)? {
            Some(bytes) => decode(key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Reads and decodes every record under a prefix.
    fn scan<R: Record>(&self, prefix: &str) -> Result<Vec<(String, R)>, StoreError> {
        self.scan_raw(prefix)?
            .into_iter()
            .map(|(k, v)| decode(&k, &v).map(|r| (k, r)))
            .collect()
    }

    /// Writes one record.
    fn put<R: Record>(&self, key: &str, record: &R) -> Result<(), StoreError> {
        let mut batch = WriteBatch::new();
        batch.put(key, record);
        self.apply(batch)
    }
}

impl<S: Store + ?Sized> StoreExt for S {}

/// Key prefixes, one per kind of record.
pub mod keys {
    /// Contract negotiations by local process id.
    pub const NEGOTIATION: &str = "neg/";
    /// Index: counterparty-chosen pid → local pid (`negidx/<role>/<their pid>`).
    pub const NEGOTIATION_INDEX: &str = "negidx/";
    /// Outgoing messages waiting for delivery, by sequence number.
    pub const OUTBOX: &str = "outbox/";
    /// Finalized agreements by agreement id.
    pub const AGREEMENT: &str = "agreement/";
    /// Assets by id.
    pub const ASSET: &str = "asset/";
    /// Contract templates by id.
    pub const TEMPLATE: &str = "template/";
    /// Offers by offer id.
    pub const OFFER: &str = "offer/";
    /// Processed request ids for idempotent management calls.
    pub const IDEMPOTENCY: &str = "idem/";

    /// The key of a negotiation.
    pub fn negotiation(id: &str) -> String {
        format!("{NEGOTIATION}{id}")
    }

    /// The key of an outbox entry (zero-padded so keys sort by sequence).
    pub fn outbox(seq: u64) -> String {
        format!("{OUTBOX}{seq:020}")
    }

    /// The key of an agreement.
    pub fn agreement(id: &str) -> String {
        format!("{AGREEMENT}{id}")
    }

    /// The key of an asset.
    pub fn asset(id: &str) -> String {
        format!("{ASSET}{id}")
    }

    /// The key of a template.
    pub fn template(id: &str) -> String {
        format!("{TEMPLATE}{id}")
    }

    /// The key of an offer.
    pub fn offer(id: &str) -> String {
        format!("{OFFER}{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Thing {
        name: String,
    }
    impl Record for Thing {
        const SCHEMA_VERSION: u32 = 3;
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug)]
    struct OtherThing {
        name: String,
    }
    impl Record for OtherThing {
        const SCHEMA_VERSION: u32 = 4;
    }

    #[test]
    fn versions_are_checked() {
        let bytes = encode(&Thing { name: "a".into() });
        assert_eq!(
            decode::<Thing>("k", &bytes).expect("same version"),
            Thing { name: "a".into() }
        );
        let err = decode::<OtherThing>("k", &bytes).expect_err("other version");
        assert!(matches!(
            err,
            StoreError::Version {
                found: 3,
                expected: 4,
                ..
            }
        ));
        assert!(matches!(
            decode::<Thing>("k", b"{}"),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
