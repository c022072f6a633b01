//! `connector serve`: assembles the connector, starts both listeners and the outbox
//! dispatcher, reports readiness, and shuts down gracefully on SIGTERM or SIGINT.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::app::{App, StartError};
use crate::config::Config;
use crate::outbox::{Dispatcher, ProcessKind};

async fn bind(addr: std::net::SocketAddr, what: &str) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| StartError::Other(format!("cannot listen on {addr} for the {what}: {e}")))
}

/// Runs the connector until SIGTERM or SIGINT.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let started = Instant::now();
    info!("Initializing the connector (database, keys, trust)");
    let app = App::build(config)?;
    info!(did = %app.identity.did, dsp = %app.identity.dsp_base_url, "Identity loaded");
    let shutdown = CancellationToken::new();
    let (dsp, management) = start(app.clone(), shutdown.clone()).await?;
    info!("Starting the outbox dispatcher");
    let dispatcher = Dispatcher::new(
        app.store.clone(),
        &app.outbox,
        app.client.clone(),
        app.config.outbox.clone(),
    )
    .with_handler(ProcessKind::Negotiation, Arc::new(app.negotiations.clone()))
    .with_handler(ProcessKind::Transfer, Arc::new(app.transfers.clone()));
    let dispatcher = tokio::spawn(dispatcher.run(shutdown.clone()));
    info!("Resuming transfers and watching running ones against their agreements");
    tokio::spawn(app.transfers.clone().run_background(shutdown.clone()));
    if let Some(url) = app.config.trust.status_list_url.clone() {
        info!(%url, "Keeping the revocation list current");
        tokio::spawn(crate::trust::revocation::keep_current(
            app.client.clone(),
            url,
            app.verifier.clone(),
            std::time::Duration::from_secs(app.config.trust.status_list_refresh_secs),
            shutdown.clone(),
        ));
    }
    let membership = app.federation.status();
    if membership.is_member() {
        info!(state = membership.state.as_str(), "{}", membership.message);
    } else {
        warn!(state = membership.state.as_str(), "{}", membership.message);
    }
    tokio::spawn(crate::federation::task::run(app.clone(), shutdown.clone()));
    app.ready.store(true, Ordering::Release);
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        dsp = %app.config.dsp.listen,
        management = %app.config.management.listen,
        "Connector ready"
    );
    wait_for_signal().await;
    info!("Shutting down: finishing requests and deliveries in progress");
    app.ready.store(false, Ordering::Release);
    shutdown.cancel();
    for (name, task) in [("DSP listener", dsp), ("management listener", management)] {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(listener = name, error = %e, "listener ended with an error"),
            Err(e) => warn!(listener = name, error = %e, "listener task failed"),
        }
    }
    let _ = dispatcher.await;
    info!("Stopped");
    Ok(())
}

type ListenerTask = tokio::task::JoinHandle<std::io::Result<()>>;

/// Binds and starts both listeners.
pub async fn start(
    app: Arc<App>,
    shutdown: CancellationToken,
) -> Result<(ListenerTask, ListenerTask), StartError> {
    let dsp_router = crate::http::dsp_app(app.clone());
    let management_router = crate::mgmt::management_app(app.clone());
    let dsp_tcp = bind(app.config.dsp.listen, "DSP protocol").await?;
    let management_tcp = bind(app.config.management.listen, "management API").await?;
    if !app.config.management.listen.ip().is_loopback() {
        warn!(listen = %app.config.management.listen, "the management API listens beyond localhost; protect it with a firewall");
    }
    if app.config.tls.terminated_by_proxy {
        warn!(
            "tls.terminated_by_proxy = true: both listeners speak plain HTTP; a TLS-terminating proxy must sit in front"
        );
        let dsp = tokio::spawn(crate::http::serve(dsp_tcp, dsp_router, shutdown.clone()));
        let management = tokio::spawn(crate::http::serve(
            management_tcp,
            management_router,
            shutdown,
        ));
        return Ok((dsp, management));
    }
    let (Some(cert), Some(key)) = (&app.config.tls.cert_file, &app.config.tls.key_file) else {
        return Err(StartError::Other(
            "tls.cert_file and tls.key_file are required".into(),
        ));
    };
    let tls = crate::tls::server_config(&app.config.path(cert), &app.config.path(key))?;
    info!(dsp = %app.config.dsp.listen, management = %app.config.management.listen, "Listening with TLS");
    let dsp = tokio::spawn(crate::http::serve(
        crate::tls::TlsListener::from_tcp(dsp_tcp, tls.clone()),
        dsp_router,
        shutdown.clone(),
    ));
    let management = tokio::spawn(crate::http::serve(
        crate::tls::TlsListener::from_tcp(management_tcp, tls),
        management_router,
        shutdown,
    ));
    Ok((dsp, management))
}

async fn wait_for_signal() {
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
