//! The hidden `dataspace service broker|connector --config FILE` subcommand: runs one service
//! through its own library entry point (`broker::server::run`, `connector::serve::serve`), so
//! the launcher needs no other binary. The launcher keeps a pipe on this process's standard
//! input; when it closes (the launcher ended, however), the service shuts down gracefully as
//! on SIGTERM.

use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;

/// Which service to run.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    /// The broker and authority.
    Broker,
    /// A connector.
    Connector,
}

/// Sends SIGTERM to this process once standard input reaches its end.
fn stop_when_launcher_goes() {
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while let Ok(n) = stdin.read(&mut sink) {
            if n == 0 {
                break;
            }
        }
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(std::process::id().to_string())
            .status();
    });
}

/// Runs the service until SIGTERM, SIGINT or the end of standard input.
pub fn run(kind: Kind, config: &Path) -> anyhow::Result<()> {
    let variable = match kind {
        Kind::Broker => "BROKER_LOG",
        Kind::Connector => "CONNECTOR_LOG",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env(variable)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tantivy=warn")),
        )
        .with_target(false)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    stop_when_launcher_goes();
    match kind {
        Kind::Broker => {
            let config = broker::BrokerConfig::load(config)?;
            runtime.block_on(broker::server::run(
                config,
                broker::server::shutdown_signal(),
            ))?;
        }
        Kind::Connector => {
            let config = connector::config::Config::load(config)
                .with_context(|| format!("reading {}", config.display()))?;
            runtime
                .block_on(connector::serve::serve(config))
                .map_err(|e| anyhow::anyhow!(connector::cli::chain(&e)))?;
        }
    }
    Ok(())
}
