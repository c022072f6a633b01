//! DSP error answers: one place that turns every failure on a DSP endpoint into its status
//! code and the protocol's error body (`CatalogError`, `ContractNegotiationError`,
//! `TransferError`). 5xx answers are logged with their cause and carry a generic reason.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::dsp::DspMessage;
use crate::dsp::catalog::CatalogError;
use crate::dsp::negotiation::ContractNegotiationError;
use crate::dsp::transfer::{TransferCodeMessage, TransferError};
use crate::negotiation::DspFailure;
use crate::trust::AuthError;

/// Which protocol an endpoint belongs to (decides the error body's type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Catalog protocol.
    Catalog,
    /// Contract negotiation.
    Negotiation,
    /// Transfer process.
    Transfer,
}

/// An error answer on a DSP endpoint.
#[derive(Debug, Clone)]
pub struct DspError {
    /// The status.
    pub status: StatusCode,
    /// The protocol area.
    pub area: Area,
    /// The provider's process id, as far as known.
    pub provider_pid: String,
    /// The consumer's process id, as far as known.
    pub consumer_pid: String,
    /// A short code.
    pub code: String,
    /// Reasons for the client.
    pub reasons: Vec<String>,
}

/// What an endpoint knows for building error answers.
#[derive(Debug, Clone)]
pub struct ErrorContext {
    /// The area.
    pub area: Area,
    /// The provider pid known so far.
    pub provider_pid: String,
    /// The consumer pid known so far.
    pub consumer_pid: String,
}

impl ErrorContext {
    /// A context without process ids.
    pub fn new(area: Area) -> Self {
        Self {
            area,
            provider_pid: String::new(),
            consumer_pid: String::new(),
        }
    }

    /// Takes the process ids a (possibly invalid) message names.
    pub fn learn(&mut self, message: &Value) {
        if let Some(p) = message.get("providerPid").and_then(Value::as_str) {
            self.provider_pid = p.chars().take(1024).collect();
        }
        if let Some(c) = message.get("consumerPid").and_then(Value::as_str) {
            self.consumer_pid = c.chars().take(1024).collect();
        }
    }

    /// An error answer.
    pub fn error(&self, status: StatusCode, code: &str, reason: impl Into<String>) -> DspError {
        DspError {
            status,
            area: self.area,
            provider_pid: self.provider_pid.clone(),
            consumer_pid: self.consumer_pid.clone(),
            code: code.to_owned(),
            reasons: vec![reason.into()],
        }
    }

    /// 401/403 for a caller that was not accepted (the reason names the failed check; it
    /// reveals nothing about processes).
    pub fn auth(&self, e: AuthError) -> DspError {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        let code = if status == StatusCode::FORBIDDEN {
            "forbidden"
        } else {
            "unauthorized"
        };
        let mut err = self.error(status, code, e.to_string());
        // No pids: an unauthenticated client learns nothing from the answer.
        err.provider_pid.clear();
        err.consumer_pid.clear();
        err
    }

    /// 404, without any hint whether the process exists.
    pub fn not_found(&self) -> DspError {
        self.error(StatusCode::NOT_FOUND, "not_found", "no such process")
    }

    /// Maps a negotiation failure.
    pub fn failure(&self, f: DspFailure) -> DspError {
        match f {
            DspFailure::Invalid(e) => {
                self.error(StatusCode::BAD_REQUEST, "invalid_message", e.to_string())
            }
            DspFailure::Rejected { code, reason } => {
                self.error(StatusCode::BAD_REQUEST, code, reason)
            }
            DspFailure::Transition(t) => {
                self.error(StatusCode::BAD_REQUEST, "invalid_transition", t.to_string())
            }
            DspFailure::NotFound => self.not_found(),
            DspFailure::Store(e) => self.internal(&e.to_string()),
        }
    }

    /// 500 with a generic reason; the cause is logged.
    pub fn internal(&self, cause: &str) -> DspError {
        tracing::error!(%cause, "internal error on a DSP endpoint");
        self.error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the operator has been informed through the log",
        )
    }
}

impl DspError {
    /// The error body.
    pub fn body(&self) -> Value {
        let code = Some(self.code.clone());
        let reason: Vec<Value> = self
            .reasons
            .iter()
            .map(|r| Value::String(r.clone()))
            .collect();
        match self.area {
            Area::Catalog => CatalogError { code, reason }.to_json(),
            Area::Negotiation => ContractNegotiationError {
                provider_pid: self.provider_pid.clone(),
                consumer_pid: self.consumer_pid.clone(),
                code,
                reason,
            }
            .to_json(),
            Area::Transfer => TransferError(TransferCodeMessage {
                provider_pid: self.provider_pid.clone(),
                consumer_pid: self.consumer_pid.clone(),
                code,
                reason,
            })
            .to_json(),
        }
    }
}

impl IntoResponse for DspError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"dsp\""),
            );
        }
        response
    }
}
