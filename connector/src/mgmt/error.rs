//! Errors of the management API, mapped to HTTP in one place, and the strict JSON body reader.

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::negotiation::DecisionError;
use crate::store::StoreError;

/// A management API error. The JSON body is
/// `{"error": "<code>", "message": "<what is wrong and what to do>", "field": "<field>"}`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The input is not acceptable.
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field (`title`, `parameters.dauer`, `<body>`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The token is missing or wrong.
    #[error("a valid management bearer token is required")]
    Unauthorized,
    /// No such resource.
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the resource's current state.
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than allowed.
    #[error("the body exceeds {0} bytes")]
    TooLarge(usize),
    /// Another connector answered with an error or an invalid document.
    #[error("{0}")]
    Upstream(String),
    /// A failure on this side (logged; the client gets a generic message).
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// An invalid-input error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Invalid { .. } => (StatusCode::BAD_REQUEST, "invalid_request"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::Upstream(_) => (StatusCode::BAD_GATEWAY, "upstream_error"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let body = match &self {
            Self::Invalid { field, message } => {
                json!({"error": code, "field": field, "message": format!("{field}: {message}")})
            }
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error in the management API");
                json!({"error": code, "message": "internal error; see the connector's log"})
            }
            other => json!({"error": code, "message": other.to_string()}),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"management\""),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<DecisionError> for ApiError {
    fn from(e: DecisionError) -> Self {
        match e {
            DecisionError::NotFound(id) => Self::NotFound(format!("no negotiation {id}")),
            DecisionError::NotNow(m) => Self::Conflict(m),
            DecisionError::Invalid(m) => Self::invalid("<body>", m),
            DecisionError::Store(e) => Self::Internal(e.to_string()),
        }
    }
}

/// Reads a JSON body strictly: size limit, `application/json`, the target type's rules
/// (unknown fields are refused where the type says so); the error names the field or the
/// position.
pub async fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<T, ApiError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
        if !ct.starts_with("application/json") {
            return Err(ApiError::invalid(
                "Content-Type",
                format!("{ct:?}: send application/json"),
            ));
        }
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::TooLarge(limit))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let message = e.to_string();
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| message.contains("field"))
            .unwrap_or("<body>")
            .to_owned();
        ApiError::invalid(field, message)
    })
}

/// Reads a text body (a template file, a CSV) with the size limit.
pub async fn text_body(body: Body, limit: usize) -> Result<String, ApiError> {
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::TooLarge(limit))?;
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        ApiError::invalid(
            "<body>",
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}
