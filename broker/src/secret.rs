//! Writing secret files (keys, tokens) readable only by their owner.

use std::io::Write;
use std::path::Path;

use crate::error::BrokerError;

/// Creates `path` with mode 0600 and writes `content`; refuses to overwrite.
pub fn write_secret(path: &Path, content: &[u8]) -> Result<(), BrokerError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| BrokerError::Config(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| BrokerError::Config(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(content)
        .and_then(|_| file.sync_all())
        .map_err(|e| BrokerError::Config(format!("cannot write {}: {e}", path.display())))
}

/// A fresh random token (32 bytes, hex).
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}
