//! Contract negotiation, provider and consumer side.

pub mod state;
