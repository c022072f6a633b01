//! `GET /api/v1/search` (JSON; the catalogue page when a browser asks) and the query
//! parameters shared with the web page.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::body::wants_html;
use super::error::ApiResult;
use crate::error::{BrokerError, invalid};
use crate::index::{DatasetSummary, SearchPage, SearchQuery};
use crate::labels;

/// Default page size.
pub(crate) const DEFAULT_PER_PAGE: usize = 20;
/// Largest page size.
pub(crate) const MAX_PER_PAGE: usize = 100;
/// Deepest result reachable by paging (keeps every query cheap).
pub(crate) const MAX_DEPTH: usize = 10_000;
/// Longest keyword text.
const MAX_TEXT: usize = 500;

/// The parsed search parameters with the page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchParams {
    /// The index query.
    pub query: SearchQuery,
    /// 1-based page.
    pub page: usize,
    /// Page size.
    pub per_page: usize,
}

fn number(field: &str, value: &str, min: usize, max: usize) -> Result<usize, BrokerError> {
    let n: usize = value
        .trim()
        .parse()
        .map_err(|_| invalid(field, format!("{value:?} is not a number")))?;
    if n < min || n > max {
        return Err(invalid(field, format!("must be between {min} and {max}")));
    }
    Ok(n)
}

/// Parses `q`, the repeatable facets, `page` and `perPage` from a query string.
pub fn parse_params(raw: Option<&str>) -> Result<SearchParams, BrokerError> {
    let mut p = SearchParams {
        page: 1,
        per_page: DEFAULT_PER_PAGE,
        ..SearchParams::default()
    };
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let value = value.trim().to_owned();
        if value.is_empty() {
            continue;
        }
        let q = &mut p.query;
        match key.as_ref() {
            "q" => {
                if value.chars().count() > MAX_TEXT {
                    return Err(invalid(
                        "q",
                        format!("is longer than {MAX_TEXT} characters"),
                    ));
                }
                q.text = value;
            }
            "theme" => q.themes.push(value),
            "region" => {
                vocab::ags::Region::parse(&value).map_err(|e| invalid("region", e.to_string()))?;
                q.regions.push(value);
            }
            "publisher" => q.publishers.push(value),
            "participantType" => {
                if crate::store::parse_participant_type(&value).is_none() {
                    return Err(invalid(
                        "participantType",
                        "must be municipality, public_body, company or research",
                    ));
                }
                q.participant_types.push(value);
            }
            "license" => q.licenses.push(value),
            "purpose" => q.purposes.push(value),
            "page" => p.page = number("page", &value, 1, MAX_DEPTH)?,
            "perPage" => p.per_page = number("perPage", &value, 1, MAX_PER_PAGE)?,
            _ => {}
        }
    }
    if p.page * p.per_page > MAX_DEPTH {
        return Err(invalid(
            "page",
            format!("results deeper than {MAX_DEPTH} cannot be paged to; narrow the search"),
        ));
    }
    p.query.offset = (p.page - 1) * p.per_page;
    p.query.limit = p.per_page;
    Ok(p)
}

/// A template reference in a result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TemplateView {
    /// Template id or IRI.
    pub(crate) iri: String,
    /// Title.
    pub(crate) title: Option<String>,
    /// Version.
    pub(crate) version: Option<String>,
    /// Key terms in German.
    pub(crate) key_terms: Vec<String>,
}

/// One search result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResultItem {
    /// Short id (`/datasets/{id}`).
    pub(crate) id: String,
    /// The dataset IRI.
    pub(crate) iri: String,
    /// Title.
    pub(crate) title: String,
    /// Description.
    pub(crate) description: String,
    /// Publishing participant's DID.
    pub(crate) participant: String,
    /// Its type.
    pub(crate) participant_type: String,
    /// Publisher name.
    pub(crate) publisher: String,
    /// EU theme codes.
    pub(crate) themes: Vec<String>,
    /// Region keys.
    pub(crate) regions: Vec<String>,
    /// Licence IRIs.
    pub(crate) licenses: Vec<String>,
    /// Purpose IRIs the offer allows.
    pub(crate) purposes: Vec<String>,
    /// Access rights IRI.
    pub(crate) access_rights: Option<String>,
    /// Last modification (RFC 3339).
    pub(crate) modified: Option<String>,
    /// The offered template and its key terms.
    pub(crate) template: Option<TemplateView>,
    /// Key terms of the offer in German.
    pub(crate) key_terms: Vec<String>,
    /// The dataset page.
    pub(crate) page: String,
}

impl From<&DatasetSummary> for ResultItem {
    fn from(d: &DatasetSummary) -> Self {
        Self {
            id: d.id.clone(),
            iri: d.iri.clone(),
            title: d.title.clone(),
            description: d.description.clone(),
            participant: d.participant.clone(),
            participant_type: crate::store::participant_type_name(d.participant_type).to_owned(),
            publisher: d.publisher.clone(),
            themes: d.themes.clone(),
            regions: d.regions.clone(),
            licenses: d.licenses.clone(),
            purposes: d.purposes.clone(),
            access_rights: d.access_rights.clone(),
            modified: d.modified.map(|m| m.to_rfc3339()),
            template: d.template.as_ref().map(|t| TemplateView {
                iri: t.iri.clone(),
                title: t.title.clone(),
                version: t.version.clone(),
                key_terms: d.key_terms.clone(),
            }),
            key_terms: d.key_terms.clone(),
            page: format!("/datasets/{}", d.id),
        }
    }
}

/// A facet value with its label and count.
#[derive(Debug, Serialize)]
pub(crate) struct FacetValue {
    /// The value to filter by.
    pub(crate) value: String,
    /// German label.
    pub(crate) label: String,
    /// Matching datasets.
    pub(crate) count: u64,
}

/// Facets of a search.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FacetsView {
    /// EU themes.
    pub(crate) theme: Vec<FacetValue>,
    /// Regions.
    pub(crate) region: Vec<FacetValue>,
    /// Publishers.
    pub(crate) publisher: Vec<FacetValue>,
    /// Participant types.
    pub(crate) participant_type: Vec<FacetValue>,
    /// Licences.
    pub(crate) license: Vec<FacetValue>,
    /// Charta purposes.
    pub(crate) purpose: Vec<FacetValue>,
}

fn facet(values: &[(String, u64)], label: impl Fn(&str) -> String) -> Vec<FacetValue> {
    values
        .iter()
        .map(|(v, n)| FacetValue {
            value: v.clone(),
            label: label(v),
            count: *n,
        })
        .collect()
}

/// The JSON answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchAnswer {
    /// Matches in total.
    pub(crate) total: usize,
    /// 1-based page.
    pub(crate) page: usize,
    /// Page size.
    pub(crate) per_page: usize,
    /// This page's results.
    pub(crate) results: Vec<ResultItem>,
    /// Facet counts.
    pub(crate) facets: FacetsView,
}

impl SearchAnswer {
    /// Builds the answer from a search page.
    pub(crate) fn new(params: &SearchParams, found: &SearchPage) -> Self {
        let f = &found.facets;
        Self {
            total: found.total,
            page: params.page,
            per_page: params.per_page,
            results: found
                .results
                .iter()
                .map(|d| ResultItem::from(d.as_ref()))
                .collect(),
            facets: FacetsView {
                theme: facet(&f.theme, labels::theme),
                region: facet(&f.region, labels::region),
                publisher: facet(&f.publisher, str::to_owned),
                participant_type: facet(&f.participant_type, labels::participant_type),
                license: facet(&f.license, labels::license),
                purpose: facet(&f.purpose, labels::purpose),
            },
        }
    }
}

/// `GET /api/v1/search`
pub(crate) async fn handle_search(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    if wants_html(&headers) {
        return super::pages::search_page(state, raw).await;
    }
    let params = parse_params(raw.as_deref())?;
    let found = state.catalog().search(&params.query)?;
    Ok(Json(SearchAnswer::new(&params, &found)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_and_bad_ones_are_named() {
        let p = parse_params(Some(
            "q=W%C3%A4rme&theme=ENER&theme=ENVI&region=09162&page=2&perPage=10",
        ))
        .expect("parses");
        assert_eq!(p.query.text, "Wärme");
        assert_eq!(p.query.themes, vec!["ENER", "ENVI"]);
        assert_eq!(p.query.regions, vec!["09162"]);
        assert_eq!((p.query.offset, p.query.limit), (10, 10));
        for (bad, field) in [
            ("region=123", "region"),
            ("region=99999999", "region"),
            ("page=0", "page"),
            ("perPage=1000", "perPage"),
            ("participantType=alien", "participantType"),
            ("page=9999&perPage=100", "page"),
        ] {
            match parse_params(Some(bad)) {
                Err(BrokerError::InvalidRequest { field: f, .. }) => assert_eq!(f, field, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
