//! Sandbox access in the management API (cargo feature `sandbox`):
//! - provider: `PUT|GET /api/v1/assets/{id}/sandbox`, the sandbox source and column policy of
//!   a personal-adjacent asset; `GET /api/v1/sandbox/queries`, the query log;
//! - consumer: `POST /api/v1/transfers/{id}/query`, an aggregation request sent through a
//!   started `Sandbox-QUERY` transfer to the provider's query endpoint, with the access token
//!   of the start message and a fresh request token of this connector.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi};

use super::error::{ApiError, json_body};
use crate::app::App;
use crate::dsp::transfer::TransferState;
use crate::process::Role;
use crate::sandbox::{AggregationRequest, MAX_REQUEST_BYTES, SandboxSpec, read_spec, spec_key};
use crate::store::StoreExt;
use crate::transfer::Direction;

/// The sandbox part of the OpenAPI document (merged into it when the feature is on).
#[derive(OpenApi)]
#[openapi(
    paths(put_spec, get_spec, query, queries),
    components(schemas(SandboxSpec)),
    tags((name = "sandbox", description = "Aggregate-only access to personal-adjacent datasets (feature `sandbox`)"))
)]
pub struct SandboxApiDoc;

/// Set the sandbox source and column policy of a personal-adjacent asset.
#[utoipa::path(put, path = "/api/v1/assets/{id}/sandbox", tag = "sandbox",
    params(("id" = String, Path)), request_body = SandboxSpec,
    responses((status = 200, body = SandboxSpec), (status = 400), (status = 404)),
    security(("bearer" = [])))]
pub async fn put_spec(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SandboxSpec>, ApiError> {
    let value: Value = json_body(&headers, body, app.config.management.max_body_bytes).await?;
    let spec: SandboxSpec = serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        ApiError::invalid(
            if field == "." { "<body>".into() } else { field },
            e.into_inner().to_string(),
        )
    })?;
    spec.validate()
        .map_err(|e| ApiError::invalid("<body>", e.to_string()))?;
    let asset = app
        .assets
        .asset(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("no asset {id}")))?;
    if !asset.personal_adjacent {
        return Err(ApiError::invalid(
            "personal_adjacent",
            format!(
                "asset {id} is not marked personal-adjacent; sandbox access is only for such \
                 assets (set \"personal_adjacent\": true first)"
            ),
        ));
    }
    app.store.put(&spec_key(&id), &spec)?;
    Ok(Json(spec))
}

/// The sandbox source and column policy of an asset.
#[utoipa::path(get, path = "/api/v1/assets/{id}/sandbox", tag = "sandbox",
    params(("id" = String, Path)),
    responses((status = 200, body = SandboxSpec), (status = 404)), security(("bearer" = [])))]
pub async fn get_spec(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<SandboxSpec>, ApiError> {
    read_spec(app.store.as_ref(), &id)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("asset {id} has no sandbox source")))
}

/// Send an aggregation request through a started `Sandbox-QUERY` transfer (consumer). The
/// provider's answer (groups of at least k records, the number suppressed) is returned as it
/// came; a refusal keeps the provider's status, with its code and German and English reason.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/query", tag = "sandbox",
    params(("id" = String, Path)),
    request_body(content = Object, description = "AggregationRequest: purpose, groupBy, measures, filters"),
    responses((status = 200, description = "the provider's Answer"),
        (status = 400), (status = 403, description = "refused by the provider: code and reason"),
        (status = 409), (status = 502)),
    security(("bearer" = [])))]
pub async fn query(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limit = MAX_REQUEST_BYTES.min(app.config.management.max_body_bytes);
    let value: Value = json_body(&headers, body, limit).await?;
    let t = app
        .transfers
        .get(&id)?
        .filter(|t| t.role == Role::Consumer)
        .ok_or_else(|| ApiError::NotFound(format!("no transfer {id} of this consumer")))?;
    if t.format.direction() != Direction::Query {
        return Err(ApiError::Conflict(format!(
            "transfer {id} is a {} transfer; queries go through a Sandbox-QUERY transfer",
            t.format
        )));
    }
    if t.state != TransferState::Started {
        return Err(ApiError::Conflict(format!(
            "transfer {id} is {}, not STARTED",
            t.state
        )));
    }
    let address = t
        .pull
        .clone()
        .ok_or_else(|| ApiError::Conflict("the provider has not started the transfer".into()))?;
    // The transfer's purpose when the request names none.
    let mut value = value;
    let unnamed = value
        .get("purpose")
        .is_none_or(|p| p.as_str().is_some_and(|p| p.trim().is_empty()));
    if unnamed && let (Some(p), Some(m)) = (&t.purpose, value.as_object_mut()) {
        m.insert("purpose".into(), Value::String(p.clone()));
    }
    let bytes = serde_json::to_vec(&value).map_err(|e| ApiError::Internal(e.to_string()))?;
    // Checked here too, so a malformed request never leaves this connector.
    let request = AggregationRequest::from_json(&bytes).map_err(|e| match e {
        crate::sandbox::SandboxError::InvalidRequest { field, reason } => {
            ApiError::invalid(field, reason)
        }
        other => ApiError::invalid("<body>", other.to_string()),
    })?;
    let caller = app
        .transfers
        .caller_token(&t.counterparty.id)
        .map_err(ApiError::Internal)?;
    let response = app
        .transfers
        .data_client()
        .post(&address.endpoint)
        .bearer_auth(&address.token)
        .header(crate::dataplane::CALLER_HEADER, caller)
        .json(&request)
        .timeout(std::time::Duration::from_secs(180))
        .send()
        .await
        .map_err(|e| ApiError::Upstream(format!("the provider cannot be reached: {e}")))?;
    let status = response.status();
    let body = read_limited(response, 8 * 1024 * 1024).await?;
    let answer: Value = serde_json::from_slice(&body).map_err(|_| {
        ApiError::Upstream(format!(
            "the provider answered HTTP {status} without a JSON body"
        ))
    })?;
    if status.is_success() {
        return Ok((StatusCode::OK, Json(answer)).into_response());
    }
    let reasons: Vec<String> = answer["reason"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let code = answer["code"].as_str().unwrap_or("refused").to_owned();
    let relayed = if status.is_client_error() {
        status
    } else {
        StatusCode::BAD_GATEWAY
    };
    Ok((
        relayed,
        Json(json!({"error": code, "code": code, "reason": reasons,
                    "message": format!("refused by the provider ({code}): {}", reasons.join(" / "))})),
    )
        .into_response())
}

async fn read_limited(response: reqwest::Response, limit: usize) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    let mut out = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::Upstream(format!("reading the answer: {e}")))?;
        if out.len() + chunk.len() > limit {
            return Err(ApiError::Upstream(format!(
                "the provider's answer exceeds {limit} bytes"
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Which queries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueriesFilter {
    /// Only this agreement's queries.
    pub agreement: Option<String>,
}

/// The sandbox queries answered or refused by this provider, oldest first: time, consumer,
/// transfer, the request and the answer's shape (never values).
#[utoipa::path(get, path = "/api/v1/sandbox/queries", tag = "sandbox", params(QueriesFilter),
    responses((status = 200, description = "SandboxQueryEntry list")), security(("bearer" = [])))]
pub async fn queries(
    State(app): State<Arc<App>>,
    Query(filter): Query<QueriesFilter>,
) -> Result<Json<Value>, ApiError> {
    let entries = crate::sandbox::query_log(app.store.as_ref(), filter.agreement.as_deref())?;
    Ok(Json(
        serde_json::to_value(entries).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}
