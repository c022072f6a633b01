//! Shared helpers for cross-service tests.
//!
//! - [`harness`]: starting real connectors, playing the other side of DSP conversations,
//!   certificates, identities and message capture.
//! - [`broker`]: starting the real broker, members that join and publish signed
//!   self-descriptions.

pub mod broker;
pub mod harness;
