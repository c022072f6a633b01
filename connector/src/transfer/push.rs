//! `HttpData-PUSH` on both sides: the provider sends a file or a folder to an endpoint the
//! consumer named, continuing a file where a broken connection left it.
//!
//! # The protocol (for anyone writing a receiver)
//!
//! Every request carries `Authorization: Bearer <token>` (the `authorization` property of the
//! `dataAddress` in the consumer's `TransferRequestMessage`), and every file request
//! `Repr-Digest: sha-256=:<base64>:` (RFC 9530) of the *whole* file and its `Content-Length`.
//! Redirects are not followed; any answer outside 2xx is a failure.
//!
//! **A single file**: `PUT {endpoint}` with the file (`Content-Type:
//! application/octet-stream`). 2xx means stored and verified.
//!
//! **A folder**:
//! 1. `PUT {endpoint}` with `Content-Type:
//!    application/vnd.datenraum.folder-manifest+json` and the manifest — the same JSON the
//!    pull side serves for a folder: `{"files": [{"path": "2024/januar.csv", "size": 1000001,
//!    "sha256": "<hex>"}, …]}`, paths relative and `/`-separated. Answer 201 when new, 200
//!    when the receiver has this manifest already (the provider then asks before sending each
//!    file, see below); a receiver that has another manifest for the transfer answers 409.
//! 2. `PUT {endpoint}/files/{path}` for every file, each path segment percent-encoded
//!    (`2024/januar%20alt.csv`), with the file's media type. Answer 201 (200 when it was
//!    there already, complete).
//! 3. When every file was answered 2xx, the provider sends `TransferCompletionMessage`.
//!    A consumer that refuses it (data missing) gets the push continued — every file asked
//!    for with `HEAD`, the missing ones sent — and the completion again; after
//!    `dataplane.max_attempts` refusals the provider terminates the transfer with code
//!    `completion_refused` ([`completion`]).
//!
//! **Continuing a broken file** (optional for a receiver): before sending a file again after
//! a broken connection, a suspension, a restart of the provider or a known manifest, the
//! provider asks `HEAD {endpoint}` (single file) or `HEAD {endpoint}/files/{path}`. A
//! receiver that keeps part of it answers 2xx with `Upload-Offset: N` (bytes kept, as in the
//! IETF resumable uploads draft) — plus `Upload-Complete: ?1` when the file is complete and
//! verified, which the provider then skips — and the provider sends only the rest: `PUT`
//! with `Content-Range: bytes N-(size-1)/size` and those bytes (the `Repr-Digest` is still of
//! the whole file). Any other answer to `HEAD` (404, 405, no `Upload-Offset`) means "send it
//! whole": an endpoint that does not support continuing gets the file again from the start.
//! An answer 5xx, 408, 425 or 429 to `HEAD` (a receiver that cannot tell right now, e.g.
//! behind a proxy while it restarts) fails the attempt, which is tried again and asks again.
//! A receiver whose kept part turns out wrong (the whole-file digest fails at the end of a
//! continuation, e.g. a tail torn by a crash) discards it and answers `416`: the provider
//! asks again and sends the file whole. An `Upload-Offset` equal to the size without
//! `Upload-Complete: ?1` (written, never verified) is treated as 0.
//!
//! # Provider
//!
//! Once the consumer acknowledged the start message (so it is STARTED there too), the data
//! is sent under the transfer's cancellation token — suspension, termination, agreement
//! expiry and revocation cut it at once ([`crate::dataplane::push`]). Each attempt is logged
//! (`data_access` before the first byte, `data_access_end` with the bytes sent in it). A
//! broken connection (or an answer 5xx, 408, 416, 425, 429) is tried again up to
//! `dataplane.max_attempts` times with a growing pause (0.4 s doubling up to 5 s),
//! continuing as described above; files already confirmed in this run are not asked for
//! again. An endpoint that refuses (other 4xx), or data that cannot be pushed (a file that
//! changed, an internal HTTP source — request HttpData-PULL for those), terminates the
//! transfer with the reason.
//!
//! # Consumer
//!
//! Its own receiving endpoint on the DSP port (`PUT`/`HEAD /data/push/{transfer}` and
//! `…/files/{path}`) takes the data with the one-time token it generated for the transfer
//! (only the token's hash is kept) and speaks the whole protocol above, continuing included.
//! It refuses, naming what is wrong: a manifest that is not valid (paths escaping the folder —
//! `..`, absolute, empty segments —, duplicates, more than 100 000 files or
//! `dataplane.max_transfer_bytes` in all, see [`crate::dataplane::receive::manifest`]), a
//! file not in the manifest, a `Repr-Digest` or size other than the manifest's, data whose
//! digest does not match. Files are written atomically and verified, into a staging folder
//! that is renamed to the transfer's folder in the received-data folder only when the last
//! file is verified (the deletion duty covers it then); a push that ends otherwise leaves
//! nothing there. The provider's completion is refused while the data has not all arrived;
//! sent again after it was accepted (the provider did not learn the answer), it is accepted
//! again.
//! Details in `receiving`, `staging` and `receivers`.

mod completion;
mod receivers;
mod receiving;
mod staging;

pub(crate) use staging::{in_background, remove_unfinished};

use serde_json::json;

use super::format::HTTP_ENDPOINT_TYPE;
use super::record::{PushTarget, Transfer};
use super::service::Transfers;
use crate::audit::{AuditEvent, AuditKind};
use crate::dataplane::push::{
    Kept, Outgoing, PushError, check_push_endpoint, file_url, probe, push_file, push_manifest,
};
use crate::dataplane::receive::ReceiveError;
use crate::dataplane::receive::manifest::manifest_json;
use crate::dataplane::source::{media_type, safe_relative_path};
use crate::dataplane::{Source, resolve};
use crate::dsp::transfer::{DataAddress, EndpointProperty, TransferState};
use crate::negotiation::DspFailure;
use crate::process::Role;
use crate::store::WriteBatch;

pub use completion::COMPLETION_REFUSED;
pub use receivers::PushReceivers;
pub use receiving::{PushAccepted, PushHeaders};

/// Why a push request was refused by the consumer's receiving endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PushRefusal {
    /// No such push transfer on this side (or not for this token).
    #[error("no push transfer {0} waits for data here")]
    Unknown(String),
    /// The token is missing or wrong.
    #[error("the push token is missing or not the one this transfer handed out")]
    Unauthorized,
    /// The transfer is not running, or the request does not fit what arrived so far.
    #[error("{0}")]
    Conflict(String),
    /// The folder's manifest is not acceptable (the message names the entry).
    #[error("manifest refused: {0}")]
    Manifest(String),
    /// A file path that is not a plain relative path inside the folder.
    #[error("file path {0}")]
    Path(String),
    /// A file that the manifest does not list.
    #[error("{0:?} is not listed in the manifest of this transfer")]
    NotListed(String),
    /// A file's `Repr-Digest` or size differs from the manifest.
    #[error("{0}")]
    Mismatch(String),
    /// A `Content-Range` that is not a continuation to the end of the file.
    #[error("{0}")]
    Range(String),
    /// The body was not stored.
    #[error(transparent)]
    Body(#[from] ReceiveError),
    /// Internal failure (for operators).
    #[error("internal error: {0}")]
    Internal(String),
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// A new one-time token for a consumer's receiving endpoint (256 random bits, base64url).
pub(super) fn new_push_token() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Equal without an early exit (tokens are compared by their hashes).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Transfers {
    /// The endpoint check with this connector's setting.
    pub(super) fn check_push_endpoint(&self, endpoint: &str) -> Result<reqwest::Url, PushError> {
        check_push_endpoint(endpoint, self.settings.dataplane.allow_local_push_endpoints)
    }

    /// Consumer: the `dataAddress` of its push request, and what it keeps of it — its own
    /// receiving endpoint with a new one-time token (only the token's hash is kept), or the
    /// external endpoint the operator gave.
    pub(super) fn push_address(
        &self,
        id: &str,
        start: &super::StartTransfer,
    ) -> (DataAddress, PushTarget) {
        let (endpoint, token, token_sha256) = match &start.push_endpoint {
            Some(external) => (external.clone(), start.push_token.clone(), None),
            None => {
                let token = new_push_token();
                let hash = sha256_hex(&token);
                (
                    match &self.settings.dataplane.push_receive_url {
                        Some(base) => format!("{}/{id}", base.trim_end_matches('/')),
                        None => format!(
                            "{}/push/{id}",
                            self.settings.data_base_url.trim_end_matches('/')
                        ),
                    },
                    Some(token),
                    Some(hash),
                )
            }
        };
        let mut properties = Vec::new();
        if let Some(token) = token {
            properties.push(EndpointProperty {
                name: "authorization".into(),
                value: token,
            });
            properties.push(EndpointProperty {
                name: "authType".into(),
                value: "bearer".into(),
            });
        }
        (
            DataAddress {
                endpoint_type: HTTP_ENDPOINT_TYPE.into(),
                endpoint: Some(endpoint.clone()),
                endpoint_properties: properties,
            },
            PushTarget {
                endpoint,
                token: String::new(),
                token_sha256,
            },
        )
    }

    /// Provider: reads and checks the `dataAddress` of a push request (HTTP endpoint type,
    /// an acceptable endpoint, an optional bearer token).
    pub(super) fn push_target(
        &self,
        address: Option<&DataAddress>,
    ) -> Result<PushTarget, DspFailure> {
        let reject = |m: String| DspFailure::rejected("invalid_push_endpoint", m);
        let address = address.ok_or_else(|| {
            reject(
                "an HttpData-PUSH request must carry dataAddress with the endpoint to send to"
                    .into(),
            )
        })?;
        if address.endpoint_type != HTTP_ENDPOINT_TYPE {
            return Err(reject(format!(
                "dataAddress.endpointType must be {HTTP_ENDPOINT_TYPE}, found {:?}",
                address.endpoint_type
            )));
        }
        let endpoint = address
            .endpoint
            .clone()
            .ok_or_else(|| reject("dataAddress.endpoint is missing".into()))?;
        self.check_push_endpoint(&endpoint)
            .map_err(|e| reject(e.to_string()))?;
        let property = |name: &str| {
            address
                .endpoint_properties
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.value.clone())
        };
        if let Some(kind) = property("authType")
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(reject(format!(
                "dataAddress authType {kind:?} is not supported; use bearer"
            )));
        }
        let token = property("authorization").unwrap_or_default();
        if token.len() > 4096 {
            return Err(reject(
                "dataAddress authorization is longer than 4 KiB".into(),
            ));
        }
        Ok(PushTarget {
            endpoint,
            token,
            token_sha256: None,
        })
    }

    /// Provider: starts sending the data of a started push transfer in the background
    /// (once per transfer at a time).
    pub fn spawn_push(&self, t: &Transfer) {
        if t.role != Role::Provider
            || t.format.direction() != super::Direction::Push
            || t.state != TransferState::Started
            || t.progress.done_ms.is_some()
            || t.push.is_none()
        {
            return;
        }
        {
            let Ok(mut running) = self.fetching.lock() else {
                return;
            };
            if !running.insert(t.id.clone()) {
                return;
            }
        }
        let this = self.clone();
        let id = t.id.clone();
        tokio::spawn(async move {
            this.push(&id).await;
            if let Ok(mut running) = this.fetching.lock() {
                running.remove(&id);
            }
        });
    }

    async fn push(&self, id: &str) {
        let attempts = self.settings.dataplane.max_attempts.max(1);
        let mut last = String::new();
        // Files the endpoint confirmed in this run: not asked for again on a retry.
        let mut confirmed = std::collections::HashSet::new();
        for attempt in 1..=attempts {
            match self.push_once(id, &mut confirmed).await {
                Ok(()) => return,
                Err(PushError::Stopped) => return,
                Err(e @ (PushError::Endpoint(_) | PushError::Source(_))) => {
                    tracing::warn!(transfer = %id, error = %e, "push not possible");
                    self.end_push(id, "push_not_possible", &e).await;
                    return;
                }
                Err(e @ PushError::Refused { status, .. }) if !worth_retrying(status) => {
                    tracing::warn!(transfer = %id, error = %e, "the push endpoint refused the data");
                    self.end_push(id, "push_refused", &e).await;
                    return;
                }
                Err(e) => {
                    tracing::info!(transfer = %id, attempt, error = %e, "push failed; retrying");
                    last = e.to_string();
                    let Some(cancel) = self.registry.stream(id) else {
                        return;
                    };
                    let wait = (200u64 << attempt.min(5)).min(5000);
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(std::time::Duration::from_millis(wait)) => {}
                    }
                }
            }
        }
        self.end_push(id, "push_failed", &PushError::Connection(last))
            .await;
    }

    /// Provider: counts an attempt in the record; returns whether there was one before (so
    /// the endpoint may keep data of it).
    async fn count_push_attempt(&self, id: &str) -> Result<bool, PushError> {
        let _guard = self.locks.lock(id).await;
        let Ok(Some(mut t)) = self.get(id) else {
            return Err(PushError::Stopped);
        };
        if t.state != TransferState::Started || t.progress.done_ms.is_some() {
            return Err(PushError::Stopped);
        }
        let before = t.progress.attempts > 0;
        t.progress.attempts += 1;
        self.commit(WriteBatch::new(), &t)
            .map_err(|e| PushError::Source(e.to_string()))?;
        Ok(before)
    }

    /// One attempt: the file, or the folder's manifest and files, then the completion
    /// message.
    async fn push_once(
        &self,
        id: &str,
        confirmed: &mut std::collections::HashSet<String>,
    ) -> Result<(), PushError> {
        let resuming = self.count_push_attempt(id).await?;
        let Ok(Some(t)) = self.get(id) else {
            return Err(PushError::Stopped);
        };
        let Some(cancel) = self.registry.stream(id) else {
            return Err(PushError::Stopped);
        };
        let target = t.push.clone().ok_or(PushError::Stopped)?;
        let url = self.check_push_endpoint(&target.endpoint)?;
        // A name resolving to a private address is refused (the client checks again).
        crate::dataplane::push::resolve_push_endpoint(
            &url,
            self.settings.dataplane.allow_local_push_endpoints,
        )
        .await?;
        let asset = self
            .assets
            .asset(&t.dataset_id)
            .map_err(|e| PushError::Source(e.to_string()))?
            .ok_or_else(|| PushError::Source("the dataset was withdrawn".into()))?;
        let source = resolve(&asset, &self.config).map_err(|e| {
            tracing::warn!(transfer = %id, error = %e, "dataset source unavailable");
            PushError::Source(e.public_reason().into())
        })?;
        let plan = push_plan(&t, source, &url)?;
        let size: u64 = plan.files.iter().map(|f| f.size).sum();
        self.access_event(
            AuditKind::DataAccess,
            &t,
            format!("Daten werden an {} gesendet (Push)", t.counterparty.id),
            json!({"push": true, "size": size, "files": plan.files.len(),
                   "folder": plan.folder, "resuming": resuming}),
        )
        .await
        .map_err(PushError::Source)?;
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let bearer = (!target.token.is_empty()).then_some(target.token.as_str());
        let result = self
            .send_plan(&t, &plan, &url, bearer, resuming, confirmed, &cancel, &sent)
            .await;
        let moved = sent.load(std::sync::atomic::Ordering::Relaxed);
        let complete = result.is_ok();
        let _ = self
            .access_event(
                AuditKind::DataAccessEnd,
                &t,
                if complete {
                    format!("Push beendet: {moved} Bytes ausgeliefert")
                } else {
                    format!("Push abgebrochen nach {moved} von {size} Bytes")
                },
                json!({"push": true, "bytes": moved, "planned": size, "complete": complete,
                       "kept_by_receiver": result.as_ref().ok(),
                       "error": result.as_ref().err().map(ToString::to_string)}),
            )
            .await;
        result?;
        // Sent and accepted file by file: ask the consumer to complete (it verified the
        // digests; COMPLETED here once it accepts, see `completion`).
        let _guard = self.locks.lock(id).await;
        let Ok(Some(mut t)) = self.get(id) else {
            return Ok(());
        };
        if t.state != TransferState::Started || t.progress.done_ms.is_some() {
            return Ok(());
        }
        let mut batch = WriteBatch::new();
        let done = self
            .stage_push_completion(&mut batch, &mut t, size)
            .map_err(|e| e.to_string())
            .and_then(|_| self.commit(batch, &t).map_err(|e| e.to_string()));
        if let Err(e) = done {
            tracing::warn!(transfer = %id, error = %e, "cannot complete the pushed transfer");
        }
        Ok(())
    }

    /// Sends what `plan` lists (see the module docs); adds the bytes sent to `sent`. Returns
    /// the bytes the receiver already kept (not sent again).
    #[allow(clippy::too_many_arguments)]
    async fn send_plan(
        &self,
        t: &Transfer,
        plan: &PushPlan,
        url: &reqwest::Url,
        bearer: Option<&str>,
        resuming: bool,
        confirmed: &mut std::collections::HashSet<String>,
        cancel: &tokio_util::sync::CancellationToken,
        sent: &std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) -> Result<u64, PushError> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut ask = resuming;
        if plan.folder {
            let manifest = serde_json::to_vec(&manifest_json(&plan.manifest()))
                .map_err(|e| PushError::Source(e.to_string()))?;
            let known =
                push_manifest(&self.push_client, url.clone(), bearer, manifest, cancel).await?;
            ask |= known;
        }
        let total: u64 = plan.files.iter().map(|f| f.size).sum();
        let block = self.settings.dataplane.block_kib * 1024;
        let mut done = 0u64;
        let mut kept_total = 0u64;
        for f in &plan.files {
            if confirmed.contains(&f.path) {
                // Confirmed in an earlier attempt: the receiver keeps it.
                done += f.size;
                kept_total += f.size;
                continue;
            }
            let mut kept = if ask {
                probe(&self.push_client, f.url.clone(), bearer, f.size, cancel).await?
            } else {
                Kept::default()
            };
            if !kept.complete && kept.offset >= f.size {
                // All bytes kept but not verified there: nothing to continue with.
                kept.offset = 0;
            }
            if kept.complete {
                tracing::debug!(transfer = %t.id, file = %f.path, "kept by the receiver");
                confirmed.insert(f.path.clone());
                done += f.size;
                kept_total += f.size;
                continue;
            }
            if kept.offset > 0 {
                tracing::info!(transfer = %t.id, file = %f.path, from = kept.offset,
                    "continuing a file the receiver keeps part of");
            }
            kept_total += kept.offset;
            let (registry, tid, counter) = (self.registry.clone(), t.id.clone(), sent.clone());
            let (base, offset) = (done, kept.offset);
            let last = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(offset));
            let progress = move |at: u64| {
                let before = last.swap(at, Relaxed);
                counter.fetch_add(at.saturating_sub(before), Relaxed);
                registry.set_progress(
                    &tid,
                    crate::dataplane::LiveProgress {
                        bytes: base + at,
                        total: Some(total),
                    },
                );
            };
            let outgoing = Outgoing {
                url: f.url.clone(),
                bearer,
                path: &f.local,
                size: f.size,
                sha256: &f.sha256,
                content_type: f.content_type,
                offset,
            };
            push_file(
                &self.push_client,
                &outgoing,
                block,
                cancel.clone(),
                progress,
            )
            .await?;
            confirmed.insert(f.path.clone());
            done += f.size;
        }
        Ok(kept_total)
    }

    /// Provider: terminates a push that cannot go on, with the reason.
    async fn end_push(&self, id: &str, code: &str, error: &PushError) {
        let _guard = self.locks.lock(id).await;
        let Ok(Some(mut t)) = self.get(id) else {
            return;
        };
        if t.state != TransferState::Started {
            return;
        }
        let mut batch = WriteBatch::new();
        let reasons = vec![
            format!("Die Daten konnten nicht gesendet werden: {error}"),
            format!("The data could not be pushed: {error}"),
        ];
        let done = self
            .terminate_with(&mut batch, &mut t, "provider", code, reasons)
            .map_err(|e| e.to_string())
            .and_then(|_| self.commit(batch, &t).map_err(|e| e.to_string()));
        if let Err(e) = done {
            tracing::warn!(transfer = %id, error = %e, "cannot terminate the push");
        }
    }

    async fn access_event(
        &self,
        kind: AuditKind,
        t: &Transfer,
        summary: String,
        details: serde_json::Value,
    ) -> Result<(), String> {
        let mut event = AuditEvent::new(kind, summary)
            .agreement(t.agreement_id.clone())
            .party(t.counterparty.id.clone())
            .process(t.id.clone());
        if let (serde_json::Value::Object(extra), serde_json::Value::Object(m)) =
            (details, &mut event.details)
        {
            m.extend(extra);
        }
        self.audit
            .append(event)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Whether an answer is worth another attempt (the server's trouble, a timeout, a
/// continuation the receiver did not expect — asked again —, or "too many requests").
fn worth_retrying(status: u16) -> bool {
    status >= 500 || matches!(status, 408 | 416 | 425 | 429)
}

/// One file of a push.
#[derive(Debug)]
struct PlannedFile {
    /// Relative path in the folder (empty for a single file).
    path: String,
    /// The file on this side.
    local: std::path::PathBuf,
    /// Size and SHA-256 as described when the transfer started.
    size: u64,
    sha256: String,
    /// Where it goes.
    url: reqwest::Url,
    content_type: &'static str,
}

/// What a push sends.
#[derive(Debug)]
struct PushPlan {
    folder: bool,
    files: Vec<PlannedFile>,
}

impl PushPlan {
    fn manifest(&self) -> Vec<super::record::FileInfo> {
        self.files
            .iter()
            .map(|f| super::record::FileInfo {
                path: f.path.clone(),
                size: f.size,
                sha256: Some(f.sha256.clone()),
            })
            .collect()
    }
}

/// The files of `t` (as described when it started) on this side, and where each goes.
fn push_plan(t: &Transfer, source: Source, url: &reqwest::Url) -> Result<PushPlan, PushError> {
    let digest = |f: &super::record::FileInfo| {
        f.sha256
            .clone()
            .ok_or_else(|| PushError::Source("the data has no digest".into()))
    };
    match (source, t.files.as_slice()) {
        (Source::File(local), [f]) if f.path.is_empty() => Ok(PushPlan {
            folder: false,
            files: vec![PlannedFile {
                path: String::new(),
                local,
                size: f.size,
                sha256: digest(f)?,
                url: url.clone(),
                content_type: "application/octet-stream",
            }],
        }),
        (Source::Folder(root), files) if files.iter().all(|f| !f.path.is_empty()) => {
            let mut out = Vec::with_capacity(files.len());
            for f in files {
                let parts = safe_relative_path(&f.path)
                    .map_err(|e| PushError::Source(format!("{:?} {e}", f.path)))?;
                let mut local = root.clone();
                parts.iter().for_each(|p| local.push(p));
                out.push(PlannedFile {
                    path: f.path.clone(),
                    local,
                    size: f.size,
                    sha256: digest(f)?,
                    url: file_url(url, &f.path)?,
                    content_type: media_type(&f.path),
                });
            }
            Ok(PushPlan {
                folder: true,
                files: out,
            })
        }
        (Source::Http { .. }, _) => Err(PushError::Source(
            "HttpData-PUSH sends files and folders; this dataset comes from an internal HTTP source: request HttpData-PULL for it"
                .into(),
        )),
        _ => Err(PushError::Source(
            "the data changed since the transfer started (a file became a folder or back); request a new transfer"
                .into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_tokens_are_long_random_and_compared_in_full() {
        let a = new_push_token();
        let b = new_push_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(same(&sha256_hex(&a), &sha256_hex(&a)));
        assert!(!same(&sha256_hex(&a), &sha256_hex(&b)));
        assert!(!same("abc", "ab"));
    }
}
