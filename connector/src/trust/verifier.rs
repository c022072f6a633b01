//! Checks the request token of every DSP call and says who the caller is.
//!
//! A token is accepted when, in this order:
//! 1. it is a compact JWS in `Authorization: Bearer …`;
//! 2. its `membership` claim holds a membership credential that verifies against the pinned
//!    authority key, is within its validity period, names an accepted Charta version and hash,
//!    and is not revoked (when a status list is known);
//! 3. the token is signed by the key the credential binds (`cnf.jwk`), with that key's DID URL
//!    as `kid`;
//! 4. `iss` = `sub` = the credential's subject, `aud` = this connector's DID, `exp` present and
//!    at most five minutes ahead, `jti` present;
//! 5. the `jti` has not been seen before (it is remembered until the token expires).
//!
//! Failures of 1–5 mean the caller is not authenticated (HTTP 401), except an unaccepted
//! Charta or a revoked credential, which mean it is known but not admitted (HTTP 403).

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use contracts::membership::{self, AcceptedCharta, Membership, MembershipError, StatusList};
use vocab::jose::{JoseError, PublicKey, require_claim};

use super::MEMBERSHIP_CLAIM;
use super::issuer::MAX_TOKEN_LIFETIME_SECS;

/// Why a caller was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("no bearer token")]
    Missing,
    /// The token is not acceptable (the message says which check failed).
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The membership credential is not acceptable.
    #[error("invalid membership credential: {0}")]
    InvalidCredential(String),
    /// The token was used before.
    #[error("the token was already used (jti {0})")]
    Replayed(String),
    /// Authenticated, but not admitted: the Charta version is not accepted or the membership
    /// is revoked.
    #[error("not admitted: {0}")]
    NotAdmitted(String),
}

impl AuthError {
    /// 401 for authentication failures, 403 for callers that are known but not admitted.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::NotAdmitted(_) => 403,
            _ => 401,
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// Its identifier: a DID, or the TCK's participant id in TCK mode.
    pub id: String,
    /// Its legal name.
    pub legal_name: Option<String>,
    /// Its participant type IRI.
    pub participant_type: Option<String>,
    /// Its municipality keys.
    pub ags: Vec<String>,
    /// The key its credential binds (verifies its agreement signatures).
    pub key: Option<PublicKey>,
    /// The Charta version it accepted.
    pub charta_version: Option<String>,
    /// True for the TCK in TCK mode (no credential, unsigned agreements).
    pub tck: bool,
}

/// The TCK's fixed identity (TCK mode only).
#[derive(Debug, Clone)]
pub struct TckIdentity {
    /// The exact `Authorization` header value.
    pub authorization: String,
    /// The participant id it stands for.
    pub participant_id: String,
}

/// Verifies callers.
pub struct CallerVerifier {
    own_did: String,
    authority_key: RwLock<Option<PublicKey>>,
    accepted: Vec<AcceptedCharta>,
    leeway: i64,
    tck: Option<TckIdentity>,
    status_list: RwLock<Option<StatusList>>,
    seen: Mutex<HashMap<String, i64>>,
    credentials: Mutex<HashMap<String, Membership>>,
}

impl std::fmt::Debug for CallerVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallerVerifier")
            .field("own_did", &self.own_did)
            .finish_non_exhaustive()
    }
}

const MAX_REMEMBERED: usize = 1_000_000;
const MAX_CACHED_CREDENTIALS: usize = 10_000;

impl CallerVerifier {
    /// A verifier for calls addressed to `own_did`.
    pub fn new(
        own_did: &str,
        authority_key: PublicKey,
        accepted: Vec<AcceptedCharta>,
        leeway_secs: u64,
        tck: Option<TckIdentity>,
    ) -> Self {
        Self {
            own_did: own_did.to_owned(),
            authority_key: RwLock::new(Some(authority_key)),
            accepted,
            leeway: leeway_secs as i64,
            tck,
            status_list: RwLock::new(None),
            seen: Mutex::new(HashMap::new()),
            credentials: Mutex::new(HashMap::new()),
        }
    }

    /// A verifier before the authority's key is pinned (`connector join` pins it): every
    /// caller is refused until [`CallerVerifier::set_authority_key`] installs the key.
    pub fn unpinned(
        own_did: &str,
        accepted: Vec<AcceptedCharta>,
        leeway_secs: u64,
        tck: Option<TckIdentity>,
    ) -> Self {
        Self {
            own_did: own_did.to_owned(),
            authority_key: RwLock::new(None),
            accepted,
            leeway: leeway_secs as i64,
            tck,
            status_list: RwLock::new(None),
            seen: Mutex::new(HashMap::new()),
            credentials: Mutex::new(HashMap::new()),
        }
    }

    /// Pins the authority's key (credentials verified from then on with it). A different key
    /// than the one pinned before also forgets the verified credentials.
    pub fn set_authority_key(&self, key: PublicKey) {
        let changed = match self.authority_key.write() {
            Ok(mut guard) => {
                let changed = guard.as_ref().map(PublicKey::thumbprint) != Some(key.thumbprint());
                *guard = Some(key);
                changed
            }
            Err(_) => false,
        };
        if changed && let Ok(mut cache) = self.credentials.lock() {
            cache.clear();
        }
    }

    /// The pinned authority key, once pinned.
    pub fn authority_key(&self) -> Option<PublicKey> {
        self.authority_key.read().ok().and_then(|g| g.clone())
    }

    /// The revocation list last installed, if any.
    pub fn status_list(&self) -> Option<StatusList> {
        self.status_list.read().ok().and_then(|g| g.clone())
    }

    /// Installs the federation's current revocation list (checked from then on).
    pub fn set_status_list(&self, list: StatusList) {
        if let Ok(mut guard) = self.status_list.write() {
            *guard = Some(list);
        }
        if let Ok(mut cache) = self.credentials.lock() {
            cache.clear();
        }
    }

    /// Checks the `Authorization` header value at time `now` (Unix seconds).
    pub fn verify(&self, authorization: Option<&str>, now: i64) -> Result<Caller, AuthError> {
        let header = authorization.ok_or(AuthError::Missing)?;
        if let Some(tck) = &self.tck
            && header == tck.authorization
        {
            return Ok(Caller {
                id: tck.participant_id.clone(),
                legal_name: Some("Eclipse DSP TCK".into()),
                participant_type: None,
                ags: Vec::new(),
                key: None,
                charta_version: None,
                tck: true,
            });
        }
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                AuthError::InvalidToken("expected `Authorization: Bearer <JWT>`".into())
            })?;
        if token.len() > 64 * 1024 {
            return Err(AuthError::InvalidToken("longer than 64 KiB".into()));
        }
        let unverified: serde_json::Map<String, serde_json::Value> =
            vocab::jose::peek_payload(token)
                .ok()
                .and_then(|p| serde_json::from_slice(&p).ok())
                .ok_or_else(|| {
                    AuthError::InvalidToken("not a JWT with a JSON claims set".into())
                })?;
        let credential = unverified
            .get(MEMBERSHIP_CLAIM)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                AuthError::InvalidCredential(format!("the token has no `{MEMBERSHIP_CLAIM}` claim"))
            })?;
        let membership = self.membership(credential, now)?;
        let subject = membership.claims.participant.clone();
        let key = &membership.claims.participant_key;
        match key.kid() {
            Some(kid) if vocab::did::did_of_did_url(kid) == subject => {}
            _ => {
                return Err(AuthError::InvalidCredential(
                    "cnf.jwk has no kid that is a DID URL of the subject".into(),
                ));
            }
        }
        let claims = key
            .verify_jwt(token, now, self.leeway)
            .map_err(|e| AuthError::InvalidToken(describe(e)))?;
        for claim in ["iss", "sub"] {
            require_claim(&claims, claim, &subject)
                .map_err(|e| AuthError::InvalidToken(e.to_string()))?;
        }
        require_claim(&claims, "aud", &self.own_did)
            .map_err(|e| AuthError::InvalidToken(e.to_string()))?;
        let exp = claims
            .get("exp")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or_default();
        if exp > now + MAX_TOKEN_LIFETIME_SECS + self.leeway {
            return Err(AuthError::InvalidToken(format!(
                "exp lies more than {MAX_TOKEN_LIFETIME_SECS} s ahead"
            )));
        }
        let jti = claims
            .get("jti")
            .and_then(serde_json::Value::as_str)
            .filter(|j| !j.is_empty() && j.len() <= 256)
            .ok_or_else(|| AuthError::InvalidToken("jti missing, empty or too long".into()))?;
        self.remember(&subject, jti, exp, now)?;
        Ok(Caller {
            id: subject,
            legal_name: Some(membership.claims.legal_name.clone()),
            participant_type: Some(membership.claims.participant_type.clone()),
            ags: membership.claims.ags.clone(),
            key: Some(membership.claims.participant_key.clone()),
            charta_version: Some(membership.claims.charta_version.clone()),
            tck: false,
        })
    }

    fn membership(&self, credential: &str, now: i64) -> Result<Membership, AuthError> {
        use sha2::Digest;
        let digest = hex::encode(sha2::Sha256::digest(credential.as_bytes()));
        if let Ok(cache) = self.credentials.lock()
            && let Some(m) = cache.get(&digest)
            && m.expires_at + membership::LEEWAY_SECS >= now
            && m.not_before - membership::LEEWAY_SECS <= now
        {
            return Ok(m.clone());
        }
        let status = self.status_list.read().ok().and_then(|g| g.clone());
        let authority = self.authority_key().ok_or_else(|| {
            AuthError::InvalidCredential(
                "this connector has not pinned the federation authority's key yet (not a member yet)"
                    .into(),
            )
        })?;
        let m = membership::verify(credential, &authority, now, &self.accepted, status.as_ref())
            .map_err(|e| match e {
                MembershipError::UnknownCharta { .. } | MembershipError::Revoked { .. } => {
                    AuthError::NotAdmitted(e.to_string())
                }
                other => AuthError::InvalidCredential(other.to_string()),
            })?;
        if let Ok(mut cache) = self.credentials.lock() {
            if cache.len() >= MAX_CACHED_CREDENTIALS {
                cache.clear();
            }
            cache.insert(digest, m.clone());
        }
        Ok(m)
    }

    fn remember(&self, issuer: &str, jti: &str, exp: i64, now: i64) -> Result<(), AuthError> {
        let key = format!("{issuer}\n{jti}");
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| AuthError::InvalidToken("replay cache unavailable".into()))?;
        if seen.len() >= MAX_REMEMBERED / 2 {
            seen.retain(|_, until| *until + self.leeway >= now);
        }
        if seen.len() >= MAX_REMEMBERED {
            return Err(AuthError::InvalidToken(
                "too many tokens in flight; retry shortly".into(),
            ));
        }
        match seen.get(&key) {
            Some(until) if *until + self.leeway >= now => Err(AuthError::Replayed(jti.to_owned())),
            _ => {
                seen.insert(key, exp);
                Ok(())
            }
        }
    }

    /// This connector's DID (the expected audience).
    pub fn own_did(&self) -> &str {
        &self.own_did
    }
}

fn describe(e: JoseError) -> String {
    match e {
        JoseError::BadSignature => {
            "signature does not verify with the key the credential binds".into()
        }
        JoseError::KeyId { expected, found } => {
            format!("kid {found:?} is not the credential's key {expected:?}")
        }
        other => other.to_string(),
    }
}
