//! `GET /harvest/catalog`: the DCAT-AP.de catalogue as Turtle, RDF/XML or JSON-LD, paged.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use vocab::rdf::Syntax;

use super::AppState;
use super::error::ApiResult;
use crate::error::{BrokerError, invalid};
use crate::service::{DEFAULT_PAGE_SIZE, HarvestRequest, MAX_PAGE_SIZE};

fn syntax_of(format: Option<&str>, headers: &HeaderMap) -> Result<Syntax, BrokerError> {
    if let Some(f) = format {
        return match f {
            "turtle" | "ttl" => Ok(Syntax::Turtle),
            "rdfxml" | "xml" | "rdf" => Ok(Syntax::RdfXml),
            "jsonld" | "json-ld" => Ok(Syntax::JsonLd),
            other => Err(invalid(
                "format",
                format!("{other:?}: use turtle, rdfxml or jsonld"),
            )),
        };
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    for item in accept.split(',') {
        let media = item.split(';').next().unwrap_or_default().trim();
        match media {
            "text/turtle" => return Ok(Syntax::Turtle),
            "application/rdf+xml" => return Ok(Syntax::RdfXml),
            "application/ld+json" => return Ok(Syntax::JsonLd),
            _ => {}
        }
    }
    Ok(Syntax::Turtle)
}

fn parse_since(value: &str) -> Result<DateTime<Utc>, BrokerError> {
    DateTime::parse_from_rfc3339(value)
        .map(|d| d.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        })
        .map_err(|_| {
            invalid(
                "modified_since",
                format!("{value:?}: use RFC 3339 (2025-03-01T00:00:00Z) or a date (2025-03-01)"),
            )
        })
}

fn number(field: &str, value: &str, max: usize) -> Result<usize, BrokerError> {
    match value.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(invalid(
            field,
            format!("{value:?}: a number from 1 to {max}"),
        )),
    }
}

/// `GET /harvest/catalog`
pub(crate) async fn handle_catalog(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let mut request = HarvestRequest {
        page: 1,
        page_size: DEFAULT_PAGE_SIZE,
        modified_since: None,
    };
    let mut format = None;
    let mut since_text = None;
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "page" => request.page = number("page", &v, 1_000_000)?,
            "pageSize" => request.page_size = number("pageSize", &v, MAX_PAGE_SIZE)?,
            "modified_since" => {
                request.modified_since = Some(parse_since(&v)?);
                since_text = Some(v.into_owned());
            }
            "format" => format = Some(v.into_owned()),
            _ => {}
        }
    }
    let syntax = syntax_of(format.as_deref(), &headers)?;
    let base = format!("{}/harvest/catalog", state.config().public_url);
    let size = request.page_size;
    let page_url = move |n: usize| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        s.append_pair("page", &n.to_string());
        s.append_pair("pageSize", &size.to_string());
        if let Some(since) = &since_text {
            s.append_pair("modified_since", since);
        }
        format!("{base}?{}", s.finish())
    };
    let body = state
        .blocking(move |b| {
            let page = b.harvest(&request, page_url)?;
            vocab::rdf::serialize_as(&page.graph, syntax)
                .map_err(|e| BrokerError::Index(format!("harvest serialization: {e}")))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, syntax.media_type())], body).into_response())
}
