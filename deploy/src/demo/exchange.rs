//! The data flow and its record: Musterstadt starts a transfer under the agreement, Stadtwerke's
//! data plane streams the table straight to Musterstadt's connector (HTTP pull, never through
//! the broker), the stored file is checked against the provider's file by SHA-256, and both
//! audit logs verify (hash chain intact, the access and the receipt recorded).

use std::time::{Duration, Instant};

use connector::cli::ManagementClient;
use serde_json::{Value, json};
use sha2::Digest as _;

use super::contract::Offered;
use super::data;

/// How long the transfer may take.
const TRANSFER_LIMIT: Duration = Duration::from_secs(60);

/// How long an audit entry may take to reach the log after the change it records.
const AUDIT_LIMIT: Duration = Duration::from_secs(10);

/// What arrived.
pub struct Transferred {
    /// Bytes stored.
    pub bytes: u64,
    /// SHA-256 of the stored file (equal to the provider's).
    pub sha256: String,
    /// Where Musterstadt's connector stored it.
    pub stored_at: String,
    /// From the request to the verified file.
    pub took: Duration,
}

fn reasons(t: &Value) -> String {
    t["termination"]["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" / ")
        })
        .filter(|r| !r.is_empty())
        .or_else(|| t["progress"]["last_error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "no reason given".into())
}

/// Musterstadt transfers the data under `agreement` and checks what arrived.
pub async fn transfer(
    consumer: &ManagementClient,
    agreement: &str,
    offered: &Offered,
) -> Result<Transferred, String> {
    let started = Instant::now();
    let t = consumer
        .post(
            "/api/v1/transfers",
            &json!({"agreement_id": agreement, "purpose": data::PURPOSE}),
        )
        .await
        .map_err(|e| format!("starting the transfer: {e}"))?;
    let id = t["id"].as_str().ok_or("the transfer has no id")?.to_owned();
    let path = format!("/api/v1/transfers/{id}");
    let done = loop {
        let t = consumer.get(&path).await.map_err(|e| e.to_string())?;
        if !t["progress"]["done_ms"].is_null() {
            break t;
        }
        let state = t["state"].as_str().unwrap_or("?");
        if matches!(state, "TERMINATED" | "SUSPENDED" | "COMPLETED") {
            return Err(format!(
                "transfer {id} is {state} without the data stored: {}",
                reasons(&t)
            ));
        }
        if started.elapsed() > TRANSFER_LIMIT {
            return Err(format!(
                "transfer {id} still {state} after {} s",
                TRANSFER_LIMIT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let received = done["received"]
        .as_array()
        .and_then(|r| r.first())
        .ok_or_else(|| format!("transfer {id} finished without a stored file"))?;
    let stored_at = received["stored_at"]
        .as_str()
        .ok_or("the stored file has no path")?
        .to_owned();
    let reported = received["sha256"].as_str().unwrap_or_default();
    let bytes = std::fs::read(&stored_at).map_err(|e| format!("{stored_at}: {e}"))?;
    let actual = hex::encode(sha2::Sha256::digest(&bytes));
    if actual != offered.sha256 || reported != offered.sha256 {
        return Err(format!(
            "digest mismatch: Stadtwerke's file {}, Musterstadt's connector reports {reported}, the stored file is {actual}",
            offered.sha256
        ));
    }
    Ok(Transferred {
        bytes: bytes.len() as u64,
        sha256: actual,
        stored_at,
        took: started.elapsed(),
    })
}

/// One side's audit log.
pub struct AuditState {
    /// Entries in the log.
    pub entries: u64,
    /// The last entry as `SEQ:HASH` (shortened).
    pub head: String,
}

/// Checks `who`'s audit log: it records an entry of `kind` about `agreement`, and the hash
/// chain verifies.
///
/// An entry recorded with a state change (such as `data_received` with the verified file) is
/// staged with the change and moved into the log by the connector's writer a moment later, so
/// the entry is waited for (up to [`AUDIT_LIMIT`]) before the chain is checked.
pub async fn audit(
    api: &ManagementClient,
    who: &str,
    agreement: &str,
    kind: &str,
) -> Result<AuditState, String> {
    let query = format!(
        "/api/v1/audit?agreement={}&kind={kind}",
        url_component(agreement)
    );
    let started = Instant::now();
    loop {
        let entries = api
            .get(&query)
            .await
            .map_err(|e| format!("{who}'s audit log: {e}"))?;
        if entries.as_array().is_some_and(|e| !e.is_empty()) {
            break;
        }
        if started.elapsed() > AUDIT_LIMIT {
            return Err(format!(
                "{who}'s audit log has no {kind} entry about agreement {agreement} after {} s",
                AUDIT_LIMIT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let report = api
        .get("/api/v1/audit/verify")
        .await
        .map_err(|e| format!("{who}'s audit log: {e}"))?;
    if let Some(problems) = report["problems"].as_array().filter(|p| !p.is_empty()) {
        return Err(format!(
            "{who}'s audit log does not verify: {}",
            Value::Array(problems.clone())
        ));
    }
    let last = &report["last"];
    let hash = last["hash"].as_str().unwrap_or_default();
    Ok(AuditState {
        entries: report["entries"].as_u64().unwrap_or(0),
        head: format!("{}:{}…", last["seq"], hash.get(..12).unwrap_or(hash)),
    })
}

fn url_component(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
