//! Onboarding on the public listener: join requests, participant records, credentials, the
//! status list and the authority's DID document.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::body::{JOIN_LIMIT, read_limited};
use super::error::{ApiError, ApiResult};
use crate::error::BrokerError;
use crate::service::{JoinOutcome, JoinRequest};
use crate::store::{Participant, ParticipantStatus};

/// The public view of a participant (no Charta JWS, no credential).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ParticipantView {
    /// DID.
    pub(crate) did: String,
    /// Legal name.
    pub(crate) legal_name: String,
    /// `municipality`, `public_body`, `company` or `research`.
    pub(crate) participant_type: String,
    /// Municipality key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ags: Option<String>,
    /// DSP endpoint.
    pub(crate) connector_endpoint: String,
    /// Registered public key (JWK).
    #[schema(value_type = Object)]
    pub(crate) public_key: serde_json::Value,
    /// `pending`, `active`, `rejected` or `revoked`.
    pub(crate) status: String,
    /// Accepted Charta version.
    pub(crate) charta_version: String,
    /// When the request arrived (RFC 3339).
    pub(crate) requested_at: String,
    /// When the operator decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decided_at: Option<String>,
    /// Reason of a rejection or revocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
}

impl From<&Participant> for ParticipantView {
    fn from(p: &Participant) -> Self {
        Self {
            did: p.did.clone(),
            legal_name: p.legal_name.clone(),
            participant_type: crate::store::participant_type_name(p.participant_type).to_owned(),
            ags: p.ags.clone(),
            connector_endpoint: p.connector_endpoint.clone(),
            public_key: p.public_key.clone(),
            status: p.status.as_str().to_owned(),
            charta_version: p.charta_version.clone(),
            requested_at: p.requested_at.to_rfc3339(),
            decided_at: p.decided_at.map(|d| d.to_rfc3339()),
            reason: p.reason.clone(),
        }
    }
}

/// Answer to a join request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JoinAnswer {
    /// The participant.
    pub(crate) did: String,
    /// `pending` or `active`.
    pub(crate) status: String,
    /// The membership credential (dev mode only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) credential: Option<String>,
}

/// `POST /api/v1/participants`
#[utoipa::path(post, path = "/api/v1/participants", tag = "onboarding",
    request_body(content = String, description = "join request (JSON, see API.md)", content_type = "application/json"),
    responses((status = 202, body = JoinAnswer), (status = 201, body = JoinAnswer),
        (status = 400, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub(crate) async fn handle_join(State(state): State<AppState>, body: Body) -> ApiResult<Response> {
    let bytes = read_limited(body, JOIN_LIMIT).await?;
    let request = JoinRequest::from_json(&bytes)?;
    let location = format!("/api/v1/participants/{}", super::path_segment(&request.did));
    let (status, participant) = match state.blocking(move |b| b.join(request)).await? {
        JoinOutcome::Pending(p) => (StatusCode::ACCEPTED, p),
        JoinOutcome::Approved(p) => (StatusCode::CREATED, p),
    };
    let answer = JoinAnswer {
        did: participant.did.clone(),
        status: participant.status.as_str().to_owned(),
        credential: participant.credential.clone(),
    };
    let mut response = (status, Json(answer)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /api/v1/participants/{did}`
#[utoipa::path(get, path = "/api/v1/participants/{did}", tag = "onboarding",
    params(("did" = String, Path, description = "the participant's DID, one percent-encoded path segment")),
    responses((status = 200, body = ParticipantView), (status = 404, body = super::error::ErrorBody)))]
pub(crate) async fn handle_get_participant(
    State(state): State<AppState>,
    Path(did): Path<String>,
) -> ApiResult<Json<ParticipantView>> {
    Ok(Json(ParticipantView::from(&state.participant(&did)?)))
}

/// `GET /api/v1/participants/{did}/credential`
#[utoipa::path(get, path = "/api/v1/participants/{did}/credential", tag = "onboarding",
    params(("did" = String, Path, description = "the participant's DID")),
    responses((status = 200, description = "VC-JWT", content_type = "application/vc+jwt", body = String),
        (status = 404, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody)))]
pub(crate) async fn handle_get_credential(
    State(state): State<AppState>,
    Path(did): Path<String>,
) -> ApiResult<Response> {
    let p = state.participant(&did)?;
    match (p.status, p.credential) {
        (ParticipantStatus::Active, Some(jwt)) => {
            Ok(([(header::CONTENT_TYPE, "application/vc+jwt")], jwt).into_response())
        }
        (ParticipantStatus::Revoked, _) => {
            let (_, body) = super::error::error_body(&BrokerError::Revoked(did));
            Ok((StatusCode::GONE, Json(body)).into_response())
        }
        (status, _) => Err(ApiError(BrokerError::NotFound(format!(
            "{did} has no credential: it is {}",
            status.as_str()
        )))),
    }
}

/// `GET /api/v1/status-list`
#[utoipa::path(get, path = "/api/v1/status-list", tag = "onboarding",
    responses((status = 200, description = "Bitstring status list credential (JWT)", content_type = "application/vc+jwt", body = String)))]
pub(crate) async fn handle_status_list(State(state): State<AppState>) -> ApiResult<Response> {
    let jwt = state.status_list()?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc+jwt"),
            (header::CACHE_CONTROL, "max-age=60"),
        ],
        jwt,
    )
        .into_response())
}

/// The Charta this federation publishes, as machines read it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChartaView {
    /// The Charta's identifier.
    pub(crate) id: String,
    /// Its version (what a join request's acceptance names).
    pub(crate) version: String,
    /// Its title.
    pub(crate) title: String,
    /// SHA-256 (lowercase hex) of `text`, exactly (what a join request's acceptance names).
    pub(crate) sha256: String,
    /// The Charta's text (TOML) the hash is taken over.
    pub(crate) text: String,
}

/// `GET /api/v1/charta`: the version, hash and text a join request must accept.
#[utoipa::path(get, path = "/api/v1/charta", tag = "onboarding",
    responses((status = 200, body = ChartaView)))]
pub(crate) async fn handle_charta(State(state): State<AppState>) -> Json<ChartaView> {
    let c = state.authority().charta();
    Json(ChartaView {
        id: c.id().to_owned(),
        version: c.version().to_owned(),
        title: c.title().to_owned(),
        sha256: c.sha256().to_owned(),
        text: c.source().to_owned(),
    })
}

/// `GET /.well-known/did.json`
#[utoipa::path(get, path = "/.well-known/did.json", tag = "onboarding",
    responses((status = 200, description = "the authority's DID document", content_type = "application/did+json")))]
pub(crate) async fn handle_did_document(State(state): State<AppState>) -> ApiResult<Response> {
    let doc = state.authority().did_document()?;
    Ok(([(header::CONTENT_TYPE, "application/did+json")], Json(doc)).into_response())
}
