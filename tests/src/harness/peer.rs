//! The other side of a DSP conversation, played by a test: an HTTPS server that records every
//! message the connector sends it (and answers as scripted), and a client that sends
//! messages to the connector with a valid request token (or the TCK's fixed header).
//! Every valid message in either direction is captured for the conformance check.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::connector::{TCK_AUTHORIZATION, TestConnector};
use super::env::TestEnv;
use super::identity::{Member, Participant};
use super::ports::free_port;

/// A message the connector sent to the peer.
#[derive(Clone, Debug)]
pub struct Received {
    /// The HTTP method.
    pub method: String,
    /// The path (`/dsp/negotiations/…`).
    pub path: String,
    /// The JSON body (`Null` when none).
    pub body: Value,
    /// The `Authorization` header.
    pub authorization: Option<String>,
}

impl Received {
    /// The body's `@type`.
    pub fn type_(&self) -> &str {
        self.body.get("@type").and_then(Value::as_str).unwrap_or("")
    }
}

/// How the peer answers: status and optional JSON body.
pub type Responder = Arc<dyn Fn(&Received) -> (StatusCode, Option<Value>) + Send + Sync>;

/// How the peer authenticates its calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerAuth {
    /// Self-issued tokens with a membership credential.
    Token,
    /// The TCK's fixed header (TCK mode).
    Tck,
}

/// A test peer.
pub struct Peer {
    /// Its identity.
    pub participant: Participant,
    /// Its port.
    pub port: u16,
    /// How it authenticates.
    pub auth: PeerAuth,
    received: Arc<Mutex<Vec<Received>>>,
    notify: Arc<Notify>,
    responder: Arc<Mutex<Responder>>,
    shutdown: CancellationToken,
    http: reqwest::Client,
    capture: Arc<super::capture::Capture>,
}

/// The default answers: 201 with a `ContractNegotiation` to an initial contract request
/// (the peer playing provider), 200 to everything else.
pub fn default_responder() -> Responder {
    Arc::new(|r: &Received| {
        if r.method == "POST" && r.path.ends_with("/negotiations/request") {
            let ack = json!({
                "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
                "@type": "ContractNegotiation",
                "providerPid": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
                "consumerPid": r.body.get("consumerPid").cloned().unwrap_or(Value::Null),
                "state": "REQUESTED",
            });
            (StatusCode::CREATED, Some(ack))
        } else {
            (StatusCode::OK, None)
        }
    })
}

impl Peer {
    /// Starts a peer with a membership credential for `member`.
    pub async fn start(env: &TestEnv, member: Member, auth: PeerAuth) -> Peer {
        let port = free_port();
        let did = format!("did:web:localhost%3A{port}");
        let participant = Participant::new(&env.authority, &did, &member);
        let cert = env.ca.server(&["localhost", "127.0.0.1"]);
        let dir = env.dir.join(format!("peer-{port}"));
        std::fs::create_dir_all(&dir).expect("peer folder");
        std::fs::write(dir.join("cert.pem"), &cert.cert_pem).expect("cert");
        std::fs::write(dir.join("key.pem"), &cert.key_pem).expect("key");
        let tls = connector::tls::server_config(&dir.join("cert.pem"), &dir.join("key.pem"))
            .expect("TLS");
        let received = Arc::new(Mutex::new(Vec::new()));
        let notify = Arc::new(Notify::new());
        let responder = Arc::new(Mutex::new(default_responder()));
        let shutdown = CancellationToken::new();
        let capture = env.capture.clone();
        let (r, n, resp, cap) = (
            received.clone(),
            notify.clone(),
            responder.clone(),
            capture.clone(),
        );
        let app = Router::new().fallback(move |request: Request| {
            let (r, n, resp, cap) = (r.clone(), n.clone(), resp.clone(), cap.clone());
            async move { handle(request, r, n, resp, cap).await }
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind peer");
        let listener = connector::tls::TlsListener::from_tcp(listener, tls);
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app.into_make_service())
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
        });
        Peer {
            participant,
            port,
            auth,
            received,
            notify,
            responder,
            shutdown,
            http: env.http.clone(),
            capture,
        }
    }

    /// The peer's DSP base URL (also its callback address).
    pub fn base(&self) -> String {
        format!("https://localhost:{}/dsp", self.port)
    }

    /// The peer's DID.
    pub fn did(&self) -> &str {
        &self.participant.did
    }

    /// Replaces the answers.
    pub fn set_responder(&self, responder: Responder) {
        *self.responder.lock().unwrap_or_else(|e| e.into_inner()) = responder;
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits for a received message matching `pred` (after `skip` earlier ones).
    pub async fn wait_for(
        &self,
        what: &str,
        secs: u64,
        pred: impl Fn(&Received) -> bool,
    ) -> Received {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let notified = self.notify.notified();
            if let Some(r) = self.received().into_iter().find(|r| pred(r)) {
                return r;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "peer: no {what} within {secs} s; received: {:#?}",
                self.received()
            );
            let _ = tokio::time::timeout(left, notified).await;
        }
    }

    /// Waits for a message of `type_` (and, optionally, a path suffix).
    pub async fn wait_type(&self, type_: &str, path_suffix: &str) -> Received {
        self.wait_for(type_, 20, |r| {
            r.type_() == type_ && r.path.ends_with(path_suffix)
        })
        .await
    }

    /// True when no message of `type_` arrived within `millis`.
    pub async fn none_within(&self, type_: &str, millis: u64) -> bool {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        !self.received().iter().any(|r| r.type_() == type_)
    }

    fn authorization(&self, connector: &TestConnector) -> String {
        match self.auth {
            PeerAuth::Token => format!("Bearer {}", self.participant.token(&connector.did)),
            PeerAuth::Tck => TCK_AUTHORIZATION.to_owned(),
        }
    }

    async fn read(r: reqwest::Response, capture: &super::capture::Capture) -> (u16, Value) {
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        capture.write("got", &body);
        (status, body)
    }

    /// POSTs a (valid) message to the connector's DSP `path` (relative to `/dsp`).
    pub async fn send(&self, connector: &TestConnector, path: &str, body: &Value) -> (u16, Value) {
        self.capture.write("sent", body);
        self.send_unchecked(connector, path, body).await
    }

    /// POSTs a message that is not captured (invalid messages in negative tests).
    pub async fn send_unchecked(
        &self,
        connector: &TestConnector,
        path: &str,
        body: &Value,
    ) -> (u16, Value) {
        let url = format!("{}/{}", connector.dsp_base(), path.trim_start_matches('/'));
        let r = self
            .http
            .post(url)
            .header("authorization", self.authorization(connector))
            .json(body)
            .send()
            .await
            .expect("POST to the connector");
        Self::read(r, &self.capture).await
    }

    /// POSTs with an explicit Authorization header (or none).
    pub async fn send_with_auth(
        &self,
        url: &str,
        authorization: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        let mut request = self.http.post(url).json(body);
        if let Some(a) = authorization {
            request = request.header("authorization", a);
        }
        let r = request.send().await.expect("POST");
        Self::read(r, &self.capture).await
    }

    /// GETs the connector's DSP `path`.
    pub async fn get(&self, connector: &TestConnector, path: &str) -> (u16, Value) {
        let url = format!("{}/{}", connector.dsp_base(), path.trim_start_matches('/'));
        let r = self
            .http
            .get(url)
            .header("authorization", self.authorization(connector))
            .send()
            .await
            .expect("GET from the connector");
        Self::read(r, &self.capture).await
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn handle(
    request: Request,
    received: Arc<Mutex<Vec<Received>>>,
    notify: Arc<Notify>,
    responder: Arc<Mutex<Responder>>,
    capture: Arc<super::capture::Capture>,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = axum::body::to_bytes(request.into_body(), 4 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    capture.write("received", &body);
    let r = Received {
        method,
        path,
        body,
        authorization,
    };
    let respond = responder.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let (status, answer) = respond(&r);
    received.lock().unwrap_or_else(|e| e.into_inner()).push(r);
    notify.notify_waiters();
    match answer {
        Some(v) => {
            capture.write("answered", &v);
            (status, axum::Json(v)).into_response()
        }
        None => (status, Body::empty()).into_response(),
    }
}
