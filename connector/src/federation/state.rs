//! The running connector's membership: read from the data folder (pinned authority key,
//! credential, join record), checked as counterparties check it, and installed where it is
//! used — the request tokens of outgoing calls and the verifier of incoming ones.
//!
//! [`Federation::refresh`] reads everything again; the background task calls it every
//! `federation.check_secs`, and the CLI makes the running connector call it at once after
//! `connector join` (`POST /api/v1/federation/check`), so a new credential is used without a
//! restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use contracts::membership::{AcceptedCharta, Membership};
use vocab::jose::SigningKey;

use super::FederationError;
use super::broker::BrokerClient;
use super::join::{broker_for, pinned_authority_key};
use super::local;
use super::membership::{
    CredentialSummary, MembershipState, MembershipStatus, OwnIdentity, check_own_credential,
    without_credential,
};
use crate::config::Config;
use crate::process::now_ms;
use crate::trust::{CallerVerifier, TokenIssuer};

/// This connector's membership while it runs.
pub struct Federation {
    config: Config,
    did: String,
    key: SigningKey,
    accepted: Vec<AcceptedCharta>,
    issuer: Arc<TokenIssuer>,
    verifier: Arc<CallerVerifier>,
    tck: bool,
    status: RwLock<MembershipStatus>,
    member: RwLock<Option<Membership>>,
    is_member: AtomicBool,
    wake: tokio::sync::Notify,
    publication: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation")
            .field("did", &self.did)
            .finish_non_exhaustive()
    }
}

impl Federation {
    /// The membership of the connector `config` describes; reads the data folder once.
    pub fn new(
        config: &Config,
        did: &str,
        key: SigningKey,
        issuer: Arc<TokenIssuer>,
        verifier: Arc<CallerVerifier>,
    ) -> Self {
        let accepted = config
            .trust
            .accepted_charta
            .iter()
            .map(|c| AcceptedCharta {
                version: c.version.clone(),
                sha256: c.sha256.to_ascii_lowercase(),
            })
            .collect();
        let (state, message) = without_credential(None);
        let federation = Self {
            config: config.clone(),
            did: did.to_owned(),
            key,
            accepted,
            issuer,
            verifier,
            tck: config.tck.enabled,
            status: RwLock::new(MembershipStatus {
                state,
                message,
                broker_url: None,
                authority_did: config.trust.authority_did.clone(),
                authority_thumbprint: None,
                credential: None,
                join_request: None,
                checked_ms: 0,
            }),
            member: RwLock::new(None),
            is_member: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
            publication: tokio::sync::Mutex::new(()),
        };
        federation.refresh();
        federation
    }

    /// Held while a publication or deletion is built, signed, sent and recorded: the periodic
    /// publisher and an operator's `publish`/`unpublish` never interleave (each envelope's
    /// `iat` must be newer than the last one the broker accepted).
    pub(crate) async fn publication_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.publication.lock().await
    }

    /// Reads the pinned key, the credential and the join record again, checks the credential
    /// (with the revocation list the verifier holds), installs or removes it, and returns
    /// the new state.
    pub fn refresh(&self) -> MembershipStatus {
        let now = now_ms();
        let record = local::read_join_record(&self.config).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the join record cannot be read");
            None
        });
        let pinned = match pinned_authority_key(&self.config) {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(error = %e, "the pinned authority key cannot be read");
                None
            }
        };
        if let Some(k) = &pinned {
            self.verifier.set_authority_key(k.clone());
        }
        let mut status = MembershipStatus {
            state: MembershipState::NotJoined,
            message: String::new(),
            broker_url: self
                .config
                .federation
                .broker_url
                .clone()
                .or_else(|| record.as_ref().map(|r| r.broker_url.clone())),
            authority_did: self.config.trust.authority_did.clone(),
            authority_thumbprint: pinned.as_ref().map(|k| k.thumbprint()),
            credential: None,
            join_request: record.clone(),
            checked_ms: now,
        };
        let mut member = None;
        match local::read_credential(&self.config) {
            Err(message) => {
                status.state = MembershipState::Invalid;
                status.message = message;
            }
            Ok(None) => {
                let (state, message) = without_credential(record.as_ref());
                status.state = state;
                status.message = message;
            }
            Ok(Some((jwt, source))) => match &pinned {
                None => {
                    status.state = MembershipState::Invalid;
                    status.message = format!(
                        "a membership credential is installed ({source}), but no authority key is pinned in {}; run `connector join --broker <URL>`",
                        self.config
                            .path(&self.config.trust.authority_key_file)
                            .display()
                    );
                }
                Some(authority) => {
                    let public = self.key.public_key();
                    let own = OwnIdentity {
                        did: &self.did,
                        key: &public,
                        accepted: &self.accepted,
                    };
                    let list = self.verifier.status_list();
                    match check_own_credential(&jwt, authority, &own, list.as_ref(), now / 1000) {
                        Ok(m) => {
                            status.state = MembershipState::Member;
                            status.message = format!(
                                "member of the federation of {} (credential valid until {})",
                                m.issuer,
                                CredentialSummary::of(&m, &source).valid_until
                            );
                            status.credential = Some(CredentialSummary::of(&m, &source));
                            member = Some((m, jwt));
                        }
                        Err(p) => {
                            status.state = p.state;
                            status.message = p.message;
                        }
                    }
                }
            },
        }
        match member {
            Some((m, jwt)) => {
                if self.issuer.membership().as_deref() != Some(jwt.as_str()) {
                    tracing::info!(credential = %m.id, "membership credential installed");
                }
                self.issuer.set_membership(Some(jwt));
                if let Ok(mut g) = self.member.write() {
                    *g = Some(m);
                }
            }
            None => {
                if self.issuer.membership().is_some() && !self.tck {
                    tracing::warn!(reason = %status.message, "membership credential no longer used");
                }
                self.issuer.set_not_member(&status.message);
                if let Ok(mut g) = self.member.write() {
                    *g = None;
                }
            }
        }
        self.is_member.store(status.is_member(), Ordering::Release);
        if let Ok(mut g) = self.status.write() {
            *g = status.clone();
        }
        status
    }

    /// The state as last read.
    pub fn status(&self) -> MembershipStatus {
        self.status
            .read()
            .map(|g| g.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Whether other connectors accept this connector's calls (TCK mode counts as member:
    /// it talks to the TCK only).
    pub fn is_member(&self) -> bool {
        self.tck || self.is_member.load(Ordering::Acquire)
    }

    /// The verified credential, when this connector is a member.
    pub fn membership(&self) -> Option<Membership> {
        self.member.read().ok().and_then(|g| g.clone())
    }

    /// This connector's DID.
    pub fn did(&self) -> &str {
        &self.did
    }

    /// The participant's signing key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The verifier of incoming calls (its revocation list and pinned key).
    pub fn verifier(&self) -> &Arc<CallerVerifier> {
        &self.verifier
    }

    /// The broker: configured, or recorded by `connector join`.
    pub fn broker(&self) -> Result<BrokerClient, FederationError> {
        let url = self.status().broker_url.ok_or_else(|| {
            FederationError::Setup(
                "no broker known: run `connector join --broker <URL>` or set federation.broker_url"
                    .into(),
            )
        })?;
        broker_for(&self.config, &url)
    }

    /// Makes the background task look again now (after a join, a publish request, …).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Waits until [`Federation::wake`] is called.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}
