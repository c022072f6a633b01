//! Publication of the self-description at the broker: when assets or offers change, at least
//! every `federation.refresh_secs` (so the broker does not expire it), and again after a
//! failure with doubling back-off (`retry_initial_secs` … `retry_max_secs`). The state lives
//! in the database, so a restart keeps trying where it stopped; `connector unpublish` signs a
//! deletion and stops publishing until `connector publish`.

use serde::{Deserialize, Serialize};

use super::description::{self, Description};
use super::{Federation, FederationError};
use crate::assets::Assets;
use crate::process::now_ms;
use crate::store::{Record, Store, StoreExt};

/// The database key of the publication state.
pub const KEY: &str = "federation/publication";

/// Where the publication stands (kept in the database).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Publication {
    /// Publish at all: false after `connector unpublish`, true again after
    /// `connector publish`. `None`: as `federation.publish` says.
    pub wanted: Option<bool>,
    /// The fingerprint of the content the broker accepted last.
    pub accepted_fingerprint: Option<String>,
    /// The `iat` of the last envelope or deletion sent (each must be newer than the last).
    pub last_iat: i64,
    /// When the broker last accepted a publication (ms since 1970).
    pub last_accepted_ms: Option<i64>,
    /// Datasets in the accepted description.
    pub datasets: Option<usize>,
    /// Offers in the accepted description.
    pub offers: Option<usize>,
    /// When it was last tried.
    pub last_attempt_ms: Option<i64>,
    /// Why the last attempt failed (cleared by success).
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub failures: u32,
    /// Not before this time (ms) is it tried again after a failure.
    pub next_attempt_ms: i64,
    /// When the description was withdrawn (`connector unpublish`).
    pub withdrawn_ms: Option<i64>,
}

impl Record for Publication {
    const SCHEMA_VERSION: u32 = 1;
}

/// What a publication attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the broker.
    Published,
    /// Nothing changed and no refresh was due.
    UpToDate,
    /// Not attempted (not a member, not wanted, or waiting out the back-off); the reason.
    Skipped(String),
}

/// Reads the state.
pub fn load(store: &dyn Store) -> Result<Publication, FederationError> {
    Ok(store.get::<Publication>(KEY)?.unwrap_or_default())
}

fn save(store: &dyn Store, p: &Publication) -> Result<(), FederationError> {
    Ok(store.put(KEY, p)?)
}

fn wanted(f: &Federation, p: &Publication) -> bool {
    p.wanted.unwrap_or(f.config().federation.publish)
}

/// The next `iat`: now, but after the last one sent.
fn next_iat(p: &Publication) -> i64 {
    (now_ms() / 1000).max(p.last_iat + 1)
}

fn backoff_ms(f: &Federation, failures: u32) -> i64 {
    let c = &f.config().federation;
    let secs = c
        .retry_initial_secs
        .saturating_mul(1u64 << failures.saturating_sub(1).min(20))
        .min(c.retry_max_secs);
    (secs as i64) * 1000
}

/// Publishes when due: content changed, refresh due, or `force` (an operator's request,
/// which also ignores the back-off). Failures are recorded and scheduled for a retry.
pub async fn publish_if_due(
    f: &Federation,
    store: &dyn Store,
    assets: &Assets,
    force: bool,
) -> Result<Outcome, FederationError> {
    let _one_at_a_time = f.publication_lock().await;
    publish_if_due_locked(f, store, assets, force).await
}

async fn publish_if_due_locked(
    f: &Federation,
    store: &dyn Store,
    assets: &Assets,
    force: bool,
) -> Result<Outcome, FederationError> {
    let mut p = load(store)?;
    if !wanted(f, &p) {
        return Ok(Outcome::Skipped(
            "publication is switched off (`connector publish` switches it on)".into(),
        ));
    }
    let Some(m) = f.membership() else {
        return Ok(Outcome::Skipped(format!(
            "not published: {}",
            f.status().message
        )));
    };
    let now = now_ms();
    if !force && now < p.next_attempt_ms {
        return Ok(Outcome::Skipped("waiting before the next attempt".into()));
    }
    let built = description::build(f.config(), f.did(), &m, assets);
    let refresh_ms = (f.config().federation.refresh_secs as i64) * 1000;
    if let Ok(d) = &built
        && !force
        && p.accepted_fingerprint.as_deref() == Some(d.fingerprint.as_str())
        && p.last_accepted_ms.is_some_and(|t| now - t < refresh_ms)
    {
        return Ok(Outcome::UpToDate);
    }
    let result = match built {
        Ok(d) => send(f, &mut p, &d).await.map(|()| d),
        Err(e) => Err(e),
    };
    p.last_attempt_ms = Some(now);
    match result {
        Ok(d) => {
            p.accepted_fingerprint = Some(d.fingerprint);
            p.last_accepted_ms = Some(now_ms());
            p.datasets = Some(d.datasets);
            p.offers = Some(d.offers);
            p.last_error = None;
            p.failures = 0;
            p.next_attempt_ms = 0;
            p.withdrawn_ms = None;
            save(store, &p)?;
            tracing::info!(
                datasets = d.datasets,
                offers = d.offers,
                "self-description published"
            );
            Ok(Outcome::Published)
        }
        Err(e) => {
            p.failures = p.failures.saturating_add(1);
            p.next_attempt_ms = now + backoff_ms(f, p.failures);
            p.last_error = Some(e.to_string());
            save(store, &p)?;
            tracing::warn!(error = %e, failures = p.failures, retry_in_ms = p.next_attempt_ms - now, "publication failed");
            Err(e)
        }
    }
}

async fn send(f: &Federation, p: &mut Publication, d: &Description) -> Result<(), FederationError> {
    let broker = f.broker()?;
    let iat = next_iat(p);
    let envelope = vocab::envelope::seal(d.turtle.as_bytes(), f.key(), iat).map_err(|e| {
        FederationError::Description(format!("cannot sign the self-description: {e}"))
    })?;
    p.last_iat = iat;
    broker.put_self_description(f.did(), &envelope).await?;
    Ok(())
}

/// Switches publication on and publishes now.
pub async fn publish_now(
    f: &Federation,
    store: &dyn Store,
    assets: &Assets,
) -> Result<Outcome, FederationError> {
    let _one_at_a_time = f.publication_lock().await;
    let mut p = load(store)?;
    p.wanted = Some(true);
    save(store, &p)?;
    publish_if_due_locked(f, store, assets, true).await
}

/// Withdraws the description with a signed deletion and switches publication off; returns
/// whether the broker held one.
pub async fn unpublish(f: &Federation, store: &dyn Store) -> Result<bool, FederationError> {
    let _one_at_a_time = f.publication_lock().await;
    let mut p = load(store)?;
    p.wanted = Some(false);
    save(store, &p)?;
    let broker = f.broker()?;
    let iat = next_iat(&p);
    let deletion = vocab::envelope::seal_deletion(f.key(), iat)
        .map_err(|e| FederationError::Setup(format!("cannot sign the deletion: {e}")))?;
    p.last_iat = iat;
    p.last_attempt_ms = Some(now_ms());
    save(store, &p)?;
    let held = match broker.delete_self_description(f.did(), &deletion).await {
        Ok(held) => held,
        Err(e) => {
            p.last_error = Some(e.to_string());
            save(store, &p)?;
            return Err(e);
        }
    };
    p.accepted_fingerprint = None;
    p.last_error = None;
    p.failures = 0;
    p.next_attempt_ms = 0;
    p.withdrawn_ms = Some(now_ms());
    save(store, &p)?;
    Ok(held)
}
