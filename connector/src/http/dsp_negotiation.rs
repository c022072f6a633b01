//! The contract negotiation endpoints, provider and consumer side (the consumer's callback
//! address is this connector's DSP base URL, so both sides share the `/negotiations` paths;
//! the local process id in the path tells which side a negotiation is on).

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::{Area, DspError, ErrorContext};
use super::input::{self, Incoming};
use crate::app::App;
use crate::dsp::DspMessage;
use crate::dsp::negotiation::{
    ContractAgreementMessage, ContractAgreementVerificationMessage,
    ContractNegotiationEventMessage, ContractNegotiationTerminationMessage, ContractOfferMessage,
    ContractRequestMessage,
};
use crate::negotiation::PURPOSE_MEMBER;

fn ctx() -> ErrorContext {
    ErrorContext::new(Area::Negotiation)
}

fn parse<M: DspMessage>(incoming: &Incoming, ctx: &ErrorContext) -> Result<M, DspError> {
    M::from_json(&incoming.json)
        .map_err(|e| ctx.error(StatusCode::BAD_REQUEST, "invalid_message", e.to_string()))
}

fn purpose(json: &Value, ctx: &ErrorContext) -> Result<Option<String>, DspError> {
    match json.get(PURPOSE_MEMBER) {
        None => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 1024 => Ok(Some(s.clone())),
        Some(_) => Err(ctx.error(
            StatusCode::BAD_REQUEST,
            "invalid_message",
            format!("{PURPOSE_MEMBER}: must be a purpose IRI"),
        )),
    }
}

fn created(value: Value) -> Response {
    (StatusCode::CREATED, Json(value)).into_response()
}

/// `GET /negotiations/{pid}`.
pub async fn get(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, DspError> {
    let ctx = ctx();
    let caller = input::authenticate(&app, &headers, &ctx)?;
    let n = app
        .negotiations
        .negotiation_for(&caller, &pid)
        .map_err(|f| ctx.failure(f))?;
    Ok(Json(n.to_json()))
}

/// `POST /negotiations/request` (provider): a new negotiation.
pub async fn request(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, DspError> {
    let mut ctx = ctx();
    let incoming = input::read(&app, &headers, "negotiations/request", body, &mut ctx).await?;
    let msg: ContractRequestMessage = parse(&incoming, &ctx)?;
    let purpose = purpose(&incoming.json, &ctx)?;
    let ack = app
        .negotiations
        .on_request(&incoming.caller, msg, purpose, &incoming.digest)
        .await
        .map_err(|f| ctx.failure(f))?;
    Ok(created(ack.to_json()))
}

/// `POST /negotiations/{providerPid}/request` (provider): a counter-request.
pub async fn counter_request(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, DspError> {
    let mut ctx = ctx();
    ctx.provider_pid.clone_from(&pid);
    let incoming = input::read(
        &app,
        &headers,
        &format!("negotiations/{pid}/request"),
        body,
        &mut ctx,
    )
    .await?;
    let msg: ContractRequestMessage = parse(&incoming, &ctx)?;
    let purpose = purpose(&incoming.json, &ctx)?;
    app.negotiations
        .on_counter_request(&incoming.caller, &pid, msg, purpose, &incoming.digest)
        .await
        .map_err(|f| ctx.failure(f))?;
    Ok(StatusCode::OK)
}

/// `POST /negotiations/{pid}/events` (either side).
pub async fn events(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, DspError> {
    let mut ctx = ctx();
    let incoming = input::read(
        &app,
        &headers,
        &format!("negotiations/{pid}/events"),
        body,
        &mut ctx,
    )
    .await?;
    let msg: ContractNegotiationEventMessage = parse(&incoming, &ctx)?;
    app.negotiations
        .on_event(&incoming.caller, &pid, msg, &incoming.digest)
        .await
        .map_err(|f| ctx.failure(f))?;
    Ok(StatusCode::OK)
}

/// `POST /negotiations/{providerPid}/agreement/verification` (provider).
pub async fn verification(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, DspError> {
    let mut ctx = ctx();
    ctx.provider_pid.clone_from(&pid);
    let incoming = input::read(
        &app,
        &headers,
        &format!("negotiations/{pid}/agreement/verification"),
        body,
        &mut ctx,
    )
    .await?;
    let msg: ContractAgreementVerificationMessage = parse(&incoming, &ctx)?;
    app.negotiations
        .on_verification(&incoming.caller, &pid, msg, &incoming.digest)
        .await
        .map_err(|f| ctx.failure(f))?;
    Ok(StatusCode::OK)
}

/// `POST /negotiations/{pid}/termination` (either side).
pub async fn termination(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, DspError> {
    let mut ctx = ctx();
    let incoming = input::read(
        &app,
        &headers,
        &format!("negotiations/{pid}/termination"),
        body,
        &mut ctx,
    )
    .await?;
    let msg: ContractNegotiationTerminationMessage = parse(&incoming, &ctx)?;
    app.negotiations
        .on_termination(&incoming.caller, &pid, msg, &incoming.digest)
        .await
        .map_err(|f| ctx.failure(f))?;
    Ok(StatusCode::OK)
}

/// `POST /negotiations/offers` (consumer): a provider starts a negotiation.
pub async fn initial_offer(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, DspError> {
    let mut ctx = ctx();
    let incoming = input::read(&app, &headers, "negotiations/offers", body, &mut ctx).await?;
    let msg: ContractOfferMessage = parse(&incoming, &ctx)?;
    let ack = app
        .negotiations
        .on_initial_offer(&incoming.caller, msg, &incoming.digest)
        .await
        .map_err(|f| ctx.failure(f))?;
    Ok(created(ack.to_json()))
}

/// `POST /negotiations/{consumerPid}/offers` (consumer).
pub async fn offer(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, DspError> {
    let mut ctx = ctx();
    ctx.consumer_pid.clone_from(&pid);
    let incoming = input::read(
        &app,
        &headers,
        &format!("negotiations/{pid}/offers"),
        body,
        &mut ctx,
    )
    .await?;
    let msg: ContractOfferMessage = parse(&incoming, &ctx)?;
    app.negotiations
        .on_offer(&incoming.caller, &pid, msg, &incoming.digest)
        .await
        .map_err(|f| ctx.failure(f))?;
    Ok(StatusCode::OK)
}

/// `POST /negotiations/{consumerPid}/agreement` (consumer).
pub async fn agreement(
    State(app): State<Arc<App>>,
    Path(pid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, DspError> {
    let mut ctx = ctx();
    ctx.consumer_pid.clone_from(&pid);
    let incoming = input::read(
        &app,
        &headers,
        &format!("negotiations/{pid}/agreement"),
        body,
        &mut ctx,
    )
    .await?;
    let msg: ContractAgreementMessage = parse(&incoming, &ctx)?;
    app.negotiations
        .on_agreement(&incoming.caller, &pid, msg, &incoming.digest)
        .await
        .map_err(|f| ctx.failure(f))?;
    Ok(StatusCode::OK)
}
