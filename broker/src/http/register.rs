//! The public register of cooperations: `POST /api/v1/register`, `GET /register` (HTML, JSON or
//! Turtle) and `GET /api/v1/register` (JSON).

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::model::{BlankNode, Graph, Literal, NamedNode, Triple};
use serde::Serialize;
use vocab::ns::{dcat, dct, gwd, odrl, rdf, xsd};

use super::AppState;
use super::body::{REGISTER_LIMIT, read_limited, wants_html};
use super::error::{ApiError, ApiResult};
use super::pages::error_page;
use crate::error::{BrokerError, invalid};
use crate::labels;
use crate::service::RegisterSubmission;
use crate::store::RegisterEntry;

const DPV_HAS_PURPOSE: &str = "https://w3id.org/dpv#hasPurpose";

/// One entry as JSON.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EntryView {
    id: String,
    recorded_at: String,
    #[serde(flatten)]
    submission: RegisterSubmission,
}

/// `POST /api/v1/register`
pub(crate) async fn handle_submit(
    State(state): State<AppState>,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_limited(body, REGISTER_LIMIT).await?;
    let submission: RegisterSubmission = serde_json::from_slice(&bytes)
        .map_err(|e| invalid("body", format!("not a register submission: {e}")))?;
    let entry = state
        .blocking(move |b| b.register_cooperation(submission))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": entry.id })),
    )
        .into_response())
}

fn entries(state: &AppState) -> Result<Vec<(RegisterEntry, RegisterSubmission)>, BrokerError> {
    state.register()
}

fn json_view(list: Vec<(RegisterEntry, RegisterSubmission)>) -> Vec<EntryView> {
    list.into_iter()
        .map(|(e, s)| EntryView {
            id: e.id,
            recorded_at: e.recorded_at.to_rfc3339(),
            submission: s,
        })
        .collect()
}

fn iri(value: &str) -> Result<NamedNode, BrokerError> {
    NamedNode::new(value).map_err(|e| BrokerError::Storage(format!("{value:?}: {e}")))
}

fn turtle(list: &[(RegisterEntry, RegisterSubmission)]) -> Result<String, BrokerError> {
    let mut g = Graph::new();
    for (entry, s) in list {
        let a = iri(&entry.id)?;
        let sum = &s.summary;
        let time = |t: &chrono::DateTime<chrono::Utc>| {
            Literal::new_typed_literal(
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                xsd::DATE_TIME,
            )
        };
        g.insert(&Triple::new(a.clone(), rdf::TYPE, odrl::AGREEMENT));
        g.insert(&Triple::new(a.clone(), odrl::ASSIGNER, iri(&sum.provider)?));
        g.insert(&Triple::new(a.clone(), odrl::ASSIGNEE, iri(&sum.consumer)?));
        g.insert(&Triple::new(a.clone(), odrl::TARGET, iri(&sum.dataset)?));
        g.insert(&Triple::new(
            a.clone(),
            dct::TITLE,
            Literal::new_language_tagged_literal_unchecked(&sum.dataset_title, "de"),
        ));
        for p in &sum.purposes {
            g.insert(&Triple::new(a.clone(), iri(DPV_HAS_PURPOSE)?, iri(p)?));
        }
        let period = BlankNode::default();
        g.insert(&Triple::new(a.clone(), dct::TEMPORAL, period.clone()));
        g.insert(&Triple::new(period.clone(), rdf::TYPE, dct::PERIOD_OF_TIME));
        g.insert(&Triple::new(
            period.clone(),
            dcat::START_DATE,
            time(&sum.start),
        ));
        g.insert(&Triple::new(period, dcat::END_DATE, time(&sum.end)));
        g.insert(&Triple::new(
            a.clone(),
            gwd::CHARTA_VERSION,
            Literal::new_simple_literal(&sum.charta_version),
        ));
        g.insert(&Triple::new(
            a.clone(),
            gwd::CHARTA_HASH,
            Literal::new_simple_literal(&sum.charta_hash),
        ));
        g.insert(&Triple::new(a, dct::ISSUED, time(&entry.recorded_at)));
    }
    vocab::rdf::to_turtle(&g).map_err(|e| BrokerError::Index(format!("register as Turtle: {e}")))
}

struct Row {
    provider: String,
    consumer: String,
    dataset: String,
    purpose: String,
    duration: String,
    charta: String,
    recorded: String,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    entries: Vec<Row>,
}

fn party_name(state: &AppState, did: &str) -> String {
    state
        .participant(did)
        .map(|p| p.legal_name)
        .unwrap_or_else(|_| did.to_owned())
}

fn html(state: &AppState, list: &[(RegisterEntry, RegisterSubmission)]) -> Response {
    let entries = list
        .iter()
        .map(|(e, s)| {
            let sum = &s.summary;
            Row {
                provider: party_name(state, &sum.provider),
                consumer: party_name(state, &sum.consumer),
                dataset: sum.dataset_title.clone(),
                purpose: sum
                    .purposes
                    .iter()
                    .map(|p| labels::purpose(p))
                    .collect::<Vec<_>>()
                    .join(", "),
                duration: format!(
                    "{} – {}",
                    sum.start.format("%d.%m.%Y"),
                    sum.end.format("%d.%m.%Y")
                ),
                charta: sum.charta_version.clone(),
                recorded: e.recorded_at.format("%d.%m.%Y").to_string(),
            }
        })
        .collect();
    match (RegisterPage { entries }).render() {
        Ok(body) => axum::response::Html(body).into_response(),
        Err(e) => error_page(&BrokerError::Index(format!("template: {e}"))),
    }
}

/// `GET /register`
pub(crate) async fn handle_register(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let format = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.into_owned());
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let list = match entries(&state) {
        Ok(l) => l,
        Err(e) if wants_html(&headers) => return error_page(&e),
        Err(e) => return ApiError(e).into_response(),
    };
    let wants = |m: &str| format.as_deref() == Some(m);
    if wants("turtle") || (format.is_none() && accept.contains("text/turtle")) {
        return match turtle(&list) {
            Ok(t) => ([(header::CONTENT_TYPE, "text/turtle")], t).into_response(),
            Err(e) => ApiError(e).into_response(),
        };
    }
    if wants("json") || (format.is_none() && !wants_html(&headers)) {
        return Json(json_view(list)).into_response();
    }
    html(&state, &list)
}

/// `GET /api/v1/register`
pub(crate) async fn handle_register_json(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(Json(json_view(entries(&state)?)).into_response())
}
