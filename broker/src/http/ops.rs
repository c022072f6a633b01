//! Operations: health, readiness, Prometheus metrics, the OpenAPI document, the fallback.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use super::AppState;
use super::body::wants_html;
use super::error::ApiError;
use crate::error::BrokerError;

/// The public API's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Broker of the municipal data space",
        description = "See API.md for the full contract."
    ),
    paths(
        super::participants::handle_join,
        super::participants::handle_get_participant,
        super::participants::handle_get_credential,
        super::participants::handle_status_list,
        super::participants::handle_did_document,
        super::participants::handle_charta,
        super::self_descriptions::handle_put,
        super::self_descriptions::handle_get,
        super::self_descriptions::handle_delete,
    ),
    components(schemas(
        super::error::ErrorBody,
        super::self_descriptions::Accepted,
        super::participants::JoinAnswer,
        super::participants::ParticipantView,
        super::participants::ChartaView
    ))
)]
pub(crate) struct PublicApi;

/// `GET /healthz`
pub(crate) async fn handle_health() -> &'static str {
    "ok"
}

/// `GET /readyz`
pub(crate) async fn handle_ready(State(state): State<AppState>) -> Response {
    if state.is_ready() {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "starting").into_response()
    }
}

/// `GET /metrics` (Prometheus text format).
pub(crate) async fn handle_metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = crate::metrics::render(&state)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// `GET /api/v1/openapi.json`
pub(crate) async fn handle_openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(PublicApi::openapi())
}

/// Anything else: 404 (HTML for browsers).
pub(crate) async fn handle_not_found(headers: HeaderMap, uri: Uri) -> Response {
    let e = BrokerError::NotFound(format!("{} does not exist", uri.path()));
    if wants_html(&headers) {
        return super::pages::error_page(&e);
    }
    ApiError(e).into_response()
}
