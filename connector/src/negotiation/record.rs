//! The stored form of a contract negotiation and of a concluded agreement.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::contract::ContractText;
use super::state::{MessageKind, NEGOTIATION};
use super::tck::TckScript;
use crate::dsp::negotiation::{ContractNegotiation, NegotiationState};
use crate::process::{InvalidTransition, Role, now_ms};
use crate::store::Record;
use crate::trust::Caller;

/// The other party of a negotiation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counterparty {
    /// Its identifier (DID, or the TCK's participant id).
    pub id: String,
    /// Its legal name, when known from its credential.
    pub legal_name: Option<String>,
    /// Its participant type IRI.
    pub participant_type: Option<String>,
    /// Its municipality keys.
    pub ags: Vec<String>,
    /// The public key its credential binds (JWK), for its agreement signature.
    pub key: Option<Value>,
    /// Where its messages go: the consumer's callback address, or the provider's DSP base URL.
    pub address: String,
    /// True for the TCK.
    pub tck: bool,
}

impl Counterparty {
    /// Takes identity facts from an authenticated caller (keeps the address).
    pub fn learn(&mut self, caller: &Caller) {
        if caller.legal_name.is_some() {
            self.legal_name.clone_from(&caller.legal_name);
        }
        if caller.participant_type.is_some() {
            self.participant_type.clone_from(&caller.participant_type);
        }
        if !caller.ags.is_empty() {
            self.ags.clone_from(&caller.ags);
        }
        if let Some(k) = &caller.key {
            self.key = Some(k.to_jwk_value());
        }
        self.tck = caller.tck;
    }
}

/// One offer or request in the negotiation's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OfferStep {
    /// Who proposed it.
    pub by: Role,
    /// The ODRL policy as sent (DSP JSON, with target, without the contract members).
    pub policy: Value,
    /// The contract text that came with it (provider's offers; the consumer's initial request
    /// records the text its catalog offer published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<ContractText>,
    /// Provider: an operator made this offer (accepting it needs no further approval).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_operator: bool,
    /// When.
    pub at_ms: i64,
}

/// Who ended a negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TerminatedBy {
    /// The provider.
    Provider,
    /// The consumer.
    Consumer,
    /// This connector, because a message could not be delivered or an answer was invalid.
    Delivery,
}

/// Why a negotiation ended without agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Termination {
    /// Who ended it.
    pub by: TerminatedBy,
    /// The code sent or received.
    pub code: Option<String>,
    /// The reasons, as text (German first, then English, when this connector wrote them).
    pub reasons: Vec<String>,
    /// When.
    pub at_ms: i64,
}

/// What the negotiation waits for on this side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Waiting {
    /// Provider: an operator must approve or reject the request.
    Approval,
    /// Consumer: an operator must accept, counter or terminate the provider's offer.
    OfferDecision,
}

/// The outcome of the provider's evaluation of a request, kept for operators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evaluation {
    /// Whether the request is permitted.
    pub permitted: bool,
    /// Reasons (German).
    pub reasons_de: Vec<String>,
    /// Reasons (English).
    pub reasons_en: Vec<String>,
}

/// One state change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// When.
    pub at_ms: i64,
    /// The message that caused it.
    pub message: MessageKind,
    /// Who sent it.
    pub by: Role,
    /// The state after it.
    pub state: NegotiationState,
}

/// A contract negotiation as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Negotiation {
    /// This side's process id (the providerPid on the provider, the consumerPid on the
    /// consumer).
    pub id: String,
    /// This side's role.
    pub role: Role,
    /// The provider's process id, once known.
    pub provider_pid: Option<String>,
    /// The consumer's process id, once known.
    pub consumer_pid: Option<String>,
    /// The state.
    pub state: NegotiationState,
    /// Consumer: the provider has acknowledged the initial request (its pid is known).
    pub acknowledged: bool,
    /// The other party.
    pub counterparty: Counterparty,
    /// The dataset (asset) negotiated about.
    pub dataset_id: String,
    /// The catalog offer the negotiation started from.
    pub offer_id: String,
    /// The purpose the consumer declared.
    pub purpose: Option<String>,
    /// Offers and requests exchanged, oldest first.
    pub offers: Vec<OfferStep>,
    /// The German contract text the negotiation is about (Markdown), when known: the text of
    /// the offer on the table, and once agreed, the agreement's.
    pub contract_markdown: Option<String>,
    /// Its SHA-256.
    pub contract_sha256: Option<String>,
    /// The agreement (DSP JSON with the signatures collected so far).
    pub agreement: Option<Value>,
    /// The agreement summary for the public register the provider proposed
    /// ([`crate::federation::register`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register_summary: Option<Value>,
    /// Why it ended, if terminated.
    pub termination: Option<Termination>,
    /// What this side waits for.
    pub waiting: Option<Waiting>,
    /// The provider's last evaluation of the request.
    pub evaluation: Option<Evaluation>,
    /// Counter-offers the provider has made in this negotiation.
    pub provider_counter_offers: u32,
    /// Consumer: terminate as soon as the provider's pid is known (termination requested
    /// before the acknowledgement).
    pub terminate_on_ack: Option<Vec<String>>,
    /// The scripted behaviour of a TCK scenario.
    pub tck: Option<TckScript>,
    /// Digests of the incoming messages already applied (duplicates are acknowledged again).
    pub received: Vec<String>,
    /// State changes, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Created.
    pub created_ms: i64,
    /// Last changed.
    pub updated_ms: i64,
}

impl Record for Negotiation {
    const SCHEMA_VERSION: u32 = 1;
}

const MAX_HISTORY: usize = 200;
impl Negotiation {
    /// The state the protocol sees: an unacknowledged consumer request counts as REQUESTED.
    pub fn protocol_state(&self) -> NegotiationState {
        self.state
    }

    /// Applies `message` sent by `by`, as the state machine allows, and records it.
    pub fn step(
        &mut self,
        message: MessageKind,
        by: Role,
    ) -> Result<NegotiationState, InvalidTransition> {
        let to = NEGOTIATION.next(Some(self.state), message, by)?;
        self.state = to;
        self.touch();
        if self.history.len() < MAX_HISTORY {
            self.history.push(HistoryEntry {
                at_ms: self.updated_ms,
                message,
                by,
                state: to,
            });
        }
        crate::metrics::record_transition(self.role.as_str(), to.as_str());
        Ok(to)
    }

    /// Checks that `message` from `by` would be allowed now, without changing anything.
    pub fn allows(
        &self,
        message: MessageKind,
        by: Role,
    ) -> Result<NegotiationState, InvalidTransition> {
        NEGOTIATION.next(Some(self.state), message, by)
    }

    /// Marks a change.
    pub fn touch(&mut self) {
        self.updated_ms = now_ms();
    }

    /// Remembers an applied incoming message; true if it was seen before.
    pub fn seen(&self, digest: &str) -> bool {
        crate::process::seen_digest(&self.received, digest)
    }

    /// Records an applied incoming message.
    pub fn remember(&mut self, digest: String) {
        crate::process::remember_digest(&mut self.received, digest);
    }

    /// The DSP view of this negotiation.
    pub fn to_dsp(&self) -> ContractNegotiation {
        ContractNegotiation {
            provider_pid: self.provider_pid.clone().unwrap_or_default(),
            consumer_pid: self.consumer_pid.clone().unwrap_or_default(),
            state: self.protocol_state(),
        }
    }

    /// The latest offer or request.
    pub fn last_offer(&self) -> Option<&OfferStep> {
        self.offers.last()
    }

    /// Records an offer or request, with the contract text that came with it.
    pub fn push_offer(&mut self, by: Role, policy: Value, contract: Option<ContractText>) {
        if self.offers.len() >= MAX_HISTORY {
            // Keep the first step: it holds the published contract text.
            self.offers.remove(1.min(self.offers.len() - 1));
        }
        self.offers.push(OfferStep {
            by,
            policy,
            contract,
            by_operator: false,
            at_ms: now_ms(),
        });
    }

    /// The contract text an agreement concluded now is about: the provider's latest offer's
    /// when that offer is the latest step (the consumer accepts it), otherwise the text the
    /// negotiation started from (a request is agreed only on the published terms). `None`
    /// when not known.
    pub fn agreed_contract(&self) -> Option<&ContractText> {
        match self.offers.last() {
            Some(s) if s.by == Role::Provider => s.contract.as_ref(),
            _ => self.offers.first().and_then(|s| s.contract.as_ref()),
        }
    }

    /// Shows `contract` as the text the negotiation is about now.
    pub fn show_contract(&mut self, contract: Option<&ContractText>) {
        self.contract_markdown = contract.map(|c| c.markdown.clone());
        self.contract_sha256 = contract.map(|c| c.sha256.clone());
    }

    /// Terminates with reasons (the caller has checked the transition).
    pub fn set_terminated(&mut self, by: TerminatedBy, code: Option<String>, reasons: Vec<String>) {
        if self.state != NegotiationState::Terminated {
            crate::metrics::record_transition(self.role.as_str(), "TERMINATED");
        }
        self.state = NegotiationState::Terminated;
        self.waiting = None;
        self.termination = Some(Termination {
            by,
            code,
            reasons,
            at_ms: now_ms(),
        });
        self.touch();
    }
}

/// A concluded agreement as both sides store it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgreementRecord {
    /// The agreement's id.
    pub id: String,
    /// The negotiation that concluded it.
    pub negotiation_id: String,
    /// This side's role.
    pub role: Role,
    /// The provider's identifier (assigner).
    pub provider: String,
    /// The consumer's identifier (assignee).
    pub consumer: String,
    /// The other party's legal name.
    pub counterparty_name: Option<String>,
    /// The dataset.
    pub dataset_id: String,
    /// The agreement with its signatures (DSP JSON).
    pub agreement: Value,
    /// True when both parties' signatures were verified.
    pub fully_signed: bool,
    /// The German contract text (Markdown).
    pub contract_markdown: Option<String>,
    /// Its SHA-256.
    pub contract_sha256: Option<String>,
    /// When the negotiation was finalized.
    pub finalized_ms: i64,
}

impl Record for AgreementRecord {
    const SCHEMA_VERSION: u32 = 1;
}
