//! The self-issued request tokens this connector puts on its own DSP calls.

use std::sync::{Arc, RwLock};

use vocab::jose::{JoseError, SigningKey};

use crate::process::now_ms;

/// The JWT claim carrying the caller's membership credential.
pub const MEMBERSHIP_CLAIM: &str = "membership";

/// The longest lifetime a request token may have.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 300;

/// Issues `Authorization: Bearer` tokens: `iss` = `sub` = own DID, `aud` = the callee, a short
/// `exp`, a unique `jti`, and the membership credential in [`MEMBERSHIP_CLAIM`].
///
/// The credential can be replaced while the connector runs ([`TokenIssuer::set_membership`]):
/// `connector join` stores a new one and the running connector installs it; clones share it.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    did: String,
    key: SigningKey,
    membership: Arc<RwLock<Option<String>>>,
    not_member_reason: Arc<RwLock<String>>,
    lifetime_secs: i64,
}

/// Why calls fail before a credential is installed.
pub const NOT_A_MEMBER: &str = "not a member yet — run `connector join --broker <URL>`";

impl TokenIssuer {
    /// An issuer signing with `key` (its `kid` is the DID URL the callee checks).
    pub fn new(did: &str, key: SigningKey, membership: Option<String>, lifetime_secs: u64) -> Self {
        Self {
            did: did.to_owned(),
            key,
            membership: Arc::new(RwLock::new(membership)),
            not_member_reason: Arc::new(RwLock::new(NOT_A_MEMBER.to_owned())),
            lifetime_secs: (lifetime_secs as i64).clamp(1, MAX_TOKEN_LIFETIME_SECS),
        }
    }

    /// A fresh token for a call to `audience`.
    pub fn issue(&self, audience: &str) -> Result<String, JoseError> {
        let now = now_ms() / 1000;
        let mut claims = serde_json::Map::new();
        claims.insert("iss".into(), self.did.clone().into());
        claims.insert("sub".into(), self.did.clone().into());
        claims.insert("aud".into(), audience.into());
        claims.insert("iat".into(), now.into());
        claims.insert("exp".into(), (now + self.lifetime_secs).into());
        claims.insert("jti".into(), uuid::Uuid::new_v4().to_string().into());
        if let Some(vc) = self.membership() {
            claims.insert(MEMBERSHIP_CLAIM.into(), vc.into());
        }
        self.key.sign_jwt(&claims, None)
    }

    /// Installs (or, with `None`, removes) the membership credential put on every token.
    pub fn set_membership(&self, credential: Option<String>) {
        if let Ok(mut guard) = self.membership.write() {
            *guard = credential;
        }
    }

    /// Removes the credential and records why this connector is not a member (the message
    /// outgoing calls then fail with).
    pub fn set_not_member(&self, reason: &str) {
        self.set_membership(None);
        if let Ok(mut guard) = self.not_member_reason.write() {
            reason.clone_into(&mut guard);
        }
    }

    /// Why there is no credential (meaningful while [`TokenIssuer::membership`] is `None`).
    pub fn not_member_reason(&self) -> String {
        self.not_member_reason
            .read()
            .map(|g| g.clone())
            .unwrap_or_else(|_| NOT_A_MEMBER.to_owned())
    }

    /// The membership credential tokens carry now, if any.
    pub fn membership(&self) -> Option<String> {
        self.membership.read().ok().and_then(|g| g.clone())
    }

    /// The DID the tokens speak for.
    pub fn did(&self) -> &str {
        &self.did
    }
}
