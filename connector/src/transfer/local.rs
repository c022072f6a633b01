//! Steps this side takes itself: by an operator (management API), by a script (TCK), by
//! enforcement, or after data arrived — suspend, restart, complete, terminate.

use serde_json::{Value, json};

use super::record::Transfer;
use super::service::Transfers;
use super::state::MessageKind;
use crate::audit::AuditKind;
use crate::dataplane::token;
use crate::dsp::DspMessage;
use crate::dsp::transfer::{
    TransferCodeMessage, TransferCompletionMessage, TransferStartMessage,
    TransferSuspensionMessage, TransferTerminationMessage,
};
use crate::negotiation::DspFailure;
use crate::outbox::Expect;
use crate::process::Role;
use crate::store::WriteBatch;

/// A step an operator asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalStep {
    /// Suspend a started transfer (streams stop at once; it can be restarted).
    Suspend(Vec<String>),
    /// Restart a suspended transfer.
    Resume,
    /// Mark a started transfer complete.
    Complete,
    /// Terminate (streams stop at once, tokens become invalid).
    Terminate(Vec<String>),
}

fn code_message(t: &Transfer, code: Option<String>, reasons: &[String]) -> TransferCodeMessage {
    TransferCodeMessage {
        provider_pid: t.provider_pid.clone().unwrap_or_default(),
        consumer_pid: t.consumer_pid.clone().unwrap_or_default(),
        code,
        reason: reasons.iter().map(|r| Value::String(r.clone())).collect(),
    }
}

impl Transfers {
    /// Carries out an operator's step on transfer `id`.
    pub async fn local_step(&self, id: &str, step: LocalStep) -> Result<Transfer, DspFailure> {
        let _guard = self.locks.lock(id).await;
        let mut t = self.get(id)?.ok_or(DspFailure::NotFound)?;
        if t.role == Role::Consumer && t.provider_pid.is_none() {
            return Err(DspFailure::rejected(
                "not_acknowledged",
                "the provider has not acknowledged the request yet; try again in a moment",
            ));
        }
        let mut batch = WriteBatch::new();
        match step {
            LocalStep::Suspend(reasons) => self.send_step(
                &mut batch,
                &mut t,
                MessageKind::Suspension,
                Some("suspended_by_operator".into()),
                reasons,
            )?,
            LocalStep::Resume => {
                self.send_step(&mut batch, &mut t, MessageKind::Start, None, Vec::new())?
            }
            LocalStep::Complete => self.send_step(
                &mut batch,
                &mut t,
                MessageKind::Completion,
                None,
                Vec::new(),
            )?,
            LocalStep::Terminate(reasons) => {
                let by = t.role.as_str();
                self.terminate_with(&mut batch, &mut t, by, "terminated_by_operator", reasons)?
            }
        }
        self.commit(batch, &t)?;
        if t.role == Role::Consumer && t.state == crate::dsp::transfer::TransferState::Started {
            self.spawn_fetch_if_automatic(&t);
        }
        Ok(t)
    }

    /// Sends a suspension, completion or (re)start from this side and applies it.
    pub(super) fn send_step(
        &self,
        batch: &mut WriteBatch,
        t: &mut Transfer,
        kind: MessageKind,
        code: Option<String>,
        reasons: Vec<String>,
    ) -> Result<(), DspFailure> {
        if kind == MessageKind::Start && t.role == Role::Provider {
            // A provider's restart issues a fresh token after evaluating the agreement again.
            return self.start_as_provider(batch, t);
        }
        if kind == MessageKind::Termination {
            let by = t.role.as_str();
            let code = code.unwrap_or_else(|| "terminated".into());
            return self.terminate_with(batch, t, by, &code, reasons);
        }
        t.allows(kind, t.role)?;
        let body = match kind {
            MessageKind::Start => TransferStartMessage {
                provider_pid: t.provider_pid.clone().unwrap_or_default(),
                consumer_pid: t.consumer_pid.clone().unwrap_or_default(),
                data_address: None,
            }
            .to_json(),
            MessageKind::Suspension => {
                TransferSuspensionMessage(code_message(t, code.clone(), &reasons)).to_json()
            }
            MessageKind::Completion => TransferCompletionMessage {
                provider_pid: t.provider_pid.clone().unwrap_or_default(),
                consumer_pid: t.consumer_pid.clone().unwrap_or_default(),
            }
            .to_json(),
            MessageKind::Request | MessageKind::Termination => {
                return Err(DspFailure::rejected(
                    "invalid_step",
                    format!("{kind} is not a local step"),
                ));
            }
        };
        t.step(kind, t.role, reasons.clone())?;
        if t.role == Role::Provider && t.is_terminal() {
            token::revoke_all(self.store.as_ref(), batch, &t.id)?;
        }
        self.record(
            batch,
            t,
            AuditKind::Transfer,
            format!("{kind} gesendet"),
            json!({"message": kind.message_type(), "by": t.role.as_str(), "reasons": reasons}),
        );
        let path = format!("transfers/{}/{}", t.their_pid(), kind.path_suffix());
        self.send(batch, t, &path, body, Expect::Ack)?;
        Ok(())
    }

    /// Terminates from this side (`by`: `provider`, `consumer`, `enforcement`, `delivery`):
    /// tokens become invalid, streams stop, the other side is told with the reasons.
    pub(super) fn terminate_with(
        &self,
        batch: &mut WriteBatch,
        t: &mut Transfer,
        by: &str,
        code: &str,
        reasons: Vec<String>,
    ) -> Result<(), DspFailure> {
        t.allows(MessageKind::Termination, t.role)?;
        let body =
            TransferTerminationMessage(code_message(t, Some(code.to_owned()), &reasons)).to_json();
        t.step(MessageKind::Termination, t.role, reasons.clone())?;
        t.set_end(by, Some(code.to_owned()), reasons.clone());
        if t.role == Role::Provider {
            token::revoke_all(self.store.as_ref(), batch, &t.id)?;
        }
        self.record(
            batch,
            t,
            AuditKind::Transfer,
            format!("Übertragung beendet ({by}: {code})"),
            json!({"message": "TransferTerminationMessage", "by": by, "code": code, "reasons": reasons}),
        );
        if t.their_pid().is_empty() {
            // The provider never acknowledged: nothing to tell it (its pid is unknown).
            return Ok(());
        }
        let path = format!("transfers/{}/termination", t.their_pid());
        self.send(batch, t, &path, body, Expect::Ack)?;
        Ok(())
    }
}
