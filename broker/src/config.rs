//! The broker's configuration: one documented struct read from TOML, secrets from files or
//! environment variables, defaults for everything that has a sensible one.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::BrokerError;

/// Environment variable that overrides the admin token (takes precedence over `admin.token_file`).
pub const ADMIN_TOKEN_ENV: &str = "BROKER_ADMIN_TOKEN";

/// The whole configuration (`broker.toml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerConfig {
    /// Public base URL of the broker (`https://broker.example`); the authority's `did:web` is
    /// derived from it and it prefixes every link the broker publishes.
    pub public_url: String,
    /// Directory of the sled database. Relative paths are read relative to the config file.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Approve every join request at once (development and demos only).
    #[serde(default)]
    pub dev_auto_approve: bool,
    /// Listener addresses.
    #[serde(default)]
    pub listen: ListenConfig,
    /// TLS material for both listeners.
    #[serde(default)]
    pub tls: TlsConfig,
    /// The operator's admin API.
    #[serde(default)]
    pub admin: AdminConfig,
    /// The federation's authority (membership credentials, status list).
    #[serde(default)]
    pub authority: AuthorityConfig,
    /// Self-description publication.
    #[serde(default)]
    pub publication: PublicationConfig,
    /// The SPARQL endpoint's limits.
    #[serde(default)]
    pub sparql: SparqlConfig,
}

/// Where the two listeners bind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenConfig {
    /// Public listener (connectors, portals, browsers).
    #[serde(default = "default_public_addr")]
    pub public: SocketAddr,
    /// Admin listener (operator CLI); keep it on localhost.
    #[serde(default = "default_admin_addr")]
    pub admin: SocketAddr,
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self {
            public: default_public_addr(),
            admin: default_admin_addr(),
        }
    }
}

/// TLS: PEM files, or an explicit statement that a proxy terminates TLS.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chain (PEM), leaf first.
    pub cert_file: Option<PathBuf>,
    /// Private key (PEM, PKCS#8 or SEC1).
    pub key_file: Option<PathBuf>,
    /// CA certificate (PEM) the CLI trusts when it calls the admin listener; defaults to
    /// `cert_file` (a self-signed certificate).
    pub ca_file: Option<PathBuf>,
    /// Serve plain HTTP because a TLS-terminating proxy sits in front. Must be said explicitly.
    #[serde(default)]
    pub behind_proxy: bool,
}

/// The admin API's bearer token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// File holding the token (first line). The environment variable `BROKER_ADMIN_TOKEN`
    /// overrides it.
    #[serde(default = "default_admin_token_file")]
    pub token_file: PathBuf,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            token_file: default_admin_token_file(),
        }
    }
}

/// The authority's key and credential policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityConfig {
    /// The authority's private ES256 key as JWK (created by `broker init`, mode 0600).
    #[serde(default = "default_authority_key_file")]
    pub key_file: PathBuf,
    /// Validity of a membership credential, in days.
    #[serde(default = "default_credential_days")]
    pub credential_validity_days: u32,
    /// Validity of an issued status list JWT, in seconds (it is re-issued before it runs out).
    #[serde(default = "default_status_list_secs")]
    pub status_list_validity_secs: u32,
}

impl Default for AuthorityConfig {
    fn default() -> Self {
        Self {
            key_file: default_authority_key_file(),
            credential_validity_days: default_credential_days(),
            status_list_validity_secs: default_status_list_secs(),
        }
    }
}

/// Limits and timing of self-description publication.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicationConfig {
    /// Largest accepted envelope, in bytes.
    #[serde(default = "default_max_envelope")]
    pub max_envelope_bytes: usize,
    /// A description not refreshed for this many seconds disappears from every view.
    #[serde(default = "default_expire_secs")]
    pub expire_after_secs: u64,
    /// How often the expiry sweep runs, in seconds.
    #[serde(default = "default_sweep_secs")]
    pub sweep_interval_secs: u64,
    /// Allowed clock skew for `iat` in the future, in seconds.
    #[serde(default = "default_skew")]
    pub max_clock_skew_secs: i64,
}

impl Default for PublicationConfig {
    fn default() -> Self {
        Self {
            max_envelope_bytes: default_max_envelope(),
            expire_after_secs: default_expire_secs(),
            sweep_interval_secs: default_sweep_secs(),
            max_clock_skew_secs: default_skew(),
        }
    }
}

/// Limits of the SPARQL endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparqlConfig {
    /// Time limit per query, in milliseconds.
    #[serde(default = "default_sparql_ms")]
    pub time_limit_ms: u64,
    /// Most solutions (or triples) a query may return.
    #[serde(default = "default_sparql_results")]
    pub result_limit: usize,
    /// Queries evaluated at the same time; more wait (up to 2 s) or get `503 busy`.
    #[serde(default = "default_sparql_concurrency")]
    pub max_concurrent: usize,
    /// Growth of the broker's resident memory (MiB) while a query runs after which it is
    /// cancelled (Linux; guards against huge joins and sorts).
    #[serde(default = "default_sparql_memory")]
    pub memory_limit_mb: u64,
}

impl Default for SparqlConfig {
    fn default() -> Self {
        Self {
            time_limit_ms: default_sparql_ms(),
            result_limit: default_sparql_results(),
            max_concurrent: default_sparql_concurrency(),
            memory_limit_mb: default_sparql_memory(),
        }
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
fn default_public_addr() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 8443))
}
fn default_admin_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8444))
}
fn default_admin_token_file() -> PathBuf {
    PathBuf::from("admin-token")
}
fn default_authority_key_file() -> PathBuf {
    PathBuf::from("authority-key.jwk")
}
fn default_credential_days() -> u32 {
    365
}
fn default_status_list_secs() -> u32 {
    86_400
}
fn default_max_envelope() -> usize {
    16 * 1024 * 1024
}
fn default_expire_secs() -> u64 {
    30 * 86_400
}
fn default_sweep_secs() -> u64 {
    300
}
fn default_skew() -> i64 {
    300
}
fn default_sparql_ms() -> u64 {
    5_000
}
fn default_sparql_results() -> usize {
    10_000
}
fn default_sparql_concurrency() -> usize {
    2
}
fn default_sparql_memory() -> u64 {
    512
}

impl BrokerConfig {
    /// A configuration with every default and the given public URL.
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            data_dir: default_data_dir(),
            dev_auto_approve: false,
            listen: ListenConfig::default(),
            tls: TlsConfig::default(),
            admin: AdminConfig::default(),
            authority: AuthorityConfig::default(),
            publication: PublicationConfig::default(),
            sparql: SparqlConfig::default(),
        }
    }

    /// Parses TOML text and checks the values; relative paths are resolved against `base_dir`.
    pub fn from_toml(text: &str, base_dir: &Path) -> Result<Self, BrokerError> {
        let mut config: BrokerConfig =
            toml::from_str(text).map_err(|e| BrokerError::Config(e.to_string()))?;
        config.public_url = config.public_url.trim_end_matches('/').to_owned();
        config.check()?;
        config.resolve_paths(base_dir);
        Ok(config)
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Self, BrokerError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| BrokerError::Config(format!("cannot read {}: {e}", path.display())))?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Self::from_toml(&text, base)
            .map_err(|e| BrokerError::Config(format!("{}: {e}", path.display())))
    }

    fn check(&self) -> Result<(), BrokerError> {
        let url = url::Url::parse(&self.public_url)
            .map_err(|e| BrokerError::Config(format!("public_url {:?}: {e}", self.public_url)))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(BrokerError::Config(format!(
                "public_url must be an https URL, found scheme {:?}",
                url.scheme()
            )));
        }
        vocab::did::did_web_from_url(&self.public_url)
            .map_err(|e| BrokerError::Config(format!("public_url: {e}")))?;
        if !self.tls.behind_proxy && (self.tls.cert_file.is_none() || self.tls.key_file.is_none()) {
            return Err(BrokerError::Config(
                "tls.cert_file and tls.key_file are required (or set tls.behind_proxy = true when a proxy terminates TLS)".into(),
            ));
        }
        if self.sparql.max_concurrent == 0 || self.sparql.result_limit == 0 {
            return Err(BrokerError::Config(
                "sparql.max_concurrent and sparql.result_limit must be at least 1".into(),
            ));
        }
        if self.publication.expire_after_secs == 0 || self.publication.sweep_interval_secs == 0 {
            return Err(BrokerError::Config(
                "publication.expire_after_secs and sweep_interval_secs must be at least 1".into(),
            ));
        }
        Ok(())
    }

    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.data_dir);
        fix(&mut self.admin.token_file);
        fix(&mut self.authority.key_file);
        for p in [
            &mut self.tls.cert_file,
            &mut self.tls.key_file,
            &mut self.tls.ca_file,
        ]
        .into_iter()
        .flatten()
        {
            fix(p);
        }
    }

    /// The admin token: `BROKER_ADMIN_TOKEN`, else the first line of `admin.token_file`.
    pub fn admin_token(&self) -> Result<String, BrokerError> {
        if let Ok(token) = std::env::var(ADMIN_TOKEN_ENV)
            && !token.trim().is_empty()
        {
            return Ok(token.trim().to_owned());
        }
        let text = std::fs::read_to_string(&self.admin.token_file).map_err(|e| {
            BrokerError::Config(format!(
                "admin token: cannot read {} ({e}); set {ADMIN_TOKEN_ENV} or run `broker init`",
                self.admin.token_file.display()
            ))
        })?;
        let token = text.lines().next().unwrap_or_default().trim().to_owned();
        if token.len() < 16 {
            return Err(BrokerError::Config(format!(
                "admin token in {} is shorter than 16 characters",
                self.admin.token_file.display()
            )));
        }
        Ok(token)
    }

    /// The authority's `did:web`, derived from `public_url` (port as `%3A`, path with `:`).
    pub fn authority_did(&self) -> String {
        // `check` verified at load time that the URL yields a DID.
        vocab::did::did_web_from_url(&self.public_url).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_gets_defaults_and_resolves_paths() {
        let text = r#"
public_url = "https://broker.example:8443/"
[tls]
cert_file = "tls/cert.pem"
key_file = "tls/key.pem"
"#;
        let c = BrokerConfig::from_toml(text, Path::new("/etc/broker")).expect("parses");
        assert_eq!(c.public_url, "https://broker.example:8443");
        assert_eq!(c.data_dir, Path::new("/etc/broker/data"));
        assert_eq!(c.sparql.time_limit_ms, 5_000);
        assert_eq!(c.listen.admin.ip().to_string(), "127.0.0.1");
        assert_eq!(c.authority_did(), "did:web:broker.example%3A8443");
    }

    #[test]
    fn missing_tls_and_unknown_fields_are_named() {
        let err = BrokerConfig::from_toml("public_url = \"https://b.example\"", Path::new("."))
            .expect_err("no tls");
        assert!(err.to_string().contains("tls.cert_file"), "{err}");
        let err = BrokerConfig::from_toml(
            "public_url = \"https://b.example\"\nsparkle = 1",
            Path::new("."),
        )
        .expect_err("unknown field");
        assert!(err.to_string().contains("sparkle"), "{err}");
        let err = BrokerConfig::from_toml(
            "public_url = \"ftp://b.example\"\n[tls]\nbehind_proxy = true",
            Path::new("."),
        )
        .expect_err("scheme");
        assert!(err.to_string().contains("scheme"), "{err}");
    }
}
