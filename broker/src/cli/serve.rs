//! `broker serve`: open the database, rebuild the indexes, serve both listeners, sweep expired
//! descriptions, stop cleanly on SIGINT/SIGTERM.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use broker::authority::Authority;
use broker::http::{AdminToken, admin_app, app};
use broker::store::{SledStore, Store};
use broker::{Broker, BrokerConfig, server};
use tokio::sync::watch;
use tracing::info;

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
        .block_on(serve(config))
}

async fn serve(config: BrokerConfig) -> anyhow::Result<()> {
    info!(data_dir = %config.data_dir.display(), "Initializing the database");
    let store = Arc::new(SledStore::open(&config.data_dir)?);
    info!("Initializing the authority");
    let authority = Authority::load(
        &config.authority.key_file,
        &config.public_url,
        config.authority.credential_validity_days,
        config.authority.status_list_validity_secs,
    )?;
    info!(did = authority.did(), "authority key loaded");
    let token = AdminToken::new(&config.admin_token()?);
    let tls = if config.tls.behind_proxy {
        tracing::warn!("serving plain HTTP: tls.behind_proxy is set, a proxy must terminate TLS");
        None
    } else {
        let (cert, key) = match (&config.tls.cert_file, &config.tls.key_file) {
            (Some(c), Some(k)) => (c, k),
            _ => anyhow::bail!("tls.cert_file and tls.key_file are required"),
        };
        Some(Arc::new(server::tls_config(cert, key)?))
    };
    let broker = Arc::new(Broker::new(config.clone(), store.clone(), authority)?);

    info!("Rebuilding the indexes from the database");
    let rebuild = {
        let b = broker.clone();
        tokio::task::spawn_blocking(move || b.rebuild()).await??
    };
    info!(
        descriptions = rebuild.descriptions,
        datasets = rebuild.datasets,
        skipped = rebuild.skipped,
        millis = rebuild.millis as u64,
        "indexes ready"
    );

    info!("Initializing the listeners");
    let public = server::bind(config.listen.public).await?;
    let admin = server::bind(config.listen.admin).await?;
    let public_addr = public.local_addr()?;
    let admin_addr = admin.local_addr()?;
    // One machine-readable line for launchers and tests.
    println!("broker listening public={public_addr} admin={admin_addr}");
    info!(%public_addr, %admin_addr, did = broker.authority().did(), "serving");

    let (stop_tx, stop_rx) = watch::channel(false);
    let public_task = tokio::spawn(server::serve(
        public,
        tls.clone(),
        app(broker.clone()),
        stop_rx.clone(),
    ));
    let admin_task = tokio::spawn(server::serve(
        admin,
        tls,
        admin_app(broker.clone(), token),
        stop_rx.clone(),
    ));
    let sweeper = tokio::spawn(sweep(
        broker.clone(),
        config.publication.sweep_interval_secs,
        stop_rx,
    ));

    shutdown_signal().await;
    info!("stopping");
    let _ = stop_tx.send(true);
    let _ = tokio::join!(public_task, admin_task, sweeper);
    store.flush()?;
    info!("stopped");
    Ok(())
}

async fn sweep(broker: Arc<Broker>, every_secs: u64, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(every_secs.max(1)));
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        match broker.blocking(|b| b.expire_silent()).await {
            Ok(removed) if !removed.is_empty() => {
                info!(count = removed.len(), "expired silent descriptions")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "expiry sweep failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
