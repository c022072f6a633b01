//! Revocation of a consumer's membership ends all its transfers, not only running ones: a
//! transfer the provider is still preparing (REQUESTED) and a SUSPENDED one are terminated
//! as soon as the provider installs the new revocation list — TransferTerminationMessage with
//! `membership_revoked` and reasons naming the revocation, the policy decision in the audit
//! log — and neither starts afterwards. A restart and a new transfer request of the revoked
//! member are refused, naming the revocation.
//!
//! Both connectors are real processes; the dataset comes from an internal HTTP source the
//! test serves, which holds its answer while the test wants a transfer to stay REQUESTED.

#[path = "transfer_support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::routing::get;
use serde_json::{Value, json};
use support::{Pair, data_of, urlencode, wait_transfer};
use tests::harness::{Member, StatusListServer, TestEnv};

const PROVIDER_INDEX: u64 = 21;
const CONSUMER_INDEX: u64 = 22;
const PATH: &str = "/export/zaehlstellen.csv";

fn assert_revoked(t: &Value, by: &str, consumer_did: &str) {
    assert_eq!(t["state"], "TERMINATED", "{t}");
    assert_eq!(t["termination"]["by"], by, "{t}");
    assert_eq!(t["termination"]["code"], "membership_revoked", "{t}");
    let reasons = t["termination"]["reasons"].to_string();
    assert!(
        reasons.contains("revoked") && reasons.contains(consumer_did),
        "the reasons name the revocation and the member: {reasons}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_revocation_ends_requested_and_suspended_transfers_and_refuses_new_ones() {
    let test = "transfer_revocation_pending";
    let env = TestEnv::new(test);
    let list = StatusListServer::start(&env).await;

    // The internal source: answers at once, or holds its answer while `hold` is set.
    let hold = Arc::new(AtomicBool::new(false));
    let held = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(tokio::sync::Notify::new());
    let (h, n, r) = (hold.clone(), held.clone(), release.clone());
    let app = axum::Router::new().route(
        PATH,
        get(move || {
            let (h, n, r) = (h.clone(), n.clone(), r.clone());
            async move {
                if h.load(Ordering::SeqCst) {
                    n.fetch_add(1, Ordering::SeqCst);
                    r.notified().await;
                }
                data_of(64 * 1024)
            }
        }),
    );
    let port = env.serve_https_on_any_port("internal-source", app).await;
    let upstream = format!("https://localhost:{port}{PATH}");

    let consumer_settings = |env: &TestEnv, c: &tests::harness::TestConnector| {
        list.enrol(
            env,
            c,
            &Member::municipality("Stadt Musterstadt", "09162000"),
            CONSUMER_INDEX,
        );
    };
    let source_url = upstream.clone();
    let p = Pair::start_in(
        env,
        test,
        0,
        json!({"abrufe": "10"}),
        |env, c| {
            list.enrol(
                env,
                c,
                &Member::company("Stadtwerke Musterstadt GmbH"),
                PROVIDER_INDEX,
            );
            let mut source = toml::Table::new();
            source.insert("kind".into(), "http".into());
            source.insert("url".into(), source_url.into());
            support::set_config(c, "sources", "zaehlstellen", toml::Value::Table(source));
        },
        Some(&consumer_settings),
        Some(json!({"source": "zaehlstellen"})),
    )
    .await;

    // Transfer A: started, then suspended by the provider.
    let a = p.transfer(true).await;
    p.wait_consumer(&a, "STARTED", |t| t["state"] == "STARTED")
        .await;
    let pa = p.provider_transfer(&a).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, t) = p
        .provider
        .post(
            &format!("/api/v1/transfers/{}/suspend", urlencode(&pa)),
            &json!({"reasons": ["Wartung"]}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    p.wait_consumer(&a, "SUSPENDED", |t| t["state"] == "SUSPENDED")
        .await;

    // Transfer B: requested; the provider is still reading the source to describe it.
    hold.store(true, Ordering::SeqCst);
    let b = p.transfer(true).await;
    let pb = p.provider_transfer(&b).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while held.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the provider never read the source"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, t) = p
        .provider
        .get(&format!("/api/v1/transfers/{}", urlencode(&pb)))
        .await;
    assert_eq!(t["state"], "REQUESTED", "{t}");

    // The authority revokes the consumer's membership.
    list.publish(&[CONSUMER_INDEX]);
    let revoked_at = Instant::now();
    for pid in [&pa, &pb] {
        let t = wait_transfer(&p.provider, pid, "TERMINATED", |t| {
            t["state"] == "TERMINATED"
        })
        .await;
        assert_revoked(&t, "enforcement", &p.consumer.did);
    }
    println!(
        "requested and suspended transfers ended {:?} after the revocation was published",
        revoked_at.elapsed()
    );
    for id in [&a, &b] {
        let t = p
            .wait_consumer(id, "TERMINATED", |t| t["state"] == "TERMINATED")
            .await;
        assert_revoked(&t, "provider", &p.consumer.did);
    }

    // The source answers now: the ended transfer B does not start after all.
    hold.store(false, Ordering::SeqCst);
    release.notify_waiters();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, t) = p
        .provider
        .get(&format!("/api/v1/transfers/{}", urlencode(&pb)))
        .await;
    assert_eq!(t["state"], "TERMINATED", "{t}");
    let (_, t) = p
        .consumer
        .get(&format!("/api/v1/transfers/{}", urlencode(&b)))
        .await;
    assert_eq!(t["state"], "TERMINATED", "{t}");
    assert!(t["pull"].is_null(), "no start message arrived: {t}");

    // The provider's audit log has the decision for both (each staged with its TERMINATED
    // and appended to the log by the audit writer just after).
    for pid in [&pa, &pb] {
        support::wait_audit(
            &p.provider,
            &format!("process={}", urlencode(pid)),
            "revocation decision",
            |log| {
                log.iter().any(|e| {
                    e["kind"] == "policy_decision"
                        && e["details"]["code"] == "membership_revoked"
                        && e["details"]["permitted"] == false
                })
            },
        )
        .await;
    }

    // A restart of A is refused (it ended), and so is a new transfer of the revoked member.
    let (status, t) = p
        .consumer
        .post(
            &format!("/api/v1/transfers/{}/resume", urlencode(&a)),
            &json!({}),
        )
        .await;
    assert_ne!(status, 200, "a restart after the revocation: {t}");
    let (status, c) = p
        .consumer
        .post(
            "/api/v1/transfers",
            &json!({"agreement_id": p.agreement, "manual_fetch": true}),
        )
        .await;
    let refusal = if status == 201 {
        let t = p
            .wait_consumer(c["id"].as_str().expect("id"), "TERMINATED", |t| {
                t["state"] == "TERMINATED"
            })
            .await;
        t["termination"].clone()
    } else {
        c
    };
    assert!(
        refusal.to_string().contains("revoked"),
        "the refusal of a new transfer names the revocation: {refusal}"
    );
}
