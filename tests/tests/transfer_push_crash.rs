//! `HttpData-PUSH` of a folder or a file survives `kill -9` of either side while a file
//! arrives, and of the provider while it waits for the answer to its completion.
//!
//! The folder: a small file, a 16 MiB file and a small file in a subfolder, pushed through a
//! test front of the consumer's DSP port ([`front`]) that holds the big file's body after
//! [`HOLD_AT`] bytes, so the kill lands exactly there (the consumer's partial file holds
//! exactly that many bytes). The consumer is killed and restarted on the same data folder;
//! the provider's retries ask with `HEAD` how much arrived and continue:
//!
//! - plain: the big file is continued where the partial file ends (the receiver kept
//!   exactly [`HOLD_AT`] bytes of it), the first file is not sent again, `sent + kept =
//!   total` in the provider's last `data_access_end`;
//! - torn tail: before the restart the partial file's last 64 KiB are overwritten (what a
//!   power loss can leave); the continuation's whole-file digest fails, the receiver
//!   discards the part and answers 416, and the provider sends the big file whole instead of
//!   giving up;
//! - written but not verified: the partial file holds the whole file (killed between the
//!   last write and the rename); the receiver reports `Upload-Offset: 0` for it and the file
//!   is sent whole (a continuation from its end would be no valid `Content-Range`);
//! - the provider killed instead: restarted, it continues the push from its record (the
//!   receiver is asked with `HEAD`; the big file continues where it broke off).
//!
//! Each time every file arrives byte-identical (SHA-256), both sides end COMPLETED, and the
//! consumer's audit log verifies after the kill.
//!
//! A single file (one partial file, no manifest), held the same way:
//!
//! - the consumer killed: restarted on the same data, the provider asks with `HEAD` and
//!   sends only the rest (`Content-Range`); the consumer is restarted only after the
//!   provider's `HEAD` was answered 502 by the front while it was down, which is asked
//!   again, not taken for "nothing kept" (the file is not sent whole);
//! - the provider killed: restarted, it continues from its record the same way.
//!
//! And the provider killed after the consumer accepted its `TransferCompletionMessage`,
//! before it learnt the answer (the front holds it back): restarted, it sends the completion
//! again, the consumer answers success again — also when the repeat's bytes differ — and
//! both end COMPLETED with the data received and verified once, nothing pushed again.
//!
//! Both audit logs verify after each of these.

#[path = "transfer_push_crash/front.rs"]
mod front;
#[path = "transfer_support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use front::{Gate, Held};
use serde_json::{Value, json};
use support::{Pair, data_of, sha256_hex, wait_transfer};
use tests::harness::TestEnv;

const BIG: usize = 16 * 1024 * 1024;
/// Where the front holds the body of the big file, or of the single file (not at a block
/// boundary).
const HOLD_AT: u64 = 5 * 1024 * 1024 + 12_345;
/// The path of the folder's file the front holds.
const HELD_FILE: &str = "/files/b-rohdaten.bin";

/// The folder's files (relative path, content), in the manifest's order.
fn folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let files = vec![
        ("a-zaehlstellen.csv".to_owned(), data_of(70_001)),
        ("b-rohdaten.bin".to_owned(), data_of(BIG)),
        (
            "c/liesmich.txt".to_owned(),
            b"Rohdaten je Minute\n".to_vec(),
        ),
    ];
    for (rel, data) in &files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
        std::fs::write(path, data).expect("file");
    }
    files
}

async fn pair(test: &str) -> (Pair, Vec<(String, Vec<u8>)>, front::Front) {
    let env = TestEnv::new(test);
    let root = env.dir.join("rohdaten");
    let files = folder(&root);
    let mut p = Pair::start_in(
        env,
        test,
        0,
        json!({"abrufe": "10"}),
        |_, c| support::set_dataplane(c, "allow_local_push_endpoints", true.into()),
        None,
        Some(json!({"file": root.display().to_string()})),
    )
    .await;
    let front = front::install(&mut p).await;
    front.hold_data_at(HELD_FILE, HOLD_AT);
    (p, files, front)
}

/// Every `*.part` file below `dir`.
fn parts_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "part") {
                out.push(path);
            }
        }
    }
    out
}

async fn start_push(p: &Pair) -> String {
    let (status, t) = p
        .consumer
        .post(
            "/api/v1/transfers",
            &json!({"agreement_id": p.agreement, "format": "HttpData-PUSH"}),
        )
        .await;
    assert_eq!(status, 201, "push transfer: {t}");
    t["id"].as_str().expect("id").to_owned()
}

/// Both sides COMPLETED, every file the provider's; returns the provider's `data_access_end`
/// entries for the transfer.
async fn completed_and_verified(p: &Pair, id: &str, files: &[(String, Vec<u8>)]) -> Vec<Value> {
    let t = p
        .wait_consumer(id, "COMPLETED with the folder", |t| {
            t["state"] == "COMPLETED"
                && t["received"]
                    .as_array()
                    .is_some_and(|a| a.len() == files.len())
        })
        .await;
    for (f, (rel, data)) in t["received"]
        .as_array()
        .expect("received")
        .iter()
        .zip(files)
    {
        assert_eq!(f["path"], rel.as_str(), "{t}");
        assert_eq!(f["sha256"], sha256_hex(data).as_str(), "{t}");
        let stored = std::fs::read(f["stored_at"].as_str().expect("stored_at")).expect("stored");
        assert!(
            stored.len() == data.len() && sha256_hex(&stored) == sha256_hex(data),
            "{rel} is byte-identical to the provider's"
        );
    }
    assert!(
        parts_below(&p.consumer.dir).is_empty(),
        "no partial file left"
    );
    let pid = provider_completed(p, id).await;
    let (ok, out, err) = p.consumer.cli(&["audit", "verify"]);
    assert!(ok, "the consumer's audit log survived kill -9: {out}{err}");
    audit_entries(&p.provider, "data_access_end", &pid).await
}

/// Waits until the provider's side of the consumer's transfer `id` is COMPLETED; returns the
/// provider's id of it.
async fn provider_completed(p: &Pair, id: &str) -> String {
    let pt = p.provider_transfer(id).await;
    let pid = pt["id"].as_str().expect("id").to_owned();
    wait_transfer(&p.provider, &pid, "COMPLETED", |t| {
        t["state"] == "COMPLETED"
    })
    .await;
    pid
}

/// The one complete attempt among `ends`: (bytes sent in it, bytes the receiver kept).
/// `cut_logged`: the cut attempt's end is logged (the provider lived through it).
fn last_attempt(ends: &[Value], total: u64, cut_logged: bool) -> (u64, u64) {
    assert!(
        !cut_logged || ends.iter().any(|e| e["details"]["complete"] == false),
        "an attempt was cut by the kill: {ends:?}"
    );
    let done: Vec<&Value> = ends
        .iter()
        .filter(|e| e["details"]["complete"] == true)
        .collect();
    assert_eq!(done.len(), 1, "{ends:?}");
    let sent = done[0]["details"]["bytes"].as_u64().expect("bytes");
    let kept = done[0]["details"]["kept_by_receiver"]
        .as_u64()
        .expect("kept");
    assert_eq!(sent + kept, total, "sent + kept = total: {}", done[0]);
    (sent, kept)
}

/// Starts the folder push and waits until the front holds the big file with exactly
/// [`HOLD_AT`] bytes in the consumer's partial file; returns the transfer and the part.
async fn held_in_big_file(p: &Pair, front: &front::Front) -> (String, PathBuf) {
    let id = start_push(p).await;
    assert_eq!(front.held().await, Held::Data(HOLD_AT));
    let part = part_holding(p, HOLD_AT).await;
    (id, part)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_of_a_folder_continues_after_the_consumer_is_killed_mid_file() {
    let (mut p, files, front) = pair("transfer_push_kill_consumer").await;
    let total: u64 = files.iter().map(|f| f.1.len() as u64).sum();
    let (id, _) = held_in_big_file(&p, &front).await;
    p.consumer.kill9();
    front.release(Gate::BreakOff);
    p.consumer.spawn().await;
    let ends = completed_and_verified(&p, &id, &files).await;
    let (_, kept) = last_attempt(&ends, total, true);
    let small = files[0].1.len() as u64;
    assert_eq!(
        kept,
        small + HOLD_AT,
        "the first file was kept, the big file continued where the consumer's partial file ended"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_of_a_folder_sends_a_file_whole_again_when_its_kept_tail_is_torn() {
    let (mut p, files, front) = pair("transfer_push_torn_tail").await;
    let total: u64 = files.iter().map(|f| f.1.len() as u64).sum();
    let (id, part) = held_in_big_file(&p, &front).await;
    p.consumer.kill9();
    front.release(Gate::BreakOff);
    // What a power loss can leave: the file's length, but not its last blocks.
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&part)
            .expect("open part");
        f.seek(SeekFrom::Start(HOLD_AT - 65_536)).expect("seek");
        f.write_all(&[0u8; 65_536]).expect("tear");
        f.sync_all().expect("sync");
    }
    p.consumer.spawn().await;
    let ends = completed_and_verified(&p, &id, &files).await;
    let (sent, kept) = last_attempt(&ends, total, true);
    let small = files[0].1.len() as u64;
    assert_eq!(
        kept, small,
        "only the first file was kept; the big one was sent whole"
    );
    assert_eq!(sent, total - small);
    assert!(
        ends.iter().any(|e| e["details"]["error"]
            .as_str()
            .is_some_and(|m| m.contains("416"))),
        "the torn continuation was refused as such (416): {ends:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_of_a_folder_sends_a_file_whole_again_when_it_was_written_but_not_verified() {
    let (mut p, files, front) = pair("transfer_push_written_unverified").await;
    let total: u64 = files.iter().map(|f| f.1.len() as u64).sum();
    let (id, part) = held_in_big_file(&p, &front).await;
    p.consumer.kill9();
    front.release(Gate::BreakOff);
    // Killed after the last byte was written, before the file was verified and renamed.
    std::fs::write(&part, &files[1].1).expect("whole part");
    p.consumer.spawn().await;
    let ends = completed_and_verified(&p, &id, &files).await;
    let (sent, kept) = last_attempt(&ends, total, true);
    let small = files[0].1.len() as u64;
    assert_eq!(
        kept, small,
        "a partial file of the full size is not continued (nothing left to send would verify it): the big file was sent whole"
    );
    assert_eq!(sent, total - small);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_of_a_folder_continues_after_the_provider_is_killed_mid_file() {
    let (mut p, files, front) = pair("transfer_push_kill_provider").await;
    let total: u64 = files.iter().map(|f| f.1.len() as u64).sum();
    let (id, _) = held_in_big_file(&p, &front).await;
    p.provider.kill9();
    // The consumer sees the body break off where the provider died.
    front.release(Gate::BreakOff);
    p.provider.spawn().await;
    let ends = completed_and_verified(&p, &id, &files).await;
    let (_, kept) = last_attempt(&ends, total, false);
    let small = files[0].1.len() as u64;
    assert_eq!(
        kept,
        small + HOLD_AT,
        "after its restart the provider continued the big file from the consumer's partial file"
    );
    let (ok, out, err) = p.provider.cli(&["audit", "verify"]);
    assert!(ok, "the provider's audit log survived kill -9: {out}{err}");
}

/// The single file's size.
const FILE: usize = 24 * 1024 * 1024 + 7;

/// A pair pushing a single file of `len` bytes, the consumer behind a front.
async fn file_pair(test: &str, len: usize) -> (Pair, front::Front) {
    let mut p = Pair::start_in(
        TestEnv::new(test),
        test,
        len,
        json!({"abrufe": "10"}),
        |_, c| support::set_dataplane(c, "allow_local_push_endpoints", true.into()),
        None,
        None,
    )
    .await;
    let front = front::install(&mut p).await;
    (p, front)
}

/// Waits until the consumer's partial file holds exactly `bytes` (all the front passed on);
/// returns it.
async fn part_holding(p: &Pair, bytes: u64) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let parts = parts_below(&p.consumer.dir);
        if let [part] = parts.as_slice()
            && std::fs::metadata(part).is_ok_and(|m| m.len() == bytes)
        {
            return part.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no partial file of {bytes} bytes: {:?}",
            parts
                .iter()
                .map(|f| (f, std::fs::metadata(f).map(|m| m.len()).ok()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// `kind` entries of `c`'s audit log about `process`.
async fn audit_entries(c: &tests::harness::TestConnector, kind: &str, process: &str) -> Vec<Value> {
    let (status, all) = c.get(&format!("/api/v1/audit?kind={kind}")).await;
    assert_eq!(status, 200, "{all}");
    all.as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["process"] == process)
        .cloned()
        .collect()
}

/// Both sides COMPLETED, the single file byte-identical and received (verified) once, no
/// partial file left, both audit logs verify; returns the provider's id and its
/// `data_access_end` entries.
async fn file_completed_and_verified(p: &Pair, id: &str) -> (String, Vec<Value>) {
    let t = p.completed_and_verified(id).await;
    assert_eq!(t["received"].as_array().map(Vec::len), Some(1), "{t}");
    assert!(
        parts_below(&p.consumer.dir).is_empty(),
        "no partial file left"
    );
    // Recorded with the data (staged with the state, appended just after it).
    let received = format!("kind=data_received&process={}", support::urlencode(id));
    support::wait_audit(&p.consumer, &received, "data_received", |l| !l.is_empty()).await;
    let pid = provider_completed(p, id).await;
    for (side, c) in [("consumer", &p.consumer), ("provider", &p.provider)] {
        let (ok, out, err) = c.cli(&["audit", "verify"]);
        assert!(ok, "the {side}'s audit log survived kill -9: {out}{err}");
    }
    let received = audit_entries(&p.consumer, "data_received", id).await;
    assert_eq!(
        received.len(),
        1,
        "received and verified once: {received:?}"
    );
    let ends = audit_entries(&p.provider, "data_access_end", &pid).await;
    (pid, ends)
}

/// The data `PUT`s the front saw: the first whole, then exactly one continuation from
/// [`HOLD_AT`] (nothing sent whole again).
fn whole_then_continued(front: &front::Front, total: u64) {
    let ranges: Vec<Option<String>> = front
        .data_puts()
        .into_iter()
        .map(|p| p.content_range)
        .collect();
    assert_eq!(
        ranges,
        [None, Some(format!("bytes {HOLD_AT}-{}/{total}", total - 1))],
        "the file was sent whole once, then continued where the consumer's part ended"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_of_a_file_continues_after_the_consumer_is_killed_mid_file() {
    let (mut p, front) = file_pair("transfer_push_file_kill_consumer", FILE).await;
    let total = FILE as u64;
    front.hold_data_at("", HOLD_AT);
    let id = start_push(&p).await;
    assert_eq!(front.held().await, Held::Data(HOLD_AT));
    let part = part_holding(&p, HOLD_AT).await;
    p.consumer.kill9();
    front.release(Gate::BreakOff);
    assert_eq!(
        std::fs::metadata(&part).expect("part").len(),
        HOLD_AT,
        "the partial file outlived kill -9"
    );
    // Restarted only once the provider asked while it was down (answered 502 by the
    // front): such an answer is asked again, not taken for "nothing kept".
    let deadline = Instant::now() + Duration::from_secs(30);
    while !front.heads().contains(&502) {
        assert!(
            Instant::now() < deadline,
            "the provider did not ask: {:?}",
            front.heads()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    p.consumer.spawn().await;
    let (_, ends) = file_completed_and_verified(&p, &id).await;
    let (sent, kept) = last_attempt(&ends, total, true);
    assert_eq!(
        (sent, kept),
        (total - HOLD_AT, HOLD_AT),
        "continued from the consumer's partial file"
    );
    whole_then_continued(&front, total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_of_a_file_continues_after_the_provider_is_killed_mid_file() {
    let (mut p, front) = file_pair("transfer_push_file_kill_provider", FILE).await;
    let total = FILE as u64;
    front.hold_data_at("", HOLD_AT);
    let id = start_push(&p).await;
    assert_eq!(front.held().await, Held::Data(HOLD_AT));
    part_holding(&p, HOLD_AT).await;
    p.provider.kill9();
    // The consumer sees the body break off where the provider died.
    front.release(Gate::BreakOff);
    p.provider.spawn().await;
    let (_, ends) = file_completed_and_verified(&p, &id).await;
    let (sent, kept) = last_attempt(&ends, total, false);
    assert_eq!(
        (sent, kept),
        (total - HOLD_AT, HOLD_AT),
        "after its restart the provider continued from the consumer's partial file"
    );
    whole_then_continued(&front, total);
}

/// The provider killed while the consumer's acceptance of its completion is held back;
/// `altered`: the repeated completion reaches the consumer with other bytes (same message).
async fn completion_answer_lost(test: &str, altered: bool) {
    let (mut p, front) = file_pair(test, 1_000_003).await;
    front.hold_completion_answer();
    if altered {
        front.alter_repeated_completion();
    }
    let id = start_push(&p).await;
    let held = front.held().await;
    assert!(
        matches!(held, Held::CompletionAnswer(200..=299)),
        "the consumer accepted the completion: {held:?}"
    );
    // The consumer is COMPLETED with the data; the provider has not learnt it.
    p.completed_and_verified(&id).await;
    p.provider.kill9();
    front.release(Gate::BreakOff);
    p.provider.spawn().await;
    let (pid, ends) = file_completed_and_verified(&p, &id).await;
    let answers = front.completions();
    assert!(
        answers.len() == 2 && answers.iter().all(|s| (200..300).contains(s)),
        "the completion was sent again after the restart and accepted again: {answers:?}"
    );
    assert_eq!(front.data_puts().len(), 1, "nothing was pushed again");
    assert_eq!(ends.len(), 1, "one push, complete: {ends:?}");
    assert_eq!(ends[0]["details"]["complete"], true, "{ends:?}");
    let accesses = audit_entries(&p.provider, "data_access", &pid).await;
    assert_eq!(accesses.len(), 1, "no second push: {accesses:?}");
    let (_, pt) = p
        .provider
        .get(&format!("/api/v1/transfers/{}", support::urlencode(&pid)))
        .await;
    assert!(pt["termination"].is_null(), "{pt}");
    assert_eq!(pt["progress"]["completion_refusals"], 0, "{pt}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_completes_when_the_provider_is_killed_before_it_learns_the_consumer_accepted()
 {
    completion_answer_lost("transfer_push_completion_answer_lost", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_completes_when_the_repeated_completion_differs_in_its_bytes() {
    completion_answer_lost("transfer_push_completion_repeat_altered", true).await;
}
