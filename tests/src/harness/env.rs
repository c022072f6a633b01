//! One test's environment: its folders, a throw-away CA, the test authority, the message
//! capture, and an HTTPS client trusting the CA.

use std::path::PathBuf;
use std::sync::Arc;

use super::binaries::target_dir;
use super::capture::Capture;
use super::identity::Authority;
use super::pki::{TestCa, roots};

/// Everything a test shares between its connectors and peers.
pub struct TestEnv {
    /// The test's name (folder names).
    pub name: String,
    /// `target/test-connectors/<name>`.
    pub dir: PathBuf,
    /// The CA.
    pub ca: TestCa,
    /// The CA certificate file.
    pub ca_file: PathBuf,
    /// The federation authority.
    pub authority: Authority,
    /// The authority's public key file (JWK).
    pub authority_file: PathBuf,
    /// Message capture.
    pub capture: Arc<Capture>,
    /// An HTTPS client trusting the CA (no client certificate, no token).
    pub http: reqwest::Client,
}

/// The rustls client configuration trusting `ca_pem`.
pub fn client_tls(ca_pem: &str) -> rustls::ClientConfig {
    let mut config = rustls::ClientConfig::builder_with_provider(connector::tls::provider())
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots(ca_pem))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

impl TestEnv {
    /// A fresh environment for the test `name` (its folders are emptied).
    pub fn new(name: &str) -> Self {
        let dir = target_dir().join("test-connectors").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create test folder");
        let ca = TestCa::new();
        let ca_file = dir.join("ca.pem");
        ca.write(&ca_file);
        let authority = Authority::new();
        let authority_file = dir.join("authority.jwk");
        std::fs::write(&authority_file, authority.public_jwk()).expect("write authority key");
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(client_tls(ca.pem()))
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        Self {
            name: name.to_owned(),
            dir,
            capture: Arc::new(Capture::new(name)),
            ca,
            ca_file,
            authority,
            authority_file,
            http,
        }
    }

    /// Serves `app` over HTTPS on `127.0.0.1:port` for the rest of the test, with a
    /// `localhost` certificate from the test CA (files under `<dir>/<name>`): a status list, an
    /// internal data source, a push endpoint — whatever a test plays beside the connectors.
    pub async fn serve_https(&self, name: &str, port: u16, app: axum::Router) {
        let tcp = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        self.serve_https_on(name, tcp, app);
    }

    /// As [`TestEnv::serve_https`] on a port the system picks, bound before it is returned
    /// (a port chosen first and bound later may be taken in between, e.g. as the local port
    /// of a connection); returns the port.
    pub async fn serve_https_on_any_port(&self, name: &str, app: axum::Router) -> u16 {
        let tcp = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind");
        let port = tcp.local_addr().expect("local address").port();
        self.serve_https_on(name, tcp, app);
        port
    }

    fn serve_https_on(&self, name: &str, tcp: tokio::net::TcpListener, app: axum::Router) {
        let cert = self.ca.server(&["localhost"]);
        let dir = self.dir.join(name);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("c.pem"), &cert.cert_pem).expect("cert");
        std::fs::write(dir.join("k.pem"), &cert.key_pem).expect("key");
        let tls =
            connector::tls::server_config(&dir.join("c.pem"), &dir.join("k.pem")).expect("tls");
        tokio::spawn(async move {
            let _ = axum::serve(
                connector::tls::TlsListener::from_tcp(tcp, tls),
                app.into_make_service(),
            )
            .await;
        });
    }
}
