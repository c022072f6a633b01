//! Keeping the federation's revocation list current: the status list credential is fetched
//! periodically, verified against the pinned authority key, and installed in the
//! [`CallerVerifier`]; from then on, callers with a revoked membership are refused (403).

use std::sync::Arc;
use std::time::Duration;

use contracts::membership::StatusList;
use tokio_util::sync::CancellationToken;
use vocab::jose::PublicKey;

use super::CallerVerifier;
use crate::client::DspClient;

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
