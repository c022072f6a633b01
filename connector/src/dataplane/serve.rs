//! The provider's data endpoint: `GET /data/{transfer}` (a single file, or the manifest of a
//! folder) and `GET /data/{transfer}/files/{path}` (one file of a folder).
//!
//! Every request is checked before a byte moves, in this order: the access token (known,
//! not expired, issued for this transfer), the caller's own request token (a valid member,
//! not revoked, not replayed, the consumer the token was issued to), the transfer (STARTED),
//! and the agreement (evaluated again with `contracts::eval`: validity, time window, count,
//! purpose). A refusal is answered with a JSON body naming the reason and recorded in the
//! audit log; an admitted access is recorded (and synced) before the first byte, and its end
//! (bytes sent, complete or cut) after the last. Suspending, completing or terminating the
//! transfer cuts its running responses at once.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::blocks::BlockPool;
use super::range::{RangeAnswer, parse_range};
use super::source::{Source, media_type, resolve, safe_relative_path};
use super::token::{self, CALLER_HEADER};
use crate::app::App;
use crate::audit::{AuditEvent, AuditKind};
use crate::dsp::transfer::TransferState;
use crate::process::now_ms;
use crate::store::WriteBatch;
use crate::transfer::Transfer;

/// A refused data request or token renewal, answered as `{"code": …, "reason": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// A short machine-readable code (`token_expired`, `wrong_consumer`, `not_started`,
    /// `invalid_refresh_token`, `membership_revoked`, …).
    pub code: &'static str,
    /// Why (German and English for enforcement decisions).
    pub reasons: Vec<String>,
}

impl Refusal {
    /// A refusal with one reason.
    pub fn new(status: StatusCode, code: &'static str, reason: impl Into<String>) -> Self {
        Self {
            status,
            code,
            reasons: vec![reason.into()],
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"code": self.code, "reason": self.reasons})),
        )
            .into_response()
    }
}

/// `GET /data/{transfer}`.
pub async fn data(
    State(app): State<Arc<App>>,
    Path(transfer_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(app, transfer_id, None, headers).await
}

/// `GET /data/{transfer}/files/{*path}`.
pub async fn folder_file(
    State(app): State<Arc<App>>,
    Path((transfer_id, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    serve(app, transfer_id, Some(path), headers).await
}

async fn serve(
    app: Arc<App>,
    transfer_id: String,
    file: Option<String>,
    headers: HeaderMap,
) -> Response {
    match admit(&app, &transfer_id, &headers).await {
        Ok(t) => match respond(&app, t, file, &headers).await {
            Ok(r) => r,
            Err(r) => r.into_response(),
        },
        Err((refusal, t, party)) => {
            let mut event = AuditEvent::new(
                AuditKind::AccessRefused,
                format!("Datenzugriff verweigert: {}", refusal.reasons.join(" ")),
            )
            .process(transfer_id.clone())
            .detail("code", refusal.code)
            .detail("reasons", refusal.reasons.clone());
            if let Some(t) = &t {
                event = event.agreement(t.agreement_id.clone());
            }
            if let Some(p) = party {
                event = event.party(p);
            }
            let mut batch = WriteBatch::new();
            app.transfers.audit().stage(&mut batch, event);
            if app.store.apply(batch).is_ok() {
                app.transfers.audit().wake();
            }
            refusal.into_response()
        }
    }
}

pub(crate) type Refused = (Refusal, Option<Transfer>, Option<String>);

/// The checks before any byte moves (also before a sandbox query runs).
pub(crate) async fn admit(
    app: &App,
    transfer_id: &str,
    headers: &HeaderMap,
) -> Result<Transfer, Refused> {
    let unauthorized = |code, reason: &str| {
        (
            Refusal::new(StatusCode::UNAUTHORIZED, code, reason),
            None,
            None,
        )
    };
    let access = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            unauthorized(
                "missing_token",
                "send the access token of the start message as `Authorization: Bearer <token>`",
            )
        })?;
    let grant = token::lookup(app.store.as_ref(), access)
        .map_err(|e| {
            tracing::error!(error = %e, "token lookup failed");
            (
                Refusal::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                ),
                None,
                None,
            )
        })?
        .ok_or_else(|| {
            unauthorized(
                "invalid_token",
                "the access token is unknown or no longer valid (the transfer ended)",
            )
        })?;
    if grant.transfer_id != transfer_id {
        return Err((
            Refusal::new(
                StatusCode::FORBIDDEN,
                "wrong_transfer",
                "the access token was issued for another transfer",
            ),
            None,
            Some(grant.consumer.clone()),
        ));
    }
    let caller = app
        .verifier
        .verify(
            headers.get(CALLER_HEADER).and_then(|v| v.to_str().ok()),
            now_ms() / 1000,
        )
        .map_err(|e| {
            (
                Refusal::new(
                    StatusCode::UNAUTHORIZED,
                    "caller_refused",
                    format!("{CALLER_HEADER}: {e}"),
                ),
                None,
                Some(grant.consumer.clone()),
            )
        })?;
    if caller.id != grant.consumer {
        return Err((
            Refusal::new(
                StatusCode::FORBIDDEN,
                "wrong_consumer",
                "the access token was issued to another participant",
            ),
            None,
            Some(caller.id),
        ));
    }
    if now_ms() > grant.expires_ms {
        return Err((
            Refusal::new(
                StatusCode::UNAUTHORIZED,
                "token_expired",
                "the access token has expired",
            ),
            None,
            Some(caller.id),
        ));
    }
    let t = app
        .transfers
        .get(transfer_id)
        .ok()
        .flatten()
        .filter(|t| t.counterparty.id == caller.id)
        .ok_or_else(|| {
            (
                Refusal::new(StatusCode::NOT_FOUND, "not_found", "no such transfer"),
                None,
                Some(caller.id.clone()),
            )
        })?;
    if t.state != TransferState::Started {
        return Err((
            Refusal::new(
                StatusCode::CONFLICT,
                "not_started",
                format!("the transfer is {}, not STARTED", t.state),
            ),
            Some(t),
            Some(caller.id),
        ));
    }
    let agreement = app.transfers.agreement_of(&t).ok().flatten();
    if let Err(d) = crate::transfer::enforce::decide(
        &app.terms,
        agreement.as_ref(),
        &t,
        t.use_number.unwrap_or(1),
        chrono::Utc::now(),
    ) {
        let mut r = Refusal::new(StatusCode::FORBIDDEN, d.code, "");
        r.reasons = d.reasons();
        return Err((r, Some(t), Some(caller.id)));
    }
    Ok(t)
}

async fn respond(
    app: &Arc<App>,
    t: Transfer,
    file: Option<String>,
    headers: &HeaderMap,
) -> Result<Response, Refusal> {
    let unavailable = |e: String| {
        tracing::warn!(transfer = %t.id, error = %e, "data unavailable");
        Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "data_unavailable",
            "the provider cannot read this dataset's data right now",
        )
    };
    let asset = app
        .assets
        .asset(&t.dataset_id)
        .map_err(|e| unavailable(e.to_string()))?
        .ok_or_else(|| Refusal::new(StatusCode::GONE, "withdrawn", "the dataset was withdrawn"))?;
    let source = resolve(&asset, &app.config).map_err(|e| unavailable(e.to_string()))?;
    let cancel = app.transfers.registry().stream(&t.id).ok_or_else(|| {
        Refusal::new(
            StatusCode::CONFLICT,
            "not_started",
            "the transfer is not running",
        )
    })?;
    let (path, name) = match (&source, &file) {
        (Source::File(p), None) => (p.clone(), asset.id.clone()),
        (Source::Folder(_), None) => {
            let files: Vec<_> = t
                .files
                .iter()
                .map(|f| json!({"path": f.path, "size": f.size, "sha256": f.sha256}))
                .collect();
            return Ok(axum::Json(json!({"files": files})).into_response());
        }
        (Source::Folder(root), Some(rel)) => {
            let parts = safe_relative_path(rel)
                .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, "invalid_path", e))?;
            if !t.files.iter().any(|f| f.path == *rel) {
                return Err(Refusal::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "no such file in this dataset",
                ));
            }
            let mut p = root.clone();
            parts.iter().for_each(|s| p.push(s));
            (p, rel.clone())
        }
        (Source::Http { url, authorization }, None) => {
            return proxy(app, &t, url, authorization.as_ref(), headers, cancel).await;
        }
        _ => {
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "this dataset is a single file",
            ));
        }
    };
    stream_file(
        app,
        &t,
        path,
        &name,
        file.as_deref().unwrap_or(""),
        headers,
        cancel,
    )
    .await
}

/// Blocks read ahead of the network while a file is streamed.
const READ_AHEAD: usize = 8;

/// Records the end of an access when the response body is dropped.
struct AccessEnd {
    app: Arc<App>,
    transfer: Transfer,
    planned: u64,
    sent: u64,
}

impl Drop for AccessEnd {
    fn drop(&mut self) {
        let complete = self.sent == self.planned;
        let event = AuditEvent::new(
            AuditKind::DataAccessEnd,
            if complete {
                format!("Datenzugriff beendet: {} Bytes ausgeliefert", self.sent)
            } else {
                format!(
                    "Datenzugriff abgebrochen nach {} von {} Bytes",
                    self.sent, self.planned
                )
            },
        )
        .agreement(self.transfer.agreement_id.clone())
        .party(self.transfer.counterparty.id.clone())
        .process(self.transfer.id.clone())
        .detail("bytes", self.sent)
        .detail("planned", self.planned)
        .detail("complete", complete);
        let mut batch = WriteBatch::new();
        self.app.transfers.audit().stage(&mut batch, event);
        if self.app.store.apply(batch).is_ok() {
            self.app.transfers.audit().wake();
        }
    }
}

async fn record_access(app: &App, t: &Transfer, what: serde_json::Value) -> Result<(), Refusal> {
    let event = AuditEvent::new(
        AuditKind::DataAccess,
        format!("Datenzugriff durch {}", t.counterparty.id),
    )
    .agreement(t.agreement_id.clone())
    .party(t.counterparty.id.clone())
    .process(t.id.clone())
    .detail("request", what);
    app.transfers.audit().append(event).await.map_err(|e| {
        tracing::error!(error = %e, "cannot record the access; refusing it");
        Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_unavailable",
            "the access cannot be recorded right now",
        )
    })?;
    Ok(())
}

async fn stream_file(
    app: &Arc<App>,
    t: &Transfer,
    path: PathBuf,
    name: &str,
    rel: &str,
    headers: &HeaderMap,
    cancel: CancellationToken,
) -> Result<Response, Refusal> {
    let meta = std::fs::metadata(&path).map_err(|e| {
        tracing::warn!(error = %e, path = %path.display(), "cannot read the data");
        Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "data_unavailable",
            "the provider cannot read this dataset's data right now",
        )
    })?;
    let size = meta.len();
    let described = t.files.iter().find(|f| f.path == rel);
    if described.is_some_and(|f| f.size != size) {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            "data_changed",
            "the data changed since the transfer started; request a new transfer",
        ));
    }
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, end) = match parse_range(range, size) {
        RangeAnswer::Full => (StatusCode::OK, 0, size.saturating_sub(1)),
        RangeAnswer::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        RangeAnswer::Unsatisfiable => {
            let mut r = Refusal::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("the data has {size} bytes"),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    let len = if size == 0 { 0 } else { end - start + 1 };
    record_access(
        app,
        t,
        json!({"file": rel, "range": range, "bytes": len, "size": size}),
    )
    .await?;
    let block = app.transfers.settings().dataplane.block_bytes();
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(READ_AHEAD);
    let reader_cancel = cancel.clone();
    let reader_path = path.clone();
    tokio::task::spawn_blocking(move || {
        let mut file = match std::fs::File::open(&reader_path) {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        if let Err(e) = file.seek(SeekFrom::Start(start)) {
            let _ = tx.blocking_send(Err(e));
            return;
        }
        let mut remaining = len;
        // Blocks waiting in the channel, in hyper's write queue and in the stream below.
        let mut pool = BlockPool::new(block, READ_AHEAD + 4);
        while remaining > 0 && !reader_cancel.is_cancelled() {
            let want = (block as u64).min(remaining) as usize;
            // A reused block is overwritten whole (nothing zeroed that is read anyway).
            let mut buf = pool.filled(want);
            if let Err(e) = file.read_exact(&mut buf) {
                let _ = tx.blocking_send(Err(e));
                return;
            }
            remaining -= want as u64;
            if tx.blocking_send(Ok(pool.lend(buf))).is_err() {
                return;
            }
        }
    });
    let guard = AccessEnd {
        app: app.clone(),
        transfer: t.clone(),
        planned: len,
        sent: 0,
    };
    let stream = futures_util::stream::unfold(
        (rx, guard, cancel, false),
        |(mut rx, mut guard, cancel, done)| async move {
            if done {
                return None;
            }
            let next = tokio::select! {
                _ = cancel.cancelled() => Some(Err(std::io::Error::other("the transfer was stopped"))),
                n = rx.recv() => n,
            };
            match next {
                None => None,
                Some(Ok(chunk)) => {
                    guard.sent += chunk.len() as u64;
                    Some((Ok(chunk), (rx, guard, cancel, false)))
                }
                // Yield the error once; the body is cut (the client sees it as incomplete).
                Some(Err(e)) => Some((Err(e), (rx, guard, cancel, true))),
            }
        },
    );
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media_type(name)),
    );
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}"))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    if let Some(d) = described
        .and_then(|f| f.sha256.as_deref())
        .and_then(super::repr_digest)
        && let Ok(v) = HeaderValue::from_str(&d)
    {
        h.insert("repr-digest", v);
    }
    Ok(response)
}

/// Streams from an internal HTTP source; its URL and credentials never leave this side.
async fn proxy(
    app: &Arc<App>,
    t: &Transfer,
    url: &str,
    authorization: Option<&crate::config::Secret>,
    headers: &HeaderMap,
    cancel: CancellationToken,
) -> Result<Response, Refusal> {
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    record_access(app, t, json!({"source": "http", "range": range})).await?;
    let mut request = app.transfers.data_client().get(url);
    if let Some(a) = authorization {
        request = request.header(header::AUTHORIZATION, a.expose());
    }
    if let Some(r) = range {
        request = request.header(header::RANGE, r);
    }
    let upstream = request.send().await.map_err(|e| {
        tracing::warn!(transfer = %t.id, error = %e, "internal source unreachable");
        Refusal::new(
            StatusCode::BAD_GATEWAY,
            "source_unavailable",
            "the provider's internal source does not answer right now",
        )
    })?;
    if !upstream.status().is_success() {
        tracing::warn!(transfer = %t.id, status = %upstream.status(), "internal source refused");
        return Err(Refusal::new(
            StatusCode::BAD_GATEWAY,
            "source_unavailable",
            "the provider's internal source refused the request",
        ));
    }
    let status = StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::OK);
    let mut out = HeaderMap::new();
    for name in [
        header::CONTENT_LENGTH,
        header::CONTENT_RANGE,
        header::CONTENT_TYPE,
    ] {
        if let Some(v) = upstream.headers().get(name.as_str())
            && let Ok(v) = HeaderValue::from_bytes(v.as_bytes())
        {
            out.insert(name, v);
        }
    }
    let planned = upstream.content_length().unwrap_or(0);
    let guard = AccessEnd {
        app: app.clone(),
        transfer: t.clone(),
        planned,
        sent: 0,
    };
    let body = upstream.bytes_stream();
    let stream = futures_util::stream::unfold(
        (Box::pin(body), guard, cancel, false),
        |(mut body, mut guard, cancel, done)| async move {
            use futures_util::StreamExt;
            if done {
                return None;
            }
            let next = tokio::select! {
                _ = cancel.cancelled() => return Some((Err(std::io::Error::other("the transfer was stopped")), (body, guard, cancel, true))),
                n = body.next() => n,
            };
            match next {
                None => None,
                Some(Ok(chunk)) => {
                    guard.sent += chunk.len() as u64;
                    if guard.planned == 0 {
                        guard.planned = guard.sent;
                    }
                    Some((Ok(chunk), (body, guard, cancel, false)))
                }
                Some(Err(e)) => Some((
                    Err(std::io::Error::other(e.to_string())),
                    (body, guard, cancel, true),
                )),
            }
        },
    );
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    response.headers_mut().extend(out);
    // The digest the provider took while preparing (`dataplane::describe_http`).
    if let Some(d) = t
        .files
        .first()
        .and_then(|f| f.sha256.as_deref())
        .and_then(super::repr_digest)
        && let Ok(v) = HeaderValue::from_str(&d)
    {
        response.headers_mut().insert("repr-digest", v);
    }
    Ok(response)
}
