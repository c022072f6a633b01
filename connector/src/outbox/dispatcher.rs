//! The background task that delivers outbox messages.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::task::JoinSet;

use super::{OutboxEntry, ProcessKind};
use crate::client::{ClientError, DspClient, DspResponse};
use crate::config::OutboxConfig;
use crate::process::now_ms;
use crate::store::{Store, StoreError, StoreExt, keys};

/// A successful delivery: the counterparty answered 2xx.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The status code.
    pub status: u16,
    /// The answer's body.
    pub body: bytes::Bytes,
}

/// Why a message was given up.
#[derive(Debug, Clone)]
pub enum DeliveryFailure {
    /// The counterparty refused it (a 4xx other than 408/429).
    Refused {
        /// The status.
        status: u16,
        /// The answer's body (a DSP error with reasons, usually).
        body: bytes::Bytes,
    },
    /// Every attempt failed with a network error or 5xx.
    Exhausted {
        /// The last error.
        last_error: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The message cannot be sent at all (bad URL, unsignable token).
    Unsendable(String),
}

impl std::fmt::Display for DeliveryFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused { status, .. } => write!(f, "refused with HTTP {status}"),
            Self::Exhausted {
                last_error,
                attempts,
            } => write!(f, "undeliverable after {attempts} attempts: {last_error}"),
            Self::Unsendable(m) => write!(f, "cannot be sent: {m}"),
        }
    }
}

/// What a process kind does when its message was delivered or given up. Implementations
/// must delete the entry (`entry.key()`) in the same atomic write as their own changes.
pub trait DeliveryHandler: Send + Sync + 'static {
    /// The message was acknowledged.
    fn delivered<'a>(
        &'a self,
        entry: &'a OutboxEntry,
        delivery: Delivery,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// The message was given up.
    fn failed<'a>(
        &'a self,
        entry: &'a OutboxEntry,
        failure: DeliveryFailure,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// The delay before attempt `attempts + 1`: `initial · 2^attempts`, capped, with ±20 % jitter.
pub fn backoff_ms(config: &OutboxConfig, attempts: u32) -> i64 {
    let base = config
        .initial_backoff_ms
        .saturating_mul(1u64 << attempts.min(30));
    let capped = base.min(config.max_backoff_secs.saturating_mul(1000)) as f64;
    let jitter = 0.8 + rand::random::<f64>() * 0.4;
    (capped * jitter) as i64
}

enum Outcome {
    Delivered(Delivery),
    Retry(String),
    GiveUp(DeliveryFailure),
}

fn classify(result: Result<DspResponse, ClientError>) -> Outcome {
    match result {
        Ok(r) if r.is_success() => Outcome::Delivered(Delivery {
            status: r.status,
            body: r.body,
        }),
        Ok(r) if r.status >= 500 || matches!(r.status, 408 | 425 | 429) => {
            Outcome::Retry(format!("HTTP {}", r.status))
        }
        // 401 may be a clock difference or a credential being renewed: retry a few times.
        Ok(r) if r.status == 401 => Outcome::Retry("HTTP 401 (token refused)".into()),
        Ok(r) => Outcome::GiveUp(DeliveryFailure::Refused {
            status: r.status,
            body: r.body,
        }),
        Err(ClientError::Url { url, message }) => {
            Outcome::GiveUp(DeliveryFailure::Unsendable(format!("{url}: {message}")))
        }
        Err(ClientError::Token(m)) => Outcome::GiveUp(DeliveryFailure::Unsendable(m)),
        Err(ClientError::NotMember(m)) => Outcome::GiveUp(DeliveryFailure::Unsendable(m)),
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

/// Delivers outbox messages until shut down.
pub struct Dispatcher {
    store: Arc<dyn Store>,
    client: DspClient,
    config: OutboxConfig,
    handlers: HashMap<ProcessKind, Arc<dyn DeliveryHandler>>,
    wake: Arc<tokio::sync::Notify>,
}

impl Dispatcher {
    /// A dispatcher for the messages of `outbox`.
    pub fn new(
        store: Arc<dyn Store>,
        outbox: &super::Outbox,
        client: DspClient,
        config: OutboxConfig,
    ) -> Self {
        Self {
            store,
            client,
            config,
            handlers: HashMap::new(),
            wake: outbox.notifier(),
        }
    }

    /// Registers the handler of a process kind.
    #[must_use]
    pub fn with_handler(mut self, kind: ProcessKind, handler: Arc<dyn DeliveryHandler>) -> Self {
        self.handlers.insert(kind, handler);
        self
    }

    /// Runs until `shutdown` resolves; in-flight deliveries are finished first.
    pub async fn run(self, shutdown: tokio_util::sync::CancellationToken) {
        let this = Arc::new(self);
        let mut in_flight: HashSet<(ProcessKind, String)> = HashSet::new();
        let mut tasks: JoinSet<(ProcessKind, String)> = JoinSet::new();
        loop {
            let mut next_due: Option<i64> = None;
            match this.store.scan::<OutboxEntry>(keys::OUTBOX) {
                Ok(entries) => {
                    let now = now_ms();
                    let mut seen: HashSet<(ProcessKind, String)> = HashSet::new();
                    for (_, entry) in entries {
                        let process = (entry.kind, entry.process_id.clone());
                        // Only the oldest message of each process is eligible.
                        if !seen.insert(process.clone()) || in_flight.contains(&process) {
                            continue;
                        }
                        if entry.next_attempt_ms > now {
                            next_due =
                                Some(next_due.map_or(entry.next_attempt_ms, |d| {
                                    d.min(entry.next_attempt_ms)
                                }));
                            continue;
                        }
                        if in_flight.len() >= this.config.parallel_deliveries {
                            next_due = Some(now);
                            break;
                        }
                        in_flight.insert(process.clone());
                        let me = this.clone();
                        tasks.spawn(async move {
                            me.deliver(entry).await;
                            process
                        });
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the outbox; retrying in 1 s");
                    next_due = Some(now_ms() + 1000);
                }
            }
            let sleep_ms = next_due.map_or(60_000, |d| (d - now_ms()).clamp(0, 60_000)) as u64;
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = this.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(sleep_ms)) => {}
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Ok(process) = done {
                        in_flight.remove(&process);
                    }
                    while let Some(done) = tasks.try_join_next() {
                        if let Ok(process) = done {
                            in_flight.remove(&process);
                        }
                    }
                }
            }
        }
        // Let deliveries in progress finish (their results are stored), bounded in time.
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
    }

    async fn deliver(&self, mut entry: OutboxEntry) {
        let Some(handler) = self.handlers.get(&entry.kind).cloned() else {
            tracing::error!(kind = ?entry.kind, "no handler for outbox entries of this kind");
            return;
        };
        let started = std::time::Instant::now();
        let result = self
            .client
            .post(&entry.url, &entry.audience, &entry.body)
            .await;
        crate::metrics::record_delivery(&entry.message_type, &result, started.elapsed());
        let outcome = classify(result);
        let stored = match outcome {
            Outcome::Delivered(d) => {
                tracing::debug!(process = %entry.process_id, message = %entry.message_type, "delivered");
                handler.delivered(&entry, d).await
            }
            Outcome::GiveUp(f) => {
                tracing::warn!(process = %entry.process_id, message = %entry.message_type, url = %entry.url, failure = %f, "message given up");
                handler.failed(&entry, f).await
            }
            Outcome::Retry(error) => {
                entry.attempts += 1;
                if entry.attempts >= self.config.max_attempts {
                    let failure = DeliveryFailure::Exhausted {
                        last_error: error,
                        attempts: entry.attempts,
                    };
                    tracing::warn!(process = %entry.process_id, message = %entry.message_type, url = %entry.url, failure = %failure, "message given up");
                    handler.failed(&entry, failure).await
                } else {
                    let delay = backoff_ms(&self.config, entry.attempts - 1);
                    tracing::info!(process = %entry.process_id, message = %entry.message_type, attempt = entry.attempts, retry_in_ms = delay, error = %error, "delivery failed; will retry");
                    entry.next_attempt_ms = now_ms() + delay;
                    entry.last_error = Some(error);
                    self.store.put(&entry.key(), &entry)
                }
            }
        };
        if let Err(e) = stored {
            // The entry stays as it was and is retried: deliveries are idempotent.
            tracing::error!(error = %e, process = %entry.process_id, "cannot record the delivery result");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let c = OutboxConfig {
            initial_backoff_ms: 100,
            max_backoff_secs: 2,
            ..OutboxConfig::default()
        };
        for (attempt, nominal) in [
            (0u32, 100i64),
            (1, 200),
            (2, 400),
            (3, 800),
            (10, 2000),
            (40, 2000),
        ] {
            let d = backoff_ms(&c, attempt);
            assert!(
                d >= nominal * 8 / 10 && d <= nominal * 12 / 10,
                "attempt {attempt}: {d} not within 20 % of {nominal}"
            );
        }
    }

    #[test]
    fn answers_are_classified() {
        let ok = classify(Ok(DspResponse {
            status: 201,
            body: bytes::Bytes::new(),
        }));
        assert!(matches!(ok, Outcome::Delivered(_)));
        let busy = classify(Ok(DspResponse {
            status: 503,
            body: bytes::Bytes::new(),
        }));
        assert!(matches!(busy, Outcome::Retry(_)));
        let refused = classify(Ok(DspResponse {
            status: 400,
            body: bytes::Bytes::new(),
        }));
        assert!(matches!(
            refused,
            Outcome::GiveUp(DeliveryFailure::Refused { status: 400, .. })
        ));
        let net = classify(Err(ClientError::Network("reset".into())));
        assert!(matches!(net, Outcome::Retry(_)));
    }
}
