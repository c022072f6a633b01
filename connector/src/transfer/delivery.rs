//! What delivered and undeliverable transfer messages mean.
//!
//! Delivered: the entry is removed; the answer to the consumer's request must be a valid
//! `TransferProcess` naming the provider's pid, which is recorded; in TCK mode the script's
//! next step follows. Given up: the transfer ends locally with the reason (streams stop,
//! tokens become invalid; the counterparty's reasons, when it refused, are part of it), and
//! the other messages queued for it are dropped. A push's completion is the exception both
//! ways: accepted, it completes the provider's side; refused, the push continues or ends
//! with the refusal (`transfer::push::completion`).

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::record::Transfer;
use super::service::Transfers;
use super::tck::TransferScript;
use crate::audit::AuditKind;
use crate::dsp::DspMessage;
use crate::dsp::transfer::{TransferProcess, TransferState};
use crate::outbox::{Delivery, DeliveryFailure, DeliveryHandler, Expect, OutboxEntry};
use crate::process::Role;
use crate::store::{StoreError, StoreExt, WriteBatch, keys as store_keys};

impl DeliveryHandler for Transfers {
    fn delivered<'a>(
        &'a self,
        entry: &'a OutboxEntry,
        delivery: Delivery,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let _guard = self.locks.lock(&entry.process_id).await;
            let mut batch = WriteBatch::new();
            batch.delete(entry.key());
            let Some(mut t) = self.get(&entry.process_id)? else {
                return self.store.apply(batch);
            };
            if entry.expect == Expect::Created {
                let parsed = serde_json::from_slice::<Value>(&delivery.body)
                    .map_err(|e| format!("the answer is not JSON: {e}"))
                    .and_then(|v| {
                        TransferProcess::from_json(&v)
                            .map_err(|e| format!("the answer is not a valid TransferProcess: {e}"))
                    });
                match parsed {
                    Ok(ack) if ack.consumer_pid == t.id => {
                        if let Err(e) = self.acknowledged(&mut batch, &mut t, &ack).await {
                            tracing::warn!(transfer = %t.id, error = %e, "cannot act on the acknowledgement");
                        }
                    }
                    Ok(_) => self.fail_locally(
                        &mut batch,
                        &mut t,
                        "the answer names another consumerPid",
                    )?,
                    Err(reason) => self.fail_locally(&mut batch, &mut t, &reason)?,
                }
                return self.commit(batch, &t);
            }
            if entry.message_type == "TransferCompletionMessage" && self.awaits_push_completion(&t)
            {
                // Push: COMPLETED once the consumer accepted (transfer::push::completion).
                self.push_completion_accepted(&mut batch, &mut t)?;
                return self.commit(batch, &t);
            }
            if t.role == Role::Provider
                && let Some(TransferScript::Provider(steps)) = t.tck.clone()
                && let Some(step) = steps.get(t.tck_step).copied()
                && !t.is_terminal()
            {
                t.tck_step += 1;
                if let Err(e) = self.tck_step(&mut batch, &mut t, step) {
                    tracing::warn!(transfer = %t.id, error = %e, "TCK step not possible");
                }
            } else if t.role == Role::Consumer
                && let Some(TransferScript::Consumer { on_start, .. }) = t.tck.clone()
                && t.tck_step >= 1
                && let Some(step) = on_start.get(t.tck_step).copied()
                && !t.is_terminal()
            {
                t.tck_step += 1;
                if let Err(e) = self.tck_step(&mut batch, &mut t, step) {
                    tracing::warn!(transfer = %t.id, error = %e, "TCK step not possible");
                }
            }
            self.commit(batch, &t)?;
            if entry.message_type == "TransferStartMessage" {
                // Push: the consumer is STARTED too; the data may flow.
                self.spawn_push(&t);
            }
            Ok(())
        })
    }

    fn failed<'a>(
        &'a self,
        entry: &'a OutboxEntry,
        failure: DeliveryFailure,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let _guard = self.locks.lock(&entry.process_id).await;
            if self.store.get_raw(&entry.key())?.is_none() {
                return Ok(());
            }
            let mut batch = WriteBatch::new();
            batch.delete(entry.key());
            let Some(mut t) = self.get(&entry.process_id)? else {
                return self.store.apply(batch);
            };
            // The counterparty's reasons, when it refused with a TransferError.
            let theirs = match &failure {
                DeliveryFailure::Refused { body, .. } => serde_json::from_slice::<Value>(body)
                    .ok()
                    .and_then(|v| v.get("reason").and_then(Value::as_array).cloned())
                    .map(|r| crate::dsp::negotiation::reason_texts(&r))
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let what = if theirs.is_empty() {
                format!("{} {failure}", entry.message_type)
            } else {
                format!("{} {failure}: {}", entry.message_type, theirs.join("; "))
            };
            if entry.message_type == "TransferCompletionMessage"
                && matches!(failure, DeliveryFailure::Refused { .. })
                && self.awaits_push_completion(&t)
            {
                // Push: data missing on the consumer's side (transfer::push::completion).
                let again = self.push_completion_refused(&mut batch, &mut t, &what)?;
                self.commit(batch, &t)?;
                if again {
                    self.continue_push_later(&t);
                }
                return Ok(());
            }
            if entry.message_type == "TransferTerminationMessage" || t.is_terminal() {
                // Nothing more to tell; the local state already says how it ended.
                self.record(
                    &mut batch,
                    &t,
                    AuditKind::Transfer,
                    format!("Nachricht nicht zugestellt: {what}"),
                    json!({"delivery_failed": what}),
                );
                return self.commit(batch, &t);
            }
            self.fail_locally(&mut batch, &mut t, &what)?;
            self.commit(batch, &t)
        })
    }
}

impl Transfers {
    /// Ends a transfer because of a delivery problem (without telling the other side, whose
    /// answer was the problem).
    fn fail_locally(
        &self,
        batch: &mut WriteBatch,
        t: &mut Transfer,
        what: &str,
    ) -> Result<(), StoreError> {
        for (key, other) in self.store.scan::<OutboxEntry>(store_keys::OUTBOX)? {
            if other.process_id == t.id {
                batch.delete(key);
            }
        }
        let reasons = vec![
            format!("Nachricht nicht zugestellt: {what}"),
            format!("Message not delivered: {what}"),
        ];
        if t.state != TransferState::Terminated {
            crate::metrics::record_transition(t.role.as_str(), "TERMINATED");
        }
        t.state = TransferState::Terminated;
        t.set_end("delivery", Some("delivery_failed".into()), reasons.clone());
        if t.role == Role::Provider {
            crate::dataplane::token::revoke_all(self.store.as_ref(), batch, &t.id)?;
        }
        self.record(
            batch,
            t,
            AuditKind::Transfer,
            "Übertragung lokal beendet: Nachricht nicht zugestellt".into(),
            json!({"reasons": reasons}),
        );
        tracing::warn!(transfer = %t.id, %what, "transfer terminated locally");
        Ok(())
    }
}
