//! The provider side: a consumer's transfer request, and starting the transfer (evaluating
//! the agreement, issuing the pull token, describing the data).

use serde_json::json;

use super::format::{Direction, HTTP_ENDPOINT_TYPE, TransferFormat};
use super::record::{FileInfo, Transfer, Usage};
use super::service::{Transfers, keys};
use super::state::{MessageKind, TRANSFER};
use super::tck::{TckStep, TransferScript};
use crate::audit::AuditKind;
use crate::dataplane::{Source, file_digest, list_folder, resolve, token};
use crate::dsp::DspMessage;
use crate::dsp::transfer::{
    DataAddress, EndpointProperty, TransferProcess, TransferRequestMessage, TransferStartMessage,
    TransferState,
};
use crate::negotiation::DspFailure;
use crate::negotiation::record::Counterparty;
use crate::outbox::Expect;
use crate::process::{Role, new_urn, now_ms};
use crate::store::WriteBatch;
use crate::trust::Caller;

/// The extension member of a `TransferRequestMessage` declaring the purpose of this use.
pub(super) const PURPOSE_MEMBER: &str = crate::negotiation::PURPOSE_MEMBER;

impl Transfers {
    /// `POST /transfers/request`: a consumer asks for a transfer under an agreement.
    /// `credential`: the membership credential the caller presented (kept so that a later
    /// revocation stops the transfer while it runs).
    pub async fn on_request(
        &self,
        caller: &Caller,
        msg: TransferRequestMessage,
        purpose: Option<String>,
        credential: Option<String>,
        digest: &str,
    ) -> Result<TransferProcess, DspFailure> {
        self.check_address("callbackAddress", &msg.callback_address)?;
        let format = TransferFormat::parse(&msg.format).ok_or_else(|| {
            DspFailure::rejected(
                "unsupported_format",
                format!(
                    "format {:?} is not offered; this connector transfers with {}",
                    msg.format,
                    TransferFormat::ALL.map(|f| f.as_str()).join(", ")
                ),
            )
        })?;
        // Push: where to send, checked before anything is stored.
        let push = match format.direction() {
            Direction::Push => Some(self.push_target(msg.data_address.as_ref())?),
            _ => None,
        };
        let index = Self::index_key(&caller.id, &msg.consumer_pid);
        let _guard = self.locks.lock(&index).await;
        if let Some(existing) = self.store.get_raw(&index)? {
            let id = String::from_utf8_lossy(&existing).into_owned();
            let t = self.get(&id)?.ok_or(DspFailure::NotFound)?;
            if t.seen(digest) {
                let mut ack = t.to_dsp();
                ack.state = TransferState::Requested;
                return Ok(ack);
            }
            return Err(DspFailure::rejected(
                "duplicate_consumer_pid",
                format!(
                    "consumerPid {} is already used by another transfer process",
                    msg.consumer_pid
                ),
            ));
        }
        let agreement = self
            .negotiations
            .agreement(&msg.agreement_id)?
            .filter(|a| a.role == Role::Provider && a.consumer == caller.id)
            .ok_or_else(|| {
                DspFailure::rejected(
                    "unknown_agreement",
                    format!(
                        "agreementId {:?} is not an agreement of this provider with the caller",
                        msg.agreement_id
                    ),
                )
            })?;
        // Personal-adjacent data only through the sandbox (GW-6), never raw.
        super::sandbox::check_format(&self.assets, &agreement.dataset_id, format)?;
        let id = new_urn();
        let now = now_ms();
        let negotiation_purpose = self
            .negotiations
            .get(&agreement.negotiation_id)
            .ok()
            .flatten()
            .and_then(|n| n.purpose);
        let mut counterparty = Counterparty {
            id: caller.id.clone(),
            legal_name: None,
            participant_type: None,
            ags: Vec::new(),
            key: None,
            address: msg.callback_address.clone(),
            tck: caller.tck,
        };
        counterparty.learn(caller);
        let mut t = Transfer {
            id: id.clone(),
            role: Role::Provider,
            provider_pid: Some(id.clone()),
            consumer_pid: Some(msg.consumer_pid.clone()),
            agreement_id: agreement.id.clone(),
            dataset_id: agreement.dataset_id.clone(),
            format,
            state: TRANSFER.next(None, MessageKind::Request, Role::Consumer)?,
            acknowledged: true,
            counterparty,
            purpose: purpose.or(negotiation_purpose),
            spatial_scope: None,
            use_number: None,
            credential,
            push,
            pull: None,
            files: Vec::new(),
            progress: Default::default(),
            received: Vec::new(),
            deleted_ms: None,
            preparing: false,
            manual_fetch: false,
            termination: None,
            tck: self
                .tck
                .provider
                .get(&agreement.id)
                .cloned()
                .map(TransferScript::Provider),
            tck_step: 0,
            received_messages: Vec::new(),
            history: Vec::new(),
            created_ms: now,
            updated_ms: now,
        };
        crate::metrics::record_transition("provider", "REQUESTED");
        t.remember(digest.to_owned());
        let ack = t.to_dsp();
        let mut batch = WriteBatch::new();
        batch.put_raw(index, id.clone().into_bytes());
        self.record(
            &mut batch,
            &t,
            AuditKind::Transfer,
            format!("Übertragung angefragt ({})", t.format),
            json!({"message": "TransferRequestMessage", "format": t.format.as_str(),
                   "purpose": t.purpose}),
        );
        if t.tck.is_some() {
            self.run_tck_steps(&mut batch, &mut t).await?;
        } else {
            t.preparing = true;
        }
        self.commit(batch, &t)?;
        tracing::info!(transfer = %t.id, consumer = %t.counterparty.id, agreement = %t.agreement_id, "transfer requested");
        if t.preparing {
            let this = self.clone();
            tokio::spawn(async move { this.prepare_and_start(&id).await });
        }
        Ok(ack)
    }

    /// Provider: evaluates the agreement, describes the data and sends the start message (or
    /// a termination with the reasons). Runs after the request was acknowledged, and again at
    /// start-up for transfers a crash left preparing.
    pub async fn prepare_and_start(&self, id: &str) {
        if let Err(e) = self.try_prepare_and_start(id).await {
            tracing::warn!(transfer = %id, error = %e, "cannot start the transfer");
        }
    }

    async fn try_prepare_and_start(&self, id: &str) -> Result<(), DspFailure> {
        // Describe the data first, outside the lock (hashing a large file takes a while; the
        // digest is remembered for the next transfer of the same file version).
        let Some(t) = self.get(id)? else {
            return Ok(());
        };
        if !t.preparing {
            return Ok(());
        }
        let described = if t.format.direction() == Direction::Query {
            Ok(Vec::new()) // queries read the source when they run
        } else {
            self.describe_data(&t.dataset_id).await
        };
        let _guard = self.locks.lock(id).await;
        let Some(mut t) = self.get(id)? else {
            return Ok(());
        };
        if !t.preparing || t.state != TransferState::Requested {
            return Ok(());
        }
        t.preparing = false;
        let mut batch = WriteBatch::new();
        let files = match described {
            Ok(files) => files,
            Err(public) => {
                self.terminate_with(
                    &mut batch,
                    &mut t,
                    "provider",
                    "data_unavailable",
                    vec![
                        format!("Die Daten sind nicht verfügbar: {public}"),
                        format!("The data is not available: {public}"),
                    ],
                )?;
                self.commit(batch, &t)?;
                return Ok(());
            }
        };
        t.files = files;
        self.start_as_provider(&mut batch, &mut t)?;
        Ok(self.commit(batch, &t)?)
    }

    /// The files of a dataset with sizes and digests, or what the consumer may be told.
    async fn describe_data(&self, dataset_id: &str) -> Result<Vec<FileInfo>, String> {
        let asset = self
            .assets
            .asset(dataset_id)
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read the asset");
                "internal error".to_owned()
            })?
            .ok_or_else(|| "the dataset was withdrawn".to_owned())?;
        let source = resolve(&asset, &self.config).map_err(|e| {
            tracing::warn!(dataset = %dataset_id, error = %e, "dataset source unavailable");
            e.public_reason().to_owned()
        })?;
        match source {
            Source::File(path) => {
                let d = file_digest(self.store.clone(), &path).await.map_err(|e| {
                    tracing::warn!(error = %e, "cannot hash the dataset");
                    "the provider cannot read this dataset's data right now".to_owned()
                })?;
                Ok(vec![FileInfo {
                    path: String::new(),
                    size: d.size,
                    sha256: Some(d.sha256),
                }])
            }
            Source::Folder(root) => {
                let listed = tokio::task::spawn_blocking(move || list_folder(&root))
                    .await
                    .map_err(|_| "internal error".to_owned())?
                    .map_err(|e| {
                        tracing::warn!(error = %e, "cannot list the dataset's folder");
                        e.public_reason().to_owned()
                    })?;
                let mut files = Vec::with_capacity(listed.len());
                for (rel, abs, _) in listed {
                    let d = file_digest(self.store.clone(), &abs).await.map_err(|e| {
                        tracing::warn!(error = %e, "cannot hash a file of the dataset");
                        "the provider cannot read this dataset's data right now".to_owned()
                    })?;
                    files.push(FileInfo {
                        path: rel,
                        size: d.size,
                        sha256: Some(d.sha256),
                    });
                }
                Ok(files)
            }
            Source::Http { url, authorization } => {
                // Read once to know size and digest (see `dataplane::describe_http`).
                let (size, sha256) = crate::dataplane::describe_http(
                    &self.data_client,
                    &url,
                    authorization.as_ref(),
                    self.settings.dataplane.max_transfer_bytes,
                )
                .await
                .map_err(|e| {
                    tracing::warn!(dataset = %dataset_id, error = %e, "cannot read the internal source");
                    e.public_reason().to_owned()
                })?;
                Ok(vec![FileInfo {
                    path: String::new(),
                    size,
                    sha256: Some(sha256),
                }])
            }
        }
    }

    /// Provider: evaluates the agreement for this use and either starts the transfer (counts
    /// the use, issues a token, sends the start message) or terminates it with the reasons.
    pub(super) fn start_as_provider(
        &self,
        batch: &mut WriteBatch,
        t: &mut Transfer,
    ) -> Result<(), DspFailure> {
        t.allows(MessageKind::Start, Role::Provider)?;
        if let Err(denial) = self.refuse_if_revoked(t) {
            // Revoked after the request: ended instead of started (see `watch`).
            self.record(
                batch,
                t,
                AuditKind::PolicyDecision,
                "Start verweigert: Mitgliedschaft widerrufen".into(),
                json!({"permitted": false, "code": denial.code, "reasons": denial.reasons()}),
            );
            return self.terminate_with(batch, t, "enforcement", denial.code, denial.reasons());
        }
        let query = t.format.direction() == Direction::Query;

        let first_start = t.use_number.is_none() && !query;
        let mut usage: Usage = self.usage(&t.agreement_id)?;
        let use_number = if query {
            super::sandbox::next_query_number(self.store.as_ref(), &t.agreement_id)?
        } else {
            t.use_number.unwrap_or(usage.uses + 1)
        };
        let agreement = self.agreement_of(t)?;
        let decision = super::enforce::decide(
            &self.terms,
            agreement.as_ref(),
            t,
            use_number,
            chrono::Utc::now(),
        );
        let permitted = decision.is_ok();
        self.record(
            batch,
            t,
            AuditKind::PolicyDecision,
            match (query, permitted) {
                (false, true) => format!("Nutzung Nr. {use_number} erlaubt"),
                (false, false) => format!("Nutzung Nr. {use_number} verweigert"),
                (true, true) => {
                    format!("Sandbox-Zugang erlaubt (nächste Abfrage Nr. {use_number})")
                }
                (true, false) => {
                    format!("Sandbox-Zugang verweigert (nächste Abfrage Nr. {use_number})")
                }
            },
            json!({"permitted": permitted, "use_number": use_number,
                   "reasons": decision.as_ref().err().map(|d| d.reasons()).unwrap_or_default()}),
        );
        if let Err(denial) = decision {
            return self.terminate_with(batch, t, "enforcement", denial.code, denial.reasons());
        }
        if first_start {
            usage.uses += 1;
            usage.last_ms = Some(now_ms());
            batch.put(keys::usage(&t.agreement_id), &usage);
            t.use_number = Some(use_number);
        }
        token::revoke_all(self.store.as_ref(), batch, &t.id)?;
        let (secret, expires_ms) = token::issue(
            batch,
            &t.id,
            &t.agreement_id,
            &t.counterparty.id,
            self.settings.dataplane.token_lifetime_secs,
        );
        let address = match t.format.direction() {
            Direction::Query => Some(super::sandbox::query_address(
                &self.settings.data_base_url,
                &t.id,
                &secret,
                expires_ms,
            )),
            Direction::Pull => {
                // Renewable while the transfer runs (`dataplane::refresh`).
                let refresh =
                    token::issue_refresh(batch, &t.id, &t.agreement_id, &t.counterparty.id);
                let mut address = self.pull_address(t, &secret, expires_ms);
                address
                    .endpoint_properties
                    .extend(crate::dataplane::refresh::refresh_properties(
                        &self.settings.data_base_url,
                        &t.id,
                        &refresh,
                    ));
                Some(address)
            }
            // Push: the provider sends; the start message names no address.
            Direction::Push => None,
        };
        t.step(MessageKind::Start, Role::Provider, Vec::new())?;
        let body = TransferStartMessage {
            provider_pid: t.id.clone(),
            consumer_pid: t.consumer_pid.clone().unwrap_or_default(),
            data_address: address,
        }
        .to_json();
        self.record(
            batch,
            t,
            AuditKind::Transfer,
            "Übertragung gestartet, Zugangstoken ausgegeben".into(),
            json!({"message": "TransferStartMessage", "token_expires_ms": expires_ms}),
        );
        let path = format!("transfers/{}/start", t.their_pid());
        self.send(batch, t, &path, body, Expect::Ack)?;
        Ok(())
    }

    /// The data address of a pull transfer's start message.
    fn pull_address(&self, t: &Transfer, token: &str, expires_ms: i64) -> DataAddress {
        let mut props = vec![
            EndpointProperty {
                name: "authorization".into(),
                value: token.to_owned(),
            },
            EndpointProperty {
                name: "authType".into(),
                value: "bearer".into(),
            },
            EndpointProperty {
                name: "expiresAt".into(),
                value: chrono::DateTime::from_timestamp_millis(expires_ms)
                    .unwrap_or_default()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            },
        ];
        let single = t.files.len() == 1 && t.files[0].path.is_empty();
        props.push(EndpointProperty {
            name: "layout".into(),
            value: if single { "file" } else { "folder" }.into(),
        });
        if single {
            props.push(EndpointProperty {
                name: "size".into(),
                value: t.files[0].size.to_string(),
            });
            if let Some(d) = &t.files[0].sha256 {
                props.push(EndpointProperty {
                    name: "sha256".into(),
                    value: d.clone(),
                });
            }
        }
        DataAddress {
            endpoint_type: HTTP_ENDPOINT_TYPE.into(),
            endpoint: Some(format!(
                "{}/{}",
                self.settings.data_base_url.trim_end_matches('/'),
                t.id
            )),
            endpoint_properties: props,
        }
    }

    /// Runs the TCK script's next steps (provider or consumer) until one sends a message.
    pub(super) async fn run_tck_steps(
        &self,
        batch: &mut WriteBatch,
        t: &mut Transfer,
    ) -> Result<(), DspFailure> {
        let steps: Vec<TckStep> = match &t.tck {
            Some(TransferScript::Provider(steps)) => steps.clone(),
            Some(TransferScript::Consumer { .. }) | None => return Ok(()),
        };
        if let Some(step) = steps.get(t.tck_step).copied() {
            t.tck_step += 1;
            self.tck_step(batch, t, step)?;
        }
        Ok(())
    }

    /// Carries out one scripted step.
    pub(super) fn tck_step(
        &self,
        batch: &mut WriteBatch,
        t: &mut Transfer,
        step: TckStep,
    ) -> Result<(), DspFailure> {
        let reasons = vec![
            "Vom TCK-Szenario vorgesehen.".to_owned(),
            "Scripted by the TCK scenario.".to_owned(),
        ];
        match step {
            TckStep::Start if t.role == Role::Provider && t.state == TransferState::Requested => {
                t.files = vec![FileInfo {
                    path: String::new(),
                    size: 0,
                    sha256: None,
                }];
                self.start_as_provider(batch, t)
            }
            TckStep::Start => self.send_step(batch, t, MessageKind::Start, None, Vec::new()),
            TckStep::Suspend => self.send_step(
                batch,
                t,
                MessageKind::Suspension,
                Some("tck".into()),
                reasons,
            ),
            TckStep::Complete => {
                self.send_step(batch, t, MessageKind::Completion, None, Vec::new())
            }
            TckStep::Terminate => {
                let by = t.role.as_str();
                self.terminate_with(batch, t, by, "tck", reasons)
            }
        }
    }
}
