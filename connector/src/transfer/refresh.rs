//! Access token renewal of pull transfers (protocol in [`crate::dataplane::refresh`]): the
//! provider's decision and rotation, and the consumer's renewal when a request of its
//! download is refused because the token expired (then it resumes with Range).
//!
//! A consumer that stops between the provider's answer and storing the new tokens has lost
//! its refresh token (it was used up); its download then ends with the provider's
//! `invalid_refresh_token` reason and a new transfer is needed.

use axum::http::StatusCode;
use serde_json::json;

use super::format::Direction;
use super::service::Transfers;
use crate::audit::AuditKind;
use crate::dataplane::refresh::{Renewal, RenewalError, request_renewal};
use crate::dataplane::serve::Refusal;
use crate::dataplane::token;
use crate::dsp::transfer::TransferState;
use crate::process::Role;
use crate::store::WriteBatch;

fn internal(e: impl std::fmt::Display) -> Refusal {
    tracing::error!(error = %e, "token renewal failed");
    Refusal::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
    )
}

impl Transfers {
    /// Provider: renews the access token of the pull transfer `transfer_id` for `caller_id`
    /// (an authenticated member) presenting `refresh_token` — only for the transfer's own
    /// consumer, while it is STARTED and the agreement and the consumer's membership allow
    /// the use. The old access token and the presented refresh token stop working; the
    /// renewal is recorded in the audit log.
    pub async fn renew_access(
        &self,
        transfer_id: &str,
        caller_id: &str,
        refresh_token: &str,
    ) -> Result<Renewal, Refusal> {
        let _guard = self.locks.lock(transfer_id).await;
        let t = self
            .get(transfer_id)
            .map_err(internal)?
            .filter(|t| t.role == Role::Provider)
            .ok_or_else(|| Refusal::new(StatusCode::NOT_FOUND, "not_found", "no such transfer"))?;
        if t.counterparty.id != caller_id {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "wrong_consumer",
                "the transfer belongs to another participant; only its consumer can renew its access token",
            ));
        }
        if t.state != TransferState::Started {
            return Err(Refusal::new(
                StatusCode::CONFLICT,
                "not_started",
                format!(
                    "the transfer is {}, not STARTED; its access token is not renewed",
                    t.state
                ),
            ));
        }
        if t.format.direction() != Direction::Pull {
            return Err(Refusal::new(
                StatusCode::CONFLICT,
                "not_a_pull",
                format!("only HttpData-PULL tokens are renewed, not {}", t.format),
            ));
        }
        let grant = token::lookup_refresh(self.store.as_ref(), refresh_token)
            .map_err(internal)?
            .ok_or_else(|| {
                Refusal::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_refresh_token",
                    "the refresh token is unknown or was already used (each refresh token works once)",
                )
            })?;
        if grant.transfer_id != t.id {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "wrong_transfer",
                "the refresh token was issued for another transfer",
            ));
        }
        if grant.consumer != caller_id {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "wrong_consumer",
                "the refresh token was issued to another participant",
            ));
        }
        let denial = match self.refuse_if_revoked(&t) {
            Err(d) => Some(d),
            Ok(()) => super::enforce::decide(
                &self.terms,
                self.agreement_of(&t).map_err(internal)?.as_ref(),
                &t,
                t.use_number.unwrap_or(1),
                chrono::Utc::now(),
            )
            .err(),
        };
        if let Some(d) = denial {
            return Err(Refusal {
                status: StatusCode::FORBIDDEN,
                code: d.code,
                reasons: d.reasons(),
            });
        }
        let mut batch = WriteBatch::new();
        token::consume_refresh(&mut batch, refresh_token);
        token::revoke_access(self.store.as_ref(), &mut batch, &t.id).map_err(internal)?;
        let (access_token, expires_ms) = token::issue(
            &mut batch,
            &t.id,
            &t.agreement_id,
            &t.counterparty.id,
            self.settings.dataplane.token_lifetime_secs,
        );
        let refresh_token = token::issue_refresh(&mut batch, &t.id, &t.agreement_id, caller_id);
        self.record(
            &mut batch,
            &t,
            AuditKind::Transfer,
            "Zugangstoken erneuert".into(),
            json!({"event": "token_renewed", "token_expires_ms": expires_ms}),
        );
        self.commit(batch, &t).map_err(internal)?;
        tracing::info!(transfer = %t.id, consumer = %caller_id, "access token renewed");
        Ok(Renewal {
            access_token,
            expires_ms,
            refresh_token,
        })
    }

    /// Consumer: whether the pull transfer `id` can renew its access token (the provider
    /// sent a refresh endpoint and token).
    pub(super) fn renewable(&self, id: &str) -> bool {
        matches!(self.get(id), Ok(Some(t)) if t.pull.as_ref().is_some_and(|p|
            p.refresh_endpoint.is_some() && p.refresh_token.is_some()))
    }

    /// Consumer: renews the access token of the pull transfer `id` at the provider and keeps
    /// the new tokens (recorded in the audit log).
    pub async fn renew_pull(&self, id: &str) -> Result<(), RenewalError> {
        let t = self
            .get(id)
            .ok()
            .flatten()
            .ok_or_else(|| RenewalError::Protocol(format!("no transfer {id}")))?;
        let pull = t
            .pull
            .clone()
            .ok_or_else(|| RenewalError::Protocol("the transfer has no pull address".into()))?;
        let (Some(endpoint), Some(refresh)) = (pull.refresh_endpoint, pull.refresh_token) else {
            return Err(RenewalError::Protocol(
                "the provider offered no token renewal (no refreshEndpoint/refreshToken)".into(),
            ));
        };
        let caller = self
            .caller_token(&t.counterparty.id)
            .map_err(RenewalError::Protocol)?;
        let renewed = request_renewal(&self.data_client, &endpoint, &refresh, &caller).await?;
        let _guard = self.locks.lock(id).await;
        let mut t = self
            .get(id)
            .ok()
            .flatten()
            .ok_or_else(|| RenewalError::Protocol(format!("no transfer {id}")))?;
        let Some(p) = t.pull.as_mut() else {
            return Err(RenewalError::Protocol(
                "the transfer has no pull address".into(),
            ));
        };
        p.token = renewed.access_token;
        p.expires_ms = Some(renewed.expires_ms);
        p.refresh_token = Some(renewed.refresh_token);
        t.touch();
        let mut batch = WriteBatch::new();
        self.record(
            &mut batch,
            &t,
            AuditKind::Transfer,
            "Zugangstoken erneuert".into(),
            json!({"event": "token_renewed", "token_expires_ms": renewed.expires_ms}),
        );
        self.commit(batch, &t)
            .map_err(|e| RenewalError::Protocol(format!("cannot store the new token: {e}")))?;
        tracing::info!(transfer = %id, "access token renewed");
        Ok(())
    }
}
