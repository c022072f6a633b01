//! Consumer: the receiving endpoint of `HttpData-PUSH` (the protocol is described in
//! [`crate::transfer::push`]): `PUT` of a single file, of a folder's manifest and of each
//! of its files, and `HEAD` asking how much of a file is kept. Every request is checked
//! (token, state, manifest, path, size, digest) before a byte is written; where the data
//! waits and how it is moved into place: `staging`; who writes which file: `receivers`.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::super::record::{FileInfo, ReceivedFile, Transfer};
use super::super::service::Transfers;
use super::receivers::Folder;
use super::staging::write_synced;
use super::{PushRefusal, same, sha256_hex};
use crate::audit::AuditKind;
use crate::dataplane::file_name_for;
use crate::dataplane::push::{Kept, MANIFEST_MEDIA_TYPE};
use crate::dataplane::receive::manifest::{MAX_MANIFEST_BYTES, check_path, parse_manifest};
use crate::dataplane::receive::{Incoming, ReceiveError, partial_len, receive_to_file};
use crate::dsp::transfer::TransferState;
use crate::process::{Role, now_ms};
use crate::store::WriteBatch;

/// The headers of a push request that matter.
#[derive(Debug, Clone, Copy, Default)]
pub struct PushHeaders<'a> {
    /// `Authorization` (`Bearer <token>`).
    pub authorization: Option<&'a str>,
    /// `Repr-Digest` (`sha-256=:…:`).
    pub repr_digest: Option<&'a str>,
    /// `Content-Type` (the manifest's media type marks a manifest).
    pub content_type: Option<&'a str>,
    /// `Content-Range` (`bytes N-M/total`: a continuation).
    pub content_range: Option<&'a str>,
    /// `Content-Length`, when sent.
    pub content_length: Option<u64>,
}

/// What a push request stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushAccepted {
    /// A folder's manifest.
    Manifest {
        /// Files it lists.
        files: usize,
        /// It was here already (an earlier attempt sent it).
        known: bool,
    },
    /// A file, verified.
    File {
        /// The file.
        file: ReceivedFile,
        /// It was here already, complete and verified (nothing was read).
        known: bool,
    },
}

fn is_manifest(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|c| c.trim().eq_ignore_ascii_case(MANIFEST_MEDIA_TYPE))
}

/// `Content-Range: bytes N-(size-1)/size` of a continuation: `N`. Without the header: 0.
fn continuation(range: Option<&str>, size: Option<u64>) -> Result<(u64, Option<u64>), String> {
    let Some(range) = range else {
        return Ok((0, size));
    };
    let bad =
        || format!("Content-Range {range:?} must be \"bytes N-(size-1)/size\" continuing the file");
    let (start, end, total) =
        crate::dataplane::range::parse_content_range(range).ok_or_else(bad)?;
    let total = total.ok_or_else(bad)?;
    if end.checked_add(1) != Some(total) || start > end || size.is_some_and(|s| s != total) {
        return Err(bad());
    }
    Ok((start, Some(total)))
}

fn io_refusal(what: &Path, e: std::io::Error) -> PushRefusal {
    PushRefusal::Internal(format!("{}: {e}", what.display()))
}

impl Transfers {
    /// The consumer's push transfer `id`, if `authorization` carries its token.
    fn authorized(&self, id: &str, authorization: Option<&str>) -> Result<Transfer, PushRefusal> {
        let t = self
            .get(id)
            .map_err(|e| PushRefusal::Internal(e.to_string()))?
            .filter(|t| {
                t.role == Role::Consumer && t.format.direction() == super::super::Direction::Push
            })
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
        Ok(t)
    }

    /// The folder being received for `t`, once its manifest arrived (read from the parts
    /// folder after a restart, with the files already in the staging folder as verified).
    pub(super) async fn folder(&self, t: &Transfer) -> Result<Option<Arc<Folder>>, PushRefusal> {
        if let Some(f) = self
            .receivers
            .folders
            .lock()
            .ok()
            .and_then(|m| m.get(&t.id).cloned())
        {
            return Ok(Some(f));
        }
        let path = self.parts_path(t).join("manifest.json");
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_refusal(&path, e)),
        };
        let files = parse_manifest(&bytes, u64::MAX).map_err(PushRefusal::Internal)?;
        let staging = self.staging_path(t);
        let scan = files.clone();
        let verified = tokio::task::spawn_blocking(move || {
            let mut done = (HashSet::new(), 0u64);
            for (i, f) in scan.iter().enumerate() {
                let mut p = staging.clone();
                f.path.split('/').for_each(|s| p.push(s));
                if std::fs::metadata(&p).is_ok_and(|m| m.is_file() && m.len() == f.size) {
                    done.0.insert(i);
                    done.1 += f.size;
                }
            }
            done
        })
        .await
        .map_err(|e| PushRefusal::Internal(e.to_string()))?;
        Ok(Some(self.remember_folder(&t.id, files, verified)))
    }

    fn remember_folder(
        &self,
        id: &str,
        files: Vec<FileInfo>,
        verified: (HashSet<usize>, u64),
    ) -> Arc<Folder> {
        let index = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.clone(), i))
            .collect();
        let folder = Arc::new(Folder {
            files,
            index,
            verified: std::sync::Mutex::new(verified),
        });
        if let Ok(mut m) = self.receivers.folders.lock() {
            m.insert(id.to_owned(), folder.clone());
        }
        folder
    }

    /// Consumer: a `PUT` to its receiving endpoint — `PUT /data/push/{id}` (the single file,
    /// or a folder's manifest) or `PUT /data/push/{id}/files/{path}` (`file`: one file of the
    /// folder). See the module docs of [`crate::transfer::push`].
    pub async fn receive_push<S, E>(
        &self,
        id: &str,
        file: Option<&str>,
        headers: &PushHeaders<'_>,
        body: S,
    ) -> Result<PushAccepted, PushRefusal>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>>,
    {
        let t = self.authorized(id, headers.authorization)?;
        if t.progress.done_ms.is_some() {
            // Complete already: a repeat whose answer was lost is answered again.
            return self.repeated(&t, file, headers, body).await;
        }
        let result = match file {
            None if is_manifest(headers.content_type) => {
                self.receive_manifest(&t, headers, body).await
            }
            None => self.receive_single(&t, headers, body).await,
            Some(rel) => self.receive_folder_file(&t, rel, headers, body).await,
        };
        if result.is_err() {
            // A transfer that ended meanwhile keeps nothing half-received.
            if let Ok(Some(now)) = self.get(id) {
                self.discard_unfinished_push(&now);
            }
        }
        result
    }

    /// A request for a push that is complete: what it sends must be what arrived.
    async fn repeated<S, E>(
        &self,
        t: &Transfer,
        file: Option<&str>,
        headers: &PushHeaders<'_>,
        body: S,
    ) -> Result<PushAccepted, PushRefusal>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>>,
    {
        let announced = headers
            .repr_digest
            .and_then(crate::dataplane::parse_repr_digest);
        let folder = !(t.files.len() == 1 && t.files[0].path.is_empty());
        match file {
            None if is_manifest(headers.content_type) => {
                use futures_util::StreamExt;
                let mut bytes = Vec::new();
                let mut body = std::pin::pin!(body);
                while let Some(Ok(chunk)) = body.next().await {
                    if bytes.len() + chunk.len() > MAX_MANIFEST_BYTES {
                        break;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                let files = parse_manifest(&bytes, self.settings.dataplane.max_transfer_bytes)
                    .map_err(PushRefusal::Manifest)?;
                if folder && files == t.files {
                    return Ok(PushAccepted::Manifest {
                        files: files.len(),
                        known: true,
                    });
                }
            }
            None => {
                if let Some(f) = t.received.first()
                    && !folder
                    && announced.as_deref() == Some(f.sha256.as_str())
                {
                    return Ok(PushAccepted::File {
                        file: f.clone(),
                        known: true,
                    });
                }
            }
            Some(rel) => {
                if let Some(f) = t.received.iter().find(|f| f.path == rel && folder) {
                    if announced.as_deref() != Some(f.sha256.as_str()) {
                        return Err(PushRefusal::Mismatch(format!(
                            "{rel}: Repr-Digest does not announce the SHA-256 the manifest lists"
                        )));
                    }
                    return Ok(PushAccepted::File {
                        file: f.clone(),
                        known: true,
                    });
                }
                return Err(PushRefusal::NotListed(rel.to_owned()));
            }
        }
        Err(PushRefusal::Conflict(
            "the data of this transfer has already arrived (and was other data)".into(),
        ))
    }

    async fn receive_manifest<S, E>(
        &self,
        t: &Transfer,
        headers: &PushHeaders<'_>,
        body: S,
    ) -> Result<PushAccepted, PushRefusal>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>>,
    {
        use futures_util::StreamExt;
        let mut bytes = Vec::new();
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|_| ReceiveError::BrokenOff(bytes.len() as u64))?;
            if bytes.len() + chunk.len() > MAX_MANIFEST_BYTES {
                return Err(PushRefusal::Manifest(format!(
                    "the manifest is larger than {MAX_MANIFEST_BYTES} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        if let Some(announced) = headers
            .repr_digest
            .and_then(crate::dataplane::parse_repr_digest)
        {
            let received = sha256_hex_bytes(&bytes);
            if announced != received {
                return Err(ReceiveError::DigestMismatch {
                    announced,
                    received,
                }
                .into());
            }
        }
        let files = parse_manifest(&bytes, self.settings.dataplane.max_transfer_bytes)
            .map_err(PushRefusal::Manifest)?;
        let _guard = self.locks.lock(&t.id).await;
        if let Some(known) = self.folder(t).await? {
            if known.files != files {
                return Err(PushRefusal::Conflict(
                    "this transfer already received another manifest".into(),
                ));
            }
            return Ok(PushAccepted::Manifest {
                files: files.len(),
                known: true,
            });
        }
        let parts = self.parts_path(t);
        tokio::fs::create_dir_all(&parts)
            .await
            .map_err(|e| io_refusal(&parts, e))?;
        let stored =
            serde_json::to_vec(&crate::dataplane::receive::manifest::manifest_json(&files))
                .map_err(|e| PushRefusal::Internal(e.to_string()))?;
        let temp = parts.join("manifest.json.new");
        let path = parts.join("manifest.json");
        write_synced(&temp, &stored)
            .await
            .map_err(|e| io_refusal(&temp, e))?;
        tokio::fs::rename(&temp, &path)
            .await
            .map_err(|e| io_refusal(&path, e))?;
        let n = files.len();
        let total: u64 = files.iter().map(|f| f.size).sum();
        let mut t = self
            .get(&t.id)
            .map_err(|e| PushRefusal::Internal(e.to_string()))?
            .ok_or_else(|| PushRefusal::Unknown(t.id.clone()))?;
        t.progress.total = Some(total);
        t.progress.first_byte_ms.get_or_insert(now_ms());
        let mut batch = WriteBatch::new();
        self.record(
            &mut batch,
            &t,
            AuditKind::Transfer,
            format!("Manifest empfangen (Push eines Ordners): {n} Dateien, {total} Bytes"),
            json!({"push": true, "manifest": {"files": n, "bytes": total}}),
        );
        self.commit(batch, &t)
            .map_err(|e| PushRefusal::Internal(e.to_string()))?;
        let folder = self.remember_folder(&t.id, files, Default::default());
        drop(_guard);
        if folder.files.is_empty() {
            self.finalize_push(&t.id, None).await?;
        }
        Ok(PushAccepted::Manifest {
            files: n,
            known: false,
        })
    }

    async fn receive_single<S, E>(
        &self,
        t: &Transfer,
        headers: &PushHeaders<'_>,
        body: S,
    ) -> Result<PushAccepted, PushRefusal>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>>,
    {
        if self.folder(t).await?.is_some() {
            return Err(PushRefusal::Conflict(format!(
                "this transfer receives a folder: PUT each file of the manifest to {}/files/{{path}}",
                t.push.as_ref().map_or("", |p| p.endpoint.as_str())
            )));
        }
        let announced = headers
            .repr_digest
            .and_then(crate::dataplane::parse_repr_digest)
            .ok_or(PushRefusal::Body(ReceiveError::NoDigest))?;
        let (offset, size) =
            continuation(headers.content_range, None).map_err(PushRefusal::Range)?;
        let size = size.or(headers.content_length);
        let cancel = self.push_stream(&t.id).await?;
        let claim = self.receivers.claim(format!("{}\n", t.id), &cancel).await;
        let dest_name = file_name_for(&t.dataset_id);
        let incoming = Incoming {
            part: self.parts_path(t).join(format!("{}.part", sha256_hex(""))),
            dest: self.staging_path(t).join(&dest_name),
            sha256: announced,
            size,
            offset,
            max_bytes: self.settings.dataplane.max_transfer_bytes,
        };
        let stored = receive_to_file(body, &incoming, claim.stop.clone())
            .await
            .map_err(|e| kept_part_refused(&dest_name, offset, e))?;
        drop(claim);
        let info = FileInfo {
            path: String::new(),
            size: stored.size,
            sha256: Some(stored.sha256),
        };
        let file = self.finalize_push(&t.id, Some(info)).await?;
        Ok(PushAccepted::File { file, known: false })
    }

    async fn receive_folder_file<S, E>(
        &self,
        t: &Transfer,
        rel: &str,
        headers: &PushHeaders<'_>,
        body: S,
    ) -> Result<PushAccepted, PushRefusal>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>>,
    {
        let (folder, i, entry) = self.entry(t, rel).await?;
        let sha = entry.sha256.clone().unwrap_or_default();
        let announced = headers
            .repr_digest
            .and_then(crate::dataplane::parse_repr_digest)
            .ok_or(PushRefusal::Body(ReceiveError::NoDigest))?;
        if announced != sha {
            return Err(PushRefusal::Mismatch(format!(
                "{rel}: Repr-Digest announces {announced}, the manifest lists {sha}"
            )));
        }
        let (offset, _) =
            continuation(headers.content_range, Some(entry.size)).map_err(PushRefusal::Range)?;
        if let Some(n) = headers.content_length
            && n != entry.size - offset.min(entry.size)
        {
            return Err(PushRefusal::Mismatch(format!(
                "{rel}: the body has {n} bytes; the manifest lists {} bytes (continuing at {offset})",
                entry.size
            )));
        }
        let received = |known| PushAccepted::File {
            file: ReceivedFile {
                stored_at: self.final_path_of(t, rel).display().to_string(),
                path: rel.to_owned(),
                size: entry.size,
                sha256: sha.clone(),
            },
            known,
        };
        if folder.is_verified(i) {
            return Ok(received(true));
        }
        let cancel = self.push_stream(&t.id).await?;
        let claim = self
            .receivers
            .claim(format!("{}\n{rel}", t.id), &cancel)
            .await;
        if folder.is_verified(i) {
            return Ok(received(true));
        }
        let mut dest = self.staging_path(t);
        rel.split('/').for_each(|s| dest.push(s));
        let incoming = Incoming {
            part: self.parts_path(t).join(format!("{}.part", sha256_hex(rel))),
            dest,
            sha256: sha.clone(),
            size: Some(entry.size),
            offset,
            max_bytes: self.settings.dataplane.max_transfer_bytes,
        };
        receive_to_file(body, &incoming, claim.stop.clone())
            .await
            .map_err(|e| kept_part_refused(rel, offset, e))?;
        drop(claim);
        let (all, bytes) = folder.verify(i);
        self.registry.set_progress(
            &t.id,
            crate::dataplane::LiveProgress {
                bytes,
                total: Some(folder.files.iter().map(|f| f.size).sum()),
            },
        );
        if all {
            self.finalize_push(&t.id, None).await?;
        }
        Ok(received(false))
    }

    /// The manifest entry for `rel` (checked), with its folder and index.
    async fn entry(
        &self,
        t: &Transfer,
        rel: &str,
    ) -> Result<(Arc<Folder>, usize, FileInfo), PushRefusal> {
        let folder = self.folder(t).await?.ok_or_else(|| {
            PushRefusal::Conflict(format!(
                "no manifest yet: PUT the folder's manifest to the endpoint first (Content-Type: {MANIFEST_MEDIA_TYPE})"
            ))
        })?;
        check_path(rel).map_err(|why| PushRefusal::Path(format!("{rel:?} {why}")))?;
        let i = *folder
            .index
            .get(rel)
            .ok_or_else(|| PushRefusal::NotListed(rel.to_owned()))?;
        let entry = folder.files[i].clone();
        Ok((folder, i, entry))
    }

    /// The cancellation token of a request for the running transfer `id`. Right after a
    /// restart the listener answers before the transfers are resumed (`run_background`): a
    /// transfer STARTED in its record is registered here (under its lock, like every
    /// commit, so a transfer stopped meanwhile is not revived) rather than refused as not
    /// running — the provider would take that 409 for "nothing kept", and then for a refusal.
    async fn push_stream(&self, id: &str) -> Result<CancellationToken, PushRefusal> {
        if let Some(cancel) = self.registry.stream(id) {
            return Ok(cancel);
        }
        {
            let _guard = self.locks.lock(id).await;
            if let Ok(Some(t)) = self.get(id)
                && t.state == TransferState::Started
            {
                self.registry.run(id, t.role);
            }
        }
        self.registry
            .stream(id)
            .ok_or_else(|| PushRefusal::Conflict("the transfer is not running".into()))
    }

    /// Consumer: `HEAD` on its receiving endpoint — how much of the single file (`file`
    /// `None`) or of one file of the folder is kept (see [`crate::transfer::push`]).
    pub async fn probe_push(
        &self,
        id: &str,
        file: Option<&str>,
        authorization: Option<&str>,
    ) -> Result<Kept, PushRefusal> {
        let t = self.authorized(id, authorization)?;
        if t.progress.done_ms.is_some() {
            let rel = file.unwrap_or("");
            let f = t
                .received
                .iter()
                .find(|f| f.path == rel)
                .ok_or_else(|| PushRefusal::NotListed(rel.to_owned()))?;
            return Ok(Kept {
                offset: f.size,
                complete: true,
            });
        }
        let (key, part, size) = match file {
            None => {
                let part = self.parts_path(&t).join(format!("{}.part", sha256_hex("")));
                (format!("{id}\n"), part, None)
            }
            Some(rel) => {
                let (folder, i, entry) = self.entry(&t, rel).await?;
                if folder.is_verified(i) {
                    return Ok(Kept {
                        offset: entry.size,
                        complete: true,
                    });
                }
                let part = self
                    .parts_path(&t)
                    .join(format!("{}.part", sha256_hex(rel)));
                (format!("{id}\n{rel}"), part, Some(entry.size))
            }
        };
        let cancel = self.push_stream(id).await?;
        // Waits until an older request for this file has let go and flushed.
        let claim = self.receivers.claim(key, &cancel).await;
        let kept = partial_len(&part);
        drop(claim);
        Ok(Kept {
            // A partial file as long as the file (a crash after it was written, before it
            // was verified and renamed) or longer is not continued: send it whole.
            offset: size.map_or(kept, |s| if kept >= s { 0 } else { kept }),
            complete: false,
        })
    }
}

/// A continuation whose whole-file digest did not match: the bytes kept from an earlier
/// attempt may be what was wrong (a tail torn by a crash), and they are gone now (see
/// [`receive_to_file`]) — refused as a continuation (416), so the sender asks again and
/// sends the file whole; data that is wrong from byte 0 on stays a plain refusal.
fn kept_part_refused(name: &str, offset: u64, e: ReceiveError) -> PushRefusal {
    match e {
        ReceiveError::DigestMismatch { .. } if offset > 0 => PushRefusal::Range(format!(
            "{name:?}: the {offset} bytes kept from an earlier attempt and this continuation do not give the announced digest ({e}); the kept bytes were discarded: send the file whole"
        )),
        e => PushRefusal::Body(e),
    }
}

fn sha256_hex_bytes(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_must_run_to_the_end_of_the_file() {
        assert_eq!(continuation(None, Some(10)), Ok((0, Some(10))));
        assert_eq!(
            continuation(Some("bytes 4-9/10"), Some(10)),
            Ok((4, Some(10)))
        );
        assert_eq!(continuation(Some("bytes 4-9/10"), None), Ok((4, Some(10))));
        assert!(continuation(Some("bytes 0-18446744073709551615/0"), None).is_err());
        for bad in [
            "bytes 4-8/10",
            "bytes 4-9/*",
            "bytes 4-9/11",
            "4-9/10",
            "bytes 9-4/10",
        ] {
            assert!(continuation(Some(bad), Some(10)).is_err(), "{bad}");
        }
        assert!(is_manifest(Some(
            "application/vnd.datenraum.folder-manifest+json; charset=utf-8"
        )));
        assert!(!is_manifest(Some("application/json")));
        assert!(!is_manifest(None));
    }

    #[test]
    fn a_failed_continuation_is_asked_again_but_wrong_whole_data_is_refused() {
        let wrong = || ReceiveError::DigestMismatch {
            announced: "a".into(),
            received: "b".into(),
        };
        match kept_part_refused("b.bin", 4096, wrong()) {
            PushRefusal::Range(m) => assert!(
                m.contains("\"b.bin\"") && m.contains("4096 bytes kept") && m.contains("whole"),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            kept_part_refused("b.bin", 0, wrong()),
            PushRefusal::Body(wrong())
        );
        assert_eq!(
            kept_part_refused("b.bin", 4096, ReceiveError::BrokenOff(5000)),
            PushRefusal::Body(ReceiveError::BrokenOff(5000))
        );
    }
}
