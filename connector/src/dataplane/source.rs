//! Where an asset's data comes from, resolved for a transfer: a local file, a local folder,
//! or an internal HTTP endpoint whose URL and credentials stay in the provider's
//! configuration (`[sources.NAME]`) and never appear in a message, a log line or an error
//! the consumer sees.

use std::path::{Component, Path, PathBuf};

use crate::assets::{Asset, AssetSource};
use crate::config::{Config, Secret, SourceConfig};

/// Most files a folder source may hold.
pub const MAX_FOLDER_FILES: usize = 100_000;

/// A resolved source.
#[derive(Debug, Clone)]
pub enum Source {
    /// One file.
    File(PathBuf),
    /// A folder: every regular file below it (symbolic links are not followed).
    Folder(PathBuf),
    /// An internal HTTP endpoint.
    Http {
        /// The URL (never shown to the consumer).
        url: String,
        /// The `Authorization` header value, if configured (never shown).
        authorization: Option<Secret>,
    },
}

/// Why an asset's data cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The asset names no data.
    #[error(
        "the dataset {0} has no data source (register one with `connector assets add --file` or `--source`)"
    )]
    NoSource(String),
    /// The named source is not configured.
    #[error("the dataset's source {0:?} is not configured under [sources]")]
    UnknownSource(String),
    /// A file or folder is missing or unreadable (the message is for operators only).
    #[error("{0}")]
    Unreadable(String),
    /// The credentials of an HTTP source are missing.
    #[error("source {0}: {1}")]
    Credentials(String, String),
}

impl SourceError {
    /// What the consumer may be told.
    pub fn public_reason(&self) -> &'static str {
        match self {
            Self::NoSource(_) | Self::UnknownSource(_) => {
                "the provider has not connected this dataset to its data"
            }
            Self::Unreadable(_) | Self::Credentials(..) => {
                "the provider cannot read this dataset's data right now"
            }
        }
    }
}

fn file_or_folder(path: PathBuf) -> Result<Source, SourceError> {
    let meta = std::fs::metadata(&path)
        .map_err(|e| SourceError::Unreadable(format!("{}: {e}", path.display())))?;
    if meta.is_dir() {
        Ok(Source::Folder(path))
    } else if meta.is_file() {
        Ok(Source::File(path))
    } else {
        Err(SourceError::Unreadable(format!(
            "{} is neither a file nor a folder",
            path.display()
        )))
    }
}

/// Resolves the source of `asset` with the configuration's `[sources]`.
pub fn resolve(asset: &Asset, config: &Config) -> Result<Source, SourceError> {
    match &asset.source {
        AssetSource::None => Err(SourceError::NoSource(asset.id.clone())),
        AssetSource::File { path } => file_or_folder(config.path(Path::new(path))),
        AssetSource::Url { url } => Ok(Source::Http {
            url: url.clone(),
            authorization: None,
        }),
        AssetSource::Source { name } => match config.sources.get(name) {
            None => Err(SourceError::UnknownSource(name.clone())),
            Some(SourceConfig::File { path }) => file_or_folder(config.path(path)),
            Some(SourceConfig::Http {
                url,
                authorization_env,
                authorization_file,
            }) => {
                let authorization = match (authorization_env, authorization_file) {
                    (Some(env), _) => match std::env::var(env) {
                        Ok(v) if !v.trim().is_empty() => Some(Secret::new(v.trim())),
                        _ => {
                            return Err(SourceError::Credentials(
                                name.clone(),
                                format!("the environment variable {env} is not set"),
                            ));
                        }
                    },
                    (None, Some(file)) => {
                        let path = config.path(file);
                        let text = std::fs::read_to_string(&path).map_err(|e| {
                            SourceError::Credentials(
                                name.clone(),
                                format!("cannot read {}: {e}", path.display()),
                            )
                        })?;
                        if text.trim().is_empty() {
                            return Err(SourceError::Credentials(
                                name.clone(),
                                format!("{} is empty", path.display()),
                            ));
                        }
                        Some(Secret::new(text.trim()))
                    }
                    (None, None) => None,
                };
                Ok(Source::Http {
                    url: url.clone(),
                    authorization,
                })
            }
        },
    }
}

/// Size and SHA-256 (hex) of what an internal HTTP source serves now, read once in full
/// (streamed: memory stays flat) with its configured credentials.
///
/// Why a separate read: a proxied response must carry its digest in its headers, before the
/// body, and an upstream that sends `Content-Length` but no digest gives no way to know it
/// up front. So the provider reads the source once while preparing the transfer and
/// announces size and digest in the start message (and as `Repr-Digest` on the data
/// response); the consumer verifies the bytes it receives against them. An upstream that
/// changed between the two reads is detected by the consumer as a digest mismatch, never
/// stored as if it were the described data. The cost is one extra read of the source per
/// transfer. Errors name neither the URL nor the credentials (they are for operators'
/// logs, and the consumer only ever sees [`SourceError::public_reason`]).
pub async fn describe_http(
    client: &reqwest::Client,
    url: &str,
    authorization: Option<&Secret>,
    max_bytes: u64,
) -> Result<(u64, String), SourceError> {
    use futures_util::StreamExt;
    use sha2::Digest;
    let mut request = client.get(url);
    if let Some(a) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, a.expose());
    }
    let response = request.send().await.map_err(|e| {
        SourceError::Unreadable(format!(
            "internal HTTP source unreachable: {}",
            e.without_url()
        ))
    })?;
    if !response.status().is_success() {
        return Err(SourceError::Unreadable(format!(
            "internal HTTP source answered {}",
            response.status()
        )));
    }
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            SourceError::Unreadable(format!(
                "internal HTTP source broke off after {size} bytes: {}",
                e.without_url()
            ))
        })?;
        size += chunk.len() as u64;
        if size > max_bytes {
            return Err(SourceError::Unreadable(format!(
                "internal HTTP source serves more than dataplane.max_transfer_bytes ({max_bytes})"
            )));
        }
        hasher.update(&chunk);
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// The regular files below `root`, as (relative `/`-separated path, absolute path, size),
/// sorted by path. Symbolic links are skipped, so nothing outside the folder is served.
pub fn list_folder(root: &Path) -> Result<Vec<(String, PathBuf, u64)>, SourceError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| SourceError::Unreadable(format!("{}: {e}", dir.display())))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| SourceError::Unreadable(format!("{}: {e}", dir.display())))?;
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path)
                .map_err(|e| SourceError::Unreadable(format!("{}: {e}", path.display())))?;
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let rel = path
                    .strip_prefix(root)
                    .map_err(|_| SourceError::Unreadable(format!("{} escapes", path.display())))?;
                let Some(rel) = relative_string(rel) else {
                    continue;
                };
                out.push((rel, path, meta.len()));
                if out.len() > MAX_FOLDER_FILES {
                    return Err(SourceError::Unreadable(format!(
                        "{} holds more than {MAX_FOLDER_FILES} files",
                        root.display()
                    )));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn relative_string(rel: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_owned()),
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// Checks a relative path named by the other party (a file of a folder transfer): only plain
/// names separated by `/`, no `.`/`..`, no empty parts, printable, at most 16 levels and 1024
/// characters. Returns the parts.
pub fn safe_relative_path(path: &str) -> Result<Vec<&str>, String> {
    if path.is_empty() || path.len() > 1024 {
        return Err("must have 1 to 1024 characters".into());
    }
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() > 16 {
        return Err("has more than 16 levels".into());
    }
    for p in &parts {
        if p.is_empty() || *p == "." || *p == ".." {
            return Err(format!("part {p:?} is not a plain name"));
        }
        if p.chars().any(|c| c.is_control() || c == '\\') {
            return Err(format!(
                "part {p:?} contains a control character or backslash"
            ));
        }
    }
    Ok(parts)
}

/// A file name for an identifier (agreement, transfer, dataset): letters, digits, `.`, `_`,
/// `-` are kept, everything else becomes `_`; at most 120 characters.
pub fn file_name_for(id: &str) -> String {
    let mut s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    s
}

/// The media type served for a file name.
pub fn media_type(name: &str) -> &'static str {
    let ext = name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => "text/csv",
        "json" => "application/json",
        "geojson" => "application/geo+json",
        "ttl" => "text/turtle",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "parquet" => "application/vnd.apache.parquet",
        "zip" => "application/zip",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        assert!(safe_relative_path("a/b.csv").is_ok());
        for bad in [
            "",
            "../x",
            "a/../b",
            "/etc/passwd",
            "a//b",
            "./a",
            "a\\b",
            "a/\u{0}",
        ] {
            assert!(safe_relative_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn folders_list_regular_files_only() {
        let dir = std::env::temp_dir().join(format!("src-folder-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).expect("dirs");
        std::fs::write(dir.join("b.csv"), "b").expect("b");
        std::fs::write(dir.join("sub/a.csv"), "aa").expect("a");
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/hostname", dir.join("link")).expect("link");
        let files = list_folder(&dir).expect("list");
        let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names, vec!["b.csv", "sub/a.csv"]);
        assert_eq!(files[1].2, 2);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(file_name_for("urn:uuid:1/2"), "urn_uuid_1_2");
        assert_eq!(file_name_for(".."), "_..");
    }
}
