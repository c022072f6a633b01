//! Contract negotiation (DSP 2025-1), provider and consumer side.
//!
//! - [`state`]: the state machine as a table;
//! - [`record`]: the stored negotiation and agreement;
//! - [`contract`]: the contract text that travels with each offer and binds the agreement;
//! - [`Negotiations`]: the service — incoming messages on the provider side (`provider`) and
//!   the consumer side (`consumer`), the provider's decisions (`decision`), operators'
//!   decisions (`local`), and what delivered or undeliverable messages mean (`delivery`);
//! - [`tck`]: scripted behaviour for the TCK scenarios (TCK mode only).
//!
//! Every handler runs under the negotiation's lock, checks the message against the state
//! machine before changing anything, and writes the new state together with the messages it
//! sends in one atomic batch (the outbox). A message received twice (same path and body) is
//! acknowledged again without effect.

mod audit;
mod consumer;
pub mod contract;
mod decision;
mod delivery;
mod local;
mod provider;
pub mod record;
mod service;
pub mod state;
pub mod tck;

pub use consumer::{ConsumerAction, PURPOSE_MEMBER, StartNegotiation};
pub use contract::ContractText;
pub use decision::ProviderAction;
pub use local::{DecisionError, OperatorDecision, TemplateCounter};
pub use record::{AgreementRecord, Negotiation};
pub use service::{DspFailure, NegotiationSettings, Negotiations, message_digest};
