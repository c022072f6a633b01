//! The catalogue web pages: server-rendered HTML (askama), German, no JavaScript.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::error::{ApiResult, status_and_code};
use super::search::{MAX_DEPTH, parse_params};
use contracts::template::{ParamType, ParamValue};

use crate::error::BrokerError;
use crate::index::DatasetSummary;
use crate::labels;
use crate::store::ParticipantStatus;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    heading: String,
    message: String,
}

/// An error as an HTML page (internal details are not shown).
pub(crate) fn error_page(e: &BrokerError) -> Response {
    let (status, _) = status_and_code(e);
    let (heading, message) = if status.is_server_error() {
        tracing::error!(error = %e, "page failed");
        (
            "Fehler".to_owned(),
            "Die Seite kann gerade nicht angezeigt werden.".to_owned(),
        )
    } else if status == StatusCode::NOT_FOUND {
        ("Nicht gefunden".to_owned(), e.to_string())
    } else {
        ("Ungültige Anfrage".to_owned(), e.to_string())
    };
    let body = ErrorPage { heading, message }
        .render()
        .unwrap_or_else(|_| "Fehler".to_owned());
    (status, Html(body)).into_response()
}

fn render(page: impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_page(&BrokerError::Index(format!("template: {e}"))),
    }
}

fn page_or_error(result: Result<Response, BrokerError>) -> Response {
    result.unwrap_or_else(|e| error_page(&e))
}

struct FacetLink {
    label: String,
    count: u64,
    url: String,
    selected: bool,
}

struct FacetGroup {
    title: &'static str,
    items: Vec<FacetLink>,
}

struct ActiveFilter {
    label: String,
    url: String,
}

struct ResultCard {
    url: String,
    title: String,
    description: String,
    publisher: String,
    participant_type: String,
    access: String,
    themes: Vec<String>,
    regions: Vec<String>,
    template: Option<String>,
    key_terms: Vec<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchTemplate {
    q: String,
    hidden: Vec<(String, String)>,
    active: Vec<ActiveFilter>,
    facets: Vec<FacetGroup>,
    total: usize,
    results: Vec<ResultCard>,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{}…", cut.trim_end())
}

fn url_of(pairs: &[(String, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    let query = s.finish();
    if query.is_empty() {
        "/".into()
    } else {
        format!("/?{query}")
    }
}

fn card(d: &DatasetSummary) -> ResultCard {
    ResultCard {
        url: format!("/datasets/{}", d.id),
        title: d.title.clone(),
        description: shorten(&d.description, 300),
        publisher: d.publisher.clone(),
        participant_type: d.participant_type.label_de().to_owned(),
        access: d
            .access_rights
            .as_deref()
            .map(labels::access_rights)
            .unwrap_or_default(),
        themes: d.themes.iter().map(|t| labels::theme(t)).collect(),
        regions: d.regions.iter().map(|r| labels::region(r)).collect(),
        template: d.template.as_ref().map(|t| {
            let name = t.title.clone().unwrap_or_else(|| t.iri.clone());
            match &t.version {
                Some(v) => format!("{name} (Version {v})"),
                None => name,
            }
        }),
        key_terms: d.key_terms.clone(),
    }
}

/// The catalogue page (`/`, and `/api/v1/search` for browsers).
pub(crate) async fn search_page(state: AppState, raw: Option<String>) -> ApiResult<Response> {
    let params = match parse_params(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return Ok(error_page(&e)),
    };
    let found = match state.catalog().search(&params.query) {
        Ok(f) => f,
        Err(e) => return Ok(error_page(&e)),
    };
    let q = &params.query;
    // The filters as query pairs, in a stable order.
    let mut filters: Vec<(String, String)> = Vec::new();
    for (key, values) in [
        ("theme", &q.themes),
        ("region", &q.regions),
        ("publisher", &q.publishers),
        ("participantType", &q.participant_types),
        ("license", &q.licenses),
        ("purpose", &q.purposes),
    ] {
        filters.extend(values.iter().map(|v| (key.to_owned(), v.clone())));
    }
    let with_text = |pairs: Vec<(String, String)>| {
        let mut all = Vec::new();
        if !q.text.is_empty() {
            all.push(("q".to_owned(), q.text.clone()));
        }
        all.extend(pairs);
        all
    };
    let toggle = |key: &str, value: &str| {
        let pair = (key.to_owned(), value.to_owned());
        let mut next: Vec<_> = filters.iter().filter(|p| **p != pair).cloned().collect();
        let selected = next.len() != filters.len();
        if !selected {
            next.push(pair);
        }
        (url_of(&with_text(next)), selected)
    };
    let f = &found.facets;
    let group = |title: &'static str,
                 key: &str,
                 values: &[(String, u64)],
                 label: &dyn Fn(&str) -> String| FacetGroup {
        title,
        items: values
            .iter()
            .take(30)
            .map(|(v, n)| {
                let (url, selected) = toggle(key, v);
                FacetLink {
                    label: label(v),
                    count: *n,
                    url,
                    selected,
                }
            })
            .collect(),
    };
    let facets = vec![
        group("Thema", "theme", &f.theme, &labels::theme),
        group("Region", "region", &f.region, &labels::region),
        group("Zweck (Charta)", "purpose", &f.purpose, &labels::purpose),
        group(
            "Art des Datengebers",
            "participantType",
            &f.participant_type,
            &labels::participant_type,
        ),
        group("Herausgeber", "publisher", &f.publisher, &|s: &str| {
            s.to_owned()
        }),
        group("Lizenz", "license", &f.license, &labels::license),
    ];
    let active = filters
        .iter()
        .map(|(k, v)| {
            let label = match k.as_str() {
                "theme" => labels::theme(v),
                "region" => labels::region(v),
                "participantType" => labels::participant_type(v),
                "license" => labels::license(v),
                "purpose" => labels::purpose(v),
                _ => v.clone(),
            };
            ActiveFilter {
                label,
                url: toggle(k, v).0,
            }
        })
        .collect();
    let reachable = found.total.min(MAX_DEPTH);
    let pages = reachable.div_ceil(params.per_page).max(1);
    let page_url = |page: usize| {
        let mut pairs = with_text(filters.clone());
        pairs.push(("page".into(), page.to_string()));
        url_of(&pairs)
    };
    let page = SearchTemplate {
        q: q.text.clone(),
        hidden: filters.clone(),
        active,
        facets,
        total: found.total,
        results: found.results.iter().map(|d| card(d)).collect(),
        page: params.page,
        pages,
        prev: (params.page > 1).then(|| page_url(params.page - 1)),
        next: (params.page < pages).then(|| page_url(params.page + 1)),
    };
    Ok(render(page))
}

/// `GET /`
pub(crate) async fn handle_home(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Response {
    match search_page(state, raw).await {
        Ok(r) => r,
        Err(e) => error_page(&e.0),
    }
}

#[derive(Template)]
#[template(path = "dataset.html")]
struct DatasetTemplate {
    d: std::sync::Arc<DatasetSummary>,
    participant_url: String,
    participant_name: String,
    participant_type: String,
    themes: Vec<String>,
    regions: Vec<String>,
    licenses: Vec<String>,
    access: String,
    modified: Option<String>,
    template: Option<String>,
    charta_version: String,
    principles: Vec<(String, String, String)>,
    endpoint: String,
    did: String,
    purpose: String,
}

/// `GET /datasets/{id}`
pub(crate) async fn handle_dataset(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    page_or_error((|| {
        let d = state.catalog().dataset(&id)?.ok_or_else(|| {
            BrokerError::NotFound(format!("Kein Datensatz mit der Kennung {id}."))
        })?;
        let p = state.participant(&d.participant)?;
        let charta = state.authority().charta();
        // GW-3's wording names the duration: the offer's, in the dative as contracts write it.
        let duration = d
            .max_duration
            .as_deref()
            .and_then(|t| ParamValue::parse(ParamType::Duration, t).ok())
            .map(|v| v.prose(charta.purposes()))
            .unwrap_or_else(|| "der vereinbarten Nutzungsdauer".to_owned());
        let principles = charta
            .applicable(d.personal_adjacent)
            .map(|p| {
                (
                    p.id.clone(),
                    p.title.clone(),
                    p.wording.replace("{{dauer}}", &duration),
                )
            })
            .collect();
        let purpose = d
            .purposes
            .first()
            .map(|p| format!(" --purpose {p}"))
            .unwrap_or_default();
        let card = card(&d);
        Ok(render(DatasetTemplate {
            participant_url: format!("/participants/{}", super::path_segment(&p.did)),
            participant_name: p.legal_name.clone(),
            participant_type: p.participant_type.label_de().to_owned(),
            themes: card.themes,
            regions: card.regions,
            licenses: d.licenses.iter().map(|l| labels::license(l)).collect(),
            access: if card.access.is_empty() {
                "nach Vertrag".into()
            } else {
                card.access
            },
            modified: d.modified.map(|m| m.format("%d.%m.%Y").to_string()),
            template: card.template,
            charta_version: charta.version().to_owned(),
            principles,
            endpoint: p.connector_endpoint.clone(),
            did: p.did.clone(),
            purpose,
            d,
        }))
    })())
}

#[derive(Template)]
#[template(path = "participant.html")]
struct ParticipantTemplate {
    p: crate::store::Participant,
    participant_type: String,
    since: String,
    datasets: Vec<(String, String)>,
}

/// `GET /participants/{did}`
pub(crate) async fn handle_participant(
    State(state): State<AppState>,
    Path(did): Path<String>,
) -> Response {
    page_or_error((|| {
        let p = state.participant(&did)?;
        if p.status != ParticipantStatus::Active {
            return Err(BrokerError::NotFound(format!(
                "{did} ist kein aktives Mitglied."
            )));
        }
        let datasets = state
            .catalog()
            .datasets_of(&did)?
            .iter()
            .map(|d| (format!("/datasets/{}", d.id), d.title.clone()))
            .collect();
        Ok(render(ParticipantTemplate {
            participant_type: p.participant_type.label_de().to_owned(),
            since: p
                .decided_at
                .map(|d| d.format("%d.%m.%Y").to_string())
                .unwrap_or_default(),
            p,
            datasets,
        }))
    })())
}

#[derive(Template)]
#[template(path = "charta.html")]
struct ChartaTemplate {
    title: String,
    version: String,
    sha256: String,
    principles: Vec<(String, String, String, String)>,
    purposes: Vec<(String, String)>,
}

/// `GET /charta`
pub(crate) async fn handle_charta(State(state): State<AppState>) -> Response {
    let c = state.authority().charta();
    render(ChartaTemplate {
        title: c.title().to_owned(),
        version: c.version().to_owned(),
        sha256: c.sha256().to_owned(),
        principles: c
            .principles()
            .iter()
            .map(|p| {
                (
                    p.id.clone(),
                    p.title.clone(),
                    p.level.as_str().to_owned(),
                    p.wording.clone(),
                )
            })
            .collect(),
        purposes: c
            .purposes()
            .all()
            .iter()
            .filter(|p| p.allowed)
            .map(|p| (p.label_de.clone(), p.iri.clone()))
            .collect(),
    })
}
