//! The [`Store`] implementation on sled.
//!
//! All records live in sled's default tree under their key prefixes, so one `apply_batch`
//! covers any mix of records and is atomic. Every batch is flushed before `apply` returns: a
//! negotiation state the connector has answered with survives `kill -9`.
//!
//! Flushing is a group commit: writers that finish their batch while a flush is running wait
//! for the next flush, which covers all of them, instead of each syncing the disk on its own;
//! the wait happens off the async runtime's worker threads (`block_in_place`).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Store, StoreError, WriteBatch, WriteOp};

/// A sled database.
#[derive(Clone)]
pub struct SledStore {
    db: sled::Db,
    commits: Arc<GroupCommit>,
}

/// Counts applied batches and the highest one known to be on disk.
#[derive(Default)]
struct GroupCommit {
    applied: AtomicU64,
    durable: std::sync::Mutex<u64>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").finish_non_exhaustive()
    }
}

fn backend(e: sled::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SledStore {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            // Small cache: the connector's working set is small and idle memory matters.
            .cache_capacity(8 * 1024 * 1024)
            .mode(sled::Mode::LowSpace)
            .open()
            .map_err(|e| {
                let text = e.to_string();
                let locked = matches!(&e, sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock)
                    || text.contains("could not acquire lock");
                if locked {
                    StoreError::Backend(format!(
                        "the database {} is in use by another process (is a connector already running with this data folder?)",
                        dir.display()
                    ))
                } else {
                    StoreError::Backend(format!("cannot open {}: {text}", dir.display()))
                }
            })?;
        Ok(Self {
            db,
            commits: Arc::default(),
        })
    }

    /// Opens a throw-away database that lives in memory only (unit tests).
    pub fn temporary() -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .map_err(backend)?;
        Ok(Self {
            db,
            commits: Arc::default(),
        })
    }

    /// Makes batch number `mine` durable, sharing one disk sync with concurrent writers.
    fn make_durable(&self, mine: u64) -> Result<(), StoreError> {
        let mut durable = self
            .commits
            .durable
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if *durable >= mine {
            return Ok(());
        }
        // Every batch counted so far has been applied before it was counted, so this flush
        // covers all of them.
        let upto = self.commits.applied.load(Ordering::SeqCst);
        self.db.flush().map_err(backend)?;
        *durable = upto;
        Ok(())
    }
}

/// Runs blocking disk work without stalling the async runtime's worker threads.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

impl Store for SledStore {
    fn get_raw(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .db
            .get(key.as_bytes())
            .map_err(backend)?
            .map(|v| v.to_vec()))
    }

    fn scan_raw(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        for item in self.db.scan_prefix(prefix.as_bytes()) {
            let (k, v) = item.map_err(backend)?;
            let key = String::from_utf8(k.to_vec()).map_err(|_| StoreError::Corrupt {
                key: String::from_utf8_lossy(&k).into_owned(),
                message: "key is not UTF-8".into(),
            })?;
            out.push((key, v.to_vec()));
        }
        Ok(out)
    }

    fn apply(&self, batch: WriteBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut sled_batch = sled::Batch::default();
        for op in batch.ops() {
            match op {
                WriteOp::Put(k, v) => sled_batch.insert(k.as_bytes(), v.as_slice()),
                WriteOp::Delete(k) => sled_batch.remove(k.as_bytes()),
            }
        }
        blocking(|| {
            self.db.apply_batch(sled_batch).map_err(backend)?;
            let mine = self.commits.applied.fetch_add(1, Ordering::SeqCst) + 1;
            self.make_durable(mine)
        })
    }

    fn next_id(&self) -> Result<u64, StoreError> {
        self.db.generate_id().map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Record, StoreExt};

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct N(u32);
    impl Record for N {
        const SCHEMA_VERSION: u32 = 1;
    }

    #[test]
    fn batches_scans_and_ids() {
        let s = SledStore::temporary().expect("open");
        let mut b = WriteBatch::new();
        b.put("a/1", &N(1)).put("a/2", &N(2)).put("b/1", &N(3));
        s.apply(b).expect("apply");
        let a: Vec<(String, N)> = s.scan("a/").expect("scan");
        assert_eq!(a, vec![("a/1".into(), N(1)), ("a/2".into(), N(2))]);
        let mut b = WriteBatch::new();
        b.delete("a/1").put("a/3", &N(4));
        s.apply(b).expect("apply");
        assert_eq!(s.get::<N>("a/1").expect("get"), None);
        assert_eq!(s.get::<N>("a/3").expect("get"), Some(N(4)));
        let x = s.next_id().expect("id");
        assert!(s.next_id().expect("id") > x);
    }

    #[test]
    fn reopening_keeps_data_and_ids_grow() {
        let dir = std::env::temp_dir().join(format!("sled-reopen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first_id;
        {
            let s = SledStore::open(&dir).expect("open");
            s.put("k", &N(7)).expect("put");
            first_id = s.next_id().expect("id");
        }
        let s = SledStore::open(&dir).expect("reopen");
        assert_eq!(s.get::<N>("k").expect("get"), Some(N(7)));
        assert!(s.next_id().expect("id") > first_id);
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
