//! TCK contract negotiation scenarios with the connector as consumer (CN_C:01-01 …
//! CN_C:03-06): the test plays the TCK provider and triggers the negotiations through the
//! TCK endpoint of a connector in TCK mode.

use tests::harness::messages::{event, termination};
use tests::harness::tck::ConsumerScenario;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_01_01() {
    // contract request, offer received, consumer accepted, provider agreed, consumer verified,
    // provider finalized
    let s = ConsumerScenario::start("tck_cn_c_01_01", "CN_C_01_01").await;
    let (status, body) = s.send("offers", &s.offer_message()).await;
    assert_eq!(status, 200, "{body}");
    let accepted = s.expect("ContractNegotiationEventMessage", "events").await;
    assert_eq!(accepted.body["eventType"], "ACCEPTED");
    s.wait_state("ACCEPTED").await;
    let (status, body) = s.send("agreement", &s.agreement_message()).await;
    assert_eq!(status, 200, "{body}");
    s.expect(
        "ContractAgreementVerificationMessage",
        "agreement/verification",
    )
    .await;
    s.wait_state("VERIFIED").await;
    let (status, body) = s
        .send(
            "events",
            &event(&s.provider_pid, &s.consumer_pid, "FINALIZED"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("FINALIZED").await;
    // In TCK mode the connector also holds the agreements the TCK's transfer scenarios start
    // from; this negotiation's dataset has exactly one.
    let (_, list) = s.connector.get("/api/v1/agreements").await;
    let ours = list.as_array().map(|a| {
        a.iter()
            .filter(|g| g["dataset_id"] == s.dataset.as_str())
            .count()
    });
    assert_eq!(ours, Some(1), "the consumer stores the agreement: {list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_01_02() {
    // contract request, offer received, consumer counter-offer, provider terminated
    let s = ConsumerScenario::start("tck_cn_c_01_02", "CN_C_01_02").await;
    let (status, body) = s.send("offers", &s.offer_message()).await;
    assert_eq!(status, 200, "{body}");
    let counter = s.expect("ContractRequestMessage", "request").await;
    assert_eq!(counter.body["offer"]["target"], s.dataset.as_str());
    s.wait_state("REQUESTED").await;
    let (status, body) = s
        .send(
            "termination",
            &termination(&s.provider_pid, &s.consumer_pid, "no"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_01_03() {
    // contract request, offer received, consumer terminated
    let s = ConsumerScenario::start("tck_cn_c_01_03", "CN_C_01_03").await;
    let (status, body) = s.send("offers", &s.offer_message()).await;
    assert_eq!(status, 200, "{body}");
    s.expect("ContractNegotiationTerminationMessage", "termination")
        .await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_01_04() {
    // contract request, provider agreement, consumer verified, provider finalized
    let s = ConsumerScenario::start("tck_cn_c_01_04", "CN_C_01_04").await;
    let (status, body) = s.send("agreement", &s.agreement_message()).await;
    assert_eq!(status, 200, "{body}");
    s.expect(
        "ContractAgreementVerificationMessage",
        "agreement/verification",
    )
    .await;
    s.wait_state("VERIFIED").await;
    let (status, body) = s
        .send(
            "events",
            &event(&s.provider_pid, &s.consumer_pid, "FINALIZED"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("FINALIZED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_02_01() {
    // contract request, provider terminated
    let s = ConsumerScenario::start("tck_cn_c_02_01", "CN_C_02_01").await;
    s.wait_state("REQUESTED").await;
    let (status, body) = s
        .send(
            "termination",
            &termination(&s.provider_pid, &s.consumer_pid, "no"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_02_02() {
    // contract request, consumer terminated
    let s = ConsumerScenario::start("tck_cn_c_02_02", "CN_C_02_02").await;
    s.expect("ContractNegotiationTerminationMessage", "termination")
        .await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_02_03() {
    // contract request, provider agreement, consumer terminated
    let s = ConsumerScenario::start("tck_cn_c_02_03", "CN_C_02_03").await;
    let (status, body) = s.send("agreement", &s.agreement_message()).await;
    assert_eq!(status, 200, "{body}");
    s.expect("ContractNegotiationTerminationMessage", "termination")
        .await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_02_04() {
    // contract request, offer received, provider terminated
    let s = ConsumerScenario::start("tck_cn_c_02_04", "CN_C_02_04").await;
    let (status, body) = s.send("offers", &s.offer_message()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("OFFERED").await;
    let (status, body) = s
        .send(
            "termination",
            &termination(&s.provider_pid, &s.consumer_pid, "no"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_02_05() {
    // contract request, offer received, consumer accepted, provider terminated
    let s = ConsumerScenario::start("tck_cn_c_02_05", "CN_C_02_05").await;
    let (status, body) = s.send("offers", &s.offer_message()).await;
    assert_eq!(status, 200, "{body}");
    s.expect("ContractNegotiationEventMessage", "events").await;
    s.wait_state("ACCEPTED").await;
    let (status, body) = s
        .send(
            "termination",
            &termination(&s.provider_pid, &s.consumer_pid, "no"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_02_06() {
    // contract request, provider agreement, consumer verified, provider terminated
    let s = ConsumerScenario::start("tck_cn_c_02_06", "CN_C_02_06").await;
    let (status, body) = s.send("agreement", &s.agreement_message()).await;
    assert_eq!(status, 200, "{body}");
    s.expect(
        "ContractAgreementVerificationMessage",
        "agreement/verification",
    )
    .await;
    s.wait_state("VERIFIED").await;
    let (status, body) = s
        .send(
            "termination",
            &termination(&s.provider_pid, &s.consumer_pid, "no"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_03_01() {
    // contract request, invalid provider finalized
    let s = ConsumerScenario::start("tck_cn_c_03_01", "CN_C_03_01").await;
    s.wait_state("REQUESTED").await;
    s.send_refused(
        "events",
        &event(&s.provider_pid, &s.consumer_pid, "FINALIZED"),
    )
    .await;
    assert_eq!(s.state().await, "REQUESTED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_03_02() {
    // contract request, offer received, invalid provider agreed
    let s = ConsumerScenario::start("tck_cn_c_03_02", "CN_C_03_02").await;
    let (status, body) = s.send("offers", &s.offer_message()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("OFFERED").await;
    s.send_refused("agreement", &s.agreement_message()).await;
    assert_eq!(s.state().await, "OFFERED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_03_03() {
    // contract request, offer received, invalid provider finalized
    let s = ConsumerScenario::start("tck_cn_c_03_03", "CN_C_03_03").await;
    let (status, body) = s.send("offers", &s.offer_message()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("OFFERED").await;
    s.send_refused(
        "events",
        &event(&s.provider_pid, &s.consumer_pid, "FINALIZED"),
    )
    .await;
    assert_eq!(s.state().await, "OFFERED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_03_04() {
    // contract request, offer received, consumer accepted, invalid provider finalized
    let s = ConsumerScenario::start("tck_cn_c_03_04", "CN_C_03_04").await;
    let (status, body) = s.send("offers", &s.offer_message()).await;
    assert_eq!(status, 200, "{body}");
    s.expect("ContractNegotiationEventMessage", "events").await;
    s.wait_state("ACCEPTED").await;
    s.send_refused(
        "events",
        &event(&s.provider_pid, &s.consumer_pid, "FINALIZED"),
    )
    .await;
    assert_eq!(s.state().await, "ACCEPTED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_03_05() {
    // contract request, offer received, consumer accepted, invalid provider offer
    let s = ConsumerScenario::start("tck_cn_c_03_05", "CN_C_03_05").await;
    let (status, body) = s.send("offers", &s.offer_message()).await;
    assert_eq!(status, 200, "{body}");
    s.expect("ContractNegotiationEventMessage", "events").await;
    s.wait_state("ACCEPTED").await;
    s.send_refused("offers", &s.offer_message()).await;
    assert_eq!(s.state().await, "ACCEPTED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_c_03_06() {
    // contract request, offer received, consumer accepted, provider agreed, invalid provider
    // finalized
    let s = ConsumerScenario::start("tck_cn_c_03_06", "CN_C_03_06").await;
    let (status, body) = s.send("offers", &s.offer_message()).await;
    assert_eq!(status, 200, "{body}");
    s.expect("ContractNegotiationEventMessage", "events").await;
    s.wait_state("ACCEPTED").await;
    let (status, body) = s.send("agreement", &s.agreement_message()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("AGREED").await;
    s.send_refused(
        "events",
        &event(&s.provider_pid, &s.consumer_pid, "FINALIZED"),
    )
    .await;
    assert_eq!(s.state().await, "AGREED");
}
