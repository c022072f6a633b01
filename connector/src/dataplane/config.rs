//! The `[dataplane]` section of the configuration.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How data moves: tokens, enforcement, limits, where received data is kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataPlaneConfig {
    /// Lifetime of the access token in a pull transfer's start message, in seconds. A running
    /// download is not cut when the token expires; a new request after that needs a fresh
    /// token (the consumer asks for one with the expired token and its identity).
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime_secs: u64,
    /// How often running transfers are checked against their agreement (time window,
    /// revocation), in milliseconds. Suspension and termination stop streams at once; expiry
    /// and revocation within this interval plus a little.
    #[serde(default = "default_enforcement_interval")]
    pub enforcement_interval_ms: u64,
    /// The folder (relative to the data folder) where received data is kept. The connector
    /// deletes it there when the agreement ends (deletion duty).
    #[serde(default = "default_received_dir")]
    pub received_dir: PathBuf,
    /// Largest amount of data accepted in one transfer, in bytes (push bodies and pulls).
    #[serde(default = "default_max_transfer_bytes")]
    pub max_transfer_bytes: u64,
    /// Attempts of a pull or push before the transfer is given up (connection failures are
    /// resumed where they stopped).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Size of the blocks read from files and sockets, in KiB.
    #[serde(default = "default_block_kib")]
    pub block_kib: usize,
    /// Start pulling as soon as the provider starts a pull transfer (default). When off, a
    /// transfer waits for `connector fetch --transfer ID`.
    #[serde(default = "yes")]
    pub fetch_automatically: bool,
    /// Development and tests only: accept `HttpData-PUSH` endpoints on loopback and private
    /// addresses (and plain `http` to loopback). Off: only public `https` endpoints.
    #[serde(default)]
    pub allow_local_push_endpoints: bool,
    /// The URL under which providers reach this connector's receiving endpoint for
    /// `HttpData-PUSH` (the transfer's id is appended), when not `<dsp.public_url>/data/push`
    /// — e.g. bulk data through another host or reverse proxy.
    #[serde(default)]
    pub push_receive_url: Option<String>,
    /// Provider: seconds during which a used refresh token is accepted once more from the
    /// same consumer while the refresh token issued for it has not been used (the consumer
    /// lost the answer, e.g. in a crash); the unused successor and its access token are then
    /// revoked. 0: every refresh token works exactly once.
    #[serde(default = "default_refresh_grace")]
    pub refresh_grace_secs: u64,
    /// Write downloads past the page cache (`O_DIRECT`, 4 MiB at a time) where the filesystem
    /// allows it (default; it falls back by itself where the flag is refused). Off: through
    /// the page cache, flushed early — for a filesystem that accepts direct writes but makes
    /// them slow (some network filesystems), or to keep just-received files cached.
    #[serde(default = "yes")]
    pub direct_writes: bool,
}

impl Default for DataPlaneConfig {
    fn default() -> Self {
        Self {
            token_lifetime_secs: default_token_lifetime(),
            enforcement_interval_ms: default_enforcement_interval(),
            received_dir: default_received_dir(),
            max_transfer_bytes: default_max_transfer_bytes(),
            max_attempts: default_attempts(),
            block_kib: default_block_kib(),
            fetch_automatically: true,
            allow_local_push_endpoints: false,
            push_receive_url: None,
            refresh_grace_secs: default_refresh_grace(),
            direct_writes: true,
        }
    }
}

fn default_token_lifetime() -> u64 {
    900
}
fn default_enforcement_interval() -> u64 {
    250
}
fn default_received_dir() -> PathBuf {
    PathBuf::from("received")
}
fn default_max_transfer_bytes() -> u64 {
    1 << 40
}
fn default_attempts() -> u32 {
    12
}
fn default_block_kib() -> usize {
    256
}
fn default_refresh_grace() -> u64 {
    60
}
fn yes() -> bool {
    true
}

impl DataPlaneConfig {
    /// Checks the values; the error names the key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: &str| Err((format!("dataplane.{k}"), m.to_owned()));
        if !(1..=86_400).contains(&self.token_lifetime_secs) {
            return bad("token_lifetime_secs", "between 1 second and a day");
        }
        if !(50..=1000).contains(&self.enforcement_interval_ms) {
            return bad(
                "enforcement_interval_ms",
                "between 50 and 1000 ms (running transfers must stop within a second)",
            );
        }
        if self.received_dir.as_os_str().is_empty() {
            return bad("received_dir", "must not be empty");
        }
        if self.max_transfer_bytes == 0 {
            return bad("max_transfer_bytes", "must be at least 1");
        }
        if self.max_attempts == 0 {
            return bad("max_attempts", "must be at least 1");
        }
        if !(16..=4096).contains(&self.block_kib) {
            return bad("block_kib", "between 16 and 4096 KiB");
        }
        if self.refresh_grace_secs > 3600 {
            return bad("refresh_grace_secs", "at most 3600 seconds (0: no grace)");
        }
        Ok(())
    }

    /// The block size in bytes.
    pub fn block_bytes(&self) -> usize {
        self.block_kib * 1024
    }
}
