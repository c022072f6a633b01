//! The connector's side of the federation: joining through the broker's authority, its own
//! membership as a state (not a start-up error), publishing the signed self-description, and
//! keeping all of it current while the connector runs.
//!
//! - [`config`]: the `[federation]` section of `connector.toml`;
//! - [`broker`]: calls to the broker's public API;
//! - [`local`]: what joining leaves in the data folder (join record, credential file);
//! - [`join`]: `connector join` — pin the authority, accept the Charta, apply, store the
//!   credential;
//! - [`membership`]: the own credential checked as counterparties check it, and the state
//!   operators see;
//! - [`state`]: the running connector's view of its membership, renewed from the files;
//! - [`description`] and [`policy_graph`]: the self-description (participant, data service,
//!   assets with their offers' ODRL terms), DCAT-AP.de valid;
//! - [`publish`]: publication, refresh, retries with back-off, withdrawal;
//! - [`register`]: the agreement summary both parties sign for the public register, and
//!   its submission;
//! - [`task`]: the background loop that ties them together;
//! - [`mgmt`]: the management endpoints (`/api/v1/federation…`).

pub mod broker;
pub mod config;
pub mod description;
mod error;
pub mod join;
pub mod local;
pub mod membership;
pub mod mgmt;
pub mod policy_graph;
pub mod publish;
pub mod register;
pub mod register_queue;
pub mod state;
pub mod task;

pub use config::{ContactConfig, FederationConfig};
pub use error::FederationError;
pub use state::Federation;
