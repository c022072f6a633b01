//! `connector`: the command-line program of the municipal data space connector.
//!
//! `connector init` creates a participant, `connector serve` runs it; every other command
//! talks to the running connector through its management API. The commands live in
//! [`connector::cli`]; this file parses the command line and reports the outcome.

use clap::Parser;
use connector::cli::{Cli, CliError, run};

fn main() {
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
        Ok(()) => {}
        Err(CliError::Partial(message)) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("error: {}", connector::cli::chain(&e));
            std::process::exit(1);
        }
    }
}
