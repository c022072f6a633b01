//! A pulled folder appears whole or not at all: while its files arrive (and after a
//! `kill -9` of the consumer in the middle) the transfer's folder in the received-data folder
//! does not exist, the files wait verified in staging; the restarted consumer resumes with
//! `Range` and the folder (960 MiB) appears complete, byte-identical, holding exactly the manifest's
//! files; a transfer terminated mid-way leaves nothing, staging included (and a single
//! file terminated mid-way leaves no partial file).

#[path = "transfer_support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Pair, set_dataplane, urlencode};
use tests::harness::TestEnv;

/// The folder's files: (path, length, tag); 960 MiB in all so a pull can be interrupted
/// (sparse source files with a distinct mark every MiB, see [`write_source`]).
fn folder_files() -> Vec<(&'static str, u64, u8)> {
    vec![
        ("a-liesmich.txt", 21, 0),
        ("b-2023.csv", 320 << 20, 1),
        ("c/2024-januar.csv", 320 << 20, 2),
        ("c/2024-februar.csv", 320 << 20, 3),
    ]
}

/// A file of `len` bytes: zeros (sparse on disk) with `tag` and the offset written every MiB.
fn write_source(path: &Path, len: u64, tag: u8) {
    use std::io::{Seek, SeekFrom, Write};
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    let mut f = std::fs::File::create(path).expect("source file");
    f.set_len(len).expect("length");
    let mut at = 0;
    while at < len {
        let mark = [&[tag][..], &at.to_be_bytes()[..]].concat();
        let n = mark.len().min((len - at) as usize);
        f.seek(SeekFrom::Start(at)).expect("seek");
        f.write_all(&mark[..n]).expect("mark");
        at += 1 << 20;
    }
}

/// The SHA-256 of a file (hex), read in blocks.
fn file_sha256(path: &Path) -> String {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 4 << 20];
    loop {
        let n = f.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    hex::encode(h.finalize())
}

/// True when both files hold the same bytes (compared block by block).
fn same_bytes(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (mut fa, mut fb) = (
        std::fs::File::open(a).expect("a"),
        std::fs::File::open(b).expect("b"),
    );
    if fa.metadata().expect("a").len() != fb.metadata().expect("b").len() {
        return false;
    }
    let (mut ba, mut bb) = (vec![0u8; 4 << 20], vec![0u8; 4 << 20]);
    loop {
        let n = fa.read(&mut ba).expect("read a");
        if n == 0 {
            return true;
        }
        if fb.read_exact(&mut bb[..n]).is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
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
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A pair whose asset is the folder and whose consumer keeps received data in
/// `<test dir>/received` (returned).
async fn folder_pair(test: &str) -> (Pair, PathBuf, PathBuf) {
    source_pair(test, &folder_files(), None).await
}

/// A pair whose asset is the folder holding `files` (or, with `single`, that one file of
/// it) and whose consumer keeps received data in `<test dir>/received` (returned).
async fn source_pair(
    test: &str,
    files: &[(&str, u64, u8)],
    single: Option<&str>,
) -> (Pair, PathBuf, PathBuf) {
    let env = TestEnv::new(test);
    let mut source = env.dir.join(format!("{test}-ordner"));
    for (rel, len, tag) in files {
        write_source(&source.join(rel), *len, *tag);
    }
    if let Some(rel) = single {
        source = source.join(rel);
    }
    let received = env.dir.join("received");
    let dir = received.display().to_string();
    let p = Pair::start_in(
        env,
        test,
        0,
        json!({}),
        |_, _| {},
        Some(&move |_, c| set_dataplane(c, "received_dir", dir.clone().into())),
        Some(json!({"file": source.display().to_string()})),
    )
    .await;
    (p, source, received)
}

/// The consumer's transfer.
async fn consumer_transfer(p: &Pair, id: &str) -> Value {
    p.consumer
        .get(&format!("/api/v1/transfers/{}", urlencode(id)))
        .await
        .1
}

/// Waits until at least `min` bytes of the folder arrived, checking all the while that the
/// transfer's folder has not appeared; returns the bytes.
async fn midway(p: &Pair, id: &str, target: &Path, min: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        // Looked at before the transfer is read (see the restart loop below).
        let appeared = target.exists();
        let t = consumer_transfer(p, id).await;
        let bytes = t["progress"]["bytes"].as_u64().unwrap_or(0);
        assert!(
            t["progress"]["done_ms"].is_null(),
            "the folder arrived before it could be interrupted: {t}"
        );
        assert!(
            !appeared,
            "the transfer's folder exists at {bytes} bytes: {:?}",
            files_below(target)
        );
        if bytes >= min {
            return bytes;
        }
        assert!(Instant::now() < deadline, "no progress: {t}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn transfer_folder(received: &Path, p: &Pair, id: &str) -> PathBuf {
    let name = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    received.join(name(&p.agreement)).join(name(id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulled_folder_appears_complete_after_a_consumer_kill() {
    let (mut p, source, received) = folder_pair("pull_folder_kill").await;
    let id = p.transfer(false).await;
    let target = transfer_folder(&received, &p, &id);
    let total: u64 = folder_files().iter().map(|f| f.1).sum();
    // Past the first large file, inside the second.
    midway(&p, &id, &target, 400 << 20).await;
    let staged = files_below(&received.join(".pull"));
    assert!(
        staged.iter().any(|f| f.ends_with("b-2023.csv")),
        "a verified file waits in staging: {staged:?}"
    );
    p.consumer.kill9();
    assert!(!target.exists(), "nothing appeared after the kill");
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.consumer.spawn().await;
    // Until every byte is verified the folder does not exist.
    let deadline = Instant::now() + Duration::from_secs(120);
    let t = loop {
        // Looked at before the transfer is read: the folder is placed once the last byte is
        // verified, so looked at after, it may have been placed in between and be taken for
        // one that appeared early.
        let appeared = target.exists();
        let t = consumer_transfer(&p, &id).await;
        if t["state"] == "COMPLETED" && !t["progress"]["done_ms"].is_null() {
            break t;
        }
        if t["progress"]["bytes"].as_u64().unwrap_or(0) < total {
            assert!(!appeared, "the folder appeared early: {t}");
        }
        assert!(Instant::now() < deadline, "not completed: {t}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let files = folder_files();
    let mut expected: Vec<PathBuf> = files.iter().map(|(rel, _, _)| target.join(rel)).collect();
    expected.sort();
    assert_eq!(
        files_below(&received),
        expected,
        "exactly the manifest's files, in the transfer's folder (no staging, no partial files)"
    );
    for (rel, _, _) in &files {
        assert!(
            same_bytes(&target.join(rel), &source.join(rel)),
            "{rel} is byte-identical"
        );
        let r = t["received"]
            .as_array()
            .expect("received")
            .iter()
            .find(|f| f["path"] == *rel)
            .unwrap_or_else(|| panic!("{rel} recorded: {t}"));
        assert_eq!(r["sha256"], file_sha256(&source.join(rel)).as_str());
        assert_eq!(
            r["stored_at"],
            target.join(rel).display().to_string().as_str()
        );
    }
    assert!(!received.join(".pull").exists(), "staging removed");
    let ranges: Vec<Value> = p
        .audit(&p.provider)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "data_access")
        .map(|e| e["details"]["request"]["range"].clone())
        .collect();
    assert!(
        ranges.iter().any(|v| v
            .as_str()
            .is_some_and(|s| s.starts_with("bytes=") && s != "bytes=0-")),
        "the restarted consumer resumed the cut file with Range: {ranges:?}"
    );
    // The deletion duty (here by the operator) removes exactly what appeared.
    let (status, d) = p
        .consumer
        .post(
            &format!("/api/v1/transfers/{}/delete-data", urlencode(&id)),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{d}");
    assert!(!target.exists(), "{d}");
    assert!(files_below(&received).is_empty(), "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulled_folder_terminated_midway_leaves_nothing() {
    let (p, _, received) = folder_pair("pull_folder_terminate").await;
    let id = p.transfer(false).await;
    let target = transfer_folder(&received, &p, &id);
    midway(&p, &id, &target, 80 << 20).await;
    assert!(
        !files_below(&received.join(".pull")).is_empty(),
        "the pull is staged"
    );
    terminate_leaves_nothing(&p, &id, &received, &received.join(".pull")).await;
    assert!(!target.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulled_file_terminated_midway_leaves_no_partial_file() {
    let (p, _, received) = source_pair(
        "pull_file_terminate",
        &[("messwerte.csv", 960 << 20, 4)],
        Some("messwerte.csv"),
    )
    .await;
    let id = p.transfer(false).await;
    let dir = transfer_folder(&received, &p, &id);
    // While it arrives, the transfer's folder holds only the partial file.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        // The folder before the transfer: a file completed in between shows as arrived.
        let below = files_below(&dir);
        let t = consumer_transfer(&p, &id).await;
        assert!(
            t["progress"]["done_ms"].is_null(),
            "the file arrived before it could be interrupted: {t}"
        );
        assert!(
            below.len() <= 1 && below.iter().all(|f| f.to_string_lossy().ends_with(".part")),
            "only the partial file: {below:?}"
        );
        if t["progress"]["bytes"].as_u64().unwrap_or(0) >= 80 << 20 && below.len() == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no progress: {t}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    terminate_leaves_nothing(&p, &id, &received, &dir).await;
}

/// Terminates the consumer's transfer `id`, waits until `removed` (what the unfinished pull
/// left) is gone, then checks that nothing is left below `received` — also not from a
/// download still writing when the termination came — and that nothing is recorded received.
async fn terminate_leaves_nothing(p: &Pair, id: &str, received: &Path, removed: &Path) {
    let (status, t) = p
        .consumer
        .post(
            &format!("/api/v1/transfers/{}/terminate", urlencode(id)),
            &json!({"reasons": ["Test: Abbruch"]}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    p.wait_consumer(id, "TERMINATED", |t| t["state"] == "TERMINATED")
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while removed.exists() {
        assert!(
            Instant::now() < deadline,
            "what the unfinished pull left was not removed: {:?}",
            files_below(received)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        files_below(received).is_empty(),
        "nothing is left: {:?}",
        files_below(received)
    );
    let t = consumer_transfer(p, id).await;
    assert!(t["received"].as_array().is_none_or(|a| a.is_empty()), "{t}");
}
