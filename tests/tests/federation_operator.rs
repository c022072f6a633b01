//! The federation with a broker whose operator decides on join requests, the real `broker`
//! and two real `connector` binaries over TLS: a pending request is a clear state until
//! `broker participants approve`; `connector join --wait` returns once approved; with the
//! broker down, negotiation between members still works point to point and publication
//! retries (also across a restart of the connector) until the broker is back; a revoked
//! member's new negotiations fail with a clear reason.

mod federation_support;

use std::process::Command;
use std::time::{Duration, Instant};

use federation_support::*;
use tests::broker::{BrokerOptions, TestBroker};
use tests::harness::binaries::connector_binary;
use tests::harness::{ConnectorOptions, TestConnector, TestEnv};

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

    // Published while the broker is up.
    offer(
        &provider,
        "mobilitaetsdaten-verkehrsplanung",
        traffic_asset(),
    )
    .await;
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
