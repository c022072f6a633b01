//! The forms that decide a negotiation: approve, reject with a reason, counter with another
//! template or other parameter values (provider), accept an offer (consumer). Each checks the
//! session's CSRF token, reads the size-limited form, and calls
//! [`crate::negotiation::Negotiations::decide_locally`] — the service function the JSON API's
//! `/api/v1/negotiations/{id}/…` endpoints call — then sends the browser back to the
//! negotiation's page.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use contracts::template::Template as ContractTemplate;

use super::error::PageError;
use super::session::{AuthSession, FormFields, read_checked_form};
use super::{Dashboard, path_segment};
use crate::negotiation::{OperatorDecision, TemplateCounter};

/// The longest reason accepted (as in the JSON API).
pub const MAX_REASON_CHARS: usize = 2000;

fn back_to(id: &str, done: &str) -> Response {
    let location = format!(
        "/dashboard/negotiations/{}?erledigt={done}",
        path_segment(id)
    );
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

async fn decide(
    dashboard: &Dashboard,
    id: &str,
    decision: OperatorDecision,
    done: &str,
) -> Result<Response, PageError> {
    dashboard
        .app
        .negotiations
        .decide_locally(id, decision)
        .await?;
    Ok(back_to(id, done))
}

/// `POST /dashboard/negotiations/{id}/approve`.
pub async fn approve(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    read_checked_form(&session, &headers, body).await?;
    decide(&dashboard, &id, OperatorDecision::Approve, "freigegeben").await
}

/// The reasons of a rejection: the German one is required, an English one optional.
pub fn reasons(form: &FormFields) -> Result<Vec<String>, PageError> {
    let mut out = Vec::new();
    for (field, label, required) in [
        ("begruendung", "Begründung", true),
        ("begruendung_en", "Begründung (englisch)", false),
    ] {
        let text = form.get(field).unwrap_or_default().trim();
        if text.is_empty() {
            if required {
                return Err(PageError::invalid(
                    label,
                    "bitte geben Sie an, warum die Anfrage abgelehnt wird; der Anfragende erhält diesen Text",
                ));
            }
            continue;
        }
        if text.chars().count() > MAX_REASON_CHARS {
            return Err(PageError::invalid(
                label,
                format!("höchstens {MAX_REASON_CHARS} Zeichen"),
            ));
        }
        out.push(text.to_owned());
    }
    Ok(out)
}

/// `POST /dashboard/negotiations/{id}/reject`.
pub async fn reject(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let form = read_checked_form(&session, &headers, body).await?;
    let reasons = reasons(&form)?;
    decide(
        &dashboard,
        &id,
        OperatorDecision::Reject(reasons),
        "abgelehnt",
    )
    .await
}

/// The counter-offer the form asks for: the chosen stored template with the form's parameter
/// values (`param.<name>`; empty fields take the template's default), checked by rendering it
/// here so that errors name the form's fields in German.
pub fn counter_policy(
    dashboard: &Dashboard,
    id: &str,
    form: &FormFields,
) -> Result<TemplateCounter, PageError> {
    let app = &dashboard.app;
    let template_id = form
        .get("vorlage_id")
        .ok_or_else(|| PageError::invalid("Vorlage", "fehlt"))?;
    let version = form
        .get("vorlage_version")
        .ok_or_else(|| PageError::invalid("Vorlage", "die Version fehlt"))?;
    let record = app.assets.template(template_id, version)?.ok_or_else(|| {
        PageError::invalid(
            "Vorlage",
            format!("„{template_id}“ Version {version} ist nicht gespeichert"),
        )
    })?;
    let template = ContractTemplate::parse(&record.source)
        .map_err(|e| PageError::Internal(format!("stored template {template_id}: {e}")))?;
    let negotiation = app
        .negotiations
        .get(id)?
        .ok_or_else(|| PageError::NotFound(format!("Keine Verhandlung {id}.")))?;
    if let Some(asset) = app.assets.asset(&negotiation.dataset_id)?
        && asset.personal_adjacent
        && !template.personal_adjacent
    {
        return Err(PageError::invalid(
            "Vorlage",
            "der Datensatz ist personennah: wählen Sie eine Vorlage für personennahe Daten (nur Aggregate in der Sandbox, Charta GW-6/7)",
        ));
    }
    let mut params = BTreeMap::new();
    for (name, value) in form.with_prefix("param.") {
        let Some(decl) = template.parameters.get(name) else {
            return Err(PageError::invalid(
                name,
                "diesen Parameter kennt die Vorlage nicht",
            ));
        };
        let value = value.trim();
        if !value.is_empty() {
            if value.len() > 1000 {
                return Err(PageError::invalid(&decl.label, "höchstens 1000 Zeichen"));
            }
            params.insert(name.to_owned(), value.to_owned());
        }
    }
    template.render(&params, app.terms.charta()).map_err(|e| {
        PageError::invalid(
            "Parameter",
            e.0.iter()
                .map(|d| d.message_de.clone())
                .collect::<Vec<_>>()
                .join(" "),
        )
    })?;
    Ok(TemplateCounter {
        template_id: template_id.to_owned(),
        template_version: version.to_owned(),
        parameters: params,
    })
}

/// `POST /dashboard/negotiations/{id}/counter`.
pub async fn counter(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let form = read_checked_form(&session, &headers, body).await?;
    let choice = counter_policy(&dashboard, &id, &form)?;
    decide(
        &dashboard,
        &id,
        OperatorDecision::CounterWithTemplate(choice),
        "gegenangebot",
    )
    .await
}

/// `POST /dashboard/negotiations/{id}/accept` (consumer: accept the provider's offer).
pub async fn accept(
    State(dashboard): State<Dashboard>,
    session: AuthSession,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    read_checked_form(&session, &headers, body).await?;
    decide(&dashboard, &id, OperatorDecision::Accept, "angenommen").await
}
