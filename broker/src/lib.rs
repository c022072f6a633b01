//! The broker: the federation's authority (onboarding, membership credentials, revocation),
//! the store of signed self-descriptions, search, SPARQL, the DCAT-AP.de harvest for GovData,
//! the public register of cooperations and the catalogue web pages.
//!
//! See `API.md` for the HTTP API and `README.md` for running it.

pub mod config;
pub mod error;
pub mod index;
pub mod store;

pub use config::BrokerConfig;
pub use error::BrokerError;
