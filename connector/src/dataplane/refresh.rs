//! Renewing the access token of a long pull, in the way EDC users know it: the provider's
//! data address carries, beside `authorization` and `expiresAt`, a `refreshEndpoint` and a
//! `refreshToken` (DSP `endpointProperties`, free names). `POST {refreshEndpoint}` with
//! `{"refresh_token": …}` and the caller's own request token in `x-dsp-caller` answers with a
//! new access token, its expiry and a new refresh token (OAuth 2.0 names: `access_token`,
//! `token_type`, `expires_in`, `refresh_token`, plus `expires_at`).
//!
//! The provider renews only for the consumer the transfer belongs to, only while the transfer
//! is STARTED and enforcement allows it (agreement valid, membership not revoked); the old
//! access token stops working and the refresh token rotates (each works once). Every renewal
//! is recorded in the audit log; a refusal is answered with a JSON body naming the reason
//! (`{"code", "reason"}`, as data requests) and recorded as a refused access.
//!
//! The consumer renews when a download finds its token expired (see
//! [`crate::transfer::Transfers`]'s fetch) with [`request_renewal`].

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::serve::Refusal;
use super::token::CALLER_HEADER;
use crate::app::App;
use crate::audit::{AuditEvent, AuditKind};
use crate::dsp::transfer::EndpointProperty;
use crate::process::now_ms;
use crate::store::WriteBatch;

/// The endpoint property naming the refresh endpoint.
pub const REFRESH_ENDPOINT: &str = "refreshEndpoint";
/// The endpoint property carrying the refresh token.
pub const REFRESH_TOKEN: &str = "refreshToken";
/// Largest accepted renewal request body.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// The refresh endpoint of a provider transfer (`<data base URL>/<transfer>/refresh`).
pub fn refresh_endpoint(data_base_url: &str, transfer_id: &str) -> String {
    format!(
        "{}/{}/refresh",
        data_base_url.trim_end_matches('/'),
        transfer_id
    )
}

/// The endpoint properties a pull's data address gets for renewal.
pub fn refresh_properties(
    data_base_url: &str,
    transfer_id: &str,
    refresh_token: &str,
) -> [EndpointProperty; 2] {
    [
        EndpointProperty {
            name: REFRESH_ENDPOINT.into(),
            value: refresh_endpoint(data_base_url, transfer_id),
        },
        EndpointProperty {
            name: REFRESH_TOKEN.into(),
            value: refresh_token.to_owned(),
        },
    ]
}

/// A renewal request's body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenewalRequest {
    /// The refresh token of the data address (or of the last renewal).
    pub refresh_token: String,
}

/// A granted renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    /// The new access token.
    pub access_token: String,
    /// When it expires (ms).
    pub expires_ms: i64,
    /// The new refresh token (the presented one is used up).
    pub refresh_token: String,
}

/// The answer to a granted renewal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenewalAnswer {
    /// The new access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// When it expires (RFC 3339).
    pub expires_at: String,
    /// The next refresh token.
    pub refresh_token: String,
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `POST /data/{transfer}/refresh` (provider): renews the access token (see the module
/// docs).
pub async fn refresh(
    State(app): State<Arc<App>>,
    Path(transfer_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut party = None;
    let result = renew(&app, &transfer_id, &headers, body, &mut party).await;
    match result {
        Ok(r) => {
            let answer = RenewalAnswer {
                access_token: r.access_token,
                token_type: "Bearer".into(),
                expires_in: ((r.expires_ms - now_ms()) / 1000).max(0),
                expires_at: rfc3339(r.expires_ms),
                refresh_token: r.refresh_token,
            };
            let mut response = axum::Json(answer).into_response();
            response.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            response
        }
        Err(refusal) => {
            let mut event = AuditEvent::new(
                AuditKind::AccessRefused,
                format!(
                    "Erneuerung des Zugangstokens verweigert: {}",
                    refusal.reasons.join(" ")
                ),
            )
            .process(transfer_id.clone())
            .detail("code", refusal.code)
            .detail("reasons", refusal.reasons.clone())
            .detail("renewal", true);
            if let Some(p) = party {
                event = event.party(p);
            }
            if let Ok(Some(t)) = app.transfers.get(&transfer_id) {
                event = event.agreement(t.agreement_id.clone());
            }
            let mut batch = WriteBatch::new();
            app.transfers.audit().stage(&mut batch, event);
            if app.store.apply(batch).is_ok() {
                app.transfers.audit().wake();
            }
            refusal.into_response()
        }
    }
}

async fn renew(
    app: &App,
    transfer_id: &str,
    headers: &HeaderMap,
    body: Body,
    party: &mut Option<String>,
) -> Result<Renewal, Refusal> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body exceeds {MAX_BODY_BYTES} bytes"),
            )
        })?;
    let request: RenewalRequest = serde_json::from_slice(&bytes).map_err(|e| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("the body must be {{\"refresh_token\": \"…\"}}: {e}"),
        )
    })?;
    let caller = app
        .verifier
        .verify(
            headers.get(CALLER_HEADER).and_then(|v| v.to_str().ok()),
            now_ms() / 1000,
        )
        .map_err(|e| {
            Refusal::new(
                StatusCode::UNAUTHORIZED,
                "caller_refused",
                format!("{CALLER_HEADER}: {e}"),
            )
        })?;
    *party = Some(caller.id.clone());
    app.transfers
        .renew_access(transfer_id, &caller.id, &request.refresh_token)
        .await
}

/// Why the consumer's renewal failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenewalError {
    /// The provider cannot be reached.
    #[error("the refresh endpoint cannot be reached: {0}")]
    Network(String),
    /// The provider refused (status, code and reasons).
    #[error("the provider refused the renewal (HTTP {status}, {code}): {reason}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The provider's code.
        code: String,
        /// The provider's reasons.
        reason: String,
    },
    /// The answer is not a renewal.
    #[error("the refresh endpoint's answer is not valid: {0}")]
    Protocol(String),
}

/// Consumer: asks the provider at `endpoint` for a new access token with `refresh_token`;
/// `caller_token` is the whole value of the caller header (`Bearer <jwt>`), fresh for this
/// request.
pub async fn request_renewal(
    client: &reqwest::Client,
    endpoint: &str,
    refresh_token: &str,
    caller_token: &str,
) -> Result<Renewal, RenewalError> {
    let response = client
        .post(endpoint)
        .header(CALLER_HEADER, caller_token)
        .json(&RenewalRequest {
            refresh_token: refresh_token.to_owned(),
        })
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| RenewalError::Network(e.without_url().to_string()))?;
    let status = response.status().as_u16();
    if response.content_length().is_some_and(|n| n > 64 * 1024) {
        return Err(RenewalError::Protocol("the answer exceeds 64 KiB".into()));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| RenewalError::Network(e.without_url().to_string()))?;
    if status != 200 {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        return Err(RenewalError::Refused {
            status,
            code: v["code"].as_str().unwrap_or("unknown").to_owned(),
            reason: match &v["reason"] {
                serde_json::Value::Array(r) => r
                    .iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
            },
        });
    }
    let answer: RenewalAnswer =
        serde_json::from_slice(&body).map_err(|e| RenewalError::Protocol(e.to_string()))?;
    let expires_ms = chrono::DateTime::parse_from_rfc3339(&answer.expires_at)
        .map(|d| d.timestamp_millis())
        .map_err(|e| RenewalError::Protocol(format!("expires_at: {e}")))?;
    if answer.access_token.is_empty()
        || answer.access_token.len() > 1024
        || answer.refresh_token.is_empty()
        || answer.refresh_token.len() > 1024
    {
        return Err(RenewalError::Protocol(
            "access_token and refresh_token must be 1 to 1024 characters".into(),
        ));
    }
    Ok(Renewal {
        access_token: answer.access_token,
        expires_ms,
        refresh_token: answer.refresh_token,
    })
}
