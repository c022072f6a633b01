//! The consumer's download of one file: resumes a partial download with `Range`, streams to
//! a `.part` file (network and TLS on the async runtime; hashing, writing and flushing each
//! on their own thread, fed by small bounded queues, so memory stays flat and all run at
//! once — see [`sink`]), checks size and SHA-256 against what the provider announced (start
//! message and `Repr-Digest`), syncs, and renames into place.

mod direct;
mod sink;

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::blocks::BlockPool;
use super::config::DataPlaneConfig;
use super::digest::parse_repr_digest;
use super::range::parse_content_range;
use super::token::CALLER_HEADER;
use direct::Mode;
use sink::{BLOCK, POOL, Sink};

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullOutcome {
    /// Bytes stored.
    pub size: u64,
    /// Their SHA-256 (hex), verified against the provider's when it announced one.
    pub sha256: String,
    /// Bytes this attempt received (less than `size` after a resume).
    pub received_now: u64,
}

/// Why a download did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PullError {
    /// The connection failed or was cut (resumable).
    #[error("network: {0}")]
    Network(String),
    /// The provider refused (status and its reason).
    #[error("the provider answered HTTP {status}: {reason}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The provider's refusal code (`token_expired`, `not_started`, …), when it sent one.
        code: Option<String>,
        /// The provider's reason.
        reason: String,
    },
    /// The data does not match the announced size or digest (the partial file is removed).
    #[error("{0}")]
    Digest(String),
    /// The answer is not what the protocol says.
    #[error("{0}")]
    Protocol(String),
    /// Local disk problem.
    #[error("{0}")]
    Io(String),
    /// Larger than `dataplane.max_transfer_bytes`.
    #[error("the data ({0} bytes) exceeds dataplane.max_transfer_bytes")]
    TooLarge(u64),
    /// The transfer was suspended, completed or terminated meanwhile.
    #[error("the transfer was stopped")]
    Cancelled,
}

impl PullError {
    /// The refusal a provider answered: its JSON body's `code` and `reason` (the data plane
    /// answers `{"code": …, "reason": …}`), else the start of the body as the reason.
    pub fn refused(status: u16, body: &str) -> Self {
        let json = serde_json::from_str::<serde_json::Value>(body).ok();
        let field = |name: &str| json.as_ref().and_then(|v| v.get(name)).cloned();
        Self::Refused {
            status,
            code: field("code").and_then(|c| c.as_str().map(str::to_owned)),
            reason: field("reason")
                .map(|r| r.to_string())
                .unwrap_or_else(|| body.chars().take(300).collect()),
        }
    }

    /// Worth another attempt (resuming where it stopped).
    pub fn retriable(&self) -> bool {
        match self {
            Self::Network(_) | Self::Digest(_) => true,
            Self::Refused { status, .. } => *status >= 500 || matches!(status, 408 | 425 | 429),
            _ => false,
        }
    }
}

/// The `.part` file next to `dest`.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    dest.with_file_name(name)
}

fn io(path: &Path, e: std::io::Error) -> PullError {
    PullError::Io(format!("{}: {e}", path.display()))
}

/// Downloads `url` into `dest` (see the module docs). `caller_token` is the whole value of
/// the caller header (`Bearer <jwt>`), fresh for this request; `settings` gives the largest
/// download (`max_transfer_bytes`) and how it is written (`direct_writes`).
#[allow(clippy::too_many_arguments)]
pub async fn pull_to_file(
    client: &reqwest::Client,
    url: &str,
    access_token: &str,
    caller_token: &str,
    dest: &Path,
    expected_size: Option<u64>,
    expected_sha256: Option<String>,
    settings: &DataPlaneConfig,
    cancel: CancellationToken,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<PullOutcome, PullError> {
    let max_bytes = settings.max_transfer_bytes;
    let part = part_path(dest);
    let mut existing = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    if expected_size.is_some_and(|s| existing > s) {
        existing = 0;
    }
    let mut request = client
        .get(url)
        .bearer_auth(access_token)
        .header(CALLER_HEADER, caller_token);
    if existing > 0 {
        request = request.header(reqwest::header::RANGE, format!("bytes={existing}-"));
    }
    let response = tokio::select! {
        _ = cancel.cancelled() => return Err(PullError::Cancelled),
        r = request.send() => r.map_err(|e| PullError::Network(describe(&e)))?,
    };
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let announced = header("repr-digest").and_then(|v| parse_repr_digest(&v));
    let expected_sha256 = match (expected_sha256, announced) {
        (Some(a), Some(b)) if a != b => {
            return Err(PullError::Protocol(format!(
                "the Repr-Digest {b} differs from the digest {a} of the start message"
            )));
        }
        (a, b) => a.or(b),
    };
    let (resume_from, total) = match status {
        200 => (0, response.content_length()),
        206 => {
            let (start, _, size) = header("content-range")
                .and_then(|v| parse_content_range(&v))
                .ok_or_else(|| PullError::Protocol("206 without a valid Content-Range".into()))?;
            if start != existing {
                return Err(PullError::Protocol(format!(
                    "asked for bytes from {existing}, got a range from {start}"
                )));
            }
            (existing, size)
        }
        416 if existing > 0 && expected_size == Some(existing) => (existing, Some(existing)),
        _ => {
            let text = response.text().await.unwrap_or_default();
            return Err(PullError::refused(status, &text));
        }
    };
    let total = total.or(expected_size);
    if let Some(t) = total
        && t > max_bytes
    {
        return Err(PullError::TooLarge(t));
    }
    if let (Some(t), Some(e)) = (total, expected_size)
        && t != e
    {
        return Err(PullError::Protocol(format!(
            "the provider serves {t} bytes but announced {e}"
        )));
    }
    let mode = if settings.direct_writes {
        Mode::Direct
    } else {
        Mode::Buffered
    };
    let (sink, finished) = Sink::start(part.clone(), resume_from, mode);
    // The progress (and with it the first byte's time) is reported for the first chunk,
    // then once per block.
    let mut stream = response.bytes_stream();
    let mut pool = BlockPool::new(BLOCK, POOL);
    let mut block = pool.empty();
    let mut received = resume_from;
    let mut received_now = 0u64;
    let mut failure = None;
    'download: loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => { failure = Some(PullError::Cancelled); break; }
            n = stream.next() => n,
        };
        match next {
            None => break,
            Some(Err(e)) => {
                failure = Some(PullError::Network(describe(&e)));
                break;
            }
            Some(Ok(chunk)) => {
                if received_now == 0 && !chunk.is_empty() {
                    progress(received + chunk.len() as u64, total);
                }
                received += chunk.len() as u64;
                received_now += chunk.len() as u64;
                if received > max_bytes || total.is_some_and(|t| received > t) {
                    failure = Some(PullError::Protocol("more data than announced".into()));
                    break;
                }
                // Chunks arrive as the transport delivers them (one TLS record, at most
                // 16 KiB, each). They are copied into blocks of `BLOCK` bytes, so the
                // blocking side's threads wake once per block, and hyper's read buffer is
                // free again at once and reused in place (chunks held on to would make it
                // allocate fresh memory for every read: BENCHMARKS.md, transfer section).
                let mut rest = &chunk[..];
                let mut handed_over = false;
                while !rest.is_empty() {
                    let n = rest.len().min(BLOCK - block.len());
                    block.extend_from_slice(&rest[..n]);
                    rest = &rest[n..];
                    if block.len() == BLOCK {
                        let full = std::mem::replace(&mut block, pool.empty());
                        if !sink.send(pool.lend(full)).await {
                            break 'download;
                        }
                        handed_over = true;
                    }
                }
                if handed_over {
                    progress(received, total);
                }
            }
        }
    }
    // What arrived before a failure is kept too: a later attempt resumes after it.
    if !block.is_empty() {
        sink.send(block.freeze()).await;
    }
    progress(received, total);
    drop(sink);
    let written = finished.wait().await;
    if let Some(f) = failure {
        written?;
        return Err(f);
    }
    let (size, sha256) = written?;
    if let Some(t) = total
        && size != t
    {
        return Err(PullError::Network(format!(
            "the connection ended after {size} of {t} bytes"
        )));
    }
    if let Some(expected) = &expected_sha256
        && *expected != sha256
    {
        let _ = std::fs::remove_file(&part);
        return Err(PullError::Digest(format!(
            "the data does not match its SHA-256 digest (expected {expected}, got {sha256}); the partial file was removed"
        )));
    }
    std::fs::rename(&part, dest).map_err(|e| io(dest, e))?;
    if let Some(dir) = dest.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(PullOutcome {
        size,
        sha256,
        received_now,
    })
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::{DataPlaneConfig, PullError, part_path, pull_to_file};
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::response::IntoResponse;
    use sha2::Digest;
    use tokio_util::sync::CancellationToken;

    /// A plain HTTP server on loopback serving `data` with `Range` support.
    async fn serve(data: &'static [u8]) -> String {
        let app = axum::Router::new().route(
            "/data",
            axum::routing::get(move |headers: HeaderMap| async move {
                let from = headers
                    .get(header::RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("bytes="))
                    .and_then(|v| v.strip_suffix('-'))
                    .and_then(|v| v.parse::<usize>().ok());
                match from {
                    Some(from) => (
                        StatusCode::PARTIAL_CONTENT,
                        [(
                            header::CONTENT_RANGE,
                            format!("bytes {from}-{}/{}", data.len() - 1, data.len()),
                        )],
                        &data[from..],
                    )
                        .into_response(),
                    None => data.into_response(),
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/data")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_resumed_download_is_whole_with_direct_writes_on_and_off() {
        // 9 MiB and a little: past two direct chunks, an unaligned resume point and tail.
        let data: &'static [u8] = Box::leak(
            (0..(9 << 20) + 4321u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect::<Vec<u8>>()
                .into_boxed_slice(),
        );
        let sha = hex::encode(sha2::Sha256::digest(data));
        let url = serve(data).await;
        let client = reqwest::Client::builder().build().expect("client");
        for direct_writes in [true, false] {
            // Not /tmp, which may be a tmpfs without direct I/O.
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/unit-tmp")
                .join(format!(
                    "pull-{}-direct-{direct_writes}",
                    std::process::id()
                ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("dir");
            let dest = dir.join("messwerte.csv");
            std::fs::write(part_path(&dest), &data[..5000]).expect("part");
            let settings = DataPlaneConfig {
                direct_writes,
                ..DataPlaneConfig::default()
            };
            let mut seen = 0;
            let outcome = pull_to_file(
                &client,
                &url,
                "token",
                "Bearer caller",
                &dest,
                Some(data.len() as u64),
                Some(sha.clone()),
                &settings,
                CancellationToken::new(),
                &mut |bytes, _| seen = bytes,
            )
            .await
            .unwrap_or_else(|e| panic!("direct_writes = {direct_writes}: {e}"));
            assert_eq!(outcome.sha256, sha, "direct_writes = {direct_writes}");
            assert_eq!(outcome.size, data.len() as u64);
            assert_eq!(outcome.received_now, data.len() as u64 - 5000, "resumed");
            assert_eq!(seen, data.len() as u64);
            assert!(
                std::fs::read(&dest).expect("file") == data,
                "direct_writes = {direct_writes}: the file differs"
            );
            assert!(!part_path(&dest).exists());
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    #[test]
    fn a_refusal_keeps_the_providers_code_and_reason() {
        let e = PullError::refused(
            401,
            r#"{"code":"token_expired","reason":["the access token has expired"]}"#,
        );
        assert!(matches!(
            &e,
            PullError::Refused { status: 401, code: Some(c), reason }
                if c == "token_expired" && reason.contains("has expired")
        ));
        let plain = PullError::refused(502, "Bad Gateway");
        assert!(matches!(
            &plain,
            PullError::Refused { status: 502, code: None, reason } if reason == "Bad Gateway"
        ));
        assert!(plain.retriable() && !e.retriable());
    }
}
