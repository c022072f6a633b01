//! The consumer side: starting negotiations, handling the provider's messages, and the
//! consumer's answers.

use serde_json::Value;

use super::contract::ContractText;
use super::record::{Counterparty, Negotiation, Waiting};
use super::service::{DspFailure, Negotiations};
use super::state::{MessageKind, NEGOTIATION};
use super::tck::{ConsumerScript, ConsumerStep, TckScript};
use crate::dsp::DspMessage;
use crate::dsp::negotiation::{
    ContractAgreementMessage, ContractAgreementVerificationMessage, ContractNegotiation,
    ContractNegotiationEventMessage, ContractOfferMessage, ContractRequestMessage,
    NegotiationEvent,
};
use crate::dsp::policy::MessageOffer;
use crate::outbox::Expect;
use crate::process::{Role, new_urn, now_ms};
use crate::store::WriteBatch;
use crate::trust::Caller;

/// The extension member of a `ContractRequestMessage` declaring the consumer's purpose.
pub const PURPOSE_MEMBER: &str = "https://w3id.org/gemeinwohl-datenraum/ns#purpose";

/// What a consumer needs to start a negotiation.
#[derive(Debug, Clone)]
pub struct StartNegotiation {
    /// The provider's DSP base URL.
    pub provider_address: String,
    /// The provider's identifier (its DID).
    pub provider_id: String,
    /// The dataset.
    pub dataset_id: String,
    /// The offer as listed in the provider's catalog (with `@id`).
    pub offer: Value,
    /// The purpose declared to the provider (IRI or prefixed name).
    pub purpose: Option<String>,
    /// The German contract text from the catalog, if the provider published one.
    pub contract_markdown: Option<String>,
    /// Its SHA-256 as published.
    pub contract_sha256: Option<String>,
    /// TCK mode: the scenario's script.
    pub tck: Option<ConsumerScript>,
}

/// A consumer's answer chosen locally (by an operator or a script).
#[derive(Debug, Clone, PartialEq)]
pub enum ConsumerAction {
    /// Nothing now.
    Wait,
    /// Accept the provider's offer.
    Accept,
    /// Request again with these terms (a counter-offer).
    Counter(Value),
    /// Countersign and verify the agreement.
    Verify,
    /// Terminate with a code and reasons.
    Terminate(String, Vec<String>),
}

fn from_script(step: ConsumerStep, n: &Negotiation) -> ConsumerAction {
    match step {
        ConsumerStep::Wait => ConsumerAction::Wait,
        ConsumerStep::Accept => ConsumerAction::Accept,
        ConsumerStep::Counter => ConsumerAction::Counter(
            n.offers
                .iter()
                .rev()
                .find(|s| s.by == Role::Consumer)
                .or(n.last_offer())
                .map(|s| s.policy.clone())
                .unwrap_or(Value::Null),
        ),
        ConsumerStep::Verify => ConsumerAction::Verify,
        ConsumerStep::Terminate => ConsumerAction::Terminate(
            "tck".into(),
            vec![
                "Vom TCK-Szenario vorgesehen.".into(),
                "Scripted by the TCK scenario.".into(),
            ],
        ),
    }
}

/// Splits a provider's offer into its ODRL policy and the contract text sent with it (hash
/// recomputed; a mismatch refuses the message).
fn offer_and_contract(offer: &Value) -> Result<(Value, Option<ContractText>), DspFailure> {
    let contract = ContractText::read(offer)
        .map_err(|reason| DspFailure::rejected("contract_text_mismatch", reason))?;
    let mut policy = offer.clone();
    ContractText::detach(&mut policy);
    Ok((policy, contract))
}

fn script(n: &Negotiation) -> Option<ConsumerScript> {
    match n.tck {
        Some(TckScript::Consumer(s)) => Some(s),
        _ => None,
    }
}

impl Negotiations {
    /// Starts a negotiation as consumer: stores it and queues the contract request.
    pub async fn start(&self, start: StartNegotiation) -> Result<Negotiation, DspFailure> {
        self.check_address("provider", &start.provider_address)?;
        let offer_id = start
            .offer
            .get("@id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let policy = crate::assets::message_offer(&start.offer, &offer_id, &start.dataset_id);
        let offer = MessageOffer::parse_with_target(&policy, "offer")?;
        let id = new_urn();
        let now = now_ms();
        let mut n = Negotiation {
            id: id.clone(),
            role: Role::Consumer,
            provider_pid: None,
            consumer_pid: Some(id.clone()),
            state: NEGOTIATION.next(None, MessageKind::Request, Role::Consumer)?,
            acknowledged: false,
            counterparty: Counterparty {
                id: start.provider_id.clone(),
                legal_name: None,
                participant_type: None,
                ags: Vec::new(),
                key: None,
                address: start.provider_address.clone(),
                tck: start.tck.is_some(),
            },
            dataset_id: start.dataset_id.clone(),
            offer_id,
            purpose: start.purpose.clone(),
            offers: Vec::new(),
            contract_markdown: start.contract_markdown.clone(),
            contract_sha256: start.contract_sha256.clone(),
            agreement: None,
            register_summary: None,
            termination: None,
            waiting: None,
            evaluation: None,
            provider_counter_offers: 0,
            terminate_on_ack: None,
            tck: start.tck.map(TckScript::Consumer),
            received: Vec::new(),
            history: Vec::new(),
            created_ms: now,
            updated_ms: now,
        };
        crate::metrics::record_transition("consumer", "REQUESTED");
        let published = match (&start.contract_markdown, &start.contract_sha256) {
            (Some(text), Some(sha)) => Some(ContractText::published(text.clone(), sha.clone())),
            _ => None,
        };
        n.push_offer(Role::Consumer, policy, published);
        let mut body = ContractRequestMessage {
            consumer_pid: id.clone(),
            provider_pid: None,
            offer,
            callback_address: Some(self.identity.dsp_base_url.clone()),
        }
        .to_json();
        if let (Some(p), Value::Object(m)) = (&start.purpose, &mut body) {
            m.insert(PURPOSE_MEMBER.into(), p.clone().into());
        }
        let _guard = self.locks.lock(&id).await;
        let mut batch = WriteBatch::new();
        self.send(
            &mut batch,
            &n,
            "negotiations/request",
            body,
            Expect::Created,
        )?;
        self.commit(batch, &n)?;
        tracing::info!(negotiation = %n.id, provider = %n.counterparty.id, dataset = %n.dataset_id, "contract request queued");
        Ok(n)
    }

    /// The provider acknowledged our request (its answer names its process id).
    pub(super) fn acknowledged(
        &self,
        batch: &mut WriteBatch,
        n: &mut Negotiation,
        ack: &ContractNegotiation,
    ) -> Result<(), DspFailure> {
        if n.provider_pid.is_none() {
            n.provider_pid = Some(ack.provider_pid.clone());
        }
        n.acknowledged = true;
        n.touch();
        let pending = n.terminate_on_ack.take();
        let scripted = script(n).map(|s| s.on_acknowledged);
        if n.state.is_terminal() {
            return Ok(());
        }
        if let Some(reasons) = pending {
            self.send_termination(batch, n, "terminated_by_consumer".into(), reasons)?;
        } else if scripted == Some(ConsumerStep::Terminate) {
            let action = from_script(ConsumerStep::Terminate, n);
            self.act_as_consumer(batch, n, action)?;
        }
        Ok(())
    }

    /// `POST /negotiations/offers`: a provider starts a negotiation with an offer.
    pub async fn on_initial_offer(
        &self,
        caller: &Caller,
        msg: ContractOfferMessage,
        digest: &str,
    ) -> Result<ContractNegotiation, DspFailure> {
        if msg.consumer_pid.is_some() {
            return Err(DspFailure::rejected(
                "wrong_endpoint",
                "an offer naming a consumerPid continues a negotiation: POST it to /negotiations/{consumerPid}/offers",
            ));
        }
        let callback = msg.callback_address.clone().unwrap_or_default();
        self.check_address("callbackAddress", &callback)?;
        let index = Self::index_key(&caller.id, &msg.provider_pid);
        let _guard = self.locks.lock(&index).await;
        if let Some(existing) = self.store.get_raw(&index)? {
            let id = String::from_utf8_lossy(&existing).into_owned();
            let n = self.get(&id)?.ok_or(DspFailure::NotFound)?;
            if n.seen(digest) {
                let mut ack = n.to_dsp();
                ack.state = crate::dsp::negotiation::NegotiationState::Offered;
                return Ok(ack);
            }
            return Err(DspFailure::rejected(
                "duplicate_provider_pid",
                format!(
                    "providerPid {} is already used by another negotiation",
                    msg.provider_pid
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
            role: Role::Consumer,
            provider_pid: Some(msg.provider_pid.clone()),
            consumer_pid: Some(id.clone()),
            state: NEGOTIATION.next(None, MessageKind::Offer, Role::Provider)?,
            acknowledged: true,
            counterparty,
            dataset_id: msg.offer.target.clone().unwrap_or_default(),
            offer_id: msg.offer.id.clone(),
            purpose: None,
            offers: Vec::new(),
            contract_markdown: None,
            contract_sha256: None,
            agreement: None,
            register_summary: None,
            termination: None,
            waiting: Some(Waiting::OfferDecision),
            evaluation: None,
            provider_counter_offers: 0,
            terminate_on_ack: None,
            tck: None,
            received: Vec::new(),
            history: Vec::new(),
            created_ms: now,
            updated_ms: now,
        };
        crate::metrics::record_transition("consumer", "OFFERED");
        n.remember(digest.to_owned());
        let (policy, contract) = offer_and_contract(&msg.offer.json)?;
        n.show_contract(contract.as_ref());
        n.push_offer(Role::Provider, policy, contract);
        let ack = n.to_dsp();
        let mut batch = WriteBatch::new();
        batch.put_raw(index, id.into_bytes());
        self.commit(batch, &n)?;
        tracing::info!(negotiation = %n.id, provider = %n.counterparty.id, "offer received; waiting for an operator's decision");
        Ok(ack)
    }

    /// `POST /negotiations/{consumerPid}/offers`.
    pub async fn on_offer(
        &self,
        caller: &Caller,
        pid: &str,
        msg: ContractOfferMessage,
        digest: &str,
    ) -> Result<(), DspFailure> {
        let _guard = self.locks.lock(pid).await;
        let mut n = self.load_for(pid, caller, Some(Role::Consumer))?;
        if n.seen(digest) {
            return Ok(());
        }
        let consumer_pid = msg.consumer_pid.clone().unwrap_or_default();
        self.check_message_pids(&mut n, &msg.provider_pid, &consumer_pid)?;
        let (policy, contract) = offer_and_contract(&msg.offer.json)?;
        n.step(MessageKind::Offer, Role::Provider)?;
        n.remember(digest.to_owned());
        n.counterparty.learn(caller);
        let ours = n
            .offers
            .iter()
            .rev()
            .find(|s| s.by == Role::Consumer)
            .map(|s| s.policy.clone());
        n.show_contract(contract.as_ref());
        n.push_offer(Role::Provider, policy, contract);
        let action = match script(&n) {
            Some(s) => from_script(s.on_offer, &n),
            None => match ours {
                // The provider offers what we asked for, with the text published for it:
                // accept. Another text is for an operator to read first.
                Some(ours)
                    if self.terms.same_terms(&ours, &msg.offer.json).is_ok()
                        && self.same_text_as_published(&n) =>
                {
                    ConsumerAction::Accept
                }
                _ => ConsumerAction::Wait,
            },
        };
        if action == ConsumerAction::Wait {
            n.waiting = Some(Waiting::OfferDecision);
        }
        let mut batch = self.superseding_batch(&n, false)?;
        self.act_as_consumer(&mut batch, &mut n, action)?;
        self.commit(batch, &n)?;
        Ok(())
    }

    /// `POST /negotiations/{consumerPid}/agreement`.
    pub async fn on_agreement(
        &self,
        caller: &Caller,
        pid: &str,
        msg: ContractAgreementMessage,
        digest: &str,
    ) -> Result<(), DspFailure> {
        let _guard = self.locks.lock(pid).await;
        let mut n = self.load_for(pid, caller, Some(Role::Consumer))?;
        if n.seen(digest) {
            return Ok(());
        }
        self.check_message_pids(&mut n, &msg.provider_pid, &msg.consumer_pid)?;
        n.allows(MessageKind::Agreement, Role::Provider)?;
        if !caller.tck {
            self.check_agreement(&n, caller, &msg.agreement.json)?;
        }
        n.step(MessageKind::Agreement, Role::Provider)?;
        n.remember(digest.to_owned());
        n.counterparty.learn(caller);
        n.waiting = None;
        if !caller.tck {
            // The agreement is about the accepted offer's text (checked above).
            let agreed = n.agreed_contract().cloned();
            if agreed.is_some() {
                n.show_contract(agreed.as_ref());
            }
        }
        n.agreement = Some(msg.agreement.json.clone());
        n.register_summary = msg.register_summary.clone();
        let action = match script(&n) {
            Some(s) => from_script(s.on_agreement, &n),
            None => ConsumerAction::Verify,
        };
        let mut batch = self.superseding_batch(&n, false)?;
        self.act_as_consumer(&mut batch, &mut n, action)?;
        self.commit(batch, &n)?;
        Ok(())
    }

    /// Checks a provider's agreement before acknowledging it: parties, dataset, the terms of
    /// the latest offer, the contract text and the provider's signature.
    fn check_agreement(
        &self,
        n: &Negotiation,
        caller: &Caller,
        agreement: &Value,
    ) -> Result<(), DspFailure> {
        let refuse = |reason: String| DspFailure::rejected("agreement_invalid", reason);
        let signed = self
            .terms
            .read_agreement(agreement)
            .map_err(|e| refuse(e.to_string()))?;
        let a = &signed.agreement;
        if a.provider() != n.counterparty.id {
            return Err(refuse(format!(
                "agreement.assigner {:?} is not the provider {:?}",
                a.provider(),
                n.counterparty.id
            )));
        }
        if a.consumer() != self.identity.did {
            return Err(refuse(format!(
                "agreement.assignee {:?} is not this consumer {:?}",
                a.consumer(),
                self.identity.did
            )));
        }
        if a.policy.target.as_deref() != Some(n.dataset_id.as_str()) {
            return Err(refuse(format!(
                "agreement.target is not the dataset {:?}",
                n.dataset_id
            )));
        }
        if let Some(latest) = n.last_offer() {
            self.terms
                .same_terms(&latest.policy, agreement)
                .map_err(|e| {
                    refuse(format!(
                        "the agreement's terms differ from the latest offer: {e}"
                    ))
                })?;
        }
        match (n.agreed_contract(), n.last_offer()) {
            // The text of the offer accepted (or published, for an agreed request), whose hash
            // was recomputed when it arrived.
            (Some(text), _) => text.check_named_by(&a.contract).map_err(refuse)?,
            (None, Some(step)) if step.by == Role::Provider => {
                if !a.contract.contract_sha256.is_empty() {
                    return Err(refuse(format!(
                        "the agreement names contract text {} but the accepted offer carried no contract text",
                        a.contract.contract_sha256
                    )));
                }
            }
            _ => {
                if let Some(sha) = &n.contract_sha256
                    && &a.contract.contract_sha256 != sha
                {
                    return Err(refuse(format!(
                        "the agreement names contract text {} but the offer published {sha}",
                        a.contract.contract_sha256
                    )));
                }
            }
        }
        let key = caller
            .key
            .as_ref()
            .ok_or_else(|| refuse("the provider's credential binds no key".into()))?;
        self.terms
            .verify_party(&signed, contracts::agreement::Role::Provider, key)
            .map_err(|e| refuse(e.to_string()))?;
        Ok(())
    }

    /// Carries out a consumer action: stages the message and changes the state.
    pub(super) fn act_as_consumer(
        &self,
        batch: &mut WriteBatch,
        n: &mut Negotiation,
        action: ConsumerAction,
    ) -> Result<(), DspFailure> {
        let provider_pid = n.provider_pid.clone().unwrap_or_default();
        match action {
            ConsumerAction::Wait => {}
            ConsumerAction::Accept => {
                n.step(MessageKind::Accepted, Role::Consumer)?;
                n.waiting = None;
                let body = ContractNegotiationEventMessage {
                    provider_pid: provider_pid.clone(),
                    consumer_pid: n.id.clone(),
                    event_type: NegotiationEvent::Accepted,
                }
                .to_json();
                self.send(
                    batch,
                    n,
                    &format!("negotiations/{provider_pid}/events"),
                    body,
                    Expect::Ack,
                )?;
            }
            ConsumerAction::Counter(policy) => {
                let offer = MessageOffer::parse_with_target(&policy, "offer")?;
                n.step(MessageKind::Request, Role::Consumer)?;
                n.waiting = None;
                n.push_offer(Role::Consumer, policy, None);
                // A request is agreed only on the published terms: their text is on the
                // table again.
                let published = n.agreed_contract().cloned();
                n.show_contract(published.as_ref());
                let mut body = ContractRequestMessage {
                    consumer_pid: n.id.clone(),
                    provider_pid: Some(provider_pid.clone()),
                    offer,
                    callback_address: None,
                }
                .to_json();
                if let (Some(p), Value::Object(m)) = (&n.purpose, &mut body) {
                    m.insert(PURPOSE_MEMBER.into(), p.clone().into());
                }
                self.send(
                    batch,
                    n,
                    &format!("negotiations/{provider_pid}/request"),
                    body,
                    Expect::Ack,
                )?;
            }
            ConsumerAction::Verify => {
                let register_signature = self.sign_register_summary(batch, n);
                let signature = self.countersign(n)?;
                n.step(MessageKind::Verification, Role::Consumer)?;
                let body = ContractAgreementVerificationMessage {
                    provider_pid: provider_pid.clone(),
                    consumer_pid: n.id.clone(),
                    signature,
                    register_signature,
                }
                .to_json();
                self.send(
                    batch,
                    n,
                    &format!("negotiations/{provider_pid}/agreement/verification"),
                    body,
                    Expect::Ack,
                )?;
            }
            ConsumerAction::Terminate(code, reasons) => {
                if !n.acknowledged {
                    // The provider's pid is not known yet: terminate as soon as it is.
                    n.allows(MessageKind::Termination, Role::Consumer)?;
                    n.terminate_on_ack = Some(reasons);
                    n.touch();
                } else {
                    self.send_termination(batch, n, code, reasons)?;
                }
            }
        }
        Ok(())
    }

    /// Signs the register summary the provider proposed, when it follows from the agreement
    /// (otherwise logged and not signed: the agreement goes ahead unregistered).
    fn sign_register_summary(&self, batch: &mut WriteBatch, n: &Negotiation) -> Option<String> {
        use crate::federation::register_queue::{RegisterEntry, key};
        let proposal = n.register_summary.as_ref()?;
        let signed = self.terms.read_agreement(n.agreement.as_ref()?).ok()?;
        match crate::federation::register::countersign(
            proposal,
            &signed,
            self.terms.charta(),
            &self.identity.key,
        ) {
            Ok((summary, signature)) => {
                batch.put(
                    key(&summary.agreement_id),
                    &RegisterEntry::signed_as_consumer(summary, signature.clone()),
                );
                Some(signature)
            }
            Err(reason) => {
                tracing::warn!(negotiation = %n.id, %reason, "the register summary is not signed");
                None
            }
        }
    }

    /// Whether the provider's latest offer comes with the text the negotiation started from
    /// (or with none, when none was published).
    fn same_text_as_published(&self, n: &Negotiation) -> bool {
        let published = n.offers.first().and_then(|s| s.contract.as_ref());
        let offered = n.last_offer().and_then(|s| s.contract.as_ref());
        match (published, offered) {
            (Some(p), Some(o)) => p.sha256.eq_ignore_ascii_case(&o.sha256),
            (None, _) => true,
            (Some(_), None) => false,
        }
    }

    /// Adds this consumer's signature to the agreement (none for the TCK's unsigned ones).
    fn countersign(&self, n: &mut Negotiation) -> Result<Option<String>, DspFailure> {
        if n.counterparty.tck {
            return Ok(None);
        }
        let agreement = n.agreement.clone().ok_or_else(|| {
            DspFailure::rejected("no_agreement", "there is no agreement to verify")
        })?;
        let mut signed = self
            .terms
            .read_agreement(&agreement)
            .map_err(|e| DspFailure::rejected("agreement_invalid", e.to_string()))?;
        self.terms
            .countersign(
                &mut signed,
                contracts::agreement::Role::Consumer,
                &self.identity.key,
            )
            .map_err(|e| DspFailure::rejected("agreement_invalid", e.to_string()))?;
        let jws = signed
            .signatures
            .iter()
            .find(|s| s.role == contracts::agreement::Role::Consumer)
            .map(|s| s.jws.clone());
        n.agreement = Some(signed.to_dsp_json());
        Ok(jws)
    }
}
