//! The consumer side (starting a transfer, the provider's start message, pulling the data)
//! and the step messages either side receives: start (a restart), suspension, completion,
//! termination.

use std::time::Duration;

use serde_json::json;

use super::format::TransferFormat;
use super::record::{FileInfo, PullAddress, ReceivedFile, Transfer};
use super::service::Transfers;
use super::state::{MessageKind, TRANSFER};
use super::tck::TransferScript;
use crate::audit::AuditKind;
use crate::dataplane::{PullError, file_name_for, pull_to_file, safe_relative_path};
use crate::dsp::DspMessage;
use crate::dsp::transfer::{
    DataAddress, TransferCodeMessage, TransferProcess, TransferRequestMessage,
    TransferStartMessage, TransferState,
};
use crate::negotiation::DspFailure;
use crate::negotiation::record::Counterparty;
use crate::outbox::Expect;
use crate::process::{Role, new_urn, now_ms};
use crate::store::WriteBatch;
use crate::trust::Caller;

/// What a consumer needs to start a transfer.
#[derive(Debug, Clone)]
pub struct StartTransfer {
    /// The agreement (this connector is its consumer).
    pub agreement_id: String,
    /// The transfer type.
    pub format: TransferFormat,
    /// The purpose of this use (defaults to the negotiation's).
    pub purpose: Option<String>,
    /// The provider's DSP base URL (defaults to the negotiation's counterparty address).
    pub provider_address: Option<String>,
    /// Wait for `connector fetch` instead of pulling as soon as the provider starts.
    pub manual_fetch: bool,
    /// Push: an external endpoint the provider sends to instead of this connector's own
    /// receiving endpoint (`<public URL>/data/push/{transfer}`).
    pub push_endpoint: Option<String>,
    /// Push to an external endpoint: the bearer token the provider presents there.
    pub push_token: Option<String>,
}

impl Transfers {
    /// Starts a transfer as consumer: stores it and queues the request.
    pub async fn start(&self, start: StartTransfer) -> Result<Transfer, DspFailure> {
        let agreement = self
            .negotiations
            .agreement(&start.agreement_id)?
            .filter(|a| a.role == Role::Consumer)
            .ok_or_else(|| {
                DspFailure::rejected(
                    "unknown_agreement",
                    format!(
                        "agreement {:?} is not an agreement in which this connector is the consumer",
                        start.agreement_id
                    ),
                )
            })?;
        if start.format != TransferFormat::HttpDataPull
            && start.format.direction() != super::format::Direction::Query
            && start.format.direction() != super::format::Direction::Push
        {
            return Err(DspFailure::rejected(
                "unsupported_format",
                "only HttpData-PULL transfers can be started by this connector yet",
            ));
        }
        let negotiation = self.negotiations.get(&agreement.negotiation_id)?;
        let address = match (&start.provider_address, &negotiation) {
            (Some(a), _) => a.clone(),
            (None, Some(n)) => n.counterparty.address.clone(),
            (None, None) => {
                return Err(DspFailure::rejected(
                    "unknown_provider_address",
                    "the provider's DSP address is not known; give it",
                ));
            }
        };
        self.check_address("provider", &address)?;
        let id = new_urn();
        let now = now_ms();
        let purpose = start
            .purpose
            .clone()
            .or_else(|| negotiation.as_ref().and_then(|n| n.purpose.clone()));
        let tck = self.tck.consumer.get(&agreement.id).cloned();
        let mut t = Transfer {
            id: id.clone(),
            role: Role::Consumer,
            provider_pid: None,
            consumer_pid: Some(id.clone()),
            agreement_id: agreement.id.clone(),
            dataset_id: agreement.dataset_id.clone(),
            format: start.format,
            state: TRANSFER.next(None, MessageKind::Request, Role::Consumer)?,
            acknowledged: false,
            counterparty: Counterparty {
                id: agreement.provider.clone(),
                legal_name: agreement.counterparty_name.clone(),
                participant_type: None,
                ags: Vec::new(),
                key: None,
                address,
                tck: tck.is_some(),
            },
            purpose: purpose.clone(),
            spatial_scope: None,
            use_number: None,
            credential: None,
            push: None,
            pull: None,
            files: Vec::new(),
            progress: Default::default(),
            received: Vec::new(),
            deleted_ms: None,
            preparing: false,
            // A query transfer has nothing to fetch: its address is for `connector query`.
            manual_fetch: start.manual_fetch
                || !self.settings.dataplane.fetch_automatically
                || start.format.direction() == super::format::Direction::Query,
            termination: None,
            tck,
            tck_step: 0,
            received_messages: Vec::new(),
            history: Vec::new(),
            created_ms: now,
            updated_ms: now,
        };
        crate::metrics::record_transition("consumer", "REQUESTED");
        let data_address = if start.format.direction() == super::format::Direction::Push {
            let (address, target) = self.push_address(&id, &start);
            t.push = Some(target);
            Some(address)
        } else {
            None
        };
        let mut body = TransferRequestMessage {
            consumer_pid: id.clone(),
            agreement_id: agreement.id.clone(),
            format: start.format.as_str().into(),
            data_address,
            callback_address: self.identity.dsp_base_url.clone(),
        }
        .to_json();
        if let (Some(p), Some(m)) = (&purpose, body.as_object_mut()) {
            m.insert(super::provider::PURPOSE_MEMBER.into(), p.clone().into());
        }
        let mut batch = WriteBatch::new();
        self.record(
            &mut batch,
            &t,
            AuditKind::Transfer,
            format!("Übertragung angefragt ({})", t.format),
            json!({"message": "TransferRequestMessage", "purpose": purpose}),
        );
        self.send(&mut batch, &t, "transfers/request", body, Expect::Created)?;
        self.commit(batch, &t)?;
        t.touch();
        Ok(t)
    }

    /// Consumer: the provider acknowledged the request (its answer named its pid).
    pub(super) async fn acknowledged(
        &self,
        batch: &mut WriteBatch,
        t: &mut Transfer,
        ack: &TransferProcess,
    ) -> Result<(), DspFailure> {
        if t.provider_pid.is_none() {
            t.provider_pid = Some(ack.provider_pid.clone());
        }
        t.acknowledged = true;
        t.touch();
        if let Some(TransferScript::Consumer { on_ack, .. }) = t.tck.clone()
            && let Some(step) = on_ack.first().copied()
        {
            self.tck_step(batch, t, step)?;
        }
        Ok(())
    }

    /// `POST /transfers/{pid}/start`: the provider starts (or either side restarts).
    pub async fn on_start(
        &self,
        caller: &Caller,
        pid: &str,
        msg: TransferStartMessage,
        digest: &str,
    ) -> Result<(), DspFailure> {
        let _guard = self.locks.lock(pid).await;
        let mut t = self.load_for(pid, &caller.id)?;
        if t.seen(digest) {
            return Ok(());
        }
        self.check_pids(&mut t, &msg.provider_pid, &msg.consumer_pid)?;
        let by = t.role.other();
        let mut batch = WriteBatch::new();
        if t.role == Role::Consumer {
            let was = t.state;
            t.allows(MessageKind::Start, by)?;
            if let Some(address) = &msg.data_address {
                t.pull = Some(read_pull_address(address)?);
                if let Some(size) = property(address, "size").and_then(|s| s.parse().ok()) {
                    t.files = vec![super::record::FileInfo {
                        path: String::new(),
                        size,
                        sha256: property(address, "sha256").map(str::to_owned),
                    }];
                    t.progress.total = Some(size);
                }
            } else if was == TransferState::Requested
                && !t.counterparty.tck
                && t.format.direction() != super::format::Direction::Push
            {
                return Err(DspFailure::rejected(
                    "missing_data_address",
                    "the start of a pull transfer must carry dataAddress with the endpoint and token",
                ));
            }
            t.step(MessageKind::Start, by, Vec::new())?;
        } else {
            // The consumer restarts a suspended transfer: evaluated like a new access.
            t.allows(MessageKind::Start, by)?;
            self.refuse_if_revoked(&t)
                .map_err(|d| DspFailure::rejected(d.code, d.summary()))?;
            let decision = super::enforce::decide(
                &self.terms,
                self.agreement_of(&t)?.as_ref(),
                &t,
                t.use_number.unwrap_or(1),
                chrono::Utc::now(),
            );
            if let Err(d) = decision {
                return Err(DspFailure::rejected(d.code, d.summary()));
            }
            // The consumer's restart carries no address: the token of the first start stays
            // valid (suspension does not revoke it; every access checks the state).
            t.step(MessageKind::Start, by, Vec::new())?;
        }
        t.remember(digest.to_owned());
        self.record(
            &mut batch,
            &t,
            AuditKind::Transfer,
            format!("TransferStartMessage von {}", by.as_str()),
            json!({"message": "TransferStartMessage", "by": by.as_str()}),
        );
        if let Some(TransferScript::Consumer { on_start, .. }) = t.tck.clone()
            && t.tck_step == 0
            && let Some(step) = on_start.first().copied()
        {
            t.tck_step = 1;
            self.tck_step(&mut batch, &mut t, step)?;
        }
        self.commit(batch, &t)?;
        self.spawn_fetch_if_automatic(&t);
        // Provider: a push restarted by the consumer continues (see `push`).
        self.spawn_push(&t);
        Ok(())
    }

    /// `POST /transfers/{pid}/suspension|completion|termination`, on either side.
    pub async fn on_step(
        &self,
        caller: &Caller,
        pid: &str,
        kind: MessageKind,
        msg: TransferCodeMessage,
        digest: &str,
    ) -> Result<(), DspFailure> {
        let _guard = self.locks.lock(pid).await;
        let mut t = self.load_for(pid, &caller.id)?;
        if t.seen(digest) {
            return Ok(());
        }
        self.check_pids(&mut t, &msg.provider_pid, &msg.consumer_pid)?;
        let by = t.role.other();
        let reasons = crate::dsp::negotiation::reason_texts(&msg.reason);
        if kind == MessageKind::Completion && self.repeated_push_completion(&t) {
            // Push: accepted before, its answer lost (transfer::push::staging): success again.
            tracing::info!(transfer = %t.id, "repeated completion of a completed push accepted");
            return Ok(());
        }
        if kind == MessageKind::Completion
            && let Some(why) = self.push_incomplete(&t)
        {
            // Push: complete only once every file arrived verified. The refusal is audited
            // (the provider continues the push or terminates, transfer::push::completion).
            let mut batch = WriteBatch::new();
            self.record(
                &mut batch,
                &t,
                AuditKind::PolicyDecision,
                format!("Abschluss des Anbieters abgelehnt: {why}"),
                json!({"decision": "refuse_completion", "code": "data_incomplete",
                       "reason": why}),
            );
            self.commit(batch, &t)?;
            return Err(DspFailure::rejected("data_incomplete", why));
        }
        t.step(kind, by, reasons.clone())?;
        t.remember(digest.to_owned());
        let mut batch = WriteBatch::new();
        if kind == MessageKind::Termination {
            t.set_end(by.as_str(), msg.code.clone(), reasons.clone());
        }
        if t.role == Role::Provider && t.is_terminal() {
            crate::dataplane::token::revoke_all(self.store.as_ref(), &mut batch, &t.id)?;
        }
        self.record(
            &mut batch,
            &t,
            AuditKind::Transfer,
            format!("{kind} von {}", by.as_str()),
            json!({"message": kind.message_type(), "by": by.as_str(), "code": msg.code,
                   "reasons": reasons}),
        );
        self.commit(batch, &t)?;
        tracing::info!(transfer = %t.id, by = by.as_str(), state = %t.state, "transfer step received");
        Ok(())
    }

    /// `GET /transfers/{pid}`.
    pub fn transfer_for(&self, caller: &Caller, pid: &str) -> Result<TransferProcess, DspFailure> {
        Ok(self.load_for(pid, &caller.id)?.to_dsp())
    }

    /// Checks (and on the consumer, learns) the process ids of an incoming message.
    fn check_pids(
        &self,
        t: &mut Transfer,
        provider_pid: &str,
        consumer_pid: &str,
    ) -> Result<(), DspFailure> {
        if t.role == Role::Consumer && t.provider_pid.is_none() {
            if consumer_pid != t.id {
                return Err(DspFailure::rejected(
                    "wrong_pid",
                    format!("consumerPid {consumer_pid:?} is not this transfer's"),
                ));
            }
            t.provider_pid = Some(provider_pid.to_owned());
            t.acknowledged = true;
            return Ok(());
        }
        if Some(provider_pid) != t.provider_pid.as_deref()
            || Some(consumer_pid) != t.consumer_pid.as_deref()
        {
            return Err(DspFailure::rejected(
                "wrong_pid",
                format!(
                    "providerPid {provider_pid:?} / consumerPid {consumer_pid:?} do not name this transfer"
                ),
            ));
        }
        Ok(())
    }

    /// Consumer: starts pulling the data in the background unless the operator fetches
    /// manually, it is a TCK transfer, or a pull is already running.
    pub fn spawn_fetch_if_automatic(&self, t: &Transfer) {
        if t.role != Role::Consumer
            || t.state != TransferState::Started
            || t.manual_fetch
            || t.tck.is_some()
            || t.pull.is_none()
            || t.progress.done_ms.is_some()
        {
            return;
        }
        self.spawn_fetch(&t.id);
    }

    /// Consumer: starts pulling the data in the background (no-op while a pull runs).
    pub fn spawn_fetch(&self, id: &str) -> bool {
        if !self.claim_fetch(id) {
            return false;
        }
        let this = self.clone();
        let id = id.to_owned();
        tokio::spawn(async move {
            this.fetch(&id).await;
            this.release_fetch(&id);
            // A folder pull stopped for good while it was writing keeps nothing.
            if let Ok(Some(t)) = this.get(&id) {
                this.discard_unfinished_pull(&t);
            }
        });
        true
    }

    fn claim_fetch(&self, id: &str) -> bool {
        self.fetching
            .lock()
            .map(|mut s| s.insert(id.to_owned()))
            .unwrap_or(false)
    }

    fn release_fetch(&self, id: &str) {
        if let Ok(mut s) = self.fetching.lock() {
            s.remove(id);
        }
    }

    /// Where a transfer's data is kept while it arrives and after.
    pub fn received_path(&self, t: &Transfer) -> std::path::PathBuf {
        self.settings
            .received_dir
            .join(file_name_for(&t.agreement_id))
            .join(file_name_for(&t.id))
    }

    /// Pulls the data with retries (resuming with Range), verifies it, stores it and
    /// completes the transfer.
    async fn fetch(&self, id: &str) {
        let max = self.settings.dataplane.max_attempts;
        let mut attempt = 0u32;
        let first_byte = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        loop {
            let Ok(Some(t)) = self.get(id) else { return };
            if t.state != TransferState::Started || t.progress.done_ms.is_some() {
                return;
            }
            let Some(cancel) = self.registry.stream(id) else {
                return;
            };
            attempt += 1;
            match self
                .fetch_once(&t, cancel.clone(), first_byte.clone())
                .await
            {
                Ok(files) => {
                    let first = first_byte.load(std::sync::atomic::Ordering::Relaxed);
                    if let Err(e) = self.received(id, files, (first > 0).then_some(first)).await {
                        tracing::warn!(transfer = %id, error = %e, "cannot record the received data");
                    }
                    return;
                }
                Err(PullError::Cancelled) => {
                    // Stopped by a suspension or the end; a restart that came in meanwhile
                    // continues here (resuming the partial file).
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    match self.get(id) {
                        Ok(Some(t)) if t.state == TransferState::Started => continue,
                        _ => return,
                    }
                }
                Err(PullError::Refused {
                    status: 401,
                    code: Some(code),
                    ..
                }) if attempt < max && self.renews_on(id, &code) => {
                    // The token expired (e.g. a resume after its lifetime), or a renewal's
                    // answer was lost: renew, resume.
                    if let Err(e) = self.renew_pull(id).await {
                        let reason = format!("the access token expired and {e}");
                        let _ = self
                            .local_failure(id, &reason)
                            .await
                            .map_err(|e| tracing::warn!(error = %e, "cannot terminate"));
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(transfer = %id, attempt, error = %e, "pull failed");
                    if !e.retriable() || attempt >= max {
                        let reason = e.to_string();
                        let _ = self
                            .local_failure(id, &reason)
                            .await
                            .map_err(|e| tracing::warn!(error = %e, "cannot terminate"));
                        return;
                    }
                    let wait = (200u64 << attempt.min(5)).min(5000);
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
                    }
                }
            }
        }
    }

    async fn fetch_once(
        &self,
        t: &Transfer,
        cancel: tokio_util::sync::CancellationToken,
        first_byte: std::sync::Arc<std::sync::atomic::AtomicI64>,
    ) -> Result<Vec<ReceivedFile>, PullError> {
        let pull = t
            .pull
            .clone()
            .ok_or(PullError::Protocol("no pull address".into()))?;
        let dir = self.received_path(t);
        let registry = self.registry.clone();
        let tid = t.id.clone();
        let caller_token = || {
            self.issuer
                .issue(&t.counterparty.id)
                .map(|jwt| format!("Bearer {jwt}"))
                .map_err(|e| PullError::Protocol(format!("cannot sign the request token: {e}")))
        };
        // What to fetch: the single file (downloaded into place), or every file of the
        // folder's manifest (downloaded into the parts folder, then moved into staging; the
        // folder appears when all are verified, see `pull_folder`).
        let mut plan: Vec<PlannedFile> = Vec::new();
        if pull.folder {
            let manifest = self.manifest(&pull, &caller_token()?).await?;
            self.prepare_pull_staging(t).await?;
            let staging = self.pull_staging_path(t);
            plan.reserve(manifest.len());
            for f in manifest {
                let parts = safe_relative_path(&f.path)
                    .map_err(|e| PullError::Protocol(format!("manifest path {:?} {e}", f.path)))?;
                let url = format!(
                    "{}/files/{}",
                    pull.endpoint.trim_end_matches('/'),
                    parts
                        .iter()
                        .map(|p| crate::client::path_segment(p))
                        .collect::<Vec<_>>()
                        .join("/")
                );
                plan.push(PlannedFile {
                    download: self.pull_part_for(t, &f.path),
                    staged: Some(parts.iter().fold(staging.clone(), |d, p| d.join(p))),
                    stored_at: parts.iter().fold(dir.clone(), |d, p| d.join(p)),
                    path: f.path.clone(),
                    url,
                    expected: Some(f),
                });
            }
        } else {
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| PullError::Io(format!("{}: {e}", dir.display())))?;
            let dest = dir.join(file_name_for(&t.dataset_id));
            plan.push(PlannedFile {
                path: String::new(),
                url: pull.endpoint.clone(),
                download: dest.clone(),
                staged: None,
                stored_at: dest,
                expected: t.files.first().cloned(),
            });
        }
        let total: u64 = plan
            .iter()
            .filter_map(|p| p.expected.as_ref().map(|f| f.size))
            .sum();
        let mut done_bytes = 0u64;
        let mut out = Vec::with_capacity(plan.len());
        for file in plan {
            let PlannedFile {
                path,
                url,
                download,
                staged,
                stored_at,
                expected,
            } = file;
            // Verified in an earlier attempt (staged, or downloaded but not yet moved):
            // kept when size and digest still match.
            let mut kept = None;
            for candidate in staged.iter().chain(std::iter::once(&download)) {
                if let Some(sha) =
                    super::pull_folder::already_verified(candidate, expected.as_ref()).await?
                {
                    kept = Some((candidate.clone(), sha));
                    break;
                }
            }
            if let (Some((at, sha256)), Some(f)) = (kept, &expected) {
                if let Some(staged) = &staged
                    && at != *staged
                {
                    Self::stage_pulled_file(&at, staged).await?;
                }
                done_bytes += f.size;
                out.push(ReceivedFile {
                    stored_at: stored_at.display().to_string(),
                    path,
                    size: f.size,
                    sha256,
                });
                continue;
            }
            if let Some(parent) = download.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| PullError::Io(format!("{}: {e}", parent.display())))?;
            }
            let (registry, tid, fb, base) = (
                registry.clone(),
                tid.clone(),
                first_byte.clone(),
                done_bytes,
            );
            let folder_total = (total > 0).then_some(total);
            let mut progress = move |bytes: u64, file_total: Option<u64>| {
                if fb.load(std::sync::atomic::Ordering::Relaxed) == 0 {
                    fb.store(now_ms(), std::sync::atomic::Ordering::Relaxed);
                }
                registry.set_progress(
                    &tid,
                    crate::dataplane::LiveProgress {
                        bytes: base + bytes,
                        total: folder_total.or(file_total),
                    },
                );
            };
            let outcome = pull_to_file(
                &self.data_client,
                &url,
                &pull.token,
                &caller_token()?,
                &download,
                expected.as_ref().map(|f| f.size),
                expected.as_ref().and_then(|f| f.sha256.clone()),
                &self.settings.dataplane,
                cancel.clone(),
                &mut progress,
            )
            .await?;
            if let Some(staged) = &staged {
                Self::stage_pulled_file(&download, staged).await?;
            }
            done_bytes += outcome.size;
            out.push(ReceivedFile {
                stored_at: stored_at.display().to_string(),
                path,
                size: outcome.size,
                sha256: outcome.sha256,
            });
        }
        Ok(out)
    }

    async fn received(
        &self,
        id: &str,
        files: Vec<ReceivedFile>,
        first_byte_ms: Option<i64>,
    ) -> Result<(), DspFailure> {
        let _guard = self.locks.lock(id).await;
        let Some(mut t) = self.get(id)? else {
            return Ok(());
        };
        if t.pull.as_ref().is_some_and(|p| p.folder) && t.progress.done_ms.is_none() {
            // A folder appears in one rename, only while the transfer still runs.
            if t.state != TransferState::Started {
                self.discard_unfinished_pull(&t);
                return Ok(());
            }
            let rels = files.iter().map(|f| f.path.clone()).collect();
            if let Err(e) = self.place_pulled_folder(&t, rels).await {
                drop(_guard);
                return self
                    .local_failure(
                        id,
                        &format!("the verified folder cannot be moved into place: {e}"),
                    )
                    .await;
            }
        }
        let total: u64 = files.iter().map(|f| f.size).sum();
        t.progress.bytes = total;
        t.progress.total = Some(total);
        t.progress.done_ms = Some(now_ms());
        if t.progress.first_byte_ms.is_none() {
            t.progress.first_byte_ms = first_byte_ms;
        }
        let mut batch = WriteBatch::new();
        self.record(
            &mut batch,
            &t,
            AuditKind::DataReceived,
            format!("{total} Bytes empfangen und geprüft (SHA-256)"),
            json!({"bytes": total, "files": files.iter().map(|f| json!({"stored_at": f.stored_at,
                   "size": f.size, "sha256": f.sha256})).collect::<Vec<_>>()}),
        );
        t.received = files;
        if t.state == TransferState::Started {
            self.send_step(
                &mut batch,
                &mut t,
                MessageKind::Completion,
                None,
                Vec::new(),
            )?;
        }
        Ok(self.commit(batch, &t)?)
    }

    /// Consumer: a pull failed for good; terminates with the reason.
    async fn local_failure(&self, id: &str, reason: &str) -> Result<(), DspFailure> {
        let _guard = self.locks.lock(id).await;
        let Some(mut t) = self.get(id)? else {
            return Ok(());
        };
        if t.state != TransferState::Started {
            return Ok(());
        }
        t.progress.last_error = Some(reason.to_owned());
        let mut batch = WriteBatch::new();
        self.terminate_with(
            &mut batch,
            &mut t,
            "consumer",
            "pull_failed",
            vec![
                format!("Die Daten konnten nicht abgerufen werden: {reason}"),
                format!("The data could not be fetched: {reason}"),
            ],
        )?;
        Ok(self.commit(batch, &t)?)
    }
}

/// One file of a pull: where it is downloaded, staged (a folder's files) and finally kept.
struct PlannedFile {
    /// Its path in the folder (empty for a single file).
    path: String,
    url: String,
    /// The download target (its `.part` file lies next to it).
    download: std::path::PathBuf,
    /// A folder's file: where it waits verified until the folder is complete.
    staged: Option<std::path::PathBuf>,
    /// Where it is once the transfer's data is in place.
    stored_at: std::path::PathBuf,
    expected: Option<FileInfo>,
}

fn property<'a>(address: &'a DataAddress, name: &str) -> Option<&'a str> {
    address
        .endpoint_properties
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

fn read_pull_address(address: &DataAddress) -> Result<PullAddress, DspFailure> {
    let endpoint = address.endpoint.clone().ok_or_else(|| {
        DspFailure::rejected(
            "missing_endpoint",
            "dataAddress.endpoint is required for a pull",
        )
    })?;
    reqwest::Url::parse(&endpoint).map_err(|e| {
        DspFailure::rejected("invalid_endpoint", format!("dataAddress.endpoint: {e}"))
    })?;
    let token = property(address, "authorization")
        .filter(|t| !t.is_empty() && t.len() <= 1024)
        .ok_or_else(|| {
            DspFailure::rejected(
                "missing_token",
                "dataAddress.endpointProperties must carry `authorization` (the access token)",
            )
        })?
        .to_owned();
    let expires_ms = property(address, "expiresAt")
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.timestamp_millis());
    Ok(PullAddress {
        endpoint,
        token,
        expires_ms,
        folder: property(address, "layout") == Some("folder"),
        refresh_endpoint: property(address, crate::dataplane::refresh::REFRESH_ENDPOINT)
            .filter(|e| reqwest::Url::parse(e).is_ok())
            .map(str::to_owned),
        refresh_token: property(address, crate::dataplane::refresh::REFRESH_TOKEN)
            .filter(|t| !t.is_empty() && t.len() <= 1024)
            .map(str::to_owned),
    })
}
