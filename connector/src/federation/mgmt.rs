//! The management endpoints of the federation: where membership and publication stand, and
//! the operator's requests (look again after `connector join`, publish now, withdraw).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::FederationError;
use super::membership::MembershipStatus;
use super::publish::{self, Outcome, Publication};
use super::register_queue::{self, RegisterEntry};
use crate::app::App;
use crate::mgmt::error::ApiError;
use crate::negotiation::AgreementRecord;

/// Membership and publication, as `connector status` shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FederationView {
    /// The membership.
    pub membership: MembershipStatus,
    /// Whether the self-description is to be published (`federation.publish`, switched by
    /// `connector publish` / `unpublish`).
    pub publish: bool,
    /// The publication state.
    pub publication: Publication,
    /// What the last request did (`published`, `up_to_date`, `withdrawn`, `not_held`, or
    /// why nothing was done).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// An agreement as the management API lists it: the stored agreement and where it stands
/// in the public register.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgreementView {
    /// The agreement.
    #[serde(flatten)]
    pub agreement: AgreementRecord,
    /// Its register entry: `pending` (submitted by the provider, retried), `registered`,
    /// `refused` (with the broker's reason), `signed_as_consumer` (the provider submits);
    /// none when no summary was signed.
    pub register: Option<RegisterEntry>,
}

/// Adds the register state to agreements.
pub fn with_register(
    app: &App,
    list: Vec<AgreementRecord>,
) -> Result<Vec<AgreementView>, ApiError> {
    list.into_iter()
        .map(|agreement| {
            let register =
                register_queue::entry(app.store.as_ref(), &agreement.id).map_err(api_error)?;
            Ok(AgreementView {
                agreement,
                register,
            })
        })
        .collect()
}

fn view(app: &App, outcome: Option<String>) -> Result<FederationView, ApiError> {
    let publication = publish::load(app.store.as_ref()).map_err(api_error)?;
    Ok(FederationView {
        membership: app.federation.status(),
        publish: publication.wanted.unwrap_or(app.config.federation.publish),
        publication,
        outcome,
    })
}

fn api_error(e: FederationError) -> ApiError {
    match e {
        FederationError::Store(e) => ApiError::Internal(e.to_string()),
        e @ (FederationError::Network { .. }
        | FederationError::Broker { .. }
        | FederationError::Invalid { .. }) => ApiError::Upstream(e.to_string()),
        e @ FederationError::Description(_) => ApiError::invalid("self-description", e.to_string()),
        e => ApiError::Conflict(e.to_string()),
    }
}

/// Membership and publication.
#[utoipa::path(get, path = "/api/v1/federation", tag = "federation",
    responses((status = 200, body = FederationView)), security(("bearer" = [])))]
pub async fn show(State(app): State<Arc<App>>) -> Result<Json<FederationView>, ApiError> {
    Ok(Json(view(&app, None)?))
}

/// Reads the credential and the join record again (after `connector join`) and uses what
/// it finds from now on.
#[utoipa::path(post, path = "/api/v1/federation/check", tag = "federation",
    responses((status = 200, body = FederationView)), security(("bearer" = [])))]
pub async fn check(State(app): State<Arc<App>>) -> Result<Json<FederationView>, ApiError> {
    app.federation.refresh();
    app.federation.wake();
    Ok(Json(view(&app, None)?))
}

/// Publishes the self-description now (and keeps publishing it).
#[utoipa::path(post, path = "/api/v1/federation/publish", tag = "federation",
    responses((status = 200, body = FederationView), (status = 409, description = "not a member"),
        (status = 400, description = "the self-description is not valid"), (status = 502, description = "the broker refused or is unreachable; retried")),
    security(("bearer" = [])))]
pub async fn publish_now(State(app): State<Arc<App>>) -> Result<Json<FederationView>, ApiError> {
    if !app.federation.is_member() {
        return Err(ApiError::Conflict(format!(
            "cannot publish: {}",
            app.federation.status().message
        )));
    }
    let outcome = publish::publish_now(&app.federation, app.store.as_ref(), &app.assets)
        .await
        .map_err(api_error)?;
    let outcome = match outcome {
        Outcome::Published => "published".to_owned(),
        Outcome::UpToDate => "up_to_date".to_owned(),
        Outcome::Skipped(why) => why,
    };
    Ok(Json(view(&app, Some(outcome))?))
}

/// Withdraws the self-description from the broker (signed deletion) and stops publishing.
#[utoipa::path(post, path = "/api/v1/federation/unpublish", tag = "federation",
    responses((status = 200, body = FederationView), (status = 502, description = "the broker refused or is unreachable")),
    security(("bearer" = [])))]
pub async fn unpublish(State(app): State<Arc<App>>) -> Result<Json<FederationView>, ApiError> {
    let held = publish::unpublish(&app.federation, app.store.as_ref())
        .await
        .map_err(api_error)?;
    let outcome = if held { "withdrawn" } else { "not_held" };
    Ok(Json(view(&app, Some(outcome.to_owned()))?))
}
