//! The management API (JSON over HTTPS, bearer token), described by the OpenAPI document it
//! serves at `/api/v1/openapi.json`; plus `/health`, `/ready`, `/metrics` and, in TCK mode,
//! the TCK's trigger endpoints.

pub mod assets;
pub mod error;
pub mod negotiations;
pub mod offers;
#[cfg(feature = "sandbox")]
pub mod query;
pub mod remote;
pub mod tck;
pub mod transfers;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::app::App;
use error::ApiError;

/// What the connector is and how it is doing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Status {
    /// The participant's DID.
    pub did: String,
    /// Its legal name.
    pub legal_name: String,
    /// The DSP base URL.
    pub dsp_base_url: String,
    /// The connector's version.
    pub version: String,
    /// Whether a valid membership credential is installed.
    pub has_membership_credential: bool,
    /// The membership: `member`, `not_joined`, `pending`, … and what to do next.
    pub membership: crate::federation::membership::MembershipStatus,
    /// TCK mode.
    pub tck_mode: bool,
    /// Messages waiting for delivery.
    pub outbox_pending: usize,
}

/// The connector's status.
#[utoipa::path(get, path = "/api/v1/status", tag = "status",
    responses((status = 200, body = Status)), security(("bearer" = [])))]
pub async fn status(State(app): State<Arc<App>>) -> Result<Json<Status>, ApiError> {
    Ok(Json(Status {
        did: app.identity.did.clone(),
        legal_name: app.identity.legal_name.clone(),
        dsp_base_url: app.identity.dsp_base_url.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        has_membership_credential: app.federation.membership().is_some(),
        membership: app.federation.status(),
        tck_mode: app.tck.is_some(),
        outbox_pending: app.outbox.pending()?.len(),
    }))
}

struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI description of the management API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Connector management API", description = "Operate a connector of the municipal data space: assets, contract templates and offers, catalog requests to other connectors, contract negotiations and agreements. Every call needs `Authorization: Bearer <management token>`."),
    paths(
        status,
        assets::list, assets::create, assets::batch, assets::show, assets::replace, assets::delete,
        offers::add_template, offers::list_templates, offers::render_template,
        offers::create_offer, offers::list_offers, offers::show_offer, offers::delete_offer,
        remote::catalog_request, remote::start_negotiation,
        negotiations::list, negotiations::show, negotiations::approve, negotiations::reject,
        negotiations::accept, negotiations::counter, negotiations::terminate,
        negotiations::agreements, negotiations::agreement, negotiations::contract, negotiations::outbox,
        transfers::start, transfers::list, transfers::show, transfers::suspend, transfers::resume,
        transfers::complete, transfers::terminate, transfers::fetch, transfers::ticket,
        transfers::delete_data, transfers::audit, transfers::audit_verify,
        crate::federation::mgmt::show, crate::federation::mgmt::check,
        crate::federation::mgmt::publish_now, crate::federation::mgmt::unpublish,
    ),
    modifiers(&BearerSecurity),
    tags(
        (name = "assets", description = "Datasets this connector offers"),
        (name = "templates", description = "Contract templates from legal teams"),
        (name = "offers", description = "Offers made from templates"),
        (name = "catalog", description = "Catalogs of other connectors"),
        (name = "negotiations", description = "Contract negotiations (DSP 2025-1)"),
        (name = "agreements", description = "Concluded, signed agreements"),
        (name = "transfers", description = "Transfer processes and their data (DSP 2025-1)"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "status", description = "The connector itself"),
        (name = "federation", description = "Membership in the federation and publication at its broker"),
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> Response {
    #[cfg_attr(not(feature = "sandbox"), allow(unused_mut))]
    let mut doc = ApiDoc::openapi();
    #[cfg(feature = "sandbox")]
    doc.merge(<query::SandboxApiDoc as OpenApi>::openapi());
    let json = doc.to_pretty_json().unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], json).into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let pending = app.outbox.pending().map(|p| p.len()).unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::render(pending),
    )
        .into_response()
}

/// Constant-time comparison of the presented token with the configured one.
fn token_matches(presented: &[u8], expected: &[u8]) -> bool {
    if presented.len() != expected.len() {
        return false;
    }
    presented
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

async fn require_token(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !token_matches(
        presented.as_bytes(),
        app.management_token.expose().as_bytes(),
    ) {
        return ApiError::Unauthorized.into_response();
    }
    next.run(request).await
}

/// Sandbox access (cargo feature `sandbox`; none without it).
fn sandbox_routes() -> Router<Arc<App>> {
    let router = Router::new();
    #[cfg(feature = "sandbox")]
    let router = router
        .route(
            "/assets/{id}/sandbox",
            get(query::get_spec).put(query::put_spec),
        )
        .route("/transfers/{id}/query", post(query::query))
        .route("/sandbox/queries", get(query::queries));
    router
}

/// The management listener's router.
pub fn management_app(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/status", get(status))
        .route("/assets", get(assets::list).post(assets::create))
        .route("/assets/batch", post(assets::batch))
        .route(
            "/assets/{id}",
            get(assets::show)
                .put(assets::replace)
                .delete(assets::delete),
        )
        .route(
            "/templates",
            get(offers::list_templates).post(offers::add_template),
        )
        .route(
            "/templates/{id}/{version}/render",
            post(offers::render_template),
        )
        .route(
            "/offers",
            get(offers::list_offers).post(offers::create_offer),
        )
        .route(
            "/offers/{id}",
            get(offers::show_offer).delete(offers::delete_offer),
        )
        .route("/catalog/request", post(remote::catalog_request))
        .route(
            "/negotiations",
            get(negotiations::list).post(remote::start_negotiation),
        )
        .route("/negotiations/{id}", get(negotiations::show))
        .route("/negotiations/{id}/approve", post(negotiations::approve))
        .route("/negotiations/{id}/reject", post(negotiations::reject))
        .route("/negotiations/{id}/accept", post(negotiations::accept))
        .route("/negotiations/{id}/counter", post(negotiations::counter))
        .route(
            "/negotiations/{id}/terminate",
            post(negotiations::terminate),
        )
        .route("/agreements", get(negotiations::agreements))
        .route("/agreements/{id}", get(negotiations::agreement))
        .route("/agreements/{id}/contract", get(negotiations::contract))
        .route("/outbox", get(negotiations::outbox))
        .route("/transfers", get(transfers::list).post(transfers::start))
        .route("/transfers/{id}", get(transfers::show))
        .route("/transfers/{id}/suspend", post(transfers::suspend))
        .route("/transfers/{id}/resume", post(transfers::resume))
        .route("/transfers/{id}/complete", post(transfers::complete))
        .route("/transfers/{id}/terminate", post(transfers::terminate))
        .route("/transfers/{id}/fetch", post(transfers::fetch))
        .route("/transfers/{id}/ticket", post(transfers::ticket))
        .route("/transfers/{id}/delete-data", post(transfers::delete_data))
        .route("/audit", get(transfers::audit))
        .route("/audit/verify", get(transfers::audit_verify))
        .route("/federation", get(crate::federation::mgmt::show))
        .route("/federation/check", post(crate::federation::mgmt::check))
        .route(
            "/federation/publish",
            post(crate::federation::mgmt::publish_now),
        )
        .route(
            "/federation/unpublish",
            post(crate::federation::mgmt::unpublish),
        )
        .merge(sandbox_routes())
        .route_layer(middleware::from_fn_with_state(app.clone(), require_token));
    let mut router = Router::new()
        .nest("/api/v1", api)
        .route("/api/v1/openapi.json", get(openapi))
        .route("/health", get(crate::http::well_known::health))
        .route("/ready", get(crate::http::well_known::ready))
        .route("/metrics", get(metrics));
    if app.tck.is_some() {
        router = router
            .route("/tck/negotiations/requests", post(tck::negotiation_request))
            .route("/tck/transfers/requests", post(tck::transfer_request));
    }
    router
        .with_state(app.clone())
        .merge(crate::dashboard::router(app))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison() {
        assert!(token_matches(b"abc", b"abc"));
        assert!(!token_matches(b"abd", b"abc"));
        assert!(!token_matches(b"ab", b"abc"));
        assert!(!token_matches(b"", b"abc"));
    }

    #[test]
    fn openapi_document_lists_the_endpoints() {
        let doc = ApiDoc::openapi();
        let json = doc.to_json().expect("serialises");
        for path in [
            "/api/v1/assets",
            "/api/v1/negotiations/{id}/approve",
            "/api/v1/agreements/{id}/contract",
            "/api/v1/offers",
        ] {
            assert!(json.contains(path), "{path} missing");
        }
    }
}
