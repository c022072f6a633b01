//! The consumer's side of `HttpData-PUSH`: the body the provider sends is written to a
//! temporary file next to its destination while its SHA-256 is computed, checked against
//! the `Repr-Digest` the provider announced, flushed to disk, and only then renamed into
//! place — so a file in the received-data folder is always complete and verified, and the
//! deletion duty covers it like a pulled file.

use std::path::{Path, PathBuf};

use futures_util::{Stream, StreamExt};
use sha2::Digest;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

/// Why a pushed body was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The request has no usable `Repr-Digest: sha-256=:…:`.
    #[error("the push has no Repr-Digest header with a sha-256 digest")]
    NoDigest,
    /// The body is larger than allowed.
    #[error("the body is larger than dataplane.max_transfer_bytes ({0} bytes)")]
    TooLarge(u64),
    /// What arrived does not match the announced digest.
    #[error("the data does not match its Repr-Digest (announced {announced}, received {received})")]
    DigestMismatch {
        /// The announced SHA-256 (hex).
        announced: String,
        /// The SHA-256 (hex) of what arrived.
        received: String,
    },
    /// The body broke off.
    #[error("the body broke off after {0} bytes")]
    BrokenOff(u64),
    /// The transfer was stopped while receiving.
    #[error("the transfer was stopped while receiving")]
    Stopped,
    /// Writing failed (for operators).
    #[error("cannot store the data: {0}")]
    Io(String),
}

/// A stored, verified file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Where it is.
    pub path: PathBuf,
    /// Its size.
    pub size: u64,
    /// Its SHA-256 (hex).
    pub sha256: String,
}

/// Writes `body` to `dest` (atomically, verified against `announced_sha256`), at most
/// `max_bytes`; stops at once when `cancel` fires. Nothing is left at `dest` on failure.
pub async fn receive_to_file<S, E>(
    body: S,
    dest: &Path,
    announced_sha256: &str,
    max_bytes: u64,
    cancel: CancellationToken,
) -> Result<Received, ReceiveError>
where
    S: Stream<Item = Result<bytes::Bytes, E>>,
{
    let parent = dest
        .parent()
        .ok_or_else(|| ReceiveError::Io(format!("{} has no folder", dest.display())))?;
    tokio::fs::create_dir_all(parent)
        .await
        .map_err(|e| ReceiveError::Io(format!("{}: {e}", parent.display())))?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = parent.join(format!(".{name}.push-{}", uuid::Uuid::new_v4().simple()));
    let result = write_verified(body, &temp, announced_sha256, max_bytes, cancel).await;
    match result {
        Ok((size, sha256)) => {
            tokio::fs::rename(&temp, dest).await.map_err(|e| {
                ReceiveError::Io(format!("{} → {}: {e}", temp.display(), dest.display()))
            })?;
            Ok(Received {
                path: dest.to_path_buf(),
                size,
                sha256,
            })
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&temp).await;
            Err(e)
        }
    }
}

async fn write_verified<S, E>(
    body: S,
    temp: &Path,
    announced: &str,
    max_bytes: u64,
    cancel: CancellationToken,
) -> Result<(u64, String), ReceiveError>
where
    S: Stream<Item = Result<bytes::Bytes, E>>,
{
    let mut file = tokio::fs::File::create(temp)
        .await
        .map_err(|e| ReceiveError::Io(format!("{}: {e}", temp.display())))?;
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    let mut body = std::pin::pin!(body);
    loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => return Err(ReceiveError::Stopped),
            n = body.next() => n,
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|_| ReceiveError::BrokenOff(size))?;
        size += chunk.len() as u64;
        if size > max_bytes {
            return Err(ReceiveError::TooLarge(max_bytes));
        }
        hasher.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(|e| ReceiveError::Io(format!("{}: {e}", temp.display())))?;
    }
    let received = hex::encode(hasher.finalize());
    if received != announced {
        return Err(ReceiveError::DigestMismatch {
            announced: announced.to_owned(),
            received,
        });
    }
    file.sync_all()
        .await
        .map_err(|e| ReceiveError::Io(format!("{}: {e}", temp.display())))?;
    Ok((size, received))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(data: &[u8]) -> impl Stream<Item = Result<bytes::Bytes, std::io::Error>> {
        let parts: Vec<Result<bytes::Bytes, std::io::Error>> = data
            .chunks(1000)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        futures_util::stream::iter(parts)
    }

    #[tokio::test]
    async fn a_verified_body_is_renamed_into_place_and_a_wrong_one_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("receive-{}", uuid::Uuid::new_v4()));
        let dest = dir.join("daten.csv");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let sha = hex::encode(sha2::Sha256::digest(&data));
        let r = receive_to_file(
            chunks(&data),
            &dest,
            &sha,
            1 << 20,
            CancellationToken::new(),
        )
        .await
        .expect("stored");
        assert_eq!((r.size, r.sha256.as_str()), (10_000, sha.as_str()));
        assert_eq!(std::fs::read(&dest).expect("file"), data);
        std::fs::remove_file(&dest).expect("rm");

        let e = receive_to_file(
            chunks(b"other"),
            &dest,
            &sha,
            1 << 20,
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ReceiveError::DigestMismatch { .. }), "{e}");
        let e = receive_to_file(chunks(&data), &dest, &sha, 5000, CancellationToken::new())
            .await
            .unwrap_err();
        assert_eq!(e, ReceiveError::TooLarge(5000));
        let stopped = CancellationToken::new();
        stopped.cancel();
        let e = receive_to_file(chunks(&data), &dest, &sha, 1 << 20, stopped)
            .await
            .unwrap_err();
        assert_eq!(e, ReceiveError::Stopped);
        assert!(!dest.exists());
        assert_eq!(
            std::fs::read_dir(&dir).expect("dir").count(),
            0,
            "no temporary file is left"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
