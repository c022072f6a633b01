//! What joining leaves in the data folder, readable by the CLI and the running connector
//! alike (the database is held open by the running connector, so these are plain files):
//!
//! - `<data_dir>/federation/membership.json`: the join request — which broker, the pinned
//!   authority, and its last known status;
//! - the membership credential: the file `participant.membership_credential_file` names, or
//!   `<data_dir>/membership.jwt` when it names none (`CONNECTOR_MEMBERSHIP_CREDENTIAL_FILE`
//!   takes precedence, `CONNECTOR_MEMBERSHIP_CREDENTIAL` overrides every file).
//!
//! Files are replaced atomically (written beside, then renamed), so a reader never sees half
//! a file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::FederationError;
use crate::config::Config;

/// The environment variable holding the credential itself.
pub const CREDENTIAL_ENV: &str = "CONNECTOR_MEMBERSHIP_CREDENTIAL";
/// The environment variable naming the credential file.
pub const CREDENTIAL_FILE_ENV: &str = "CONNECTOR_MEMBERSHIP_CREDENTIAL_FILE";
/// Largest credential accepted from a file.
const MAX_CREDENTIAL_BYTES: u64 = 64 * 1024;

/// Where a join request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JoinStatus {
    /// Sent; the federation's operator has not decided yet.
    Pending,
    /// Approved; the credential is stored.
    Active,
    /// Rejected by the operator (a new request may be sent).
    Rejected,
    /// The membership was revoked (final).
    Revoked,
}

impl JoinStatus {
    /// The status as the broker names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Rejected => "rejected",
            Self::Revoked => "revoked",
        }
    }

    /// Reads the broker's name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "active" => Some(Self::Active),
            "rejected" => Some(Self::Rejected),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

/// The join request as recorded in the data folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRecord {
    /// Format version of this file.
    pub v: u32,
    /// The broker's base URL.
    pub broker_url: String,
    /// This participant's DID.
    pub did: String,
    /// The authority's DID.
    pub authority_did: String,
    /// The pinned authority key's JWK thumbprint (RFC 7638).
    pub authority_thumbprint: String,
    /// The participant type applied for (`municipality`, `company`, …).
    pub participant_type: String,
    /// The municipality key applied with.
    pub ags: Option<String>,
    /// The Charta version accepted.
    pub charta_version: String,
    /// Where the request stands.
    pub status: JoinStatus,
    /// Why it was rejected or revoked.
    pub reason: Option<String>,
    /// When it was sent (ms since 1970).
    pub requested_ms: i64,
    /// When its status was last checked at the broker.
    pub checked_ms: i64,
}

impl JoinRecord {
    /// The current format version.
    pub const VERSION: u32 = 1;
}

/// `<data_dir>/federation/membership.json`.
pub fn join_record_path(config: &Config) -> PathBuf {
    config.data_dir().join("federation").join("membership.json")
}

/// Reads the join record; `None` when this connector never sent a join request.
pub fn read_join_record(config: &Config) -> Result<Option<JoinRecord>, FederationError> {
    let path = join_record_path(config);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FederationError::file(&path, e)),
    };
    let record: JoinRecord = serde_json::from_str(&text)
        .map_err(|e| FederationError::file(&path, format!("not a join record: {e}")))?;
    if record.v != JoinRecord::VERSION {
        return Err(FederationError::file(
            &path,
            format!(
                "format version {} (this build reads {})",
                record.v,
                JoinRecord::VERSION
            ),
        ));
    }
    Ok(Some(record))
}

/// Writes the join record atomically.
pub fn write_join_record(config: &Config, record: &JoinRecord) -> Result<(), FederationError> {
    let path = join_record_path(config);
    let text = serde_json::to_string_pretty(record).map_err(|e| FederationError::file(&path, e))?;
    write_atomically(&path, text.as_bytes(), false)
}

/// Replaces `path` with `content` atomically; `secret` files are created with mode 0600.
pub fn write_atomically(path: &Path, content: &[u8], secret: bool) -> Result<(), FederationError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| FederationError::file(dir, e))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        uuid::Uuid::new_v4()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(content)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(FederationError::file(path, e));
    }
    Ok(())
}

/// Where `connector join` stores the credential: the file the connector reads it from.
pub fn credential_target(config: &Config) -> Result<PathBuf, FederationError> {
    if std::env::var_os(CREDENTIAL_ENV).is_some() {
        return Err(FederationError::Setup(format!(
            "{CREDENTIAL_ENV} is set and overrides every credential file; unset it so the connector uses the credential `connector join` stores"
        )));
    }
    if let Some(p) = std::env::var_os(CREDENTIAL_FILE_ENV) {
        return Ok(PathBuf::from(p));
    }
    Ok(credential_file(config))
}

/// The credential file of the configuration (without looking at the environment).
pub fn credential_file(config: &Config) -> PathBuf {
    match &config.participant.membership_credential_file {
        Some(p) => config.path(p),
        None => config.data_dir().join("membership.jwt"),
    }
}

/// The credential and where it came from; `Ok(None)` when there is none yet (a missing file
/// is not an error: the connector then runs as a non-member until it joins).
pub fn read_credential(config: &Config) -> Result<Option<(String, String)>, String> {
    if let Ok(value) = std::env::var(CREDENTIAL_ENV) {
        let value = value.trim().to_owned();
        if value.is_empty() {
            return Err(format!("{CREDENTIAL_ENV} is set but empty"));
        }
        return Ok(Some((
            value,
            format!("the environment variable {CREDENTIAL_ENV}"),
        )));
    }
    let path = match std::env::var_os(CREDENTIAL_FILE_ENV) {
        Some(p) => PathBuf::from(p),
        None => credential_file(config),
    };
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    if meta.len() > MAX_CREDENTIAL_BYTES {
        return Err(format!(
            "{} is larger than {MAX_CREDENTIAL_BYTES} bytes: not a credential",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some((text, path.display().to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_and_keep_secrets_private() {
        let dir = std::env::temp_dir().join(format!("fed-local-{}", uuid::Uuid::new_v4()));
        let path = dir.join("a").join("membership.jwt");
        write_atomically(&path, b"one", true).expect("write");
        write_atomically(&path, b"two", true).expect("replace");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "mode {mode:o}");
        }
        let leftovers = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .count();
        assert_eq!(leftovers, 1, "no temporary files stay behind");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn join_status_names_round_trip() {
        for s in [
            JoinStatus::Pending,
            JoinStatus::Active,
            JoinStatus::Rejected,
            JoinStatus::Revoked,
        ] {
            assert_eq!(JoinStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(JoinStatus::parse("approved"), None);
    }
}
