//! Public documents and probes: `/.well-known/dspace-version`, `/.well-known/did.json`,
//! `/health`, `/ready`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::app::App;
use crate::dsp::PROTOCOL_VERSION;
use crate::dsp::version::{ProtocolVersion, VersionAuth, VersionResponse};

/// The version document for this connector.
pub fn version_document(app: &App) -> VersionResponse {
    VersionResponse {
        protocol_versions: vec![ProtocolVersion {
            version: PROTOCOL_VERSION.to_owned(),
            path: "/dsp".to_owned(),
            binding: "HTTPS".to_owned(),
            identifier_type: Some("did:web".to_owned()),
            service_id: Some(format!("{}#dsp", app.identity.did)),
            auth: Some(VersionAuth {
                protocol: "https://w3id.org/gemeinwohl-datenraum/ns#MembershipToken".to_owned(),
                version: "1.0".to_owned(),
                profile: vec!["self-issued-jwt+membership-vc".to_owned()],
            }),
        }],
    }
}

/// `GET /.well-known/dspace-version`.
pub async fn dspace_version(State(app): State<Arc<App>>) -> Json<Value> {
    Json(version_document(&app).to_json())
}

/// `GET /.well-known/did.json`.
pub async fn did_document(State(app): State<Arc<App>>) -> Response {
    match app.identity.did_document() {
        Ok(doc) => (
            [(axum::http::header::CONTENT_TYPE, "application/did+json")],
            Json(serde_json::to_value(doc).unwrap_or(Value::Null)),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot build the DID document");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `GET /health`: the process answers.
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /ready`: the database answers and the listeners and dispatcher run.
pub async fn ready(State(app): State<Arc<App>>) -> Response {
    let db = app.store.get_raw("ready-probe").is_ok();
    let running = app.ready.load(Ordering::Acquire);
    // A connector that has not joined yet is ready (to be joined): the body says so.
    let membership = app.federation.status();
    let body = json!({
        "ready": db && running,
        "database": db,
        "running": running,
        "member": membership.is_member(),
        "membership": membership.state.as_str(),
        "message": membership.message,
    });
    let status = if db && running {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
