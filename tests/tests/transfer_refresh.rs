//! Access token renewal of `HttpData-PULL` transfers between two real connectors over TLS:
//! the start message's data address carries `refreshEndpoint` and `refreshToken` (and still
//! validates against DSP 2025-1); a renewal gives a new access token (the old one stops
//! working) and a new refresh token; the used one is accepted once more while its successor
//! is unused and within the grace window (a lost answer: successor and its access token are
//! revoked), and refused as a replay a third time, once its successor was used, or after the
//! window; another member cannot renew; after termination nothing is renewed; every renewal
//! and refusal is in the provider's audit log. A pull whose token expired resumes after a cut
//! by renewing; a consumer whose renewal answer was lost renews with its old refresh token
//! and completes.

#[path = "transfer_support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Pair, urlencode, wait_transfer};
use tests::harness::{Member, Peer, PeerAuth};

/// `POST {endpoint}` with the refresh token and the caller token; status and JSON answer.
async fn renew(p: &Pair, endpoint: &str, refresh_token: &str, caller: &str) -> (u16, Value) {
    let r = p
        .env
        .http
        .post(endpoint)
        .header("x-dsp-caller", caller)
        .json(&json!({"refresh_token": refresh_token}))
        .send()
        .await
        .expect("renewal request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A fresh caller token of the consumer for the provider (each works once).
async fn fresh_caller(p: &Pair, transfer: &str) -> String {
    p.ticket(transfer).await["caller"]
        .as_str()
        .expect("caller")
        .to_owned()
}

/// The DSP messages of `type_` captured so far (both sides).
fn captured(p: &Pair, type_: &str) -> Vec<(std::path::PathBuf, Value)> {
    let mut out = Vec::new();
    let mut dirs = vec![p.env.capture.dir().clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path)
                && let Ok(v) = serde_json::from_str::<Value>(&text)
                && v["@type"] == type_
            {
                out.push((path, v));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_refresh_rotates_tokens_and_refuses_replays_strangers_and_ended_transfers() {
    const GRACE_SECS: u64 = 5;
    let p = Pair::start_with(
        "transfer_refresh",
        1024 * 1024,
        json!({"abrufe": "10"}),
        |c| {
            support::set_dataplane(
                c,
                "refresh_grace_secs",
                toml::Value::Integer(GRACE_SECS as i64),
            )
        },
    )
    .await;
    let a = p.transfer(true).await;
    p.wait_consumer(&a, "STARTED", |t| t["state"] == "STARTED")
        .await;
    let ticket = p.ticket(&a).await;
    let endpoint = ticket["endpoint"].as_str().expect("endpoint").to_owned();
    let old_access = ticket["authorization"].as_str().expect("token").to_owned();
    let refresh_endpoint = ticket["refresh_endpoint"]
        .as_str()
        .expect("refresh endpoint in the ticket")
        .to_owned();
    let first_refresh = ticket["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    assert!(refresh_endpoint.ends_with("/refresh"), "{refresh_endpoint}");

    // The start message names both properties and is valid DSP 2025-1.
    let starts = captured(&p, "TransferStartMessage");
    let (path, start) = starts
        .iter()
        .find(|(_, m)| {
            m["dataAddress"]["endpointProperties"]
                .to_string()
                .contains("refreshEndpoint")
        })
        .expect("a captured start message with refreshEndpoint");
    let names: Vec<&str> = start["dataAddress"]["endpointProperties"]
        .as_array()
        .expect("properties")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in [
        "authorization",
        "expiresAt",
        "refreshEndpoint",
        "refreshToken",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let out = std::process::Command::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/tools/validate-dsp-message"
    ))
    .arg(path)
    .output()
    .expect("run validate-dsp-message");
    assert!(
        out.status.success(),
        "the start message validates: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // A renewal: new access token, new refresh token, an expiry.
    let (status, renewed) = renew(
        &p,
        &refresh_endpoint,
        &first_refresh,
        ticket["caller"].as_str().expect("caller"),
    )
    .await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(renewed["token_type"], "Bearer");
    assert!(renewed["expires_in"].as_i64().expect("expires_in") > 0);
    assert!(renewed["expires_at"].is_string(), "{renewed}");
    let new_access = format!(
        "Bearer {}",
        renewed["access_token"].as_str().expect("access token")
    );
    let second_refresh = renewed["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    assert_ne!(new_access, old_access);
    assert_ne!(second_refresh, first_refresh);

    // The old access token no longer opens the data; the new one does.
    let caller = p.ticket(&a).await["caller"]
        .as_str()
        .expect("caller")
        .to_owned();
    let r = p.get_data(&endpoint, &old_access, &caller, None).await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("JSON");
    assert_eq!(body["code"], "invalid_token", "{body}");
    let caller = p.ticket(&a).await["caller"]
        .as_str()
        .expect("caller")
        .to_owned();
    let r = p
        .get_data(&endpoint, &new_access, &caller, Some("bytes=0-9"))
        .await;
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.expect("body").as_ref(), &p.data[..10]);

    // The consumer lost that answer: the used refresh token works once more (same consumer,
    // successor unused, within the window); the successor and the access token issued with
    // it are revoked, a fresh pair answered.
    let caller = fresh_caller(&p, &a).await;
    let (status, again) = renew(&p, &refresh_endpoint, &first_refresh, &caller).await;
    assert_eq!(status, 200, "the lost answer is repaired: {again}");
    let second_refresh_lost = second_refresh;
    let second_refresh = again["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    assert_ne!(second_refresh, second_refresh_lost);
    let caller = fresh_caller(&p, &a).await;
    let r = p.get_data(&endpoint, &new_access, &caller, None).await;
    assert_eq!(r.status(), 401, "the lost access token is revoked");
    let caller = fresh_caller(&p, &a).await;
    let (status, body) = renew(&p, &refresh_endpoint, &second_refresh_lost, &caller).await;
    assert_eq!(status, 401, "the lost successor is revoked: {body}");
    assert_eq!(body["code"], "invalid_refresh_token", "{body}");
    // A third use of the first refresh token is a replay.
    let caller = fresh_caller(&p, &a).await;
    let (status, body) = renew(&p, &refresh_endpoint, &first_refresh, &caller).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "refresh_token_replayed", "{body}");
    assert!(body["reason"].to_string().contains("once more"), "{body}");

    // Another member with its own valid credential and the stolen refresh token.
    let thief = Peer::start(
        &p.env,
        Member::municipality("Stadt Anderswo", "09162000"),
        PeerAuth::Token,
    )
    .await;
    let thief_caller = format!("Bearer {}", thief.participant.token(&p.provider.did));
    let (status, body) = renew(&p, &refresh_endpoint, &second_refresh, &thief_caller).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "wrong_consumer", "{body}");
    // ... which did not use it up: the consumer still renews with it.
    let caller = p.ticket(&a).await["caller"]
        .as_str()
        .expect("caller")
        .to_owned();
    let (status, renewed) = renew(&p, &refresh_endpoint, &second_refresh, &caller).await;
    assert_eq!(status, 200, "{renewed}");
    let third_refresh = renewed["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    // Its successor used, the second refresh token is a replay (even within the window).
    let caller = fresh_caller(&p, &a).await;
    let (status, renewed) = renew(&p, &refresh_endpoint, &third_refresh, &caller).await;
    assert_eq!(status, 200, "{renewed}");
    let fourth_refresh = renewed["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let caller = fresh_caller(&p, &a).await;
    let (status, body) = renew(&p, &refresh_endpoint, &second_refresh, &caller).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "refresh_token_replayed", "{body}");
    assert!(
        body["reason"]
            .to_string()
            .contains("successor has been used"),
        "{body}"
    );
    // After the window the third one is a replay although its successor is unused.
    tokio::time::sleep(Duration::from_millis(GRACE_SECS * 1000 + 500)).await;
    let caller = fresh_caller(&p, &a).await;
    let (status, body) = renew(&p, &refresh_endpoint, &third_refresh, &caller).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "refresh_token_replayed", "{body}");
    assert!(
        body["reason"].to_string().contains("only within 5 s"),
        "{body}"
    );

    // After termination nothing is renewed, and the refusal says why.
    let (status, t) = p
        .consumer
        .post(
            &format!("/api/v1/transfers/{}/terminate", urlencode(&a)),
            &json!({"reasons": ["Test"]}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    let pa = p.provider_transfer(&a).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    wait_transfer(&p.provider, &pa, "TERMINATED", |t| {
        t["state"] == "TERMINATED"
    })
    .await;
    let caller = p.ticket(&a).await["caller"]
        .as_str()
        .expect("caller")
        .to_owned();
    let (status, body) = renew(&p, &refresh_endpoint, &fourth_refresh, &caller).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "not_started", "{body}");
    assert!(body["reason"].to_string().contains("TERMINATED"), "{body}");

    // The provider's audit log: four renewals (one after a lost answer), and each refusal
    // with its code. Each is staged in the store as it is answered and appended to the log by
    // the audit writer just after (the last refusal was answered a moment ago).
    let is_renewal =
        |e: &Value| e["process"] == pa.as_str() && e["details"]["event"] == "token_renewed";
    let by_agreement = format!("agreement={}", urlencode(&p.agreement));
    let log = support::wait_audit(&p.provider, &by_agreement, "four renewals", |log| {
        log.iter().filter(|e| is_renewal(e)).count() >= 4
    })
    .await;
    let renewals: Vec<&Value> = log.iter().filter(|e| is_renewal(e)).collect();
    assert_eq!(renewals.len(), 4, "{log:?}");
    assert_eq!(
        renewals
            .iter()
            .filter(|e| e["details"]["lost_answer"] == true)
            .count(),
        1,
        "{renewals:?}"
    );
    let expected = [
        "invalid_refresh_token",
        "refresh_token_replayed",
        "wrong_consumer",
        "not_started",
    ];
    let renewal_codes = |refused: &[Value]| -> Vec<String> {
        refused
            .iter()
            .filter(|e| e["details"]["renewal"] == true)
            .filter_map(|e| e["details"]["code"].as_str().map(str::to_owned))
            .collect()
    };
    support::wait_audit(
        &p.provider,
        "kind=access_refused",
        &format!("a refused renewal with each of the codes {expected:?}"),
        |refused| {
            let codes = renewal_codes(refused);
            expected.iter().all(|c| codes.iter().any(|x| x == c))
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_refresh_lets_a_pull_resume_after_its_token_expired() {
    const SIZE: usize = 192 * 1024 * 1024;
    let mut p = Pair::start_with("transfer_refresh_resume", SIZE, json!({}), |c| {
        support::set_dataplane(c, "token_lifetime_secs", toml::Value::Integer(2))
    })
    .await;
    let id = p.transfer(false).await;
    // Cut in the middle: the consumer is killed while data moves ...
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, t) = p
            .consumer
            .get(&format!("/api/v1/transfers/{}", urlencode(&id)))
            .await;
        assert!(
            t["progress"]["done_ms"].is_null(),
            "the transfer finished before it could be cut; use a larger file"
        );
        if t["progress"]["bytes"].as_u64().unwrap_or(0) >= (SIZE / 20) as u64 {
            break;
        }
        assert!(Instant::now() < deadline, "no progress: {t}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    p.consumer.kill9();
    // ... and comes back after its access token (2 s) expired.
    tokio::time::sleep(Duration::from_secs(3)).await;
    p.consumer.spawn().await;
    p.completed_and_verified(&id).await;

    // The provider refused the expired token once, renewed it, then served the rest.
    let (pid, log) = p.provider_audit_of(&id).await;
    let refused_at = log
        .iter()
        .position(|e| {
            e["kind"] == "access_refused"
                && e["process"] == pid.as_str()
                && e["details"]["code"] == "token_expired"
        })
        .unwrap_or_else(|| panic!("the expired token was refused: {log:?}"));
    let renewed_at = log
        .iter()
        .position(|e| e["process"] == pid.as_str() && e["details"]["event"] == "token_renewed")
        .unwrap_or_else(|| panic!("the token was renewed: {log:?}"));
    assert!(refused_at < renewed_at, "refused, then renewed");
    assert!(
        log[renewed_at..].iter().any(|e| e["kind"] == "data_access"
            && e["process"] == pid.as_str()
            && e["details"]["request"]["range"]
                .as_str()
                .is_some_and(|r| r.starts_with("bytes="))),
        "the download resumed with Range after the renewal: {log:?}"
    );
    // The consumer recorded its renewal too (staged with it, in the log just after).
    support::wait_audit(
        &p.consumer,
        &format!("process={}", urlencode(&id)),
        "the consumer's renewal",
        |own| own.iter().any(|e| e["details"]["event"] == "token_renewed"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_refresh_repairs_a_renewal_whose_answer_the_consumer_lost() {
    const SIZE: usize = 4 * 1024 * 1024;
    let p = Pair::start_with("transfer_refresh_lost", SIZE, json!({}), |c| {
        support::set_dataplane(c, "token_lifetime_secs", toml::Value::Integer(2))
    })
    .await;
    let id = p.transfer(true).await;
    p.wait_consumer(&id, "STARTED", |t| t["state"] == "STARTED")
        .await;
    let ticket = p.ticket(&id).await;
    // The access token expires; the consumer's renewal reaches the provider, which answers,
    // but the consumer never stores the answer (here the test makes that renewal with the
    // consumer's own refresh token and caller token, and drops the answer).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (status, lost) = renew(
        &p,
        ticket["refresh_endpoint"]
            .as_str()
            .expect("refresh endpoint"),
        ticket["refresh_token"].as_str().expect("refresh token"),
        ticket["caller"].as_str().expect("caller"),
    )
    .await;
    assert_eq!(status, 200, "{lost}");
    // The consumer, with its revoked access token and used refresh token, fetches.
    let (status, t) = p
        .consumer
        .post(
            &format!("/api/v1/transfers/{}/fetch", urlencode(&id)),
            &json!({}),
        )
        .await;
    assert_eq!(status, 202, "{t}");
    p.completed_and_verified(&id).await;
    // Provider: the revoked token refused, then the renewal after the lost answer, then data.
    let (_, log) = p.provider_audit_of(&id).await;
    let refused_at = log
        .iter()
        .position(|e| e["kind"] == "access_refused" && e["details"]["code"] == "invalid_token")
        .unwrap_or_else(|| panic!("the revoked token was refused: {log:?}"));
    let repaired_at = log
        .iter()
        .position(|e| {
            e["details"]["event"] == "token_renewed" && e["details"]["lost_answer"] == true
        })
        .unwrap_or_else(|| panic!("renewed after the lost answer: {log:?}"));
    assert!(refused_at < repaired_at, "refused, then renewed: {log:?}");
    assert!(
        log[repaired_at..]
            .iter()
            .any(|e| e["kind"] == "data_access"),
        "the data was served after the renewal: {log:?}"
    );
}
