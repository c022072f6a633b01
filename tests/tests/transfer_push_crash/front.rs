//! The test's front of the consumer's DSP port, so that a `kill -9` lands at a chosen point
//! and not wherever a timer happens to fall.
//!
//! The consumer listens on another port; the front passes every request on to it (bodies of
//! `PUT`s streamed, headers kept, `Content-Length` included) and its answers back. It can
//! stop once at one of two points until the test says how to go on ([`Front::release`]):
//!
//! - [`Front::hold_data_at`]: the first `PUT` of pushed data whose path ends as given is
//!   passed on up to a byte count and then held — the consumer has exactly that many bytes, the provider is still
//!   sending ([`Held::Data`]); [`Gate::BreakOff`] then ends the body the consumer reads
//!   with an error, as a dead sender's connection would.
//! - [`Front::hold_completion_answer`]: the first `TransferCompletionMessage` is passed on
//!   and the consumer's answer held back from the provider ([`Held::CompletionAnswer`]):
//!   the consumer has accepted, the provider has not learnt it.
//!   [`Front::alter_repeated_completion`] makes the later completions reach the consumer
//!   with other bytes (the same JSON, pretty-printed).
//!
//! While the consumer is down the front answers 502, as a reverse proxy would.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::support::{Pair, pass_on_headers, passed_back, set_config};
use tests::harness::env::client_tls;
use tests::harness::ports::free_port;

/// What the test tells a held request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Wait.
    Closed,
    /// End it: a held body breaks off, a held answer is never given.
    BreakOff,
}

/// Where the front stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Held {
    /// A data `PUT`, after this many bytes were passed on.
    Data(u64),
    /// The consumer's answer (this status) to a completion.
    CompletionAnswer(u16),
}

/// A data `PUT` the front saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataPut {
    /// The request path.
    pub(crate) path: String,
    /// Its `Content-Range` (a continuation), if any.
    pub(crate) content_range: Option<String>,
}

struct Inner {
    hold_data_at: Mutex<Option<(String, u64)>>,
    hold_completion: AtomicBool,
    alter_repeats: AtomicBool,
    held: watch::Sender<Option<Held>>,
    gate: watch::Sender<Gate>,
    completions: Mutex<Vec<u16>>,
    data_puts: Mutex<Vec<DataPut>>,
    heads: Mutex<Vec<u16>>,
}

/// The front (cheap to clone).
#[derive(Clone)]
pub(crate) struct Front {
    inner: Arc<Inner>,
    upstream: String,
    client: reqwest::Client,
}

/// Moves the consumer of `p` to another port and serves the front on its DSP port.
pub(crate) async fn install(p: &mut Pair) -> Front {
    let inner_port = free_port();
    p.consumer.terminate();
    set_config(
        &p.consumer,
        "dsp",
        "listen",
        format!("127.0.0.1:{inner_port}").into(),
    );
    let front = Front {
        inner: Arc::new(Inner {
            hold_data_at: Mutex::new(None),
            hold_completion: AtomicBool::new(false),
            alter_repeats: AtomicBool::new(false),
            held: watch::Sender::new(None),
            gate: watch::Sender::new(Gate::Closed),
            completions: Mutex::default(),
            data_puts: Mutex::default(),
            heads: Mutex::default(),
        }),
        upstream: format!("https://localhost:{inner_port}"),
        // No overall timeout (a held request waits for the test); no pooled connections
        // (those of a killed consumer are dead).
        client: reqwest::Client::builder()
            .use_preconfigured_tls(client_tls(p.env.ca.pem()))
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(0)
            .build()
            .expect("front client"),
    };
    let app_front = front.clone();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Body| {
            app_front.clone().handle(method, uri, headers, body)
        },
    );
    p.env
        .serve_https("consumer-dsp-front", p.consumer.dsp_port, app)
        .await;
    p.consumer.spawn().await;
    front
}

impl Front {
    /// Holds the next data `PUT` whose path ends with `path_end` ("": any) once `bytes` of
    /// it were passed on.
    pub(crate) fn hold_data_at(&self, path_end: &str, bytes: u64) {
        *self.inner.hold_data_at.lock().expect("lock") = Some((path_end.to_owned(), bytes));
    }

    /// Holds the consumer's answer to the next completion message.
    pub(crate) fn hold_completion_answer(&self) {
        self.inner.hold_completion.store(true, Ordering::SeqCst);
    }

    /// Passes completions after the first on with other bytes (same message).
    pub(crate) fn alter_repeated_completion(&self) {
        self.inner.alter_repeats.store(true, Ordering::SeqCst);
    }

    /// Waits (at most 60 s) until the front holds something; returns what.
    pub(crate) async fn held(&self) -> Held {
        let mut rx = self.inner.held.subscribe();
        let held = tokio::time::timeout(Duration::from_secs(60), rx.wait_for(Option::is_some))
            .await
            .expect("the front reached its hold point within 60 s")
            .expect("front alive");
        held.expect("held")
    }

    /// Tells the held request how to go on.
    pub(crate) fn release(&self, gate: Gate) {
        self.inner.gate.send_replace(gate);
    }

    /// The consumer's answers (statuses) to completion messages, in order.
    pub(crate) fn completions(&self) -> Vec<u16> {
        self.inner.completions.lock().expect("lock").clone()
    }

    /// The data `PUT`s seen, in order.
    pub(crate) fn data_puts(&self) -> Vec<DataPut> {
        self.inner.data_puts.lock().expect("lock").clone()
    }

    /// The answers (statuses) to the `HEAD`s asking how much of a file the consumer keeps.
    pub(crate) fn heads(&self) -> Vec<u16> {
        self.inner.heads.lock().expect("lock").clone()
    }

    async fn gate(&self) -> Gate {
        let mut rx = self.inner.gate.subscribe();
        rx.wait_for(|g| *g != Gate::Closed)
            .await
            .map(|g| *g)
            .unwrap_or(Gate::BreakOff)
    }

    async fn handle(self, method: Method, uri: Uri, headers: HeaderMap, body: Body) -> Response {
        let path = uri.path().to_owned();
        let url = format!(
            "{}{}",
            self.upstream,
            uri.path_and_query().map_or("/", |p| p.as_str())
        );
        let mut request = pass_on_headers(self.client.request(method.clone(), &url), &headers);
        if method == Method::PUT && path.contains("/push/") {
            let content_range = headers
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            self.inner.data_puts.lock().expect("lock").push(DataPut {
                path: path.clone(),
                content_range,
            });
            if let Some(len) = headers.get("content-length") {
                request = request.header("content-length", len);
            }
            let hold = {
                let mut hold = self.inner.hold_data_at.lock().expect("lock");
                match hold.as_ref() {
                    Some((end, _)) if path.ends_with(end.as_str()) => hold.take().map(|h| h.1),
                    _ => None,
                }
            };
            request = request.body(reqwest::Body::wrap_stream(self.pass_on(body, hold)));
        } else {
            let Ok(mut bytes) = axum::body::to_bytes(body, 4 << 20).await else {
                return (StatusCode::BAD_REQUEST, "body not readable").into_response();
            };
            let completion = method == Method::POST && path.ends_with("/completion");
            if completion
                && self.inner.alter_repeats.load(Ordering::SeqCst)
                && !self.completions().is_empty()
            {
                let message: serde_json::Value =
                    serde_json::from_slice(&bytes).expect("a JSON completion");
                let pretty = serde_json::to_vec_pretty(&message).expect("JSON");
                assert_ne!(pretty, bytes.to_vec(), "other bytes");
                bytes = Bytes::from(pretty);
            }
            request = request.body(bytes);
        }
        let head = method == Method::HEAD && path.contains("/push/");
        let answer = match request.send().await {
            Ok(a) => a,
            Err(e) => {
                if head {
                    self.inner.heads.lock().expect("lock").push(502);
                }
                return (StatusCode::BAD_GATEWAY, e.to_string()).into_response();
            }
        };
        let status = answer.status();
        if head {
            self.inner.heads.lock().expect("lock").push(status.as_u16());
        }
        let out = answer.headers().clone();
        let bytes = answer.bytes().await.unwrap_or_default();
        if method == Method::POST && path.ends_with("/completion") {
            self.inner
                .completions
                .lock()
                .expect("lock")
                .push(status.as_u16());
            if self.inner.hold_completion.swap(false, Ordering::SeqCst) {
                self.inner
                    .held
                    .send_replace(Some(Held::CompletionAnswer(status.as_u16())));
                if self.gate().await == Gate::BreakOff {
                    return StatusCode::BAD_GATEWAY.into_response();
                }
            }
        }
        passed_back(status, &out, bytes)
    }

    /// The body passed on to the consumer: `body` as it arrives, held after `hold` bytes
    /// until the test's word.
    fn pass_on(
        &self,
        body: Body,
        hold: Option<u64>,
    ) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(1);
        let front = self.clone();
        tokio::spawn(async move {
            let mut body = body.into_data_stream();
            let (mut passed, mut hold) = (0u64, hold);
            while let Some(chunk) = body.next().await {
                let Ok(mut chunk) = chunk else {
                    let _ = tx
                        .send(Err(std::io::Error::other("the sender broke off")))
                        .await;
                    return;
                };
                if let Some(at) = hold
                    && passed + chunk.len() as u64 >= at
                {
                    let head = chunk.split_to((at - passed) as usize);
                    if !head.is_empty() && tx.send(Ok(head)).await.is_err() {
                        return;
                    }
                    passed = at;
                    hold = None;
                    front.inner.held.send_replace(Some(Held::Data(at)));
                    if front.gate().await == Gate::BreakOff {
                        let _ = tx
                            .send(Err(std::io::Error::other("broken off by the test")))
                            .await;
                        return;
                    }
                }
                passed += chunk.len() as u64;
                if !chunk.is_empty() && tx.send(Ok(chunk)).await.is_err() {
                    return;
                }
            }
        });
        futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
    }
}
