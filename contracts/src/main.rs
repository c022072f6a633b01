//! `contracts`: check and render contract templates, show the Charta, explain evaluations.
//!
//! A tool for legal teams and operators. Every command reads files, never the network.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Fehler / error: {e:#}");
            ExitCode::from(2)
        }
    }
}
