//! Reading a DSP request: the caller's token, the size-limited body, and the JSON.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::Value;

use super::error::{DspError, ErrorContext};
use crate::app::App;
use crate::negotiation::message_digest;
use crate::trust::Caller;

/// A DSP request that passed authentication and is JSON.
#[derive(Debug)]
pub struct Incoming {
    /// Who calls.
    pub caller: Caller,
    /// The body.
    pub json: Value,
    /// Digest of path and body (duplicate detection).
    pub digest: String,
}

/// Authenticates the caller of a DSP request.
pub fn authenticate(
    app: &App,
    headers: &HeaderMap,
    ctx: &ErrorContext,
) -> Result<Caller, DspError> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !app.federation.is_member() {
        // Nothing can be agreed before this connector is a member (its answers and
        // callbacks carry no credential): the protocol's error body, 503, and why.
        return Err(ctx.error(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_a_member",
            format!(
                "this connector is not a member of the federation yet: {}",
                app.federation.status().message
            ),
        ));
    }
    let now = crate::process::now_ms() / 1000;
    app.verifier.verify(auth, now).map_err(|e| {
        tracing::info!(reason = %e, "DSP call refused");
        ctx.auth(e)
    })
}

/// Reads the body of a DSP POST: authenticates, enforces the size limit and the media type,
/// and parses JSON. The process ids named in the body are taken into `ctx` for error answers.
pub async fn read(
    app: &App,
    headers: &HeaderMap,
    path: &str,
    body: Body,
    ctx: &mut ErrorContext,
) -> Result<Incoming, DspError> {
    let caller = authenticate(app, headers, ctx)?;
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
        let essence = ct.split(';').next().unwrap_or_default().trim();
        if !(essence == "application/json" || essence.ends_with("+json")) {
            return Err(ctx.error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("Content-Type {essence:?}: DSP messages are application/json"),
            ));
        }
    }
    let limit = app.config.dsp.max_body_bytes;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ctx.error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body exceeds {limit} bytes"),
        )
    })?;
    let json: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ctx.error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not JSON: {e}"),
        )
    })?;
    ctx.learn(&json);
    Ok(Incoming {
        caller,
        digest: message_digest(path, &bytes),
        json,
    })
}
