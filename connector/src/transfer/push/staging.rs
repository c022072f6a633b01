//! Consumer: where a push waits until it is complete, and how it is moved into place or
//! discarded.
//!
//! A push is received into `<received_dir>/.push/<transfer>/` (the staging folder: only
//! verified files, each renamed in after its digest matched), with the partial files and the
//! manifest in `<received_dir>/.push/<transfer>.parts/` (partial files are named by the
//! SHA-256 of their path, so no name of the dataset can collide with them). When the last
//! file of the manifest is verified (or the single file is), the staging folder is renamed to
//! the transfer's folder `<received_dir>/<agreement>/<transfer>/` in one step
//! ([`Transfers::finalize_push`]): that folder appears complete or not at all, and the
//! deletion duty covers it from then on. A transfer that ends otherwise (terminated, or
//! completed by the provider before the data arrived, which is refused) has its staging and
//! partial files removed ([`Transfers::discard_unfinished_push`]).

use std::path::{Path, PathBuf};

use serde_json::json;

use super::super::record::{FileInfo, ReceivedFile, Transfer};
use super::super::service::Transfers;
use super::PushRefusal;
use crate::audit::AuditKind;
use crate::dataplane::file_name_for;
use crate::dsp::transfer::TransferState;
use crate::process::{Role, now_ms};
use crate::store::WriteBatch;

impl Transfers {
    pub(super) fn push_root(&self) -> PathBuf {
        self.settings.received_dir.join(".push")
    }

    /// Where a push's verified files wait until all have arrived.
    pub(super) fn staging_path(&self, t: &Transfer) -> PathBuf {
        self.push_root().join(file_name_for(&t.id))
    }

    /// Where a push's partial files and manifest are kept.
    pub(super) fn parts_path(&self, t: &Transfer) -> PathBuf {
        self.push_root()
            .join(format!("{}.parts", file_name_for(&t.id)))
    }

    pub(super) fn final_path_of(&self, t: &Transfer, rel: &str) -> PathBuf {
        let mut p = self.received_path(t);
        if rel.is_empty() {
            p.push(file_name_for(&t.dataset_id));
        } else {
            rel.split('/').for_each(|s| p.push(s));
        }
        p
    }

    /// Moves a complete push into place and records it (`single`: the single file; `None`:
    /// the folder whose files are all verified). Returns the single file (for a folder: the
    /// first file, or an empty record for an empty folder).
    pub(super) async fn finalize_push(
        &self,
        id: &str,
        single: Option<FileInfo>,
    ) -> Result<ReceivedFile, PushRefusal> {
        let internal = |e: String| PushRefusal::Internal(e);
        let _guard = self.locks.lock(id).await;
        let mut t = self
            .get(id)
            .map_err(|e| internal(e.to_string()))?
            .ok_or_else(|| PushRefusal::Unknown(id.to_owned()))?;
        if t.progress.done_ms.is_some() {
            return t
                .received
                .first()
                .cloned()
                .ok_or_else(|| PushRefusal::Conflict("already complete".into()));
        }
        if t.state != TransferState::Started {
            return Err(PushRefusal::Conflict(format!(
                "the transfer is {}, not STARTED",
                t.state
            )));
        }
        let files = match single {
            Some(f) => vec![f],
            None => {
                let folder = self
                    .folder(&t)
                    .await?
                    .ok_or_else(|| internal("the manifest is gone".into()))?;
                folder.files.clone()
            }
        };
        let staging = self.staging_path(&t);
        let target = self.received_path(&t);
        let (from, to) = (staging.clone(), target.clone());
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&from)?;
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            if to.exists() {
                // A leftover of a move whose record was not written (a crash between).
                std::fs::remove_dir_all(&to)?;
            }
            std::fs::rename(&from, &to)?;
            if let Some(parent) = to.parent() {
                std::fs::File::open(parent)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| internal(e.to_string()))?
        .map_err(|e| internal(format!("{} → {}: {e}", staging.display(), target.display())))?;
        let received: Vec<ReceivedFile> = files
            .iter()
            .map(|f| ReceivedFile {
                stored_at: self.final_path_of(&t, &f.path).display().to_string(),
                path: f.path.clone(),
                size: f.size,
                sha256: f.sha256.clone().unwrap_or_default(),
            })
            .collect();
        let total: u64 = files.iter().map(|f| f.size).sum();
        let folder = !(files.len() == 1 && files[0].path.is_empty());
        t.files = files;
        t.received = received;
        t.progress.bytes = total;
        t.progress.total = Some(total);
        t.progress.first_byte_ms.get_or_insert(now_ms());
        t.progress.done_ms = Some(now_ms());
        let mut batch = WriteBatch::new();
        let summary = if folder {
            format!(
                "Daten empfangen (Push eines Ordners): {} Dateien, {total} Bytes, SHA-256 jeder Datei geprüft",
                t.received.len()
            )
        } else {
            format!("Daten empfangen (Push): {total} Bytes, SHA-256 geprüft")
        };
        self.record(
            &mut batch,
            &t,
            AuditKind::DataReceived,
            summary,
            json!({"push": true, "folder": folder, "stored_at": target.display().to_string(),
                   "bytes": total,
                   "files": t.received.iter().take(1000).map(|f| json!({"path": f.path,
                       "size": f.size, "sha256": f.sha256})).collect::<Vec<_>>()}),
        );
        self.commit(batch, &t)
            .map_err(|e| internal(e.to_string()))?;
        self.receivers.forget(id);
        let parts = self.parts_path(&t);
        let root = self.push_root();
        let _ = tokio::task::spawn_blocking(move || {
            let _ = std::fs::remove_dir_all(&parts);
            let _ = std::fs::remove_dir(&root);
        })
        .await;
        tracing::info!(transfer = %id, bytes = total, files = t.received.len(),
            "pushed data received and verified");
        Ok(t.received.first().cloned().unwrap_or(ReceivedFile {
            stored_at: target.display().to_string(),
            path: String::new(),
            size: 0,
            sha256: String::new(),
        }))
    }

    /// Consumer: removes what an unfinished push left (staging and partial files) once the
    /// transfer has ended without its data; nothing for other transfers.
    pub(crate) fn discard_unfinished_push(&self, t: &Transfer) {
        if t.role != Role::Consumer
            || t.format.direction() != super::super::Direction::Push
            || !t.is_terminal()
            || t.progress.done_ms.is_some()
        {
            return;
        }
        self.receivers.forget(&t.id);
        let (staging, parts, root) = (self.staging_path(t), self.parts_path(t), self.push_root());
        if !staging.exists() && !parts.exists() {
            return;
        }
        remove_unfinished(t.id.clone(), [staging, parts], root, "an unfinished push");
    }

    /// Consumer: whether a `TransferCompletionMessage` is the provider's completion of a push
    /// that this side accepted already — sent again because the provider did not learn the
    /// answer (killed or cut off before it recorded it; it stays STARTED until it does, see
    /// `completion`). It is answered with success again, also when its bytes differ from the
    /// first (a provider upgraded across its restart may write the same message differently):
    /// an error would make the provider continue the push into a COMPLETED transfer and end
    /// TERMINATED while this side is COMPLETED.
    pub(crate) fn repeated_push_completion(&self, t: &Transfer) -> bool {
        t.role == Role::Consumer
            && t.format.direction() == super::super::Direction::Push
            && t.state == TransferState::Completed
    }

    /// Consumer: why the provider's completion of a push to this connector's own receiving
    /// endpoint is refused (its data has not all arrived verified); `None` when it is
    /// accepted (complete, not a push, or a push to an external endpoint).
    pub(crate) fn push_incomplete(&self, t: &Transfer) -> Option<String> {
        if t.role != Role::Consumer
            || t.format.direction() != super::super::Direction::Push
            || t.counterparty.tck
            || t.progress.done_ms.is_some()
            // An external endpoint named by the operator: the data never passes here, the
            // provider's word is all this side has.
            || t.push.as_ref().is_none_or(|p| p.token_sha256.is_none())
        {
            return None;
        }
        let verified = self
            .receivers
            .folders
            .lock()
            .ok()
            .and_then(|m| m.get(&t.id).cloned())
            .map(|f| (f.verified_count(), f.files.len()));
        Some(match verified {
            Some((n, of)) => format!(
                "the pushed data has not all arrived: {n} of {of} files of the manifest are verified"
            ),
            None => "the pushed data has not arrived (nothing verified yet)".into(),
        })
    }
}

/// Writes `bytes` to `path` and syncs it.
pub(super) async fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut f = tokio::fs::File::create(path).await?;
    f.write_all(bytes).await?;
    f.sync_all().await
}

/// Removes the staging and partial-file folders `dirs` of an unfinished transfer `id` (push
/// or folder pull: `what` names it in the warning), and their common `root` when it is empty
/// then; on a blocking thread when called on the runtime.
pub(crate) fn remove_unfinished(id: String, dirs: [PathBuf; 2], root: PathBuf, what: &'static str) {
    let remove = move || {
        for dir in &dirs {
            if let Err(e) = std::fs::remove_dir_all(dir)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(transfer = %id, error = %e, dir = %dir.display(),
                    "cannot remove {what}");
            }
        }
        let _ = std::fs::remove_dir(&root);
    };
    in_background(remove);
}

/// Runs the blocking `f` on the runtime's blocking threads without waiting for it, or right
/// away outside a runtime.
pub(crate) fn in_background(f: impl FnOnce() + Send + 'static) {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => drop(h.spawn_blocking(f)),
        Err(_) => f(),
    }
}
