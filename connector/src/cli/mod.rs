//! The command-line program's library part: its arguments ([`args`]), the subcommands
//! ([`run`]), the management API client ([`client`]) and the output helpers ([`output`]).
//! The binary (`src/main.rs`) only calls [`main`], which parses the command line and reports
//! the outcome.

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

/// The whole program: parses the command line, runs the command on a multi-threaded runtime
/// and exits with 0 (done), 1 (error, printed with its causes) or 2 (partly done). The
/// `connector` binary is only this call; the tests' sandbox build of the program
/// (`tests/src/bin/sandbox-connector.rs`) is the same call.
pub fn main() -> ! {
    use clap::Parser as _;
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("CONNECTOR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::exit(0),
        Err(CliError::Partial(message)) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("error: {}", chain(&e));
            std::process::exit(1);
        }
    }
}

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
