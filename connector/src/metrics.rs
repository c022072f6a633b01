//! Prometheus metrics, served in the OpenMetrics text format at `/metrics` on the management
//! port.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::client::{ClientError, DspResponse};

type Labels = Vec<(String, String)>;

struct Metrics {
    registry: Registry,
    dsp_requests: Family<Labels, Counter>,
    dsp_duration: Family<Labels, Histogram>,
    deliveries: Family<Labels, Counter>,
    delivery_duration: Histogram,
    transitions: Family<Labels, Counter>,
    outbox_pending: Gauge,
    federation_member: Gauge,
    publication_failures: Gauge,
    publication_last_accepted: Gauge,
}

fn histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::with_prefix("connector");
        let dsp_requests = Family::<Labels, Counter>::default();
        registry.register(
            "dsp_requests",
            "DSP requests answered, by endpoint and status",
            dsp_requests.clone(),
        );
        let dsp_duration =
            Family::<Labels, Histogram>::new_with_constructor(histogram as fn() -> Histogram);
        registry.register(
            "dsp_request_duration_seconds",
            "Time to answer DSP requests, by endpoint",
            dsp_duration.clone(),
        );
        let deliveries = Family::<Labels, Counter>::default();
        registry.register(
            "outbox_deliveries",
            "Delivery attempts of outgoing DSP messages, by message type and outcome",
            deliveries.clone(),
        );
        let delivery_duration = histogram();
        registry.register(
            "outbox_delivery_duration_seconds",
            "Duration of delivery attempts",
            delivery_duration.clone(),
        );
        let transitions = Family::<Labels, Counter>::default();
        registry.register(
            "negotiation_transitions",
            "Contract negotiation state changes, by role and new state",
            transitions.clone(),
        );
        let outbox_pending = Gauge::default();
        registry.register(
            "outbox_pending_messages",
            "Outgoing DSP messages not yet delivered",
            outbox_pending.clone(),
        );
        let federation_member = Gauge::default();
        registry.register(
            "federation_member",
            "1 while this connector holds a valid membership credential, else 0",
            federation_member.clone(),
        );
        let publication_failures = Gauge::default();
        registry.register(
            "federation_publication_failures",
            "Failed publications of the self-description since the last accepted one",
            publication_failures.clone(),
        );
        let publication_last_accepted = Gauge::default();
        registry.register(
            "federation_publication_last_accepted_seconds",
            "When the broker last accepted the self-description (Unix seconds; 0: never)",
            publication_last_accepted.clone(),
        );
        Metrics {
            federation_member,
            publication_failures,
            publication_last_accepted,
            registry,
            dsp_requests,
            dsp_duration,
            deliveries,
            delivery_duration,
            transitions,
            outbox_pending,
        }
    })
}

/// Counts an answered DSP request.
pub fn record_dsp_request(endpoint: &str, status: u16, elapsed: Duration) {
    let m = metrics();
    m.dsp_requests
        .get_or_create(&vec![
            ("endpoint".into(), endpoint.into()),
            ("status".into(), status.to_string()),
        ])
        .inc();
    m.dsp_duration
        .get_or_create(&vec![("endpoint".into(), endpoint.into())])
        .observe(elapsed.as_secs_f64());
}

/// Counts a delivery attempt.
pub fn record_delivery(
    message_type: &str,
    result: &Result<DspResponse, ClientError>,
    elapsed: Duration,
) {
    let outcome = match result {
        Ok(r) if r.is_success() => "delivered".to_owned(),
        Ok(r) => format!("http_{}", r.status),
        Err(_) => "network_error".to_owned(),
    };
    let m = metrics();
    m.deliveries
        .get_or_create(&vec![
            ("message_type".into(), message_type.into()),
            ("outcome".into(), outcome),
        ])
        .inc();
    m.delivery_duration.observe(elapsed.as_secs_f64());
}

/// Counts a negotiation state change.
pub fn record_transition(role: &str, state: &str) {
    metrics()
        .transitions
        .get_or_create(&vec![
            ("role".into(), role.into()),
            ("state".into(), state.into()),
        ])
        .inc();
}

/// Records where membership and publication stand (the federation task, every check).
pub fn record_federation(member: bool, publication_failures: u32, last_accepted_ms: Option<i64>) {
    let m = metrics();
    m.federation_member.set(i64::from(member));
    m.publication_failures.set(i64::from(publication_failures));
    m.publication_last_accepted
        .set(last_accepted_ms.map(|t| t / 1000).unwrap_or(0));
}

/// The current metrics in the OpenMetrics text format; `pending` is the outbox size.
pub fn render(pending: usize) -> String {
    let m = metrics();
    m.outbox_pending.set(pending as i64);
    let mut out = String::new();
    if encode(&mut out, &m.registry).is_err() {
        out.clear();
    }
    out
}
