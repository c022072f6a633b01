//! The connector's configuration: one serde struct read from a TOML file.
//!
//! Every field is documented here and in the sample written by `connector init`
//! ([`Config::sample_toml`]). Secrets never need to live in the file: the management token and
//! the membership credential are read from environment variables or `*_FILE` paths
//! ([`Secret`]). Relative paths are resolved against the directory of the configuration file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the schema (the message names the key).
    #[error("configuration file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the key and line.
        message: String,
    },
    /// A value is present but unacceptable.
    #[error("configuration key `{key}`: {message}")]
    Invalid {
        /// The dotted key, e.g. `dsp.public_url`.
        key: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A secret is missing or unreadable.
    #[error("secret `{name}`: {message}")]
    Secret {
        /// The secret's name (and where it was looked for).
        name: String,
        /// What is wrong.
        message: String,
    },
}

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.into(),
    }
}

/// The whole configuration of one connector.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who this connector speaks for.
    pub participant: ParticipantConfig,
    /// The public DSP protocol listener.
    pub dsp: DspConfig,
    /// The management API listener (operators and the CLI).
    #[serde(default)]
    pub management: ManagementConfig,
    /// TLS for both listeners and for outgoing calls.
    pub tls: TlsConfig,
    /// Whom to trust: the federation's authority and the accepted Charta versions.
    pub trust: TrustConfig,
    /// Where state is kept.
    #[serde(default)]
    pub storage: StorageConfig,
    /// Delivery of outgoing DSP messages.
    #[serde(default)]
    pub outbox: OutboxConfig,
    /// Internal data sources that assets refer to by name (credentials stay here).
    #[serde(default)]
    pub sources: std::collections::BTreeMap<String, SourceConfig>,
    /// Mode for the Eclipse DSP Technology Compatibility Kit. Off by default.
    #[serde(default)]
    pub tck: TckConfig,
    /// Diagnostics for tests and troubleshooting.
    #[serde(default)]
    pub diagnostics: DiagnosticsConfig,
    /// How data moves: access tokens, enforcement interval, where received data is kept.
    #[serde(default)]
    pub dataplane: crate::dataplane::DataPlaneConfig,
    /// Taking part in the federation: the broker, publication of the self-description, the
    /// public register.
    #[serde(default)]
    pub federation: crate::federation::FederationConfig,
    /// The directory relative paths are resolved against (the config file's directory).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// Who this connector speaks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantConfig {
    /// The legal name shown to counterparties and in agreements.
    pub legal_name: String,
    /// The participant's `did:web`. Derived from `dsp.public_url` when absent.
    #[serde(default)]
    pub did: Option<String>,
    /// The private signing key (ES256 JWK, file mode 0600), written by `connector init`.
    pub key_file: PathBuf,
    /// The membership credential (a VC-JWT from the authority). Also read from the environment
    /// variable `CONNECTOR_MEMBERSHIP_CREDENTIAL` or the file named by
    /// `CONNECTOR_MEMBERSHIP_CREDENTIAL_FILE`, which take precedence.
    #[serde(default)]
    pub membership_credential_file: Option<PathBuf>,
}

/// The public DSP protocol listener.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DspConfig {
    /// Socket address to listen on, e.g. `0.0.0.0:8443`.
    pub listen: SocketAddr,
    /// The URL counterparties reach this connector at: scheme, host and port, without a path
    /// (e.g. `https://daten.musterstadt.example:8443`). DSP endpoints live under
    /// `<public_url>/dsp`; the DID document under `<public_url>/.well-known/did.json`.
    pub public_url: String,
    /// Largest accepted DSP request body in bytes.
    #[serde(default = "default_dsp_body_limit")]
    pub max_body_bytes: usize,
}

fn default_dsp_body_limit() -> usize {
    256 * 1024
}

/// The management API listener.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagementConfig {
    /// Socket address; localhost by default so only the machine's operators reach it.
    #[serde(default = "default_management_listen")]
    pub listen: SocketAddr,
    /// File holding the bearer token. The environment variables `CONNECTOR_MANAGEMENT_TOKEN`
    /// and `CONNECTOR_MANAGEMENT_TOKEN_FILE` take precedence.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Largest accepted management request body in bytes.
    #[serde(default = "default_management_body_limit")]
    pub max_body_bytes: usize,
}

impl Default for ManagementConfig {
    fn default() -> Self {
        Self {
            listen: default_management_listen(),
            token_file: None,
            max_body_bytes: default_management_body_limit(),
        }
    }
}

fn default_management_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8444))
}

fn default_management_body_limit() -> usize {
    1024 * 1024
}

/// TLS material.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Server certificate chain (PEM) for both listeners.
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    /// Server private key (PEM, PKCS#8 or SEC1).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Extra CA certificates (PEM) trusted for outgoing calls, e.g. a throw-away local CA.
    #[serde(default)]
    pub extra_ca_files: Vec<PathBuf>,
    /// Trust the platform's usual web roots as well (default true).
    #[serde(default = "yes")]
    pub use_system_roots: bool,
    /// Serve plain HTTP because a TLS-terminating proxy in front does TLS. Must be set
    /// explicitly; the connector logs a warning at every start.
    #[serde(default)]
    pub terminated_by_proxy: bool,
}

fn yes() -> bool {
    true
}

/// Whom to trust.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustConfig {
    /// The federation authority's DID (issuer of membership credentials).
    pub authority_did: String,
    /// The authority's public key (JWK file), pinned: credentials signed by any other key are
    /// refused.
    pub authority_key_file: PathBuf,
    /// The Charta versions whose acceptance this connector honours, with their SHA-256.
    pub accepted_charta: Vec<AcceptedCharta>,
    /// Lifetime of the tokens this connector issues for its own calls (at most 300 s).
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime_secs: u64,
    /// Tolerated clock difference between participants.
    #[serde(default = "default_leeway")]
    pub clock_leeway_secs: u64,
    /// The authority's revocation list (a status list credential, e.g. the broker's
    /// `https://broker.example/api/v1/status-list`). When set, the connector fetches it
    /// periodically and refuses callers whose membership is revoked.
    #[serde(default)]
    pub status_list_url: Option<String>,
    /// How often the revocation list is fetched, in seconds (1 to 86400). A revocation stops
    /// the revoked member's running transfers at most this long (plus one enforcement tick)
    /// after the authority published it.
    #[serde(default = "default_status_refresh")]
    pub status_list_refresh_secs: u64,
}

fn default_status_refresh() -> u64 {
    60
}

fn default_token_lifetime() -> u64 {
    120
}

fn default_leeway() -> u64 {
    30
}

/// One accepted Charta version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptedCharta {
    /// The version, e.g. `1.0`.
    pub version: String,
    /// The SHA-256 of the Charta text, lowercase hex.
    pub sha256: String,
}

/// Where state is kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// The data folder (sled database and imports).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
        }
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

/// Delivery of outgoing DSP messages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxConfig {
    /// Delay before the first retry, in milliseconds; doubled after every failure.
    #[serde(default = "default_initial_backoff")]
    pub initial_backoff_ms: u64,
    /// Longest delay between two attempts, in seconds.
    #[serde(default = "default_max_backoff")]
    pub max_backoff_secs: u64,
    /// Attempts before a message is given up and its process terminated locally.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Timeout of one delivery attempt, in seconds.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_secs: u64,
    /// Messages delivered at the same time (to different processes).
    #[serde(default = "default_parallel")]
    pub parallel_deliveries: usize,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            initial_backoff_ms: default_initial_backoff(),
            max_backoff_secs: default_max_backoff(),
            max_attempts: default_max_attempts(),
            request_timeout_secs: default_request_timeout(),
            parallel_deliveries: default_parallel(),
        }
    }
}

fn default_initial_backoff() -> u64 {
    250
}
fn default_max_backoff() -> u64 {
    300
}
fn default_max_attempts() -> u32 {
    12
}
fn default_request_timeout() -> u64 {
    20
}
fn default_parallel() -> usize {
    32
}

/// An internal data source an asset refers to by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum SourceConfig {
    /// A local file or folder.
    File {
        /// The path.
        path: PathBuf,
    },
    /// An internal HTTP endpoint.
    Http {
        /// The URL (never shown to counterparties).
        url: String,
        /// Name of an environment variable holding the `Authorization` header value.
        #[serde(default)]
        authorization_env: Option<String>,
        /// File holding the `Authorization` header value.
        #[serde(default)]
        authorization_file: Option<PathBuf>,
    },
}

/// Mode for the Eclipse DSP TCK.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TckConfig {
    /// Turn the mode on. Never in production: it accepts the TCK's fixed Authorization header.
    #[serde(default)]
    pub enabled: bool,
    /// The exact `Authorization` header value the TCK sends (its
    /// `dataspacetck.dsp.connector.http.headers.authorization`).
    #[serde(default)]
    pub authorization: Option<String>,
    /// The participant id the TCK uses for itself.
    #[serde(default = "default_tck_participant")]
    pub participant_id: String,
    /// The TCK properties file whose `*_DATASETID`/`*_OFFERID`/`*_AGREEMENTID` ids are seeded.
    #[serde(default)]
    pub properties_file: Option<PathBuf>,
}

fn default_tck_participant() -> String {
    "TCK_PARTICIPANT".to_owned()
}

/// Diagnostics.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnosticsConfig {
    /// When set, every DSP message sent or answered is also written as JSON into this folder
    /// (for conformance checks in tests). Off by default.
    #[serde(default)]
    pub capture_dsp_dir: Option<PathBuf>,
}

/// A secret value read from the environment or a file; never printed.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret's value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Reads a secret: the environment variable `env`, else the file named by `<env>_FILE`, else
/// `file` from the configuration. Surrounding whitespace is trimmed.
pub fn read_secret(
    env: &str,
    file: Option<&Path>,
    base_dir: &Path,
) -> Result<Option<Secret>, ConfigError> {
    if let Ok(value) = std::env::var(env) {
        let value = value.trim().to_owned();
        if value.is_empty() {
            return Err(ConfigError::Secret {
                name: env.to_owned(),
                message: "the environment variable is set but empty".into(),
            });
        }
        return Ok(Some(Secret(value)));
    }
    let env_file = format!("{env}_FILE");
    let path = match std::env::var_os(&env_file) {
        Some(p) => Some(PathBuf::from(p)),
        None => file.map(|f| resolve(base_dir, f)),
    };
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Secret {
        name: env.to_owned(),
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(ConfigError::Secret {
            name: env.to_owned(),
            message: format!("{} is empty", path.display()),
        });
    }
    Ok(Some(Secret(text)))
}

/// Resolves `p` against `base` unless it is absolute.
pub fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::from_toml(&text, &base).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parses and checks configuration text; relative paths resolve against `base_dir`.
    pub fn from_toml(text: &str, base_dir: &Path) -> Result<Self, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::from("<text>"),
            message: e.to_string(),
        })?;
        config.base_dir = base_dir.to_path_buf();
        config.validate()?;
        Ok(config)
    }

    /// Checks values serde cannot check.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = reqwest::Url::parse(&self.dsp.public_url)
            .map_err(|e| invalid("dsp.public_url", format!("not a URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.tls.terminated_by_proxy || self.tck.enabled => {}
            other => {
                return Err(invalid(
                    "dsp.public_url",
                    format!(
                        "must use https (found {other}); http only with tls.terminated_by_proxy or the TCK mode"
                    ),
                ));
            }
        }
        if url.path() != "/" && !url.path().is_empty() {
            return Err(invalid(
                "dsp.public_url",
                "give scheme, host and port only; DSP endpoints live under /dsp",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "dsp.public_url",
                "must not have a query or fragment",
            ));
        }
        if let Some(did) = &self.participant.did {
            vocab::did::check_did_web(did)
                .map_err(|e| invalid("participant.did", e.to_string()))?;
        }
        if self.participant.legal_name.trim().is_empty() {
            return Err(invalid("participant.legal_name", "must not be empty"));
        }
        if !(10..=300).contains(&self.trust.token_lifetime_secs) {
            return Err(invalid(
                "trust.token_lifetime_secs",
                "must be between 10 and 300 seconds",
            ));
        }
        if self.trust.clock_leeway_secs > 120 {
            return Err(invalid("trust.clock_leeway_secs", "at most 120 seconds"));
        }
        if let Some(url) = &self.trust.status_list_url {
            reqwest::Url::parse(url)
                .map_err(|e| invalid("trust.status_list_url", format!("not a URL: {e}")))?;
        }
        if !(1..=86_400).contains(&self.trust.status_list_refresh_secs) {
            return Err(invalid(
                "trust.status_list_refresh_secs",
                "between 1 second and a day",
            ));
        }
        if self.trust.accepted_charta.is_empty() {
            return Err(invalid(
                "trust.accepted_charta",
                "name at least one accepted Charta version",
            ));
        }
        for (i, c) in self.trust.accepted_charta.iter().enumerate() {
            if c.sha256.len() != 64 || !c.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(invalid(
                    &format!("trust.accepted_charta[{i}].sha256"),
                    "must be 64 hexadecimal characters",
                ));
            }
        }
        if !self.tls.terminated_by_proxy
            && (self.tls.cert_file.is_none() || self.tls.key_file.is_none())
        {
            return Err(invalid(
                "tls",
                "set cert_file and key_file, or terminated_by_proxy = true when a proxy does TLS",
            ));
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.dsp.max_body_bytes) {
            return Err(invalid("dsp.max_body_bytes", "between 1 KiB and 64 MiB"));
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.management.max_body_bytes) {
            return Err(invalid(
                "management.max_body_bytes",
                "between 1 KiB and 64 MiB",
            ));
        }
        if self.outbox.max_attempts == 0 || self.outbox.parallel_deliveries == 0 {
            return Err(invalid(
                "outbox",
                "max_attempts and parallel_deliveries must be at least 1",
            ));
        }
        if self.tck.enabled && self.tck.authorization.is_none() {
            return Err(invalid(
                "tck.authorization",
                "the TCK mode needs the TCK's fixed Authorization header value",
            ));
        }
        self.federation
            .validate(self.tls.terminated_by_proxy || self.tck.enabled)?;
        self.dataplane
            .validate()
            .map_err(|(key, message)| invalid(&key, message))?;
        for (name, source) in &self.sources {
            if let SourceConfig::Http { url, .. } = source {
                reqwest::Url::parse(url).map_err(|e| {
                    invalid(&format!("sources.{name}.url"), format!("not a URL: {e}"))
                })?;
            }
        }
        Ok(())
    }

    /// The participant's DID: configured, or derived from the public URL.
    pub fn did(&self) -> Result<String, ConfigError> {
        match &self.participant.did {
            Some(did) => Ok(did.clone()),
            None => vocab::did::did_web_from_url(&self.dsp.public_url)
                .map_err(|e| invalid("dsp.public_url", e.to_string())),
        }
    }

    /// The key id used in signatures: `<did>#key-1`.
    pub fn key_id(&self) -> Result<String, ConfigError> {
        Ok(format!("{}#key-1", self.did()?))
    }

    /// The public base URL without a trailing slash.
    pub fn public_base(&self) -> String {
        self.dsp.public_url.trim_end_matches('/').to_owned()
    }

    /// The DSP base URL counterparties call (`<public_url>/dsp`), also our callback address.
    pub fn dsp_base_url(&self) -> String {
        format!("{}/dsp", self.public_base())
    }

    /// A path from the configuration, resolved against the config file's directory.
    pub fn path(&self, p: &Path) -> PathBuf {
        resolve(&self.base_dir, p)
    }

    /// The data folder.
    pub fn data_dir(&self) -> PathBuf {
        self.path(&self.storage.data_dir)
    }

    /// The management bearer token (environment, `*_FILE`, or `management.token_file`).
    pub fn management_token(&self) -> Result<Secret, ConfigError> {
        read_secret(
            "CONNECTOR_MANAGEMENT_TOKEN",
            self.management.token_file.as_deref(),
            &self.base_dir,
        )?
        .ok_or_else(|| ConfigError::Secret {
            name: "CONNECTOR_MANAGEMENT_TOKEN".into(),
            message: "no management token: set the variable, CONNECTOR_MANAGEMENT_TOKEN_FILE, or management.token_file".into(),
        })
    }

    /// The membership credential, if configured.
    pub fn membership_credential(&self) -> Result<Option<Secret>, ConfigError> {
        read_secret(
            "CONNECTOR_MEMBERSHIP_CREDENTIAL",
            self.participant.membership_credential_file.as_deref(),
            &self.base_dir,
        )
    }

    /// A documented sample configuration, as `connector init` writes it.
    pub fn sample_toml(params: &SampleParams<'_>) -> String {
        format!(
            include_str!("config_sample.toml"),
            legal_name = params.legal_name.replace('"', "\\\""),
            public_url = params.public_url,
            did = params.did,
            dsp_listen = params.dsp_listen,
            management_listen = params.management_listen,
            authority_did = params.authority_did,
            charta_version = params.charta_version,
            charta_sha256 = params.charta_sha256,
        )
    }
}

/// The values `connector init` fills into the sample configuration.
#[derive(Debug, Clone)]
pub struct SampleParams<'a> {
    /// Legal name.
    pub legal_name: &'a str,
    /// Public URL.
    pub public_url: &'a str,
    /// The derived DID (shown as a comment).
    pub did: &'a str,
    /// DSP listen address.
    pub dsp_listen: &'a str,
    /// Management listen address.
    pub management_listen: &'a str,
    /// The authority's DID.
    pub authority_did: &'a str,
    /// Accepted Charta version.
    pub charta_version: &'a str,
    /// Its SHA-256.
    pub charta_sha256: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        Config::sample_toml(&SampleParams {
            legal_name: "Stadt Musterstadt",
            public_url: "https://daten.musterstadt.example:8443",
            did: "did:web:daten.musterstadt.example%3A8443",
            dsp_listen: "0.0.0.0:8443",
            management_listen: "127.0.0.1:8444",
            authority_did: "did:web:broker.example",
            charta_version: "1.0",
            charta_sha256: &"ab".repeat(32),
        })
    }

    #[test]
    fn sample_parses_and_derives_the_did() {
        let c = Config::from_toml(&sample(), Path::new("/etc/connector")).expect("sample parses");
        assert_eq!(
            c.did().expect("did"),
            "did:web:daten.musterstadt.example%3A8443"
        );
        assert_eq!(
            c.dsp_base_url(),
            "https://daten.musterstadt.example:8443/dsp"
        );
        assert_eq!(c.data_dir(), PathBuf::from("/etc/connector/data"));
        assert_eq!(c.outbox.max_attempts, 12);
        assert!(!c.tck.enabled);
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let bad = sample().replace("[dsp]", "[dsp]\nlisten_port = 3");
        let e = Config::from_toml(&bad, Path::new(".")).expect_err("unknown key");
        assert!(e.to_string().contains("listen_port"), "{e}");

        let bad = sample().replace("https://daten", "ftp://daten");
        let e = Config::from_toml(&bad, Path::new(".")).expect_err("bad scheme");
        assert!(e.to_string().contains("dsp.public_url"), "{e}");

        let bad = sample().replace("token_lifetime_secs = 120", "token_lifetime_secs = 900");
        let e = Config::from_toml(&bad, Path::new(".")).expect_err("too long");
        assert!(e.to_string().contains("token_lifetime_secs"), "{e}");
    }

    #[test]
    fn secrets_come_from_files() {
        let dir = std::env::temp_dir().join(format!("cfg-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("tok"), "  s3cret\n").expect("write");
        let s = read_secret("CONNECTOR_TEST_NEVER_SET_VAR", Some(Path::new("tok")), &dir)
            .expect("read")
            .expect("present");
        assert_eq!(s.expose(), "s3cret");
        assert_eq!(format!("{s:?}"), "Secret(…)");
        std::fs::write(dir.join("empty"), "\n").expect("write");
        assert!(
            read_secret(
                "CONNECTOR_TEST_NEVER_SET_VAR",
                Some(Path::new("empty")),
                &dir
            )
            .is_err()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
