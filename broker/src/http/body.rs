//! Request bodies read with a limit, and content negotiation between HTML and JSON.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};

use crate::error::BrokerError;

/// Join requests.
pub(crate) const JOIN_LIMIT: usize = 64 * 1024;
/// Signed deletions.
pub(crate) const DELETION_LIMIT: usize = 16 * 1024;
/// Register entries.
pub(crate) const REGISTER_LIMIT: usize = 64 * 1024;
/// SPARQL queries (POST).
pub(crate) const QUERY_LIMIT: usize = 64 * 1024;
/// Admin bodies.
pub(crate) const ADMIN_LIMIT: usize = 16 * 1024;

/// Reads the whole body, refusing it once it exceeds `limit` bytes (without reading further).
pub(crate) async fn read_limited(body: Body, limit: usize) -> Result<Bytes, BrokerError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| BrokerError::PayloadTooLarge { limit })
}

/// Whether the client prefers HTML (a browser) over JSON.
pub(crate) fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match (accept.find("text/html"), accept.find("application/json")) {
        (Some(_), None) => true,
        (Some(h), Some(j)) => h < j,
        _ => false,
    }
}

/// The media type of the request body, without parameters, lower case.
pub(crate) fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The body as UTF-8 text.
pub(crate) fn utf8(bytes: &Bytes, field: &str) -> Result<String, BrokerError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|e| BrokerError::InvalidRequest {
            field: field.to_owned(),
            reason: format!("is not UTF-8: {e}"),
        })
}
