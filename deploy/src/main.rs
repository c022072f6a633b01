//! `dataspace`: the local launcher of the municipal data space.
//!
//! `dataspace demo` starts a whole data space on this machine — a throw-away CA, the broker,
//! the connectors of Stadt Musterstadt and Stadtwerke Musterstadt, each a real process — and
//! runs the showcase through the services' real interfaces (`deploy::demo`). The hidden
//! `dataspace service` subcommand is how the launcher starts each service from this same
//! binary (`deploy::service`).

use std::path::PathBuf;

use deploy::{demo, service};

use clap::{Parser, Subcommand};

/// The command line.
#[derive(Parser)]
#[command(
    name = "dataspace",
    version,
    about = "The municipal data space on one machine: broker and connectors, the showcase end to end.",
    long_about = "The municipal data space (Kommunaler Datenraum) on one machine.\n\n\
        `dataspace demo` needs no set-up: it creates a throw-away certificate authority, starts \
        the broker and the connectors of Stadt Musterstadt (AGS 09162000) and Stadtwerke \
        Musterstadt as separate processes, and runs the showcase step by step: onboarding with \
        Charta acceptance, a dataset offered under a German contract template, publication, \
        search, the terms, the negotiation, the signed agreement, the public register, the \
        transfer and the audit log."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a local data space and run the showcase; one line per step.
    #[command(
        long_about = "Start a local data space and run the showcase; one line per step.\n\n\
            Everything lives in one folder (a new temporary folder unless --dir is given): the \
            CA (ca.pem), the broker's and each connector's keys, configuration, data folder and \
            log. The folder stays after the demo for inspection.\n\n\
            Exit status: 0 when every step succeeded; 1 when a step failed (the message names \
            it and the underlying error); 130 after Ctrl-C or SIGTERM before the end. With \
            --keep-running the services stay up after the showcase until Ctrl-C; the exit status \
            is still the showcase's. Every service is stopped before the demo exits.",
        after_help = "Examples:\n  cargo run --release --bin dataspace -- demo\n  dataspace demo --keep-running\n  dataspace demo --dir ./datenraum-demo --broker-port 8443"
    )]
    Demo {
        /// The folder to create the data space in (must be empty or absent).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Keep the broker and the connectors running after the showcase, until Ctrl-C.
        #[arg(long)]
        keep_running: bool,
        /// The broker's public port on 127.0.0.1 (default: a free port).
        #[arg(long)]
        broker_port: Option<u16>,
    },
    /// Run one service of the demo (used by `demo` itself; the service stops when its
    /// standard input closes, i.e. when the launcher ends).
    #[command(hide = true)]
    Service {
        /// Which service.
        #[arg(value_enum)]
        kind: service::Kind,
        /// Its configuration file.
        #[arg(long)]
        config: PathBuf,
    },
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Service { kind, config } => {
            if let Err(e) = service::run(kind, &config) {
                eprintln!("error: {e:#}");
                std::process::exit(1);
            }
        }
        Command::Demo {
            dir,
            keep_running,
            broker_port,
        } => {
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
            let options = demo::DemoOptions {
                dir,
                keep_running,
                broker_port,
            };
            if let Err(e) = runtime.block_on(demo::run(options)) {
                match &e {
                    demo::DemoError::Step { step, message } => eprintln!(
                        "Demo abgebrochen bei Schritt „{}“ / demo failed at step {}: {message}",
                        step.de(),
                        step.id()
                    ),
                    _ => eprintln!("dataspace demo: {e}"),
                }
                std::process::exit(e.exit_code());
            }
        }
    }
}
