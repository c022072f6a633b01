//! The command-line program's library part: its arguments ([`args`]), the subcommands
//! ([`run`]), the management API client ([`client`]) and the output helpers ([`output`]).
//! The binary (`src/main.rs`) only parses the command line and reports the outcome.

pub mod args;
pub mod client;
mod commands;
mod federation;
pub mod output;
#[cfg(feature = "sandbox")]
pub mod query;
pub mod transfers;

pub use args::Cli;
pub use client::{ManagementClient, chain};
pub use commands::run;

/// A failed management call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The configuration or TLS material is not usable.
    #[error("{0}")]
    Setup(String),
    /// The connector could not be reached.
    #[error(
        "cannot reach the connector's management API at {url}: {message} (is `connector serve` running?)"
    )]
    Connect {
        /// The URL.
        url: String,
        /// The error.
        message: String,
    },
    /// A local input (a file) is not usable.
    #[error("{0}")]
    Input(String),
    /// The command ran but did not reach its goal (e.g. the negotiation was terminated).
    #[error("{0}")]
    Failed(String),
    /// Part of the work was done (e.g. some import rows were refused); exit code 2.
    #[error("{0}")]
    Partial(String),
    /// The API answered with an error.
    #[error("{message} (HTTP {status})")]
    Api {
        /// The status.
        status: u16,
        /// The API's message.
        message: String,
    },
}

impl From<crate::init::InitError> for CliError {
    fn from(e: crate::init::InitError) -> Self {
        CliError::Setup(chain(&e))
    }
}

impl From<crate::import::ImportError> for CliError {
    fn from(e: crate::import::ImportError) -> Self {
        CliError::Input(e.to_string())
    }
}
