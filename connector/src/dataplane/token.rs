//! Access tokens of pull transfers: random, short-lived, bound to one transfer, one agreement
//! and one consumer; only their SHA-256 is stored. A token alone is not enough: every data
//! request must also carry the consumer's own request token (membership credential, single
//! use), and the consumer it proves must be the one the token was issued to.
//!
//! Beside each access token the provider issues a refresh token ([`RefreshGrant`], stored
//! hashed too): presented once to the refresh endpoint (see `dataplane::refresh`) it buys a
//! new access token and a new refresh token, while the transfer runs. A used refresh token is
//! kept, marked used and naming its successor ([`UsedRefresh`]), so that a consumer that lost
//! the answer (a crash before it stored the new tokens) can present it once more within a
//! short grace window while the successor is unused ([`RefreshUse::Grace`]: the successor is
//! revoked and a fresh pair issued); any other reuse is a replay ([`RefreshUse::Replay`]).
//! Ending or restarting the transfer removes both kinds ([`revoke_all`]).

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
    /// Set once it was used (it is kept to recognise a replay or a lost answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<UsedRefresh>,
}

/// What became of a used refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedRefresh {
    /// When it was (last) used (ms).
    pub at_ms: i64,
    /// SHA-256 (hex) of the refresh token issued for it.
    pub successor_sha256: String,
    /// It was presented once more within the grace window (it works no more).
    #[serde(default)]
    pub reissued: bool,
}

/// What a presented refresh token may do (see [`refresh_use`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// Not used before: rotate.
    First,
    /// Used, but its successor has not been used and the grace window is open (the answer
    /// was lost): the successor is revoked and a fresh pair issued.
    Grace,
    /// Any other reuse: refused (the reason says why).
    Replay(String),
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
            used: None,
        },
    );
    secret
}

/// Decides what the presented refresh token of `grant` may do at `now` (ms) with a grace
/// window of `grace_ms` (0: none): a first use rotates; a second use is a lost answer only
/// while its successor is unused and `now` is within the window after the first use;
/// everything else is a replay.
pub fn refresh_use(
    store: &dyn Store,
    grant: &RefreshGrant,
    now: i64,
    grace_ms: i64,
) -> Result<RefreshUse, StoreError> {
    let Some(used) = &grant.used else {
        return Ok(RefreshUse::First);
    };
    if used.reissued {
        return Ok(RefreshUse::Replay(
            "the refresh token was already used and presented once more after a lost answer".into(),
        ));
    }
    let successor: Option<RefreshGrant> =
        store.get(&format!("{REFRESH}{}", used.successor_sha256))?;
    if successor.is_none_or(|s| s.used.is_some()) {
        return Ok(RefreshUse::Replay(
            "the refresh token was already used and its successor has been used since".into(),
        ));
    }
    if grace_ms <= 0 || now - used.at_ms > grace_ms {
        return Ok(RefreshUse::Replay(format!(
            "the refresh token was already used {} s ago; it is accepted once more only within {} s",
            (now - used.at_ms) / 1000,
            grace_ms / 1000
        )));
    }
    Ok(RefreshUse::Grace)
}

/// Adds the rotation of the presented refresh token (`presented`, whose grant is `grant`,
/// allowed as `allowed`) to `batch`: a new refresh token for the grant's transfer and
/// consumer, the presented one marked used and naming it; after a [`RefreshUse::Grace`] the
/// unused successor is removed and the presented one works no more. Returns the new refresh
/// token. (The access tokens are revoked by the caller, [`revoke_access`].)
pub fn rotate_refresh(
    batch: &mut WriteBatch,
    presented: &str,
    grant: &RefreshGrant,
    allowed: &RefreshUse,
    now: i64,
) -> String {
    let next = issue_refresh(
        batch,
        &grant.transfer_id,
        &grant.agreement_id,
        &grant.consumer,
    );
    let reissued = *allowed == RefreshUse::Grace;
    if let (true, Some(used)) = (reissued, &grant.used) {
        batch.delete(format!("{REFRESH}{}", used.successor_sha256));
    }
    let mut marked = grant.clone();
    marked.used = Some(UsedRefresh {
        at_ms: now,
        successor_sha256: token_sha256(&next),
        reissued,
    });
    batch.put(refresh_key(presented), &marked);
    next
}

/// What a presented refresh token is (`None`: unknown, or its transfer ended; a used one is
/// returned with [`RefreshGrant::used`] set).
pub fn lookup_refresh(store: &dyn Store, token: &str) -> Result<Option<RefreshGrant>, StoreError> {
    if token.is_empty() || token.len() > 256 {
        return Ok(None);
    }
    store.get(&refresh_key(token))
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
        rotate_refresh(&mut batch, &r1, &g, &RefreshUse::First, now_ms());
        store.apply(batch).expect("apply");
        let used = lookup_refresh(&store, &r1).expect("get").expect("kept");
        assert!(used.used.is_some(), "marked used");
        let mut batch = WriteBatch::new();
        revoke_all(&store, &mut batch, "t2").expect("revoke");
        store.apply(batch).expect("apply");
        assert!(lookup_refresh(&store, &r2).expect("get").is_none());
        let mut batch = WriteBatch::new();
        revoke_all(&store, &mut batch, "t1").expect("revoke");
        store.apply(batch).expect("apply");
        assert!(
            store.scan_raw(REFRESH).expect("scan").is_empty(),
            "used ones go with their transfer too"
        );
    }

    /// Issues a refresh token for `t1` and returns it with its grant.
    fn fresh(store: &crate::store::SledStore) -> (String, RefreshGrant) {
        let mut batch = WriteBatch::new();
        let r = issue_refresh(&mut batch, "t1", "ag", "did:web:c");
        store.apply(batch).expect("apply");
        let g = lookup_refresh(store, &r).expect("get").expect("grant");
        (r, g)
    }

    /// Presents `token` at `now` with a 60 s window; applies the rotation when allowed.
    fn present(
        store: &crate::store::SledStore,
        token: &str,
        now: i64,
    ) -> (RefreshUse, Option<String>) {
        let g = lookup_refresh(store, token).expect("get").expect("grant");
        let allowed = refresh_use(store, &g, now, 60_000).expect("decide");
        if matches!(allowed, RefreshUse::Replay(_)) {
            return (allowed, None);
        }
        let mut batch = WriteBatch::new();
        let next = rotate_refresh(&mut batch, token, &g, &allowed, now);
        store.apply(batch).expect("apply");
        (allowed, Some(next))
    }

    #[test]
    fn a_lost_answer_is_repaired_once_within_the_window_while_the_successor_is_unused() {
        let store = crate::store::SledStore::temporary().expect("store");
        let (r1, _) = fresh(&store);
        let t0 = now_ms();
        let (first, r2) = present(&store, &r1, t0);
        assert_eq!(first, RefreshUse::First);
        let r2 = r2.expect("successor");
        // The answer carrying r2 was lost: r1 once more, 30 s later.
        let (again, r3) = present(&store, &r1, t0 + 30_000);
        assert_eq!(again, RefreshUse::Grace);
        let r3 = r3.expect("fresh token");
        assert!(
            lookup_refresh(&store, &r2).expect("get").is_none(),
            "the unused successor is revoked"
        );
        // r1 a third time: a replay.
        let (third, _) = present(&store, &r1, t0 + 31_000);
        assert!(
            matches!(&third, RefreshUse::Replay(why) if why.contains("once more")),
            "{third:?}"
        );
        // The fresh token works as a first use.
        assert_eq!(present(&store, &r3, t0 + 32_000).0, RefreshUse::First);
    }

    #[test]
    fn reuse_after_the_successor_was_used_or_after_the_window_is_a_replay() {
        let store = crate::store::SledStore::temporary().expect("store");
        let t0 = now_ms();
        let (r1, _) = fresh(&store);
        let r2 = present(&store, &r1, t0).1.expect("r2");
        assert_eq!(present(&store, &r2, t0 + 1_000).0, RefreshUse::First);
        let (replay, _) = present(&store, &r1, t0 + 2_000);
        assert!(
            matches!(&replay, RefreshUse::Replay(why) if why.contains("successor has been used")),
            "{replay:?}"
        );
        // Another chain: the window passes with the successor unused.
        let (s1, _) = fresh(&store);
        let s2 = present(&store, &s1, t0).1.expect("s2");
        let (late, _) = present(&store, &s1, t0 + 60_001);
        assert!(
            matches!(&late, RefreshUse::Replay(why) if why.contains("within 60 s")),
            "{late:?}"
        );
        assert!(
            lookup_refresh(&store, &s2).expect("get").is_some(),
            "a refused replay leaves the successor working"
        );
        // No window configured: no second use at all.
        let (u1, _) = fresh(&store);
        let g = lookup_refresh(&store, &u1).expect("get").expect("grant");
        let mut batch = WriteBatch::new();
        rotate_refresh(&mut batch, &u1, &g, &RefreshUse::First, t0);
        store.apply(batch).expect("apply");
        let g = lookup_refresh(&store, &u1).expect("get").expect("grant");
        assert!(matches!(
            refresh_use(&store, &g, t0 + 1, 0).expect("decide"),
            RefreshUse::Replay(_)
        ));
    }
}
