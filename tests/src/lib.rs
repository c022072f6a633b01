//! Shared helpers for cross-service tests.
//!
//! - [`harness`]: starting real connectors, playing the other side of DSP conversations,
//!   certificates, identities and message capture.

pub mod harness;
