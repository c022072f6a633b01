//! `HttpData-PUSH`: a completion the consumer refuses keeps both sides together.
//!
//! Two real connectors; the consumer's DSP port is served by the test, which passes every
//! request on to the consumer (listening on another port) except that it answers `201` to
//! the provider's `PUT` of one file *without* passing it on — the provider believes the
//! folder arrived, the consumer has two of three files. The consumer then really refuses the
//! provider's `TransferCompletionMessage` (`data_incomplete`, naming what it has):
//!
//! - dropped once: the provider continues the push (asks `HEAD` for every file, sends only
//!   the missing one), sends the completion again, and both sides end COMPLETED with every
//!   file verified; the refusal is audited on both sides;
//! - dropped every time: after `dataplane.max_attempts` (3) refusals the provider terminates
//!   with `completion_refused`, both sides end TERMINATED with the consumer's reason stated,
//!   and the consumer's staged files are removed.

#[path = "transfer_support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use support::{Pair, sha256_hex, wait_transfer};
use tests::harness::TestEnv;
use tests::harness::ports::free_port;

/// The file the interceptor swallows.
const DROPPED: &str = "/files/zaehlstellen.csv";

/// What the test's front of the consumer's DSP port does.
#[derive(Clone, Default)]
struct Interceptor {
    /// How many more `PUT`s of [`DROPPED`] to answer without passing them on.
    drop: Arc<AtomicUsize>,
    /// `PUT`s of [`DROPPED`] swallowed so far.
    dropped: Arc<AtomicUsize>,
    /// Completion messages seen, with the consumer's answer status.
    completions: Arc<Mutex<Vec<u16>>>,
}

impl Interceptor {
    async fn handle(
        self,
        upstream: String,
        client: reqwest::Client,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let path = uri.path().to_owned();
        if method == Method::PUT
            && path.ends_with(DROPPED)
            && self
                .drop
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            self.dropped.fetch_add(1, Ordering::SeqCst);
            return StatusCode::CREATED.into_response();
        }
        let url = format!(
            "{upstream}{}",
            uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
        );
        let request = support::pass_on_headers(client.request(method, &url).body(body), &headers);
        let answer = match request.send().await {
            Ok(a) => a,
            Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
        };
        let status = answer.status();
        if path.ends_with("/completion") {
            self.completions.lock().expect("lock").push(status.as_u16());
        }
        let headers = answer.headers().clone();
        let bytes = answer.bytes().await.unwrap_or_default();
        support::passed_back(status, &headers, bytes)
    }
}

/// A folder push pair whose consumer's DSP port is fronted by an [`Interceptor`].
async fn pair(test: &str) -> (Pair, Interceptor) {
    let mut p = Pair::start_in(
        TestEnv::new(test),
        test,
        0,
        json!({"abrufe": "10"}),
        |_, c| {
            support::set_dataplane(c, "allow_local_push_endpoints", true.into());
            support::set_dataplane(c, "max_attempts", 3.into());
        },
        None,
        None,
    )
    .await;
    // The consumer moves to another port; the test answers on its public one.
    let inner = free_port();
    p.consumer.terminate();
    support::set_config(
        &p.consumer,
        "dsp",
        "listen",
        format!("127.0.0.1:{inner}").into(),
    );
    let interceptor = Interceptor::default();
    let (front, upstream, client) = (
        interceptor.clone(),
        format!("https://localhost:{inner}"),
        p.env.http.clone(),
    );
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            front
                .clone()
                .handle(upstream.clone(), client.clone(), method, uri, headers, body)
        },
    );
    p.env
        .serve_https("consumer-dsp-front", p.consumer.dsp_port, app)
        .await;
    p.consumer.spawn().await;
    (p, interceptor)
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

/// The provider's folder: (relative path, content), sorted by path.
fn folder_files(p: &Pair, test: &str) -> Vec<(String, Vec<u8>)> {
    let root = p.env.dir.join(format!("{test}-verkehr.csv"));
    ["2024/januar.csv", "liesmich.txt", "zaehlstellen.csv"]
        .iter()
        .map(|rel| {
            (
                (*rel).to_owned(),
                std::fs::read(root.join(rel)).expect("file"),
            )
        })
        .collect()
}

/// The audit entries of `kind` about `process`, once they satisfy `ready` (an entry recorded
/// with a state change reaches the log just after it, see [`support::wait_audit`]).
async fn entries(
    c: &tests::harness::TestConnector,
    kind: &str,
    process: &str,
    ready: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    support::wait_audit(
        c,
        &format!("kind={kind}&process={}", support::urlencode(process)),
        kind,
        ready,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_completion_refused_once_continues_the_push_and_both_complete() {
    let test = "transfer_push_completion_once";
    let (p, front) = pair(test).await;
    let files = folder_files(&p, test);
    let total: u64 = files.iter().map(|f| f.1.len() as u64).sum();
    front.drop.store(1, Ordering::SeqCst);
    let id = start_push(&p).await;
    let t = p
        .wait_consumer(&id, "COMPLETED with the folder", |t| {
            t["state"] == "COMPLETED" && t["received"].as_array().is_some_and(|a| a.len() == 3)
        })
        .await;
    for (f, (rel, data)) in t["received"]
        .as_array()
        .expect("received")
        .iter()
        .zip(&files)
    {
        assert_eq!(f["path"], rel.as_str(), "{t}");
        assert_eq!(f["sha256"], sha256_hex(data).as_str(), "{t}");
        let stored = std::fs::read(f["stored_at"].as_str().expect("stored_at")).expect("stored");
        assert!(stored == *data, "{rel} is the provider's");
    }
    let pt = p.provider_transfer(&id).await;
    let pid = pt["id"].as_str().expect("id").to_owned();
    let pt = wait_transfer(&p.provider, &pid, "COMPLETED", |t| {
        t["state"] == "COMPLETED"
    })
    .await;
    assert_eq!(front.dropped.load(Ordering::SeqCst), 1);
    let answers = front.completions.lock().expect("lock").clone();
    assert!(
        answers.len() == 2 && answers[0] == 400 && (200..300).contains(&answers[1]),
        "the first completion was refused by the consumer, the second accepted: {answers:?}"
    );
    assert_eq!(pt["progress"]["completion_refusals"], 1, "{pt}");
    assert!(pt["progress"]["last_error"].is_null(), "{pt}");

    // The consumer said why; the provider recorded it and what it decided.
    let refused: Vec<Value> = entries(&p.consumer, "policy_decision", &id, |log| {
        log.iter()
            .any(|e| e["details"]["decision"] == "refuse_completion")
    })
    .await
    .into_iter()
    .filter(|e| e["details"]["decision"] == "refuse_completion")
    .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["details"]["code"], "data_incomplete");
    assert!(
        refused[0]["details"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("2 of 3 files"),
        "{}",
        refused[0]
    );
    let decided = entries(&p.provider, "policy_decision", &pid, |log| {
        log.iter()
            .any(|e| e["details"]["decision"] == "continue_push")
    })
    .await;
    let decision = decided
        .iter()
        .find(|e| e["details"]["decision"] == "continue_push")
        .unwrap_or_else(|| panic!("no continue_push decision: {decided:?}"));
    let what = decision["details"]["completion_refused"]
        .as_str()
        .unwrap_or("");
    assert!(
        what.contains("HTTP 400") && what.contains("2 of 3 files"),
        "the provider names the consumer's refusal: {decision}"
    );
    // The second round asked for every file and sent only the missing one.
    let ends = entries(&p.provider, "data_access_end", &pid, |_| true).await;
    let done: Vec<&Value> = ends
        .iter()
        .filter(|e| e["details"]["complete"] == true)
        .collect();
    assert_eq!(done.len(), 2, "{ends:?}");
    let last = done[1];
    let missing = files[2].1.len() as u64;
    assert_eq!(last["details"]["bytes"], missing, "{last}");
    assert_eq!(
        last["details"]["kept_by_receiver"],
        total - missing,
        "{last}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_completion_refused_every_time_terminates_both_sides_with_the_reason() {
    let test = "transfer_push_completion_never";
    let (p, front) = pair(test).await;
    front.drop.store(usize::MAX, Ordering::SeqCst);
    let id = start_push(&p).await;
    let pt = p.provider_transfer(&id).await;
    let pid = pt["id"].as_str().expect("id").to_owned();
    let pt = wait_transfer(&p.provider, &pid, "TERMINATED", |t| {
        t["state"] == "TERMINATED"
    })
    .await;
    let t = p
        .wait_consumer(&id, "TERMINATED", |t| t["state"] == "TERMINATED")
        .await;
    assert_eq!(
        *front.completions.lock().expect("lock"),
        vec![400, 400, 400],
        "three completions (dataplane.max_attempts), each refused"
    );
    assert_eq!(front.dropped.load(Ordering::SeqCst), 3);
    for (side, t) in [("provider", &pt), ("consumer", &t)] {
        let end = &t["termination"];
        assert_eq!(end["by"], "provider", "{side}: {t}");
        assert_eq!(end["code"], "completion_refused", "{side}: {t}");
        let reasons = end["reasons"].to_string();
        assert!(
            reasons.contains("refused the completion 3 times") && reasons.contains("2 of 3 files"),
            "{side} states the consumer's reason: {reasons}"
        );
    }
    assert!(t["received"].as_array().is_none_or(|a| a.is_empty()), "{t}");
    // The last decision is recorded with the provider's TERMINATED.
    let decided = entries(&p.provider, "policy_decision", &pid, |log| {
        log.iter().any(|e| e["details"]["decision"] == "terminate")
    })
    .await;
    let kinds: Vec<&str> = decided
        .iter()
        .filter_map(|e| e["details"]["decision"].as_str())
        .filter(|d| matches!(*d, "continue_push" | "terminate"))
        .collect();
    assert_eq!(
        kinds,
        ["continue_push", "continue_push", "terminate"],
        "{decided:?}"
    );
    // What the consumer had staged is gone (the two files that arrived, the staging).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = names_below(&p.consumer.dir, &[".push", "januar.csv", "liesmich.txt"]);
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the staged push was not removed: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Paths below `dir` whose name is one of `names`.
fn names_below(dir: &std::path::Path, names: &[&str]) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if names.iter().any(|n| e.file_name() == *n) {
                out.push(path.clone());
            }
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    out
}
