//! A dataset whose data comes from an internal HTTP endpoint of the provider (`[sources.NAME]`
//! with `kind = "http"`): the endpoint requires a credential that only the provider's
//! configuration holds. The pull arrives verified: the provider reads the source once while
//! preparing, announces size and SHA-256 in the start message and as `Repr-Digest` on the
//! data response, and the consumer checks them. Neither the endpoint's URL nor its credential
//! appears in any DSP message or audit entry of either side.

#[path = "transfer_support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use base64::Engine as _;
use serde_json::json;
use support::{Pair, data_of, sha256_hex, wait_transfer};
use tests::harness::TestEnv;

const CREDENTIAL: &str = "Bearer intern-7f3a9c1e-nur-beim-anbieter";
const PATH: &str = "/export/messstellen-stuendlich.csv";

/// All text below `dir` (captured messages), concatenated.
fn text_below(dir: &std::path::Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(t) = std::fs::read_to_string(&p) {
                out.push_str(&t);
                out.push('\n');
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_from_an_internal_http_source_is_verified_and_keeps_its_secrets() {
    let test = "transfer_internal_source";
    let env = TestEnv::new(test);
    let data = Arc::new(data_of(2 * 1024 * 1024 + 333));
    let authorized = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));

    // The internal endpoint (HTTPS with the test CA), which wants its credential.
    let (d, ok, no) = (data.clone(), authorized.clone(), refused.clone());
    let app = axum::Router::new().route(
        PATH,
        get(move |headers: HeaderMap| {
            let (d, ok, no) = (d.clone(), ok.clone(), no.clone());
            async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(CREDENTIAL) {
                    ok.fetch_add(1, Ordering::SeqCst);
                    (StatusCode::OK, d.as_ref().clone())
                } else {
                    no.fetch_add(1, Ordering::SeqCst);
                    (StatusCode::UNAUTHORIZED, b"credential required".to_vec())
                }
            }
        }),
    );
    let port = env.serve_https_on_any_port("internal-source", app).await;
    let upstream = format!("https://localhost:{port}{PATH}");

    let source_url = upstream.clone();
    let p = Pair::start_in(
        env,
        test,
        0,
        json!({"abrufe": "10"}),
        move |_, c| {
            let secret = c.dir.join("messstellen.secret");
            std::fs::write(&secret, CREDENTIAL).expect("secret file");
            let mut source = toml::Table::new();
            source.insert("kind".into(), "http".into());
            source.insert("url".into(), source_url.into());
            source.insert(
                "authorization_file".into(),
                secret.display().to_string().into(),
            );
            support::set_config(c, "sources", "messstellen", toml::Value::Table(source));
        },
        None,
        Some(json!({"source": "messstellen"})),
    )
    .await;
    let sha256 = sha256_hex(&data);

    // A pull by the consumer connector: stored, verified against the announced digest.
    let id = p.transfer(false).await;
    let t = p
        .wait_consumer(&id, "COMPLETED with data", |t| {
            t["state"] == "COMPLETED" && !t["progress"]["done_ms"].is_null()
        })
        .await;
    assert_eq!(t["received"][0]["sha256"], sha256.as_str(), "{t}");
    let stored = std::fs::read(t["received"][0]["stored_at"].as_str().expect("stored"))
        .expect("stored file");
    assert!(
        stored == *data,
        "the stored file equals the internal source's data"
    );
    let pt = p.provider_transfer(&id).await;
    let pt = wait_transfer(
        &p.provider,
        pt["id"].as_str().expect("id"),
        "COMPLETED",
        |t| t["state"] == "COMPLETED",
    )
    .await;
    assert_eq!(pt["files"][0]["sha256"], sha256.as_str(), "{pt}");
    assert_eq!(pt["files"][0]["size"], data.len() as u64, "{pt}");

    // A data request by hand: the response carries the digest as Repr-Digest.
    let manual = p.transfer(true).await;
    p.wait_consumer(&manual, "STARTED", |t| t["state"] == "STARTED")
        .await;
    let ticket = p.ticket(&manual).await;
    let r = p
        .get_data(
            ticket["endpoint"].as_str().expect("endpoint"),
            ticket["authorization"].as_str().expect("token"),
            ticket["caller"].as_str().expect("caller"),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let digest = r
        .headers()
        .get("repr-digest")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = r.bytes().await.expect("body");
    assert!(body.as_ref() == data.as_slice(), "the proxied body");
    let raw = hex::decode(&sha256).expect("hex");
    assert_eq!(
        digest.as_deref(),
        Some(
            format!(
                "sha-256=:{}:",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
            .as_str()
        )
    );

    // The endpoint was always asked with its credential (reads for the digests and the
    // streams), never without.
    assert!(authorized.load(Ordering::SeqCst) >= 4);
    assert_eq!(refused.load(Ordering::SeqCst), 0);

    // Neither URL nor credential in any DSP message (both sides' captures) ...
    let captured = text_below(p.env.capture.dir());
    assert!(
        captured.contains("TransferStartMessage") && captured.contains(&sha256),
        "the captured start message announces the digest"
    );
    let secret_part = CREDENTIAL.trim_start_matches("Bearer ");
    for needle in [secret_part, PATH, &format!("localhost:{port}")] {
        assert!(
            !captured.contains(needle),
            "{needle} appears in a DSP message"
        );
    }
    // ... nor in any audit entry or transfer record of either side.
    for c in [&p.provider, &p.consumer] {
        let (_, audit) = c.get("/api/v1/audit").await;
        let (_, transfers) = c.get("/api/v1/transfers").await;
        let text = format!("{audit}{transfers}");
        assert!(
            audit.as_array().is_some_and(|a| !a.is_empty()),
            "{}: {audit}",
            c.name
        );
        for needle in [secret_part, PATH, &format!("localhost:{port}")] {
            assert!(!text.contains(needle), "{}: {needle} appears", c.name);
        }
    }
}
