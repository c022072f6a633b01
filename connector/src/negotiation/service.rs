//! The negotiation service: shared state, loading and saving, sending, and the failure type
//! the DSP handlers map to HTTP.

use std::sync::Arc;

use serde_json::Value;

use super::record::{AgreementRecord, Negotiation};
use crate::assets::Assets;
use crate::dsp::DspParseError;
use crate::identity::Identity;
use crate::outbox::{Expect, NewMessage, Outbox, OutboxEntry, ProcessKind, join_url};
use crate::process::{InvalidTransition, ProcessLocks, Role};
use crate::store::{Store, StoreError, StoreExt, WriteBatch, keys};
use crate::terms::Terms;
use crate::trust::Caller;

/// Why a DSP request about a negotiation was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DspFailure {
    /// The message violates its schema.
    #[error("invalid message: {0}")]
    Invalid(#[from] DspParseError),
    /// The message is well-formed but not acceptable (unknown offer, bad callback, …).
    #[error("{code}: {reason}")]
    Rejected {
        /// A short machine-readable code.
        code: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The state machine does not allow the message now.
    #[error("invalid transition: {0}")]
    Transition(#[from] InvalidTransition),
    /// No such process, or not one the caller may see.
    #[error("not found")]
    NotFound,
    /// Storage failed.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

impl DspFailure {
    /// A rejection with a code and reason.
    pub fn rejected(code: &'static str, reason: impl Into<String>) -> Self {
        Self::Rejected {
            code,
            reason: reason.into(),
        }
    }
}

/// Settings of the negotiation service.
#[derive(Debug, Clone)]
pub struct NegotiationSettings {
    /// Accept `http://` callback addresses (TCK mode only).
    pub allow_plain_http: bool,
}

/// Contract negotiations, provider and consumer side.
#[derive(Clone)]
pub struct Negotiations {
    pub(super) store: Arc<dyn Store>,
    pub(super) locks: ProcessLocks,
    pub(super) outbox: Outbox,
    pub(super) identity: Arc<Identity>,
    pub(super) assets: Assets,
    pub(super) terms: Arc<Terms>,
    pub(super) settings: Arc<NegotiationSettings>,
    pub(super) audit: Option<crate::audit::AuditLog>,
}

impl std::fmt::Debug for Negotiations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Negotiations").finish_non_exhaustive()
    }
}

/// The digest of an incoming message (path and body), for recognising duplicates.
pub fn message_digest(path: &str, body: &[u8]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

impl Negotiations {
    /// The service.
    pub fn new(
        store: Arc<dyn Store>,
        outbox: Outbox,
        identity: Arc<Identity>,
        assets: Assets,
        terms: Arc<Terms>,
        settings: NegotiationSettings,
    ) -> Self {
        Self {
            store,
            locks: ProcessLocks::default(),
            outbox,
            identity,
            assets,
            terms,
            settings: Arc::new(settings),
            audit: None,
        }
    }

    /// The same service, recording its steps, policy decisions and agreements in `audit`.
    #[must_use]
    pub fn with_audit(mut self, audit: crate::audit::AuditLog) -> Self {
        self.audit = Some(audit);
        self
    }

    /// A negotiation by local id.
    pub fn get(&self, id: &str) -> Result<Option<Negotiation>, StoreError> {
        self.store.get(&keys::negotiation(id))
    }

    /// All negotiations, newest first.
    pub fn list(&self) -> Result<Vec<Negotiation>, StoreError> {
        let mut all: Vec<Negotiation> = self
            .store
            .scan::<Negotiation>(keys::NEGOTIATION)?
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        all.sort_by_key(|n| std::cmp::Reverse(n.created_ms));
        Ok(all)
    }

    /// One agreement.
    pub fn agreement(&self, id: &str) -> Result<Option<AgreementRecord>, StoreError> {
        self.store.get(&keys::agreement(id))
    }

    /// All agreements, newest first.
    pub fn agreements(&self) -> Result<Vec<AgreementRecord>, StoreError> {
        let mut all: Vec<AgreementRecord> = self
            .store
            .scan::<AgreementRecord>(keys::AGREEMENT)?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        all.sort_by_key(|a| std::cmp::Reverse(a.finalized_ms));
        Ok(all)
    }

    /// Loads a negotiation for a DSP call: it must exist, have `role` on this side (when given)
    /// and the caller must be its counterparty; otherwise "not found" (no hint).
    pub(super) fn load_for(
        &self,
        id: &str,
        caller: &Caller,
        role: Option<Role>,
    ) -> Result<Negotiation, DspFailure> {
        let n = self.get(id)?.ok_or(DspFailure::NotFound)?;
        if n.counterparty.id != caller.id || role.is_some_and(|r| r != n.role) {
            return Err(DspFailure::NotFound);
        }
        Ok(n)
    }

    /// Key of the index from a counterparty's pid to the local negotiation.
    pub(super) fn index_key(counterparty: &str, their_pid: &str) -> String {
        use sha2::Digest;
        let h = hex::encode(sha2::Sha256::digest(counterparty.as_bytes()));
        format!("{}{}/{}", keys::NEGOTIATION_INDEX, &h[..16], their_pid)
    }

    /// Adds the message `body` for the counterparty at `path` (relative to its address) to
    /// `batch`.
    pub(super) fn send(
        &self,
        batch: &mut WriteBatch,
        n: &Negotiation,
        path: &str,
        body: Value,
        expect: Expect,
    ) -> Result<(), StoreError> {
        self.outbox.stage(
            batch,
            NewMessage {
                kind: ProcessKind::Negotiation,
                process_id: n.id.clone(),
                url: join_url(&n.counterparty.address, path),
                audience: n.counterparty.id.clone(),
                body,
                expect,
            },
        )?;
        Ok(())
    }

    /// A batch that removes the messages still queued for `n` which the counterparty's
    /// incoming message shows it has received: DSP negotiation steps alternate, so a message
    /// from the other side moving the process on proves our earlier step arrived (its
    /// acknowledgement may have been lost, e.g. when the counterparty was killed before
    /// answering). Terminations stay queued unless `including_terminations` is set (the
    /// counterparty terminated too), and so does the initial request, whose answer carries
    /// the provider's process id.
    pub(super) fn superseding_batch(
        &self,
        n: &Negotiation,
        including_terminations: bool,
    ) -> Result<WriteBatch, StoreError> {
        let mut batch = WriteBatch::new();
        for (key, queued) in self.store.scan::<OutboxEntry>(keys::OUTBOX)? {
            let termination = queued.message_type == "ContractNegotiationTerminationMessage";
            if queued.process_id == n.id
                && queued.expect != Expect::Created
                && (including_terminations || !termination)
            {
                batch.delete(key);
            }
        }
        Ok(batch)
    }

    /// Writes the negotiation (and whatever else is in `batch`) and wakes the dispatcher.
    pub(super) fn commit(&self, mut batch: WriteBatch, n: &Negotiation) -> Result<(), StoreError> {
        if let Some(audit) = &self.audit {
            let before = self.get(&n.id)?;
            super::audit::stage_changes(audit, &mut batch, before.as_ref(), n);
        }
        batch.put(keys::negotiation(&n.id), n);
        self.store.apply(batch)?;
        self.outbox.wake();
        if let Some(audit) = &self.audit {
            audit.wake();
        }
        Ok(())
    }

    /// Checks a callback or DSP address given by a counterparty (https, or http in TCK mode).
    pub fn check_address(&self, field: &str, address: &str) -> Result<(), DspFailure> {
        let url = reqwest::Url::parse(address).map_err(|e| {
            DspFailure::Invalid(DspParseError::new(field, format!("is not a URL: {e}")))
        })?;
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.settings.allow_plain_http => Ok(()),
            other => Err(DspFailure::Invalid(DspParseError::new(
                field,
                format!("must be an https URL (found scheme {other})"),
            ))),
        }
    }

    /// This connector's identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
}
