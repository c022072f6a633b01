//! The stored form of a transfer process, of an agreement's use count, and of the data
//! a consumer received.

use serde::{Deserialize, Serialize};

use super::format::TransferFormat;
use super::state::{MessageKind, TRANSFER, is_terminal};
use super::tck::TransferScript;
use crate::dsp::transfer::{TransferProcess as DspTransferProcess, TransferState};
use crate::negotiation::record::Counterparty;
use crate::process::{InvalidTransition, Role, now_ms};
use crate::store::Record;

/// Who ended a transfer, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransferEnd {
    /// `provider`, `consumer`, or `delivery` (a message could not be delivered) or
    /// `enforcement` (the agreement no longer allows the use).
    pub by: String,
    /// The code sent or received.
    pub code: Option<String>,
    /// Reasons (German first, then English, when this connector wrote them).
    pub reasons: Vec<String>,
    /// When.
    pub at_ms: i64,
}

/// One state change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransferStep {
    /// When.
    pub at_ms: i64,
    /// The message that caused it.
    pub message: MessageKind,
    /// Who sent it.
    pub by: Role,
    /// The state after it.
    pub state: TransferState,
    /// Reasons given with it (suspension, termination).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// Consumer, pull: where and how to fetch (from the provider's start message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PullAddress {
    /// The provider's data endpoint.
    pub endpoint: String,
    /// The access token (secret; never shown by the management API).
    pub token: String,
    /// When the token expires (ms), as the provider announced.
    pub expires_ms: Option<i64>,
    /// The data is a folder: the endpoint answers with a manifest, each file is fetched at
    /// `<endpoint>/files/<path>`.
    #[serde(default)]
    pub folder: bool,
    /// Where the access token is renewed (`refreshEndpoint`), when the provider offers it.
    #[serde(default)]
    pub refresh_endpoint: Option<String>,
    /// The refresh token (secret, single use; rotated by each renewal).
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// Push: where the provider sends the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushTarget {
    /// The consumer's endpoint.
    pub endpoint: String,
    /// Provider: the token to present (secret). Consumer: empty (only its hash is kept).
    pub token: String,
    /// Consumer: SHA-256 (hex) of the token it handed out.
    pub token_sha256: Option<String>,
}

/// One file of the data: its path (empty for a single file), size and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileInfo {
    /// Path relative to the dataset's folder, `/`-separated; empty for a single file.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 (hex), when known.
    pub sha256: Option<String>,
}

/// How far the data has moved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Progress {
    /// Bytes moved so far (all files; on the consumer: stored, including resumed parts).
    pub bytes: u64,
    /// Total bytes, when known.
    pub total: Option<u64>,
    /// When the first byte arrived (consumer) or was sent (provider).
    pub first_byte_ms: Option<i64>,
    /// When all data was moved and verified.
    pub done_ms: Option<i64>,
    /// Connection attempts (the first one included).
    pub attempts: u32,
    /// The last failure, for operators.
    pub last_error: Option<String>,
    /// Provider, push: how often the consumer refused the completion (see
    /// `transfer::push::completion`).
    #[serde(default)]
    pub completion_refusals: u32,
}

/// Consumer: a file stored in the connector's managed folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReceivedFile {
    /// Where it is stored.
    pub stored_at: String,
    /// Its path within the dataset (empty for a single file).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 (hex), verified against the provider's.
    pub sha256: String,
}

/// A transfer process as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transfer {
    /// This side's process id.
    pub id: String,
    /// This side's role.
    pub role: Role,
    /// The provider's process id, once known.
    pub provider_pid: Option<String>,
    /// The consumer's process id.
    pub consumer_pid: Option<String>,
    /// The agreement the transfer is based on.
    pub agreement_id: String,
    /// The dataset.
    pub dataset_id: String,
    /// The transfer type.
    pub format: TransferFormat,
    /// The state.
    pub state: TransferState,
    /// Consumer: the provider has acknowledged the request (its pid is known).
    pub acknowledged: bool,
    /// The other party.
    pub counterparty: Counterparty,
    /// The purpose declared for this use.
    pub purpose: Option<String>,
    /// The area the data is used for (an AGS), as declared or taken from the consumer's
    /// credential.
    pub spatial_scope: Option<String>,
    /// Provider: which use of the agreement this transfer is (1 for the first).
    pub use_number: Option<u64>,
    /// Provider: the consumer's latest membership credential (revocation is checked against
    /// it while the transfer runs).
    pub credential: Option<String>,
    /// Push: the consumer's endpoint.
    pub push: Option<PushTarget>,
    /// Consumer, pull: the provider's endpoint and token.
    pub pull: Option<PullAddress>,
    /// The data as the provider describes it (sizes and digests).
    pub files: Vec<FileInfo>,
    /// Data movement.
    pub progress: Progress,
    /// Consumer: the files stored.
    pub received: Vec<ReceivedFile>,
    /// Consumer: when the received data was deleted (deletion duty).
    pub deleted_ms: Option<i64>,
    /// Provider: the start message waits for the data's description (digests).
    pub preparing: bool,
    /// Consumer: wait for `connector fetch` instead of pulling as soon as started.
    #[serde(default)]
    pub manual_fetch: bool,
    /// Why it ended, if terminated.
    pub termination: Option<TransferEnd>,
    /// TCK mode: the scenario's script.
    pub tck: Option<TransferScript>,
    /// How far the script has run.
    pub tck_step: usize,
    /// Digests of the incoming messages already applied.
    pub received_messages: Vec<String>,
    /// State changes, oldest first.
    pub history: Vec<TransferStep>,
    /// Created (the moment the transfer was requested).
    pub created_ms: i64,
    /// Last changed.
    pub updated_ms: i64,
}

impl Record for Transfer {
    const SCHEMA_VERSION: u32 = 1;
}

const MAX_HISTORY: usize = 200;
impl Transfer {
    /// Applies `message` from `by` as the state machine allows, and records it.
    pub fn step(
        &mut self,
        message: MessageKind,
        by: Role,
        reasons: Vec<String>,
    ) -> Result<TransferState, InvalidTransition> {
        let to = TRANSFER.next(Some(self.state), message, by)?;
        self.state = to;
        self.touch();
        if self.history.len() < MAX_HISTORY {
            self.history.push(TransferStep {
                at_ms: self.updated_ms,
                message,
                by,
                state: to,
                reasons,
            });
        }
        crate::metrics::record_transition(self.role.as_str(), to.as_str());
        Ok(to)
    }

    /// Checks that `message` from `by` would be allowed now.
    pub fn allows(
        &self,
        message: MessageKind,
        by: Role,
    ) -> Result<TransferState, InvalidTransition> {
        TRANSFER.next(Some(self.state), message, by)
    }

    /// True for COMPLETED and TERMINATED.
    pub fn is_terminal(&self) -> bool {
        is_terminal(self.state)
    }

    /// Marks a change.
    pub fn touch(&mut self) {
        self.updated_ms = now_ms();
    }

    /// True if the incoming message with this digest was applied before.
    pub fn seen(&self, digest: &str) -> bool {
        crate::process::seen_digest(&self.received_messages, digest)
    }

    /// Records an applied incoming message.
    pub fn remember(&mut self, digest: String) {
        crate::process::remember_digest(&mut self.received_messages, digest);
    }

    /// The DSP view.
    pub fn to_dsp(&self) -> DspTransferProcess {
        DspTransferProcess {
            provider_pid: self.provider_pid.clone().unwrap_or_default(),
            consumer_pid: self.consumer_pid.clone().unwrap_or_default(),
            state: self.state,
        }
    }

    /// The pid of the other side.
    pub fn their_pid(&self) -> String {
        match self.role {
            Role::Provider => self.consumer_pid.clone().unwrap_or_default(),
            Role::Consumer => self.provider_pid.clone().unwrap_or_default(),
        }
    }

    /// The record without secrets (tokens), for the management API.
    pub fn redacted(&self) -> Self {
        let mut t = self.clone();
        if let Some(p) = &mut t.pull {
            p.token = "(geheim)".into();
            if p.refresh_token.is_some() {
                p.refresh_token = Some("(geheim)".into());
            }
        }
        if let Some(p) = &mut t.push
            && !p.token.is_empty()
        {
            p.token = "(geheim)".into();
        }
        t.credential = t.credential.map(|_| "(vorhanden)".into());
        t
    }

    /// Records why it ended.
    pub fn set_end(&mut self, by: &str, code: Option<String>, reasons: Vec<String>) {
        self.termination = Some(TransferEnd {
            by: by.to_owned(),
            code,
            reasons,
            at_ms: now_ms(),
        });
        self.touch();
    }

    /// Total size of the data, when every file's size is known.
    pub fn total_size(&self) -> Option<u64> {
        if self.files.is_empty() {
            return None;
        }
        Some(self.files.iter().map(|f| f.size).sum())
    }
}

/// Provider: how often an agreement's data was used (transfers started).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Usage {
    /// Transfers started under the agreement.
    pub uses: u64,
    /// When the last one started.
    pub last_ms: Option<i64>,
}

impl Record for Usage {
    const SCHEMA_VERSION: u32 = 1;
}
