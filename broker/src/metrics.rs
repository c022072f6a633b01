//! Prometheus metrics: counters of publications, searches and SPARQL queries by outcome,
//! gauges of datasets and participants taken at scrape time.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::error::BrokerError;
use crate::service::Broker;
use crate::store::ParticipantStatus;

/// An outcome label (`ok` or an error code).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    /// `ok` or the error code.
    pub outcome: String,
}

/// A participant status label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Status {
    status: String,
}

/// The broker's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Self-description publications and deletions by outcome.
    pub publications: Family<Outcome, Counter>,
    /// SPARQL queries by outcome.
    pub sparql: Family<Outcome, Counter>,
    /// Searches (API and page).
    pub searches: Counter,
    datasets: Gauge,
    participants: Family<Status, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("broker");
        let publications = Family::<Outcome, Counter>::default();
        let sparql = Family::<Outcome, Counter>::default();
        let searches = Counter::default();
        let datasets = Gauge::default();
        let participants = Family::<Status, Gauge>::default();
        registry.register(
            "publications",
            "Self-description publications and deletions, by outcome",
            publications.clone(),
        );
        registry.register(
            "sparql_queries",
            "SPARQL queries, by outcome",
            sparql.clone(),
        );
        registry.register("searches", "Catalogue searches", searches.clone());
        registry.register("datasets", "Visible datasets", datasets.clone());
        registry.register(
            "participants",
            "Participants, by status",
            participants.clone(),
        );
        Self {
            registry,
            publications,
            sparql,
            searches,
            datasets,
            participants,
        }
    }
}

impl Metrics {
    /// Counts an outcome in a family.
    pub fn count<T>(family: &Family<Outcome, Counter>, result: &Result<T, BrokerError>) {
        let outcome = match result {
            Ok(_) => "ok".to_owned(),
            Err(e) => crate::http::status_and_code(e).1.to_owned(),
        };
        family.get_or_create(&Outcome { outcome }).inc();
    }
}

/// The metrics as OpenMetrics text, with the gauges taken now.
pub fn render(broker: &Broker) -> Result<String, BrokerError> {
    let m = broker.metrics();
    m.datasets
        .set(i64::try_from(broker.catalog().dataset_count()?).unwrap_or(i64::MAX));
    let all = broker.participants(None)?;
    for status in [
        ParticipantStatus::Pending,
        ParticipantStatus::Active,
        ParticipantStatus::Rejected,
        ParticipantStatus::Revoked,
    ] {
        let n = all.iter().filter(|p| p.status == status).count();
        m.participants
            .get_or_create(&Status {
                status: status.as_str().to_owned(),
            })
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    let mut out = String::new();
    encode(&mut out, &m.registry).map_err(|e| BrokerError::Index(format!("metrics: {e}")))?;
    Ok(out)
}
