//! The register entries of this connector's agreements, kept in the database in the same
//! write as the negotiation step that produced them:
//! - provider: one entry per finalized agreement whose summary the consumer signed,
//!   submitted by the background task with doubling back-off until the broker answers —
//!   registered, or refused for a reason retrying cannot change;
//! - consumer: the summary it signed; the background task marks it registered once the
//!   broker's register lists it (the provider submits).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::register::AgreementSummary;
use super::{Federation, FederationError};
use crate::process::now_ms;
use crate::store::{Record, Store, StoreExt};

/// Key prefix of the entries (`federation/register/<agreement id>`).
pub const PREFIX: &str = "federation/register/";

/// The database key of an agreement's entry.
pub fn key(agreement_id: &str) -> String {
    format!("{PREFIX}{agreement_id}")
}

/// Where an agreement stands in the public register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegisterState {
    /// Both signatures are here; not yet accepted by the broker (retried).
    Pending,
    /// Consumer: signed and sent to the provider, which submits it.
    SignedAsConsumer,
    /// Listed in the broker's register.
    Registered,
    /// The broker refused it for a reason retrying cannot change (see `last_error`).
    Refused,
}

/// An agreement's register entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RegisterEntry {
    /// What both parties signed.
    pub summary: AgreementSummary,
    /// The consumer's detached signature over it.
    pub consumer_signature: String,
    /// The state.
    pub state: RegisterState,
    /// Failed attempts since the last success.
    pub failures: u32,
    /// Not before this time (ms) is it tried again.
    pub next_attempt_ms: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the broker listed it.
    pub registered_ms: Option<i64>,
}

impl Record for RegisterEntry {
    const SCHEMA_VERSION: u32 = 1;
}

impl RegisterEntry {
    /// A new entry, to be submitted (provider).
    pub fn pending(summary: AgreementSummary, consumer_signature: String) -> Self {
        Self {
            summary,
            consumer_signature,
            state: RegisterState::Pending,
            failures: 0,
            next_attempt_ms: 0,
            last_error: None,
            registered_ms: None,
        }
    }

    /// The consumer's entry after signing.
    pub fn signed_as_consumer(summary: AgreementSummary, consumer_signature: String) -> Self {
        Self {
            state: RegisterState::SignedAsConsumer,
            ..Self::pending(summary, consumer_signature)
        }
    }
}

/// Consumer: marks entries registered once the broker's register lists them.
pub async fn confirm_listed(f: &Federation, store: &dyn Store) -> Result<usize, FederationError> {
    let waiting: Vec<(String, RegisterEntry)> = store
        .scan::<RegisterEntry>(PREFIX)?
        .into_iter()
        .filter(|(_, e)| e.state == RegisterState::SignedAsConsumer)
        .collect();
    if waiting.is_empty() {
        return Ok(0);
    }
    let broker = f.broker()?;
    let listed = broker.register_ids().await?;
    let mut confirmed = 0;
    for (k, mut e) in waiting {
        if listed.contains(&e.summary.agreement_id) {
            e.state = RegisterState::Registered;
            e.registered_ms = Some(now_ms());
            store.put(&k, &e)?;
            confirmed += 1;
        }
    }
    Ok(confirmed)
}

/// An agreement's entry, if it has one.
pub fn entry(
    store: &dyn Store,
    agreement_id: &str,
) -> Result<Option<RegisterEntry>, FederationError> {
    Ok(store.get::<RegisterEntry>(&key(agreement_id))?)
}

/// Submits every pending entry that is due; returns how many were registered now.
pub async fn submit_due(f: &Federation, store: &dyn Store) -> Result<usize, FederationError> {
    let now = now_ms();
    let due: Vec<(String, RegisterEntry)> = store
        .scan::<RegisterEntry>(PREFIX)?
        .into_iter()
        .filter(|(_, e)| e.state == RegisterState::Pending && e.next_attempt_ms <= now)
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    let broker = match f.broker() {
        Ok(b) => b,
        Err(e) => {
            // Say why nothing moves (once), e.g. a credential installed by hand, no broker.
            let why = e.to_string();
            for (k, mut entry) in due {
                if entry.last_error.as_deref() != Some(why.as_str()) {
                    entry.last_error = Some(why.clone());
                    store.put(&k, &entry)?;
                }
            }
            return Err(e);
        }
    };
    let mut registered = 0;
    for (k, mut e) in due {
        let result = match e.summary.sign(f.key()) {
            Ok(ours) => {
                let body = json!({
                    "summary": e.summary,
                    "signatures": {"provider": ours, "consumer": e.consumer_signature},
                });
                broker.submit_register(&body).await
            }
            Err(m) => Err(FederationError::Setup(m)),
        };
        match result {
            // `false`: the broker holds it already (an earlier attempt got through).
            Ok(_) => {
                e.state = RegisterState::Registered;
                e.registered_ms = Some(now_ms());
                e.last_error = None;
                registered += 1;
                tracing::info!(agreement = %e.summary.agreement_id, "cooperation registered");
            }
            Err(err) => {
                e.failures = e.failures.saturating_add(1);
                e.last_error = Some(err.to_string());
                if err.is_transient() || matches!(err, FederationError::Setup(_)) {
                    let c = &f.config().federation;
                    let secs = c
                        .retry_initial_secs
                        .saturating_mul(1u64 << e.failures.saturating_sub(1).min(20))
                        .min(c.retry_max_secs);
                    e.next_attempt_ms = now + (secs as i64) * 1000;
                } else {
                    e.state = RegisterState::Refused;
                }
                tracing::warn!(agreement = %e.summary.agreement_id, error = %err, "register submission failed");
            }
        }
        store.put(&k, &e)?;
    }
    Ok(registered)
}
