//! The catalog protocol endpoints: `POST /catalog/request`, `GET /catalog/datasets/{id}`.
//!
//! What a caller sees is decided per offer by its visibility policy (evaluated with
//! `contracts` against the caller's credential); datasets without a visible offer do not
//! exist for that caller. The request's `filter` is accepted and not applied: every visible
//! dataset is listed.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::error::{Area, DspError, ErrorContext};
use super::input;
use crate::app::App;
use crate::dsp::DspMessage;
use crate::dsp::catalog::CatalogRequestMessage;

/// `POST /catalog/request`.
pub async fn catalog_request(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, DspError> {
    let mut ctx = ErrorContext::new(Area::Catalog);
    let incoming = input::read(&app, &headers, "catalog/request", body, &mut ctx).await?;
    CatalogRequestMessage::from_json(&incoming.json)
        .map_err(|e| ctx.error(StatusCode::BAD_REQUEST, "invalid_message", e.to_string()))?;
    let catalog = app
        .assets
        .catalog_for(
            &incoming.caller,
            &app.identity.did,
            &app.identity.dsp_base_url,
        )
        .map_err(|e| ctx.internal(&e.to_string()))?;
    Ok(Json(catalog.to_json()))
}

/// `GET /catalog/datasets/{id}`.
pub async fn dataset(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, DspError> {
    let ctx = ErrorContext::new(Area::Catalog);
    let caller = input::authenticate(&app, &headers, &ctx)?;
    match app
        .assets
        .dataset_for(&id, &caller, &app.identity.did)
        .map_err(|e| ctx.internal(&e.to_string()))?
    {
        Some(dataset) => Ok(Json(dataset.to_json())),
        None => Err(ctx.error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no dataset {id:?}"),
        )),
    }
}
