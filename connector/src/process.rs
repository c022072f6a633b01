//! What contract negotiations and transfer processes share: roles, state-machine tables, the
//! per-process lock, and time.
//!
//! A protocol's state machine is a [`TransitionTable`]: a list of rows "in state S (or before
//! the first message), message M from party P leads to state T". Anything not in the table is
//! an invalid transition, which the DSP bindings answer with 400.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Which side of a process a party is on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The party that offers data.
    Provider,
    /// The party that wants data.
    Consumer,
}

impl Role {
    /// The other side.
    pub fn other(self) -> Self {
        match self {
            Self::Provider => Self::Consumer,
            Self::Consumer => Self::Provider,
        }
    }

    /// A lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provider => "provider",
            Self::Consumer => "consumer",
        }
    }
}

/// Who may send a message in a row of a transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// Only the provider.
    Provider,
    /// Only the consumer.
    Consumer,
    /// Either party.
    Either,
}

impl Sender {
    fn admits(self, role: Role) -> bool {
        matches!(
            (self, role),
            (Sender::Either, _)
                | (Sender::Provider, Role::Provider)
                | (Sender::Consumer, Role::Consumer)
        )
    }
}

/// One allowed transition: from `from` (`None`: the process does not exist yet), the message
/// `message` sent by `sender` leads to `to`.
#[derive(Debug, Clone, Copy)]
pub struct Transition<S: 'static, M: 'static> {
    /// The state before.
    pub from: Option<S>,
    /// The message kind.
    pub message: M,
    /// Who may send it.
    pub sender: Sender,
    /// The state after.
    pub to: S,
}

impl<S, M> Transition<S, M> {
    /// A row of a state table.
    pub const fn new(from: Option<S>, message: M, sender: Sender, to: S) -> Self {
        Self {
            from,
            message,
            sender,
            to,
        }
    }
}

/// How many digests of applied incoming messages a process remembers (to acknowledge a
/// repeated message without applying it twice).
const MAX_RECEIVED: usize = 64;

/// True if the incoming message with this digest is among the `received` ones.
pub fn seen_digest(received: &[String], digest: &str) -> bool {
    received.iter().any(|d| d == digest)
}

/// Records the digest of an applied incoming message, keeping the last 64.
pub fn remember_digest(received: &mut Vec<String>, digest: String) {
    if received.len() >= MAX_RECEIVED {
        received.remove(0);
    }
    received.push(digest);
}

/// A message that the state machine does not allow in the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} from the {sender} is not allowed in state {state}")]
pub struct InvalidTransition {
    /// The current state (or `none` before the first message).
    pub state: String,
    /// The message kind.
    pub message: String,
    /// The sender's role.
    pub sender: &'static str,
}

/// A protocol's state machine.
#[derive(Debug)]
pub struct TransitionTable<S: 'static, M: 'static> {
    rows: &'static [Transition<S, M>],
}

impl<S, M> TransitionTable<S, M>
where
    S: Copy + PartialEq + std::fmt::Display,
    M: Copy + PartialEq + std::fmt::Display,
{
    /// A table from its rows.
    pub const fn new(rows: &'static [Transition<S, M>]) -> Self {
        Self { rows }
    }

    /// The state after `message` from `sender` in state `from`, or why that is not allowed.
    pub fn next(&self, from: Option<S>, message: M, sender: Role) -> Result<S, InvalidTransition> {
        self.rows
            .iter()
            .find(|t| t.from == from && t.message == message && t.sender.admits(sender))
            .map(|t| t.to)
            .ok_or_else(|| InvalidTransition {
                state: from.map_or_else(|| "none".to_owned(), |s| s.to_string()),
                message: message.to_string(),
                sender: sender.as_str(),
            })
    }

    /// The rows (for documentation and tests).
    pub fn rows(&self) -> &'static [Transition<S, M>] {
        self.rows
    }
}

/// Serialises work on one process: handlers for the same process id run one after the other,
/// different processes in parallel (striped locks, fixed memory).
#[derive(Debug, Clone)]
pub struct ProcessLocks {
    stripes: Arc<Vec<tokio::sync::Mutex<()>>>,
}

impl Default for ProcessLocks {
    fn default() -> Self {
        Self::new(256)
    }
}

impl ProcessLocks {
    /// `n` stripes.
    pub fn new(n: usize) -> Self {
        Self {
            stripes: Arc::new((0..n.max(1)).map(|_| tokio::sync::Mutex::new(())).collect()),
        }
    }

    /// Locks the stripe of `id` until the guard is dropped.
    pub async fn lock(&self, id: &str) -> tokio::sync::MutexGuard<'_, ()> {
        let mut h = DefaultHasher::new();
        id.hash(&mut h);
        let i = (h.finish() as usize) % self.stripes.len();
        self.stripes[i].lock().await
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A fresh process or message id (`urn:uuid:…`).
pub fn new_urn() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}
