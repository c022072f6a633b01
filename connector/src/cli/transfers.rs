//! `connector transfer`, `connector transfers …`, `connector fetch` (through the management
//! API) and `connector audit …` (reading the audit log in the data folder directly, so it
//! works whether or not the connector runs).

use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::CliError;
use super::client::ManagementClient;
use super::output::{print, table, text, time};
use crate::audit::{AuditFilter, Head};
use crate::client::path_segment;
use crate::config::Config;

/// `connector transfer`.
#[derive(Args)]
pub struct TransferArgs {
    /// The agreement (as consumer) to transfer data under.
    #[arg(long)]
    pub agreement: String,
    /// The purpose of this use (default: the one declared in the negotiation).
    #[arg(long)]
    pub purpose: Option<String>,
    /// The provider's DSP base URL (default: the negotiation's).
    #[arg(long)]
    pub connector: Option<String>,
    /// Do not pull at once; fetch later with `connector fetch --transfer ID`.
    #[arg(long)]
    pub manual: bool,
    /// The transfer type (default HttpData-PULL; HttpData-PUSH to have the provider send the
    /// data; Sandbox-QUERY for sandbox access, then ask with `connector query`).
    #[arg(long, alias = "type")]
    pub format: Option<String>,
    /// HttpData-PUSH to an endpoint of your own instead of this connector's receiving
    /// endpoint: the HTTPS URL the provider PUTs the data to.
    #[arg(long, requires = "format")]
    pub push_endpoint: Option<String>,
    /// A file holding the bearer token the provider sends to `--push-endpoint` (kept out of
    /// the command line and the shell history).
    #[arg(long, requires = "push_endpoint")]
    pub push_token_file: Option<std::path::PathBuf>,
}

/// `connector fetch`.
#[derive(Args)]
pub struct FetchArgs {
    /// The transfer (consumer side, started by the provider).
    #[arg(long)]
    pub transfer: String,
}

/// `connector transfers …`.
#[derive(Subcommand)]
pub enum TransfersCommand {
    /// All transfers, newest first.
    List,
    /// One transfer with its history and progress.
    Show {
        /// The transfer's local id.
        id: String,
    },
    /// Suspend a started transfer (streams stop at once).
    Suspend {
        /// The transfer.
        id: String,
        /// Reasons given to the other side.
        #[arg(long)]
        reason: Vec<String>,
    },
    /// Restart a suspended transfer.
    Resume {
        /// The transfer.
        id: String,
    },
    /// Mark a started transfer complete.
    Complete {
        /// The transfer.
        id: String,
    },
    /// Terminate a transfer (streams stop, tokens become invalid).
    Terminate {
        /// The transfer.
        id: String,
        /// Reasons given to the other side.
        #[arg(long)]
        reason: Vec<String>,
    },
    /// Delete the data received in a transfer now (recorded in the audit log).
    DeleteData {
        /// The transfer.
        id: String,
    },
}

/// `connector audit …`.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain: finds changed, removed, reordered or cut-off entries. Exit code
    /// 1 when anything is wrong.
    Verify {
        /// A head recorded earlier elsewhere (`SEQ:HASH` from `connector audit head`): the log
        /// must still contain exactly that entry.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<Head>,
    },
    /// List entries, oldest first.
    Show {
        /// Only entries about this agreement.
        #[arg(long)]
        agreement: Option<String>,
        /// Only entries about this party (DID).
        #[arg(long)]
        party: Option<String>,
        /// Only entries about this process (negotiation or transfer id).
        #[arg(long)]
        process: Option<String>,
        /// Only this kind (negotiation, agreement, policy_decision, transfer, data_access,
        /// data_access_end, access_refused, data_received, deletion, log_recovered).
        #[arg(long)]
        kind: Option<String>,
        /// Only the last N matching entries.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Print the last entry's `SEQ:HASH`, to keep elsewhere and check against later.
    Head,
}

fn summary(t: &Value) -> Vec<String> {
    let bytes = t["progress"]["bytes"].as_u64().unwrap_or(0);
    let total = t["progress"]["total"].as_u64();
    vec![
        text(t, "id"),
        text(t, "role"),
        text(t, "state"),
        path_segment(&text(t, "agreement_id")),
        match total {
            Some(n) => format!("{bytes}/{n}"),
            None => bytes.to_string(),
        },
        time(&t["updated_ms"]),
    ]
}

/// `connector transfer`.
pub async fn start(
    api: &ManagementClient,
    json_out: bool,
    a: TransferArgs,
) -> Result<(), CliError> {
    let push_token = match &a.push_token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| CliError::Input(format!("--push-token-file {}: {e}", path.display())))?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    let t = api
        .post(
            "/api/v1/transfers",
            &json!({"agreement_id": a.agreement, "purpose": a.purpose, "connector": a.connector,
                    "manual_fetch": a.manual, "format": a.format,
                    "push_endpoint": a.push_endpoint, "push_token": push_token}),
        )
        .await?;
    print(json_out, &t, || {
        format!(
            "Transfer {} requested ({}). Follow it with `connector transfers show {}`{}.\n",
            text(&t, "id"),
            text(&t, "state"),
            text(&t, "id"),
            if a.manual {
                "; fetch the data with `connector fetch --transfer ID` once STARTED"
            } else {
                ""
            }
        )
    });
    Ok(())
}

/// `connector transfers …`.
pub async fn transfers(
    api: &ManagementClient,
    json_out: bool,
    c: TransfersCommand,
) -> Result<(), CliError> {
    let one = |id: &str, what: &str| format!("/api/v1/transfers/{}/{what}", path_segment(id));
    let v = match c {
        TransfersCommand::List => {
            let list = api.get("/api/v1/transfers").await?;
            let rows: Vec<Vec<String>> = list
                .as_array()
                .map(|a| a.iter().map(summary).collect())
                .unwrap_or_default();
            print(json_out, &list, || {
                table(
                    &["ID", "ROLE", "STATE", "AGREEMENT", "BYTES", "CHANGED"],
                    &rows,
                )
            });
            return Ok(());
        }
        TransfersCommand::Show { id } => {
            api.get(&format!("/api/v1/transfers/{}", path_segment(&id)))
                .await?
        }
        TransfersCommand::Suspend { id, reason } => {
            api.post(&one(&id, "suspend"), &json!({"reasons": reason}))
                .await?
        }
        TransfersCommand::Resume { id } => api.post(&one(&id, "resume"), &json!({})).await?,
        TransfersCommand::Complete { id } => api.post(&one(&id, "complete"), &json!({})).await?,
        TransfersCommand::Terminate { id, reason } => {
            api.post(&one(&id, "terminate"), &json!({"reasons": reason}))
                .await?
        }
        TransfersCommand::DeleteData { id } => {
            api.post(&one(&id, "delete-data"), &json!({})).await?
        }
    };
    print(json_out, &v, || {
        let mut out = table(
            &["ID", "ROLE", "STATE", "AGREEMENT", "BYTES", "CHANGED"],
            &[summary(&v)],
        );
        if let Some(end) = v.get("termination").filter(|e| !e.is_null()) {
            out.push_str(&format!(
                "Ended by {} ({}): {}\n",
                text(end, "by"),
                text(end, "code"),
                end["reasons"]
                    .as_array()
                    .map(|r| r
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" / "))
                    .unwrap_or_default()
            ));
        }
        for f in v["received"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "Stored: {} ({} bytes, SHA-256 {})\n",
                text(f, "stored_at"),
                text(f, "size"),
                text(f, "sha256")
            ));
        }
        out
    });
    Ok(())
}

/// `connector fetch`: asks the connector to pull the data (resuming a partial download) and
/// shows the progress with rate and ETA until it is stored and verified.
pub async fn fetch(api: &ManagementClient, json_out: bool, a: FetchArgs) -> Result<(), CliError> {
    let path = format!("/api/v1/transfers/{}", path_segment(&a.transfer));
    api.post(&format!("{path}/fetch"), &json!({})).await?;
    let bar = if json_out {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(0)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{bar:40}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .map_err(|e| CliError::Setup(e.to_string()))?
        .progress_chars("=> "),
    );
    loop {
        let t = api.get(&path).await?;
        if let Some(total) = t["progress"]["total"].as_u64() {
            bar.set_length(total);
        }
        bar.set_position(t["progress"]["bytes"].as_u64().unwrap_or(0));
        let done = !t["progress"]["done_ms"].is_null();
        let state = text(&t, "state");
        if done {
            bar.finish();
            print(json_out, &t, || {
                let mut out = String::new();
                for f in t["received"].as_array().into_iter().flatten() {
                    out.push_str(&format!(
                        "Stored and verified: {} ({} bytes, SHA-256 {})\n",
                        text(f, "stored_at"),
                        text(f, "size"),
                        text(f, "sha256")
                    ));
                }
                out
            });
            return Ok(());
        }
        if state == "TERMINATED" || state == "SUSPENDED" || state == "COMPLETED" {
            bar.abandon();
            let why = t["termination"]["reasons"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" / ")
                })
                .or_else(|| t["progress"]["last_error"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Err(CliError::Failed(format!(
                "the transfer is {state} without the data stored{}",
                if why.is_empty() {
                    String::new()
                } else {
                    format!(": {why}")
                }
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `connector audit …` (reads the log in the data folder).
pub fn audit(config: &Config, json_out: bool, c: AuditCommand) -> Result<(), CliError> {
    let dir = crate::audit::audit_dir(&config.data_dir());
    let log = dir.join(crate::audit::LOG_FILE);
    if !log.exists() {
        return Err(CliError::Input(format!(
            "no audit log at {} (has this connector run yet?)",
            log.display()
        )));
    }
    match c {
        AuditCommand::Verify { expect_head } => {
            let report = crate::audit::verify(&log, expect_head.as_ref())
                .map_err(|e| CliError::Input(e.to_string()))?;
            let value = serde_json::to_value(&report).unwrap_or(Value::Null);
            print(json_out, &value, || {
                let mut out = format!("{}: {} entries\n", log.display(), report.entries);
                if let Some(last) = &report.last {
                    out.push_str(&format!("Last entry: {}:{}\n", last.seq, last.hash));
                }
                if report.incomplete_tail {
                    out.push_str("The last line is incomplete (being written, or torn by a crash; cut off at the next start).\n");
                }
                if report.problems.is_empty() {
                    out.push_str("The chain is intact.\n");
                }
                for p in &report.problems {
                    out.push_str(&format!(
                        "PROBLEM line {}{}: {}\n",
                        p.line,
                        p.seq.map(|s| format!(" (seq {s})")).unwrap_or_default(),
                        p.message
                    ));
                }
                out
            });
            if report.problems.is_empty() {
                Ok(())
            } else {
                Err(CliError::Failed(format!(
                    "the audit log is not intact: {} problem(s), the first at line {}",
                    report.problems.len(),
                    report.problems[0].line
                )))
            }
        }
        AuditCommand::Show {
            agreement,
            party,
            process,
            kind,
            limit,
        } => {
            let filter = AuditFilter {
                agreement,
                party,
                process,
                kind,
                limit,
            };
            let entries = crate::audit::read_entries(&log, &filter)
                .map_err(|e| CliError::Input(e.to_string()))?;
            let value = serde_json::to_value(&entries).unwrap_or(Value::Null);
            print(json_out, &value, || {
                let rows: Vec<Vec<String>> = entries
                    .iter()
                    .map(|e| {
                        vec![
                            e.seq.to_string(),
                            e.at.clone(),
                            e.kind.as_str().to_owned(),
                            e.party.clone().unwrap_or_default(),
                            e.summary.clone(),
                        ]
                    })
                    .collect();
                table(&["SEQ", "AT", "KIND", "PARTY", "WHAT"], &rows)
            });
            Ok(())
        }
        AuditCommand::Head => {
            let report =
                crate::audit::verify(&log, None).map_err(|e| CliError::Input(e.to_string()))?;
            let last = report
                .last
                .ok_or_else(|| CliError::Failed("the audit log is empty".into()))?;
            print(
                json_out,
                &json!({"seq": last.seq, "hash": last.hash}),
                || format!("{}:{}\n", last.seq, last.hash),
            );
            Ok(())
        }
    }
}
