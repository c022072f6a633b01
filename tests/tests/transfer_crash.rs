//! Data keeps its integrity through interruptions: `kill -9` of the provider or of the
//! consumer in the middle of a pull, and a suspension and restart by the provider while data
//! moves. Each time the consumer resumes with HTTP Range where it stopped, and the stored
//! file's SHA-256 is the provider's.

#[path = "transfer_support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Pair, urlencode};

const SIZE: usize = 256 * 1024 * 1024;

/// Waits until the consumer's transfer has moved at least `min` bytes but is not done.
async fn midway(p: &Pair, id: &str, min: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, t) = p
            .consumer
            .get(&format!("/api/v1/transfers/{}", urlencode(id)))
            .await;
        let bytes = t["progress"]["bytes"].as_u64().unwrap_or(0);
        assert!(
            t["progress"]["done_ms"].is_null(),
            "the transfer finished before it could be interrupted; use a larger file"
        );
        if bytes >= min {
            return bytes;
        }
        assert!(Instant::now() < deadline, "no progress: {t}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The provider's logged accesses for the agreement, with their Range headers.
async fn ranges(p: &Pair) -> Vec<Value> {
    p.audit(&p.provider)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "data_access")
        .map(|e| e["details"]["request"]["range"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_resumes_after_the_provider_is_killed_mid_stream() {
    let mut p = Pair::start("transfer_kill_provider", SIZE, json!({})).await;
    let id = p.transfer(false).await;
    midway(&p, &id, (SIZE / 20) as u64).await;
    p.provider.kill9();
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.provider.spawn().await;
    p.completed_and_verified(&id).await;
    let r = ranges(&p).await;
    assert!(r.len() >= 2, "{r:?}");
    assert!(
        r[0].is_null(),
        "the first request asks for everything: {r:?}"
    );
    assert!(
        r.iter().skip(1).any(|v| v
            .as_str()
            .is_some_and(|s| s.starts_with("bytes=") && s != "bytes=0-")),
        "a later request resumes with Range: {r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_resumes_after_the_consumer_is_killed_mid_stream() {
    let mut p = Pair::start("transfer_kill_consumer", SIZE, json!({})).await;
    let id = p.transfer(false).await;
    midway(&p, &id, (SIZE / 20) as u64).await;
    p.consumer.kill9();
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.consumer.spawn().await;
    p.completed_and_verified(&id).await;
    let r = ranges(&p).await;
    assert!(
        r.iter()
            .any(|v| v.as_str().is_some_and(|s| s.starts_with("bytes="))),
        "the restarted consumer resumed with Range: {r:?}"
    );
    let (ok, out, err) = p.consumer.cli(&["audit", "verify"]);
    assert!(ok, "the consumer's audit log survived kill -9: {out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_suspended_and_restarted_by_the_provider_resumes_with_a_new_token() {
    let p = Pair::start("transfer_suspend_restart", SIZE, json!({})).await;
    let id = p.transfer(false).await;
    let pt = p.provider_transfer(&id).await;
    let pid = pt["id"].as_str().expect("id").to_owned();
    midway(&p, &id, (SIZE / 20) as u64).await;
    let (status, t) = p
        .provider
        .post(
            &format!("/api/v1/transfers/{}/suspend", urlencode(&pid)),
            &json!({"reasons": ["Wartung"]}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    let c = p
        .wait_consumer(&id, "SUSPENDED", |t| t["state"] == "SUSPENDED")
        .await;
    let before = c["progress"]["bytes"].as_u64().unwrap_or(0);
    // While suspended the old token opens nothing.
    let ticket = p.ticket(&id).await;
    let r = p
        .get_data(
            ticket["endpoint"].as_str().expect("endpoint"),
            ticket["authorization"].as_str().expect("token"),
            ticket["caller"].as_str().expect("caller"),
            None,
        )
        .await;
    assert_eq!(r.status(), 409);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, t) = p
        .provider
        .post(
            &format!("/api/v1/transfers/{}/resume", urlencode(&pid)),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    p.completed_and_verified(&id).await;
    assert!(before < SIZE as u64);
    let r = ranges(&p).await;
    assert!(
        r.iter()
            .any(|v| v.as_str().is_some_and(|s| s.starts_with("bytes="))),
        "the restart resumed with Range: {r:?}"
    );
    let (_, starts) = p
        .provider
        .get(&format!("/api/v1/transfers/{}", urlencode(&pid)))
        .await;
    let n = starts["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["message"] == "start")
        .count();
    assert_eq!(n, 2, "started, then restarted: {starts}");
}
