//! The Eclipse DSP TCK's two trigger endpoints (TCK mode only): the TCK asks the connector,
//! as consumer, to start a negotiation or a transfer with the TCK's provider.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, json_body};
use crate::app::App;
use crate::negotiation::StartNegotiation;

/// The body of `POST /tck/negotiations/requests`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NegotiationTrigger {
    /// The TCK's participant id.
    pub provider_id: String,
    /// The offer to request.
    pub offer_id: String,
    /// The dataset.
    pub dataset_id: String,
    /// The TCK provider's DSP base URL.
    pub connector_address: String,
}

/// The body of `POST /tck/transfers/requests`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TransferTrigger {
    /// The TCK's participant id.
    pub provider_id: String,
    /// The agreement.
    pub agreement_id: String,
    /// The transfer format.
    pub format: String,
    /// The TCK provider's DSP base URL.
    pub connector_address: String,
}

/// `POST /tck/negotiations/requests`: start a negotiation scripted by the dataset's scenario.
pub async fn negotiation_request(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Some(tck) = &app.tck else {
        return Err(ApiError::NotFound("the TCK mode is off".into()));
    };
    let trigger: NegotiationTrigger = json_body(&headers, body, 64 * 1024).await?;
    let script = tck.consumer_scripts.get(&trigger.dataset_id).copied();
    if script.is_none() {
        tracing::warn!(dataset = %trigger.dataset_id, "no TCK consumer script for this dataset; the connector acts as in production");
    }
    let offer = json!({
        "@id": trigger.offer_id,
        "@type": "Offer",
        "permission": [{"action": "use"}],
    });
    let n = app
        .negotiations
        .start(StartNegotiation {
            provider_address: trigger.connector_address,
            provider_id: trigger.provider_id,
            dataset_id: trigger.dataset_id,
            offer,
            purpose: None,
            contract_markdown: None,
            contract_sha256: None,
            tck: script,
        })
        .await
        .map_err(|e| ApiError::invalid("<body>", e.to_string()))?;
    Ok((StatusCode::CREATED, Json(json!({"negotiationId": n.id}))))
}

/// `POST /tck/transfers/requests`: start a transfer (as consumer) under a seeded agreement;
/// the agreement's scenario scripts what the connector does next.
pub async fn transfer_request(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if app.tck.is_none() {
        return Err(ApiError::NotFound("the TCK mode is off".into()));
    }
    let trigger: TransferTrigger = json_body(&headers, body, 64 * 1024).await?;
    let format = crate::transfer::TransferFormat::parse(&trigger.format).ok_or_else(|| {
        ApiError::invalid(
            "format",
            format!("{:?} is not a transfer format", trigger.format),
        )
    })?;
    let t = app
        .transfers
        .start(crate::transfer::StartTransfer {
            agreement_id: trigger.agreement_id,
            format,
            purpose: None,
            provider_address: Some(trigger.connector_address),
            manual_fetch: true,
            push_endpoint: None,
            push_token: None,
        })
        .await
        .map_err(|e| ApiError::invalid("<body>", e.to_string()))?;
    tracing::info!(transfer = %t.id, provider = %trigger.provider_id, "TCK transfer triggered");
    Ok((StatusCode::CREATED, Json(json!({"transferId": t.id}))))
}
