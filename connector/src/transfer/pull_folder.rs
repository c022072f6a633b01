//! Consumer: a pulled folder appears whole or not at all.
//!
//! A folder pull is received into `<received_dir>/.pull/<transfer>/` (the staging folder:
//! only verified files, each moved in after its size and SHA-256 matched the manifest), with
//! the partial downloads in `<received_dir>/.pull/<transfer>.parts/`, each named by the
//! SHA-256 of its path in the folder (no name of the dataset can collide with a partial file,
//! and a cut or crashed download resumes from it with `Range`). When every file of the
//! manifest is verified, the staging folder is renamed to the transfer's folder
//! `<received_dir>/<agreement>/<transfer>/` in one step ([`Transfers::place_pulled_folder`]),
//! after anything the manifest does not list was removed from it: that folder appears
//! complete or not at all, holds exactly the manifest's files, and the deletion duty covers
//! it from then on. A transfer that ends without its data (terminated, or completed by the
//! provider first) has its staging and partial files removed
//! ([`Transfers::discard_unfinished_pull`]). A single file is not staged: it appears by the
//! download's own rename of its `.part` file (a transfer that ends without it has that file
//! removed too). Here too: reading the folder's manifest, and recognising a file verified in
//! an earlier attempt (`already_verified`, also for a single file).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use sha2::Digest;

use super::record::{FileInfo, PullAddress, Transfer};
use super::service::Transfers;
use crate::dataplane::{PullError, file_name_for};
use crate::process::Role;

impl Transfers {
    fn pull_root(&self) -> PathBuf {
        self.settings.received_dir.join(".pull")
    }

    /// Where a folder pull's verified files wait until all have arrived.
    pub(super) fn pull_staging_path(&self, t: &Transfer) -> PathBuf {
        self.pull_root().join(file_name_for(&t.id))
    }

    /// Where a folder pull's partial downloads are kept.
    pub(super) fn pull_parts_path(&self, t: &Transfer) -> PathBuf {
        self.pull_root()
            .join(format!("{}.parts", file_name_for(&t.id)))
    }

    /// The download target of the folder's file `rel` (its `.part` file lies next to it).
    pub(super) fn pull_part_for(&self, t: &Transfer, rel: &str) -> PathBuf {
        self.pull_parts_path(t)
            .join(hex::encode(sha2::Sha256::digest(rel.as_bytes())))
    }

    /// Reads a folder's manifest (paths, sizes, digests; at most 4 MiB).
    pub(super) async fn manifest(
        &self,
        pull: &PullAddress,
        caller: &str,
    ) -> Result<Vec<FileInfo>, PullError> {
        let r = self
            .data_client
            .get(&pull.endpoint)
            .bearer_auth(&pull.token)
            .header(crate::dataplane::CALLER_HEADER, caller)
            .send()
            .await
            .map_err(|e| PullError::Network(e.to_string()))?;
        let status = r.status().as_u16();
        if r.content_length().is_some_and(|n| n > 4 << 20) {
            return Err(PullError::Protocol("the manifest exceeds 4 MiB".into()));
        }
        let body = r
            .bytes()
            .await
            .map_err(|e| PullError::Network(e.to_string()))?;
        if status != 200 {
            return Err(PullError::refused(status, &String::from_utf8_lossy(&body)));
        }
        #[derive(serde::Deserialize)]
        struct Manifest {
            files: Vec<FileInfo>,
        }
        let m: Manifest = serde_json::from_slice(&body)
            .map_err(|e| PullError::Protocol(format!("the manifest is not valid: {e}")))?;
        Ok(m.files)
    }

    fn pull_folder_paths(&self, t: &Transfer) -> FolderPaths {
        FolderPaths {
            staging: self.pull_staging_path(t),
            parts: self.pull_parts_path(t),
            root: self.pull_root(),
            target: self.received_path(t),
        }
    }

    /// Creates the staging and parts folders of a folder pull. A transfer folder that is in
    /// place although the transfer has not recorded its data (a crash between the rename
    /// and the record) is moved back into staging, where its files are checked again.
    pub(super) async fn prepare_pull_staging(&self, t: &Transfer) -> Result<(), PullError> {
        let paths = self.pull_folder_paths(t);
        let unrecorded = t.progress.done_ms.is_none();
        tokio::task::spawn_blocking(move || paths.prepare(unrecorded))
            .await
            .map_err(|e| PullError::Io(e.to_string()))?
            .map_err(PullError::Io)
    }

    /// Moves a verified download from the parts folder to its place in staging.
    pub(super) async fn stage_pulled_file(from: &Path, to: &Path) -> Result<(), PullError> {
        let io = |p: &Path, e: std::io::Error| PullError::Io(format!("{}: {e}", p.display()));
        if let Some(parent) = to.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| io(parent, e))?;
        }
        tokio::fs::rename(from, to).await.map_err(|e| io(from, e))
    }

    /// Moves a folder pull whose files (`rels`, paths in the folder) are all verified into
    /// place in one rename; removes first what the manifest does not list, afterwards the
    /// partial files.
    pub(super) async fn place_pulled_folder(
        &self,
        t: &Transfer,
        rels: Vec<String>,
    ) -> Result<(), String> {
        let paths = self.pull_folder_paths(t);
        tokio::task::spawn_blocking(move || paths.place(&rels))
            .await
            .map_err(|e| e.to_string())?
    }

    /// Consumer: removes what an unfinished pull left once the transfer has ended without
    /// its data: a folder's staging and partial files, a single file's `.part` file (and its
    /// transfer's folder when that is left empty); nothing for other transfers.
    pub(crate) fn discard_unfinished_pull(&self, t: &Transfer) {
        if t.role != Role::Consumer
            || t.format.direction() != super::Direction::Pull
            || !t.is_terminal()
            || t.progress.done_ms.is_some()
        {
            return;
        }
        let dir = self.received_path(t);
        let part = crate::dataplane::pull::part_path(&dir.join(file_name_for(&t.dataset_id)));
        if part.exists() {
            let id = t.id.clone();
            let remove = move || {
                if let Err(e) = std::fs::remove_file(&part)
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    tracing::warn!(transfer = %id, error = %e, file = %part.display(),
                        "cannot remove the partial file of an unfinished pull");
                }
                // Only when empty: a file that did arrive is the deletion duty's.
                let _ = std::fs::remove_dir(&dir);
            };
            super::push::in_background(remove);
        }
        let (staging, parts, root) = (
            self.pull_staging_path(t),
            self.pull_parts_path(t),
            self.pull_root(),
        );
        if !staging.exists() && !parts.exists() {
            return;
        }
        super::push::remove_unfinished(
            t.id.clone(),
            [staging, parts],
            root,
            "an unfinished folder pull",
        );
    }
}

/// The SHA-256 of `path` when it is a complete earlier download of `expected` (size and
/// digest match); `None` when it is missing or differs.
pub(super) async fn already_verified(
    path: &std::path::Path,
    expected: Option<&FileInfo>,
) -> Result<Option<String>, PullError> {
    let Some((size, Some(want))) = expected.map(|f| (f.size, f.sha256.clone())) else {
        return Ok(None);
    };
    match tokio::fs::metadata(path).await {
        Ok(meta) if meta.is_file() && meta.len() == size => {}
        _ => return Ok(None),
    }
    let check = path.to_path_buf();
    let got = tokio::task::spawn_blocking(move || crate::dataplane::digest::hash_file(&check))
        .await
        .map_err(|e| PullError::Io(e.to_string()))?
        .map_err(|e| PullError::Io(format!("{}: {e}", path.display())))?;
    Ok((got.1 == want).then_some(want))
}

/// The folders of one folder pull.
struct FolderPaths {
    /// Verified files, waiting for the last.
    staging: PathBuf,
    /// Partial downloads.
    parts: PathBuf,
    /// `<received_dir>/.pull` (removed when empty).
    root: PathBuf,
    /// The transfer's folder in the received-data folder.
    target: PathBuf,
}

impl FolderPaths {
    /// See [`Transfers::prepare_pull_staging`] (blocking).
    fn prepare(&self, unrecorded: bool) -> Result<(), String> {
        let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
        if unrecorded && !self.staging.exists() && self.target.is_dir() {
            if let Some(parent) = self.staging.parent() {
                std::fs::create_dir_all(parent).map_err(|e| err(parent, e))?;
            }
            std::fs::rename(&self.target, &self.staging).map_err(|e| err(&self.target, e))?;
        }
        std::fs::create_dir_all(&self.staging).map_err(|e| err(&self.staging, e))?;
        std::fs::create_dir_all(&self.parts).map_err(|e| err(&self.parts, e))
    }

    /// See [`Transfers::place_pulled_folder`] (blocking).
    fn place(&self, rels: &[String]) -> Result<(), String> {
        let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
        let (staging, target) = (&self.staging, &self.target);
        std::fs::create_dir_all(staging).map_err(|e| err(staging, e))?;
        let listed: HashSet<PathBuf> = rels
            .iter()
            .map(|r| r.split('/').fold(staging.clone(), |p, s| p.join(s)))
            .collect();
        remove_unlisted(staging, &listed).map_err(|e| err(staging, e))?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| err(parent, e))?;
        }
        if target.exists() {
            // A leftover of a rename whose record was not written, when staging was filled
            // again meanwhile: the staged files are the verified ones.
            std::fs::remove_dir_all(target).map_err(|e| err(target, e))?;
        }
        std::fs::rename(staging, target).map_err(|e| err(staging, e))?;
        if let Some(parent) = target.parent() {
            std::fs::File::open(parent)
                .and_then(|d| d.sync_all())
                .map_err(|e| err(parent, e))?;
        }
        let _ = std::fs::remove_dir_all(&self.parts);
        let _ = std::fs::remove_dir(&self.root);
        Ok(())
    }
}

/// Removes every file below `dir` that is not in `listed`, and folders left empty by that
/// (blocking). Symbolic links are removed, never followed.
fn remove_unlisted(dir: &Path, listed: &HashSet<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            remove_unlisted(&path, listed)?;
            if std::fs::read_dir(&path)?.next().is_none() {
                std::fs::remove_dir(&path)?;
            }
        } else if !listed.contains(&path) {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_files_stay() {
        let dir = std::env::temp_dir().join(format!("pull-folder-prune-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("2024/leer")).expect("dirs");
        std::fs::create_dir_all(dir.join("alt")).expect("dirs");
        std::fs::write(dir.join("a.csv"), b"a").expect("file");
        std::fs::write(dir.join("a.csv.part"), b"partial").expect("file");
        std::fs::write(dir.join("2024/januar.csv"), b"j").expect("file");
        std::fs::write(dir.join("alt/x"), b"x").expect("file");
        let listed: HashSet<PathBuf> = [dir.join("a.csv"), dir.join("2024/januar.csv")]
            .into_iter()
            .collect();
        remove_unlisted(&dir, &listed).expect("prune");
        assert!(dir.join("a.csv").exists());
        assert!(dir.join("2024/januar.csv").exists());
        assert!(!dir.join("a.csv.part").exists());
        assert!(!dir.join("alt").exists(), "an unlisted folder goes");
        assert!(!dir.join("2024/leer").exists(), "an empty folder goes");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn paths(name: &str) -> FolderPaths {
        let base = std::env::temp_dir().join(format!("pull-folder-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        FolderPaths {
            staging: base.join("received/.pull/t1"),
            parts: base.join("received/.pull/t1.parts"),
            root: base.join("received/.pull"),
            target: base.join("received/ag/t1"),
        }
    }

    #[test]
    fn the_folder_appears_in_one_rename_with_only_the_listed_files() {
        let p = paths("place");
        p.prepare(true).expect("prepare");
        assert!(p.staging.is_dir() && p.parts.is_dir() && !p.target.exists());
        std::fs::create_dir_all(p.staging.join("2024")).expect("dir");
        std::fs::write(p.staging.join("2024/januar.csv"), b"j").expect("file");
        std::fs::write(p.staging.join("fremd.txt"), b"x").expect("file");
        std::fs::write(p.parts.join("abc.part"), b"partial").expect("file");
        p.place(&["2024/januar.csv".into()]).expect("place");
        assert_eq!(
            std::fs::read(p.target.join("2024/januar.csv")).expect("placed"),
            b"j"
        );
        assert!(
            !p.target.join("fremd.txt").exists(),
            "unlisted files stay out"
        );
        assert!(!p.root.exists(), "staging and parts are gone");
        let _ = std::fs::remove_dir_all(p.root.parent().and_then(Path::parent).expect("base"));
    }

    #[test]
    fn a_folder_placed_but_not_recorded_is_moved_back_and_placed_again() {
        let p = paths("crash");
        p.prepare(true).expect("prepare");
        std::fs::write(p.staging.join("a.csv"), b"a").expect("file");
        p.place(&["a.csv".into()]).expect("place");
        // The record was not written (a crash): the next attempt starts from the placed files.
        p.prepare(true).expect("prepare again");
        assert!(
            !p.target.exists(),
            "moved back: the folder is not shown as complete"
        );
        assert_eq!(
            std::fs::read(p.staging.join("a.csv")).expect("staged"),
            b"a"
        );
        p.place(&["a.csv".into()]).expect("place again");
        assert_eq!(std::fs::read(p.target.join("a.csv")).expect("placed"), b"a");
        // Recorded: a placed folder is left where it is.
        p.prepare(false).expect("prepare recorded");
        assert!(p.target.join("a.csv").exists());
        let _ = std::fs::remove_dir_all(p.root.parent().and_then(Path::parent).expect("base"));
    }
}
