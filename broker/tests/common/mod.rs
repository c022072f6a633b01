//! Helpers for the router tests: an in-memory broker, members with keys, the showcase
//! self-description with its ODRL offer, and a one-shot HTTP call.
#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod offer;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use broker::authority::{Authority, KEY_FRAGMENT};
use broker::http::{AdminToken, admin_app, app};
use broker::store::SledStore;
use broker::{Broker, BrokerConfig};
use contracts::charta::Charta;
use contracts::membership::{ChartaAcceptance, sign_charta_acceptance};
use contracts::template::Template;
use oxigraph::model::Graph;
use tower::ServiceExt;
use vocab::jose::SigningKey;
use vocab::model::SelfDescription;

pub const BROKER_URL: &str = "https://broker.test";
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

pub struct TestBroker {
    pub broker: Arc<Broker>,
    pub app: Router,
    pub admin: Router,
}

pub fn config(dev_auto_approve: bool) -> BrokerConfig {
    let mut c = BrokerConfig::new(BROKER_URL);
    c.tls.behind_proxy = true;
    c.dev_auto_approve = dev_auto_approve;
    c
}

pub fn test_broker_with(config: BrokerConfig) -> TestBroker {
    let key = SigningKey::generate(&format!("did:web:broker.test#{KEY_FRAGMENT}")).expect("key");
    let authority = Authority::new(key, &config.public_url, 365, 3600).expect("authority");
    let store = Arc::new(SledStore::temporary().expect("store"));
    let broker = Arc::new(Broker::new(config, store, authority).expect("broker"));
    broker.rebuild().expect("rebuild");
    TestBroker {
        app: app(broker.clone()),
        admin: admin_app(broker.clone(), AdminToken::new(ADMIN_TOKEN)),
        broker,
    }
}

pub fn test_broker(dev_auto_approve: bool) -> TestBroker {
    test_broker_with(config(dev_auto_approve))
}

/// A participant with its key and base URL.
#[derive(Clone)]
pub struct Member {
    pub base: String,
    pub did: String,
    pub key: SigningKey,
}

pub fn member(base: &str) -> Member {
    let did = vocab::did::did_web_from_url(base).expect("did");
    let key = SigningKey::generate(&format!("{did}#key-1")).expect("key");
    Member {
        base: base.to_owned(),
        did,
        key,
    }
}

pub fn stadtwerke() -> Member {
    member("https://stadtwerke.example")
}

pub fn musterstadt() -> Member {
    member("https://musterstadt.example")
}

/// The JSON join request of a member described by `sd`.
pub fn join_request(m: &Member, sd: &SelfDescription) -> serde_json::Value {
    let acceptance = ChartaAcceptance::new(&Charta::default_1_0(), &m.did, 1_750_000_000);
    let jws = sign_charta_acceptance(&m.key, &acceptance).expect("acceptance");
    let p = &sd.participant;
    let mut body = serde_json::json!({
        "did": m.did,
        "legalName": p.legal_name,
        "participantType": p.participant_type,
        "connectorEndpoint": p.connector_endpoint,
        "publicKey": m.key.public_key().to_jwk_value(),
        "chartaAcceptance": jws,
    });
    if let Some(a) = &p.ags {
        body["ags"] = serde_json::Value::String(a.as_str().to_owned());
    }
    body
}

pub fn stadtwerke_sd(m: &Member) -> SelfDescription {
    vocab::showcase::stadtwerke(&m.base).expect("showcase")
}

pub fn musterstadt_sd(m: &Member) -> SelfDescription {
    vocab::showcase::musterstadt(&m.base).expect("showcase")
}

const TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../contracts/templates/kommunale-planung-aggregiert-12-monate.md"
));

/// The self-description graph plus, for every dataset that names an offer, the rendered ODRL
/// offer of the showcase template (as the connector publishes it).
pub fn graph_with_offer(sd: &SelfDescription) -> Graph {
    let mut graph = sd.to_graph().expect("graph");
    let template = Template::parse(TEMPLATE).expect("template");
    let rendered = template
        .render(&BTreeMap::new(), &Charta::default_1_0())
        .expect("render");
    let datasets: Vec<String> = sd
        .datasets
        .iter()
        .filter(|d| !d.offered_policies.is_empty())
        .map(|d| d.id.clone())
        .collect();
    offer::add_offer(
        &mut graph,
        &rendered.offer,
        &datasets,
        (
            &rendered.template_id,
            &rendered.template_version,
            &template.title,
        ),
    );
    graph
}

pub fn turtle_of(graph: &Graph) -> String {
    vocab::rdf::to_turtle(graph).expect("turtle")
}

pub fn seal(m: &Member, turtle: &str, iat: i64) -> String {
    vocab::envelope::seal(turtle.as_bytes(), &m.key, iat).expect("seal")
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn did_path(did: &str) -> String {
    broker::http::path_segment(did)
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn error_code(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

pub async fn call(
    router: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = router
        .clone()
        .oneshot(request.body(body.into()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn get(router: &Router, uri: &str) -> Answer {
    call(router, Method::GET, uri, &[], Body::empty()).await
}

pub async fn post_json(router: &Router, uri: &str, json: &serde_json::Value) -> Answer {
    call(
        router,
        Method::POST,
        uri,
        &[("content-type", "application/json")],
        json.to_string(),
    )
    .await
}

pub async fn admin(router: &Router, action: &str, did: &str, reason: Option<&str>) -> Answer {
    let body = reason
        .map(|r| serde_json::json!({ "reason": r }).to_string())
        .unwrap_or_default();
    call(
        router,
        Method::POST,
        &format!("/admin/v1/participants/{}/{action}", did_path(did)),
        &[
            ("authorization", &format!("Bearer {ADMIN_TOKEN}")),
            ("content-type", "application/json"),
        ],
        body,
    )
    .await
}

pub async fn put_envelope(router: &Router, did: &str, jws: &str) -> Answer {
    call(
        router,
        Method::PUT,
        &format!("/api/v1/self-descriptions/{}", did_path(did)),
        &[("content-type", "application/jose")],
        jws.to_owned(),
    )
    .await
}

/// Joins (dev mode: approved at once) and publishes the member's showcase description.
pub async fn join_and_publish(tb: &TestBroker, m: &Member, sd: &SelfDescription) -> Answer {
    let joined = post_json(&tb.app, "/api/v1/participants", &join_request(m, sd)).await;
    assert!(joined.status.is_success(), "join: {}", joined.text());
    if joined.status == StatusCode::ACCEPTED {
        let a = admin(&tb.admin, "approve", &m.did, None).await;
        assert_eq!(a.status, StatusCode::OK, "approve: {}", a.text());
    }
    let turtle = turtle_of(&graph_with_offer(sd));
    put_envelope(&tb.app, &m.did, &seal(m, &turtle, now())).await
}
