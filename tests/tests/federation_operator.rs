//! The federation with a broker whose operator decides on join requests, the real `broker`
//! and two real `connector` binaries over TLS: a pending request is a clear state until
//! `broker participants approve`; `connector join --wait` returns once approved; with the
//! broker down, negotiation between members still works point to point and publication
//! retries (also across a restart of the connector) until the broker is back, and a transfer
//! under the agreement made meanwhile completes point to point with its digest verified; a
//! revoked member's new negotiations fail with a clear reason.

mod federation_support;

use std::process::Command;
use std::time::{Duration, Instant};

use federation_support::*;
use tests::broker::{BrokerOptions, TestBroker};
use tests::harness::binaries::connector_binary;
use tests::harness::{ConnectorOptions, TestConnector, TestEnv};

/// Percent-encodes a path segment.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federation_operator_approval_broker_outage_and_revocation() {
    let mut broker = TestBroker::start(
        "federation-operator",
        BrokerOptions {
            dev: false,
            ..Default::default()
        },
    )
    .await;
    let env = TestEnv::new("federation_operator");
    let mut provider = TestConnector::start(
        &env,
        ConnectorOptions::company("op-stadtwerke").with_broker(broker.link()),
    )
    .await;
    let consumer = TestConnector::start(
        &env,
        ConnectorOptions::municipality("op-musterstadt").with_broker(broker.link()),
    )
    .await;

    // A join request waits for the operator; the connector says so.
    let (ok, out, err) = provider.cli(&["join", "--broker", &broker.url, "--type", "company"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("waits for the federation operator"), "{out}");
    let (ok, out, _) = provider.cli(&["join", "--status"]);
    assert!(ok && out.contains("waits"), "{out}");
    let f = wait_federation(&provider, "pending", 10, |v| {
        v["membership"]["state"] == "pending"
    })
    .await;
    assert!(
        f["membership"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not a member yet") && m.contains("approval")),
        "{f}"
    );
    let (ok, out, err) = broker.cli(&["participants", "approve", &provider.did]);
    assert!(ok, "{out}{err}");
    // The running connector asks the broker itself and installs the credential.
    wait_member(&provider).await;
    assert!(provider.dir.join("membership.jwt").exists());

    // `connector join --wait` returns once the operator approves.
    let config = consumer.dir.join("connector.toml");
    let url = broker.url.clone();
    let waiting = std::thread::spawn(move || {
        Command::new(connector_binary())
            .arg("--config")
            .arg(&config)
            .args([
                "join",
                "--broker",
                &url,
                "--type",
                "municipality",
                "--ags",
                "09162000",
                "--wait",
                "600",
                "--poll-secs",
                "1",
            ])
            .output()
            .expect("connector join")
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, out, _) = broker.cli(&["participants", "list", "--status", "pending"]);
        if out.contains(&consumer.did) {
            break;
        }
        assert!(Instant::now() < deadline, "the join request never arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (ok, out, err) = broker.cli(&["participants", "approve", &consumer.did]);
    assert!(ok, "{out}{err}");
    let joined = waiting.join().expect("join thread");
    let stdout = String::from_utf8_lossy(&joined.stdout);
    assert!(
        joined.status.success() && stdout.contains("Member of the federation"),
        "{stdout}{}",
        String::from_utf8_lossy(&joined.stderr)
    );
    wait_member(&consumer).await;

    // Published while the broker is up; the dataset is a real file of the provider.
    let data: Vec<u8> = (0..3 * 1024 * 1024 + 5)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let data_file = env.dir.join("verkehr-2024.csv");
    std::fs::write(&data_file, &data).expect("data file");
    let mut traffic = traffic_asset();
    traffic["source"]["file"] = data_file.display().to_string().into();
    offer(&provider, "mobilitaetsdaten-verkehrsplanung", traffic).await;
    wait_federation(&provider, "published", 15, |v| {
        v["publication"]["datasets"] == 1
    })
    .await;

    // The broker goes down: a change cannot be published and is retried with back-off …
    assert!(broker.terminate(), "broker stopped");
    offer(
        &provider,
        "mobilitaetsdaten-verkehrsplanung",
        parking_asset(),
    )
    .await;
    let f = wait_federation(&provider, "failing", 15, |v| {
        v["publication"]["failures"].as_u64().unwrap_or(0) >= 2
    })
    .await;
    assert!(
        f["publication"]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot reach the broker")),
        "{f}"
    );
    let (ok, out, _) = provider.cli(&["status"]);
    assert!(
        ok && out.contains("Last error:   cannot reach the broker"),
        "{out}"
    );
    // … while the members still negotiate point to point; the register entry waits.
    negotiate_finalized(
        &consumer,
        &provider,
        "verkehrszaehlung-2024",
        "gwd:Verkehrsplanung",
    )
    .await;
    let (_, agreements) = provider.get("/api/v1/agreements").await;
    let agreement_id = agreements[0]["id"].as_str().expect("id").to_owned();
    let waiting = wait_register(&provider, &agreement_id, "pending", 10).await;
    assert!(
        waiting["register"]["summary"]["consumer"] == consumer.did.as_str(),
        "{waiting}"
    );
    // … and data moves under the new agreement, point to point, verified (HttpData-PULL,
    // SHA-256 of the provider's file checked by the consumer).
    let (status, t) = consumer
        .post(
            "/api/v1/transfers",
            &serde_json::json!({"agreement_id": agreement_id}),
        )
        .await;
    assert_eq!(status, 201, "transfer with the broker down: {t}");
    let transfer_id = t["id"].as_str().expect("id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    let t = loop {
        let (_, t) = consumer
            .get(&format!("/api/v1/transfers/{}", encode(&transfer_id)))
            .await;
        if t["state"] == "COMPLETED" && !t["progress"]["done_ms"].is_null() {
            break t;
        }
        assert!(
            t["state"] != "TERMINATED" && Instant::now() < deadline,
            "the transfer did not complete with the broker down: {t}\n{}",
            consumer.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&data))
    };
    assert_eq!(t["received"][0]["sha256"], sha256.as_str(), "{t}");
    let stored = std::fs::read(t["received"][0]["stored_at"].as_str().expect("stored"))
        .expect("stored file");
    assert!(stored == data, "the stored file equals the provider's");
    // A restart of the connector keeps the pending publication.
    assert!(provider.terminate(), "provider stopped");
    provider.spawn().await;
    let (_, f) = provider.get("/api/v1/federation").await;
    assert!(
        f["publication"]["failures"].as_u64().unwrap_or(0) >= 2,
        "the failed attempts are remembered: {f}"
    );
    // The broker is back: the retry publishes both datasets.
    broker.spawn().await;
    wait_federation(&provider, "republished", 20, |v| {
        v["publication"]["datasets"] == 2 && v["publication"]["last_error"].is_null()
    })
    .await;
    wait_search(&broker, "q=Parkhausbelegung", 10, |v| {
        v["total"].as_u64() == Some(1)
    })
    .await;
    // … and the register submission made while it was down gets through.
    let registered = wait_register(&provider, &agreement_id, "registered", 20).await;
    assert!(
        registered["register"]["failures"].as_u64().unwrap_or(0) >= 1,
        "{registered}"
    );

    // Revocation: the consumer learns it from the revocation list; new negotiations fail
    // with the reason.
    let (ok, out, err) = broker.cli(&[
        "participants",
        "revoke",
        &consumer.did,
        "--reason",
        "Verstoß gegen die Charta",
    ]);
    assert!(ok, "{out}{err}");
    let f = wait_federation(&consumer, "revoked", 15, |v| {
        v["membership"]["state"] == "revoked"
    })
    .await;
    assert!(
        f["membership"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("revoked")),
        "{f}"
    );
    let (status, body) = start_negotiation(
        &consumer,
        &provider,
        "verkehrszaehlung-2024",
        "gwd:Verkehrsplanung",
    )
    .await;
    assert_eq!(status, 502, "{body}");
    assert!(body.to_string().contains("revoked"), "{body}");
    let (ok, out, _) = consumer.cli(&["status"]);
    assert!(ok && out.contains("Membership:   revoked"), "{out}");
}
