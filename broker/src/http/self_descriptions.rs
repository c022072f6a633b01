//! `PUT|GET|DELETE /api/v1/self-descriptions/{did}`: signed publication, the envelope as
//! received, signed deletion.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::body::{DELETION_LIMIT, content_type, read_limited};
use super::error::ApiResult;
use crate::error::{BrokerError, invalid};

/// Answer to an accepted publication.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Accepted {
    /// The participant.
    did: String,
    /// The envelope's `iat`.
    iat: i64,
    /// Datasets now visible.
    datasets: usize,
}

fn check_media_type(headers: &HeaderMap) -> Result<(), BrokerError> {
    match content_type(headers).as_str() {
        "application/jose" | "" => Ok(()),
        other => Err(invalid(
            "Content-Type",
            format!("{other:?}; send the compact JWS as application/jose"),
        )),
    }
}

/// `PUT /api/v1/self-descriptions/{did}`
#[utoipa::path(put, path = "/api/v1/self-descriptions/{did}", tag = "self-descriptions",
    params(("did" = String, Path, description = "the publishing participant's DID")),
    request_body(content = String, description = "compact JWS (vocab::envelope)", content_type = "application/jose"),
    responses((status = 200, body = Accepted), (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody), (status = 413, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
pub(super) async fn handle_put(
    State(state): State<AppState>,
    Path(did): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Accepted>> {
    check_media_type(&headers)?;
    let bytes = read_limited(body, state.config().publication.max_envelope_bytes).await?;
    let outcome = state.blocking(move |b| b.publish(&did, &bytes)).await?;
    Ok(Json(Accepted {
        did: outcome.did,
        iat: outcome.iat,
        datasets: outcome.datasets,
    }))
}

/// `GET /api/v1/self-descriptions/{did}`
#[utoipa::path(get, path = "/api/v1/self-descriptions/{did}", tag = "self-descriptions",
    params(("did" = String, Path, description = "the participant's DID")),
    responses((status = 200, description = "the envelope as received", content_type = "application/jose", body = String),
        (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn handle_get(
    State(state): State<AppState>,
    Path(did): Path<String>,
) -> ApiResult<Response> {
    let jws = state.visible_envelope(&did)?;
    Ok(([(header::CONTENT_TYPE, "application/jose")], jws).into_response())
}

/// `DELETE /api/v1/self-descriptions/{did}`
#[utoipa::path(delete, path = "/api/v1/self-descriptions/{did}", tag = "self-descriptions",
    params(("did" = String, Path, description = "the participant's DID")),
    request_body(content = String, description = "signed deletion (vocab::envelope::seal_deletion)", content_type = "application/jose"),
    responses((status = 204), (status = 401, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub(super) async fn handle_delete(
    State(state): State<AppState>,
    Path(did): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<StatusCode> {
    check_media_type(&headers)?;
    let bytes = read_limited(body, DELETION_LIMIT).await?;
    state.blocking(move |b| b.withdraw(&did, &bytes)).await?;
    Ok(StatusCode::NO_CONTENT)
}
