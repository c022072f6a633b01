//! The provider's side of `HttpData-PUSH`: checking the endpoint a consumer named, and
//! streaming a file to it.
//!
//! The endpoint is a request forgery risk: a consumer could name an address inside the
//! provider's network. So it must be `https`, must not be an IP address of the loopback,
//! private, link-local or unspecified ranges nor `localhost` (unless
//! `dataplane.allow_local_push_endpoints` is set, for development and tests, which also
//! admits plain `http` to loopback), carries no user info, and redirects are never followed
//! (the data client has no redirect policy; a 3xx answer is a failure). A host name that
//! resolves to a private address is not detected here (no DNS lookup at check time).
//!
//! The body is sent chunked (`PUT`), read from the file in blocks (memory stays flat), with
//! `Repr-Digest: sha-256=:…:` of the whole file and the consumer's bearer token; cancelling
//! the transfer's token aborts the request at once.

use std::net::IpAddr;
use std::path::Path;

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

/// Why a push endpoint is refused, or a push failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The endpoint is not acceptable (the message says why).
    #[error("dataAddress.endpoint {0}")]
    Endpoint(String),
    /// The file cannot be read (for operators).
    #[error("cannot read the data: {0}")]
    Source(String),
    /// The connection failed or broke off.
    #[error("the push endpoint cannot be reached: {0}")]
    Connection(String),
    /// The endpoint answered with an error (or a redirect).
    #[error("the push endpoint answered {status}: {body}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The start of its answer.
        body: String,
    },
    /// The transfer was stopped while sending.
    #[error("the transfer was stopped while sending")]
    Stopped,
}

fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                // 100.64.0.0/10 (carrier-grade NAT)
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xC0) == 64)
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                // fc00::/7 (unique local), fe80::/10 (link-local)
                || (v6.segments()[0] & 0xFE00) == 0xFC00
                || (v6.segments()[0] & 0xFFC0) == 0xFE80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_local(IpAddr::V4(v4)))
        }
    }
}

/// Checks an endpoint a consumer named for a push; `allow_local` admits loopback and private
/// addresses (and plain `http` to loopback) for development and tests.
pub fn check_push_endpoint(endpoint: &str, allow_local: bool) -> Result<reqwest::Url, PushError> {
    let url = reqwest::Url::parse(endpoint)
        .map_err(|e| PushError::Endpoint(format!("{endpoint:?} is not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(PushError::Endpoint(
            "must not carry user info; give credentials as the authorization property".into(),
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| PushError::Endpoint(format!("{endpoint:?} has no host")))?
        .to_owned();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let (local, loopback) = match bare.parse::<IpAddr>() {
        Ok(ip) => (is_local(ip), ip.is_loopback()),
        Err(_) => {
            let d = bare.trim_end_matches('.').to_ascii_lowercase();
            let lo = d == "localhost" || d.ends_with(".localhost");
            (lo, lo)
        }
    };
    match url.scheme() {
        "https" => {}
        "http" if allow_local && loopback => {}
        other => {
            return Err(PushError::Endpoint(format!(
                "must use https (found {other:?}); this provider pushes only over TLS"
            )));
        }
    }
    if local && !allow_local {
        return Err(PushError::Endpoint(format!(
            "{host} is a local or private address; this provider does not push into private networks"
        )));
    }
    Ok(url)
}

/// Sends the file at `path` (`size` bytes, SHA-256 `sha256` hex) to `url` with `PUT`,
/// chunked, with `Repr-Digest` and the bearer token; calls `progress` with the bytes sent.
/// Returns the bytes sent once the endpoint answered 2xx.
#[allow(clippy::too_many_arguments)]
pub async fn push_file(
    client: &reqwest::Client,
    url: reqwest::Url,
    bearer: Option<&str>,
    path: &Path,
    sha256: &str,
    block_bytes: usize,
    cancel: CancellationToken,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<u64, PushError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| PushError::Source(format!("{}: {e}", path.display())))?;
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sent.clone();
    let body = tokio_util::io::ReaderStream::with_capacity(file, block_bytes.max(4096)).map(
        move |chunk| {
            if let Ok(c) = &chunk {
                let n = counter.fetch_add(c.len() as u64, std::sync::atomic::Ordering::Relaxed);
                progress(n + c.len() as u64);
            }
            chunk
        },
    );
    let mut request = client
        .put(url)
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(body));
    if let Some(d) = super::repr_digest(sha256) {
        request = request.header("repr-digest", d);
    }
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = tokio::select! {
        _ = cancel.cancelled() => return Err(PushError::Stopped),
        r = request.send() => r.map_err(|e| PushError::Connection(e.without_url().to_string()))?,
    };
    let status = response.status();
    if !status.is_success() {
        let body = tokio::select! {
            _ = cancel.cancelled() => return Err(PushError::Stopped),
            b = response.bytes() => b.unwrap_or_default(),
        };
        let text = String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned();
        return Err(PushError::Refused {
            status: status.as_u16(),
            body: text,
        });
    }
    Ok(sent.load(std::sync::atomic::Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_endpoints_pass_unless_local_ones_are_allowed() {
        assert!(check_push_endpoint("https://daten.example.org/eingang/1", false).is_ok());
        for bad in [
            "http://daten.example.org/in",
            "ftp://daten.example.org/in",
            "https://127.0.0.1/in",
            "https://localhost:8443/in",
            "https://10.1.2.3/in",
            "https://192.168.0.5/in",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/in",
            "https://[fd00::1]/in",
            "https://[::ffff:10.0.0.1]/in",
            "https://user:pw@daten.example.org/in",
            "not a url",
        ] {
            assert!(
                check_push_endpoint(bad, false).is_err(),
                "{bad} must be refused"
            );
        }
        assert!(check_push_endpoint("https://localhost:8443/in", true).is_ok());
        assert!(check_push_endpoint("http://127.0.0.1:8080/in", true).is_ok());
        assert!(
            check_push_endpoint("http://daten.example.org/in", true).is_err(),
            "plain http only to loopback"
        );
        let e = check_push_endpoint("http://daten.example.org/in", false).unwrap_err();
        assert!(e.to_string().contains("https"), "{e}");
    }
}
