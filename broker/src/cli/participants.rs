//! `broker participants list|approve|reject|revoke`: the operator's decisions, sent to the
//! admin listener over TLS with the admin token.

use std::path::Path;

use anyhow::{Context, bail};
use broker::BrokerConfig;
use serde_json::Value;

/// The participant commands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ParticipantsCommand {
    /// List participants (all, or only those with one status).
    List {
        /// pending, active, rejected or revoked.
        #[arg(long)]
        status: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Approve a pending join request; the authority issues the membership credential.
    Approve {
        /// The participant's DID.
        did: String,
    },
    /// Reject a pending join request (the participant may apply again).
    Reject {
        /// The participant's DID.
        did: String,
        /// Why (shown to the participant).
        #[arg(long)]
        reason: String,
    },
    /// Revoke a membership: the status list marks it at once and its datasets disappear.
    Revoke {
        /// The participant's DID.
        did: String,
        /// Why (published with the record).
        #[arg(long)]
        reason: String,
    },
}

fn admin_base(config: &BrokerConfig) -> String {
    let addr = config.listen.admin;
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        addr.ip().to_string()
    };
    let scheme = if config.tls.behind_proxy {
        "http"
    } else {
        "https"
    };
    format!("{scheme}://{host}:{}", addr.port())
}

fn client(config: &BrokerConfig) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .timeout(std::time::Duration::from_secs(30));
    if let Some(ca) = config
        .tls
        .ca_file
        .as_ref()
        .or(config.tls.cert_file.as_ref())
    {
        let pem = std::fs::read(ca).with_context(|| format!("cannot read {}", ca.display()))?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("{}: not a PEM certificate", ca.display()))?
        {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder.build()?)
}

fn path_url(base: &str, did: &str, action: &str) -> anyhow::Result<String> {
    let mut url = reqwest::Url::parse(base)?;
    url.path_segments_mut()
        .map_err(|_| anyhow::anyhow!("bad admin URL {base}"))?
        .extend(["admin", "v1", "participants", did, action]);
    Ok(url.to_string())
}

async fn send(request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let response = request.send().await.context(
        "cannot reach the admin listener; is `broker serve` running with this configuration?",
    )?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no details");
        bail!("{status}: {message}");
    }
    Ok(body)
}

fn print_table(list: &[Value]) {
    println!("{:<10} {:<14} {:<45} NAME", "STATUS", "TYPE", "DID");
    for p in list {
        let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("-").to_owned();
        println!(
            "{:<10} {:<14} {:<45} {}",
            s("status"),
            s("participantType"),
            s("did"),
            s("legalName")
        );
    }
}

pub(crate) fn run(config_path: &Path, cmd: ParticipantsCommand) -> anyhow::Result<()> {
    let config = BrokerConfig::load(config_path)?;
    let token = config.admin_token()?;
    let client = client(&config)?;
    let base = admin_base(&config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cmd {
            ParticipantsCommand::List { status, json } => {
                let mut url = reqwest::Url::parse(&format!("{base}/admin/v1/participants"))?;
                if let Some(s) = status {
                    url.query_pairs_mut().append_pair("status", &s);
                }
                let body = send(client.get(url).bearer_auth(&token)).await?;
                let list = body.as_array().cloned().unwrap_or_default();
                if json {
                    println!("{}", serde_json::to_string_pretty(&list)?);
                } else {
                    print_table(&list);
                }
            }
            ParticipantsCommand::Approve { did } => {
                let url = path_url(&base, &did, "approve")?;
                send(client.post(url).bearer_auth(&token)).await?;
                println!("approved {did}; its membership credential is issued");
            }
            ParticipantsCommand::Reject { did, reason } => {
                let url = path_url(&base, &did, "reject")?;
                send(
                    client
                        .post(url)
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"reason": reason})),
                )
                .await?;
                println!("rejected {did}");
            }
            ParticipantsCommand::Revoke { did, reason } => {
                let url = path_url(&base, &did, "revoke")?;
                send(
                    client
                        .post(url)
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"reason": reason})),
                )
                .await?;
                println!("revoked {did}; the status list marks it and its datasets are gone");
            }
        }
        Ok(())
    })
}
