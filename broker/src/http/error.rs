//! The one place where broker errors become HTTP answers: a status, a stable code and a
//! message that names what is wrong. Internal failures are logged and answered generically.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::BrokerError;

/// A broker error on its way to the client.
#[derive(Debug)]
pub struct ApiError(pub BrokerError);

impl From<BrokerError> for ApiError {
    fn from(e: BrokerError) -> Self {
        ApiError(e)
    }
}

/// The JSON error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code (`invalid_signature`, `replay`, …).
    pub error: &'static str,
    /// What is wrong, for people.
    pub message: String,
    /// One line per problem, when there is a list (DCAT violations).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// Status and code of an error.
pub fn status_and_code(e: &BrokerError) -> (StatusCode, &'static str) {
    use BrokerError as E;
    match e {
        E::Config(_) | E::Storage(_) | E::Index(_) | E::Authority(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
        E::InvalidRequest { .. } => (StatusCode::BAD_REQUEST, "invalid_request"),
        E::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        E::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        E::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        E::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
        E::NotActive { .. } => (StatusCode::FORBIDDEN, "not_active"),
        E::Revoked(_) => (StatusCode::FORBIDDEN, "revoked"),
        E::InvalidTransition { .. } => (StatusCode::CONFLICT, "invalid_transition"),
        E::WrongParticipant { .. } => (StatusCode::FORBIDDEN, "wrong_participant"),
        E::MalformedEnvelope(_) => (StatusCode::BAD_REQUEST, "malformed_envelope"),
        E::InvalidSignature(_) => (StatusCode::UNAUTHORIZED, "invalid_signature"),
        E::Replay { .. } => (StatusCode::CONFLICT, "replay"),
        E::MalformedRdf(_) => (StatusCode::BAD_REQUEST, "malformed_rdf"),
        E::InvalidDcat(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_dcat"),
        E::ChartaMismatch(_) => (StatusCode::UNPROCESSABLE_ENTITY, "charta_mismatch"),
        E::UpdateRefused => (StatusCode::BAD_REQUEST, "update_refused"),
        E::ServiceRefused => (StatusCode::BAD_REQUEST, "service_refused"),
        E::QuerySyntax(_) => (StatusCode::BAD_REQUEST, "query_syntax"),
        E::QueryRefused(_) => (StatusCode::BAD_REQUEST, "query_refused"),
        E::QueryTimeout(_) => (StatusCode::SERVICE_UNAVAILABLE, "query_timeout"),
        E::QueryMemory(_) => (StatusCode::SERVICE_UNAVAILABLE, "query_too_large"),
        E::ResultLimit(_) => (StatusCode::BAD_REQUEST, "result_limit"),
        E::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        E::NotReady => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
    }
}

/// The JSON body of an error (generic for internal errors, which are logged here).
pub(crate) fn error_body(e: &BrokerError) -> (StatusCode, ErrorBody) {
    let (status, code) = status_and_code(e);
    if status.is_server_error() && code == "internal" {
        tracing::error!(error = %e, "internal error");
        return (
            status,
            ErrorBody {
                error: code,
                message: "internal error; the broker's log has the details".into(),
                details: Vec::new(),
            },
        );
    }
    let details = match e {
        BrokerError::InvalidDcat(lines) => lines.clone(),
        _ => Vec::new(),
    };
    (
        status,
        ErrorBody {
            error: code,
            message: e.to_string(),
            details,
        },
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = error_body(&self.0);
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED && matches!(self.0, BrokerError::Unauthorized) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// Result of a handler.
pub(crate) type ApiResult<T> = Result<T, ApiError>;
