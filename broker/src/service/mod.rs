//! The broker's domain operations, independent of HTTP: onboarding and membership, publication
//! of self-descriptions, expiry, the register, harvest and search. Handlers in `http` only
//! extract, call one of these and map the result.

mod harvest;
mod lifecycle;
mod onboarding;
mod publication;
mod register;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;

pub use harvest::{DEFAULT_PAGE_SIZE, HarvestPage, HarvestRequest, MAX_PAGE_SIZE};
pub use lifecycle::RebuildReport;
pub use onboarding::{JoinOutcome, JoinRequest};
pub use publication::PublishOutcome;
pub use register::{AgreementSummary, PartySignatures, RegisterSubmission};

use crate::authority::Authority;
use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::index::Catalog;
use crate::metrics::Metrics;
use crate::sparql::SparqlEndpoint;
use crate::store::{Participant, ParticipantStatus, Store};

/// Everything a running broker holds.
pub struct Broker {
    config: BrokerConfig,
    store: Arc<dyn Store>,
    authority: Authority,
    catalog: Catalog,
    sparql: SparqlEndpoint,
    /// Serialises every change of participants and of the visible catalogue (publication,
    /// deletion, expiry, revocation), so sled and the indexes change in the same order.
    writes: Mutex<()>,
    ready: AtomicBool,
    metrics: Metrics,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("public_url", &self.config.public_url)
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// Assembles a broker from its parts; call [`Broker::rebuild`] before serving.
    pub fn new(
        config: BrokerConfig,
        store: Arc<dyn Store>,
        authority: Authority,
    ) -> Result<Self, BrokerError> {
        let catalog = Catalog::new()?;
        let sparql = SparqlEndpoint::new(catalog.graphs().store().clone(), &config.sparql);
        Ok(Self {
            config,
            store,
            authority,
            catalog,
            sparql,
            writes: Mutex::new(()),
            ready: AtomicBool::new(false),
            metrics: Metrics::default(),
        })
    }

    /// Runs a (blocking) domain operation on the blocking thread pool, so signature checks,
    /// parsing, validation, disk writes and index commits never stall the async workers.
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        operation: impl FnOnce(&Broker) -> Result<T, BrokerError> + Send + 'static,
    ) -> Result<T, BrokerError> {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || operation(&this))
            .await
            .map_err(|e| BrokerError::Index(format!("operation failed: {e}")))?
    }

    fn lock_writes(&self) -> Result<MutexGuard<'_, ()>, BrokerError> {
        self.writes
            .lock()
            .map_err(|_| BrokerError::Index("write lock poisoned".into()))
    }

    /// The configuration.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// The authority.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The visible catalogue.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The SPARQL endpoint.
    pub fn sparql(&self) -> &SparqlEndpoint {
        &self.sparql
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Whether the indexes are rebuilt and the broker serves.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    /// A participant by DID, or [`BrokerError::NotFound`].
    pub fn participant(&self, did: &str) -> Result<Participant, BrokerError> {
        self.store
            .participant(did)?
            .ok_or_else(|| BrokerError::NotFound(format!("no participant {did}")))
    }

    /// Active participants, by DID.
    pub fn active_participants(&self) -> Result<Vec<Participant>, BrokerError> {
        Ok(self
            .store
            .participants()?
            .into_iter()
            .filter(|p| p.status == ParticipantStatus::Active)
            .collect())
    }

    /// The current status list JWT.
    pub fn status_list(&self) -> Result<String, BrokerError> {
        let revoked = self
            .store
            .participants()?
            .into_iter()
            .filter(|p| p.status == ParticipantStatus::Revoked)
            .filter_map(|p| p.status_index)
            .collect();
        self.authority.status_list(revoked, Utc::now().timestamp())
    }
}
