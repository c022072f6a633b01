//! Connector benchmarks; prints figures, asserts nothing.
//!
//! `cargo run --profile small -p tests --bin bench-connector [-- NEGOTIATIONS]` (the
//! size-optimised deployment build; `--release` for comparison).
//!
//! 1. Start-to-ready time and idle resident memory of one connector (five starts; median).
//! 2. Finalized negotiations per second between two connectors over TLS on loopback, with
//!    p50/p99 latency (from the consumer's start call, which fetches the dataset first, to the
//!    FINALIZED the consumer recorded), at 1 and 32 concurrent negotiations.
//! 3. In the same run, the baseline: plain HTTPS round trips per second (`GET /health` on the
//!    provider's DSP port, keep-alive) at 1 and 32 concurrent clients — and the ratio.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::harness::{ConnectorOptions, TestConnector, TestEnv};

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn start_and_memory(env: &TestEnv) {
    let mut c = TestConnector::start(env, ConnectorOptions::company("startup")).await;
    let mut ready_ms = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..5 {
        c.kill9();
        let t = Instant::now();
        c.spawn().await;
        ready_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_secs(2)).await;
        if let Some(kib) = c.pid().and_then(rss_kib) {
            rss.push(kib as f64 / 1024.0);
        }
    }
    println!(
        "start-to-ready (process spawn to /ready = 200), median of 5: {:.0} ms (goal < 200 ms; all: {:?})",
        median(ready_ms.clone()),
        ready_ms
            .iter()
            .map(|v| v.round() as u64)
            .collect::<Vec<_>>()
    );
    println!(
        "idle resident memory 2 s after ready, median of 5: {:.1} MiB (goal < 20 MiB)",
        median(rss)
    );
}

async fn setup_pair(env: &TestEnv) -> (TestConnector, TestConnector) {
    let mut po = ConnectorOptions::company("provider");
    po.max_attempts = 30;
    let provider = TestConnector::start(env, po).await;
    let template = std::fs::read_to_string(format!(
        "{}/../contracts/templates/mobilitaetsdaten-verkehrsplanung.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("template");
    let (_, t) = provider
        .post_text("/api/v1/templates", &template, "text/markdown")
        .await;
    provider
        .post(
            "/api/v1/assets",
            &json!({"id": "verkehr", "title": "Verkehrszählung", "themes": ["TRAN"]}),
        )
        .await;
    let (status, o) = provider
        .post("/api/v1/offers", &json!({"asset_id": "verkehr", "template_id": t["id"], "template_version": t["version"]}))
        .await;
    assert_eq!(status, 201, "{o}");
    let mut co = ConnectorOptions::municipality("consumer");
    co.max_attempts = 30;
    let consumer = TestConnector::start(env, co).await;
    (provider, consumer)
}

async fn negotiations(
    provider: &TestConnector,
    consumer: &TestConnector,
    total: usize,
    concurrency: usize,
) {
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let handle = consumer.handle();
    let mut ids = Vec::with_capacity(total);
    // Each worker starts a negotiation and waits for it before starting the next.
    let results = futures_join(concurrency, |_| {
        let next = next.clone();
        let consumer = handle.clone();
        let dsp = provider.dsp_base();
        async move {
            let mut mine = Vec::new();
            let poll = Duration::from_millis(if concurrency > 1 { 50 } else { 5 });
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t0 = chrono::Utc::now().timestamp_millis();
                let (status, n) = consumer
                    .post("/api/v1/negotiations", &json!({"connector": dsp, "dataset_id": "verkehr", "purpose": "gwd:Verkehrsplanung"}))
                    .await;
                assert_eq!(status, 201, "{n}");
                let id = n["id"].as_str().expect("id").to_owned();
                loop {
                    let (_, cur) = consumer.get(&format!("/api/v1/negotiations/{id}")).await;
                    match cur["state"].as_str() {
                        Some("FINALIZED") => break,
                        Some("TERMINATED") => panic!("negotiation terminated: {cur}"),
                        _ => tokio::time::sleep(poll).await,
                    }
                }
                mine.push((id, t0));
            }
            mine
        }
    })
    .await;
    let wall = started.elapsed().as_secs_f64();
    for r in results {
        ids.extend(r);
    }
    let (_, list) = consumer.get("/api/v1/negotiations?state=FINALIZED").await;
    let mut latencies: Vec<f64> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|n| {
            let (_, t0) = ids.iter().find(|(id, _)| n["id"] == id.as_str())?;
            let done = n["history"].as_array()?.last()?["at_ms"].as_f64()?;
            Some(done - *t0 as f64)
        })
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    println!(
        "negotiations, concurrency {concurrency:>2}: {total} finalized in {wall:.2} s = {:.1} /s; latency p50 {:.1} ms, p99 {:.1} ms (from the start call to the FINALIZED the consumer recorded)",
        total as f64 / wall,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
}

async fn futures_join<F, Fut, T>(n: usize, make: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(make(i))).collect();
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.expect("worker"));
    }
    out
}

async fn https_baseline(
    env: &TestEnv,
    provider: &TestConnector,
    concurrency: usize,
    secs: f64,
) -> f64 {
    let url = format!("https://localhost:{}/health", provider.dsp_port);
    let count = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(tests::harness::env::client_tls(env.ca.pem()))
        .build()
        .expect("client");
    futures_join(concurrency, |_| {
        let (http, url, count) = (http.clone(), url.clone(), count.clone());
        async move {
            while Instant::now() < deadline {
                let r = http.get(&url).send().await.expect("GET");
                let _: Value = r.json().await.expect("JSON");
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
    .await;
    let rate = count.load(Ordering::Relaxed) as f64 / secs;
    println!(
        "plain HTTPS round trips (GET /health, keep-alive), concurrency {concurrency:>2}: {rate:.0} /s"
    );
    rate
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let total: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let env = TestEnv::new("bench_connector");
    println!(
        "connector benchmark ({} build, {} CPUs)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    start_and_memory(&env).await;
    let (provider, consumer) = setup_pair(&env).await;
    // Warm up connections and caches.
    negotiations(&provider, &consumer, 5, 1).await;
    let base1 = https_baseline(&env, &provider, 1, 2.0).await;
    let base32 = https_baseline(&env, &provider, 32, 2.0).await;
    let t1 = Instant::now();
    negotiations(&provider, &consumer, (total / 4).max(10), 1).await;
    let rate1 = (total / 4).max(10) as f64 / t1.elapsed().as_secs_f64();
    let t32 = Instant::now();
    negotiations(&provider, &consumer, total, 32).await;
    let rate32 = total as f64 / t32.elapsed().as_secs_f64();
    println!(
        "ratio: one finalized negotiation costs {:.0} plain HTTPS round trips at concurrency 1, {:.0} at concurrency 32",
        base1 / rate1,
        base32 / rate32
    );
}
