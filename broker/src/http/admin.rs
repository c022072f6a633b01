//! The operator's admin API (admin listener, bearer token): list participants, approve,
//! reject, revoke.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::AppState;
use super::body::{ADMIN_LIMIT, read_limited};
use super::error::{ApiError, ApiResult};
use super::participants::ParticipantView;
use crate::error::{BrokerError, invalid};
use crate::store::{Participant, ParticipantStatus};

/// A participant as the operator sees it (with the credential).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdminParticipant {
    /// The public record.
    #[serde(flatten)]
    pub(crate) record: serde_json::Value,
    /// The membership credential, once approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) credential: Option<String>,
}

fn admin_view(p: &Participant) -> AdminParticipant {
    AdminParticipant {
        record: serde_json::to_value(ParticipantView::from(p)).unwrap_or_default(),
        credential: p.credential.clone(),
    }
}

/// The bearer token the admin listener requires (compared as SHA-256 digests, so the
/// comparison takes the same time whatever the input).
#[derive(Clone)]
pub struct AdminToken(pub(crate) [u8; 32]);

impl AdminToken {
    /// The token to require.
    pub fn new(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest
            .iter()
            .zip(self.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// Middleware: refuses requests without the right `Authorization: Bearer` token.
pub(crate) async fn require_token(
    State(token): State<AdminToken>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if presented.is_empty() || !token.matches(presented.trim()) {
        return Err(ApiError(BrokerError::Unauthorized));
    }
    Ok(next.run(request).await)
}

/// `?status=` of the list.
#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    status: Option<String>,
}

/// `GET /admin/v1/participants`
pub(crate) async fn handle_list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<AdminParticipant>>> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            ParticipantStatus::parse(s)
                .ok_or_else(|| invalid("status", "must be pending, active, rejected or revoked"))?,
        ),
    };
    Ok(Json(
        state.participants(status)?.iter().map(admin_view).collect(),
    ))
}

/// Body of reject and revoke.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    reason: String,
}

async fn reason(body: Body) -> Result<String, BrokerError> {
    let bytes = read_limited(body, ADMIN_LIMIT).await?;
    let r: Reason = serde_json::from_slice(&bytes)
        .map_err(|e| invalid("body", format!("expected {{\"reason\": \"…\"}}: {e}")))?;
    Ok(r.reason)
}

/// `POST /admin/v1/participants/{did}/approve`
pub(crate) async fn handle_approve(
    State(state): State<AppState>,
    Path(did): Path<String>,
) -> ApiResult<Json<AdminParticipant>> {
    Ok(Json(admin_view(
        &state.blocking(move |b| b.approve(&did)).await?,
    )))
}

/// `POST /admin/v1/participants/{did}/reject`
pub(crate) async fn handle_reject(
    State(state): State<AppState>,
    Path(did): Path<String>,
    body: Body,
) -> ApiResult<Json<AdminParticipant>> {
    let reason = reason(body).await?;
    Ok(Json(admin_view(
        &state.blocking(move |b| b.reject(&did, &reason)).await?,
    )))
}

/// `POST /admin/v1/participants/{did}/revoke`
pub(crate) async fn handle_revoke(
    State(state): State<AppState>,
    Path(did): Path<String>,
    body: Body,
) -> ApiResult<Json<AdminParticipant>> {
    let reason = reason(body).await?;
    Ok(Json(admin_view(
        &state.blocking(move |b| b.revoke(&did, &reason)).await?,
    )))
}
