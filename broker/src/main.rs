//! `broker`: the federation's broker and authority.
//!
//! `broker init` creates the authority key, the admin token and a configuration; `broker serve`
//! runs the service; `broker participants …` lets the operator decide on join requests.

mod cli;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The broker of the municipal data space: authority (onboarding, membership credentials,
/// revocation), catalogue of signed self-descriptions, search, SPARQL, DCAT-AP.de harvest,
/// public register of cooperations, and the catalogue web pages.
#[derive(Debug, Parser)]
#[command(name = "broker", version, about, long_about = None)]
struct Cli {
    /// The configuration file (written by `broker init`).
    #[arg(
        long,
        short,
        global = true,
        env = "BROKER_CONFIG",
        default_value = "broker.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new broker in a directory: authority key (ES256, mode 0600), admin token,
    /// `broker.toml`, and optionally a self-signed TLS certificate for local use.
    ///
    /// Example: broker init --dir /var/lib/broker --public-url https://broker.example.org
    Init(cli::init::InitArgs),
    /// Run the broker: rebuild the indexes from the database, then serve the public and admin
    /// listeners until SIGINT/SIGTERM.
    Serve,
    /// Decide on participants through the admin listener (needs the admin token).
    #[command(subcommand)]
    Participants(cli::participants::ParticipantsCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init(args) => cli::init::run(args),
        Command::Serve => cli::serve::run(&cli.config),
        Command::Participants(cmd) => cli::participants::run(&cli.config, cmd),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("broker: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
