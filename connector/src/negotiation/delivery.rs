//! What delivered and undeliverable negotiation messages mean.
//!
//! Delivered: the entry is removed; the answer to the consumer's initial request must be a
//! valid `ContractNegotiation` naming the provider's process id, which is recorded.
//! Given up (and still queued: a message superseded while in flight is ignored): the negotiation is terminated locally with the reason (the provider's error
//! reasons when it refused), and the other messages still queued for it are dropped. When the
//! counterparty refused a message (other than a termination), it is told about the local
//! termination, so both sides end in the same state.

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::record::TerminatedBy;
use super::service::Negotiations;
use crate::dsp::DspMessage;
use crate::dsp::negotiation::{ContractNegotiation, ContractNegotiationError, reason_texts};
use crate::outbox::{Delivery, DeliveryFailure, DeliveryHandler, Expect, OutboxEntry};
use crate::store::{StoreError, StoreExt, WriteBatch, keys};

impl DeliveryHandler for Negotiations {
    fn delivered<'a>(
        &'a self,
        entry: &'a OutboxEntry,
        delivery: Delivery,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            if entry.expect != Expect::Created {
                let mut batch = WriteBatch::new();
                batch.delete(entry.key());
                return self.store.apply(batch);
            }
            let parsed = serde_json::from_slice::<Value>(&delivery.body)
                .map_err(|e| format!("the answer is not JSON: {e}"))
                .and_then(|v| {
                    ContractNegotiation::from_json(&v)
                        .map_err(|e| format!("the answer is not a valid ContractNegotiation: {e}"))
                });
            let _guard = self.locks.lock(&entry.process_id).await;
            let Some(mut n) = self.get(&entry.process_id)? else {
                let mut batch = WriteBatch::new();
                batch.delete(entry.key());
                return self.store.apply(batch);
            };
            let mut batch = WriteBatch::new();
            batch.delete(entry.key());
            match parsed {
                Ok(ack) if ack.consumer_pid == n.id => {
                    if let Err(e) = self.acknowledged(&mut batch, &mut n, &ack) {
                        tracing::warn!(negotiation = %n.id, error = %e, "cannot act on the acknowledgement");
                    }
                }
                Ok(_) => {
                    self.fail_locally(
                        &mut n,
                        "the answer names another consumerPid".into(),
                        Vec::new(),
                    );
                    self.drop_queued(&mut batch, entry)?;
                }
                Err(reason) => {
                    tracing::warn!(negotiation = %n.id, %reason, "invalid answer to the contract request");
                    self.fail_locally(&mut n, reason, Vec::new());
                    self.drop_queued(&mut batch, entry)?;
                }
            }
            self.commit(batch, &n)
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
                // Superseded while in flight: the counterparty's next step showed it had
                // received this message, so its failure no longer matters.
                return Ok(());
            }
            let mut batch = WriteBatch::new();
            batch.delete(entry.key());
            let Some(mut n) = self.get(&entry.process_id)? else {
                return self.store.apply(batch);
            };
            self.drop_queued(&mut batch, entry)?;
            let was_termination = entry.message_type == "ContractNegotiationTerminationMessage";
            let their_reasons = match &failure {
                DeliveryFailure::Refused { body, .. } => serde_json::from_slice::<Value>(body)
                    .ok()
                    .and_then(|v| ContractNegotiationError::from_json(&v).ok())
                    .map(|e| reason_texts(&e.reason))
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            if !was_termination {
                if n.state == crate::dsp::negotiation::NegotiationState::Finalized {
                    // The consumer never learned that the agreement is final: it is not in force.
                    if let Some(id) = n
                        .agreement
                        .as_ref()
                        .and_then(|a| a.get("@id"))
                        .and_then(Value::as_str)
                    {
                        batch.delete(keys::agreement(id));
                    }
                }
                let tell_them = matches!(&failure, DeliveryFailure::Refused { status, .. } if *status != 404)
                    && n.provider_pid.is_some()
                    && n.consumer_pid.is_some();
                let description = format!("{} {failure}", entry.message_type);
                self.fail_locally(&mut n, description, their_reasons);
                if tell_them {
                    self.tell_terminated(&mut batch, &n)?;
                }
            }
            self.commit(batch, &n)
        })
    }
}

impl Negotiations {
    /// Terminates a negotiation because of a delivery problem.
    fn fail_locally(
        &self,
        n: &mut super::record::Negotiation,
        what: String,
        their_reasons: Vec<String>,
    ) {
        let mut reasons = vec![
            format!("Nachricht nicht zugestellt: {what}"),
            format!("Message not delivered: {what}"),
        ];
        reasons.extend(their_reasons);
        tracing::warn!(negotiation = %n.id, reasons = ?reasons, "negotiation terminated locally");
        n.set_terminated(
            TerminatedBy::Delivery,
            Some("delivery_failed".into()),
            reasons,
        );
    }

    /// Removes the other queued messages of the entry's process.
    fn drop_queued(&self, batch: &mut WriteBatch, entry: &OutboxEntry) -> Result<(), StoreError> {
        for (key, other) in self.store.scan::<OutboxEntry>(keys::OUTBOX)? {
            if other.process_id == entry.process_id && other.seq != entry.seq {
                batch.delete(key);
            }
        }
        Ok(())
    }

    /// Queues a termination message telling the counterparty about a local termination.
    fn tell_terminated(
        &self,
        batch: &mut WriteBatch,
        n: &super::record::Negotiation,
    ) -> Result<(), StoreError> {
        let provider_pid = n.provider_pid.clone().unwrap_or_default();
        let consumer_pid = n.consumer_pid.clone().unwrap_or_default();
        let their_pid = match n.role {
            crate::process::Role::Provider => consumer_pid.clone(),
            crate::process::Role::Consumer => provider_pid.clone(),
        };
        let body = crate::dsp::negotiation::ContractNegotiationTerminationMessage {
            provider_pid,
            consumer_pid,
            code: Some("delivery_failed".into()),
            reason: n
                .termination
                .as_ref()
                .map(|t| t.reasons.iter().map(|r| Value::String(r.clone())).collect())
                .unwrap_or_default(),
        }
        .to_json();
        self.send(
            batch,
            n,
            &format!("negotiations/{their_pid}/termination"),
            body,
            Expect::Ack,
        )
    }
}
