//! Calls to the broker's public API (`broker/API.md`): the authority's DID document and
//! Charta, join requests, participant records and credentials, signed self-descriptions, the
//! public register and the revocation list.
//!
//! Plain HTTPS with the connector's configured roots; no request token (the broker checks
//! signatures on what is sent, not the caller). Answers are size-limited; the broker's JSON
//! errors (`{"error", "message", "details"}`) become [`FederationError::Broker`].

use std::time::Duration;

use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::Value;
use vocab::did::DidDocument;

use super::FederationError;
use crate::config::Config;

/// Largest answer read from the broker.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// The Charta the broker publishes (`GET /api/v1/charta`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedCharta {
    /// Its version.
    pub version: String,
    /// SHA-256 of `text`.
    pub sha256: String,
    /// The Charta's text.
    pub text: String,
}

/// A participant record as the broker shows it publicly.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantRecord {
    /// Its DID.
    pub did: String,
    /// `pending`, `active`, `rejected` or `revoked`.
    pub status: String,
    /// Reason of a rejection or revocation.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The answer to a join request.
#[derive(Debug, Clone)]
pub struct JoinAnswer {
    /// 201 (approved at once) or 202 (pending).
    pub http_status: u16,
    /// `pending` or `active`.
    pub status: String,
    /// The credential (when approved at once).
    pub credential: Option<String>,
}

/// What the credential endpoint says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialAnswer {
    /// The membership credential (VC-JWT).
    Issued(String),
    /// None yet (pending or rejected; the message says which).
    NotIssued(String),
    /// Revoked (final).
    Revoked(String),
}

/// A client for one broker.
#[derive(Clone)]
pub struct BrokerClient {
    http: reqwest::Client,
    base: String,
}

impl std::fmt::Debug for BrokerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// An HTTPS client trusting the roots of the connector's configuration.
pub fn http_client(config: &Config, timeout: Duration) -> Result<reqwest::Client, FederationError> {
    let files: Vec<std::path::PathBuf> = config
        .tls
        .extra_ca_files
        .iter()
        .map(|p| config.path(p))
        .collect();
    let roots = crate::tls::root_store(&files, config.tls.use_system_roots)
        .map_err(|e| FederationError::Setup(e.to_string()))?;
    let tls =
        crate::tls::client_config(roots).map_err(|e| FederationError::Setup(e.to_string()))?;
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "kommunaler-datenraum-connector/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .map_err(|e| FederationError::Setup(format!("cannot build the HTTP client: {e}")))
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

/// An answer read with the size limit.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl BrokerClient {
    /// A client for the broker at `base` (`https://broker.example`).
    pub fn new(http: reqwest::Client, base: &str) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// The broker's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `<base><path>` with `did` as one percent-encoded path segment appended to `path`.
    fn url_with_did(&self, path: &str, did: &str, suffix: &str) -> Result<String, FederationError> {
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| FederationError::Setup(format!("broker URL {}: {e}", self.base)))?;
        {
            let mut segments = url.path_segments_mut().map_err(|_| {
                FederationError::Setup(format!("broker URL {} cannot have a path", self.base))
            })?;
            segments.pop_if_empty().push(did);
            for s in suffix.split('/').filter(|s| !s.is_empty()) {
                segments.push(s);
            }
        }
        Ok(url.to_string())
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<Answer, FederationError> {
        let response = request.send().await.map_err(|e| FederationError::Network {
            url: url.to_owned(),
            message: describe(&e),
        })?;
        let status = response.status().as_u16();
        if response
            .content_length()
            .is_some_and(|n| n as usize > MAX_ANSWER_BYTES)
        {
            return Err(FederationError::Invalid {
                what: url.to_owned(),
                message: format!("the answer exceeds {MAX_ANSWER_BYTES} bytes"),
            });
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| FederationError::Network {
                url: url.to_owned(),
                message: describe(&e),
            })?;
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(FederationError::Invalid {
                    what: url.to_owned(),
                    message: format!("the answer exceeds {MAX_ANSWER_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, body })
    }

    /// The broker's error for a non-2xx answer.
    fn refusal(what: &str, answer: &Answer) -> FederationError {
        let json: Option<Value> = serde_json::from_slice(&answer.body).ok();
        let field = |k: &str| {
            json.as_ref()
                .and_then(|v| v.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let details = json
            .as_ref()
            .and_then(|v| v.get("details"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        FederationError::Broker {
            what: what.to_owned(),
            status: answer.status,
            code: field("error").unwrap_or_else(|| "http_error".into()),
            message: field("message").unwrap_or_else(|| {
                String::from_utf8_lossy(&answer.body)
                    .chars()
                    .take(300)
                    .collect()
            }),
            details,
        }
    }

    fn json<T: serde::de::DeserializeOwned>(
        what: &str,
        answer: &Answer,
    ) -> Result<T, FederationError> {
        serde_json::from_slice(&answer.body).map_err(|e| FederationError::Invalid {
            what: what.to_owned(),
            message: e.to_string(),
        })
    }

    /// The authority's DID document, checked to be the document of the DID derived from the
    /// broker's URL.
    pub async fn did_document(&self) -> Result<DidDocument, FederationError> {
        let what = "the authority's DID document";
        let url = format!("{}/.well-known/did.json", self.base);
        let answer = self.send(self.http.get(&url), &url).await?;
        if !(200..300).contains(&answer.status) {
            return Err(Self::refusal(what, &answer));
        }
        let expected = vocab::did::did_web_from_url(&self.base)
            .map_err(|e| FederationError::Setup(format!("broker URL {}: {e}", self.base)))?;
        let text = String::from_utf8(answer.body).map_err(|_| FederationError::Invalid {
            what: what.into(),
            message: "not UTF-8".into(),
        })?;
        DidDocument::from_json(&text, &expected).map_err(|e| FederationError::Invalid {
            what: what.into(),
            message: e.to_string(),
        })
    }

    /// The Charta the broker publishes.
    pub async fn charta(&self) -> Result<PublishedCharta, FederationError> {
        let what = "the Charta request";
        let url = format!("{}/api/v1/charta", self.base);
        let answer = self
            .send(
                self.http.get(&url).header("accept", "application/json"),
                &url,
            )
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(Self::refusal(what, &answer));
        }
        Self::json(what, &answer)
    }

    /// Sends a join request.
    pub async fn join(&self, body: &Value) -> Result<JoinAnswer, FederationError> {
        let what = "the join request";
        let url = format!("{}/api/v1/participants", self.base);
        let answer = self.send(self.http.post(&url).json(body), &url).await?;
        if !(200..300).contains(&answer.status) {
            return Err(Self::refusal(what, &answer));
        }
        let v: Value = Self::json(what, &answer)?;
        Ok(JoinAnswer {
            http_status: answer.status,
            status: v
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            credential: v
                .get("credential")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// The public record of a participant; `None` when the broker does not know it.
    pub async fn participant(
        &self,
        did: &str,
    ) -> Result<Option<ParticipantRecord>, FederationError> {
        let what = "the participant request";
        let url = self.url_with_did("/api/v1/participants", did, "")?;
        let answer = self.send(self.http.get(&url), &url).await?;
        match answer.status {
            404 => Ok(None),
            s if (200..300).contains(&s) => Self::json(what, &answer).map(Some),
            _ => Err(Self::refusal(what, &answer)),
        }
    }

    /// The participant's membership credential, if issued.
    pub async fn credential(&self, did: &str) -> Result<CredentialAnswer, FederationError> {
        let what = "the credential request";
        let url = self.url_with_did("/api/v1/participants", did, "credential")?;
        let answer = self.send(self.http.get(&url), &url).await?;
        let message = || match Self::refusal(what, &answer) {
            FederationError::Broker { message, .. } => message,
            other => other.to_string(),
        };
        match answer.status {
            200 => {
                let jwt = String::from_utf8(answer.body.clone())
                    .map_err(|_| FederationError::Invalid {
                        what: what.into(),
                        message: "not UTF-8".into(),
                    })?
                    .trim()
                    .to_owned();
                Ok(CredentialAnswer::Issued(jwt))
            }
            404 => Ok(CredentialAnswer::NotIssued(message())),
            410 => Ok(CredentialAnswer::Revoked(message())),
            _ => Err(Self::refusal(what, &answer)),
        }
    }

    /// `PUT /api/v1/self-descriptions/{did}`; returns the broker's acceptance (`datasets`, …).
    pub async fn put_self_description(
        &self,
        did: &str,
        envelope: &str,
    ) -> Result<Value, FederationError> {
        let what = "the publication";
        let url = self.url_with_did("/api/v1/self-descriptions", did, "")?;
        let request = self
            .http
            .put(&url)
            .header("content-type", "application/jose")
            .body(envelope.to_owned());
        let answer = self.send(request, &url).await?;
        if !(200..300).contains(&answer.status) {
            return Err(Self::refusal(what, &answer));
        }
        Self::json(what, &answer)
    }

    /// The envelope the broker holds for `did`, if any.
    pub async fn get_self_description(&self, did: &str) -> Result<Option<String>, FederationError> {
        let what = "the self-description request";
        let url = self.url_with_did("/api/v1/self-descriptions", did, "")?;
        let answer = self.send(self.http.get(&url), &url).await?;
        match answer.status {
            404 => Ok(None),
            s if (200..300).contains(&s) => Ok(Some(
                String::from_utf8_lossy(&answer.body).trim().to_owned(),
            )),
            _ => Err(Self::refusal(what, &answer)),
        }
    }

    /// `DELETE /api/v1/self-descriptions/{did}` with a signed deletion; `false` when the broker
    /// held none.
    pub async fn delete_self_description(
        &self,
        did: &str,
        envelope: &str,
    ) -> Result<bool, FederationError> {
        let what = "the withdrawal";
        let url = self.url_with_did("/api/v1/self-descriptions", did, "")?;
        let request = self
            .http
            .delete(&url)
            .header("content-type", "application/jose")
            .body(envelope.to_owned());
        let answer = self.send(request, &url).await?;
        match answer.status {
            404 => Ok(false),
            s if (200..300).contains(&s) => Ok(true),
            _ => Err(Self::refusal(what, &answer)),
        }
    }

    /// `POST /api/v1/register`; `Ok(true)` when recorded now, `Ok(false)` when the agreement
    /// was already registered.
    pub async fn submit_register(&self, body: &Value) -> Result<bool, FederationError> {
        let what = "the register entry";
        let url = format!("{}/api/v1/register", self.base);
        let answer = self.send(self.http.post(&url).json(body), &url).await?;
        match answer.status {
            409 => Ok(false),
            s if (200..300).contains(&s) => Ok(true),
            _ => Err(Self::refusal(what, &answer)),
        }
    }

    /// The agreement ids the public register lists.
    pub async fn register_ids(&self) -> Result<std::collections::HashSet<String>, FederationError> {
        let what = "the register request";
        let url = format!("{}/api/v1/register", self.base);
        let answer = self
            .send(
                self.http.get(&url).header("accept", "application/json"),
                &url,
            )
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(Self::refusal(what, &answer));
        }
        let list: Vec<Value> = Self::json(what, &answer)?;
        Ok(list
            .iter()
            .filter_map(|e| e.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect())
    }

    /// Fetches a document (the revocation list) as text.
    pub async fn get_text(&self, url: &str) -> Result<String, FederationError> {
        let answer = self.send(self.http.get(url), url).await?;
        if !(200..300).contains(&answer.status) {
            return Err(Self::refusal(url, &answer));
        }
        String::from_utf8(answer.body).map_err(|_| FederationError::Invalid {
            what: url.to_owned(),
            message: "not UTF-8".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dids_are_one_path_segment() {
        let c = BrokerClient::new(reqwest::Client::new(), "https://broker.example/");
        assert_eq!(
            c.url_with_did(
                "/api/v1/participants",
                "did:web:a.example%3A8443",
                "credential"
            )
            .expect("url"),
            "https://broker.example/api/v1/participants/did:web:a.example%253A8443/credential"
        );
        assert_eq!(
            c.url_with_did("/api/v1/self-descriptions", "did:web:a.example", "")
                .expect("url"),
            "https://broker.example/api/v1/self-descriptions/did:web:a.example"
        );
    }

    #[test]
    fn broker_errors_keep_code_message_and_details() {
        let answer = Answer {
            status: 422,
            body: br#"{"error":"invalid_dcat","message":"2 violations","details":["a","b"]}"#
                .to_vec(),
        };
        let e = BrokerClient::refusal("the publication", &answer);
        assert_eq!(e.broker_code(), Some("invalid_dcat"));
        assert!(!e.is_transient());
        let text = e.to_string();
        assert!(text.contains("HTTP 422") && text.contains("a; b"), "{text}");
        let busy = BrokerClient::refusal(
            "x",
            &Answer {
                status: 503,
                body: b"busy".to_vec(),
            },
        );
        assert!(busy.is_transient());
    }
}
