//! `HttpData-PUSH` endpoints named by host: a provider with the default settings
//! (`dataplane.allow_local_push_endpoints` off) refuses `localhost` when the request arrives,
//! and a host name that the system resolver maps to a loopback address when the push starts,
//! naming the host and the address — without a single connection to that address.
//!
//! The second name comes from `/etc/hosts` as the machine has it (the test edits nothing):
//! any name other than `localhost` listed for a loopback address.

#[path = "transfer_support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use support::Pair;
use tests::harness::ports::free_port;

/// A name `/etc/hosts` lists for a loopback address, other than `localhost`, with that
/// address.
fn loopback_name_in_hosts() -> Option<(String, String)> {
    let text = std::fs::read_to_string("/etc/hosts").ok()?;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        let Some(addr) = fields.next() else { continue };
        let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
            continue;
        };
        if !ip.is_loopback() {
            continue;
        }
        for name in fields {
            let lower = name.to_ascii_lowercase();
            if !lower.contains("localhost") && !lower.starts_with("ip6-") {
                return Some((name.to_owned(), addr.to_owned()));
            }
        }
    }
    None
}

async fn push_to(p: &Pair, endpoint: &str) -> Value {
    let (status, t) = p
        .consumer
        .post(
            "/api/v1/transfers",
            &json!({"agreement_id": p.agreement, "format": "HttpData-PUSH",
                    "push_endpoint": endpoint, "push_token": "extern-abc"}),
        )
        .await;
    assert_eq!(status, 201, "transfer: {t}");
    p.wait_consumer(t["id"].as_str().expect("id"), "TERMINATED", |t| {
        t["state"] == "TERMINATED"
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_endpoint_names_resolving_to_loopback_are_refused() {
    let p = Pair::start("push_endpoint_dns", 256 * 1024, json!({})).await;
    // Something listens there, counting connections: none may arrive.
    let port = free_port();
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port))
        .await
        .expect("bind");
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });

    // `localhost` by name: refused when the request arrives.
    let t = push_to(&p, &format!("https://localhost:{port}/eingang")).await;
    let reasons = t["termination"]["reasons"].to_string();
    assert!(
        reasons.contains("localhost") && reasons.contains("private"),
        "{t}"
    );

    // Another name for a loopback address: refused when the push starts.
    match loopback_name_in_hosts() {
        Some((name, addr)) => {
            let t = push_to(&p, &format!("https://{name}:{port}/eingang")).await;
            let reasons = t["termination"]["reasons"].to_string();
            assert!(
                reasons.contains(&format!("host {name} resolves to"))
                    && reasons.contains(&addr)
                    && reasons.contains("private"),
                "the reason names the host and the address: {t}"
            );
            let (_, pts) = p.provider.get("/api/v1/transfers").await;
            let pt = pts
                .as_array()
                .expect("list")
                .iter()
                .find(|x| x["consumer_pid"] == t["id"])
                .cloned()
                .expect("provider transfer");
            assert_eq!(pt["termination"]["code"], "push_not_possible", "{pt}");
        }
        None => println!("/etc/hosts lists no other name for a loopback address; part skipped"),
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "no connection reached the loopback endpoint"
    );
}
