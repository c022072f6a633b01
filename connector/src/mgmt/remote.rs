//! Talking to other connectors on an operator's behalf: catalog and dataset requests, and
//! starting a negotiation from a provider's published offer.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::error::{ApiError, json_body};
use crate::app::App;
use crate::assets::{CONTRACT_SHA256_MEMBER, CONTRACT_TEXT_MEMBER};
use crate::client::DspResponse;
use crate::dsp::DspMessage;
use crate::dsp::catalog::{Catalog, CatalogError, CatalogRequestMessage, Dataset};
use crate::negotiation::{Negotiation, StartNegotiation};
use crate::outbox::join_url;

/// Another connector.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Counterparty {
    /// Its DSP base URL (`https://host:port/dsp`).
    pub connector: String,
    /// Its DID; derived from the URL's scheme, host and port when absent.
    #[serde(default)]
    pub did: Option<String>,
}

impl Counterparty {
    /// The URL and the DID (checked).
    pub fn resolve(&self) -> Result<(String, String), ApiError> {
        let url = reqwest::Url::parse(&self.connector)
            .map_err(|e| ApiError::invalid("connector", format!("not a URL: {e}")))?;
        let did = match &self.did {
            Some(did) => {
                vocab::did::check_did_web(did)
                    .map_err(|e| ApiError::invalid("did", e.to_string()))?;
                did.clone()
            }
            None => {
                let origin = url.origin().ascii_serialization();
                vocab::did::did_web_from_url(&origin)
                    .map_err(|e| ApiError::invalid("connector", e.to_string()))?
            }
        };
        Ok((self.connector.trim_end_matches('/').to_owned(), did))
    }
}

fn upstream(what: &str, url: &str, response: &DspResponse) -> ApiError {
    let reasons = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| {
            CatalogError::from_json(&v)
                .map(|e| crate::dsp::negotiation::reason_texts(&e.reason))
                .ok()
        })
        .unwrap_or_default();
    ApiError::Upstream(format!(
        "{what} at {url} answered HTTP {}{}",
        response.status,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", reasons.join("; "))
        }
    ))
}

fn network(url: &str, e: crate::client::ClientError) -> ApiError {
    ApiError::Upstream(format!("{url}: {e}"))
}

/// Fetches a provider's dataset and checks it strictly.
pub async fn fetch_dataset(
    app: &App,
    base: &str,
    did: &str,
    dataset_id: &str,
) -> Result<Dataset, ApiError> {
    let mut url = reqwest::Url::parse(&join_url(base, "catalog/datasets/"))
        .map_err(|e| ApiError::invalid("connector", e.to_string()))?;
    url.path_segments_mut()
        .map_err(|_| ApiError::invalid("connector", "cannot be a base URL"))?
        .pop_if_empty()
        .push(dataset_id);
    let url = url.to_string();
    let response = app
        .client
        .get(&url, did)
        .await
        .map_err(|e| network(&url, e))?;
    if !response.is_success() {
        return Err(upstream("the dataset request", &url, &response));
    }
    let json = response
        .json()
        .ok_or_else(|| ApiError::Upstream(format!("{url} did not answer with JSON")))?;
    Dataset::from_json(&json)
        .map_err(|e| ApiError::Upstream(format!("{url} answered with an invalid Dataset: {e}")))
}

/// Request another connector's catalog.
#[utoipa::path(post, path = "/api/v1/catalog/request", tag = "catalog", request_body = Counterparty,
    responses((status = 200, description = "The DSP Catalog as received (validated)"), (status = 502)), security(("bearer" = [])))]
pub async fn catalog_request(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let input: Counterparty =
        json_body(&headers, body, app.config.management.max_body_bytes).await?;
    let (base, did) = input.resolve()?;
    let url = join_url(&base, "catalog/request");
    let response = app
        .client
        .post(&url, &did, &CatalogRequestMessage::default().to_json())
        .await
        .map_err(|e| network(&url, e))?;
    if !response.is_success() {
        return Err(upstream("the catalog request", &url, &response));
    }
    let json = response
        .json()
        .ok_or_else(|| ApiError::Upstream(format!("{url} did not answer with JSON")))?;
    Catalog::from_json(&json)
        .map_err(|e| ApiError::Upstream(format!("{url} answered with an invalid Catalog: {e}")))?;
    Ok(Json(json))
}

/// A negotiation to start.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInput {
    /// The provider's DSP base URL.
    pub connector: String,
    /// The provider's DID (derived from the URL when absent).
    #[serde(default)]
    pub did: Option<String>,
    /// The dataset.
    pub dataset_id: String,
    /// The offer; required when the dataset has more than one.
    #[serde(default)]
    pub offer_id: Option<String>,
    /// The purpose declared to the provider (a Charta purpose: DPV IRI, `dpv:…` or
    /// `gwd:…` name).
    #[serde(default)]
    pub purpose: Option<String>,
}

/// Start a negotiation: fetch the provider's dataset, check its offer and the published
/// contract text, and send the contract request (asynchronously, through the outbox).
#[utoipa::path(post, path = "/api/v1/negotiations", tag = "negotiations", request_body = StartInput,
    responses((status = 201, body = Negotiation), (status = 400), (status = 502)), security(("bearer" = [])))]
pub async fn start_negotiation(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Negotiation>), ApiError> {
    let input: StartInput = json_body(&headers, body, app.config.management.max_body_bytes).await?;
    let (base, did) = Counterparty {
        connector: input.connector.clone(),
        did: input.did.clone(),
    }
    .resolve()?;
    if input.dataset_id.trim().is_empty() {
        return Err(ApiError::invalid("dataset_id", "must not be empty"));
    }
    if let Some(p) = &input.purpose
        && (p.trim().is_empty() || p.len() > 1024)
    {
        return Err(ApiError::invalid(
            "purpose",
            "give a purpose IRI or prefixed name",
        ));
    }
    let dataset = fetch_dataset(&app, &base, &did, &input.dataset_id).await?;
    let offer = match &input.offer_id {
        Some(id) => dataset.offers.iter().find(|o| &o.id == id).ok_or_else(|| {
            ApiError::invalid("offer_id", format!("the dataset has no offer {id}"))
        })?,
        None if dataset.offers.len() == 1 => &dataset.offers[0],
        None => {
            return Err(ApiError::invalid(
                "offer_id",
                format!(
                    "the dataset has {} offers; choose one of {}",
                    dataset.offers.len(),
                    dataset
                        .offers
                        .iter()
                        .map(|o| o.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    };
    let text = offer
        .json
        .get(CONTRACT_TEXT_MEMBER)
        .and_then(Value::as_str)
        .map(str::to_owned);
    let sha = offer
        .json
        .get(CONTRACT_SHA256_MEMBER)
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let (Some(text), Some(sha)) = (&text, &sha) {
        use sha2::Digest;
        let actual = hex::encode(sha2::Sha256::digest(text.as_bytes()));
        if &actual != sha {
            return Err(ApiError::Upstream(
                "the provider's published contract text does not match its SHA-256".into(),
            ));
        }
    }
    let n = app
        .negotiations
        .start(StartNegotiation {
            provider_address: base,
            provider_id: did,
            dataset_id: dataset.id.clone(),
            offer: offer.json.clone(),
            purpose: input.purpose.clone(),
            contract_markdown: text,
            contract_sha256: sha,
            tck: None,
        })
        .await
        .map_err(|e| ApiError::invalid("<body>", e.to_string()))?;
    Ok((StatusCode::CREATED, Json(n)))
}
