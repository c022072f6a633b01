//! `GET|POST /sparql`: the SPARQL 1.1 Protocol query operation (updates refused).

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::body::{QUERY_LIMIT, content_type, read_limited, utf8};
use super::error::ApiResult;
use crate::error::{BrokerError, invalid};
use crate::sparql::SparqlRequest;

/// Reads the protocol parameters; `query` is required unless the body carries it.
fn from_pairs(
    pairs: &[u8],
    accept: Option<String>,
    query_in_body: bool,
) -> Result<SparqlRequest, BrokerError> {
    let mut request = SparqlRequest {
        accept,
        ..SparqlRequest::default()
    };
    let mut query = None;
    for (key, value) in url::form_urlencoded::parse(pairs) {
        match key.as_ref() {
            "query" => {
                if query.is_some() {
                    return Err(invalid("query", "given more than once"));
                }
                query = Some(value.into_owned());
            }
            "update" | "using-graph-uri" | "using-named-graph-uri" => {
                return Err(BrokerError::UpdateRefused);
            }
            "default-graph-uri" => request.default_graphs.push(value.into_owned()),
            "named-graph-uri" => request.named_graphs.push(value.into_owned()),
            _ => {}
        }
    }
    match (query, query_in_body) {
        (Some(_), true) => Err(invalid(
            "query",
            "is given both as parameter and as application/sparql-query body",
        )),
        (Some(q), false) => {
            request.query = q;
            Ok(request)
        }
        (None, true) => Ok(request),
        (None, false) => Err(invalid("query", "is missing")),
    }
}

fn accept(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn answer(state: AppState, request: SparqlRequest) -> ApiResult<Response> {
    if request.query.len() > QUERY_LIMIT {
        return Err(BrokerError::PayloadTooLarge { limit: QUERY_LIMIT }.into());
    }
    let response = state.sparql().run(request).await?;
    Ok((
        [(header::CONTENT_TYPE, response.content_type)],
        response.body,
    )
        .into_response())
}

/// `GET /sparql?query=…`
pub(crate) async fn handle_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let request = from_pairs(raw.unwrap_or_default().as_bytes(), accept(&headers), false)?;
    answer(state, request).await
}

/// `POST /sparql` with `application/sparql-query` or a form.
pub(crate) async fn handle_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_limited(body, QUERY_LIMIT).await?;
    let request = match content_type(&headers).as_str() {
        "application/sparql-query" => {
            let mut r = from_pairs(raw.unwrap_or_default().as_bytes(), accept(&headers), true)?;
            r.query = utf8(&bytes, "body")?;
            r
        }
        "application/sparql-update" => return Err(BrokerError::UpdateRefused.into()),
        "application/x-www-form-urlencoded" => from_pairs(&bytes, accept(&headers), false)?,
        other => {
            return Err(invalid(
                "Content-Type",
                format!(
                    "{other:?} is not accepted; send application/sparql-query or application/x-www-form-urlencoded"
                ),
            )
            .into());
        }
    };
    answer(state, request).await
}
