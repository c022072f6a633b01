//! TCK transfer process scenarios with the connector as provider (TP:01-01 … TP:03-06): the
//! test plays the TCK consumer against a connector in TCK mode (agreements seeded from
//! `tck-sample.properties`).

#[path = "transfer_support/mod.rs"]
mod support;

use support::ProviderScenario;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_01_01() {
    // request, provider started, provider terminated
    let s = ProviderScenario::start("tck_tp_01_01", "TP_01_01").await;
    s.expect("TransferStartMessage", "start").await;
    s.expect("TransferTerminationMessage", "termination").await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_01_02() {
    // request, provider started, provider completed
    let s = ProviderScenario::start("tck_tp_01_02", "TP_01_02").await;
    s.expect("TransferStartMessage", "start").await;
    s.expect("TransferCompletionMessage", "completion").await;
    s.wait_state("COMPLETED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_01_03() {
    // request, provider started, provider suspended, provider terminated
    let s = ProviderScenario::start("tck_tp_01_03", "TP_01_03").await;
    s.expect("TransferStartMessage", "start").await;
    s.expect("TransferSuspensionMessage", "suspension").await;
    s.expect("TransferTerminationMessage", "termination").await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_01_04() {
    // request, provider started, suspended, started again, completed
    let s = ProviderScenario::start("tck_tp_01_04", "TP_01_04").await;
    s.expect("TransferStartMessage", "start").await;
    s.expect("TransferSuspensionMessage", "suspension").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while s.count("TransferStartMessage") < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "no second start message"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    s.expect("TransferCompletionMessage", "completion").await;
    s.wait_state("COMPLETED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_01_05() {
    // request, provider terminated
    let s = ProviderScenario::start("tck_tp_01_05", "TP_01_05").await;
    s.expect("TransferTerminationMessage", "termination").await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_02_01() {
    // request, provider started, consumer terminated
    let s = ProviderScenario::start("tck_tp_02_01", "TP_02_01").await;
    s.expect("TransferStartMessage", "start").await;
    s.wait_state("STARTED").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_02_02() {
    // request, provider started, consumer completed
    let s = ProviderScenario::start("tck_tp_02_02", "TP_02_02").await;
    s.expect("TransferStartMessage", "start").await;
    s.wait_state("STARTED").await;
    let (status, body) = s.send("completion", &s.completion()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("COMPLETED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_02_03() {
    // request, provider started, consumer suspended, consumer terminated
    let s = ProviderScenario::start("tck_tp_02_03", "TP_02_03").await;
    s.expect("TransferStartMessage", "start").await;
    s.wait_state("STARTED").await;
    let (status, body) = s.send("suspension", &s.suspension()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("SUSPENDED").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_02_04() {
    // request, provider started, consumer suspended, consumer started, consumer completed
    let s = ProviderScenario::start("tck_tp_02_04", "TP_02_04").await;
    s.expect("TransferStartMessage", "start").await;
    s.wait_state("STARTED").await;
    let (status, body) = s.send("suspension", &s.suspension()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("SUSPENDED").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("STARTED").await;
    let (status, body) = s.send("completion", &s.completion()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("COMPLETED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_02_05() {
    // request, consumer terminated
    let s = ProviderScenario::start("tck_tp_02_05", "TP_02_05").await;
    s.wait_state("REQUESTED").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_03_01() {
    // request, consumer completed (refused: not started)
    let s = ProviderScenario::start("tck_tp_03_01", "TP_03_01").await;
    s.wait_state("REQUESTED").await;
    s.send_refused("completion", &s.completion()).await;
    s.wait_state("REQUESTED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_03_02() {
    // request, consumer suspended (refused: not started)
    let s = ProviderScenario::start("tck_tp_03_02", "TP_03_02").await;
    s.wait_state("REQUESTED").await;
    s.send_refused("suspension", &s.suspension()).await;
    s.wait_state("REQUESTED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_03_03() {
    // request, provider started, consumer suspended, consumer completed (refused)
    let s = ProviderScenario::start("tck_tp_03_03", "TP_03_03").await;
    s.expect("TransferStartMessage", "start").await;
    s.wait_state("STARTED").await;
    let (status, body) = s.send("suspension", &s.suspension()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("SUSPENDED").await;
    s.send_refused("completion", &s.completion()).await;
    s.wait_state("SUSPENDED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_03_04() {
    // request, provider started, consumer terminated, consumer started (refused)
    let s = ProviderScenario::start("tck_tp_03_04", "TP_03_04").await;
    s.expect("TransferStartMessage", "start").await;
    s.wait_state("STARTED").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
    s.send_refused("start", &s.start_msg()).await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_03_05() {
    // request, provider started, consumer terminated, consumer suspended (refused)
    let s = ProviderScenario::start("tck_tp_03_05", "TP_03_05").await;
    s.expect("TransferStartMessage", "start").await;
    s.wait_state("STARTED").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
    s.send_refused("suspension", &s.suspension()).await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_03_06() {
    // request, provider started, consumer terminated, consumer completed (refused)
    let s = ProviderScenario::start("tck_tp_03_06", "TP_03_06").await;
    s.expect("TransferStartMessage", "start").await;
    s.wait_state("STARTED").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
    s.send_refused("completion", &s.completion()).await;
    s.wait_state("TERMINATED").await;
}
