//! The connector: the service every municipality and data holder runs to take part in the
//! federated data space.
//!
//! It speaks the Eclipse Dataspace Protocol 2025-1 with other connectors (catalog and
//! contract negotiation, provider and consumer side), keeps its state in an embedded store with
//! an outbox so no accepted step is lost, and offers a management API and CLI to its operators.
//!
//! Layers, from the bottom:
//! - [`config`]: the one configuration struct;
//! - [`store`]: the [`store::Store`] trait and its sled implementation;
//! - [`dsp`]: the DSP 2025-1 messages, parsed strictly.

pub mod app;
pub mod assets;
pub mod client;
pub mod config;
pub mod dsp;
pub mod http;
pub mod identity;
pub mod metrics;
pub mod negotiation;
pub mod outbox;
pub mod process;
pub mod store;
pub mod terms;
pub mod tls;
pub mod trust;
