//! The broker: the federation's authority (onboarding, membership credentials, revocation),
//! the store of signed self-descriptions, search, SPARQL, the DCAT-AP.de harvest for GovData,
//! the public register of cooperations and the catalogue web pages.
//!
//! See `API.md` for the HTTP API and `README.md` for running it.

pub mod authority;
pub mod config;
pub mod error;
pub mod http;
pub mod index;
pub mod labels;
pub mod metrics;
pub mod secret;
pub mod server;
pub mod service;
pub mod sparql;
pub mod store;

pub use config::BrokerConfig;
pub use error::BrokerError;
pub use service::Broker;
