//! TCK transfer process scenarios with the connector as consumer (TP_C:01-01 … TP_C:03-06):
//! the test plays the TCK provider; the TCK's trigger endpoint starts each transfer under an
//! agreement seeded from `tck-sample.properties`.

#[path = "transfer_support/mod.rs"]
mod support;

use support::ConsumerScenario;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_01_01() {
    // request, provider started, provider terminated
    let s = ConsumerScenario::start("tck_tp_c_01_01", "TP_C_01_01").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("STARTED").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_01_02() {
    // request, provider started, provider completed
    let s = ConsumerScenario::start("tck_tp_c_01_02", "TP_C_01_02").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("STARTED").await;
    let (status, body) = s.send("completion", &s.completion()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("COMPLETED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_01_03() {
    // request, provider started, provider suspended, provider terminated
    let s = ConsumerScenario::start("tck_tp_c_01_03", "TP_C_01_03").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("STARTED").await;
    let (status, body) = s.send("suspension", &s.suspension()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("SUSPENDED").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_01_04() {
    // request, provider started, suspended, started, completed
    let s = ConsumerScenario::start("tck_tp_c_01_04", "TP_C_01_04").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
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
async fn tck_tp_c_01_05() {
    // request, provider terminated
    let s = ConsumerScenario::start("tck_tp_c_01_05", "TP_C_01_05").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_02_01() {
    // request, provider started, consumer terminated
    let s = ConsumerScenario::start("tck_tp_c_02_01", "TP_C_02_01").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.expect("TransferTerminationMessage", "termination").await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_02_02() {
    // request, provider started, consumer completed
    let s = ConsumerScenario::start("tck_tp_c_02_02", "TP_C_02_02").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.expect("TransferCompletionMessage", "completion").await;
    s.wait_state("COMPLETED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_02_03() {
    // request, provider started, consumer suspended, consumer terminated
    let s = ConsumerScenario::start("tck_tp_c_02_03", "TP_C_02_03").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.expect("TransferSuspensionMessage", "suspension").await;
    s.expect("TransferTerminationMessage", "termination").await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_02_04() {
    // request, provider started, consumer suspended, started, completed
    let s = ConsumerScenario::start("tck_tp_c_02_04", "TP_C_02_04").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.expect("TransferSuspensionMessage", "suspension").await;
    s.expect("TransferStartMessage", "start").await;
    s.expect("TransferCompletionMessage", "completion").await;
    s.wait_state("COMPLETED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_02_05() {
    // request, consumer terminated
    let s = ConsumerScenario::start("tck_tp_c_02_05", "TP_C_02_05").await;
    s.expect("TransferTerminationMessage", "termination").await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_03_01() {
    // request, provider completed (refused: not started)
    let s = ConsumerScenario::start("tck_tp_c_03_01", "TP_C_03_01").await;
    s.wait_state("REQUESTED").await;
    s.send_refused("completion", &s.completion()).await;
    s.wait_state("REQUESTED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_03_02() {
    // request, provider suspended (refused: not started)
    let s = ConsumerScenario::start("tck_tp_c_03_02", "TP_C_03_02").await;
    s.wait_state("REQUESTED").await;
    s.send_refused("suspension", &s.suspension()).await;
    s.wait_state("REQUESTED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_03_03() {
    // request, provider started, suspended, completed (refused)
    let s = ConsumerScenario::start("tck_tp_c_03_03", "TP_C_03_03").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("STARTED").await;
    let (status, body) = s.send("suspension", &s.suspension()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("SUSPENDED").await;
    s.send_refused("completion", &s.completion()).await;
    s.wait_state("SUSPENDED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_03_04() {
    // request, provider started, terminated, started (refused)
    let s = ConsumerScenario::start("tck_tp_c_03_04", "TP_C_03_04").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("STARTED").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
    s.send_refused("start", &s.start_msg()).await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_03_05() {
    // request, provider started, terminated, suspended (refused)
    let s = ConsumerScenario::start("tck_tp_c_03_05", "TP_C_03_05").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("STARTED").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
    s.send_refused("suspension", &s.suspension()).await;
    s.wait_state("TERMINATED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tck_tp_c_03_06() {
    // request, provider started, terminated, completed (refused)
    let s = ConsumerScenario::start("tck_tp_c_03_06", "TP_C_03_06").await;
    let (status, body) = s.send("start", &s.start_msg()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("STARTED").await;
    let (status, body) = s.send("termination", &s.termination()).await;
    assert_eq!(status, 200, "{body}");
    s.wait_state("TERMINATED").await;
    s.send_refused("completion", &s.completion()).await;
    s.wait_state("TERMINATED").await;
}
