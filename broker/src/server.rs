//! Serving a router over TLS (rustls with the ring provider) or, when the operator says a proxy
//! terminates TLS, over plain HTTP. One accept loop per listener; HTTP/1.1 and HTTP/2.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use crate::error::BrokerError;

/// Most connections served at once per listener; more wait in the accept queue.
const MAX_CONNECTIONS: usize = 1024;
/// Time a client has for the TLS handshake and for sending request headers.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads a PEM certificate chain.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, BrokerError> {
    let pem = std::fs::read(path)
        .map_err(|e| BrokerError::Config(format!("cannot read {}: {e}", path.display())))?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| BrokerError::Config(format!("{}: bad PEM: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(BrokerError::Config(format!(
            "{}: no certificate found",
            path.display()
        )));
    }
    Ok(certs)
}

/// Reads a PEM private key (PKCS#8, SEC1 or PKCS#1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, BrokerError> {
    let pem = std::fs::read(path)
        .map_err(|e| BrokerError::Config(format!("cannot read {}: {e}", path.display())))?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|e| BrokerError::Config(format!("{}: bad PEM: {e}", path.display())))?
        .ok_or_else(|| BrokerError::Config(format!("{}: no private key found", path.display())))
}

/// The TLS server configuration (ring provider, TLS 1.2 and 1.3, ALPN h2 and http/1.1).
pub fn tls_config(cert_file: &Path, key_file: &Path) -> Result<rustls::ServerConfig, BrokerError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| BrokerError::Config(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(load_certs(cert_file)?, load_key(key_file)?)
        .map_err(|e| BrokerError::Config(format!("TLS certificate and key: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Binds a listener, reporting the address in the error.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, BrokerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| BrokerError::Config(format!("cannot listen on {addr}: {e}")))
}

/// Serves `app` on `listener` until `shutdown` turns true. `tls` is `None` only behind a
/// TLS-terminating proxy.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = tls.map(TlsAcceptor::from);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = shutdown.changed() => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = TowerToHyperService::new(app);
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(HANDSHAKE_TIMEOUT);
            let result = match acceptor {
                Some(acceptor) => {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            builder
                                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                                .await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    }
                }
                None => {
                    builder
                        .serve_connection_with_upgrades(TokioIo::new(tcp), service)
                        .await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}

/// Runs the whole broker until `stop` completes: opens the database, loads the authority key,
/// rebuilds the indexes, serves the public and admin listeners and sweeps expired descriptions;
/// then stops the listeners and flushes the database. This is `broker serve` as a library
/// function, so launchers (the local demo) can run the broker without the `broker` binary.
/// Once both listeners are bound it prints the line
/// `broker listening public=<addr> admin=<addr>` on standard output.
pub async fn run(
    config: crate::BrokerConfig,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), BrokerError> {
    use crate::store::Store;
    tracing::info!(data_dir = %config.data_dir.display(), "Initializing the database");
    let store = Arc::new(crate::store::SledStore::open(&config.data_dir)?);
    tracing::info!("Initializing the authority");
    let authority = crate::authority::Authority::load(
        &config.authority.key_file,
        &config.public_url,
        config.authority.credential_validity_days,
        config.authority.status_list_validity_secs,
    )?;
    tracing::info!(did = authority.did(), "authority key loaded");
    let token = crate::http::AdminToken::new(&config.admin_token()?);
    let tls = if config.tls.behind_proxy {
        tracing::warn!("serving plain HTTP: tls.behind_proxy is set, a proxy must terminate TLS");
        None
    } else {
        let (Some(cert), Some(key)) = (&config.tls.cert_file, &config.tls.key_file) else {
            return Err(BrokerError::Config(
                "tls.cert_file and tls.key_file are required".into(),
            ));
        };
        Some(Arc::new(tls_config(cert, key)?))
    };
    let broker = Arc::new(crate::Broker::new(
        config.clone(),
        store.clone(),
        authority,
    )?);

    tracing::info!("Rebuilding the indexes from the database");
    let rebuild = {
        let b = broker.clone();
        tokio::task::spawn_blocking(move || b.rebuild())
            .await
            .map_err(|e| BrokerError::Index(format!("index rebuild task failed: {e}")))??
    };
    tracing::info!(
        descriptions = rebuild.descriptions,
        datasets = rebuild.datasets,
        skipped = rebuild.skipped,
        millis = rebuild.millis as u64,
        "indexes ready"
    );

    tracing::info!("Initializing the listeners");
    let public = bind(config.listen.public).await?;
    let admin = bind(config.listen.admin).await?;
    let addr = |l: &TcpListener| {
        l.local_addr()
            .map_err(|e| BrokerError::Config(format!("listener address: {e}")))
    };
    let (public_addr, admin_addr) = (addr(&public)?, addr(&admin)?);
    // One machine-readable line for launchers and tests.
    println!("broker listening public={public_addr} admin={admin_addr}");
    tracing::info!(%public_addr, %admin_addr, did = broker.authority().did(), "serving");

    let (stop_tx, stop_rx) = watch::channel(false);
    let public_task = tokio::spawn(serve(
        public,
        tls.clone(),
        crate::http::app(broker.clone()),
        stop_rx.clone(),
    ));
    let admin_task = tokio::spawn(serve(
        admin,
        tls,
        crate::http::admin_app(broker.clone(), token),
        stop_rx.clone(),
    ));
    let sweeper = tokio::spawn(sweep(
        broker.clone(),
        config.publication.sweep_interval_secs,
        stop_rx,
    ));

    stop.await;
    tracing::info!("stopping");
    let _ = stop_tx.send(true);
    let _ = tokio::join!(public_task, admin_task, sweeper);
    store.flush()?;
    tracing::info!("stopped");
    Ok(())
}

async fn sweep(broker: Arc<crate::Broker>, every_secs: u64, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(every_secs.max(1)));
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        match broker.blocking(|b| b.expire_silent()).await {
            Ok(removed) if !removed.is_empty() => {
                tracing::info!(count = removed.len(), "expired silent descriptions")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "expiry sweep failed"),
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
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
