//! `/api/v1/templates` and `/api/v1/offers`: contract templates from legal teams and the
//! offers made from them (template + parameters → ODRL offer + German contract text).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use contracts::template::{Approval, Template};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::error::{ApiError, json_body, text_body};
use crate::app::App;
use crate::assets::{ApprovalMode, Offer, TemplateRecord, TemplateRef, check_id};
use crate::process::now_ms;

/// A template as stored, with its check result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateAdded {
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Its title.
    pub title: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Warnings of the check (Charta SOLL principles not covered, …).
    pub warnings: Vec<String>,
}

fn parse_template(text: &str) -> Result<Template, ApiError> {
    Template::parse(text).map_err(|e| ApiError::invalid("<template>", e.to_string()))
}

/// Add a template (the body is the template file: TOML front matter and German Markdown).
/// It must pass the check against the Charta without errors.
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", request_body(content = String, content_type = "text/markdown"),
    responses((status = 201, body = TemplateAdded), (status = 400), (status = 409)), security(("bearer" = [])))]
pub async fn add_template(
    State(app): State<Arc<App>>,
    body: Body,
) -> Result<(StatusCode, Json<TemplateAdded>), ApiError> {
    let text = text_body(body, app.config.management.max_body_bytes).await?;
    let template = parse_template(&text)?;
    let diagnostics = template.check(app.terms.charta());
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::invalid("<template>", errors.join("\n")));
    }
    let version = template.version_string();
    if let Some(existing) = app.assets.template(&template.id, &version)?
        && existing.sha256 != template.sha256()
    {
        return Err(ApiError::Conflict(format!(
            "template {} version {version} exists with other content; raise the version",
            template.id
        )));
    }
    let record = TemplateRecord {
        id: template.id.clone(),
        version: version.clone(),
        title: template.title.clone(),
        source: text,
        sha256: template.sha256(),
        added_ms: now_ms(),
    };
    app.assets.put_template(&record)?;
    Ok((
        StatusCode::CREATED,
        Json(TemplateAdded {
            id: record.id,
            version,
            title: record.title,
            sha256: record.sha256,
            warnings: diagnostics
                .iter()
                .filter(|d| !d.is_error())
                .map(|d| d.to_string())
                .collect(),
        }),
    ))
}

/// List templates.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    responses((status = 200, body = Vec<TemplateRecord>)), security(("bearer" = [])))]
pub async fn list_templates(
    State(app): State<Arc<App>>,
) -> Result<Json<Vec<TemplateRecord>>, ApiError> {
    Ok(Json(app.assets.templates()?))
}

/// Parameter values for rendering.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderInput {
    /// Values by parameter name, as text (`12 Monate`, `09162000`, …); defaults fill the rest.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

/// A rendered contract.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rendered {
    /// German contract text (Markdown).
    pub markdown: String,
    /// The same as HTML.
    pub html: String,
    /// The ODRL offer (DSP JSON).
    pub offer: Value,
    /// SHA-256 of the Markdown.
    pub sha256: String,
    /// The parameter values used.
    pub parameters: BTreeMap<String, String>,
}

fn render(
    app: &App,
    record: &TemplateRecord,
    params: &BTreeMap<String, String>,
) -> Result<(Template, Rendered), ApiError> {
    let template = parse_template(&record.source)?;
    let contract = template
        .render(params, app.terms.charta())
        .map_err(|e| ApiError::invalid("parameters", e.to_string()))?;
    Ok((
        template,
        Rendered {
            markdown: contract.markdown,
            html: contract.html,
            offer: contract.offer.to_dsp_json(),
            sha256: contract.sha256,
            parameters: contract.parameters,
        },
    ))
}

/// Preview a template with parameters.
#[utoipa::path(post, path = "/api/v1/templates/{id}/{version}/render", tag = "templates", request_body = RenderInput,
    responses((status = 200, body = Rendered), (status = 400), (status = 404)), security(("bearer" = [])))]
pub async fn render_template(
    State(app): State<Arc<App>>,
    Path((id, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Rendered>, ApiError> {
    let input: RenderInput =
        json_body(&headers, body, app.config.management.max_body_bytes).await?;
    let record = app
        .assets
        .template(&id, &version)?
        .ok_or_else(|| ApiError::NotFound(format!("no template {id} version {version}")))?;
    Ok(Json(render(&app, &record, &input.parameters)?.1))
}

/// Who may see and request an offer, in simple terms (turned into an ODRL policy over the
/// recipient's attributes).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisibleTo {
    /// Participant types (`Municipality`, `PublicBody`, `Company`, `Research`, or IRIs).
    #[serde(default)]
    pub participant_types: Vec<String>,
    /// Regions (AGS keys or prefixes of 2, 3, 5 or 8 digits) the recipient must lie in.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// An offer to create.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    /// The offer id; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The asset offered.
    pub asset_id: String,
    /// The template.
    pub template_id: String,
    /// Its version.
    pub template_version: String,
    /// Parameter values.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// Who may see and request the offer; everyone admitted when absent.
    #[serde(default)]
    pub visible_to: Option<VisibleTo>,
}

const GWD: &str = "https://w3id.org/gemeinwohl-datenraum/ns#";

fn visibility_policy(v: &VisibleTo, id: &str) -> Result<Option<Value>, ApiError> {
    let mut constraints = Vec::new();
    if !v.participant_types.is_empty() {
        let mut types = Vec::new();
        for (i, t) in v.participant_types.iter().enumerate() {
            let iri = match t.as_str() {
                "Municipality" | "PublicBody" | "Company" | "Research" => format!("{GWD}{t}"),
                other if other.starts_with("http") => other.to_owned(),
                other => {
                    return Err(ApiError::invalid(
                        format!("visible_to.participant_types[{i}]"),
                        format!(
                            "{other:?}: use Municipality, PublicBody, Company, Research or an IRI"
                        ),
                    ));
                }
            };
            types.push(serde_json::json!({"@id": iri}));
        }
        constraints.push(serde_json::json!({"leftOperand": format!("{GWD}recipientType"), "operator": "isAnyOf", "rightOperand": types}));
    }
    if !v.regions.is_empty() {
        let mut regions = Vec::new();
        for (i, r) in v.regions.iter().enumerate() {
            let region = vocab::ags::Region::parse(r).map_err(|e| {
                ApiError::invalid(format!("visible_to.regions[{i}]"), e.to_string())
            })?;
            regions.push(serde_json::json!({"@id": region.iri()}));
        }
        constraints.push(serde_json::json!({"leftOperand": format!("{GWD}recipientAgs"), "operator": "isPartOf", "rightOperand": if regions.len() == 1 { regions[0].clone() } else { Value::Array(regions) }}));
    }
    if constraints.is_empty() {
        return Ok(None);
    }
    Ok(Some(serde_json::json!({
        "@id": format!("{id}:visibility"),
        "@type": "Set",
        "permission": [{"action": "use", "constraint": constraints}],
    })))
}

/// Create an offer from a template.
#[utoipa::path(post, path = "/api/v1/offers", tag = "offers", request_body = OfferInput,
    responses((status = 201, body = Offer), (status = 400), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn create_offer(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Offer>), ApiError> {
    let input: OfferInput = json_body(&headers, body, app.config.management.max_body_bytes).await?;
    let id = input
        .id
        .clone()
        .unwrap_or_else(|| format!("offer-{}", uuid::Uuid::new_v4()));
    check_id("id", &id).map_err(|m| ApiError::invalid("id", m))?;
    if app.assets.offer(&id)?.is_some() {
        return Err(ApiError::Conflict(format!("offer {id} exists")));
    }
    let asset = app
        .assets
        .asset(&input.asset_id)?
        .ok_or_else(|| ApiError::invalid("asset_id", format!("no asset {}", input.asset_id)))?;
    let record = app
        .assets
        .template(&input.template_id, &input.template_version)?
        .ok_or_else(|| {
            ApiError::invalid(
                "template_id",
                format!(
                    "no template {} version {}",
                    input.template_id, input.template_version
                ),
            )
        })?;
    let (template, rendered) = render(&app, &record, &input.parameters)?;
    if asset.personal_adjacent && !template.personal_adjacent {
        return Err(ApiError::invalid(
            "template_id",
            "the asset is personal-adjacent: use a template for personal-adjacent data (sandbox access, Charta GW-6/7)",
        ));
    }
    let visibility = match &input.visible_to {
        Some(v) => visibility_policy(v, &id)?,
        None => None,
    };
    if let Some(v) = &visibility {
        app.terms
            .policy(v)
            .map_err(|e| ApiError::invalid("visible_to", e.to_string()))?;
    }
    let mut policy = rendered.offer.clone();
    if let Value::Object(m) = &mut policy {
        m.remove("@context");
        m.remove("target");
        m.insert("@id".into(), id.clone().into());
    }
    let offer = Offer {
        id,
        asset_id: asset.id,
        template: Some(TemplateRef {
            id: record.id,
            version: record.version,
        }),
        parameters: rendered.parameters,
        policy,
        contract_markdown: rendered.markdown,
        contract_sha256: rendered.sha256,
        approval: if template.approval == Approval::Manual {
            ApprovalMode::Manual
        } else {
            ApprovalMode::Automatic
        },
        visibility,
        tck: None,
        created_ms: now_ms(),
    };
    app.assets.put(&[], std::slice::from_ref(&offer))?;
    Ok((StatusCode::CREATED, Json(offer)))
}

/// List offers.
#[utoipa::path(get, path = "/api/v1/offers", tag = "offers",
    responses((status = 200, body = Vec<Offer>)), security(("bearer" = [])))]
pub async fn list_offers(State(app): State<Arc<App>>) -> Result<Json<Vec<Offer>>, ApiError> {
    Ok(Json(app.assets.offers()?))
}

/// One offer.
#[utoipa::path(get, path = "/api/v1/offers/{id}", tag = "offers",
    responses((status = 200, body = Offer), (status = 404)), security(("bearer" = [])))]
pub async fn show_offer(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Offer>, ApiError> {
    app.assets
        .offer(&id)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no offer {id}")))
}

/// Withdraw an offer (running negotiations about it are terminated when they next need it).
#[utoipa::path(delete, path = "/api/v1/offers/{id}", tag = "offers",
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn delete_offer(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if app.assets.delete_offer(&id)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no offer {id}")))
    }
}
