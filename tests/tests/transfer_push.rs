//! `HttpData-PUSH` between two real connectors over TLS: the consumer names its own receiving
//! endpoint with a one-time token, the provider streams the file there with `Repr-Digest`,
//! the consumer stores it verified and the provider completes the transfer; an endpoint the
//! provider must not push to is refused with a clear reason; a push to a slow external
//! endpoint is cut when the provider terminates the transfer. Messages are captured for the
//! DSP validator like the other transfer tests.

#[path = "transfer_support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::StatusCode;
use futures_util::StreamExt;
use serde_json::{Value, json};
use support::{Pair, sha256_hex, wait_transfer};

async fn start_push(p: &Pair, extra: Value) -> String {
    let mut body = json!({"agreement_id": p.agreement, "format": "HttpData-PUSH"});
    if let (Some(m), Value::Object(e)) = (body.as_object_mut(), extra) {
        m.extend(e);
    }
    let (status, t) = p.consumer.post("/api/v1/transfers", &body).await;
    assert_eq!(status, 201, "push transfer: {t}");
    t["id"].as_str().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_push_arrives_verified_refuses_bad_endpoints_and_stops_on_termination() {
    let p = Pair::start_with(
        "transfer_push",
        24 * 1024 * 1024 + 7,
        json!({"abrufe": "10"}),
        |c| support::set_dataplane(c, "allow_local_push_endpoints", toml::Value::Boolean(true)),
    )
    .await;

    // 1. A push to the consumer connector's own endpoint arrives verified.
    let id = start_push(&p, json!({})).await;
    let t = p
        .wait_consumer(&id, "COMPLETED with data", |t| {
            t["state"] == "COMPLETED" && !t["received"].as_array().is_none_or(|a| a.is_empty())
        })
        .await;
    let f = &t["received"][0];
    assert_eq!(f["sha256"], sha256_hex(&p.data).as_str(), "{t}");
    let stored = std::fs::read(f["stored_at"].as_str().expect("stored")).expect("stored file");
    assert!(stored == p.data, "the stored file equals the provider's");
    let pt = p.provider_transfer(&id).await;
    let pt = wait_transfer(
        &p.provider,
        pt["id"].as_str().expect("id"),
        "COMPLETED",
        |t| t["state"] == "COMPLETED",
    )
    .await;
    assert_eq!(pt["format"], "HttpData-PUSH");
    let log = p.audit(&p.provider).await;
    let end = log
        .iter()
        .find(|e| e["kind"] == "data_access_end" && e["process"] == pt["id"])
        .expect("access end");
    assert_eq!(end["details"]["complete"], true, "{end}");
    assert_eq!(end["details"]["bytes"], p.data.len() as u64);
    // Recorded with the push's receipt, appended to the log by the audit writer just after.
    support::wait_audit(
        &p.consumer,
        &format!("process={}", support::urlencode(&id)),
        "data_received",
        |log| log.iter().any(|e| e["kind"] == "data_received"),
    )
    .await;
    // The one-time token opens nothing any more; a made-up one neither.
    let own = format!("https://localhost:{}/data/push/{}", p.consumer.dsp_port, id);
    let r = p
        .env
        .http
        .put(&own)
        .bearer_auth("erfunden")
        .header("repr-digest", "sha-256=:AAAA:")
        .body("x")
        .send()
        .await
        .expect("PUT");
    assert!(matches!(r.status().as_u16(), 401 | 404), "{}", r.status());

    // A push endpoint or token with another transfer type, or a token without an endpoint,
    // is refused by the consumer's API naming the field (nothing is started).
    for (body, field) in [
        (
            json!({"agreement_id": p.agreement, "push_endpoint": "https://daten.example.org/x"}),
            "push_endpoint",
        ),
        (
            json!({"agreement_id": p.agreement, "format": "HttpData-PULL", "push_token": "t"}),
            "push_token",
        ),
        (
            json!({"agreement_id": p.agreement, "format": "HttpData-PUSH", "push_token": "t"}),
            "push_token",
        ),
    ] {
        let (status, e) = p.consumer.post("/api/v1/transfers", &body).await;
        assert_eq!(status, 400, "{body}: {e}");
        assert!(e.to_string().contains(field), "{body}: {e}");
    }

    // 2. An endpoint that is not https is refused by the provider, with the reason.
    let refused = start_push(
        &p,
        json!({"push_endpoint": "http://daten.example.org/eingang", "push_token": "t"}),
    )
    .await;
    let t = p
        .wait_consumer(&refused, "TERMINATED", |t| t["state"] == "TERMINATED")
        .await;
    let why = t["termination"].to_string();
    assert!(why.contains("https"), "{why}");

    // 3. A push to a slow external endpoint is cut when the provider terminates it. The
    // endpoint reads at a pace the test sets (512 KiB/s whatever the size of the chunks: the
    // 24 MiB would take 48 s), so the push is still running when the termination comes.
    const READ_BYTES_PER_SEC: u64 = 512 * 1024;
    let received = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    // How the body ended at the endpoint: 0 still arriving, 1 complete, 2 cut (an error).
    let ending = Arc::new(AtomicUsize::new(0));
    let (seen, count, ended_as) = (received.clone(), requests.clone(), ending.clone());
    let app = axum::Router::new().route(
        "/eingang",
        axum::routing::put(move |body: Body| {
            let (seen, count, ended_as) = (seen.clone(), count.clone(), ended_as.clone());
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                let mut stream = body.into_data_stream();
                while let Some(chunk) = stream.next().await {
                    match chunk {
                        Ok(c) => {
                            seen.fetch_add(c.len() as u64, Ordering::SeqCst);
                            let pause = c.len() as u64 * 1_000_000 / READ_BYTES_PER_SEC;
                            tokio::time::sleep(Duration::from_micros(pause)).await;
                        }
                        Err(_) => {
                            ended_as.store(2, Ordering::SeqCst);
                            return StatusCode::BAD_REQUEST;
                        }
                    }
                }
                ended_as.store(1, Ordering::SeqCst);
                StatusCode::CREATED
            }
        }),
    );
    let port = p
        .env
        .serve_https_on_any_port("external-endpoint", app)
        .await;
    let cut = start_push(
        &p,
        json!({"push_endpoint": format!("https://localhost:{port}/eingang"),
               "push_token": "extern-abc"}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while received.load(Ordering::SeqCst) < 512 * 1024 {
        assert!(Instant::now() < deadline, "the push never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pt = p.provider_transfer(&cut).await;
    let pid = pt["id"].as_str().expect("id").to_owned();
    let (status, ended) = p
        .provider
        .post(
            &format!("/api/v1/transfers/{}/terminate", support::urlencode(&pid)),
            &json!({"reasons": ["Test: Abbruch"]}),
        )
        .await;
    assert_eq!(status, 200, "{ended}");
    let at_termination = received.load(Ordering::SeqCst);
    // The provider stops sending at once; what it had handed to the kernel before the cut
    // (socket buffers, a few MiB over HTTP/1.1 on loopback) still drains to the slow reader,
    // and then the body ends cut, never complete.
    let deadline = Instant::now() + Duration::from_secs(60);
    while ending.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the cut body never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = received.load(Ordering::SeqCst);
    assert_eq!(
        ending.load(Ordering::SeqCst),
        2,
        "the endpoint saw a cut body, not a complete one ({after} bytes, {at_termination} at termination)"
    );
    assert!(
        after < p.data.len() as u64,
        "the whole file arrived ({after} bytes): the push was not cut"
    );
    // The provider records the push's end after it dropped the request, which the endpoint
    // may see first.
    let ends = support::wait_audit(
        &p.provider,
        "kind=data_access_end",
        "end of the cut push",
        |ends| ends.iter().any(|e| e["process"] == pid.as_str()),
    )
    .await;
    let end = ends
        .iter()
        .find(|e| e["process"] == pid.as_str())
        .cloned()
        .expect("access end of the cut push");
    assert_eq!(end["details"]["complete"], false, "{end}");
    p.wait_consumer(&cut, "TERMINATED", |t| t["state"] == "TERMINATED")
        .await;
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "no retry after a termination"
    );
}
