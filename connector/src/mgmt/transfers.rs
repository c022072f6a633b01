//! `/api/v1/transfers` and `/api/v1/audit`: starting and steering transfer processes,
//! fetching their data, and reading and checking the audit log.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::error::{ApiError, json_body};
use crate::app::App;
use crate::audit::{AuditEntry, AuditFilter, VerifyReport};
use crate::negotiation::DspFailure;
use crate::process::Role;
use crate::transfer::{LocalStep, StartTransfer, Transfer, TransferFormat};

fn failure(e: DspFailure) -> ApiError {
    match e {
        DspFailure::NotFound => ApiError::NotFound("no such transfer".into()),
        DspFailure::Transition(t) => ApiError::Conflict(t.to_string()),
        DspFailure::Rejected { code, reason } => ApiError::Conflict(format!("{code}: {reason}")),
        DspFailure::Invalid(e) => ApiError::invalid("<body>", e.to_string()),
        DspFailure::Store(e) => ApiError::Internal(e.to_string()),
    }
}

fn view(app: &App, t: &Transfer) -> Transfer {
    let mut v = t.redacted();
    if let Some(live) = app.transfers.registry().progress(&t.id)
        && live.bytes > v.progress.bytes
        && v.progress.done_ms.is_none()
    {
        v.progress.bytes = live.bytes;
        v.progress.total = live.total.or(v.progress.total);
    }
    v
}

/// The body of `POST /api/v1/transfers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The agreement (this connector its consumer).
    pub agreement_id: String,
    /// The transfer type (default `HttpData-PULL`).
    #[serde(default)]
    pub format: Option<String>,
    /// The purpose of this use (default: the negotiation's).
    #[serde(default)]
    pub purpose: Option<String>,
    /// The provider's DSP base URL (default: the negotiation's).
    #[serde(default)]
    pub connector: Option<String>,
    /// Wait for `connector fetch` instead of pulling at once.
    #[serde(default)]
    pub manual_fetch: bool,
    /// `HttpData-PUSH` only: an external HTTPS endpoint to receive the data instead of this
    /// connector's own receiving endpoint.
    #[serde(default)]
    pub push_endpoint: Option<String>,
    /// `HttpData-PUSH` to an external endpoint: the bearer token the provider presents there.
    #[serde(default)]
    pub push_token: Option<String>,
}

/// Start a transfer under an agreement (consumer side).
#[utoipa::path(post, path = "/api/v1/transfers", tag = "transfers", request_body = StartBody,
    responses((status = 201, body = Transfer), (status = 409, description = "not possible now")),
    security(("bearer" = [])))]
pub async fn start(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(axum::http::StatusCode, Json<Transfer>), ApiError> {
    let b: StartBody = json_body(&headers, body, 64 * 1024).await?;
    let format = match &b.format {
        None => TransferFormat::HttpDataPull,
        Some(f) => TransferFormat::parse(f).ok_or_else(|| {
            ApiError::invalid(
                "format",
                format!("{f:?}: use HttpData-PULL, HttpData-PUSH or Sandbox-QUERY"),
            )
        })?,
    };
    if format != TransferFormat::HttpDataPush {
        if b.push_endpoint.is_some() {
            return Err(ApiError::invalid(
                "push_endpoint",
                "only for format HttpData-PUSH",
            ));
        }
        if b.push_token.is_some() {
            return Err(ApiError::invalid(
                "push_token",
                "only for format HttpData-PUSH",
            ));
        }
    }
    if b.push_token.is_some() && b.push_endpoint.is_none() {
        return Err(ApiError::invalid(
            "push_token",
            "only with push_endpoint (this connector's own endpoint makes its own token)",
        ));
    }
    let t = app
        .transfers
        .start(StartTransfer {
            agreement_id: b.agreement_id,
            format,
            purpose: b.purpose,
            provider_address: b.connector,
            manual_fetch: b.manual_fetch,
            push_endpoint: b.push_endpoint,
            push_token: b.push_token,
        })
        .await
        .map_err(failure)?;
    Ok((axum::http::StatusCode::CREATED, Json(view(&app, &t))))
}

/// List transfers, newest first (tokens are never shown).
#[utoipa::path(get, path = "/api/v1/transfers", tag = "transfers",
    responses((status = 200, body = Vec<Transfer>)), security(("bearer" = [])))]
pub async fn list(State(app): State<Arc<App>>) -> Result<Json<Vec<Transfer>>, ApiError> {
    Ok(Json(
        app.transfers
            .list()?
            .iter()
            .map(|t| view(&app, t))
            .collect(),
    ))
}

/// One transfer, with live progress while data moves.
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "transfers",
    params(("id" = String, Path, description = "The transfer's local id")),
    responses((status = 200, body = Transfer), (status = 404)), security(("bearer" = [])))]
pub async fn show(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Transfer>, ApiError> {
    let t = app
        .transfers
        .get(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("no transfer {id}")))?;
    Ok(Json(view(&app, &t)))
}

/// Reasons given with a suspension or termination.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonsBody {
    /// Reasons (German first is customary).
    #[serde(default)]
    pub reasons: Vec<String>,
}

async fn reasons(headers: &HeaderMap, body: Body) -> Result<Vec<String>, ApiError> {
    let b: ReasonsBody = json_body(headers, body, 64 * 1024).await?;
    if b.reasons.iter().any(|r| r.len() > 2000) || b.reasons.len() > 20 {
        return Err(ApiError::invalid(
            "reasons",
            "at most 20 reasons of 2000 characters",
        ));
    }
    Ok(b.reasons)
}

async fn local(app: &App, id: &str, step: LocalStep) -> Result<Json<Transfer>, ApiError> {
    let t = app.transfers.local_step(id, step).await.map_err(failure)?;
    Ok(Json(view(app, &t)))
}

/// Suspend a started transfer (its streams stop at once).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/suspend", tag = "transfers",
    request_body = ReasonsBody, params(("id" = String, Path)),
    responses((status = 200, body = Transfer), (status = 409)), security(("bearer" = [])))]
pub async fn suspend(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Transfer>, ApiError> {
    let r = reasons(&headers, body).await?;
    local(&app, &id, LocalStep::Suspend(r)).await
}

/// Restart a suspended transfer.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/resume", tag = "transfers",
    params(("id" = String, Path)),
    responses((status = 200, body = Transfer), (status = 409)), security(("bearer" = [])))]
pub async fn resume(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Transfer>, ApiError> {
    local(&app, &id, LocalStep::Resume).await
}

/// Mark a started transfer complete.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/complete", tag = "transfers",
    params(("id" = String, Path)),
    responses((status = 200, body = Transfer), (status = 409)), security(("bearer" = [])))]
pub async fn complete(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Transfer>, ApiError> {
    local(&app, &id, LocalStep::Complete).await
}

/// Terminate a transfer (streams stop at once, tokens become invalid).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/terminate", tag = "transfers",
    request_body = ReasonsBody, params(("id" = String, Path)),
    responses((status = 200, body = Transfer), (status = 409)), security(("bearer" = [])))]
pub async fn terminate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Transfer>, ApiError> {
    let r = reasons(&headers, body).await?;
    local(&app, &id, LocalStep::Terminate(r)).await
}

fn consumer_transfer(app: &App, id: &str) -> Result<Transfer, ApiError> {
    let t = app
        .transfers
        .get(id)?
        .ok_or_else(|| ApiError::NotFound(format!("no transfer {id}")))?;
    if t.role != Role::Consumer {
        return Err(ApiError::Conflict(
            "this connector is the provider of this transfer; the consumer fetches".into(),
        ));
    }
    Ok(t)
}

/// Pull the data of a started transfer now (resuming a partial download); answers at once,
/// progress shows on the transfer.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/fetch", tag = "transfers",
    params(("id" = String, Path)),
    responses((status = 202, body = Transfer), (status = 409)), security(("bearer" = [])))]
pub async fn fetch(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<(axum::http::StatusCode, Json<Transfer>), ApiError> {
    let t = consumer_transfer(&app, &id)?;
    if t.state != crate::dsp::transfer::TransferState::Started || t.pull.is_none() {
        return Err(ApiError::Conflict(format!(
            "the transfer is {}; data can be fetched once the provider has started it",
            t.state
        )));
    }
    if t.progress.done_ms.is_none() {
        app.transfers.spawn_fetch(&id);
    }
    Ok((axum::http::StatusCode::ACCEPTED, Json(view(&app, &t))))
}

/// What a tool outside the connector needs to pull the data itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ticket {
    /// The provider's data endpoint.
    pub endpoint: String,
    /// The access token (`Authorization: Bearer …`). Secret.
    pub authorization: String,
    /// This connector's request token for the provider (`x-dsp-caller: …`, single use).
    pub caller: String,
    /// The header the caller token goes in.
    pub caller_header: String,
    /// Size and SHA-256 as the provider announced.
    #[schema(value_type = Object)]
    pub files: Value,
    /// Where the access token is renewed (`POST`, see `dataplane::refresh`), when offered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_endpoint: Option<String>,
    /// The refresh token (secret, single use). A tool that uses it takes renewal over: the
    /// connector's own copy is then used up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Credentials for one data request by another tool (e.g. curl); each ticket's caller token
/// works once.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/ticket", tag = "transfers",
    params(("id" = String, Path)),
    responses((status = 200, body = Ticket), (status = 409)), security(("bearer" = [])))]
pub async fn ticket(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Ticket>, ApiError> {
    let t = consumer_transfer(&app, &id)?;
    let pull = t
        .pull
        .clone()
        .ok_or_else(|| ApiError::Conflict("the provider has not started the transfer".into()))?;
    let caller = app
        .transfers
        .caller_token(&t.counterparty.id)
        .map_err(ApiError::Internal)?;
    Ok(Json(Ticket {
        endpoint: pull.endpoint,
        authorization: format!("Bearer {}", pull.token),
        caller,
        caller_header: crate::dataplane::CALLER_HEADER.into(),
        files: json!(t.files),
        refresh_endpoint: pull.refresh_endpoint,
        refresh_token: pull.refresh_token,
    }))
}

/// Delete the data received in a transfer now (recorded in the audit log).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/delete-data", tag = "transfers",
    params(("id" = String, Path)),
    responses((status = 200, body = Transfer)), security(("bearer" = [])))]
pub async fn delete_data(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Transfer>, ApiError> {
    consumer_transfer(&app, &id)?;
    let t = app
        .transfers
        .delete_received(&id, "operator")
        .await
        .map_err(ApiError::Internal)?;
    Ok(Json(view(&app, &t)))
}

/// Audit entries, oldest first, filtered.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditFilter),
    responses((status = 200, body = Vec<AuditEntry>)), security(("bearer" = [])))]
pub async fn audit(
    State(app): State<Arc<App>>,
    Query(filter): Query<AuditFilter>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    // Entries staged with a state change are written a moment after it: include them.
    app.audit.flush().await;
    let path = app.audit.path().to_path_buf();
    let entries = tokio::task::spawn_blocking(move || crate::audit::read_entries(&path, &filter))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::invalid("kind", e.to_string()))?;
    Ok(Json(entries))
}

/// Check the audit log's hash chain.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = VerifyReport)), security(("bearer" = [])))]
pub async fn audit_verify(State(app): State<Arc<App>>) -> Result<Json<VerifyReport>, ApiError> {
    let path = app.audit.path().to_path_buf();
    let report = tokio::task::spawn_blocking(move || crate::audit::verify(&path, None))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(report))
}
