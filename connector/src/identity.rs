//! This connector's own identity: its DID, signing key, legal name and membership credential.

use std::path::Path;

use vocab::did::DidDocument;
use vocab::jose::SigningKey;

use crate::config::{Config, ConfigError};

/// Why the identity could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// A configuration problem.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The key file is missing or unreadable.
    #[error("key file {path}: {message}")]
    Key {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Who this connector is.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The participant's DID.
    pub did: String,
    /// The legal name.
    pub legal_name: String,
    /// The signing key (`kid` = `<did>#key-1`).
    pub key: SigningKey,
    /// The membership credential (VC-JWT), when one is configured.
    pub membership: Option<String>,
    /// The DSP base URL (also the callback address).
    pub dsp_base_url: String,
}

impl Identity {
    /// Loads the key and credential the configuration names.
    pub fn load(config: &Config) -> Result<Self, IdentityError> {
        let did = config.did()?;
        let kid = config.key_id()?;
        let path = config.path(&config.participant.key_file);
        let key = read_private_key(&path, &kid)?;
        // A missing credential is a state, not an error: the connector runs as a non-member
        // until `connector join` stores one (the federation module then installs it).
        let membership = match crate::federation::local::read_credential(config) {
            Ok(found) => found.map(|(jwt, _)| jwt),
            Err(message) => {
                tracing::warn!(%message, "the membership credential cannot be read");
                None
            }
        };
        if membership.is_none() {
            tracing::warn!("{}", crate::trust::NOT_A_MEMBER);
        }
        Ok(Self {
            did,
            legal_name: config.participant.legal_name.clone(),
            key,
            membership,
            dsp_base_url: config.dsp_base_url(),
        })
    }

    /// The DID document served at `/.well-known/did.json`.
    pub fn did_document(&self) -> Result<DidDocument, vocab::Error> {
        DidDocument::for_key(&self.key, &self.dsp_base_url)
    }
}

/// Reads a private JWK file; warns when others may read it.
pub fn read_private_key(path: &Path, kid: &str) -> Result<SigningKey, IdentityError> {
    let text = std::fs::read_to_string(path).map_err(|e| IdentityError::Key {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the private key file is readable by others; run: chmod 600 {}", path.display());
        }
    }
    SigningKey::from_jwk_json(&text, Some(kid)).map_err(|e| IdentityError::Key {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Writes a secret file readable by its owner only (created with mode 0600, never widened).
pub fn write_secret_file(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()
}
