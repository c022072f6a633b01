//! Keeping the federation's revocation list current: the status list credential is fetched
//! periodically, verified against the pinned authority key, and installed in the
//! [`CallerVerifier`]; from then on, callers with a revoked membership are refused (403).
//!
//! A provider also keeps the membership credential a consumer presented with its transfer
//! request ([`credential_in_authorization`]); the transfer service's watch checks it against
//! every newly installed list ([`revoked_entry`]) and stops the consumer's running
//! transfers once its bit is set.

use std::sync::Arc;
use std::time::Duration;

use contracts::membership::{StatusEntry, StatusList};
use tokio_util::sync::CancellationToken;
use vocab::jose::PublicKey;

use super::{CallerVerifier, MEMBERSHIP_CLAIM};
use crate::client::DspClient;

/// The membership credential inside the request token of an `Authorization: Bearer …`
/// header value (read without verification: call it only for a header the
/// [`CallerVerifier`] has accepted).
pub fn credential_in_authorization(authorization: &str) -> Option<String> {
    let token = authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))?
        .trim();
    let claims: serde_json::Value =
        serde_json::from_slice(&vocab::jose::peek_payload(token).ok()?).ok()?;
    claims
        .get(MEMBERSHIP_CLAIM)
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}

/// Where a membership credential's revocation bit lives (read without verification: the
/// credential was verified when it was presented).
pub fn status_entry(credential: &str) -> Option<StatusEntry> {
    let claims: serde_json::Value =
        serde_json::from_slice(&vocab::jose::peek_payload(credential).ok()?).ok()?;
    let status = claims.get("vc")?.get("credentialStatus")?;
    Some(StatusEntry {
        list_url: status.get("statusListCredential")?.as_str()?.to_owned(),
        index: status.get("statusListIndex")?.as_str()?.parse().ok()?,
    })
}

/// The credential's status entry when `list` is the list it names and its bit is set.
pub fn revoked_entry(credential: &str, list: &StatusList) -> Option<StatusEntry> {
    let entry = status_entry(credential)?;
    (entry.list_url == list.url() && list.is_revoked(entry.index).ok()?).then_some(entry)
}

/// Fetches and verifies the list once (a public document: no request token).
pub async fn fetch(
    client: &DspClient,
    url: &str,
    authority: &PublicKey,
) -> Result<StatusList, String> {
    let response = client.get_public(url).await.map_err(|e| e.to_string())?;
    if !response.is_success() {
        return Err(format!("HTTP {}", response.status));
    }
    let jwt = std::str::from_utf8(&response.body)
        .map_err(|_| "the answer is not text".to_owned())?
        .trim();
    StatusList::verify(jwt, authority, crate::process::now_ms() / 1000).map_err(|e| e.to_string())
}

/// Refreshes the list every `every` until shut down, verified with the authority key the
/// verifier has pinned (nothing is fetched before `connector join` pinned it). A failed
/// refresh keeps the last good list (and is logged).
pub async fn keep_current(
    client: DspClient,
    url: String,
    verifier: Arc<CallerVerifier>,
    every: Duration,
    shutdown: CancellationToken,
) {
    loop {
        if let Some(authority) = verifier.authority_key() {
            match fetch(&client, &url, &authority).await {
                Ok(list) => {
                    tracing::debug!(%url, "revocation list refreshed");
                    verifier.set_status_list(list);
                }
                Err(e) => {
                    tracing::warn!(%url, error = %e, "cannot refresh the revocation list; keeping the last one")
                }
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use contracts::membership::{self, MembershipClaims, Validity};
    use vocab::jose::SigningKey;

    use super::*;

    fn credential(list_url: &str, index: u64) -> String {
        let authority = SigningKey::generate("did:web:authority.test#key-1").expect("key");
        let participant = SigningKey::generate("did:web:a.test#key-1").expect("key");
        let claims = MembershipClaims {
            participant: "did:web:a.test".into(),
            legal_name: "A".into(),
            participant_type: "https://example.org/Municipality".into(),
            ags: vec!["09162000".into()],
            charta_version: "1.0".into(),
            charta_hash: "00".into(),
            participant_key: participant.public_key(),
            status: StatusEntry {
                list_url: list_url.into(),
                index,
            },
        };
        membership::issue(
            &authority,
            &claims,
            Validity {
                not_before: 0,
                not_after: i64::MAX / 2,
            },
        )
        .expect("issue")
    }

    #[test]
    fn a_set_bit_of_the_named_list_revokes_and_nothing_else_does() {
        let url = "https://authority.test/status/1";
        let vc = credential(url, 42);
        let mut list = StatusList::new(url, StatusList::MIN_ENTRIES);
        assert_eq!(revoked_entry(&vc, &list), None);
        list.revoke(41).expect("revoke");
        assert_eq!(revoked_entry(&vc, &list), None, "another bit");
        list.revoke(42).expect("revoke");
        let entry = revoked_entry(&vc, &list).expect("revoked");
        assert_eq!((entry.list_url.as_str(), entry.index), (url, 42));
        let mut other = StatusList::new("https://other.test/status", StatusList::MIN_ENTRIES);
        other.revoke(42).expect("revoke");
        assert_eq!(revoked_entry(&vc, &other), None, "another list");
        assert_eq!(revoked_entry("not a jwt", &list), None);
    }

    #[test]
    fn the_credential_is_read_from_a_bearer_header() {
        let vc = credential("https://authority.test/status/1", 3);
        let key = SigningKey::generate("did:web:a.test#key-1").expect("key");
        let mut claims = serde_json::Map::new();
        claims.insert(
            MEMBERSHIP_CLAIM.into(),
            serde_json::Value::String(vc.clone()),
        );
        let token = key.sign_jwt(&claims, Some("JWT")).expect("sign");
        assert_eq!(
            credential_in_authorization(&format!("Bearer {token}")),
            Some(vc)
        );
        assert_eq!(credential_in_authorization(&token), None, "no scheme");
        assert_eq!(credential_in_authorization("Bearer x.y.z"), None);
    }
}
