//! Helpers of the federation tests: the broker's authority thumbprint, offers on a provider,
//! waiting for membership and publication, negotiating, searching the broker.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::broker::TestBroker;
use tests::harness::TestConnector;

/// The JWK thumbprint of the broker's authority key, read from its DID document (what an
/// operator compares with the thumbprint the federation publishes out of band).
pub(crate) async fn authority_thumbprint(broker: &TestBroker) -> String {
    let (status, text) = broker.get("/.well-known/did.json").await;
    assert_eq!(status, 200, "{text}");
    let doc = vocab::did::DidDocument::from_json(&text, &broker.authority_did()).expect("did.json");
    let kid = doc
        .assertion_method
        .first()
        .expect("an assertion key")
        .clone();
    doc.assertion_key(&kid).expect("key").thumbprint()
}

fn template(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../contracts/templates/{name}.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("template file")
}

/// Adds the template (once), an asset and an offer to `provider`; returns the offer.
pub(crate) async fn offer(provider: &TestConnector, template_name: &str, asset: Value) -> Value {
    let (status, t) = provider
        .post_text(
            "/api/v1/templates",
            &template(template_name),
            "text/markdown",
        )
        .await;
    assert!(status == 201 || status == 409, "template: {status} {t}");
    let (_, templates) = provider.get("/api/v1/templates").await;
    let t = templates
        .as_array()
        .expect("templates")
        .iter()
        .find(|t| t["id"] == template_name)
        .cloned()
        .expect("the template is stored");
    let (status, a) = provider.post("/api/v1/assets", &asset).await;
    assert_eq!(status, 201, "asset: {a}");
    let (status, o) = provider
        .post(
            "/api/v1/offers",
            &json!({"asset_id": a["id"], "template_id": t["id"], "template_version": t["version"]}),
        )
        .await;
    assert_eq!(status, 201, "offer: {o}");
    o
}

/// The traffic counts dataset.
pub(crate) fn traffic_asset() -> Value {
    json!({"id": "verkehrszaehlung-2024", "title": "Verkehrszählung Musterstadt 2024",
           "description": "Stündliche Zählwerte aller Dauerzählstellen.", "themes": ["TRAN"],
           "ags": "09162000", "license": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
           "keywords": ["Verkehr", "Zählstellen"],
           "source": {"file": "/srv/daten/verkehr-2024.csv"}})
}

/// A second dataset (to see republication).
pub(crate) fn parking_asset() -> Value {
    json!({"id": "parkhausbelegung-2024", "title": "Parkhausbelegung Musterstadt 2024",
           "description": "Belegung der städtischen Parkhäuser je Viertelstunde.", "themes": ["TRAN"],
           "ags": "09162000", "license": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
           "source": {"file": "/srv/daten/parken-2024.csv"}})
}

/// Polls `GET /api/v1/federation` until `done` holds (panics after `secs`).
pub(crate) async fn wait_federation(
    c: &TestConnector,
    what: &str,
    secs: u64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (status, v) = c.get("/api/v1/federation").await;
        if status == 200 && done(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{}: not {what} after {secs} s: {v}\n{}",
            c.name,
            c.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the running connector is a member.
pub(crate) async fn wait_member(c: &TestConnector) -> Value {
    wait_federation(c, "a member", 15, |v| v["membership"]["state"] == "member").await
}

/// Waits until the agreement's register entry on `c` is in `state`; returns the listing.
pub(crate) async fn wait_register(
    c: &TestConnector,
    agreement_id: &str,
    state: &str,
    secs: u64,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (status, a) = c
            .get(&format!(
                "/api/v1/agreements/{}",
                tests::broker::did_path(agreement_id)
            ))
            .await;
        if status == 200 && a["register"]["state"] == state {
            return a;
        }
        assert!(
            Instant::now() < deadline,
            "{}: agreement {agreement_id} not {state} in the register after {secs} s: {a}\n{}",
            c.name,
            c.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The broker's JSON search.
pub(crate) async fn search(broker: &TestBroker, query: &str) -> Value {
    let (status, v) = broker.get_json(&format!("/api/v1/search?{query}")).await;
    assert_eq!(status, 200, "{v}");
    v
}

/// Polls the broker's search until `done` holds.
pub(crate) async fn wait_search(
    broker: &TestBroker,
    query: &str,
    secs: u64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let v = search(broker, query).await;
        if done(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "search {query}: not as expected after {secs} s: {v}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Starts a negotiation on `consumer` for a dataset of `provider`; returns status and body.
pub(crate) async fn start_negotiation(
    consumer: &TestConnector,
    provider: &TestConnector,
    dataset: &str,
    purpose: &str,
) -> (u16, Value) {
    consumer
        .post(
            "/api/v1/negotiations",
            &json!({"connector": provider.dsp_base(), "dataset_id": dataset, "purpose": purpose}),
        )
        .await
}

/// Negotiates to FINALIZED; returns the consumer's negotiation.
pub(crate) async fn negotiate_finalized(
    consumer: &TestConnector,
    provider: &TestConnector,
    dataset: &str,
    purpose: &str,
) -> Value {
    let (status, n) = start_negotiation(consumer, provider, dataset, purpose).await;
    assert_eq!(status, 201, "start: {n}");
    consumer
        .wait_state(n["id"].as_str().expect("id"), "FINALIZED", 30)
        .await
}
