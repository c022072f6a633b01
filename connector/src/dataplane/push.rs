//! The provider's side of `HttpData-PUSH`: checking the endpoint a consumer named, and
//! streaming a file to it.
//!
//! The endpoint is a request forgery risk: a consumer could name an address inside the
//! provider's network. So it must be `https`, must not be an IP address of the loopback,
//! private, link-local or unspecified ranges nor `localhost` (unless
//! `dataplane.allow_local_push_endpoints` is set, for development and tests, which also
//! admits plain `http` to loopback), carries no user info, and redirects are never followed
//! (the data client has no redirect policy; a 3xx answer is a failure).
//!
//! A host name is resolved when the push starts ([`resolve_push_endpoint`]): if any address
//! it resolves to is in those ranges, the push is refused naming the host and the address.
//! The push is then sent with [`push_client`], whose resolver ([`CheckedResolver`]) applies
//! the same check to the very answer the connection uses, so a DNS rebinding between the
//! check and the connect cannot redirect the data into a private network.
//!
//! The body is sent chunked (`PUT`), read from the file in blocks (memory stays flat), with
//! `Repr-Digest: sha-256=:…:` of the whole file and the consumer's bearer token; cancelling
//! the transfer's token aborts the request at once.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

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

/// Whether `ip` is in a range a push must not go to: loopback, private (10/8, 172.16/12,
/// 192.168/16), link-local, unspecified, broadcast, carrier-grade NAT (100.64/10), unique
/// local (fc00::/7), IPv6 link-local (fe80::/10), and IPv4-mapped IPv6 forms of these.
pub fn is_local(ip: IpAddr) -> bool {
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

/// Resolves `host` (a name, port `port`) with the system resolver; unless `allow_local`,
/// refuses when any address it resolves to is local or private (naming the host and the
/// address). An answer with no address, or a failed lookup, is a connection failure.
pub async fn resolve_checked(
    host: &str,
    port: u16,
    allow_local: bool,
) -> Result<Vec<SocketAddr>, PushError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| PushError::Connection(format!("{host} cannot be resolved: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(PushError::Connection(format!(
            "{host} resolves to no address"
        )));
    }
    if !allow_local && let Some(bad) = addrs.iter().find(|a| is_local(a.ip())) {
        return Err(PushError::Endpoint(format!(
            "host {host} resolves to {}, a local or private address; this provider does not push into private networks",
            bad.ip()
        )));
    }
    Ok(addrs)
}

/// Resolves the host of an endpoint [`check_push_endpoint`] accepted, when the push starts
/// (see the module docs); returns the addresses checked. An IP address needs no lookup (it
/// was checked with the URL).
pub async fn resolve_push_endpoint(
    url: &reqwest::Url,
    allow_local: bool,
) -> Result<Vec<SocketAddr>, PushError> {
    let port = url.port_or_known_default().unwrap_or(443);
    let host = url
        .host_str()
        .ok_or_else(|| PushError::Endpoint(format!("{url} has no host")))?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => Ok(vec![SocketAddr::new(ip, port)]),
        Err(_) => resolve_checked(bare, port, allow_local).await,
    }
}

/// The resolver of [`push_client`]: the system resolver, refusing every answer that contains
/// a local or private address unless local endpoints are allowed.
#[derive(Debug, Clone, Copy)]
pub struct CheckedResolver {
    allow_local: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let allow_local = self.allow_local;
        Box::pin(async move {
            // Port 0: the connector puts in the URL's port.
            let addrs = resolve_checked(&host, 0, allow_local)
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTPS client pushes are sent with: TLS `tls`, no redirects, connecting and reading
/// bounded (no overall timeout: a push may take hours), host names resolved by
/// [`CheckedResolver`].
pub fn push_client(
    tls: rustls::ClientConfig,
    allow_local: bool,
    user_agent: &str,
) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .dns_resolver(Arc::new(CheckedResolver { allow_local }))
        .connect_timeout(std::time::Duration::from_secs(10))
        .read_timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .map_err(|e| format!("cannot build the push client: {e}"))
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

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn local_and_private_ranges_are_recognised() {
        for local in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.1",
            "169.254.169.254",
            "255.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:192.168.0.1",
            "::ffff:100.64.1.1",
        ] {
            assert!(is_local(ip(local)), "{local} is local");
        }
        for public in [
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "2001:db8::1",
            "2a00:1450::1",
            "fec0::1",
            "fbff::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_local(ip(public)), "{public} is public");
        }
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_naming_host_and_address() {
        let e = resolve_checked("localhost", 443, false)
            .await
            .expect_err("localhost is refused");
        let text = e.to_string();
        assert!(matches!(e, PushError::Endpoint(_)), "{e:?}");
        assert!(text.contains("localhost"), "{text}");
        assert!(text.contains("127.0.0.1") || text.contains("::1"), "{text}");
        let allowed = resolve_checked("localhost", 8443, true)
            .await
            .expect("allowed when local endpoints are");
        assert!(
            allowed
                .iter()
                .all(|a| a.port() == 8443 && a.ip().is_loopback())
        );
        let url = reqwest::Url::parse("https://localhost:9/in").expect("url");
        assert!(resolve_push_endpoint(&url, false).await.is_err());
        let literal = reqwest::Url::parse("https://[2001:db8::1]:9443/in").expect("url");
        assert_eq!(
            resolve_push_endpoint(&literal, false)
                .await
                .expect("literal"),
            vec![SocketAddr::new(ip("2001:db8::1"), 9443)]
        );
    }

    #[tokio::test]
    async fn the_push_client_does_not_connect_to_a_name_resolving_to_loopback() {
        // A listener on loopback that would accept the connection.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let tls = crate::tls::client_config(rustls::RootCertStore::empty()).expect("tls");
        let client = push_client(tls, false, "test").expect("client");
        let e = client
            .put(format!("http://localhost:{port}/in"))
            .body("x")
            .send()
            .await
            .expect_err("refused by the resolver");
        let mut chain = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(inner) = source {
            chain.push_str(&format!(": {inner}"));
            source = inner.source();
        }
        assert!(chain.contains("local or private"), "{chain}");
        let accepted =
            tokio::time::timeout(std::time::Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "no connection reached the listener");
    }

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
