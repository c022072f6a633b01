//! `/api/v1/negotiations`, `/api/v1/agreements`, `/api/v1/outbox`: watching negotiations,
//! deciding on them, and the agreements they produced.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, json_body};
use crate::app::App;
use crate::negotiation::{Negotiation, OperatorDecision, TemplateCounter};
use crate::outbox::OutboxEntry;

/// Filters for listing negotiations.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListFilter {
    /// Only this state (`REQUESTED`, …, `TERMINATED`).
    pub state: Option<String>,
    /// Only this side (`provider` or `consumer`).
    pub role: Option<String>,
    /// Only negotiations waiting for an operator.
    pub waiting: Option<bool>,
}

/// List negotiations, newest first.
#[utoipa::path(get, path = "/api/v1/negotiations", tag = "negotiations", params(ListFilter),
    responses((status = 200, body = Vec<Negotiation>)), security(("bearer" = [])))]
pub async fn list(
    State(app): State<Arc<App>>,
    Query(filter): Query<ListFilter>,
) -> Result<Json<Vec<Negotiation>>, ApiError> {
    if let Some(s) = &filter.state
        && crate::dsp::negotiation::NegotiationState::parse(s).is_none()
    {
        return Err(ApiError::invalid(
            "state",
            format!("{s:?} is not a negotiation state"),
        ));
    }
    if let Some(r) = &filter.role
        && r != "provider"
        && r != "consumer"
    {
        return Err(ApiError::invalid("role", "provider or consumer"));
    }
    let all = app.negotiations.list()?;
    Ok(Json(
        all.into_iter()
            .filter(|n| {
                filter
                    .state
                    .as_deref()
                    .is_none_or(|s| n.state.as_str() == s)
            })
            .filter(|n| filter.role.as_deref().is_none_or(|r| n.role.as_str() == r))
            .filter(|n| filter.waiting.is_none_or(|w| n.waiting.is_some() == w))
            .collect(),
    ))
}

/// One negotiation, with its history and, when terminated, the reasons.
#[utoipa::path(get, path = "/api/v1/negotiations/{id}", tag = "negotiations",
    responses((status = 200, body = Negotiation), (status = 404)), security(("bearer" = [])))]
pub async fn show(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Negotiation>, ApiError> {
    app.negotiations
        .get(&id)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no negotiation {id}")))
}

/// Reasons for a rejection or termination.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonsInput {
    /// Reasons, German first; a default text is used when empty.
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// Terms for a counter-offer: a consumer gives an ODRL policy, a provider a stored template
/// (its rendered German text goes with the offer, and the agreement names it).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterInput {
    /// Consumer: the ODRL policy (DSP JSON); `@type` and `target` are filled in.
    #[serde(default)]
    pub offer: Option<Value>,
    /// Provider: the template the counter-offer is made from.
    #[serde(default)]
    pub template_id: Option<String>,
    /// Provider: its version.
    #[serde(default)]
    pub template_version: Option<String>,
    /// Provider: parameter values; absent ones take the template's defaults.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

impl CounterInput {
    /// The decision this input asks for; the error names the field.
    fn decision(self) -> Result<OperatorDecision, ApiError> {
        match (self.offer, self.template_id) {
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "template_id",
                "give either offer (consumer) or template_id (provider), not both",
            )),
            (Some(offer), None) => {
                if !offer.is_object() {
                    return Err(ApiError::invalid("offer", "must be an ODRL policy object"));
                }
                if self.template_version.is_some() || !self.parameters.is_empty() {
                    return Err(ApiError::invalid(
                        "template_version",
                        "template_version and parameters go with template_id",
                    ));
                }
                Ok(OperatorDecision::Counter(offer))
            }
            (None, Some(template_id)) => {
                let template_version = self.template_version.ok_or_else(|| {
                    ApiError::invalid("template_version", "required with template_id")
                })?;
                if self.parameters.len() > 100
                    || self
                        .parameters
                        .iter()
                        .any(|(k, v)| k.len() > 200 || v.len() > 1000)
                {
                    return Err(ApiError::invalid(
                        "parameters",
                        "at most 100 parameters, names up to 200 and values up to 1000 characters",
                    ));
                }
                Ok(OperatorDecision::CounterWithTemplate(TemplateCounter {
                    template_id,
                    template_version,
                    parameters: self.parameters,
                }))
            }
            (None, None) => Err(ApiError::invalid(
                "offer",
                "missing: give offer (an ODRL policy, consumer) or template_id and template_version (provider)",
            )),
        }
    }
}

async fn decide(
    app: &App,
    id: &str,
    decision: OperatorDecision,
) -> Result<Json<Negotiation>, ApiError> {
    Ok(Json(app.negotiations.decide_locally(id, decision).await?))
}

fn check_reasons(input: &ReasonsInput) -> Result<(), ApiError> {
    if input.reasons.len() > 20 || input.reasons.iter().any(|r| r.len() > 2000) {
        return Err(ApiError::invalid(
            "reasons",
            "at most 20 reasons of up to 2000 characters",
        ));
    }
    Ok(())
}

/// Provider: approve a request waiting for approval (the agreement is sent).
#[utoipa::path(post, path = "/api/v1/negotiations/{id}/approve", tag = "negotiations",
    responses((status = 200, body = Negotiation), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn approve(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Negotiation>, ApiError> {
    decide(&app, &id, OperatorDecision::Approve).await
}

/// Provider: reject a request (the negotiation is terminated with the reasons).
#[utoipa::path(post, path = "/api/v1/negotiations/{id}/reject", tag = "negotiations", request_body = ReasonsInput,
    responses((status = 200, body = Negotiation), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn reject(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Negotiation>, ApiError> {
    let input: ReasonsInput =
        json_body(&headers, body, app.config.management.max_body_bytes).await?;
    check_reasons(&input)?;
    decide(&app, &id, OperatorDecision::Reject(input.reasons)).await
}

/// Consumer: accept the provider's offer.
#[utoipa::path(post, path = "/api/v1/negotiations/{id}/accept", tag = "negotiations",
    responses((status = 200, body = Negotiation), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn accept(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Negotiation>, ApiError> {
    decide(&app, &id, OperatorDecision::Accept).await
}

/// Propose other terms: a consumer an ODRL policy, a provider a stored template.
#[utoipa::path(post, path = "/api/v1/negotiations/{id}/counter", tag = "negotiations", request_body = CounterInput,
    responses((status = 200, body = Negotiation), (status = 400), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn counter(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Negotiation>, ApiError> {
    let input: CounterInput =
        json_body(&headers, body, app.config.management.max_body_bytes).await?;
    decide(&app, &id, input.decision()?).await
}

/// Either side: terminate (only where DSP 2025-1 lets this side terminate).
#[utoipa::path(post, path = "/api/v1/negotiations/{id}/terminate", tag = "negotiations", request_body = ReasonsInput,
    responses((status = 200, body = Negotiation), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn terminate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Negotiation>, ApiError> {
    let input: ReasonsInput =
        json_body(&headers, body, app.config.management.max_body_bytes).await?;
    check_reasons(&input)?;
    decide(&app, &id, OperatorDecision::Terminate(input.reasons)).await
}

/// List agreements, newest first, each with its state in the public register.
#[utoipa::path(get, path = "/api/v1/agreements", tag = "agreements",
    responses((status = 200, body = Vec<crate::federation::mgmt::AgreementView>)), security(("bearer" = [])))]
pub async fn agreements(
    State(app): State<Arc<App>>,
) -> Result<Json<Vec<crate::federation::mgmt::AgreementView>>, ApiError> {
    let list = app.negotiations.agreements()?;
    Ok(Json(crate::federation::mgmt::with_register(&app, list)?))
}

/// One agreement with its signatures, German contract text and register state.
#[utoipa::path(get, path = "/api/v1/agreements/{id}", tag = "agreements",
    responses((status = 200, body = crate::federation::mgmt::AgreementView), (status = 404)), security(("bearer" = [])))]
pub async fn agreement(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<crate::federation::mgmt::AgreementView>, ApiError> {
    let record = app
        .negotiations
        .agreement(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("no agreement {id}")))?;
    let mut one = crate::federation::mgmt::with_register(&app, vec![record])?;
    one.pop()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no agreement {id}")))
}

/// The agreement's German contract text as Markdown.
#[utoipa::path(get, path = "/api/v1/agreements/{id}/contract", tag = "agreements",
    responses((status = 200, content_type = "text/markdown"), (status = 404)), security(("bearer" = [])))]
pub async fn contract(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let record = app
        .negotiations
        .agreement(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("no agreement {id}")))?;
    let text = record
        .contract_markdown
        .ok_or_else(|| ApiError::NotFound(format!("agreement {id} has no contract text")))?;
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        text,
    )
        .into_response())
}

/// Messages waiting for delivery.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "status",
    responses((status = 200, body = Vec<OutboxEntry>)), security(("bearer" = [])))]
pub async fn outbox(State(app): State<Arc<App>>) -> Result<Json<Vec<OutboxEntry>>, ApiError> {
    Ok(Json(app.outbox.pending()?))
}
