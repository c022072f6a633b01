//! The manifest a push of a folder starts with: the same JSON the pull side serves for a
//! folder (`{"files": [{"path", "size", "sha256"}, …]}`), sent with the media type
//! [`MANIFEST_MEDIA_TYPE`](crate::dataplane::push::MANIFEST_MEDIA_TYPE).
//!
//! It is checked before anything is stored, each problem named with the entry's index and
//! path: at most [`MAX_MANIFEST_BYTES`] and [`MAX_FOLDER_FILES`] entries; paths relative,
//! `/`-separated plain names (no `.`, `..`, empty parts, control characters or backslashes;
//! at most 16 levels, 1024 characters, 255 bytes a name); every path once, and none both a
//! file and the folder of another; sizes adding up to at most `dataplane.max_transfer_bytes`;
//! each entry with a SHA-256 of 64 hex digits.

use std::collections::HashSet;

use crate::dataplane::source::{MAX_FOLDER_FILES, safe_relative_path};
use crate::transfer::record::FileInfo;

/// The largest manifest accepted.
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// The longest name (one path part) accepted, in bytes (common file systems' limit).
pub const MAX_NAME_BYTES: usize = 255;

/// The manifest as JSON (what the provider sends, and the pull side serves).
pub fn manifest_json(files: &[FileInfo]) -> serde_json::Value {
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|f| serde_json::json!({"path": f.path, "size": f.size, "sha256": f.sha256}))
        .collect();
    serde_json::json!({ "files": files })
}

/// Checks a relative path named by the sender (see the module docs); returns its parts.
pub fn check_path(path: &str) -> Result<Vec<&str>, String> {
    let parts = safe_relative_path(path)?;
    if let Some(long) = parts.iter().find(|p| p.len() > MAX_NAME_BYTES) {
        return Err(format!(
            "part {:?}… is longer than {MAX_NAME_BYTES} bytes",
            long.chars().take(40).collect::<String>()
        ));
    }
    Ok(parts)
}

/// Reads and checks a manifest (see the module docs); `max_total` is the most bytes all files
/// may have together.
pub fn parse_manifest(body: &[u8], max_total: u64) -> Result<Vec<FileInfo>, String> {
    if body.len() > MAX_MANIFEST_BYTES {
        return Err(format!(
            "the manifest is larger than {MAX_MANIFEST_BYTES} bytes"
        ));
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Manifest {
        files: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        path: String,
        size: u64,
        sha256: Option<String>,
    }
    let m: Manifest = serde_json::from_slice(body)
        .map_err(|e| format!("the manifest is not valid JSON of the form {{\"files\": [{{\"path\", \"size\", \"sha256\"}}]}}: {e}"))?;
    if m.files.len() > MAX_FOLDER_FILES {
        return Err(format!(
            "the manifest lists {} files; at most {MAX_FOLDER_FILES} are accepted",
            m.files.len()
        ));
    }
    let mut files = HashSet::with_capacity(m.files.len());
    let mut folders = HashSet::new();
    let mut total = 0u64;
    let mut out = Vec::with_capacity(m.files.len());
    for (i, e) in m.files.into_iter().enumerate() {
        let at = |what: String| format!("files[{i}] ({:?}): {what}", e.path);
        let parts = check_path(&e.path).map_err(|why| at(format!("path {why}")))?;
        let sha = e
            .sha256
            .as_deref()
            .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| at("sha256 must be 64 hex digits".into()))?
            .to_ascii_lowercase();
        total = total.saturating_add(e.size);
        if total > max_total {
            return Err(at(format!(
                "the files add up to more than dataplane.max_transfer_bytes ({max_total} bytes)"
            )));
        }
        for n in 1..parts.len() {
            folders.insert(parts[..n].join("/"));
        }
        if !files.insert(e.path.clone()) {
            return Err(at("listed twice".into()));
        }
        out.push(FileInfo {
            path: e.path,
            size: e.size,
            sha256: Some(sha),
        });
    }
    if let Some((i, f)) = out
        .iter()
        .enumerate()
        .find(|(_, f)| folders.contains(&f.path))
    {
        return Err(format!(
            "files[{i}] ({:?}): is a file and also the folder of another entry",
            f.path
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn entry(path: &str, size: u64) -> serde_json::Value {
        serde_json::json!({"path": path, "size": size, "sha256": SHA})
    }

    fn parse(entries: Vec<serde_json::Value>) -> Result<Vec<FileInfo>, String> {
        let body = serde_json::to_vec(&serde_json::json!({ "files": entries })).expect("json");
        parse_manifest(&body, 1000)
    }

    #[test]
    fn a_good_manifest_reads_as_the_pull_side_serves_it() {
        let files = parse(vec![entry("a.csv", 1), entry("2024/januar.csv", 2)]).expect("ok");
        assert_eq!(files[1].path, "2024/januar.csv");
        assert_eq!(files[1].sha256.as_deref(), Some(SHA));
        let again = serde_json::to_vec(&manifest_json(&files)).expect("json");
        assert_eq!(parse_manifest(&again, 1000).expect("round trip"), files);
        assert!(parse(vec![]).expect("an empty folder").is_empty());
    }

    #[test]
    fn bad_manifests_are_refused_naming_the_entry() {
        let long = "n".repeat(256);
        for (entries, says) in [
            (
                vec![entry("a.csv", 1), entry("../x", 1)],
                "files[1] (\"../x\")",
            ),
            (vec![entry("/etc/passwd", 1)], "not a plain name"),
            (vec![entry("a//b", 1)], "not a plain name"),
            (vec![entry("a", 1), entry("a", 1)], "listed twice"),
            (vec![entry("a", 1), entry("a/b", 1)], "also the folder"),
            (vec![entry("a", 600), entry("b", 600)], "max_transfer_bytes"),
            (vec![entry(&long, 1)], "longer than 255 bytes"),
            (
                vec![serde_json::json!({"path": "a", "size": 1, "sha256": "xyz"})],
                "64 hex digits",
            ),
            (
                vec![serde_json::json!({"path": "a", "size": -1, "sha256": SHA})],
                "not valid JSON",
            ),
        ] {
            let e = parse(entries).unwrap_err();
            assert!(e.contains(says), "{e} should say {says}");
        }
        assert!(parse_manifest(b"[]", 10).is_err());
    }
}
