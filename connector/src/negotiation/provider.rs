//! The provider side: handling the consumer's messages and sending the provider's.

use contracts::agreement::AgreementTerms;
use serde_json::Value;

use super::contract::ContractText;
use super::decision::{ProviderAction, Trigger};
use super::record::{AgreementRecord, Counterparty, Negotiation, TerminatedBy};
use super::service::{DspFailure, Negotiations};
use super::state::{MessageKind, NEGOTIATION};
use super::tck::TckScript;
use crate::assets::Offer;
use crate::dsp::DspMessage;
use crate::dsp::negotiation::{
    ContractAgreementMessage, ContractAgreementVerificationMessage, ContractNegotiation,
    ContractNegotiationEventMessage, ContractNegotiationTerminationMessage, ContractOfferMessage,
    ContractRequestMessage, NegotiationEvent, check_pids,
};
use crate::dsp::policy::{Agreement, MessageOffer};
use crate::outbox::Expect;
use crate::process::{Role, new_urn, now_ms};
use crate::store::{WriteBatch, keys};
use crate::trust::Caller;

impl Negotiations {
    /// `POST /negotiations/request`: a consumer starts a negotiation.
    pub async fn on_request(
        &self,
        caller: &Caller,
        msg: ContractRequestMessage,
        purpose: Option<String>,
        digest: &str,
    ) -> Result<ContractNegotiation, DspFailure> {
        if msg.provider_pid.is_some() {
            return Err(DspFailure::rejected(
                "wrong_endpoint",
                "a request naming a providerPid continues a negotiation: POST it to /negotiations/{providerPid}/request",
            ));
        }
        let callback = msg.callback_address.clone().unwrap_or_default();
        self.check_address("callbackAddress", &callback)?;
        let index = Self::index_key(&caller.id, &msg.consumer_pid);
        let _guard = self.locks.lock(&index).await;
        if let Some(existing) = self.store.get_raw(&index)? {
            let id = String::from_utf8_lossy(&existing).into_owned();
            let n = self.get(&id)?.ok_or(DspFailure::NotFound)?;
            if n.seen(digest) {
                // A repeated delivery of the same request: answer as the first time.
                let mut ack = n.to_dsp();
                ack.state = crate::dsp::negotiation::NegotiationState::Requested;
                return Ok(ack);
            }
            return Err(DspFailure::rejected(
                "duplicate_consumer_pid",
                format!(
                    "consumerPid {} is already used by another negotiation",
                    msg.consumer_pid
                ),
            ));
        }
        let (offer, asset) = self
            .assets
            .visible_offer(&msg.offer.id, caller)?
            .ok_or_else(|| {
                DspFailure::rejected(
                    "unknown_offer",
                    format!(
                        "offer.@id {:?} is not an offer of this connector",
                        msg.offer.id
                    ),
                )
            })?;
        if let Some(target) = &msg.offer.target
            && target != &asset.id
        {
            return Err(DspFailure::rejected(
                "wrong_target",
                format!(
                    "offer.target {target:?} is not the dataset of offer {:?}",
                    offer.id
                ),
            ));
        }
        let id = new_urn();
        let now = now_ms();
        let mut counterparty = Counterparty {
            id: caller.id.clone(),
            legal_name: None,
            participant_type: None,
            ags: Vec::new(),
            key: None,
            address: callback,
            tck: caller.tck,
        };
        counterparty.learn(caller);
        let mut n = Negotiation {
            id: id.clone(),
            role: Role::Provider,
            provider_pid: Some(id.clone()),
            consumer_pid: Some(msg.consumer_pid.clone()),
            state: NEGOTIATION.next(None, MessageKind::Request, Role::Consumer)?,
            acknowledged: true,
            counterparty,
            dataset_id: asset.id.clone(),
            offer_id: offer.id.clone(),
            purpose,
            offers: Vec::new(),
            contract_markdown: Some(offer.contract_markdown.clone()),
            contract_sha256: Some(offer.contract_sha256.clone()),
            agreement: None,
            register_summary: None,
            termination: None,
            waiting: None,
            evaluation: None,
            provider_counter_offers: 0,
            terminate_on_ack: None,
            tck: offer.tck.map(TckScript::Provider),
            received: Vec::new(),
            history: Vec::new(),
            created_ms: now,
            updated_ms: now,
        };
        crate::metrics::record_transition("provider", "REQUESTED");
        n.remember(digest.to_owned());
        n.push_offer(
            Role::Consumer,
            msg.offer.json.clone(),
            Some(ContractText::of_offer(&offer)),
        );
        let ack = n.to_dsp();
        let action = self.decide(&mut n, &offer, caller, Trigger::Request);
        let mut batch = WriteBatch::new();
        batch.put_raw(index, id.into_bytes());
        self.act_as_provider(&mut batch, &mut n, &offer, action)?;
        self.commit(batch, &n)?;
        tracing::info!(negotiation = %n.id, consumer = %n.counterparty.id, dataset = %n.dataset_id, state = %n.state, "contract request received");
        Ok(ack)
    }

    /// `POST /negotiations/{providerPid}/request`: a counter-request.
    pub async fn on_counter_request(
        &self,
        caller: &Caller,
        pid: &str,
        msg: ContractRequestMessage,
        purpose: Option<String>,
        digest: &str,
    ) -> Result<(), DspFailure> {
        let _guard = self.locks.lock(pid).await;
        let mut n = self.load_for(pid, caller, Some(Role::Provider))?;
        if n.seen(digest) {
            return Ok(());
        }
        check_pids(
            msg.provider_pid.as_deref().unwrap_or_default(),
            &msg.consumer_pid,
            Some(pid),
            n.consumer_pid.as_deref().unwrap_or_default(),
        )?;
        n.step(MessageKind::Request, Role::Consumer)?;
        n.remember(digest.to_owned());
        n.counterparty.learn(caller);
        n.push_offer(Role::Consumer, msg.offer.json.clone(), None);
        if purpose.is_some() {
            n.purpose = purpose;
        }
        let offer = self.offer_of(&n)?;
        // A request is agreed only on the published terms: their text is on the table again.
        n.show_contract(Some(&ContractText::of_offer(&offer)));
        let action = self.decide(&mut n, &offer, caller, Trigger::CounterRequest);
        let mut batch = self.superseding_batch(&n, false)?;
        self.act_as_provider(&mut batch, &mut n, &offer, action)?;
        self.commit(batch, &n)?;
        Ok(())
    }

    /// `POST /negotiations/{pid}/events`: ACCEPTED from the consumer (provider side) or
    /// FINALIZED from the provider (consumer side).
    pub async fn on_event(
        &self,
        caller: &Caller,
        pid: &str,
        msg: ContractNegotiationEventMessage,
        digest: &str,
    ) -> Result<(), DspFailure> {
        let _guard = self.locks.lock(pid).await;
        let mut n = self.load_for(pid, caller, None)?;
        if n.seen(digest) {
            return Ok(());
        }
        self.check_message_pids(&mut n, &msg.provider_pid, &msg.consumer_pid)?;
        let kind = match msg.event_type {
            NegotiationEvent::Accepted => MessageKind::Accepted,
            NegotiationEvent::Finalized => MessageKind::Finalized,
        };
        n.step(kind, n.role.other())?;
        n.remember(digest.to_owned());
        n.counterparty.learn(caller);
        let mut batch = self.superseding_batch(&n, false)?;
        match (n.role, kind) {
            (Role::Provider, MessageKind::Accepted) => {
                let offer = self.offer_of(&n)?;
                let action = self.decide(&mut n, &offer, caller, Trigger::Accepted);
                self.act_as_provider(&mut batch, &mut n, &offer, action)?;
            }
            (Role::Consumer, MessageKind::Finalized) => {
                self.record_agreement(&mut batch, &n, None)?;
            }
            _ => {}
        }
        self.commit(batch, &n)?;
        Ok(())
    }

    /// `POST /negotiations/{providerPid}/agreement/verification`.
    pub async fn on_verification(
        &self,
        caller: &Caller,
        pid: &str,
        msg: ContractAgreementVerificationMessage,
        digest: &str,
    ) -> Result<(), DspFailure> {
        let _guard = self.locks.lock(pid).await;
        let mut n = self.load_for(pid, caller, Some(Role::Provider))?;
        if n.seen(digest) {
            return Ok(());
        }
        self.check_message_pids(&mut n, &msg.provider_pid, &msg.consumer_pid)?;
        n.allows(MessageKind::Verification, Role::Consumer)?;
        let fully_signed =
            self.accept_consumer_signature(&mut n, caller, msg.signature.as_deref())?;
        n.step(MessageKind::Verification, Role::Consumer)?;
        n.remember(digest.to_owned());
        let offer = self.offer_of(&n)?;
        let action = self.decide(&mut n, &offer, caller, Trigger::Verified);
        let mut batch = self.superseding_batch(&n, false)?;
        self.act_as_provider(&mut batch, &mut n, &offer, action)?;
        if n.state == crate::dsp::negotiation::NegotiationState::Finalized {
            self.record_agreement(&mut batch, &n, Some(fully_signed))?;
            if fully_signed {
                self.stage_register_entry(
                    &mut batch,
                    &n,
                    caller,
                    msg.register_signature.as_deref(),
                );
            }
        }
        self.commit(batch, &n)?;
        Ok(())
    }

    /// The register summary proposed with the agreement (`None`, logged, when the
    /// agreement does not allow one: the agreement itself goes ahead).
    fn propose_register_summary(&self, agreement: &Value, dataset_id: &str) -> Option<Value> {
        let signed = self.terms.read_agreement(agreement).ok()?;
        let title = match self.assets.asset(dataset_id) {
            Ok(Some(a)) => a.title,
            _ => return None,
        };
        match crate::federation::register::derive(&signed, self.terms.charta(), &title) {
            Ok(summary) => serde_json::to_value(summary).ok(),
            Err(reason) => {
                tracing::info!(dataset = dataset_id, %reason, "no register summary proposed");
                None
            }
        }
    }

    /// Keeps the consumer's signature over the proposed register summary for submission
    /// (in the write that finalizes the negotiation). A missing or bad signature only means
    /// the cooperation is not registered.
    fn stage_register_entry(
        &self,
        batch: &mut WriteBatch,
        n: &Negotiation,
        caller: &Caller,
        signature: Option<&str>,
    ) {
        use crate::federation::register::AgreementSummary;
        use crate::federation::register_queue::{RegisterEntry, key};
        let (Some(proposal), Some(signature), Some(consumer_key)) =
            (&n.register_summary, signature, caller.key.as_ref())
        else {
            return;
        };
        let summary: AgreementSummary = match serde_json::from_value(proposal.clone()) {
            Ok(s) => s,
            Err(_) => return,
        };
        match summary.verify(signature, consumer_key) {
            Ok(()) => {
                batch.put(
                    key(&summary.agreement_id),
                    &RegisterEntry::pending(summary, signature.to_owned()),
                );
            }
            Err(reason) => {
                tracing::warn!(negotiation = %n.id, %reason, "the consumer's register signature does not verify; not registered");
            }
        }
    }

    /// `POST /negotiations/{pid}/termination`, on either side.
    pub async fn on_termination(
        &self,
        caller: &Caller,
        pid: &str,
        msg: ContractNegotiationTerminationMessage,
        digest: &str,
    ) -> Result<(), DspFailure> {
        let _guard = self.locks.lock(pid).await;
        let mut n = self.load_for(pid, caller, None)?;
        if n.seen(digest) {
            return Ok(());
        }
        self.check_message_pids(&mut n, &msg.provider_pid, &msg.consumer_pid)?;
        let by = n.role.other();
        n.step(MessageKind::Termination, by)?;
        n.remember(digest.to_owned());
        let reasons = crate::dsp::negotiation::reason_texts(&msg.reason);
        n.set_terminated(
            match by {
                Role::Provider => TerminatedBy::Provider,
                Role::Consumer => TerminatedBy::Consumer,
            },
            msg.code.clone(),
            reasons,
        );
        tracing::info!(negotiation = %n.id, by = by.as_str(), reasons = ?n.termination.as_ref().map(|t| &t.reasons), "negotiation terminated by the counterparty");
        let batch = self.superseding_batch(&n, true)?;
        self.commit(batch, &n)?;
        Ok(())
    }

    /// `GET /negotiations/{pid}`.
    pub fn negotiation_for(
        &self,
        caller: &Caller,
        pid: &str,
    ) -> Result<ContractNegotiation, DspFailure> {
        Ok(self.load_for(pid, caller, None)?.to_dsp())
    }

    /// The catalog offer a provider-side negotiation is about.
    pub(super) fn offer_of(&self, n: &Negotiation) -> Result<Offer, DspFailure> {
        self.assets.offer(&n.offer_id)?.ok_or_else(|| {
            DspFailure::rejected(
                "offer_withdrawn",
                format!("the offer {} was withdrawn", n.offer_id),
            )
        })
    }

    /// Checks (and on the consumer, learns) the process ids of an incoming message.
    pub(super) fn check_message_pids(
        &self,
        n: &mut Negotiation,
        provider_pid: &str,
        consumer_pid: &str,
    ) -> Result<(), DspFailure> {
        if n.role == Role::Consumer && n.provider_pid.is_none() {
            // The provider's callback overtook its answer to our request.
            check_pids(provider_pid, consumer_pid, None, &n.id)?;
            n.provider_pid = Some(provider_pid.to_owned());
            n.acknowledged = true;
            return Ok(());
        }
        check_pids(
            provider_pid,
            consumer_pid,
            n.provider_pid.as_deref(),
            n.consumer_pid.as_deref().unwrap_or_default(),
        )?;
        Ok(())
    }

    /// Checks the consumer's signature from a verification message and adds it to the
    /// agreement. Returns whether both signatures are verified (false for the TCK, which does
    /// not sign).
    fn accept_consumer_signature(
        &self,
        n: &mut Negotiation,
        caller: &Caller,
        signature: Option<&str>,
    ) -> Result<bool, DspFailure> {
        let Some(agreement) = n.agreement.clone() else {
            return Err(DspFailure::rejected(
                "no_agreement",
                "there is no agreement to verify",
            ));
        };
        let Some(jws) = signature else {
            if caller.tck {
                return Ok(false);
            }
            return Err(DspFailure::rejected(
                "agreement_not_signed",
                format!(
                    "the verification must carry the consumer's signature in {}",
                    crate::dsp::negotiation::SIGNATURE_MEMBER
                ),
            ));
        };
        let mut signed = self
            .terms
            .read_agreement(&agreement)
            .map_err(|e| DspFailure::rejected("agreement_unreadable", e.to_string()))?;
        let kid = vocab::jose::peek_header(jws)
            .ok()
            .and_then(|h| h.kid)
            .unwrap_or_default();
        signed
            .signatures
            .retain(|s| s.role != contracts::agreement::Role::Consumer);
        signed
            .signatures
            .push(contracts::agreement::PartySignature {
                role: contracts::agreement::Role::Consumer,
                kid,
                jws: jws.to_owned(),
            });
        let consumer_key = caller.key.clone().ok_or_else(|| {
            DspFailure::rejected("no_key", "the caller's credential binds no key")
        })?;
        let provider_key = self.identity.key.public_key();
        self.terms
            .verify_both(&signed, &provider_key, &consumer_key)
            .map_err(|e| DspFailure::rejected("signature_invalid", e.to_string()))?;
        n.agreement = Some(signed.to_dsp_json());
        Ok(true)
    }

    /// Carries out a provider action: stages the messages and changes the state.
    pub(super) fn act_as_provider(
        &self,
        batch: &mut WriteBatch,
        n: &mut Negotiation,
        offer: &Offer,
        action: ProviderAction,
    ) -> Result<(), DspFailure> {
        let consumer_pid = n.consumer_pid.clone().unwrap_or_default();
        match action {
            ProviderAction::Wait | ProviderAction::AwaitApproval => {}
            ProviderAction::Offer => self.send_offer(
                batch,
                n,
                offer.message_json(),
                Some(ContractText::of_offer(offer)),
            )?,
            ProviderAction::OfferThenTerminate => {
                self.send_offer(
                    batch,
                    n,
                    offer.message_json(),
                    Some(ContractText::of_offer(offer)),
                )?;
                self.send_termination(
                    batch,
                    n,
                    "tck".into(),
                    vec![
                        "Vom TCK-Szenario vorgesehen.".into(),
                        "Scripted by the TCK scenario.".into(),
                    ],
                )?;
            }
            ProviderAction::Agree => match self.conclude(n, offer) {
                Ok((agreement, contract)) => {
                    // The agreement is about this text: it is the one the records keep.
                    n.show_contract(contract.as_ref());
                    n.step(MessageKind::Agreement, Role::Provider)?;
                    n.waiting = None;
                    let register_summary = if n.counterparty.tck {
                        None
                    } else {
                        self.propose_register_summary(&agreement, &n.dataset_id)
                    };
                    let body = ContractAgreementMessage {
                        provider_pid: n.id.clone(),
                        consumer_pid: consumer_pid.clone(),
                        agreement: Agreement::parse(&agreement, "agreement")?,
                        register_summary: register_summary.clone(),
                    }
                    .to_json();
                    n.register_summary = register_summary;
                    n.agreement = Some(agreement);
                    self.send(
                        batch,
                        n,
                        &format!("negotiations/{consumer_pid}/agreement"),
                        body,
                        Expect::Ack,
                    )?;
                }
                Err(reason) => {
                    tracing::warn!(negotiation = %n.id, %reason, "cannot conclude the agreement");
                    self.send_termination(
                        batch,
                        n,
                        "agreement_failed".into(),
                        vec![
                            format!("Der Vertrag konnte nicht geschlossen werden: {reason}"),
                            format!("The agreement could not be concluded: {reason}"),
                        ],
                    )?;
                }
            },
            ProviderAction::Finalize => {
                n.step(MessageKind::Finalized, Role::Provider)?;
                let body = ContractNegotiationEventMessage {
                    provider_pid: n.id.clone(),
                    consumer_pid: consumer_pid.clone(),
                    event_type: NegotiationEvent::Finalized,
                }
                .to_json();
                self.send(
                    batch,
                    n,
                    &format!("negotiations/{consumer_pid}/events"),
                    body,
                    Expect::Ack,
                )?;
            }
            ProviderAction::Terminate { code, reasons } => {
                self.send_termination(batch, n, code, reasons)?
            }
        }
        Ok(())
    }

    /// Sends an offer (provider side) with its contract text, which the consumer sees and
    /// which the agreement will name if the consumer accepts.
    pub(super) fn send_offer(
        &self,
        batch: &mut WriteBatch,
        n: &mut Negotiation,
        mut policy: Value,
        contract: Option<ContractText>,
    ) -> Result<(), DspFailure> {
        let consumer_pid = n.consumer_pid.clone().unwrap_or_default();
        ContractText::detach(&mut policy);
        let mut sent = policy.clone();
        if let Some(c) = &contract {
            c.attach(&mut sent);
        }
        let offer = MessageOffer::parse_with_target(&sent, "offer")?;
        n.step(MessageKind::Offer, Role::Provider)?;
        n.provider_counter_offers += 1;
        n.show_contract(contract.as_ref());
        n.push_offer(Role::Provider, policy, contract);
        let body = ContractOfferMessage {
            provider_pid: n.id.clone(),
            consumer_pid: Some(consumer_pid.clone()),
            offer,
            callback_address: None,
        }
        .to_json();
        self.send(
            batch,
            n,
            &format!("negotiations/{consumer_pid}/offers"),
            body,
            Expect::Ack,
        )?;
        Ok(())
    }

    /// Sends a termination with reasons (either side) and records it.
    pub(super) fn send_termination(
        &self,
        batch: &mut WriteBatch,
        n: &mut Negotiation,
        code: String,
        reasons: Vec<String>,
    ) -> Result<(), DspFailure> {
        n.allows(MessageKind::Termination, n.role)?;
        let provider_pid = n.provider_pid.clone().unwrap_or_default();
        let consumer_pid = n.consumer_pid.clone().unwrap_or_default();
        let body = ContractNegotiationTerminationMessage {
            provider_pid: provider_pid.clone(),
            consumer_pid: consumer_pid.clone(),
            code: Some(code.clone()),
            reason: reasons.iter().map(|r| Value::String(r.clone())).collect(),
        }
        .to_json();
        let their_pid = match n.role {
            Role::Provider => consumer_pid,
            Role::Consumer => provider_pid,
        };
        n.step(MessageKind::Termination, n.role)?;
        n.set_terminated(
            match n.role {
                Role::Provider => TerminatedBy::Provider,
                Role::Consumer => TerminatedBy::Consumer,
            },
            Some(code),
            reasons,
        );
        self.send(
            batch,
            n,
            &format!("negotiations/{their_pid}/termination"),
            body,
            Expect::Ack,
        )?;
        Ok(())
    }

    /// Builds and signs the agreement for the latest terms; returns it with the contract text
    /// it names: the text of the provider's offer the consumer accepted, or, for an agreed
    /// request, the published offer's.
    fn conclude(
        &self,
        n: &Negotiation,
        offer: &Offer,
    ) -> Result<(Value, Option<ContractText>), String> {
        let contract = match n.last_offer() {
            Some(step) if step.by == Role::Provider => step.contract.clone(),
            _ => Some(ContractText::of_offer(offer)),
        };
        let ours = offer.message_json();
        let request = n
            .offers
            .iter()
            .rev()
            .find(|s| s.by == Role::Consumer)
            .map(|s| s.policy.clone())
            .unwrap_or_else(|| ours.clone());
        let now = chrono::Utc::now();
        let terms = AgreementTerms {
            agreement_id: new_urn(),
            provider: self.identity.did.clone(),
            consumer: n.counterparty.id.clone(),
            target: n.dataset_id.clone(),
            signed_at: now,
            start: now,
            end: None,
            contract: contract
                .as_ref()
                .map(ContractText::reference)
                .unwrap_or_default(),
        };
        // The latest consumer request must carry the offered terms, except when the consumer
        // accepted the provider's own (counter-)offer: then those terms are agreed.
        let (ours, request) = match n.last_offer() {
            Some(step) if step.by == Role::Provider => (step.policy.clone(), step.policy.clone()),
            _ if n.counterparty.tck => (ours.clone(), ours),
            _ => (ours, request),
        };
        self.terms
            .conclude(&ours, &request, terms, &self.identity.key)
            .map(|signed| (signed.to_dsp_json(), contract))
            .map_err(|e| e.to_string())
    }

    /// Stores the agreement of a finalized negotiation.
    pub(super) fn record_agreement(
        &self,
        batch: &mut WriteBatch,
        n: &Negotiation,
        fully_signed: Option<bool>,
    ) -> Result<(), DspFailure> {
        let Some(agreement) = &n.agreement else {
            return Ok(());
        };
        let id = agreement
            .get("@id")
            .and_then(Value::as_str)
            .unwrap_or(&n.id)
            .to_owned();
        let fully_signed = match fully_signed {
            Some(v) => v,
            None => self.both_signatures_hold(n, agreement),
        };
        let (provider, consumer) = match n.role {
            Role::Provider => (self.identity.did.clone(), n.counterparty.id.clone()),
            Role::Consumer => (n.counterparty.id.clone(), self.identity.did.clone()),
        };
        let record = AgreementRecord {
            id: id.clone(),
            negotiation_id: n.id.clone(),
            role: n.role,
            provider,
            consumer,
            counterparty_name: n.counterparty.legal_name.clone(),
            dataset_id: n.dataset_id.clone(),
            agreement: agreement.clone(),
            fully_signed,
            contract_markdown: n.contract_markdown.clone(),
            contract_sha256: n.contract_sha256.clone(),
            finalized_ms: now_ms(),
        };
        batch.put(keys::agreement(&id), &record);
        Ok(())
    }

    fn both_signatures_hold(&self, n: &Negotiation, agreement: &Value) -> bool {
        let Some(their_key) = n
            .counterparty
            .key
            .as_ref()
            .and_then(|k| vocab::jose::PublicKey::from_jwk_value(k).ok())
        else {
            return false;
        };
        let Ok(signed) = self.terms.read_agreement(agreement) else {
            return false;
        };
        let ours = self.identity.key.public_key();
        match n.role {
            Role::Provider => self.terms.verify_both(&signed, &ours, &their_key).is_ok(),
            Role::Consumer => self.terms.verify_both(&signed, &their_key, &ours).is_ok(),
        }
    }
}
