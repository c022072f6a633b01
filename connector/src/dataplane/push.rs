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
//! A file is sent with `PUT` ([`push_file`]), read from disk in blocks (memory stays flat),
//! with `Content-Length`, `Repr-Digest: sha-256=:…:` of the whole file and the consumer's
//! bearer token. A folder starts with its manifest ([`push_manifest`], media type
//! [`MANIFEST_MEDIA_TYPE`]); each of its files goes to [`file_url`]. [`probe`] asks a
//! receiver how much of a file it keeps (`HEAD`, answered with `Upload-Offset`), and
//! [`push_file`] then sends only the rest, with `Content-Range`. Cancelling the transfer's
//! token aborts a request at once. The protocol as a whole is described in
//! [`crate::transfer::push`].

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

/// The media type of the manifest that starts the push of a folder.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.datenraum.folder-manifest+json";

/// The header a receiver answers `HEAD` with: how many bytes of the file it keeps
/// (as in the IETF resumable uploads draft).
pub const UPLOAD_OFFSET: &str = "upload-offset";

/// The header a receiver answers `HEAD` with when the file is complete and verified (`?1`).
pub const UPLOAD_COMPLETE: &str = "upload-complete";

/// One file to send.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// Where to (`{endpoint}` for a single file, `{endpoint}/files/{path}` in a folder).
    pub url: reqwest::Url,
    /// The consumer's bearer token, if it named one.
    pub bearer: Option<&'a str>,
    /// The file on this side.
    pub path: &'a Path,
    /// Its size, as described when the transfer started.
    pub size: u64,
    /// Its SHA-256 (hex), as described when the transfer started.
    pub sha256: &'a str,
    /// The media type sent.
    pub content_type: &'a str,
    /// Where to continue (bytes the receiver already keeps); 0 sends the whole file.
    pub offset: u64,
}

/// What a receiver keeps of a file, from its answer to `HEAD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Kept {
    /// Bytes kept (where to continue).
    pub offset: u64,
    /// The file is complete and verified there.
    pub complete: bool,
}

/// The URL of the file `rel` (a folder's relative path) below `endpoint`:
/// `{endpoint}/files/{segment}/…`, each segment percent-encoded; a query stays.
pub fn file_url(endpoint: &reqwest::Url, rel: &str) -> Result<reqwest::Url, PushError> {
    let mut url = endpoint.clone();
    url.path_segments_mut()
        .map_err(|()| PushError::Endpoint(format!("{endpoint} cannot have a path")))?
        .pop_if_empty()
        .push("files")
        .extend(rel.split('/'));
    Ok(url)
}

fn connection(e: reqwest::Error) -> PushError {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        text.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    PushError::Connection(text)
}

async fn send(
    request: reqwest::RequestBuilder,
    cancel: &CancellationToken,
) -> Result<reqwest::Response, PushError> {
    tokio::select! {
        _ = cancel.cancelled() => Err(PushError::Stopped),
        r = request.send() => r.map_err(connection),
    }
}

/// The refusal of a non-2xx answer, with the start of its body (at most 4 KiB read).
async fn refusal(response: reqwest::Response, cancel: &CancellationToken) -> PushError {
    let status = response.status().as_u16();
    let mut text = Vec::new();
    let mut body = response.bytes_stream();
    while text.len() < 4096 {
        let next = tokio::select! {
            _ = cancel.cancelled() => return PushError::Stopped,
            n = body.next() => n,
        };
        match next {
            Some(Ok(c)) => text.extend_from_slice(&c[..c.len().min(4096 - text.len())]),
            _ => break,
        }
    }
    let mut body = String::from_utf8_lossy(&text).into_owned();
    if body.len() > 500 {
        let cut = (0..=500)
            .rev()
            .find(|i| body.is_char_boundary(*i))
            .unwrap_or(0);
        body.truncate(cut);
    }
    PushError::Refused { status, body }
}

/// Asks the receiver how much of a file it keeps (`HEAD`). An endpoint that does not answer
/// 2xx with `Upload-Offset` keeps nothing that can be continued: the file is sent whole. An
/// answer that says the receiver cannot tell right now (5xx — e.g. a reverse proxy whose
/// backend is restarting —, 408, 425, 429) is a failure of the attempt, tried again like a
/// broken connection: taking it for "nothing kept" would send the whole file again and
/// throw away what the receiver keeps.
pub async fn probe(
    client: &reqwest::Client,
    url: reqwest::Url,
    bearer: Option<&str>,
    size: u64,
    cancel: &CancellationToken,
) -> Result<Kept, PushError> {
    let mut request = client.head(url);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = send(request, cancel).await?;
    let status = response.status().as_u16();
    if status >= 500 || matches!(status, 408 | 425 | 429) {
        return Err(refusal(response, cancel).await);
    }
    if !response.status().is_success() {
        return Ok(Kept::default());
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let offset = header(UPLOAD_OFFSET)
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| *n <= size);
    let complete = header(UPLOAD_COMPLETE) == Some("?1");
    Ok(match offset {
        Some(offset) => Kept {
            offset,
            complete: complete && offset == size,
        },
        None => Kept::default(),
    })
}

/// Sends a folder's manifest (`PUT {endpoint}` with [`MANIFEST_MEDIA_TYPE`]); returns whether
/// the receiver already had it (answered 200 rather than 201: an earlier attempt got there,
/// so files may be kept and are asked for before sending).
pub async fn push_manifest(
    client: &reqwest::Client,
    url: reqwest::Url,
    bearer: Option<&str>,
    manifest: Vec<u8>,
    cancel: &CancellationToken,
) -> Result<bool, PushError> {
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(&manifest));
    let mut request = client
        .put(url)
        .header("content-type", MANIFEST_MEDIA_TYPE)
        .body(manifest);
    if let Some(d) = super::repr_digest(&sha) {
        request = request.header("repr-digest", d);
    }
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = send(request, cancel).await?;
    if !response.status().is_success() {
        return Err(refusal(response, cancel).await);
    }
    Ok(response.status() == reqwest::StatusCode::OK)
}

/// Sends one file with `PUT` (from `file.offset` on, with `Content-Range`, when the receiver
/// keeps its start), streamed in blocks with `Content-Length`, `Repr-Digest` of the whole
/// file and the bearer token; calls `progress` with the bytes of the file now at the
/// receiver (kept plus sent). Returns the bytes sent once the endpoint answered 2xx.
pub async fn push_file(
    client: &reqwest::Client,
    file: &Outgoing<'_>,
    block_bytes: usize,
    cancel: CancellationToken,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<u64, PushError> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let source = |e: std::io::Error| PushError::Source(format!("{}: {e}", file.path.display()));
    let mut f = tokio::fs::File::open(file.path).await.map_err(source)?;
    let now = f.metadata().await.map_err(source)?.len();
    if now != file.size {
        return Err(PushError::Source(format!(
            "{} has {now} bytes, {} when the transfer started: the data changed; request a new transfer",
            file.path.display(),
            file.size
        )));
    }
    let offset = file.offset.min(file.size);
    f.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(source)?;
    let len = file.size - offset;
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sent.clone();
    let body = tokio_util::io::ReaderStream::with_capacity(f.take(len), block_bytes.max(4096)).map(
        move |chunk| {
            if let Ok(c) = &chunk {
                let n = counter.fetch_add(c.len() as u64, std::sync::atomic::Ordering::Relaxed);
                progress(offset + n + c.len() as u64);
            }
            chunk
        },
    );
    let mut request = client
        .put(file.url.clone())
        .header("content-type", file.content_type)
        .header("content-length", len)
        .body(reqwest::Body::wrap_stream(body));
    if offset > 0 {
        request = request.header(
            "content-range",
            format!("bytes {offset}-{}/{}", file.size - 1, file.size),
        );
    }
    if let Some(d) = super::repr_digest(file.sha256) {
        request = request.header("repr-digest", d);
    }
    if let Some(token) = file.bearer {
        request = request.bearer_auth(token);
    }
    let response = send(request, &cancel).await?;
    if !response.status().is_success() {
        return Err(refusal(response, &cancel).await);
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

    /// A loopback server answering every request with `answer` (one per connection).
    async fn answering(answer: &'static str) -> reqwest::Url {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(answer.as_bytes()).await;
                let _ = s.shutdown().await;
            }
        });
        reqwest::Url::parse(&format!("http://127.0.0.1:{port}/push/t")).expect("url")
    }

    #[tokio::test]
    async fn a_probe_answered_by_an_unavailable_receiver_fails_the_attempt() {
        let client = reqwest::Client::new();
        let cancel = CancellationToken::new();
        let url = answering(
            "HTTP/1.1 200 OK\r\nupload-offset: 4096\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .await;
        let kept = probe(&client, url, None, 10_000, &cancel).await;
        assert_eq!(
            kept,
            Ok(Kept {
                offset: 4096,
                complete: false
            })
        );
        // No support for continuing: the file is sent whole.
        let url = answering(
            "HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert_eq!(
            probe(&client, url, None, 10_000, &cancel).await,
            Ok(Kept::default())
        );
        // A proxy whose receiver restarts: not "nothing kept", but an attempt to repeat.
        for (status, line) in [
            (502, "502 Bad Gateway"),
            (503, "503 Service Unavailable"),
            (429, "429 Too Many Requests"),
        ] {
            let answer: &'static str = Box::leak(
                format!("HTTP/1.1 {line}\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbusy")
                    .into_boxed_str(),
            );
            let url = answering(answer).await;
            match probe(&client, url, None, 10_000, &cancel).await {
                Err(PushError::Refused { status: s, .. }) => assert_eq!(s, status),
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn file_urls_encode_each_segment_and_keep_the_query() {
        let base = reqwest::Url::parse("https://daten.example.org/eingang/?k=1").expect("url");
        let u = file_url(&base, "2024/januar alt%.csv").expect("url");
        assert_eq!(
            u.as_str(),
            "https://daten.example.org/eingang/files/2024/januar%20alt%25.csv?k=1"
        );
        let base = reqwest::Url::parse("https://daten.example.org/push/urn:uuid:1").expect("url");
        assert_eq!(
            file_url(&base, "a#b?.csv").expect("url").as_str(),
            "https://daten.example.org/push/urn:uuid:1/files/a%23b%3F.csv"
        );
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
