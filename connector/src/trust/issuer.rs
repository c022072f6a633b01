//! The self-issued request tokens this connector puts on its own DSP calls.

use vocab::jose::{JoseError, SigningKey};

use crate::process::now_ms;

/// The JWT claim carrying the caller's membership credential.
pub const MEMBERSHIP_CLAIM: &str = "membership";

/// The longest lifetime a request token may have.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 300;

/// Issues `Authorization: Bearer` tokens: `iss` = `sub` = own DID, `aud` = the callee, a short
/// `exp`, a unique `jti`, and the membership credential in [`MEMBERSHIP_CLAIM`].
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    did: String,
    key: SigningKey,
    membership: Option<String>,
    lifetime_secs: i64,
}

impl TokenIssuer {
    /// An issuer signing with `key` (its `kid` is the DID URL the callee checks).
    pub fn new(did: &str, key: SigningKey, membership: Option<String>, lifetime_secs: u64) -> Self {
        Self {
            did: did.to_owned(),
            key,
            membership,
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
        if let Some(vc) = &self.membership {
            claims.insert(MEMBERSHIP_CLAIM.into(), vc.clone().into());
        }
        self.key.sign_jwt(&claims, None)
    }

    /// The DID the tokens speak for.
    pub fn did(&self) -> &str {
        &self.did
    }
}
