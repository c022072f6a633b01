//! The background duties of the transfer service: resuming after a start (or a crash), and
//! every `dataplane.enforcement_interval_ms` checking running provider transfers against
//! their agreements (an agreement that expired or whose time window closed stops the
//! transfer: tokens invalid, streams cut, the consumer told) and against the federation's
//! revocation list (a consumer whose membership credential the list revokes loses its
//! running transfers the same way, with the reason `membership_revoked`), and, on the
//! consumer side, carrying out the deletion duty for received data whose agreement has ended.
//!
//! How soon a revocation stops a stream: the list is fetched every
//! `trust.status_list_refresh_secs`; once installed, the next tick (at most
//! `dataplane.enforcement_interval_ms` later) terminates the transfer.
//!
//! A revocation ends every unfinished transfer of the consumer, not only running ones: when a
//! newly installed list differs from the last one seen, the provider's REQUESTED (still being
//! prepared) and SUSPENDED transfers of every consumer it revokes are terminated the same way
//! (TransferTerminationMessage with `membership_revoked` and the reasons, tokens revoked,
//! policy decision in the audit log). A start or restart of a revoked consumer's transfer
//! between the list's arrival and that tick is refused by [`Transfers::refuse_if_revoked`];
//! new requests of a revoked member are refused when its request token is verified.

use std::time::Duration;

use chrono::{DateTime, Utc};
use contracts::eval::XsdDuration;
use contracts::membership::StatusList;
use contracts::odrl::{Operator, RightOperand};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::enforce::Denial;
use super::record::Transfer;
use super::service::Transfers;
use crate::audit::{AuditEvent, AuditKind};
use crate::dsp::transfer::TransferState;
use crate::negotiation::AgreementRecord;
use crate::process::{Role, now_ms};
use crate::store::WriteBatch;

const ELAPSED_TIME: &str = "http://www.w3.org/ns/odrl/2/elapsedTime";
const DATE_TIME: &str = "http://www.w3.org/ns/odrl/2/dateTime";

/// The denial when `list` revokes the membership credential the consumer of `t` presented.
fn revoked_by(t: &Transfer, list: &StatusList) -> Option<Denial> {
    let entry = crate::trust::revocation::revoked_entry(t.credential.as_deref()?, list)?;
    Some(super::enforce::membership_revoked(
        &t.counterparty.id,
        &entry.list_url,
        entry.index,
    ))
}

/// When the use an agreement allows ends: its fixed end, or the earliest bound of an
/// `elapsedTime` or `dateTime` constraint of its permissions; `None` when unbounded. A
/// missing or unreadable agreement has ended.
pub fn use_ends(record: Option<&AgreementRecord>) -> Option<DateTime<Utc>> {
    let Some(record) = record else {
        return Some(DateTime::<Utc>::MIN_UTC);
    };
    let Ok(agreement) = contracts::agreement::Agreement::from_dsp_json(&record.agreement) else {
        // The TCK's seeded agreements are plain DSP policies without an end.
        return None;
    };
    let mut end = agreement.end;
    let mut bound = |t: DateTime<Utc>| {
        end = Some(end.map_or(t, |e| e.min(t)));
    };
    for rule in &agreement.policy.permissions {
        for c in &rule.constraints {
            for atom in c.atoms() {
                if !matches!(atom.operator, Operator::Lt | Operator::Lteq) {
                    continue;
                }
                let RightOperand::Literal(lit) = &atom.right_operand else {
                    continue;
                };
                if atom.left_operand == ELAPSED_TIME {
                    if let Some(t) =
                        XsdDuration::parse(&lit.lexical).and_then(|d| d.add_to(agreement.start))
                    {
                        bound(t);
                    }
                } else if atom.left_operand == DATE_TIME
                    && let Some(t) = contracts::eval::parse_date_time(&lit.lexical)
                {
                    bound(t);
                }
            }
        }
    }
    end
}

impl Transfers {
    /// Resumes what a stop left (preparing starts, running streams, downloads), then watches
    /// until `shutdown`.
    pub async fn run_background(self, shutdown: CancellationToken) {
        match self.list() {
            Ok(all) => {
                for t in all {
                    // A folder pull that ended just before a stop keeps nothing.
                    self.discard_unfinished_pull(&t);
                    if t.role == Role::Provider && t.preparing {
                        let this = self.clone();
                        let id = t.id.clone();
                        tokio::spawn(async move { this.prepare_and_start(&id).await });
                    }
                    if t.state == TransferState::Started {
                        self.registry.run(&t.id, t.role);
                        self.spawn_fetch_if_automatic(&t);
                        // A push cut by a stop (or by this restart) continues: the receiver is
                        // asked how much of each file arrived (see transfer::push).
                        self.spawn_push(&t);
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read the transfers to resume them"),
        }
        let interval = Duration::from_millis(self.settings.dataplane.enforcement_interval_ms);
        let mut ticks = 0u64;
        let mut seen_list = None;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
            ticks += 1;
            self.enforce_revocation(&mut seen_list).await;
            self.enforce_running().await;
            if ticks.is_multiple_of(4) {
                self.deletion_duty().await;
            }
        }
    }

    /// Whether the revocation list installed now revokes the consumer of `t`.
    fn revoked_consumer(&self, t: &Transfer) -> Option<Denial> {
        let list = self.verifier.as_ref()?.status_list()?;
        revoked_by(t, &list)
    }

    /// Provider: refuses to start or restart `t` when the installed revocation list revokes
    /// the membership credential its consumer presented (the reasons name the list and the
    /// entry).
    pub(super) fn refuse_if_revoked(&self, t: &Transfer) -> Result<(), Denial> {
        match (t.role, self.revoked_consumer(t)) {
            (Role::Provider, Some(denial)) => Err(denial),
            _ => Ok(()),
        }
    }

    /// Provider: when the installed revocation list is not the one last seen, ends the
    /// requested and suspended transfers of every consumer it revokes (running ones are
    /// ended by [`Self::enforce_running`] at every tick).
    async fn enforce_revocation(&self, seen: &mut Option<StatusList>) {
        let Some(list) = self.verifier.as_ref().and_then(|v| v.status_list()) else {
            return;
        };
        if seen.as_ref() == Some(&list) {
            return;
        }
        let Ok(all) = self.list() else {
            // Tried again at the next tick.
            return;
        };
        for t in all {
            if t.role != Role::Provider
                || !matches!(t.state, TransferState::Requested | TransferState::Suspended)
            {
                continue;
            }
            if let Some(denial) = revoked_by(&t, &list) {
                self.end_by_enforcement(
                    &t.id,
                    &[TransferState::Requested, TransferState::Suspended],
                    &denial,
                    "Übertragung wegen widerrufener Mitgliedschaft beendet",
                )
                .await;
            }
        }
        *seen = Some(list);
    }

    /// Terminates the provider transfer `id`, when it is still in one of `states`, because
    /// of `denial`:
    /// the policy decision in the audit log, the termination message with the reasons to the
    /// consumer, its tokens revoked, its streams cut.
    async fn end_by_enforcement(
        &self,
        id: &str,
        states: &[TransferState],
        denial: &Denial,
        summary: &str,
    ) {
        let _guard = self.locks.lock(id).await;
        let Ok(Some(mut t)) = self.get(id) else {
            return;
        };
        if t.role != Role::Provider || !states.contains(&t.state) {
            return;
        }
        let was = t.state;
        t.preparing = false;
        let mut batch = WriteBatch::new();
        self.record(
            &mut batch,
            &t,
            AuditKind::PolicyDecision,
            summary.to_owned(),
            json!({"permitted": false, "code": denial.code, "reasons": denial.reasons()}),
        );
        let done = self
            .terminate_with(
                &mut batch,
                &mut t,
                "enforcement",
                denial.code,
                denial.reasons(),
            )
            .map_err(|e| e.to_string())
            .and_then(|_| self.commit(batch, &t).map_err(|e| e.to_string()));
        match done {
            Ok(()) => {
                tracing::info!(transfer = %id, code = denial.code, state = %was, "transfer ended by enforcement")
            }
            Err(e) => tracing::warn!(transfer = %id, error = %e, "cannot end the transfer"),
        }
    }

    /// Stops running provider transfers whose agreement no longer allows the use, or whose
    /// consumer's membership is revoked.
    async fn enforce_running(&self) {
        for id in self.registry.running(Role::Provider) {
            let Ok(Some(t)) = self.get(&id) else { continue };
            let denial = match self.revoked_consumer(&t) {
                Some(revoked) => revoked,
                None => {
                    let agreement = self.agreement_of(&t).ok().flatten();
                    let Err(denial) = super::enforce::decide(
                        &self.terms,
                        agreement.as_ref(),
                        &t,
                        t.use_number.unwrap_or(1),
                        Utc::now(),
                    ) else {
                        continue;
                    };
                    denial
                }
            };
            self.end_by_enforcement(
                &id,
                &[TransferState::Started],
                &denial,
                "Laufende Übertragung nicht mehr erlaubt",
            )
            .await;
        }
    }

    /// Consumer: deletes received data whose agreement has ended, and records it.
    pub async fn deletion_duty(&self) {
        let Ok(all) = self.list() else { return };
        let now = Utc::now();
        for t in all {
            if t.role != Role::Consumer || t.deleted_ms.is_some() {
                continue;
            }
            let has_data = !t.received.is_empty() || self.received_path(&t).exists();
            if !has_data {
                continue;
            }
            let agreement = self.agreement_of(&t).ok().flatten();
            match use_ends(agreement.as_ref()) {
                Some(end) if end <= now => {}
                _ => continue,
            }
            if let Err(e) = self.delete_received(&t.id, "agreement_ended").await {
                tracing::warn!(transfer = %t.id, error = %e, "deletion duty not carried out");
            }
        }
    }

    /// Consumer: deletes a transfer's received data (and partial downloads) and records it.
    pub async fn delete_received(&self, id: &str, why: &str) -> Result<Transfer, String> {
        let _guard = self.locks.lock(id).await;
        let mut t = self
            .get(id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no transfer {id}"))?;
        let dir = self.received_path(&t);
        let mut removed = Vec::new();
        for f in &t.received {
            removed.push(json!({"stored_at": f.stored_at, "size": f.size, "sha256": f.sha256}));
        }
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        if let Some(parent) = dir.parent() {
            // The agreement's folder, when it is now empty.
            let _ = std::fs::remove_dir(parent);
        }
        t.deleted_ms = Some(now_ms());
        t.touch();
        let event = AuditEvent::new(
            AuditKind::Deletion,
            format!("Empfangene Daten gelöscht ({why})"),
        )
        .agreement(t.agreement_id.clone())
        .party(t.counterparty.id.clone())
        .process(t.id.clone())
        .detail("reason", why)
        .detail("files", removed)
        .detail("folder", dir.display().to_string());
        // The deletion is on disk before it is recorded as done.
        self.audit.append(event).await.map_err(|e| e.to_string())?;
        let batch = WriteBatch::new();
        self.commit(batch, &t).map_err(|e| e.to_string())?;
        tracing::info!(transfer = %id, %why, "received data deleted (deletion duty)");
        Ok(t)
    }
}
