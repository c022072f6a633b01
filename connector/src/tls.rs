//! TLS with rustls and the ring provider: the listeners' server configuration, a listener that
//! completes handshakes off the accept loop, and the trust roots for outgoing calls.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A TLS setup problem (file, PEM or certificate).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The PEM content is not usable.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(String),
}

/// The one crypto provider of the workspace.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Reads every certificate from a PEM file.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certs: Result<Vec<_>, _> = rustls_pemfile::certs(&mut bytes.as_slice()).collect();
    let certs = certs.map_err(|e| TlsError::Pem {
        path: path.display().to_string(),
        message: format!("not a PEM certificate file: {e}"),
    })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: path.display().to_string(),
            message: "contains no certificate".into(),
        });
    }
    Ok(certs)
}

/// Reads the private key from a PEM file (PKCS#8, SEC1 or PKCS#1).
pub fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(path)?;
    rustls_pemfile::private_key(&mut bytes.as_slice())
        .map_err(|e| TlsError::Pem {
            path: path.display().to_string(),
            message: format!("not a PEM key file: {e}"),
        })?
        .ok_or_else(|| TlsError::Pem {
            path: path.display().to_string(),
            message: "contains no private key".into(),
        })
}

/// The server configuration for both listeners (HTTP/2 and HTTP/1.1 by ALPN).
pub fn server_config(
    cert_file: &Path,
    key_file: &Path,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = read_certs(cert_file)?;
    let key = read_key(key_file)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Rustls(format!("certificate and key do not fit: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The roots trusted for outgoing calls: the extra CA files, and the platform bundle when
/// `system_roots` is set (`SSL_CERT_FILE` or `/etc/ssl/certs/ca-certificates.crt`).
pub fn root_store(
    extra_ca_files: &[std::path::PathBuf],
    system_roots: bool,
) -> Result<rustls::RootCertStore, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for file in extra_ca_files {
        for cert in read_certs(file)? {
            roots.add(cert).map_err(|e| TlsError::Pem {
                path: file.display().to_string(),
                message: format!("not a usable CA certificate: {e}"),
            })?;
        }
    }
    if system_roots {
        let bundle = std::env::var_os("SSL_CERT_FILE")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| "/etc/ssl/certs/ca-certificates.crt".into());
        if bundle.exists() {
            let certs = read_certs(&bundle)?;
            // The platform bundle may hold certificates rustls cannot parse; skip those.
            let _ = roots.add_parsable_certificates(certs);
        } else {
            tracing::warn!(bundle = %bundle.display(), "system CA bundle not found; only the configured extra CAs are trusted");
        }
    }
    Ok(roots)
}

/// The client configuration for outgoing calls.
pub fn client_config(roots: rustls::RootCertStore) -> Result<rustls::ClientConfig, TlsError> {
    client_config_with(provider(), roots)
}

fn client_config_with(
    provider: Arc<rustls::crypto::CryptoProvider>,
    roots: rustls::RootCertStore,
) -> Result<rustls::ClientConfig, TlsError> {
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The data plane's provider: the same cipher suites, with AES-128-GCM asked for before
/// AES-256-GCM (the servers here follow the client's order). Both are approved for TLS 1.3
/// (RFC 8446 makes `TLS_AES_128_GCM_SHA256` the one every implementation must have; BSI
/// TR-02102-2 recommends both); AES-128 needs 10 rounds per block instead of 14, which
/// matters when gigabytes are encrypted on one side and decrypted on the other
/// (BENCHMARKS.md, transfer section).
pub fn data_provider() -> Arc<rustls::crypto::CryptoProvider> {
    use rustls::CipherSuite as S;
    let mut provider = rustls::crypto::ring::default_provider();
    // A stable sort: otherwise the default order.
    provider.cipher_suites.sort_by_key(|s| {
        !matches!(
            s.suite(),
            S::TLS13_AES_128_GCM_SHA256
                | S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                | S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        )
    });
    Arc::new(provider)
}

/// The client configuration for the data plane (pulls, pushes, sandbox queries): HTTP/1.1
/// only — one bulk stream per connection gains nothing from HTTP/2's multiplexing and pays
/// for its 16 KiB frames and flow-control windows — and AES-128-GCM first ([`data_provider`];
/// BENCHMARKS.md, transfer section).
pub fn data_client_config(roots: rustls::RootCertStore) -> Result<rustls::ClientConfig, TlsError> {
    let mut config = client_config_with(data_provider(), roots)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A TLS listener for `axum::serve`: accepts TCP connections and completes each handshake in
/// its own task (a slow client cannot stall the others); finished streams are handed over.
pub struct TlsListener {
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
}

impl TlsListener {
    /// Binds `addr` and starts accepting.
    pub async fn bind(
        addr: SocketAddr,
        config: Arc<rustls::ServerConfig>,
    ) -> std::io::Result<Self> {
        let tcp = TcpListener::bind(addr).await?;
        Ok(Self::from_tcp(tcp, config))
    }

    /// Wraps a bound TCP listener.
    pub fn from_tcp(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> Self {
        let local_addr = tcp
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let (tx, incoming) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and similar: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                if tx.is_closed() {
                    break;
                }
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Self {
            incoming,
            local_addr,
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(pair) => pair,
            // The accept task only ends when this listener is dropped; wait forever.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

/// A self-signed certificate and key (PEM) for `names`, as `connector init` writes them.
pub fn self_signed(names: Vec<String>) -> Result<(String, String), TlsError> {
    let cert = rcgen::generate_simple_self_signed(names)
        .map_err(|e| TlsError::Rustls(format!("cannot create a certificate: {e}")))?;
    Ok((cert.cert.pem(), cert.signing_key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_plane_asks_for_aes_128_gcm_first_and_offers_the_same_suites() {
        use rustls::CipherSuite as S;
        let data: Vec<_> = data_provider()
            .cipher_suites
            .iter()
            .map(|s| s.suite())
            .collect();
        let default: Vec<_> = provider().cipher_suites.iter().map(|s| s.suite()).collect();
        assert_eq!(data[0], S::TLS13_AES_128_GCM_SHA256);
        let tls13: Vec<_> = data
            .iter()
            .filter(|s| format!("{s:?}").starts_with("TLS13_"))
            .collect();
        assert_eq!(
            tls13,
            [
                &S::TLS13_AES_128_GCM_SHA256,
                &S::TLS13_AES_256_GCM_SHA384,
                &S::TLS13_CHACHA20_POLY1305_SHA256
            ]
        );
        let (mut a, mut b) = (data.clone(), default);
        a.sort_by_key(|s| u16::from(*s));
        b.sort_by_key(|s| u16::from(*s));
        assert_eq!(a, b);
    }
}
