//! Revocation of a consumer's membership while its transfer runs: the provider notices the
//! federation's new revocation list, cuts the running stream, invalidates the tokens,
//! terminates the transfer with a reason naming the revocation (the consumer sees it) and
//! records it; a new negotiation of the revoked member fails with "revoked".
//!
//! Both connectors are real processes with credentials from the test authority whose
//! revocation bits live in a status list the test serves over HTTPS.

#[path = "transfer_support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{Pair, wait_transfer};
use tests::harness::{Member, StatusListServer, TestEnv};

const PROVIDER_INDEX: u64 = 11;
const CONSUMER_INDEX: u64 = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_revocation_of_the_consumer_stops_its_running_pull_and_new_negotiations() {
    let test = "transfer_revocation";
    let env = TestEnv::new(test);
    let list = StatusListServer::start(&env).await;
    let consumer_settings = |env: &TestEnv, c: &tests::harness::TestConnector| {
        list.enrol(
            env,
            c,
            &Member::municipality("Stadt Musterstadt", "09162000"),
            CONSUMER_INDEX,
        );
    };
    let p = Pair::start_in(
        env,
        test,
        64 * 1024 * 1024,
        json!({}),
        |env, c| {
            list.enrol(
                env,
                c,
                &Member::company("Stadtwerke Musterstadt GmbH"),
                PROVIDER_INDEX,
            )
        },
        Some(&consumer_settings),
        None,
    )
    .await;

    // A pull, read slowly by the test with the consumer's ticket, is running.
    let id = p.transfer(true).await;
    p.wait_consumer(&id, "STARTED", |t| t["state"] == "STARTED")
        .await;
    let ticket = p.ticket(&id).await;
    let endpoint = ticket["endpoint"].as_str().expect("endpoint").to_owned();
    let authorization = ticket["authorization"].as_str().expect("token").to_owned();
    let mut stream = p
        .get_data(
            &endpoint,
            &authorization,
            ticket["caller"].as_str().expect("caller"),
            None,
        )
        .await;
    assert_eq!(stream.status(), 200);
    let mut received = 0usize;
    while received < 256 * 1024 {
        let chunk = stream.chunk().await.expect("chunk").expect("more data");
        received += chunk.len();
    }

    // The authority revokes the consumer's membership. The test goes on reading at a pace it
    // sets (512 KiB/s, whatever the size of the chunks: at most 15 MiB of the 64 MiB in the
    // 30 s it waits at most), so the stream cannot end by itself first.
    const READ_BYTES_PER_SEC: u64 = 512 * 1024;
    list.publish(&[CONSUMER_INDEX]);
    // Taken once the new list is served: the connector's delay is measured from here.
    let published_ms = chrono::Utc::now().timestamp_millis();
    let revoked_at = Instant::now();
    let cut_after = loop {
        match stream.chunk().await {
            Ok(Some(c)) => {
                received += c.len();
                let pause = c.len() as u64 * 1_000_000 / READ_BYTES_PER_SEC;
                tokio::time::sleep(Duration::from_micros(pause)).await;
            }
            Ok(None) => panic!("the whole file arrived ({received} bytes): the stream was not cut"),
            Err(_) => break revoked_at.elapsed(),
        }
        assert!(received < p.data.len());
        assert!(
            revoked_at.elapsed() < Duration::from_secs(30),
            "the stream still runs 30 s after the revocation"
        );
    };
    // How long the test's slow reading took to see the cut includes the socket buffers it
    // drains (and the test's own scheduling): shown, not asserted. The bound below is on the
    // provider's own record of the termination.
    println!("the reader saw the cut {cut_after:?} after the revocation was published");

    // The provider terminated the transfer because of the revocation ...
    let pt = p.provider_transfer(&id).await;
    let pt = wait_transfer(
        &p.provider,
        pt["id"].as_str().expect("id"),
        "TERMINATED",
        |t| t["state"] == "TERMINATED",
    )
    .await;
    assert_eq!(pt["termination"]["by"], "enforcement", "{pt}");
    assert_eq!(pt["termination"]["code"], "membership_revoked", "{pt}");
    // The list is polled every second, the watch ticks every 250 ms: the provider terminated
    // the transfer well within 5 s of the publication (its record's time, not the test's).
    let stopped_ms = pt["termination"]["at_ms"].as_i64().expect("at_ms") - published_ms;
    assert!(
        stopped_ms < 5000,
        "the provider terminated the transfer {stopped_ms} ms after the revocation was published"
    );
    println!("the provider terminated the transfer {stopped_ms} ms after the publication");
    // ... and told the consumer, with the reason.
    let ct = p
        .wait_consumer(&id, "TERMINATED", |t| t["state"] == "TERMINATED")
        .await;
    assert_eq!(ct["termination"]["by"], "provider", "{ct}");
    assert_eq!(ct["termination"]["code"], "membership_revoked", "{ct}");
    let reasons = ct["termination"]["reasons"].to_string();
    assert!(
        reasons.contains("revoked") && reasons.contains(&p.consumer.did),
        "{reasons}"
    );
    // The token is no longer accepted (a fresh caller token from a new ticket).
    let again = p.ticket(&id).await;
    let r = p
        .get_data(
            &endpoint,
            &authorization,
            again["caller"].as_str().expect("caller"),
            None,
        )
        .await;
    assert!(
        matches!(r.status().as_u16(), 401 | 403),
        "a data request after the revocation: {}",
        r.status()
    );

    // The provider's audit log records the decision (staged with TERMINATED) and the
    // incomplete access (when the response body was dropped): both reach the log just after.
    let by_process = format!(
        "process={}",
        support::urlencode(pt["id"].as_str().expect("id"))
    );
    support::wait_audit(&p.provider, &by_process, "revocation decision", |log| {
        log.iter().any(|e| {
            e["kind"] == "policy_decision"
                && e["details"]["code"] == "membership_revoked"
                && e["details"]["permitted"] == false
        })
    })
    .await;
    let ends = support::wait_audit(&p.provider, &by_process, "access end", |log| {
        log.iter().any(|e| e["kind"] == "data_access_end")
    })
    .await;
    let end = ends
        .iter()
        .find(|e| e["kind"] == "data_access_end")
        .cloned()
        .expect("access end of the cut stream");
    assert_eq!(end["details"]["complete"], false, "{end}");

    // A new negotiation of the revoked member fails, naming the revocation.
    let (status, n) = p
        .consumer
        .post(
            "/api/v1/negotiations",
            &json!({"connector": p.provider.dsp_base(), "dataset_id": "verkehrszaehlung-2024",
                    "purpose": "gwd:Verkehrsplanung"}),
        )
        .await;
    let refusal = if status == 201 {
        let n = p
            .consumer
            .wait_state(n["id"].as_str().expect("id"), "TERMINATED", 30)
            .await;
        n["termination"].clone()
    } else {
        n
    };
    assert!(
        refusal.to_string().contains("revoked"),
        "the refusal names the revocation: {refusal}"
    );
}
