//! The outbox: outgoing DSP messages are stored in the same atomic write as the state change
//! that causes them, and a background [`Dispatcher`] delivers them.
//!
//! Delivery is in order per process (a process's next message waits until the previous one is
//! acknowledged or given up), parallel across processes, retried with exponential back-off on
//! network errors and 5xx/408/429 answers, and given up on other 4xx answers or after the
//! configured number of attempts. What an acknowledgement or a final failure means is up to the
//! process kind's [`DeliveryHandler`]; it removes the entry in the same write as its own
//! consequences. After a crash the dispatcher simply resumes with what is stored: a message may
//! then be delivered twice, which receivers treat as harmless.

mod dispatcher;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

pub use dispatcher::{Delivery, DeliveryFailure, DeliveryHandler, Dispatcher, backoff_ms};

use crate::process::now_ms;
use crate::store::{Record, Store, StoreError, WriteBatch, keys};

/// The kinds of processes that send messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcessKind {
    /// A contract negotiation.
    Negotiation,
    /// A transfer process.
    Transfer,
}

/// What the sender needs from the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// Any 2xx is enough.
    Ack,
    /// The answer is the counterparty's new process (`ContractNegotiation`/`TransferProcess`)
    /// and carries its process id.
    Created,
}

/// A stored outgoing message.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutboxEntry {
    /// Sequence number (orders delivery).
    pub seq: u64,
    /// The process kind.
    pub kind: ProcessKind,
    /// The local process id.
    pub process_id: String,
    /// The message `@type` (for logs and metrics).
    pub message_type: String,
    /// The URL to POST to.
    pub url: String,
    /// The counterparty's identifier, the audience of the request token.
    pub audience: String,
    /// The JSON body.
    pub body: serde_json::Value,
    /// What the answer must contain.
    pub expect: Expect,
    /// Attempts made so far.
    pub attempts: u32,
    /// Not before this time (ms since the epoch).
    pub next_attempt_ms: i64,
    /// When the message was stored.
    pub created_ms: i64,
    /// The last failure, for operators.
    pub last_error: Option<String>,
}

impl Record for OutboxEntry {
    const SCHEMA_VERSION: u32 = 1;
}

impl OutboxEntry {
    /// The store key.
    pub fn key(&self) -> String {
        keys::outbox(self.seq)
    }
}

/// A message to enqueue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// The process kind.
    pub kind: ProcessKind,
    /// The local process id.
    pub process_id: String,
    /// The URL to POST to.
    pub url: String,
    /// The counterparty's identifier.
    pub audience: String,
    /// The JSON body.
    pub body: serde_json::Value,
    /// What the answer must contain.
    pub expect: Expect,
}

/// Enqueues messages and wakes the dispatcher.
#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// An outbox on `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Adds a message to `batch` (it is stored when the batch is applied). Call [`Outbox::wake`]
    /// after applying.
    pub fn stage(&self, batch: &mut WriteBatch, message: NewMessage) -> Result<u64, StoreError> {
        let seq = self.store.next_id()?;
        let now = now_ms();
        let message_type = crate::dsp::peek_type(&message.body)
            .unwrap_or("unknown")
            .to_owned();
        let entry = OutboxEntry {
            seq,
            kind: message.kind,
            process_id: message.process_id,
            message_type,
            url: message.url,
            audience: message.audience,
            body: message.body,
            expect: message.expect,
            attempts: 0,
            next_attempt_ms: now,
            created_ms: now,
            last_error: None,
        };
        batch.put(entry.key(), &entry);
        Ok(seq)
    }

    /// Tells the dispatcher that new messages are waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn notifier(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Messages not yet delivered (for operators and readiness checks).
    pub fn pending(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        use crate::store::StoreExt;
        Ok(self
            .store
            .scan::<OutboxEntry>(keys::OUTBOX)?
            .into_iter()
            .map(|(_, e)| e)
            .collect())
    }
}

/// Joins a base URL and a path without doubling or dropping the slash (callback addresses may
/// or may not end with `/`).
pub fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_with_one_slash() {
        assert_eq!(
            join_url("https://a/cb/", "/negotiations/x/offers"),
            "https://a/cb/negotiations/x/offers"
        );
        assert_eq!(
            join_url("https://a/cb", "negotiations/x"),
            "https://a/cb/negotiations/x"
        );
    }
}
