//! The transfers that are running (STARTED) on this side, each with a cancellation token.
//!
//! Every stream of a transfer (a pull being served, a push being sent, a download, an
//! upload being received) holds a child of its transfer's token. Suspending, completing or
//! terminating the transfer (by either side, or by enforcement) cancels it, which ends every
//! stream at its next step — at once, not after the next block. The enforcement watch walks
//! this set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::process::Role;

/// Live progress of one running transfer (kept in memory; persisted at milestones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveProgress {
    /// Bytes moved.
    pub bytes: u64,
    /// Total, when known.
    pub total: Option<u64>,
}

struct Running {
    role: Role,
    token: CancellationToken,
    progress: LiveProgress,
}

/// The running transfers.
#[derive(Clone, Default)]
pub struct Registry {
    inner: Arc<Mutex<HashMap<String, Running>>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks a transfer as running (idempotent).
    pub fn run(&self, transfer_id: &str, role: Role) {
        self.lock()
            .entry(transfer_id.to_owned())
            .or_insert_with(|| Running {
                role,
                token: CancellationToken::new(),
                progress: LiveProgress::default(),
            });
    }

    /// A token for one stream of the transfer; `None` when it is not running.
    pub fn stream(&self, transfer_id: &str) -> Option<CancellationToken> {
        self.lock().get(transfer_id).map(|r| r.token.child_token())
    }

    /// Stops every stream of the transfer and forgets it; true if it was running.
    pub fn stop(&self, transfer_id: &str) -> bool {
        match self.lock().remove(transfer_id) {
            Some(r) => {
                r.token.cancel();
                true
            }
            None => false,
        }
    }

    /// Whether the transfer is running.
    pub fn is_running(&self, transfer_id: &str) -> bool {
        self.lock().contains_key(transfer_id)
    }

    /// The running transfers of one side.
    pub fn running(&self, role: Role) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, r)| r.role == role)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Records progress.
    pub fn set_progress(&self, transfer_id: &str, progress: LiveProgress) {
        if let Some(r) = self.lock().get_mut(transfer_id) {
            r.progress = progress;
        }
    }

    /// The live progress, when running.
    pub fn progress(&self, transfer_id: &str) -> Option<LiveProgress> {
        self.lock().get(transfer_id).map(|r| r.progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopping_cancels_every_stream() {
        let r = Registry::default();
        assert!(r.stream("t").is_none());
        r.run("t", Role::Provider);
        let a = r.stream("t").expect("running");
        let b = r.stream("t").expect("running");
        assert_eq!(r.running(Role::Provider), vec!["t".to_owned()]);
        assert!(r.running(Role::Consumer).is_empty());
        assert!(r.stop("t"));
        assert!(a.is_cancelled() && b.is_cancelled());
        assert!(!r.stop("t"));
        assert!(!r.is_running("t"));
    }
}
