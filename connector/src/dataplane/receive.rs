//! The consumer's side of `HttpData-PUSH`: one pushed file is written to a partial file while
//! its SHA-256 is computed, checked against the announced size and `Repr-Digest`, flushed to
//! disk, and only then renamed to its destination (the folder flushed after the rename) — so
//! a destination file is always complete and verified, also after a crash.
//!
//! The partial file survives a body that broke off (or a transfer that was suspended), so the
//! sender can ask how much arrived ([`partial_len`]) and continue from there with
//! `Content-Range: bytes N-…/total`: the bytes already kept are read through the hash again
//! before the new ones, so the digest is always over the whole file. Data that turns out
//! wrong (digest, size, larger than allowed) removes the partial file: the next attempt
//! starts from the beginning. The folder manifest a push of a folder starts with is read by
//! [`manifest`].

pub mod manifest;

use std::path::{Path, PathBuf};

use futures_util::{Stream, StreamExt};
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
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
    /// The file has another size than announced.
    #[error("the file has {received} bytes, the manifest announced {announced}")]
    SizeMismatch {
        /// The announced size.
        announced: u64,
        /// What arrived (or would have, for a body that is already too long).
        received: u64,
    },
    /// What arrived does not match the announced digest.
    #[error("the data does not match its Repr-Digest (announced {announced}, received {received})")]
    DigestMismatch {
        /// The announced SHA-256 (hex).
        announced: String,
        /// The SHA-256 (hex) of what arrived.
        received: String,
    },
    /// A continuation (`Content-Range`) does not start where the kept part ends.
    #[error(
        "Content-Range starts at byte {asked}, but {kept} bytes of this file are kept here; ask with HEAD and continue from Upload-Offset"
    )]
    OffsetMismatch {
        /// Bytes kept.
        kept: u64,
        /// Where the request said it continues.
        asked: u64,
    },
    /// The body broke off (the part received is kept for a continuation).
    #[error("the body broke off after {0} bytes")]
    BrokenOff(u64),
    /// The transfer was stopped while receiving (the part received is kept).
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

/// Where one pushed file goes and what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The partial file (kept between attempts).
    pub part: PathBuf,
    /// The destination of the verified file.
    pub dest: PathBuf,
    /// The announced SHA-256 (hex) of the whole file.
    pub sha256: String,
    /// The announced size of the whole file, when known (a folder's manifest).
    pub size: Option<u64>,
    /// Where this body continues (`Content-Range` start); 0 for the whole file.
    pub offset: u64,
    /// The most bytes a file may have.
    pub max_bytes: u64,
}

/// How many bytes of a file are kept in its partial file (0 when there is none).
pub fn partial_len(part: &Path) -> u64 {
    std::fs::metadata(part).map(|m| m.len()).unwrap_or(0)
}

fn io(path: &Path, e: std::io::Error) -> ReceiveError {
    ReceiveError::Io(format!("{}: {e}", path.display()))
}

/// Writes `body` as described by `to` (see the module docs); stops at once when `cancel`
/// fires. Nothing is ever left at `to.dest` unless it is complete and verified.
pub async fn receive_to_file<S, E>(
    body: S,
    to: &Incoming,
    cancel: CancellationToken,
) -> Result<Received, ReceiveError>
where
    S: Stream<Item = Result<bytes::Bytes, E>>,
{
    for dir in [to.part.parent(), to.dest.parent()].into_iter().flatten() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| io(dir, e))?;
    }
    let result = write_verified(body, to, cancel).await;
    match result {
        Ok((size, sha256)) => {
            tokio::fs::rename(&to.part, &to.dest).await.map_err(|e| {
                ReceiveError::Io(format!(
                    "{} → {}: {e}",
                    to.part.display(),
                    to.dest.display()
                ))
            })?;
            // The rename is durable before the file is reported stored: a receiver that
            // restarts trusts a file in its destination folder as verified.
            if let Some(dir) = to.dest.parent() {
                sync_dir(dir).await.map_err(|e| io(dir, e))?;
            }
            Ok(Received {
                path: to.dest.clone(),
                size,
                sha256,
            })
        }
        Err(e @ (ReceiveError::BrokenOff(_) | ReceiveError::Stopped)) => Err(e),
        Err(e @ ReceiveError::OffsetMismatch { .. }) => Err(e),
        Err(e) => {
            let _ = tokio::fs::remove_file(&to.part).await;
            Err(e)
        }
    }
}

/// Flushes a folder's entries (a rename into it) to disk.
async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
        .await
        .map_err(std::io::Error::other)?
}

/// Opens the partial file: new (truncated) for a whole body, or at its end for a
/// continuation, with the hash fed the bytes already kept.
async fn open_part(to: &Incoming) -> Result<(tokio::fs::File, sha2::Sha256, u64), ReceiveError> {
    let mut hasher = sha2::Sha256::new();
    if to.offset == 0 {
        let file = tokio::fs::File::create(&to.part)
            .await
            .map_err(|e| io(&to.part, e))?;
        return Ok((file, hasher, 0));
    }
    let kept = partial_len(&to.part);
    if kept != to.offset {
        return Err(ReceiveError::OffsetMismatch {
            kept,
            asked: to.offset,
        });
    }
    let mut file = tokio::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&to.part)
        .await
        .map_err(|e| io(&to.part, e))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut read = 0u64;
    while read < kept {
        let want = ((kept - read) as usize).min(buf.len());
        let n = file
            .read(&mut buf[..want])
            .await
            .map_err(|e| io(&to.part, e))?;
        if n == 0 {
            return Err(ReceiveError::Io(format!(
                "{} ended before byte {kept}",
                to.part.display()
            )));
        }
        hasher.update(&buf[..n]);
        read += n as u64;
    }
    file.seek(std::io::SeekFrom::Start(kept))
        .await
        .map_err(|e| io(&to.part, e))?;
    Ok((file, hasher, kept))
}

async fn write_verified<S, E>(
    body: S,
    to: &Incoming,
    cancel: CancellationToken,
) -> Result<(u64, String), ReceiveError>
where
    S: Stream<Item = Result<bytes::Bytes, E>>,
{
    let (mut file, mut hasher, mut size) = open_part(to).await?;
    let limit = to.size.unwrap_or(to.max_bytes).min(to.max_bytes);
    let mut body = std::pin::pin!(body);
    loop {
        let next = tokio::select! {
            // A stop wins over data that is ready.
            biased;
            _ = cancel.cancelled() => {
                let _ = file.flush().await;
                return Err(ReceiveError::Stopped);
            }
            n = body.next() => n,
        };
        let Some(chunk) = next else { break };
        let Ok(chunk) = chunk else {
            // Keep what arrived (flushed, so a HEAD reports it) for a continuation.
            let _ = file.flush().await;
            return Err(ReceiveError::BrokenOff(size));
        };
        size += chunk.len() as u64;
        if size > limit {
            return Err(match to.size {
                Some(announced) if announced <= to.max_bytes => ReceiveError::SizeMismatch {
                    announced,
                    received: size,
                },
                _ => ReceiveError::TooLarge(to.max_bytes),
            });
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(|e| io(&to.part, e))?;
    }
    if let Some(announced) = to.size
        && size != announced
    {
        return Err(ReceiveError::SizeMismatch {
            announced,
            received: size,
        });
    }
    let received = hex::encode(hasher.finalize());
    if received != to.sha256 {
        return Err(ReceiveError::DigestMismatch {
            announced: to.sha256.clone(),
            received,
        });
    }
    file.sync_all().await.map_err(|e| io(&to.part, e))?;
    Ok((size, received))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(data: &[u8]) -> impl Stream<Item = Result<bytes::Bytes, std::io::Error>> + use<> {
        let parts: Vec<Result<bytes::Bytes, std::io::Error>> = data
            .chunks(1000)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        futures_util::stream::iter(parts)
    }

    /// The chunks of `data`, then a broken connection.
    fn broken(data: &[u8]) -> impl Stream<Item = Result<bytes::Bytes, std::io::Error>> + use<> {
        chunks(data).chain(futures_util::stream::iter(vec![Err(
            std::io::Error::other("reset"),
        )]))
    }

    fn incoming(dir: &Path, sha256: &str, size: Option<u64>, offset: u64) -> Incoming {
        Incoming {
            part: dir.join("parts/x.part"),
            dest: dir.join("daten.csv"),
            sha256: sha256.to_owned(),
            size,
            offset,
            max_bytes: 1 << 20,
        }
    }

    #[tokio::test]
    async fn a_verified_body_is_renamed_into_place_and_a_wrong_one_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("receive-{}", uuid::Uuid::new_v4()));
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let sha = hex::encode(sha2::Sha256::digest(&data));
        let to = incoming(&dir, &sha, None, 0);
        let r = receive_to_file(chunks(&data), &to, CancellationToken::new())
            .await
            .expect("stored");
        assert_eq!((r.size, r.sha256.as_str()), (10_000, sha.as_str()));
        assert_eq!(std::fs::read(&to.dest).expect("file"), data);
        std::fs::remove_file(&to.dest).expect("rm");

        let e = receive_to_file(chunks(b"other"), &to, CancellationToken::new())
            .await
            .unwrap_err();
        assert!(matches!(e, ReceiveError::DigestMismatch { .. }), "{e}");
        let small = Incoming {
            max_bytes: 5000,
            ..to.clone()
        };
        let e = receive_to_file(chunks(&data), &small, CancellationToken::new())
            .await
            .unwrap_err();
        assert_eq!(e, ReceiveError::TooLarge(5000));
        let sized = incoming(&dir, &sha, Some(9_999), 0);
        let e = receive_to_file(chunks(&data), &sized, CancellationToken::new())
            .await
            .unwrap_err();
        assert_eq!(
            e,
            ReceiveError::SizeMismatch {
                announced: 9_999,
                received: 10_000
            }
        );
        assert!(!to.dest.exists());
        assert_eq!(
            partial_len(&to.part),
            0,
            "wrong data leaves no partial file"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_broken_body_is_kept_and_continued_with_the_digest_over_the_whole_file() {
        let dir = std::env::temp_dir().join(format!("receive-{}", uuid::Uuid::new_v4()));
        let data: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 253) as u8).collect();
        let sha = hex::encode(sha2::Sha256::digest(&data));
        let to = incoming(&dir, &sha, Some(50_000), 0);
        let e = receive_to_file(broken(&data[..12_000]), &to, CancellationToken::new())
            .await
            .unwrap_err();
        assert_eq!(e, ReceiveError::BrokenOff(12_000));
        assert_eq!(partial_len(&to.part), 12_000, "the part is kept");
        assert!(!to.dest.exists());

        // A continuation from the wrong place is refused and keeps the part.
        let wrong = incoming(&dir, &sha, Some(50_000), 11_000);
        let e = receive_to_file(chunks(&data[11_000..]), &wrong, CancellationToken::new())
            .await
            .unwrap_err();
        assert_eq!(
            e,
            ReceiveError::OffsetMismatch {
                kept: 12_000,
                asked: 11_000
            }
        );
        assert_eq!(partial_len(&to.part), 12_000);

        // Stopped while receiving: kept too.
        let stopped = CancellationToken::new();
        stopped.cancel();
        let from = incoming(&dir, &sha, Some(50_000), 12_000);
        let e = receive_to_file(chunks(&data[12_000..]), &from, stopped)
            .await
            .unwrap_err();
        assert_eq!(e, ReceiveError::Stopped);
        assert_eq!(partial_len(&to.part), 12_000);

        let r = receive_to_file(chunks(&data[12_000..]), &from, CancellationToken::new())
            .await
            .expect("continued");
        assert_eq!((r.size, r.sha256.as_str()), (50_000, sha.as_str()));
        assert_eq!(std::fs::read(&to.dest).expect("file"), data);
        assert!(!to.part.exists(), "the part became the file");

        // A continuation whose kept part was corrupted fails the digest and starts over.
        std::fs::write(&to.part, vec![0u8; 12_000]).expect("corrupt part");
        let e = receive_to_file(chunks(&data[12_000..]), &from, CancellationToken::new())
            .await
            .unwrap_err();
        assert!(matches!(e, ReceiveError::DigestMismatch { .. }), "{e}");
        assert!(!to.part.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
