//! `connector join`, `connector publish`, `connector unpublish`, and the federation lines of
//! `connector status`.
//!
//! Joining works on the configuration and the data folder, so it runs whether or not the
//! connector runs; afterwards it asks a running connector to read its membership again
//! (`POST /api/v1/federation/check`), so the new credential is used without a restart.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::CliError;
use super::args::JoinArgs;
use super::client::{ManagementClient, chain};
use super::output::{print, text, time};
use crate::config::Config;
use crate::federation::FederationError;
use crate::federation::join::{self, JoinOptions, JoinReport};
use crate::federation::local::JoinStatus;

fn failed(e: FederationError) -> CliError {
    CliError::Failed(chain(&e))
}

fn report_json(r: &JoinReport) -> Value {
    json!({
        "status": r.record.status.as_str(),
        "broker_url": r.record.broker_url,
        "did": r.record.did,
        "authority_did": r.record.authority_did,
        "authority_thumbprint": r.record.authority_thumbprint,
        "pinned_now": r.pinned_now,
        "charta_version": r.record.charta_version,
        "credential_file": r.credential_file.as_ref().map(|p| p.display().to_string()),
        "valid_until": r.valid_until,
        "reason": r.record.reason,
    })
}

fn report_text(r: &JoinReport) -> String {
    let mut out = String::new();
    if r.pinned_now {
        out.push_str(&format!(
            "Pinned the authority key of {} (JWK thumbprint {}).\n",
            r.record.authority_did, r.record.authority_thumbprint
        ));
    }
    match r.record.status {
        JoinStatus::Active => out.push_str(&format!(
            "Member of the federation at {}: credential stored in {} (valid until {}).\n",
            r.record.broker_url,
            r.credential_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "-".into()),
            r.valid_until.as_deref().unwrap_or("-")
        )),
        JoinStatus::Pending => out.push_str(&format!(
            "The join request waits for the federation operator's approval at {}.\n\
             Check again with `connector join --status` (or wait with `--wait`).\n",
            r.record.broker_url
        )),
        JoinStatus::Rejected => out.push_str(&format!(
            "The federation operator rejected the join request: {}\n",
            r.record.reason.as_deref().unwrap_or("no reason given")
        )),
        JoinStatus::Revoked => out.push_str(&format!(
            "The membership was revoked: {}\n",
            r.record.reason.as_deref().unwrap_or("no reason given")
        )),
    }
    out
}

/// Tells a running connector to read its membership again; a stopped one reads it at start.
async fn notify_running(api: &ManagementClient) -> Option<String> {
    match api.post("/api/v1/federation/check", &json!({})).await {
        Ok(v) => Some(text(&v["membership"], "message")),
        Err(CliError::Connect { .. }) => None,
        Err(e) => Some(format!(
            "the running connector could not be told: {}",
            chain(&e)
        )),
    }
}

/// `connector join`.
pub(super) async fn join(
    config: &Config,
    api: &ManagementClient,
    json_out: bool,
    args: JoinArgs,
) -> Result<(), CliError> {
    let mut report = if args.status {
        join::check_status(config).await.map_err(failed)?
    } else {
        let broker = args.broker.clone().ok_or_else(|| {
            CliError::Input(
                "--broker URL is required (or --status to look at a sent request)".into(),
            )
        })?;
        let participant_type = args.participant_type.clone().ok_or_else(|| {
            CliError::Input(format!(
                "--type is required: one of {}",
                join::PARTICIPANT_TYPES.join(", ")
            ))
        })?;
        let options = JoinOptions {
            broker_url: broker,
            authority_thumbprint: args.authority_thumbprint.clone(),
            participant_type,
            ags: args.ags.clone(),
        };
        join::join(config, &options).await.map_err(failed)?
    };
    if let Some(limit) = args.wait {
        let deadline = Instant::now() + Duration::from_secs(limit);
        let every = Duration::from_secs(args.poll_secs.max(1));
        while report.record.status == JoinStatus::Pending && Instant::now() < deadline {
            if !json_out {
                eprintln!("waiting for the federation operator's approval …");
            }
            tokio::time::sleep(every).await;
            report = join::check_status(config).await.map_err(failed)?;
        }
    }
    let running = notify_running(api).await;
    let mut value = report_json(&report);
    value["running_connector"] = json!(running);
    print(json_out, &value, || {
        let mut out = report_text(&report);
        match &running {
            Some(m) => out.push_str(&format!("Running connector: {m}\n")),
            None => out
                .push_str("The connector is not running; it uses the credential when it starts.\n"),
        }
        out
    });
    match report.record.status {
        JoinStatus::Active => Ok(()),
        JoinStatus::Pending if args.wait.is_some() => Err(CliError::Failed(
            "the join request is still pending (not approved within --wait)".into(),
        )),
        JoinStatus::Pending => Ok(()),
        JoinStatus::Rejected => Err(CliError::Failed("the join request was rejected".into())),
        JoinStatus::Revoked => Err(CliError::Failed("the membership is revoked".into())),
    }
}

/// The publication lines of `connector publish|unpublish|status`.
pub(super) fn federation_text(v: &Value) -> String {
    let m = &v["membership"];
    let p = &v["publication"];
    let mut out = format!(
        "Membership:   {} — {}\n",
        text(m, "state"),
        text(m, "message")
    );
    if let Some(b) = m["broker_url"].as_str() {
        out.push_str(&format!("Broker:       {b}\n"));
    }
    let publishing = v["publish"] == json!(true);
    out.push_str(&format!(
        "Publication:  {}{}\n",
        if publishing {
            "on"
        } else {
            "off (`connector publish` switches it on)"
        },
        match p["last_accepted_ms"].as_i64() {
            Some(_) => format!(
                ", last accepted {} ({} dataset(s), {} offer(s))",
                time(&p["last_accepted_ms"]),
                text(p, "datasets"),
                text(p, "offers")
            ),
            None => ", never accepted".into(),
        }
    ));
    if let Some(e) = p["last_error"].as_str() {
        out.push_str(&format!(
            "Last error:   {e} (attempt {}, next try {})\n",
            text(p, "failures"),
            time(&p["next_attempt_ms"])
        ));
    }
    if let Some(o) = v["outcome"].as_str() {
        out.push_str(&format!("Result:       {o}\n"));
    }
    out
}

/// `connector publish` / `connector unpublish`.
pub(super) async fn publish(
    api: &ManagementClient,
    json_out: bool,
    withdraw: bool,
) -> Result<(), CliError> {
    let path = if withdraw {
        "/api/v1/federation/unpublish"
    } else {
        "/api/v1/federation/publish"
    };
    let v = api.post(path, &json!({})).await?;
    print(json_out, &v, || federation_text(&v));
    Ok(())
}
