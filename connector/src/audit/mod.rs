//! The audit log: append-only, hash-chained, one per connector (Charta GW-5 "Zugriffe werden
//! protokolliert").
//!
//! It records negotiation steps, concluded agreements, policy decisions with their reasons,
//! transfer steps, every data access (before the first byte is served, and again when it
//! ends), refused accesses, received data and deletions. The log is a text file of JSON lines
//! in the data folder (`audit/audit.log`); each line carries the hash of the line before
//! ([`entry`] describes the format), so a changed, removed or reordered entry breaks the
//! chain and [`verify`] names the first line where it breaks. `audit/audit.head` holds the
//! last sequence number and hash, so a log cut off at the end is noticed as well.
//!
//! Entries survive `kill -9`: [`AuditLog::append`] answers after `fdatasync`, and events
//! staged with a state change ([`AuditLog::stage`]) are durable with that change.
//!
//! What the chain cannot do: someone who can write the data folder can rewrite the whole
//! chain and the head consistently. Against that, record the head elsewhere from time to time
//! (`connector audit head`) and check against it (`connector audit verify --expect-head`).

mod entry;
mod verify;
mod writer;

use std::path::{Path, PathBuf};

pub use entry::{AuditEntry, AuditEvent, AuditKind, GENESIS, LineError, read_line};
pub use verify::{AuditFilter, Head, Problem, VerifyReport, read_entries, read_head, verify};
pub use writer::{AuditLog, STAGED};

/// The log file's name inside the audit folder.
pub const LOG_FILE: &str = "audit.log";

/// The head file's name inside the audit folder.
pub const HEAD_FILE: &str = "audit.head";

/// The audit folder of a data folder.
pub fn audit_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("audit")
}

fn head_path(dir: &Path) -> PathBuf {
    dir.join(HEAD_FILE)
}

/// An audit log failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// Reading or writing the log failed.
    #[error("audit log: {0}")]
    Io(String),
    /// The log's last entry is unreadable, so no entry can be chained to it.
    #[error("audit log: {0}")]
    Corrupt(String),
    /// The writer has stopped.
    #[error("audit log: the writer has stopped")]
    Closed,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{SledStore, Store, WriteBatch};

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("audit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn event(n: u64) -> AuditEvent {
        AuditEvent::new(AuditKind::DataAccess, format!("access {n}"))
            .agreement(format!("urn:a:{}", n % 2))
            .party(format!("did:web:p{}.example", n % 3))
            .detail("n", n)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn appended_and_staged_entries_chain_and_verify() {
        let d = dir("chain");
        let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
        let log = AuditLog::open(&d, store.clone()).expect("open");
        for n in 0..5 {
            let e = log.append(event(n)).await.expect("append");
            assert_eq!(e.seq, n + 1);
        }
        let mut batch = WriteBatch::new();
        log.stage(&mut batch, event(5));
        log.stage(&mut batch, event(6));
        store.apply(batch).expect("apply");
        log.wake();
        let e = log.append(event(7)).await.expect("append");
        assert_eq!(e.seq, 8, "the staged events were written with this group");
        let report = verify(&d.join(LOG_FILE), None).expect("read");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.entries, 8);
        let only_a0 = read_entries(
            &d.join(LOG_FILE),
            &AuditFilter {
                agreement: Some("urn:a:0".into()),
                ..AuditFilter::default()
            },
        )
        .expect("read");
        assert_eq!(only_a0.len(), 4);
        assert!(store.scan_raw(STAGED).expect("scan").is_empty());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn flush_returns_once_staged_entries_are_in_the_file() {
        let d = dir("flush");
        let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
        let log = AuditLog::open(&d, store.clone()).expect("open");
        log.flush().await;
        for round in 0..20u64 {
            let mut batch = WriteBatch::new();
            log.stage(&mut batch, event(2 * round));
            log.stage(&mut batch, event(2 * round + 1));
            store.apply(batch).expect("apply");
            // Not woken: without the flush the writer would take them up to 2 s later.
            log.flush().await;
            let report = verify(&d.join(LOG_FILE), None).expect("read");
            assert_eq!(report.entries, 2 * (round + 1), "round {round}");
            assert!(report.problems.is_empty(), "{:?}", report.problems);
        }
        assert!(store.scan_raw(STAGED).expect("scan").is_empty());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn changes_removals_reorderings_and_truncation_are_found() {
        let d = dir("tamper");
        let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
        let log = AuditLog::open(&d, store).expect("open");
        for n in 0..6 {
            log.append(event(n)).await.expect("append");
        }
        let path = d.join(LOG_FILE);
        let original = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = original.lines().collect();
        let check = |text: String, expect: &str| {
            std::fs::write(&path, text).expect("write");
            let r = verify(&path, None).expect("verify");
            assert!(
                r.problems.iter().any(|p| p.message.contains(expect)),
                "expected {expect:?} in {:?}",
                r.problems
            );
        };
        check(
            original.replacen("access 2", "access 9", 1),
            "content does not match its hash",
        );
        let mut removed = lines.clone();
        removed.remove(3);
        check(format!("{}\n", removed.join("\n")), "removed");
        let mut swapped = lines.clone();
        swapped.swap(1, 2);
        check(format!("{}\n", swapped.join("\n")), "reordered");
        check(format!("{}\n", lines[..4].join("\n")), "cut off");
        std::fs::write(&path, &original).expect("restore");
        let good = verify(&path, None).expect("verify");
        assert!(good.problems.is_empty());
        let head = read_head(&d).expect("head").expect("present");
        let wrong = Head {
            seq: head.seq,
            hash: GENESIS.into(),
        };
        let r = verify(&path, Some(&wrong)).expect("verify");
        assert!(!r.problems.is_empty());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_torn_last_line_is_cut_and_recorded_at_open() {
        let d = dir("torn");
        let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
        {
            let log = AuditLog::open(&d, store.clone()).expect("open");
            log.append(event(1)).await.expect("append");
        }
        let path = d.join(LOG_FILE);
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("{\"seq\":2,\"at\":\"2025");
        std::fs::write(&path, text).expect("write");
        let log = AuditLog::open(&d, store).expect("reopen");
        let e = log.append(event(2)).await.expect("append");
        assert_eq!(e.seq, 3);
        let all = read_entries(&path, &AuditFilter::default()).expect("read");
        assert_eq!(all[1].kind, AuditKind::LogRecovered);
        assert!(verify(&path, None).expect("verify").problems.is_empty());
        let _ = std::fs::remove_dir_all(&d);
    }
}
