//! Consumer: what the receiving endpoint of `HttpData-PUSH` keeps in memory — the folders
//! being received (manifest, which files are verified) and which request writes which file.
//!
//! A file is written by one request at a time: a new request for the same file (a retry
//! after a connection the sender gave up, or a `HEAD` asking how much arrived) stops the
//! older one ([`PushReceivers::claim`]), waits until it has flushed what it received, and
//! only then reads or continues.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::super::record::FileInfo;

/// A folder being received: its manifest, and which files are verified.
#[derive(Debug)]
pub(super) struct Folder {
    pub(super) files: Vec<FileInfo>,
    pub(super) index: HashMap<String, usize>,
    pub(super) verified: std::sync::Mutex<(HashSet<usize>, u64)>,
}

#[derive(Debug)]
struct Slot {
    generation: u64,
    stop: CancellationToken,
    busy: Arc<tokio::sync::Mutex<()>>,
}

/// The pushes this connector is receiving: folders' manifests and which files are verified,
/// and which request writes which file.
#[derive(Debug, Default)]
pub struct PushReceivers {
    slots: std::sync::Mutex<HashMap<String, Slot>>,
    pub(super) folders: std::sync::Mutex<HashMap<String, Arc<Folder>>>,
    generation: std::sync::atomic::AtomicU64,
}

/// The right to write (or read the partial file of) one file, until dropped.
pub(super) struct Claim {
    receivers: Arc<PushReceivers>,
    key: String,
    generation: u64,
    pub(super) stop: CancellationToken,
    _busy: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.receivers.slots.lock()
            && slots
                .get(&self.key)
                .is_some_and(|s| s.generation == self.generation)
        {
            slots.remove(&self.key);
        }
    }
}

impl PushReceivers {
    /// Stops the request writing `key` (if any), waits until it let go, and claims it; the
    /// claim's token fires when the transfer stops or a newer request claims the file.
    pub(super) async fn claim(
        self: &Arc<Self>,
        key: String,
        transfer: &CancellationToken,
    ) -> Claim {
        let generation = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stop = transfer.child_token();
        let busy = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            match slots.get_mut(&key) {
                Some(slot) => {
                    // An older request writes this file: it stops; this one waits for it.
                    slot.stop.cancel();
                    slot.generation = generation;
                    slot.stop = stop.clone();
                    slot.busy.clone()
                }
                None => {
                    let busy: Arc<tokio::sync::Mutex<()>> = Arc::default();
                    slots.insert(
                        key.clone(),
                        Slot {
                            generation,
                            stop: stop.clone(),
                            busy: busy.clone(),
                        },
                    );
                    busy
                }
            }
        };
        let guard = busy.lock_owned().await;
        Claim {
            receivers: self.clone(),
            key,
            generation,
            stop,
            _busy: guard,
        }
    }

    pub(super) fn forget(&self, transfer_id: &str) {
        if let Ok(mut folders) = self.folders.lock() {
            folders.remove(transfer_id);
        }
    }
}

impl Folder {
    pub(super) fn is_verified(&self, i: usize) -> bool {
        self.verified
            .lock()
            .map(|v| v.0.contains(&i))
            .unwrap_or(false)
    }

    pub(super) fn verified_count(&self) -> usize {
        self.verified.lock().map(|v| v.0.len()).unwrap_or(0)
    }

    /// Marks file `i` verified; returns whether all are, and the bytes verified.
    pub(super) fn verify(&self, i: usize) -> (bool, u64) {
        let Ok(mut v) = self.verified.lock() else {
            return (false, 0);
        };
        if v.0.insert(i) {
            v.1 += self.files[i].size;
        }
        (v.0.len() == self.files.len(), v.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_newer_claim_stops_the_older_and_waits_for_it() {
        let receivers = Arc::new(PushReceivers::default());
        let transfer = CancellationToken::new();
        let first = receivers.claim("t\na".into(), &transfer).await;
        let stopped = first.stop.clone();
        let r = receivers.clone();
        let t = transfer.clone();
        let second = tokio::spawn(async move { r.claim("t\na".into(), &t).await.stop.clone() });
        tokio::time::timeout(std::time::Duration::from_secs(5), stopped.cancelled())
            .await
            .expect("the older request is told to stop");
        assert!(
            !second.is_finished(),
            "the newer waits until the older let go"
        );
        drop(first);
        let newer = second.await.expect("claimed");
        assert!(!newer.is_cancelled());
        transfer.cancel();
        assert!(
            newer.is_cancelled(),
            "the transfer's stop reaches the claim"
        );
    }
}
