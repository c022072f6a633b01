//! SHA-256 digests of the data, computed once per file version and kept in the store.
//!
//! A file's digest is remembered with its size, modification time and inode, so a changed
//! file is hashed again; hashing reads in blocks off the async runtime (memory stays flat).
//! The digest travels in the start message, the manifest and the `Repr-Digest` header
//! (RFC 9530) of every response, and the receiver checks it.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{Record, Store, StoreError, StoreExt};

/// Key prefix of remembered digests.
pub const DIGEST: &str = "digest/";

/// A remembered digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// Size in bytes.
    pub size: u64,
    /// Modification time (ns since the epoch).
    pub mtime_ns: i128,
    /// Inode number (0 where unknown).
    pub inode: u64,
    /// SHA-256 (hex).
    pub sha256: String,
}

impl Record for FileDigest {
    const SCHEMA_VERSION: u32 = 1;
}

fn identity(meta: &std::fs::Metadata) -> (u64, i128, u64) {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0;
    (meta.len(), mtime, inode)
}

fn key(path: &Path) -> String {
    format!(
        "{DIGEST}{}",
        hex::encode(Sha256::digest(path.display().to_string().as_bytes()))
    )
}

/// Hashes a file in blocks (blocking).
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex::encode(hasher.finalize())))
}

/// The digest of the file at `path` (size and SHA-256 hex): remembered, or computed now.
pub async fn file_digest(store: Arc<dyn Store>, path: &Path) -> Result<FileDigest, String> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let meta = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (size, mtime_ns, inode) = identity(&meta);
        let k = key(&path);
        if let Ok(Some(d)) = store.get::<FileDigest>(&k)
            && d.size == size
            && d.mtime_ns == mtime_ns
            && d.inode == inode
        {
            return Ok(d);
        }
        let (read, sha256) = hash_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let after = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if identity(&after) != (size, mtime_ns, inode) || read != size {
            return Err(format!(
                "{} changed while it was being hashed; try again",
                path.display()
            ));
        }
        let d = FileDigest {
            size,
            mtime_ns,
            inode,
            sha256,
        };
        store
            .put(&k, &d)
            .map_err(|e: StoreError| format!("store: {e}"))?;
        Ok(d)
    })
    .await
    .map_err(|e| format!("hashing task failed: {e}"))?
}

/// Whether the file at `path` still is the version the digest was made of.
pub fn unchanged(path: &Path, digest: &FileDigest) -> bool {
    std::fs::metadata(path)
        .map(|m| identity(&m) == (digest.size, digest.mtime_ns, digest.inode))
        .unwrap_or(false)
}

/// The `Repr-Digest` header value for a hex SHA-256 (`sha-256=:<base64>:`).
pub fn repr_digest(sha256_hex: &str) -> Option<String> {
    let bytes = hex::decode(sha256_hex).ok()?;
    Some(format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// Reads the SHA-256 (hex) from a `Repr-Digest` header value.
pub fn parse_repr_digest(value: &str) -> Option<String> {
    for item in value.split(',') {
        let item = item.trim();
        if let Some(rest) = item.strip_prefix("sha-256=:")
            && let Some(b64) = rest.strip_suffix(':')
        {
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            if bytes.len() == 32 {
                return Some(hex::encode(bytes));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_digest_round_trips() {
        let hex = hex::encode(Sha256::digest(b"abc"));
        let header = repr_digest(&hex).expect("header");
        assert_eq!(
            header,
            "sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:"
        );
        assert_eq!(parse_repr_digest(&header), Some(hex.clone()));
        assert_eq!(
            parse_repr_digest(&format!("sha-512=:AA==:, {header}")),
            Some(hex)
        );
        assert_eq!(parse_repr_digest("sha-256=:AA==:"), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn digests_are_remembered_until_the_file_changes() {
        let store: Arc<dyn Store> = Arc::new(crate::store::SledStore::temporary().expect("store"));
        let path = std::env::temp_dir().join(format!("digest-{}.bin", std::process::id()));
        std::fs::write(&path, b"abc").expect("write");
        let d = file_digest(store.clone(), &path).await.expect("digest");
        assert_eq!(d.size, 3);
        assert_eq!(d.sha256, hex::encode(Sha256::digest(b"abc")));
        assert!(unchanged(&path, &d));
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, b"abcd").expect("write");
        assert!(!unchanged(&path, &d));
        let d2 = file_digest(store, &path).await.expect("digest");
        assert_eq!(d2.size, 4);
        let _ = std::fs::remove_file(&path);
    }
}
