//! TCK contract negotiation scenarios with the connector as provider (CN:01-01 … CN:03-04):
//! the test plays the TCK consumer against a connector in TCK mode.

use tests::harness::messages::{event, termination, verification};
use tests::harness::tck::ProviderScenario;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_01_01() {
    // contract request, offer received, consumer terminated
    let s = ProviderScenario::start("tck_cn_01_01", "CN_01_01").await;
    s.expect("ContractOfferMessage", "offers").await;
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
async fn tck_cn_01_02() {
    // contract request, offer received, consumer counter-offer, provider terminated
    let s = ProviderScenario::start("tck_cn_01_02", "CN_01_02").await;
    s.expect("ContractOfferMessage", "offers").await;
    s.wait_state("OFFERED").await;
    let (status, body) = s.send("request", &s.counter_offer()).await;
    assert_eq!(status, 200, "{body}");
    s.expect("ContractNegotiationTerminationMessage", "termination")
        .await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_01_03() {
    // contract request, offer received, consumer accepted, provider agreement, consumer
    // verified, provider finalized
    let s = ProviderScenario::start("tck_cn_01_03", "CN_01_03").await;
    s.expect("ContractOfferMessage", "offers").await;
    s.wait_state("OFFERED").await;
    let (status, body) = s
        .send(
            "events",
            &event(&s.provider_pid, &s.consumer_pid, "ACCEPTED"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let agreement = s.expect("ContractAgreementMessage", "agreement").await;
    assert_eq!(agreement.body["agreement"]["target"], s.dataset.as_str());
    assert_eq!(
        agreement.body["agreement"]["assigner"],
        s.connector.did.as_str()
    );
    s.wait_state("AGREED").await;
    let (status, body) = s
        .send(
            "agreement/verification",
            &verification(&s.provider_pid, &s.consumer_pid),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let fin = s.expect("ContractNegotiationEventMessage", "events").await;
    assert_eq!(fin.body["eventType"], "FINALIZED");
    s.wait_state("FINALIZED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_01_04() {
    // contract request, provider agreement, consumer verified, provider finalized
    let s = ProviderScenario::start("tck_cn_01_04", "CN_01_04").await;
    s.expect("ContractAgreementMessage", "agreement").await;
    s.wait_state("AGREED").await;
    let (status, body) = s
        .send(
            "agreement/verification",
            &verification(&s.provider_pid, &s.consumer_pid),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let fin = s.expect("ContractNegotiationEventMessage", "events").await;
    assert_eq!(fin.body["eventType"], "FINALIZED");
    s.wait_state("FINALIZED").await;
    // The provider stores the agreement (besides the agreements the TCK's transfer scenarios
    // start from, which TCK mode seeds).
    let (_, list) = s.connector.get("/api/v1/agreements").await;
    let ours = list.as_array().map(|a| {
        a.iter()
            .filter(|g| g["dataset_id"] == s.dataset.as_str())
            .count()
    });
    assert_eq!(ours, Some(1), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_02_01() {
    // contract request, provider terminated
    let s = ProviderScenario::start("tck_cn_02_01", "CN_02_01").await;
    s.expect("ContractNegotiationTerminationMessage", "termination")
        .await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_02_02() {
    // contract request, consumer terminated
    let s = ProviderScenario::start("tck_cn_02_02", "CN_02_02").await;
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
async fn tck_cn_02_03() {
    // contract request, provider agreement, consumer terminated
    let s = ProviderScenario::start("tck_cn_02_03", "CN_02_03").await;
    s.expect("ContractAgreementMessage", "agreement").await;
    s.wait_state("AGREED").await;
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
async fn tck_cn_02_04() {
    // contract request, offer received, consumer terminated
    let s = ProviderScenario::start("tck_cn_02_04", "CN_02_04").await;
    s.expect("ContractOfferMessage", "offers").await;
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
async fn tck_cn_02_05() {
    // contract request, offer received, provider terminated
    let s = ProviderScenario::start("tck_cn_02_05", "CN_02_05").await;
    s.expect("ContractOfferMessage", "offers").await;
    s.expect("ContractNegotiationTerminationMessage", "termination")
        .await;
    s.wait_state("TERMINATED").await;
    let received = s.peer.received();
    let order: Vec<&str> = received.iter().map(|r| r.type_()).collect();
    assert_eq!(
        order,
        [
            "ContractOfferMessage",
            "ContractNegotiationTerminationMessage"
        ],
        "in this order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_02_06() {
    // contract request, offer received, consumer accepted, provider terminated
    let s = ProviderScenario::start("tck_cn_02_06", "CN_02_06").await;
    s.expect("ContractOfferMessage", "offers").await;
    s.wait_state("OFFERED").await;
    let (status, body) = s
        .send(
            "events",
            &event(&s.provider_pid, &s.consumer_pid, "ACCEPTED"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.expect("ContractNegotiationTerminationMessage", "termination")
        .await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_02_07() {
    // contract request, provider agreement, consumer verified, provider terminated
    let s = ProviderScenario::start("tck_cn_02_07", "CN_02_07").await;
    s.expect("ContractAgreementMessage", "agreement").await;
    s.wait_state("AGREED").await;
    let (status, body) = s
        .send(
            "agreement/verification",
            &verification(&s.provider_pid, &s.consumer_pid),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.expect("ContractNegotiationTerminationMessage", "termination")
        .await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_03_01() {
    // contract request, provider agreement, consumer verified, provider finalized, invalid
    // consumer terminated
    let s = ProviderScenario::start("tck_cn_03_01", "CN_03_01").await;
    s.expect("ContractAgreementMessage", "agreement").await;
    s.wait_state("AGREED").await;
    let (status, body) = s
        .send(
            "agreement/verification",
            &verification(&s.provider_pid, &s.consumer_pid),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.expect("ContractNegotiationEventMessage", "events").await;
    s.wait_state("FINALIZED").await;
    s.send_refused(
        "termination",
        &termination(&s.provider_pid, &s.consumer_pid, "too late"),
    )
    .await;
    assert_eq!(s.state().await, "FINALIZED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_03_02() {
    // contract request, offer received, invalid consumer verified
    let s = ProviderScenario::start("tck_cn_03_02", "CN_03_02").await;
    s.expect("ContractOfferMessage", "offers").await;
    s.wait_state("OFFERED").await;
    s.send_refused(
        "agreement/verification",
        &verification(&s.provider_pid, &s.consumer_pid),
    )
    .await;
    assert_eq!(s.state().await, "OFFERED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_03_03() {
    // contract request, offer received, consumer accepted, illegal consumer verified
    let s = ProviderScenario::start("tck_cn_03_03", "CN_03_03").await;
    s.expect("ContractOfferMessage", "offers").await;
    s.wait_state("OFFERED").await;
    let (status, body) = s
        .send(
            "events",
            &event(&s.provider_pid, &s.consumer_pid, "ACCEPTED"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("ACCEPTED").await;
    s.send_refused(
        "agreement/verification",
        &verification(&s.provider_pid, &s.consumer_pid),
    )
    .await;
    assert_eq!(s.state().await, "ACCEPTED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_cn_03_04() {
    // contract request, offer received, consumer counter-offer (x2), provider terminated
    let s = ProviderScenario::start("tck_cn_03_04", "CN_03_04").await;
    s.expect("ContractOfferMessage", "offers").await;
    s.wait_state("OFFERED").await;
    let (status, body) = s.send("request", &s.counter_offer()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("REQUESTED").await;
    // A second counter-offer while REQUESTED is not a transition of the state machine.
    s.send_refused("request", &s.counter_offer()).await;
    assert_eq!(s.state().await, "REQUESTED");
}
