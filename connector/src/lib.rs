//! The connector: the service every municipality and data holder runs to take part in the
//! federated data space.
//!
//! It speaks the Eclipse Dataspace Protocol 2025-1 with other connectors (catalog and
//! contract negotiation, provider and consumer side), keeps its state in an embedded store with
//! an outbox so no accepted step is lost, and offers a management API and CLI to its operators.
//!
//! Layers, from the bottom:
//! - [`config`]: the one configuration struct; [`identity`]: the participant's DID and keys;
//! - [`store`]: the [`store::Store`] trait and its sled implementation (versioned records,
//!   atomic batches);
//! - [`dsp`]: the DSP 2025-1 messages, parsed strictly;
//! - [`process`]: roles, state-machine tables and per-process locks shared by the protocols;
//! - [`trust`]: request tokens issued and verified (membership credentials, replay cache);
//! - [`terms`]: the use of `contracts` (evaluation, same terms, signed agreements);
//! - [`assets`]: assets, offers and templates, and the catalog a caller may see;
//! - [`negotiation`]: the contract negotiation state machine and both sides' logic;
//! - [`transfer`]: the transfer process; [`dataplane`]: streaming data under enforcement;
//!   [`audit`]: the hash-chained audit log;
//! - [`outbox`] and [`client`]: persisted outgoing messages and their delivery;
//! - [`http`]: the DSP endpoints; [`mgmt`]: the management API; [`dashboard`]: the operator's
//!   web pages on the management port; [`tls`], [`metrics`];
//! - [`federation`]: joining, the own membership as a state, publication at the broker;
//! - [`app`] wires the services, [`serve`] runs them, [`init`] creates a participant,
//!   [`import`] reads inventories and catalogues, [`cli`] helps the command-line program.

pub mod app;
pub mod assets;
pub mod audit;
pub mod cli;
pub mod client;
pub mod config;
pub mod dashboard;
pub mod dataplane;
pub mod dsp;
pub mod federation;
pub mod http;
pub mod identity;
pub mod import;
pub mod init;
pub mod metrics;
pub mod mgmt;
pub mod negotiation;
pub mod outbox;
pub mod process;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod serve;
pub mod store;
pub mod terms;
pub mod tls;
pub mod transfer;
pub mod trust;
