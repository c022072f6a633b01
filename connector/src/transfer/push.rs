//! `HttpData-PUSH` on both sides.
//!
//! Provider: once the consumer acknowledged the start message (so it is STARTED there too),
//! the file is sent to the endpoint the consumer named in its request
//! ([`crate::dataplane::push`]), under the transfer's cancellation token — suspension,
//! termination, agreement expiry and revocation cut it at once. The access is logged
//! (`data_access` before the first byte, `data_access_end` with the bytes sent); a complete
//! push is followed by `TransferCompletionMessage`. Connection failures are retried up to
//! `dataplane.max_attempts` times (from the start: a push cannot resume); an endpoint that
//! refuses (4xx), or data that cannot be pushed, terminates the transfer with the reason.
//!
//! Consumer: its own receiving endpoint `PUT /data/push/{transfer}` on the DSP port takes
//! the body with the one-time token it generated and put into its request
//! ([`Transfers::receive_push`]); the file is stored atomically and verified
//! ([`crate::dataplane::receive`]) in the received-data folder (the deletion duty covers it).

use serde_json::json;

use super::format::HTTP_ENDPOINT_TYPE;
use super::record::{PushTarget, ReceivedFile, Transfer};
use super::service::Transfers;
use super::state::MessageKind;
use crate::audit::{AuditEvent, AuditKind};
use crate::dataplane::push::{PushError, check_push_endpoint, push_file};
use crate::dataplane::receive::{ReceiveError, receive_to_file};
use crate::dataplane::{Source, file_name_for, resolve};
use crate::dsp::transfer::{DataAddress, EndpointProperty, TransferState};
use crate::negotiation::DspFailure;
use crate::process::{Role, now_ms};
use crate::store::WriteBatch;

/// Why a pushed body was refused by the consumer's receiving endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PushRefusal {
    /// No such push transfer on this side (or not for this token).
    #[error("no push transfer {0} waits for data here")]
    Unknown(String),
    /// The token is missing or wrong.
    #[error("the push token is missing or not the one this transfer handed out")]
    Unauthorized,
    /// The transfer is not running, or its data already arrived.
    #[error("{0}")]
    Conflict(String),
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
                    format!(
                        "{}/push/{id}",
                        self.settings.data_base_url.trim_end_matches('/')
                    ),
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
        for attempt in 1..=attempts {
            match self.push_once(id).await {
                Ok(()) => return,
                Err(PushError::Stopped) => return,
                Err(e @ (PushError::Endpoint(_) | PushError::Source(_))) => {
                    tracing::warn!(transfer = %id, error = %e, "push not possible");
                    self.end_push(id, "push_not_possible", &e).await;
                    return;
                }
                Err(e @ PushError::Refused { status, .. }) if (400..500).contains(&status) => {
                    tracing::warn!(transfer = %id, error = %e, "the push endpoint refused the data");
                    self.end_push(id, "push_refused", &e).await;
                    return;
                }
                Err(e) => {
                    tracing::info!(transfer = %id, attempt, error = %e, "push failed; retrying");
                    last = e.to_string();
                    let wait = std::time::Duration::from_millis(200 * (1 << attempt.min(6)));
                    tokio::time::sleep(wait).await;
                }
            }
        }
        self.end_push(id, "push_failed", &PushError::Connection(last))
            .await;
    }

    /// One attempt: the whole file, then the completion message.
    async fn push_once(&self, id: &str) -> Result<(), PushError> {
        let Ok(Some(t)) = self.get(id) else {
            return Err(PushError::Stopped);
        };
        if t.state != TransferState::Started || t.progress.done_ms.is_some() {
            return Err(PushError::Stopped);
        }
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
        let (Source::File(path), [file]) = (source, t.files.as_slice()) else {
            return Err(PushError::Source(
                "HttpData-PUSH sends datasets that are one file; request HttpData-PULL for this one"
                    .into(),
            ));
        };
        let sha256 = file
            .sha256
            .clone()
            .ok_or_else(|| PushError::Source("the data has no digest".into()))?;
        let size = file.size;
        self.access_event(
            AuditKind::DataAccess,
            &t,
            format!("Daten werden an {} gesendet (Push)", t.counterparty.id),
            json!({"push": true, "size": size}),
        )
        .await
        .map_err(PushError::Source)?;
        let registry = self.registry.clone();
        let tid = t.id.clone();
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let seen = sent.clone();
        let result = push_file(
            &self.push_client,
            url,
            (!target.token.is_empty()).then_some(target.token.as_str()),
            &path,
            &sha256,
            self.settings.dataplane.block_kib * 1024,
            cancel,
            move |bytes| {
                seen.store(bytes, std::sync::atomic::Ordering::Relaxed);
                registry.set_progress(
                    &tid,
                    crate::dataplane::LiveProgress {
                        bytes,
                        total: Some(size),
                    },
                );
            },
        )
        .await;
        let moved = match &result {
            Ok(n) => *n,
            Err(_) => sent.load(std::sync::atomic::Ordering::Relaxed),
        };
        let complete = result.is_ok() && moved == size;
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
                       "error": result.as_ref().err().map(ToString::to_string)}),
            )
            .await;
        result?;
        // Sent and accepted: complete the transfer (the consumer verified the digest).
        let _guard = self.locks.lock(id).await;
        let Ok(Some(mut t)) = self.get(id) else {
            return Ok(());
        };
        if t.state != TransferState::Started {
            return Ok(());
        }
        t.progress.bytes = moved;
        t.progress.total = Some(size);
        t.progress.done_ms = Some(now_ms());
        let mut batch = WriteBatch::new();
        let done = self
            .send_step(
                &mut batch,
                &mut t,
                MessageKind::Completion,
                None,
                Vec::new(),
            )
            .map_err(|e| e.to_string())
            .and_then(|_| self.commit(batch, &t).map_err(|e| e.to_string()));
        if let Err(e) = done {
            tracing::warn!(transfer = %id, error = %e, "cannot complete the pushed transfer");
        }
        Ok(())
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

    /// Consumer: the body the provider pushes to `PUT /data/push/{id}`, with the
    /// `Authorization` and `Repr-Digest` header values it came with.
    pub async fn receive_push<S, E>(
        &self,
        id: &str,
        authorization: Option<&str>,
        repr_digest: Option<&str>,
        body: S,
    ) -> Result<ReceivedFile, PushRefusal>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>>,
    {
        let t = self
            .get(id)
            .map_err(|e| PushRefusal::Internal(e.to_string()))?
            .filter(|t| t.role == Role::Consumer && t.format.direction() == super::Direction::Push)
            .ok_or_else(|| PushRefusal::Unknown(id.to_owned()))?;
        let expected = t
            .push
            .as_ref()
            .and_then(|p| p.token_sha256.clone())
            .ok_or_else(|| PushRefusal::Unknown(id.to_owned()))?;
        let presented = authorization
            .and_then(|a| {
                a.strip_prefix("Bearer ")
                    .or_else(|| a.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(PushRefusal::Unauthorized)?;
        if !same(&sha256_hex(presented), &expected) {
            return Err(PushRefusal::Unauthorized);
        }
        if t.state != TransferState::Started {
            return Err(PushRefusal::Conflict(format!(
                "the transfer is {}, not STARTED",
                t.state
            )));
        }
        if t.progress.done_ms.is_some() {
            return Err(PushRefusal::Conflict(
                "the data of this transfer has already arrived".into(),
            ));
        }
        let announced = repr_digest
            .and_then(crate::dataplane::parse_repr_digest)
            .ok_or(PushRefusal::Body(ReceiveError::NoDigest))?;
        let cancel = self
            .registry
            .stream(id)
            .ok_or_else(|| PushRefusal::Conflict("the transfer is not running".into()))?;
        let dest = self.received_path(&t).join(file_name_for(&t.dataset_id));
        let first_byte = now_ms();
        let stored = receive_to_file(
            body,
            &dest,
            &announced,
            self.settings.dataplane.max_transfer_bytes,
            cancel,
        )
        .await?;
        let file = ReceivedFile {
            stored_at: stored.path.display().to_string(),
            path: String::new(),
            size: stored.size,
            sha256: stored.sha256.clone(),
        };
        let _guard = self.locks.lock(id).await;
        let mut t = self
            .get(id)
            .map_err(|e| PushRefusal::Internal(e.to_string()))?
            .ok_or_else(|| PushRefusal::Unknown(id.to_owned()))?;
        t.received = vec![file.clone()];
        t.progress.bytes = stored.size;
        t.progress.total = Some(stored.size);
        t.progress.first_byte_ms.get_or_insert(first_byte);
        t.progress.done_ms = Some(now_ms());
        if let Some(p) = &mut t.push {
            // One-time: the token opens nothing any more.
            p.token_sha256 = None;
        }
        let mut batch = WriteBatch::new();
        self.record(
            &mut batch,
            &t,
            AuditKind::DataReceived,
            format!(
                "Daten empfangen (Push): {} Bytes, SHA-256 geprüft",
                stored.size
            ),
            json!({"push": true, "stored_at": file.stored_at, "size": stored.size,
                   "sha256": stored.sha256}),
        );
        self.commit(batch, &t)
            .map_err(|e| PushRefusal::Internal(e.to_string()))?;
        tracing::info!(transfer = %id, bytes = stored.size, "pushed data received and verified");
        Ok(file)
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
