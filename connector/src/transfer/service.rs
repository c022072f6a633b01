//! The transfer service: shared state, loading and saving, sending, and audit records.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use super::record::{Transfer, Usage};
use super::tck::TckTransfers;
use crate::assets::Assets;
use crate::audit::{AuditEvent, AuditKind, AuditLog};
use crate::dataplane::{DataPlaneConfig, Registry};
use crate::identity::Identity;
use crate::negotiation::{AgreementRecord, DspFailure, Negotiations};
use crate::outbox::{Expect, NewMessage, Outbox, ProcessKind, join_url};
use crate::process::ProcessLocks;
use crate::store::{Store, StoreError, StoreExt, WriteBatch};
use crate::terms::Terms;
use crate::trust::{CallerVerifier, TokenIssuer};

/// Store keys of the transfer process.
pub mod keys {
    /// Prefix of transfers.
    pub const TRANSFER: &str = "transfer/";
    /// Prefix of the index from (counterparty, consumerPid) to the provider's transfer.
    pub const TRANSFER_INDEX: &str = "transferidx/";
    /// Prefix of agreements' use counts.
    pub const USAGE: &str = "usage/";

    /// The key of a transfer.
    pub fn transfer(id: &str) -> String {
        format!("{TRANSFER}{id}")
    }

    /// The key of an agreement's use count.
    pub fn usage(agreement_id: &str) -> String {
        format!("{USAGE}{agreement_id}")
    }
}

/// Settings of the transfer service.
#[derive(Debug, Clone)]
pub struct TransferSettings {
    /// Accept `http://` callback addresses (TCK mode only).
    pub allow_plain_http: bool,
    /// The data plane's settings.
    pub dataplane: DataPlaneConfig,
    /// Where received data is kept (absolute).
    pub received_dir: PathBuf,
    /// The URL data endpoints are published under (`<public_url>/data`).
    pub data_base_url: String,
}

/// Transfer processes, provider and consumer side.
#[derive(Clone)]
pub struct Transfers {
    pub(super) store: Arc<dyn Store>,
    pub(super) locks: ProcessLocks,
    pub(super) outbox: Outbox,
    pub(super) identity: Arc<Identity>,
    pub(super) negotiations: Negotiations,
    pub(super) assets: Assets,
    pub(super) terms: Arc<Terms>,
    pub(super) audit: AuditLog,
    pub(super) registry: Registry,
    pub(super) settings: Arc<TransferSettings>,
    pub(super) tck: Arc<TckTransfers>,
    pub(super) config: Arc<crate::config::Config>,
    pub(super) data_client: reqwest::Client,
    /// HTTPS client for pushes (names resolved and checked, see `dataplane::push`).
    pub(super) push_client: reqwest::Client,
    pub(super) issuer: Arc<TokenIssuer>,
    pub(super) fetching: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    /// Consumer: the pushes being received (see `push`).
    pub(super) receivers: Arc<super::push::PushReceivers>,
    /// The verifier of callers, whose revocation list the watch applies to running
    /// transfers (see [`Transfers::with_verifier`]).
    pub(super) verifier: Option<Arc<CallerVerifier>>,
}

impl std::fmt::Debug for Transfers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfers").finish_non_exhaustive()
    }
}

/// What the service is built from.
pub struct TransfersParts {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Outgoing messages.
    pub outbox: Outbox,
    /// Who this connector is.
    pub identity: Arc<Identity>,
    /// Negotiations (agreements, address checks).
    pub negotiations: Negotiations,
    /// Assets.
    pub assets: Assets,
    /// The policy engine.
    pub terms: Arc<Terms>,
    /// The audit log.
    pub audit: AuditLog,
    /// Settings.
    pub settings: TransferSettings,
    /// TCK scripts of seeded agreements.
    pub tck: TckTransfers,
    /// The configuration (sources).
    pub config: Arc<crate::config::Config>,
    /// HTTPS client for data (no overall timeout; streams may be long).
    pub data_client: reqwest::Client,
    /// HTTPS client for pushes (see [`crate::dataplane::push::push_client`]).
    pub push_client: reqwest::Client,
    /// Signs this connector's request tokens (data requests carry one).
    pub issuer: Arc<TokenIssuer>,
}

impl Transfers {
    /// The service.
    pub fn new(parts: TransfersParts) -> Self {
        Self {
            store: parts.store,
            locks: ProcessLocks::default(),
            outbox: parts.outbox,
            identity: parts.identity,
            negotiations: parts.negotiations,
            assets: parts.assets,
            terms: parts.terms,
            audit: parts.audit,
            registry: Registry::default(),
            settings: Arc::new(parts.settings),
            tck: Arc::new(parts.tck),
            config: parts.config,
            data_client: parts.data_client,
            push_client: parts.push_client,
            issuer: parts.issuer,
            fetching: Arc::default(),
            receivers: Arc::default(),
            verifier: None,
        }
    }

    /// Lets the watch stop running transfers of consumers whose membership the revocation
    /// list installed in `verifier` revokes.
    #[must_use]
    pub fn with_verifier(mut self, verifier: Arc<CallerVerifier>) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// A transfer by local id.
    pub fn get(&self, id: &str) -> Result<Option<Transfer>, StoreError> {
        self.store.get(&keys::transfer(id))
    }

    /// All transfers, newest first.
    pub fn list(&self) -> Result<Vec<Transfer>, StoreError> {
        let mut all: Vec<Transfer> = self
            .store
            .scan::<Transfer>(keys::TRANSFER)?
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        all.sort_by_key(|t| std::cmp::Reverse(t.created_ms));
        Ok(all)
    }

    /// An agreement's use count (provider).
    pub fn usage(&self, agreement_id: &str) -> Result<Usage, StoreError> {
        Ok(self
            .store
            .get::<Usage>(&keys::usage(agreement_id))?
            .unwrap_or_default())
    }

    /// The running transfers and their streams.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// The HTTPS client for data (no overall timeout).
    pub fn data_client(&self) -> &reqwest::Client {
        &self.data_client
    }

    /// A fresh request token of this connector for `audience`, as the caller header's value.
    pub fn caller_token(&self, audience: &str) -> Result<String, String> {
        self.issuer
            .issue(audience)
            .map(|jwt| format!("Bearer {jwt}"))
            .map_err(|e| format!("cannot sign the request token: {e}"))
    }

    /// The data plane's settings.
    pub fn settings(&self) -> &TransferSettings {
        &self.settings
    }

    /// Loads a transfer for a DSP call: it must exist and the caller must be its
    /// counterparty; otherwise "not found" (no hint).
    pub(super) fn load_for(&self, id: &str, caller_id: &str) -> Result<Transfer, DspFailure> {
        let t = self.get(id)?.ok_or(DspFailure::NotFound)?;
        if t.counterparty.id != caller_id {
            return Err(DspFailure::NotFound);
        }
        Ok(t)
    }

    /// The index key from a counterparty's consumerPid to the provider's transfer.
    pub(super) fn index_key(counterparty: &str, consumer_pid: &str) -> String {
        use sha2::Digest;
        let h = hex::encode(sha2::Sha256::digest(counterparty.as_bytes()));
        format!("{}{}/{}", keys::TRANSFER_INDEX, &h[..16], consumer_pid)
    }

    /// The agreement a transfer is based on, when still stored.
    pub fn agreement_of(&self, t: &Transfer) -> Result<Option<AgreementRecord>, StoreError> {
        self.negotiations.agreement(&t.agreement_id)
    }

    /// Adds `body` for the counterparty at `transfers/{their pid}/{suffix}` (or `path` as
    /// given, when it contains no pid) to `batch`.
    pub(super) fn send(
        &self,
        batch: &mut WriteBatch,
        t: &Transfer,
        path: &str,
        body: Value,
        expect: Expect,
    ) -> Result<(), StoreError> {
        self.outbox.stage(
            batch,
            NewMessage {
                kind: ProcessKind::Transfer,
                process_id: t.id.clone(),
                url: join_url(&t.counterparty.address, path),
                audience: t.counterparty.id.clone(),
                body,
                expect,
            },
        )?;
        Ok(())
    }

    /// Stages an audit event about `t` in `batch`.
    pub(super) fn record(
        &self,
        batch: &mut WriteBatch,
        t: &Transfer,
        kind: AuditKind,
        summary: String,
        details: Value,
    ) {
        let mut event = AuditEvent::new(kind, summary)
            .agreement(t.agreement_id.clone())
            .party(t.counterparty.id.clone())
            .process(t.id.clone())
            .detail("role", t.role.as_str())
            .detail("state", t.state.as_str());
        if let (Value::Object(extra), Value::Object(m)) = (details, &mut event.details) {
            m.extend(extra);
        }
        self.audit.stage(batch, event);
    }

    /// Writes the transfer (and whatever else is in `batch`), wakes the dispatcher and the
    /// audit writer, and keeps the set of running transfers in step with the state: leaving
    /// STARTED stops every stream of the transfer at once.
    pub(super) fn commit(&self, mut batch: WriteBatch, t: &Transfer) -> Result<(), StoreError> {
        batch.put(keys::transfer(&t.id), t);
        self.store.apply(batch)?;
        self.outbox.wake();
        self.audit.wake();
        if t.state == crate::dsp::transfer::TransferState::Started {
            self.registry.run(&t.id, t.role);
        } else {
            self.registry.stop(&t.id);
        }
        self.discard_unfinished_push(t);
        self.discard_unfinished_pull(t);
        Ok(())
    }

    /// Checks a callback address (https, or http in TCK mode).
    pub fn check_address(&self, field: &str, address: &str) -> Result<(), DspFailure> {
        self.negotiations.check_address(field, address)
    }

    /// This connector's identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
}

/// Builds the audit log and the transfer service from the configuration (called by
/// [`crate::app::App::build`]): opens `audit/` in the data folder, seeds the TCK's transfer
/// agreements in TCK mode, and builds the data client (no overall timeout: streams may take
/// hours; connecting and reading are bounded instead).
#[allow(clippy::too_many_arguments)]
pub fn assemble(
    config: &crate::config::Config,
    store: Arc<dyn Store>,
    outbox: Outbox,
    identity: Arc<Identity>,
    negotiations: Negotiations,
    assets: Assets,
    terms: Arc<Terms>,
    tls: rustls::ClientConfig,
    issuer: Arc<TokenIssuer>,
    tck_seed: Option<&crate::negotiation::tck::TckSeed>,
) -> Result<(AuditLog, Transfers), String> {
    let data_dir = config.data_dir();
    let audit = AuditLog::open(&crate::audit::audit_dir(&data_dir), store.clone())
        .map_err(|e| e.to_string())?;
    let tck = match tck_seed {
        Some(seed) => super::tck::seed(
            seed,
            &data_dir,
            store.as_ref(),
            &assets,
            &identity.did,
            &config.tck.participant_id,
        )
        .map_err(|e| format!("seeding the TCK transfer agreements: {e}"))?,
        None => TckTransfers::default(),
    };
    let push_client = crate::dataplane::push::push_client(
        tls.clone(),
        config.dataplane.allow_local_push_endpoints,
        concat!("kommunaler-datenraum-connector/", env!("CARGO_PKG_VERSION")),
    )?;
    let data_client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(std::time::Duration::from_secs(10))
        .read_timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "kommunaler-datenraum-connector/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .map_err(|e| format!("cannot build the data client: {e}"))?;
    let received_dir = if config.dataplane.received_dir.is_absolute() {
        config.dataplane.received_dir.clone()
    } else {
        data_dir.join(&config.dataplane.received_dir)
    };
    let settings = TransferSettings {
        allow_plain_http: config.tck.enabled,
        dataplane: config.dataplane.clone(),
        received_dir,
        data_base_url: format!("{}/data", config.dsp.public_url.trim_end_matches('/')),
    };
    let transfers = Transfers::new(TransfersParts {
        store,
        outbox,
        identity,
        negotiations: negotiations.with_audit(audit.clone()),
        assets,
        terms,
        audit: audit.clone(),
        settings,
        tck,
        config: Arc::new(config.clone()),
        data_client,
        push_client,
        issuer,
    });
    Ok((audit, transfers))
}
