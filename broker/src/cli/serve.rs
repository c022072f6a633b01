//! `broker serve`: open the database, rebuild the indexes, serve both listeners, sweep expired
//! descriptions, stop cleanly on SIGINT/SIGTERM (the work is [`broker::server::run`]).

use std::path::Path;

use anyhow::Context;
use broker::{BrokerConfig, server};

pub(crate) fn run(config_path: &Path) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BROKER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = BrokerConfig::load(config_path)?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(server::run(config, server::shutdown_signal()))?;
    Ok(())
}
