//! Access token renewal of pull transfers (protocol in [`crate::dataplane::refresh`]): the
//! provider's decision and rotation, and the consumer's renewal when a request of its
//! download is refused because the token expired (then it resumes with Range).
//!
//! Refresh tokens rotate: each renewal uses up the presented one and issues its successor.
//! A consumer that stops between the provider's answer and storing the new tokens (a crash)
//! still holds the used refresh token and the access token the renewal revoked. As OAuth
//! servers do, the provider accepts that used refresh token once more from the same consumer
//! (caller DID checked like any renewal) while its successor has not been used and within
//! `dataplane.refresh_grace_secs` (default 60 s) of its use: it revokes the unused successor
//! and the access token issued with it and answers a fresh pair (audited as a renewal after
//! a lost answer). Any other reuse — after the successor was used, after the window, or a
//! third time — is refused as `refresh_token_replayed` and audited as a refused access. The
//! consumer renews when its download is refused with `token_expired`, or with
//! `invalid_token` while its stored access token has expired by its own clock (the token a
//! lost renewal revoked); then it resumes with Range.

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
                    "the refresh token is unknown or no longer valid (it was replaced, or the transfer ended)",
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
        let now = crate::process::now_ms();
        let grace_ms = (self.settings.dataplane.refresh_grace_secs as i64) * 1000;
        let allowed =
            token::refresh_use(self.store.as_ref(), &grant, now, grace_ms).map_err(internal)?;
        if let token::RefreshUse::Replay(why) = &allowed {
            return Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                "refresh_token_replayed",
                format!("{why} (each refresh token works once; a replay is refused)"),
            ));
        }
        let mut batch = WriteBatch::new();
        // The access tokens of the transfer: the old one, and after a lost answer the one
        // issued with the unused successor.
        token::revoke_access(self.store.as_ref(), &mut batch, &t.id).map_err(internal)?;
        let (access_token, expires_ms) = token::issue(
            &mut batch,
            &t.id,
            &t.agreement_id,
            &t.counterparty.id,
            self.settings.dataplane.token_lifetime_secs,
        );
        let refresh_token = token::rotate_refresh(&mut batch, refresh_token, &grant, &allowed, now);
        let lost_answer = allowed == token::RefreshUse::Grace;
        self.record(
            &mut batch,
            &t,
            AuditKind::Transfer,
            if lost_answer {
                "Zugangstoken erneut erneuert (Antwort beim Verbraucher verloren; unbenutzter Nachfolger widerrufen)".into()
            } else {
                "Zugangstoken erneuert".into()
            },
            json!({"event": "token_renewed", "token_expires_ms": expires_ms,
                   "lost_answer": lost_answer}),
        );
        self.commit(batch, &t).map_err(internal)?;
        tracing::info!(transfer = %t.id, consumer = %caller_id, "access token renewed");
        Ok(Renewal {
            access_token,
            expires_ms,
            refresh_token,
        })
    }

    /// Consumer: whether the pull transfer `id`, its download refused with `code`, renews
    /// its access token: the provider sent a refresh endpoint and token, and the token
    /// expired (`token_expired`), or the provider no longer knows it (`invalid_token`) while
    /// it has expired by this connector's clock — the token a renewal whose answer was lost
    /// replaced.
    pub(super) fn renews_on(&self, id: &str, code: &str) -> bool {
        let Ok(Some(t)) = self.get(id) else {
            return false;
        };
        let Some(p) = t.pull.as_ref() else {
            return false;
        };
        let expired_here = p.expires_ms.is_some_and(|e| e <= crate::process::now_ms());
        p.refresh_endpoint.is_some()
            && p.refresh_token.is_some()
            && (code == "token_expired" || (code == "invalid_token" && expired_here))
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
