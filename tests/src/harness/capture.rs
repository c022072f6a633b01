//! Captures DSP messages into `target/dsp-messages/<test>/…json`, so CI can validate every
//! message the tests exchanged with `../shared/tools/validate-dsp-message`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

/// A capture folder for one test.
#[derive(Debug)]
pub struct Capture {
    dir: PathBuf,
    n: AtomicU64,
}

impl Capture {
    /// The folder of `test` (emptied first).
    pub fn new(test: &str) -> Self {
        let dir = super::binaries::target_dir()
            .join("dsp-messages")
            .join(test);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create capture folder");
        Self {
            dir,
            n: AtomicU64::new(0),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &PathBuf {
        &self.dir
    }

    /// Writes a message (only DSP messages: an `@type`, or a version document).
    pub fn write(&self, direction: &str, message: &Value) {
        let type_ = match message.get("@type").and_then(Value::as_str) {
            Some(t) => t.to_owned(),
            None if message.get("protocolVersions").is_some() => "VersionResponse".into(),
            None => return,
        };
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        let path = self
            .dir
            .join(format!("peer-{n:04}-{direction}-{type_}.json"));
        std::fs::write(path, serde_json::to_vec_pretty(message).unwrap_or_default())
            .expect("write captured message");
    }
}
