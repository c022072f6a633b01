//! `/api/v1/assets`: the datasets this connector offers.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, json_body};
use crate::app::App;
use crate::assets::{Asset, AssetSource, check_id};
use crate::process::now_ms;

/// Where an asset's data comes from.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct SourceInput {
    /// A local file or folder path.
    #[serde(default)]
    pub file: Option<String>,
    /// The name of a `[sources.NAME]` entry of the configuration.
    #[serde(default)]
    pub source: Option<String>,
    /// A public URL.
    #[serde(default)]
    pub url: Option<String>,
}

/// An asset to create or replace.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetInput {
    /// The id (letters, digits, `. _ : - ~`); generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Title (German).
    pub title: String,
    /// Description (German).
    #[serde(default)]
    pub description: String,
    /// Keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// EU data themes: codes such as `ENER`, `ENVI`, or IRIs.
    #[serde(default)]
    pub themes: Vec<String>,
    /// The municipality key (AGS, 8 digits) of the area covered.
    #[serde(default)]
    pub ags: Option<String>,
    /// Licence IRI.
    #[serde(default)]
    pub license: Option<String>,
    /// Publisher name.
    #[serde(default)]
    pub publisher: Option<String>,
    /// Personal-adjacent data (aggregate-only access).
    #[serde(default)]
    pub personal_adjacent: bool,
    /// The data source; at most one of its members.
    #[serde(default)]
    pub source: Option<SourceInput>,
    /// Where the metadata came from (set by importers).
    #[serde(default)]
    pub origin: Option<String>,
}

impl AssetInput {
    /// Checks every field and builds the asset (`existing` keeps the creation time).
    pub fn into_asset(self, app: &App, existing: Option<&Asset>) -> Result<Asset, ApiError> {
        let id = match self.id {
            Some(id) => id,
            None => format!("asset-{}", uuid::Uuid::new_v4()),
        };
        check_id("id", &id).map_err(|m| ApiError::invalid("id", m))?;
        let title = self.title.trim().to_owned();
        if title.is_empty() || title.len() > 1000 {
            return Err(ApiError::invalid("title", "must have 1 to 1000 characters"));
        }
        if self.description.len() > 20_000 {
            return Err(ApiError::invalid("description", "at most 20000 characters"));
        }
        if self.keywords.len() > 100
            || self
                .keywords
                .iter()
                .any(|k| k.trim().is_empty() || k.len() > 200)
        {
            return Err(ApiError::invalid(
                "keywords",
                "at most 100 non-empty keywords of up to 200 characters",
            ));
        }
        for (i, t) in self.themes.iter().enumerate() {
            let known = vocab::model::DataTheme::from_code(t).is_some();
            let iri = t.starts_with("http://") || t.starts_with("https://");
            if !known && !iri {
                return Err(ApiError::invalid(
                    format!("themes[{i}]"),
                    format!(
                        "{t:?} is not an EU data theme code (AGRI, ECON, EDUC, ENER, ENVI, GOVE, HEAL, INTR, JUST, REGI, SOCI, TECH, TRAN, …) or an IRI"
                    ),
                ));
            }
        }
        if let Some(ags) = &self.ags {
            vocab::ags::Ags::parse(ags).map_err(|e| ApiError::invalid("ags", e.to_string()))?;
        }
        if let Some(l) = &self.license {
            reqwest::Url::parse(l)
                .map_err(|e| ApiError::invalid("license", format!("must be an IRI: {e}")))?;
        }
        let source = match self.source {
            None => AssetSource::None,
            Some(s) => match (s.file, s.source, s.url) {
                (None, None, None) => AssetSource::None,
                (Some(path), None, None) => {
                    if path.trim().is_empty() {
                        return Err(ApiError::invalid("source.file", "must not be empty"));
                    }
                    AssetSource::File { path }
                }
                (None, Some(name), None) => {
                    if !app.config.sources.contains_key(&name) {
                        return Err(ApiError::invalid(
                            "source.source",
                            format!("no [sources.{name}] in the configuration"),
                        ));
                    }
                    AssetSource::Source { name }
                }
                (None, None, Some(url)) => {
                    let parsed = reqwest::Url::parse(&url)
                        .map_err(|e| ApiError::invalid("source.url", format!("not a URL: {e}")))?;
                    if !parsed.username().is_empty() || parsed.password().is_some() {
                        return Err(ApiError::invalid(
                            "source.url",
                            "credentials do not belong in a URL; use a [sources.NAME] entry",
                        ));
                    }
                    AssetSource::Url { url }
                }
                _ => {
                    return Err(ApiError::invalid(
                        "source",
                        "give exactly one of file, source, url",
                    ));
                }
            },
        };
        let now = now_ms();
        Ok(Asset {
            id,
            title,
            description: self.description,
            keywords: self.keywords,
            themes: self.themes,
            ags: self.ags,
            license: self.license,
            publisher: self.publisher,
            personal_adjacent: self.personal_adjacent,
            source,
            origin: self.origin,
            created_ms: existing.map_or(now, |e| e.created_ms),
            updated_ms: now,
        })
    }
}

/// List all assets.
#[utoipa::path(get, path = "/api/v1/assets", tag = "assets",
    responses((status = 200, body = Vec<Asset>)), security(("bearer" = [])))]
pub async fn list(State(app): State<Arc<App>>) -> Result<Json<Vec<Asset>>, ApiError> {
    Ok(Json(app.assets.assets()?))
}

/// Create an asset.
#[utoipa::path(post, path = "/api/v1/assets", tag = "assets", request_body = AssetInput,
    responses((status = 201, body = Asset), (status = 400), (status = 409)), security(("bearer" = [])))]
pub async fn create(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Asset>), ApiError> {
    let input: AssetInput = json_body(&headers, body, app.config.management.max_body_bytes).await?;
    let asset = input.into_asset(&app, None)?;
    if app.assets.asset(&asset.id)?.is_some() {
        return Err(ApiError::Conflict(format!(
            "asset {} exists; use PUT to replace it",
            asset.id
        )));
    }
    app.assets.put(std::slice::from_ref(&asset), &[])?;
    Ok((StatusCode::CREATED, Json(asset)))
}

/// The outcome for one item of a batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchItem {
    /// Position in the batch (0-based).
    pub index: usize,
    /// The asset id, if it got that far.
    pub id: Option<String>,
    /// `created`, `updated` or `error`.
    pub status: String,
    /// The error, naming the field.
    pub message: Option<String>,
}

/// Create or replace up to 1000 assets; each item is checked on its own and the valid ones
/// are stored together (one atomic write). The answer reports every item.
#[utoipa::path(post, path = "/api/v1/assets/batch", tag = "assets", request_body = Vec<AssetInput>,
    responses((status = 200, body = Vec<BatchItem>)), security(("bearer" = [])))]
pub async fn batch(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Vec<BatchItem>>, ApiError> {
    let items: Vec<serde_json::Value> =
        json_body(&headers, body, app.config.management.max_body_bytes).await?;
    if items.len() > 1000 {
        return Err(ApiError::invalid("<body>", "at most 1000 assets per batch"));
    }
    let mut report = Vec::with_capacity(items.len());
    let mut valid = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let parsed = serde_json::from_value::<AssetInput>(item)
            .map_err(|e| ApiError::invalid("<item>", e.to_string()))
            .and_then(|input| {
                let existing = match &input.id {
                    Some(id) => app.assets.asset(id)?,
                    None => None,
                };
                let updated = existing.is_some();
                input
                    .into_asset(&app, existing.as_ref())
                    .map(|a| (a, updated))
            });
        match parsed {
            Ok((asset, updated)) => {
                report.push(BatchItem {
                    index,
                    id: Some(asset.id.clone()),
                    status: if updated { "updated" } else { "created" }.into(),
                    message: None,
                });
                valid.push(asset);
            }
            Err(e) => report.push(BatchItem {
                index,
                id: None,
                status: "error".into(),
                message: Some(e.to_string()),
            }),
        }
    }
    app.assets.put(&valid, &[])?;
    Ok(Json(report))
}

/// One asset.
#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "assets",
    responses((status = 200, body = Asset), (status = 404)), security(("bearer" = [])))]
pub async fn show(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Asset>, ApiError> {
    app.assets
        .asset(&id)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no asset {id}")))
}

/// Replace an asset.
#[utoipa::path(put, path = "/api/v1/assets/{id}", tag = "assets", request_body = AssetInput,
    responses((status = 200, body = Asset), (status = 400), (status = 404)), security(("bearer" = [])))]
pub async fn replace(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Asset>, ApiError> {
    let mut input: AssetInput =
        json_body(&headers, body, app.config.management.max_body_bytes).await?;
    if input.id.as_ref().is_some_and(|given| given != &id) {
        return Err(ApiError::invalid("id", "differs from the id in the path"));
    }
    input.id = Some(id.clone());
    let existing = app
        .assets
        .asset(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("no asset {id}")))?;
    let asset = input.into_asset(&app, Some(&existing))?;
    app.assets.put(std::slice::from_ref(&asset), &[])?;
    Ok(Json(asset))
}

/// Delete an asset and its offers.
#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "assets",
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn delete(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if app.assets.delete_asset(&id)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no asset {id}")))
    }
}
