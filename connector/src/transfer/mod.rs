//! Transfer processes (DSP 2025-1), provider and consumer side.
//!
//! - [`state`]: the state machine as a table; [`format`]: the transfer types and what each
//!   means for the two sides;
//! - [`record`]: the stored transfer, an agreement's use count, received files;
//! - [`Transfers`]: the service — incoming messages on the provider side (`provider`) and the
//!   consumer side (`consumer`), operators' steps (`local`), what delivered or undeliverable
//!   messages mean (`delivery`), and enforcement of the agreement at every access and while
//!   data moves ([`enforce`]); `HttpData-PUSH` on both sides ([`push`]);
//! - [`tck`]: scripted behaviour for the TCK scenarios (TCK mode only);
//! - [`sandbox`]: the transfer type `Sandbox-QUERY` (aggregate-only access to personal-adjacent
//!   datasets).
//!
//! As with negotiations, every handler runs under the process's lock, checks the message
//! against the state machine before changing anything, and writes the new state together with
//! the messages it sends and the audit events it records in one atomic batch (the outbox). A
//! message received twice (same path and body) is acknowledged again without effect; a
//! transfer request is idempotent on the consumer's `consumerPid`.

mod consumer;
mod delivery;
pub mod enforce;
pub mod format;
mod local;
mod provider;
mod pull_folder;
pub mod push;
pub mod record;
mod refresh;
pub mod sandbox;
pub mod service;
pub mod state;
pub mod tck;
mod watch;

pub use consumer::StartTransfer;
pub use format::{Direction, TransferFormat};
pub use local::LocalStep;
pub use record::{Transfer, Usage};
pub use service::{TransferSettings, Transfers, TransfersParts, keys};
pub use watch::use_ends;
