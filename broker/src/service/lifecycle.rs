//! Start and time: rebuilding the indexes from sled, and the expiry of silent descriptions.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use super::Broker;
use crate::error::BrokerError;
use crate::index::VisibleDescription;
use crate::store::{Envelope, ParticipantStatus};

/// What the rebuild at start found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    /// Descriptions loaded into the indexes.
    pub descriptions: usize,
    /// Datasets now visible.
    pub datasets: usize,
    /// Stored envelopes left out (expired, not active, or no longer verifying).
    pub skipped: usize,
    /// Milliseconds taken.
    pub millis: u128,
}

impl Broker {
    fn expired(&self, envelope: &Envelope, now: DateTime<Utc>) -> bool {
        let silence = Duration::seconds(
            i64::try_from(self.config.publication.expire_after_secs).unwrap_or(i64::MAX / 2),
        );
        envelope.accepted_at + silence < now
    }

    /// Loads every visible description from sled into the empty indexes, then marks the
    /// broker ready. Envelopes are verified again with the registered key. Verifying and
    /// parsing run on all cores; a bounded queue feeds the loader, so only a few parsed graphs
    /// are in memory at a time.
    pub fn rebuild(&self) -> Result<RebuildReport, BrokerError> {
        let started = Instant::now();
        let _guard = self.lock_writes()?;
        let now = Utc::now();
        let mut skipped = 0;
        let mut work = Vec::new();
        for stored in self.store.envelopes()? {
            match self.store.participant(&stored.did)? {
                Some(p) if p.status == ParticipantStatus::Active && !self.expired(&stored, now) => {
                    work.push((p, stored));
                }
                _ => skipped += 1,
            }
        }
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 8);
        let failed = AtomicUsize::new(0);
        let (count, datasets) = std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<VisibleDescription>(2 * workers);
            let chunk = work.len().div_ceil(workers).max(1);
            for part in work.chunks(chunk) {
                let tx = tx.clone();
                let failed = &failed;
                scope.spawn(move || {
                    for (p, stored) in part {
                        match self.reopen(p, stored) {
                            Ok(graph) => {
                                let d = VisibleDescription {
                                    did: p.did.clone(),
                                    participant_type: p.participant_type,
                                    accepted_at: stored.accepted_at,
                                    graph,
                                };
                                if tx.send(d).is_err() {
                                    return;
                                }
                            }
                            Err(e) => {
                                tracing::error!(did = %p.did, error = %e, "stored envelope no longer verifies; left out");
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                });
            }
            drop(tx);
            let mut count = 0;
            let loaded = self.catalog.load(rx.into_iter().inspect(|_| count += 1));
            loaded.map(|datasets| (count, datasets))
        })?;
        self.set_ready();
        Ok(RebuildReport {
            descriptions: count,
            datasets,
            skipped: skipped + failed.load(Ordering::Relaxed),
            millis: started.elapsed().as_millis(),
        })
    }

    /// Removes descriptions silent for longer than the configured time from every view (they
    /// stay in sled; a new publication brings them back). Returns the DIDs removed.
    pub fn expire_silent(&self) -> Result<Vec<String>, BrokerError> {
        let _guard = self.lock_writes()?;
        let now = Utc::now();
        let mut removed = Vec::new();
        for stored in self.store.envelopes()? {
            if self.expired(&stored, now) && self.catalog.is_visible(&stored.did)? {
                self.catalog.remove(&stored.did)?;
                tracing::info!(did = %stored.did, "self-description expired after silence");
                removed.push(stored.did);
            }
        }
        Ok(removed)
    }
}
