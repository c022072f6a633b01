//! Broker benchmark against the real binary over HTTPS (run it in release):
//!
//!     cargo run --release -p tests --bin bench-broker -- [--datasets 100000] [--queries 300]
//!
//! Prints: ingest through the signed-publication path (datasets/s), search latency p50/p95
//! for keyword + facet queries next to the same keyword filter as a plain SPARQL `CONTAINS`
//! query on the broker's Oxigraph store (and their ratio), the broker's resident memory, and
//! restart-to-ready time.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_like::join_limited;
use tests::broker::{BrokerMember, BrokerOptions, TestBroker};

/// A tiny bounded-concurrency helper (no extra crate): runs `futures` with at most `n` at once.
mod futures_like {
    use std::future::Future;

    use tokio::task::JoinSet;

    pub(crate) async fn join_limited<T: Send + 'static>(
        n: usize,
        futures: Vec<impl Future<Output = T> + Send + 'static>,
    ) -> Vec<T> {
        let mut set = JoinSet::new();
        let mut out = Vec::with_capacity(futures.len());
        for f in futures {
            if set.len() >= n
                && let Some(r) = set.join_next().await
            {
                out.push(r.expect("task"));
            }
            set.spawn(f);
        }
        while let Some(r) = set.join_next().await {
            out.push(r.expect("task"));
        }
        out
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .map(|k| k / 1024.0)
        .unwrap_or(0.0)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Keyword + facet pairs drawn from the generated titles, so every query has matches.
fn queries(members: &[BrokerMember], n: usize) -> Vec<(String, String, String)> {
    let mut words: BTreeMap<String, (usize, String, String)> = BTreeMap::new();
    for m in members {
        for d in &m.sd.datasets {
            let theme = d
                .themes
                .first()
                .map(|t| t.code().to_owned())
                .unwrap_or_default();
            let state = d
                .spatial
                .first()
                .map(|a| a.state().to_owned())
                .unwrap_or_default();
            for w in d.title.de.split(|c: char| !c.is_alphanumeric()) {
                if w.chars().count() >= 7 && !w.chars().all(|c| c.is_ascii_digit()) {
                    let e = words
                        .entry(w.to_owned())
                        .or_insert((0, theme.clone(), state.clone()));
                    e.0 += 1;
                }
            }
        }
    }
    let mut ranked: Vec<_> = words.into_iter().collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.1.0));
    ranked.truncate(40);
    (0..n)
        .map(|i| {
            let (word, (_, theme, state)) = &ranked[i % ranked.len()];
            (word.clone(), theme.clone(), state.clone())
        })
        .collect()
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = arg("--datasets", 100_000);
    let query_count = arg("--queries", 300);
    let concurrency = arg("--concurrency", 4);
    println!(
        "bench-broker: {n} generated datasets, {query_count} queries, {concurrency} concurrent publications"
    );

    let prepared = Instant::now();
    let members: Vec<BrokerMember> = vocab::showcase::generate_self_descriptions(n, 42)
        .into_iter()
        .map(BrokerMember::new)
        .collect();
    let iat = chrono::Utc::now().timestamp();
    let envelopes: Vec<String> = members.iter().map(|m| m.envelope(iat)).collect();
    let bytes: usize = envelopes.iter().map(String::len).sum();
    println!(
        "prepared {} self-descriptions ({:.1} MiB of signed envelopes) in {:.1} s (client side, not measured)",
        members.len(),
        bytes as f64 / 1_048_576.0,
        prepared.elapsed().as_secs_f64()
    );

    let mut broker = TestBroker::start("bench", BrokerOptions::default()).await;
    let pid = broker.pid().expect("pid");
    let rss_empty = rss_mib(pid);
    let joined = Instant::now();
    let joins: Vec<_> = members
        .iter()
        .cloned()
        .map(|m| {
            let http = broker.http.clone();
            let url = broker.at("/api/v1/participants");
            async move {
                let r = http
                    .post(url)
                    .json(&m.join_request())
                    .send()
                    .await
                    .expect("join");
                r.status().as_u16()
            }
        })
        .collect();
    let statuses = join_limited(concurrency, joins).await;
    assert!(
        statuses.iter().all(|s| *s == 201),
        "every join approved (dev mode)"
    );
    println!(
        "onboarding: {} participants in {:.1} s",
        members.len(),
        joined.elapsed().as_secs_f64()
    );

    // Ingest: every envelope through PUT /api/v1/self-descriptions/{did}.
    let ingest = Instant::now();
    let puts: Vec<_> = members
        .iter()
        .zip(envelopes)
        .map(|(m, e)| {
            let http = broker.http.clone();
            let url = broker.at(&format!(
                "/api/v1/self-descriptions/{}",
                tests::broker::did_path(&m.did)
            ));
            async move {
                let r = http
                    .put(url)
                    .header("content-type", "application/jose")
                    .body(e)
                    .send()
                    .await
                    .expect("publish");
                let status = r.status().as_u16();
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                (status, body["datasets"].as_u64().unwrap_or(0))
            }
        })
        .collect();
    let results = join_limited(concurrency, puts).await;
    let ingest_time = ingest.elapsed();
    let accepted: u64 = results.iter().map(|(_, d)| d).sum();
    assert!(
        results.iter().all(|(s, _)| *s == 200),
        "every publication accepted"
    );
    println!(
        "ingest: {accepted} datasets in {} envelopes in {:.1} s = {:.0} datasets/s ({:.1} envelopes/s)",
        results.len(),
        ingest_time.as_secs_f64(),
        accepted as f64 / ingest_time.as_secs_f64(),
        results.len() as f64 / ingest_time.as_secs_f64()
    );
    let rss_loaded = rss_mib(pid);

    let qs = queries(&members, query_count);
    measure("after ingest", &broker, &qs).await;
    println!(
        "resident memory: {rss_empty:.0} MiB empty, {rss_loaded:.0} MiB after ingest of {accepted} datasets"
    );

    // Restart: graceful stop, start, rebuild from sled, ready.
    assert!(broker.terminate(), "graceful stop");
    let ready = broker.spawn().await;
    let pid = broker.pid().expect("pid");
    let (_, all) = broker.get_json("/api/v1/search").await;
    println!(
        "restart-to-ready: {:.2} s (process start to /readyz, {} datasets rebuilt into SPARQL store and search index); resident memory after restart {:.0} MiB",
        ready.as_secs_f64(),
        all["total"],
        rss_mib(pid)
    );
    measure("after restart", &broker, &qs).await;
}

/// Search next to SPARQL CONTAINS: same keywords and facets, same run, same store.
async fn measure(label: &str, broker: &TestBroker, qs: &[(String, String, String)]) {
    let (mut search, mut page, mut count) = (Vec::new(), Vec::new(), Vec::new());
    let (mut search_hits, mut count_hits) = (0u64, 0u64);
    for (i, (word, theme, state)) in qs.iter().enumerate() {
        let (uri, filter) = if i % 2 == 0 {
            (
                format!("/api/v1/search?q={}&theme={theme}", enc(word)),
                format!(
                    "?d <http://www.w3.org/ns/dcat#theme> <http://publications.europa.eu/resource/authority/data-theme/{theme}> ."
                ),
            )
        } else {
            (
                format!("/api/v1/search?q={}&region={state}", enc(word)),
                format!(
                    "?d <http://purl.org/dc/terms/spatial> ?s . FILTER(STRSTARTS(STR(?s), \"http://dcat-ap.de/def/politicalGeocoding/municipalityKey/{state}\"))"
                ),
            )
        };
        let t = Instant::now();
        let (status, body) = broker.get_json(&uri).await;
        search.push(t.elapsed());
        assert_eq!(status, 200, "{body}");
        search_hits += body["total"].as_u64().unwrap_or(0);

        let pattern = format!(
            "?d a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> ?t . {filter} FILTER(CONTAINS(LCASE(STR(?t)), \"{}\"))",
            word.to_lowercase()
        );
        for (times, query) in [
            (
                &mut page,
                format!("SELECT DISTINCT ?d ?t WHERE {{ {pattern} }} LIMIT 20"),
            ),
            (
                &mut count,
                format!("SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ {pattern} }}"),
            ),
        ] {
            let t = Instant::now();
            let (status, body) = broker
                .get_json(&format!("/sparql?query={}", enc(&query)))
                .await;
            times.push(t.elapsed());
            assert_eq!(status, 200, "{body}");
            if let Some(n) = body["results"]["bindings"][0]["n"]["value"].as_str() {
                count_hits += n.parse::<u64>().unwrap_or(0);
            }
        }
    }
    for v in [&mut search, &mut page, &mut count] {
        v.sort();
    }
    let p = |v: &[Duration], q| percentile(v, q);
    println!(
        "[{label}] search (keyword + facet, German stemming, total, facet counts, page of 20): p50 {} p95 {} over {} queries ({search_hits} matches)",
        ms(p(&search, 0.5)),
        ms(p(&search, 0.95)),
        search.len()
    );
    println!(
        "[{label}] SPARQL CONTAINS, first 20 (LIMIT 20): p50 {} p95 {}",
        ms(p(&page, 0.5)),
        ms(p(&page, 0.95))
    );
    println!(
        "[{label}] SPARQL CONTAINS, all matches (COUNT): p50 {} p95 {} ({count_hits} matches; substring, no stemming)",
        ms(p(&count, 0.5)),
        ms(p(&count, 0.95))
    );
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!(
        "[{label}] ratio SPARQL/search: first 20 p50 {:.1}x p95 {:.1}x; all matches p50 {:.1}x p95 {:.1}x",
        ratio(p(&page, 0.5), p(&search, 0.5)),
        ratio(p(&page, 0.95), p(&search, 0.95)),
        ratio(p(&count, 0.5), p(&search, 0.5)),
        ratio(p(&count, 0.95), p(&search, 0.95)),
    );
}
