//! Access tokens of pull transfers: random, short-lived, bound to one transfer, one agreement
//! and one consumer; only their SHA-256 is stored. A token alone is not enough: every data
//! request must also carry the consumer's own request token (membership credential, single
//! use), and the consumer it proves must be the one the token was issued to.
//!
//! Beside each access token the provider issues a refresh token ([`RefreshGrant`], stored
//! hashed too): presented once to the refresh endpoint (see `dataplane::refresh`) it buys a
//! new access token and a new refresh token, while the transfer runs. Ending or restarting
//! the transfer removes both kinds ([`revoke_all`]).

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::process::now_ms;
use crate::store::{Record, Store, StoreError, StoreExt, WriteBatch};

/// Key prefix of access tokens.
pub const TOKEN: &str = "dptoken/";

/// Key prefix of refresh tokens.
pub const REFRESH: &str = "dprefresh/";

/// The header carrying the caller's own request token on data requests (the data address's
/// `Authorization` carries the access token).
pub const CALLER_HEADER: &str = "x-dsp-caller";

/// What an access token grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    /// The provider's transfer process.
    pub transfer_id: String,
    /// The agreement.
    pub agreement_id: String,
    /// The consumer it was issued to.
    pub consumer: String,
    /// Issued (ms).
    pub issued_ms: i64,
    /// Expires (ms).
    pub expires_ms: i64,
}

impl Record for AccessToken {
    const SCHEMA_VERSION: u32 = 1;
}

/// What a refresh token grants: one renewal of the access token of a transfer, to the
/// consumer it was issued to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshGrant {
    /// The provider's transfer process.
    pub transfer_id: String,
    /// The agreement.
    pub agreement_id: String,
    /// The consumer it was issued to.
    pub consumer: String,
    /// Issued (ms).
    pub issued_ms: i64,
}

impl Record for RefreshGrant {
    const SCHEMA_VERSION: u32 = 1;
}

/// A fresh random token (256 bits, base64url).
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 (hex) of a token.
pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn key(token: &str) -> String {
    format!("{TOKEN}{}", token_sha256(token))
}

/// Adds a new token for the transfer to `batch`; returns the secret and its expiry.
pub fn issue(
    batch: &mut WriteBatch,
    transfer_id: &str,
    agreement_id: &str,
    consumer: &str,
    lifetime_secs: u64,
) -> (String, i64) {
    let secret = new_secret();
    let now = now_ms();
    let expires_ms = now + (lifetime_secs as i64) * 1000;
    batch.put(
        key(&secret),
        &AccessToken {
            transfer_id: transfer_id.to_owned(),
            agreement_id: agreement_id.to_owned(),
            consumer: consumer.to_owned(),
            issued_ms: now,
            expires_ms,
        },
    );
    (secret, expires_ms)
}

fn refresh_key(token: &str) -> String {
    format!("{REFRESH}{}", token_sha256(token))
}

/// Adds a new refresh token for the transfer to `batch`; returns the secret.
pub fn issue_refresh(
    batch: &mut WriteBatch,
    transfer_id: &str,
    agreement_id: &str,
    consumer: &str,
) -> String {
    let secret = new_secret();
    batch.put(
        refresh_key(&secret),
        &RefreshGrant {
            transfer_id: transfer_id.to_owned(),
            agreement_id: agreement_id.to_owned(),
            consumer: consumer.to_owned(),
            issued_ms: now_ms(),
        },
    );
    secret
}

/// What a presented refresh token is (`None`: unknown, used, or its transfer ended).
pub fn lookup_refresh(store: &dyn Store, token: &str) -> Result<Option<RefreshGrant>, StoreError> {
    if token.is_empty() || token.len() > 256 {
        return Ok(None);
    }
    store.get(&refresh_key(token))
}

/// Adds the removal of a refresh token (used once) to `batch`.
pub fn consume_refresh(batch: &mut WriteBatch, token: &str) {
    batch.delete(refresh_key(token));
}

/// What a presented token is.
pub fn lookup(store: &dyn Store, token: &str) -> Result<Option<AccessToken>, StoreError> {
    if token.is_empty() || token.len() > 256 {
        return Ok(None);
    }
    store.get(&key(token))
}

/// Adds the removal of every access token of `transfer_id` (and of expired ones of any
/// transfer, a day after expiry) and of every refresh token of `transfer_id` to `batch`;
/// returns the number of access tokens removed.
pub fn revoke_all(
    store: &dyn Store,
    batch: &mut WriteBatch,
    transfer_id: &str,
) -> Result<usize, StoreError> {
    let now = now_ms();
    let mut n = 0;
    for (k, t) in store.scan::<AccessToken>(TOKEN)? {
        if t.transfer_id == transfer_id {
            batch.delete(k);
            n += 1;
        } else if t.expires_ms + 86_400_000 < now {
            batch.delete(k);
        }
    }
    for (k, g) in store.scan::<RefreshGrant>(REFRESH)? {
        if g.transfer_id == transfer_id {
            batch.delete(k);
        }
    }
    Ok(n)
}

/// Adds the removal of the access tokens of `transfer_id` only (a renewal: its refresh
/// token is consumed separately) to `batch`.
pub fn revoke_access(
    store: &dyn Store,
    batch: &mut WriteBatch,
    transfer_id: &str,
) -> Result<usize, StoreError> {
    let mut n = 0;
    for (k, t) in store.scan::<AccessToken>(TOKEN)? {
        if t.transfer_id == transfer_id {
            batch.delete(k);
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stored_hashed_and_revoked_per_transfer() {
        let store = crate::store::SledStore::temporary().expect("store");
        let mut batch = WriteBatch::new();
        let (a, _) = issue(&mut batch, "t1", "ag", "did:web:c", 60);
        let (b, exp) = issue(&mut batch, "t2", "ag", "did:web:c", 60);
        store.apply(batch).expect("apply");
        assert_ne!(a, b);
        assert!(exp > now_ms());
        let raw = store.scan_raw(TOKEN).expect("scan");
        assert!(
            raw.iter()
                .all(|(k, v)| !k.contains(&a) && !String::from_utf8_lossy(v).contains(&a))
        );
        assert_eq!(
            lookup(&store, &a).expect("get").expect("t1").transfer_id,
            "t1"
        );
        let mut batch = WriteBatch::new();
        assert_eq!(revoke_all(&store, &mut batch, "t1").expect("revoke"), 1);
        store.apply(batch).expect("apply");
        assert!(lookup(&store, &a).expect("get").is_none());
        assert!(lookup(&store, &b).expect("get").is_some());
        assert!(lookup(&store, "").expect("get").is_none());
    }

    #[test]
    fn refresh_tokens_are_stored_hashed_single_use_and_go_with_their_transfer() {
        let store = crate::store::SledStore::temporary().expect("store");
        let mut batch = WriteBatch::new();
        let r1 = issue_refresh(&mut batch, "t1", "ag", "did:web:c");
        let r2 = issue_refresh(&mut batch, "t2", "ag", "did:web:c");
        store.apply(batch).expect("apply");
        let raw = store.scan_raw(REFRESH).expect("scan");
        assert_eq!(raw.len(), 2);
        assert!(
            raw.iter()
                .all(|(k, v)| !k.contains(&r1) && !String::from_utf8_lossy(v).contains(&r1))
        );
        let g = lookup_refresh(&store, &r1).expect("get").expect("grant");
        assert_eq!(
            (g.transfer_id.as_str(), g.consumer.as_str()),
            ("t1", "did:web:c")
        );
        assert!(
            lookup(&store, &r1).expect("get").is_none(),
            "not an access token"
        );
        let mut batch = WriteBatch::new();
        consume_refresh(&mut batch, &r1);
        store.apply(batch).expect("apply");
        assert!(
            lookup_refresh(&store, &r1).expect("get").is_none(),
            "used once"
        );
        let mut batch = WriteBatch::new();
        revoke_all(&store, &mut batch, "t2").expect("revoke");
        store.apply(batch).expect("apply");
        assert!(lookup_refresh(&store, &r2).expect("get").is_none());
    }
}
