//! `connector init`: creates a participant's folder — key pair, management token, a
//! self-signed TLS certificate to start with, the data folder and a documented configuration.

use std::path::{Path, PathBuf};

use vocab::jose::SigningKey;

use crate::config::{Config, SampleParams};
use crate::identity::write_secret_file;

/// What `connector init` needs.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The folder to create (must not contain a configuration yet).
    pub dir: PathBuf,
    /// The public URL (scheme, host, port).
    pub public_url: String,
    /// The legal name.
    pub legal_name: String,
    /// The DSP listen address.
    pub dsp_listen: String,
    /// The management listen address.
    pub management_listen: String,
    /// The authority's DID.
    pub authority_did: String,
    /// The authority's public key file (JWK) to copy into the folder, if at hand.
    pub authority_key: Option<PathBuf>,
}

/// What `connector init` created.
#[derive(Debug, Clone)]
pub struct Initialized {
    /// The configuration file.
    pub config_file: PathBuf,
    /// The participant's DID.
    pub did: String,
    /// The public key (JWK) to register with the authority.
    pub public_jwk: serde_json::Value,
    /// Files still to be provided by the operator.
    pub todo: Vec<String>,
}

/// Why init failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// A value given is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// A file operation failed.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InitError + '_ {
    move |source| InitError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates the participant's folder.
pub fn init(options: &InitOptions) -> Result<Initialized, InitError> {
    let url = reqwest::Url::parse(&options.public_url)
        .map_err(|e| InitError::Invalid(format!("--public-url {:?}: {e}", options.public_url)))?;
    let host = url
        .host_str()
        .ok_or_else(|| InitError::Invalid("--public-url has no host".into()))?
        .to_owned();
    let did = vocab::did::did_web_from_url(&options.public_url)
        .map_err(|e| InitError::Invalid(format!("--public-url: {e}")))?;
    vocab::did::check_did_web(&options.authority_did)
        .map_err(|e| InitError::Invalid(format!("--authority-did: {e}")))?;
    let config_file = options.dir.join("connector.toml");
    if config_file.exists() {
        return Err(InitError::Invalid(format!(
            "{} exists; init never overwrites a participant",
            config_file.display()
        )));
    }
    let charta = contracts::charta::Charta::default_1_0();
    let text = Config::sample_toml(&SampleParams {
        legal_name: &options.legal_name,
        public_url: options.public_url.trim_end_matches('/'),
        did: &did,
        dsp_listen: &options.dsp_listen,
        management_listen: &options.management_listen,
        authority_did: &options.authority_did,
        charta_version: charta.version(),
        charta_sha256: charta.sha256(),
    });
    // Check what we are about to write is a valid configuration.
    Config::from_toml(&text, &options.dir).map_err(|e| InitError::Invalid(e.to_string()))?;
    std::fs::create_dir_all(options.dir.join("data")).map_err(io(&options.dir))?;
    let key = SigningKey::generate(&format!("{did}#key-1"))
        .map_err(|e| InitError::Invalid(format!("cannot generate a key: {e}")))?;
    let key_file = options.dir.join("keys/participant.jwk");
    write_secret_file(&key_file, &key.to_private_jwk_json()).map_err(io(&key_file))?;
    let token_file = options.dir.join("keys/management.token");
    let token: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    write_secret_file(&token_file, &token).map_err(io(&token_file))?;
    let (cert, tls_key) =
        crate::tls::self_signed(vec![host.clone(), "localhost".into(), "127.0.0.1".into()])
            .map_err(|e| InitError::Invalid(e.to_string()))?;
    let cert_file = options.dir.join("tls/cert.pem");
    std::fs::create_dir_all(options.dir.join("tls")).map_err(io(&options.dir))?;
    std::fs::write(&cert_file, cert).map_err(io(&cert_file))?;
    let tls_key_file = options.dir.join("tls/key.pem");
    write_secret_file(&tls_key_file, &tls_key).map_err(io(&tls_key_file))?;
    let mut todo = Vec::new();
    let authority_target = options.dir.join("keys/authority.jwk");
    match &options.authority_key {
        Some(src) => {
            let jwk = std::fs::read_to_string(src).map_err(io(src))?;
            vocab::jose::PublicKey::from_jwk_json(&jwk).map_err(|e| {
                InitError::Invalid(format!("--authority-key {}: {e}", src.display()))
            })?;
            std::fs::write(&authority_target, jwk).map_err(io(&authority_target))?;
        }
        None => todo.push(format!(
            "`connector join` pins the authority's key into {} after you compared its thumbprint",
            authority_target.display()
        )),
    }
    todo.push(format!(
        "join the federation: `connector join --config {} --broker <URL> --type <municipality|public_body|company|research>` (pins the authority key, stores the credential in {})",
        config_file.display(),
        options.dir.join("membership.jwt").display()
    ));
    todo.push(format!(
        "replace {} and {} with a certificate your counterparties trust",
        cert_file.display(),
        tls_key_file.display()
    ));
    std::fs::write(&config_file, text).map_err(io(&config_file))?;
    Ok(Initialized {
        config_file,
        did,
        public_jwk: key.public_key().to_jwk_value(),
        todo,
    })
}
