//! The read-only SPARQL 1.1 query endpoint over the visible participants' graphs.
//!
//! Every query is parsed and inspected first (updates and `SERVICE` are refused), then runs on
//! a blocking thread while holding one of `max_concurrent` slots. A watcher cancels it at the
//! time limit or when the broker's resident memory grew by more than the memory limit (huge
//! joins and sorts materialise billions of rows long before any time limit); the answer is built
//! in memory and refused once it grows past the result limit. The async side answers at once
//! when it cancels, and the slot stays taken until the thread really ends, so a runaway query
//! can block at most its own slot — never search, publication or the pages.

mod inspect;
mod memory;

use std::sync::Arc;
use std::time::Duration;

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};
use oxigraph::store::Store as OxStore;
use tokio::sync::Semaphore;

use crate::config::SparqlConfig;
use crate::error::BrokerError;

/// How long a query waits for a free slot before `503 busy`.
const SLOT_WAIT: Duration = Duration::from_secs(2);

/// A query as the SPARQL protocol delivers it.
#[derive(Debug, Clone, Default)]
pub struct SparqlRequest {
    /// The query text.
    pub query: String,
    /// `default-graph-uri` parameters.
    pub default_graphs: Vec<String>,
    /// `named-graph-uri` parameters.
    pub named_graphs: Vec<String>,
    /// The `Accept` header.
    pub accept: Option<String>,
}

/// A serialized answer.
#[derive(Debug, Clone)]
pub struct SparqlResponse {
    /// Media type of `body`.
    pub content_type: &'static str,
    /// The results.
    pub body: Vec<u8>,
}

/// The endpoint: the store and its limits.
#[derive(Clone)]
pub struct SparqlEndpoint {
    store: OxStore,
    time_limit: Duration,
    result_limit: usize,
    memory_limit_bytes: u64,
    slots: Arc<Semaphore>,
}

/// How often a running query's time and memory are checked.
const WATCH_INTERVAL: Duration = Duration::from_millis(10);

impl std::fmt::Debug for SparqlEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparqlEndpoint")
            .field("time_limit", &self.time_limit)
            .field("result_limit", &self.result_limit)
            .finish_non_exhaustive()
    }
}

const RESULT_FORMATS: [(&str, QueryResultsFormat); 6] = [
    ("application/sparql-results+json", QueryResultsFormat::Json),
    ("application/json", QueryResultsFormat::Json),
    ("application/sparql-results+xml", QueryResultsFormat::Xml),
    ("application/xml", QueryResultsFormat::Xml),
    ("text/csv", QueryResultsFormat::Csv),
    ("text/tab-separated-values", QueryResultsFormat::Tsv),
];

const GRAPH_FORMATS: [(&str, RdfFormat); 4] = [
    ("text/turtle", RdfFormat::Turtle),
    ("application/n-triples", RdfFormat::NTriples),
    ("application/rdf+xml", RdfFormat::RdfXml),
    (
        "application/ld+json",
        RdfFormat::JsonLd {
            profile: oxigraph::io::JsonLdProfileSet::empty(),
        },
    ),
];

/// Picks the first acceptable media type of `table` in the client's order (`*/*` or no header:
/// the first of the table).
fn negotiate<T: Copy>(accept: Option<&str>, table: &[(&'static str, T)]) -> (&'static str, T) {
    let default = table[0];
    let Some(accept) = accept else {
        return default;
    };
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            let p = p.trim();
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        if refused {
            continue;
        }
        if media == "*/*" {
            return default;
        }
        if let Some(found) = table.iter().find(|(m, _)| *m == media) {
            return *found;
        }
    }
    default
}

fn iri(field: &str, value: &str) -> Result<NamedNode, BrokerError> {
    NamedNode::new(value).map_err(|e| BrokerError::InvalidRequest {
        field: field.to_owned(),
        reason: format!("{value:?} is not an IRI: {e}"),
    })
}

impl SparqlEndpoint {
    /// An endpoint over `store` with the configured limits.
    pub fn new(store: OxStore, limits: &SparqlConfig) -> Self {
        Self {
            store,
            time_limit: Duration::from_millis(limits.time_limit_ms),
            result_limit: limits.result_limit,
            memory_limit_bytes: limits.memory_limit_mb.saturating_mul(1024 * 1024),
            slots: Arc::new(Semaphore::new(limits.max_concurrent)),
        }
    }

    /// Runs a query under the limits.
    pub async fn run(&self, request: SparqlRequest) -> Result<SparqlResponse, BrokerError> {
        let query = inspect::parse_read_only(&request.query)?;
        let default_graphs = request
            .default_graphs
            .iter()
            .map(|g| iri("default-graph-uri", g).map(GraphName::from))
            .collect::<Result<Vec<_>, _>>()?;
        let named_graphs = request
            .named_graphs
            .iter()
            .map(|g| iri("named-graph-uri", g).map(NamedOrBlankNode::from))
            .collect::<Result<Vec<_>, _>>()?;
        let permit = tokio::time::timeout(SLOT_WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| BrokerError::Busy)?
            .map_err(|_| BrokerError::Busy)?;
        let token = CancellationToken::new();
        let store = self.store.clone();
        let limit = self.result_limit;
        let accept = request.accept.clone();
        let thread_token = token.clone();
        let has_dataset = match &query {
            spargebra::Query::Select { dataset, .. }
            | spargebra::Query::Construct { dataset, .. }
            | spargebra::Query::Describe { dataset, .. }
            | spargebra::Query::Ask { dataset, .. } => dataset.is_some(),
        };
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut prepared = SparqlEvaluator::new()
                .with_cancellation_token(thread_token)
                .for_query(query);
            let dataset = prepared.dataset_mut();
            if !default_graphs.is_empty() {
                dataset.set_default_graph(default_graphs);
            } else if !has_dataset {
                // The default graph is the union of the participants' graphs.
                dataset.set_default_graph_as_union();
            }
            if !named_graphs.is_empty() {
                dataset.set_available_named_graphs(named_graphs);
            }
            let results = prepared
                .on_store(&store)
                .execute()
                .map_err(evaluation_error)?;
            serialize(results, accept.as_deref(), limit)
        });
        // Watch the query: cancel it at the time limit, or when the broker's resident memory
        // grew by more than the memory limit since it started (huge joins, ORDER BY over
        // billions of rows). The answer goes out at once; the thread stops at its next check.
        let started = tokio::time::Instant::now();
        let baseline = memory::resident_bytes();
        let mut task = task;
        let mut ticker = tokio::time::interval(WATCH_INTERVAL);
        loop {
            tokio::select! {
                joined = &mut task => {
                    return match joined {
                        Ok(result) => result.map_err(|e| match e {
                            BrokerError::QueryTimeout(_) => self.timeout_error(),
                            other => other,
                        }),
                        Err(join) => Err(BrokerError::Index(format!("query thread failed: {join}"))),
                    };
                }
                _ = ticker.tick() => {
                    if started.elapsed() >= self.time_limit {
                        token.cancel();
                        return Err(self.timeout_error());
                    }
                    if let (Some(base), Some(now)) = (baseline, memory::resident_bytes())
                        && now.saturating_sub(base) > self.memory_limit_bytes {
                            token.cancel();
                            return Err(BrokerError::QueryMemory(self.memory_limit_bytes / (1024 * 1024)));
                        }
                }
            }
        }
    }

    fn timeout_error(&self) -> BrokerError {
        BrokerError::QueryTimeout(u64::try_from(self.time_limit.as_millis()).unwrap_or(u64::MAX))
    }
}

fn evaluation_error(e: QueryEvaluationError) -> BrokerError {
    match e {
        QueryEvaluationError::Cancelled => BrokerError::QueryTimeout(0),
        QueryEvaluationError::Service(_) | QueryEvaluationError::UnsupportedService(_) => {
            BrokerError::ServiceRefused
        }
        other => BrokerError::QuerySyntax(other.to_string()),
    }
}

fn io_error(e: std::io::Error) -> BrokerError {
    BrokerError::Index(format!("serializing results: {e}"))
}

fn serialize(
    results: QueryResults<'_>,
    accept: Option<&str>,
    limit: usize,
) -> Result<SparqlResponse, BrokerError> {
    match results {
        QueryResults::Boolean(value) => {
            let (content_type, format) = negotiate(accept, &RESULT_FORMATS);
            let body = QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(Vec::new(), value)
                .map_err(io_error)?;
            Ok(SparqlResponse { content_type, body })
        }
        QueryResults::Solutions(solutions) => {
            let (content_type, format) = negotiate(accept, &RESULT_FORMATS);
            let mut writer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())
                .map_err(io_error)?;
            for (count, solution) in solutions.enumerate() {
                if count >= limit {
                    return Err(BrokerError::ResultLimit(limit));
                }
                let solution = solution.map_err(evaluation_error)?;
                writer.serialize(&solution).map_err(io_error)?;
            }
            Ok(SparqlResponse {
                content_type,
                body: writer.finish().map_err(io_error)?,
            })
        }
        QueryResults::Graph(triples) => {
            let (content_type, format) = negotiate(accept, &GRAPH_FORMATS);
            let mut writer = RdfSerializer::from_format(format).for_writer(Vec::new());
            for (count, triple) in triples.enumerate() {
                if count >= limit {
                    return Err(BrokerError::ResultLimit(limit));
                }
                let triple = triple.map_err(evaluation_error)?;
                writer.serialize_triple(&triple).map_err(io_error)?;
            }
            Ok(SparqlResponse {
                content_type,
                body: writer.finish().map_err(io_error)?,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_the_client_order() {
        assert_eq!(
            negotiate(None, &RESULT_FORMATS).0,
            "application/sparql-results+json"
        );
        assert_eq!(
            negotiate(
                Some("text/csv, application/sparql-results+json"),
                &RESULT_FORMATS
            )
            .0,
            "text/csv"
        );
        assert_eq!(
            negotiate(
                Some("text/csv;q=0, application/sparql-results+xml"),
                &RESULT_FORMATS
            )
            .0,
            "application/sparql-results+xml"
        );
        assert_eq!(
            negotiate(Some("text/html"), &GRAPH_FORMATS).0,
            "text/turtle"
        );
    }
}
