//! The HTTP surface: the public router (API, SPARQL, harvest, pages) and the admin router.
//! One file per resource with `handle_*` functions; errors become HTTP in `error`.

mod admin;
mod body;
mod error;
mod harvest;
mod ops;
mod pages;
mod participants;
mod register;
mod search;
mod self_descriptions;
mod sparql;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use admin::AdminToken;
pub use error::{ApiError, ErrorBody, status_and_code};
pub use search::{SearchParams, parse_params};

use crate::error::BrokerError;
use crate::service::Broker;

/// Shared state of every handler.
pub type AppState = Arc<Broker>;

/// A DID (or any text) as one percent-encoded URL path segment.
pub fn path_segment(text: &str) -> String {
    let mut url = url::Url::parse("https://x.invalid/").expect("a constant, valid URL");
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.push(text);
    }
    url.path().trim_start_matches('/').to_owned()
}

/// Answers 503 until the indexes are rebuilt (health stays reachable).
async fn readiness_gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !state.is_ready() && path != "/healthz" && path != "/readyz" {
        return ApiError(BrokerError::NotReady).into_response();
    }
    next.run(request).await
}

/// The public router: API, SPARQL, harvest, register and the web pages.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::handle_home))
        .route("/datasets/{id}", get(pages::handle_dataset))
        .route("/participants/{did}", get(pages::handle_participant))
        .route("/charta", get(pages::handle_charta))
        .route("/register", get(register::handle_register))
        .route(
            "/api/v1/register",
            get(register::handle_register_json).post(register::handle_submit),
        )
        .route(
            "/.well-known/did.json",
            get(participants::handle_did_document),
        )
        .route("/api/v1/charta", get(participants::handle_charta))
        .route("/api/v1/participants", post(participants::handle_join))
        .route(
            "/api/v1/participants/{did}",
            get(participants::handle_get_participant),
        )
        .route(
            "/api/v1/participants/{did}/credential",
            get(participants::handle_get_credential),
        )
        .route("/api/v1/status-list", get(participants::handle_status_list))
        .route(
            "/api/v1/self-descriptions/{did}",
            get(self_descriptions::handle_get)
                .put(self_descriptions::handle_put)
                .delete(self_descriptions::handle_delete),
        )
        .route("/api/v1/search", get(search::handle_search))
        .route("/harvest/catalog", get(harvest::handle_catalog))
        .route("/sparql", get(sparql::handle_get).post(sparql::handle_post))
        .route("/healthz", get(ops::handle_health))
        .route("/readyz", get(ops::handle_ready))
        .route("/metrics", get(ops::handle_metrics))
        .route("/api/v1/openapi.json", get(ops::handle_openapi))
        .fallback(ops::handle_not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            readiness_gate,
        ))
        .with_state(state)
}

/// The admin router (bind it to localhost): participant decisions, behind a bearer token.
pub fn admin_app(state: AppState, token: AdminToken) -> Router {
    Router::new()
        .route("/admin/v1/participants", get(admin::handle_list))
        .route(
            "/admin/v1/participants/{did}/approve",
            post(admin::handle_approve),
        )
        .route(
            "/admin/v1/participants/{did}/reject",
            post(admin::handle_reject),
        )
        .route(
            "/admin/v1/participants/{did}/revoke",
            post(admin::handle_revoke),
        )
        .layer(middleware::from_fn_with_state(token, admin::require_token))
        .with_state(state)
}
