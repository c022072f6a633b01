//! Outgoing DSP calls: HTTPS with the configured roots, a fresh request token per call, a size
//! limit on answers, and optional capture of every message for conformance checks.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;

use crate::trust::TokenIssuer;

/// Characters percent-encoded in a URL path segment: all but RFC 3986's unreserved ones
/// (`A–Z a–z 0–9 - . _ ~`).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `s` as one URL path segment (or query value): ids with `/`, `:`, `#` or spaces stay one
/// segment.
pub fn path_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// Largest answer body read from another connector.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// An outgoing call that did not produce an HTTP answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The request token could not be signed.
    #[error("cannot sign the request token: {0}")]
    Token(String),
    /// Connection, TLS or timeout problem (worth retrying).
    #[error("network: {0}")]
    Network(String),
    /// The URL is not acceptable.
    #[error("URL {url}: {message}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The answer was larger than [`MAX_RESPONSE_BYTES`].
    #[error("the answer exceeds {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    /// This connector is not a member (yet, or any more): the message says why and what to do.
    #[error("{0}")]
    NotMember(String),
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct DspResponse {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Bytes,
}

impl DspResponse {
    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Writes DSP messages into a folder, numbered in order (diagnostics).
#[derive(Debug)]
pub struct Capture {
    dir: PathBuf,
    counter: AtomicU64,
}

impl Capture {
    /// Captures into `dir` (created if missing).
    pub fn new(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            counter: AtomicU64::new(0),
        })
    }

    /// Writes `body` if it is a JSON object with an `@type` or a version document.
    pub fn write(&self, direction: &str, body: &[u8]) {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            return;
        };
        let type_ = match crate::dsp::peek_type(&value) {
            Some(t) => t.to_owned(),
            None if value.get("protocolVersions").is_some() => "VersionResponse".to_owned(),
            None => return,
        };
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}-{:06}-{direction}-{type_}.json", std::process::id(), n);
        let text = serde_json::to_vec_pretty(&value).unwrap_or_default();
        if let Err(e) = std::fs::write(self.dir.join(name), text) {
            tracing::debug!(error = %e, "cannot write captured DSP message");
        }
    }
}

/// The HTTP client for calls to other connectors.
#[derive(Clone)]
pub struct DspClient {
    http: reqwest::Client,
    issuer: Arc<TokenIssuer>,
    allow_plain_http: bool,
    capture: Option<Arc<Capture>>,
}

impl std::fmt::Debug for DspClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DspClient").finish_non_exhaustive()
    }
}

impl DspClient {
    /// A client trusting `tls` roots; `allow_plain_http` permits `http://` counterparties (TCK
    /// mode only).
    pub fn new(
        tls: rustls::ClientConfig,
        issuer: Arc<TokenIssuer>,
        timeout: Duration,
        allow_plain_http: bool,
        capture: Option<Arc<Capture>>,
    ) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "kommunaler-datenraum-connector/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| ClientError::Network(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            issuer,
            allow_plain_http,
            capture,
        })
    }

    fn check_url(&self, url: &str) -> Result<reqwest::Url, ClientError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| ClientError::Url {
            url: url.to_owned(),
            message: e.to_string(),
        })?;
        match parsed.scheme() {
            "https" => Ok(parsed),
            "http" if self.allow_plain_http => Ok(parsed),
            other => Err(ClientError::Url {
                url: url.to_owned(),
                message: format!("scheme {other} is not allowed; counterparties must use https"),
            }),
        }
    }

    /// Refuses a call before this connector is a member: the counterparty would refuse it
    /// anyway, and the operator learns why at once. (TCK mode talks to the TCK without one.)
    fn require_membership(&self) -> Result<(), ClientError> {
        if self.allow_plain_http || self.issuer.membership().is_some() {
            return Ok(());
        }
        Err(ClientError::NotMember(self.issuer.not_member_reason()))
    }

    /// GETs a public document (the federation's revocation list) without a token.
    pub async fn get_public(&self, url: &str) -> Result<DspResponse, ClientError> {
        let url = self.check_url(url)?;
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| ClientError::Network(describe(&e)))?;
        self.read(response).await
    }

    /// POSTs a JSON message with a fresh token for `audience`.
    pub async fn post(
        &self,
        url: &str,
        audience: &str,
        body: &serde_json::Value,
    ) -> Result<DspResponse, ClientError> {
        self.require_membership()?;
        let url = self.check_url(url)?;
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        if let Some(c) = &self.capture {
            c.write("sent", &bytes);
        }
        let token = self
            .issuer
            .issue(audience)
            .map_err(|e| ClientError::Token(e.to_string()))?;
        let response = self
            .http
            .post(url)
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes)
            .send()
            .await
            .map_err(|e| ClientError::Network(describe(&e)))?;
        self.read(response).await
    }

    /// GETs a JSON document with a fresh token for `audience`.
    pub async fn get(&self, url: &str, audience: &str) -> Result<DspResponse, ClientError> {
        self.require_membership()?;
        let url = self.check_url(url)?;
        let token = self
            .issuer
            .issue(audience)
            .map_err(|e| ClientError::Token(e.to_string()))?;
        let response = self
            .http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| ClientError::Network(describe(&e)))?;
        self.read(response).await
    }

    async fn read(&self, response: reqwest::Response) -> Result<DspResponse, ClientError> {
        let status = response.status().as_u16();
        if response
            .content_length()
            .is_some_and(|n| n as usize > MAX_RESPONSE_BYTES)
        {
            return Err(ClientError::TooLarge);
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ClientError::Network(describe(&e)))?;
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(ClientError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        if let Some(c) = &self.capture {
            c.write("received", &body);
        }
        Ok(DspResponse {
            status,
            body: Bytes::from(body),
        })
    }

    /// The DID this client's tokens speak for.
    pub fn own_did(&self) -> &str {
        self.issuer.did()
    }
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_segment_keeps_only_unreserved_characters() {
        assert_eq!(super::path_segment("Az09-._~"), "Az09-._~");
        assert_eq!(
            super::path_segment("urn:uuid:1/2 ä#?"),
            "urn%3Auuid%3A1%2F2%20%C3%A4%23%3F"
        );
    }
}
