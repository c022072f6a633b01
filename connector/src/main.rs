//! `connector`: the command-line program of the municipal data space connector.
//!
//! `connector init` creates a participant, `connector serve` runs it; every other command
//! talks to the running connector through its management API.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use connector::cli::{ManagementClient, segment, table, text, time};
use connector::config::Config;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "connector",
    version,
    about = "The connector of the municipal data space: offer datasets under clear contracts, find and negotiate data of others.",
    long_about = "The connector of the municipal data space (Kommunaler Datenraum).\n\n\
        Every municipality and data holder runs one. It speaks the Eclipse Dataspace Protocol \
        (DSP 2025-1) with other connectors, negotiates contracts grounded in the Data-Sharing \
        Charta and keeps the signed agreements.\n\n\
        Start with `connector init`, then `connector serve`. All other commands talk to the \
        running connector through its management API (the address and token come from the \
        configuration file).",
    after_help = "Examples:\n  connector init --dir /srv/konnektor --public-url https://daten.musterstadt.example:8443 --legal-name \"Stadt Musterstadt\" --authority-did did:web:broker.example --authority-key authority.jwk\n  connector serve --config /srv/konnektor/connector.toml\n  connector import inventar.csv\n  connector negotiate --connector https://stadtwerke.example:8443/dsp --dataset strom-2024 --purpose gwd:Waermeplanung\n  connector negotiations list --waiting"
)]
struct Cli {
    /// The configuration file.
    #[arg(
        long,
        short,
        global = true,
        env = "CONNECTOR_CONFIG",
        default_value = "connector.toml"
    )]
    config: PathBuf,
    /// Print the API's JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a participant: key pair, did:web, management token, TLS certificate, data
    /// folder and a documented configuration file.
    Init(InitArgs),
    /// Run the connector (DSP protocol port and management port) until SIGTERM or Ctrl-C.
    Serve,
    /// Import metadata as assets: a CSV inventory (Metadatenkatalog) or a DCAT-AP.de
    /// catalogue (.ttl, .rdf, .jsonld). Prints a report per row; rows with problems are
    /// skipped, the rest is stored.
    Import(ImportArgs),
    /// Show the running connector's identity and state.
    Status,
    /// The datasets this connector offers.
    #[command(subcommand)]
    Assets(AssetsCommand),
    /// Contract templates written by legal teams.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Offers: an asset under a template's terms.
    #[command(subcommand)]
    Offers(OffersCommand),
    /// Show another connector's catalog (the offers it shows to you).
    Catalog(CounterpartyArgs),
    /// Start a contract negotiation for a dataset of another connector.
    Negotiate(NegotiateArgs),
    /// Watch and decide on contract negotiations.
    #[command(subcommand)]
    Negotiations(NegotiationsCommand),
    /// Concluded agreements with their German contract text.
    #[command(subcommand)]
    Agreements(AgreementsCommand),
    /// Print the management API's OpenAPI document.
    Openapi,
}

#[derive(Args)]
struct InitArgs {
    /// The folder to create the participant in.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// How other connectors reach this one: scheme, host and port (the did:web derives from it).
    #[arg(long)]
    public_url: String,
    /// The participant's legal name.
    #[arg(long)]
    legal_name: String,
    /// Where the DSP protocol listener binds.
    #[arg(long, default_value = "0.0.0.0:8443")]
    dsp_listen: String,
    /// Where the management API binds (keep it on localhost).
    #[arg(long, default_value = "127.0.0.1:8444")]
    management_listen: String,
    /// The federation authority's DID (the broker's).
    #[arg(long)]
    authority_did: String,
    /// The authority's public key (JWK, as in its did.json) to pin.
    #[arg(long)]
    authority_key: Option<PathBuf>,
}

#[derive(Args)]
struct ImportArgs {
    /// The file: .csv for an inventory; .ttl, .rdf, .xml, .jsonld for a DCAT-AP.de catalogue.
    file: PathBuf,
    /// Read and report only; store nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Subcommand)]
enum AssetsCommand {
    /// List assets.
    List,
    /// Show one asset.
    Show {
        /// The asset id.
        id: String,
    },
    /// Add an asset.
    Add {
        /// Its id (generated when omitted).
        #[arg(long)]
        id: Option<String>,
        /// Title (German).
        #[arg(long)]
        title: String,
        /// Description (German).
        #[arg(long, default_value = "")]
        description: String,
        /// EU data theme codes (repeatable): ENER, ENVI, TRAN, …
        #[arg(long = "theme")]
        themes: Vec<String>,
        /// Keywords (repeatable).
        #[arg(long = "keyword")]
        keywords: Vec<String>,
        /// Municipality key (AGS, 8 digits).
        #[arg(long)]
        ags: Option<String>,
        /// Licence IRI.
        #[arg(long)]
        license: Option<String>,
        /// The data: a file path.
        #[arg(long, conflicts_with = "source")]
        file: Option<String>,
        /// The data: the name of a [sources.NAME] entry of the configuration.
        #[arg(long)]
        source: Option<String>,
        /// Personal-adjacent data (aggregate-only access).
        #[arg(long)]
        personal_adjacent: bool,
    },
    /// Delete an asset and its offers.
    Delete {
        /// The asset id.
        id: String,
    },
}

#[derive(Subcommand)]
enum TemplatesCommand {
    /// List templates.
    List,
    /// Add a template file (checked against the Charta first).
    Add {
        /// The template file (Markdown with TOML front matter).
        file: PathBuf,
    },
    /// Render a template with parameters and print the German contract.
    Render {
        /// Template id.
        id: String,
        /// Template version.
        version: String,
        /// Parameter values NAME=VALUE (repeatable).
        #[arg(long = "param", value_parser = parse_param)]
        params: Vec<(String, String)>,
    },
}

#[derive(Subcommand)]
enum OffersCommand {
    /// List offers.
    List,
    /// Offer an asset under a template.
    Add {
        /// The asset.
        #[arg(long)]
        asset: String,
        /// Template id.
        #[arg(long)]
        template: String,
        /// Template version.
        #[arg(long)]
        version: String,
        /// Parameter values NAME=VALUE (repeatable).
        #[arg(long = "param", value_parser = parse_param)]
        params: Vec<(String, String)>,
        /// Only participants of this type see the offer (repeatable): Municipality,
        /// PublicBody, Company, Research.
        #[arg(long = "visible-to-type")]
        types: Vec<String>,
        /// Only participants in this region see it (AGS key or prefix; repeatable).
        #[arg(long = "visible-to-region")]
        regions: Vec<String>,
    },
    /// Withdraw an offer.
    Delete {
        /// The offer id.
        id: String,
    },
}

#[derive(Args)]
struct CounterpartyArgs {
    /// The other connector's DSP base URL, e.g. https://stadtwerke.example:8443/dsp.
    #[arg(long)]
    connector: String,
    /// Its DID (derived from the URL when omitted).
    #[arg(long)]
    did: Option<String>,
}

#[derive(Args)]
struct NegotiateArgs {
    #[command(flatten)]
    counterparty: CounterpartyArgs,
    /// The dataset.
    #[arg(long)]
    dataset: String,
    /// The offer (needed when the dataset has several).
    #[arg(long)]
    offer: Option<String>,
    /// The purpose, e.g. gwd:Waermeplanung or a DPV IRI.
    #[arg(long)]
    purpose: Option<String>,
    /// Wait until the negotiation is finalized or terminated (at most this many seconds).
    #[arg(long)]
    wait: Option<u64>,
}

#[derive(Subcommand)]
enum NegotiationsCommand {
    /// List negotiations.
    List {
        /// Only this state.
        #[arg(long)]
        state: Option<String>,
        /// Only those waiting for your decision.
        #[arg(long)]
        waiting: bool,
    },
    /// Show one negotiation with its history and reasons.
    Show {
        /// The negotiation id.
        id: String,
    },
    /// Provider: approve a request waiting for approval.
    Approve {
        /// The negotiation id.
        id: String,
    },
    /// Provider: reject a request.
    Reject {
        /// The negotiation id.
        id: String,
        /// Reasons (repeatable; German first).
        #[arg(long = "reason")]
        reasons: Vec<String>,
    },
    /// Consumer: accept the provider's offer.
    Accept {
        /// The negotiation id.
        id: String,
    },
    /// Propose other terms (an ODRL policy as JSON file).
    Counter {
        /// The negotiation id.
        id: String,
        /// The policy file.
        #[arg(long)]
        offer: PathBuf,
    },
    /// Terminate a negotiation.
    Terminate {
        /// The negotiation id.
        id: String,
        /// Reasons (repeatable; German first).
        #[arg(long = "reason")]
        reasons: Vec<String>,
    },
}

#[derive(Subcommand)]
enum AgreementsCommand {
    /// List agreements.
    List,
    /// Show one agreement (signatures and parties).
    Show {
        /// The agreement id.
        id: String,
    },
    /// Print the agreement's German contract text.
    Contract {
        /// The agreement id.
        id: String,
    },
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .ok_or_else(|| format!("{s:?}: expected NAME=VALUE"))
}

fn main() {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("CONNECTOR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    if let Command::Init(args) = &cli.command {
        return init(args);
    }
    let config = Config::load(&cli.config).with_context(|| {
        format!(
            "reading {} (use --config or CONNECTOR_CONFIG)",
            cli.config.display()
        )
    })?;
    if let Command::Serve = cli.command {
        connector::serve::serve(config).await?;
        return Ok(());
    }
    let api = ManagementClient::from_config(&config)?;
    let json_out = cli.json;
    match cli.command {
        Command::Init(_) | Command::Serve => unreachable!("handled above"),
        Command::Import(args) => import(&api, &args).await,
        Command::Status => {
            let s = api.get("/api/v1/status").await?;
            print(json_out, &s, || {
                format!(
                    "DID:          {}\nName:         {}\nDSP endpoint: {}\nVersion:      {}\nCredential:   {}\nTCK mode:     {}\nOutbox:       {} message(s) waiting\n",
                    text(&s, "did"),
                    text(&s, "legal_name"),
                    text(&s, "dsp_base_url"),
                    text(&s, "version"),
                    if s["has_membership_credential"] == json!(true) {
                        "present"
                    } else {
                        "MISSING"
                    },
                    text(&s, "tck_mode"),
                    text(&s, "outbox_pending")
                )
            });
            Ok(())
        }
        Command::Assets(c) => assets(&api, json_out, c).await,
        Command::Templates(c) => templates(&api, json_out, c).await,
        Command::Offers(c) => offers(&api, json_out, c).await,
        Command::Catalog(c) => {
            let cat = api
                .post(
                    "/api/v1/catalog/request",
                    &json!({"connector": c.connector, "did": c.did}),
                )
                .await?;
            print(json_out, &cat, || {
                let rows: Vec<Vec<String>> = cat["dataset"]
                    .as_array()
                    .map(|ds| {
                        ds.iter()
                            .map(|d| {
                                let offers: Vec<String> = d["hasPolicy"]
                                    .as_array()
                                    .map(|o| o.iter().map(|p| text(p, "@id")).collect())
                                    .unwrap_or_default();
                                vec![text(d, "@id"), text(d, "dct:title"), offers.join(", ")]
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                format!(
                    "Catalog of {}\n{}",
                    text(&cat, "participantId"),
                    table(&["DATASET", "TITLE", "OFFERS"], &rows)
                )
            });
            Ok(())
        }
        Command::Negotiate(a) => negotiate(&api, json_out, a).await,
        Command::Negotiations(c) => negotiations(&api, json_out, c).await,
        Command::Agreements(c) => agreements(&api, json_out, c).await,
        Command::Openapi => {
            println!("{}", api.get_text("/api/v1/openapi.json").await?);
            Ok(())
        }
    }
}

fn print(json_out: bool, value: &Value, human: impl FnOnce() -> String) {
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    } else {
        print!("{}", human());
    }
}

fn init(args: &InitArgs) -> Result<()> {
    let done = connector::init::init(&connector::init::InitOptions {
        dir: args.dir.clone(),
        public_url: args.public_url.clone(),
        legal_name: args.legal_name.clone(),
        dsp_listen: args.dsp_listen.clone(),
        management_listen: args.management_listen.clone(),
        authority_did: args.authority_did.clone(),
        authority_key: args.authority_key.clone(),
    })?;
    println!("Created {}", done.config_file.display());
    println!("DID:        {}", done.did);
    println!("Public key: {}", done.public_jwk);
    println!("\nStill to do:");
    for t in &done.todo {
        println!("  - {t}");
    }
    println!(
        "\nThen start it with: connector serve --config {}",
        done.config_file.display()
    );
    Ok(())
}

async fn import(api: &ManagementClient, args: &ImportArgs) -> Result<()> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let rows = match connector::import::syntax_of(&args.file) {
        Some(syntax) => connector::import::parse_dcat(&bytes, syntax)?,
        None => {
            let text = String::from_utf8(bytes).context("the CSV file is not UTF-8")?;
            connector::import::parse_inventory(&text)?
        }
    };
    let total = rows.len();
    let mut failed = 0usize;
    let mut stored = 0usize;
    let valid: Vec<(String, Value)> = rows
        .iter()
        .filter_map(|r| match &r.asset {
            Ok(a) => Some((
                r.origin.clone(),
                serde_json::to_value(a).unwrap_or(Value::Null),
            )),
            Err(e) => {
                failed += 1;
                println!("{}: skipped — {e}", r.origin);
                None
            }
        })
        .collect();
    for r in &rows {
        for note in &r.notes {
            if r.asset.is_ok() {
                println!("{}: note — {note}", r.origin);
            }
        }
    }
    if args.dry_run {
        println!(
            "\n{total} rows read: {} valid, {failed} with problems (dry run: nothing stored)",
            valid.len()
        );
        return Ok(());
    }
    let bar = indicatif::ProgressBar::new(valid.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} assets stored {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    for chunk in valid.chunks(200) {
        let body = Value::Array(chunk.iter().map(|(_, v)| v.clone()).collect());
        let report = api.post("/api/v1/assets/batch", &body).await?;
        for item in report.as_array().into_iter().flatten() {
            let index = item["index"].as_u64().unwrap_or_default() as usize;
            let origin = chunk.get(index).map(|(o, _)| o.as_str()).unwrap_or("?");
            if item["status"] == "error" {
                failed += 1;
                let line = format!("{origin}: refused — {}", text(item, "message"));
                bar.suspend(|| println!("{line}"));
            } else {
                stored += 1;
            }
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    println!("{total} rows read: {stored} assets stored, {failed} with problems");
    if failed > 0 {
        std::process::exit(2);
    }
    Ok(())
}

async fn assets(api: &ManagementClient, json_out: bool, c: AssetsCommand) -> Result<()> {
    match c {
        AssetsCommand::List => {
            let list = api.get("/api/v1/assets").await?;
            print(json_out, &list, || {
                let rows: Vec<Vec<String>> = list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        vec![
                            text(a, "id"),
                            text(a, "title"),
                            text(a, "ags"),
                            a["themes"]
                                .as_array()
                                .map(|t| {
                                    t.iter()
                                        .filter_map(Value::as_str)
                                        .collect::<Vec<_>>()
                                        .join(",")
                                })
                                .unwrap_or_default(),
                        ]
                    })
                    .collect();
                table(&["ID", "TITLE", "AGS", "THEMES"], &rows)
            });
        }
        AssetsCommand::Show { id } => {
            let a = api.get(&format!("/api/v1/assets/{}", segment(&id))).await?;
            println!("{}", serde_json::to_string_pretty(&a)?);
        }
        AssetsCommand::Add {
            id,
            title,
            description,
            themes,
            keywords,
            ags,
            license,
            file,
            source,
            personal_adjacent,
        } => {
            let src = match (file, source) {
                (Some(f), _) => json!({"file": f}),
                (None, Some(s)) => json!({"source": s}),
                (None, None) => Value::Null,
            };
            let body = json!({"id": id, "title": title, "description": description, "themes": themes,
                "keywords": keywords, "ags": ags, "license": license, "personal_adjacent": personal_adjacent,
                "source": src});
            let a = api.post("/api/v1/assets", &body).await?;
            print(json_out, &a, || {
                format!("Asset {} added.\n", text(&a, "id"))
            });
        }
        AssetsCommand::Delete { id } => {
            api.delete(&format!("/api/v1/assets/{}", segment(&id)))
                .await?;
            println!("Asset {id} deleted.");
        }
    }
    Ok(())
}

async fn templates(api: &ManagementClient, json_out: bool, c: TemplatesCommand) -> Result<()> {
    match c {
        TemplatesCommand::List => {
            let list = api.get("/api/v1/templates").await?;
            print(json_out, &list, || {
                let rows: Vec<Vec<String>> = list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| vec![text(t, "id"), text(t, "version"), text(t, "title")])
                    .collect();
                table(&["ID", "VERSION", "TITLE"], &rows)
            });
        }
        TemplatesCommand::Add { file } => {
            let body = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let t = api
                .post_text("/api/v1/templates", body, "text/markdown; charset=utf-8")
                .await?;
            print(json_out, &t, || {
                let mut s = format!(
                    "Template {} {} added ({}).\n",
                    text(&t, "id"),
                    text(&t, "version"),
                    text(&t, "title")
                );
                for w in t["warnings"].as_array().into_iter().flatten() {
                    s.push_str(&format!("warning: {}\n", w.as_str().unwrap_or_default()));
                }
                s
            });
        }
        TemplatesCommand::Render {
            id,
            version,
            params,
        } => {
            let parameters: BTreeMap<String, String> = params.into_iter().collect();
            let r = api
                .post(
                    &format!(
                        "/api/v1/templates/{}/{}/render",
                        segment(&id),
                        segment(&version)
                    ),
                    &json!({"parameters": parameters}),
                )
                .await?;
            print(json_out, &r, || {
                format!(
                    "{}\n\nSHA-256: {}\n",
                    text(&r, "markdown"),
                    text(&r, "sha256")
                )
            });
        }
    }
    Ok(())
}

async fn offers(api: &ManagementClient, json_out: bool, c: OffersCommand) -> Result<()> {
    match c {
        OffersCommand::List => {
            let list = api.get("/api/v1/offers").await?;
            print(json_out, &list, || {
                let rows: Vec<Vec<String>> = list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| {
                        vec![
                            text(o, "id"),
                            text(o, "asset_id"),
                            o["template"]
                                .get("id")
                                .map(|v| v.as_str().unwrap_or_default().to_owned())
                                .unwrap_or_else(|| "-".into()),
                            text(o, "approval"),
                            if o["visibility"].is_null() {
                                "all members".into()
                            } else {
                                "restricted".into()
                            },
                        ]
                    })
                    .collect();
                table(
                    &["ID", "ASSET", "TEMPLATE", "APPROVAL", "VISIBLE TO"],
                    &rows,
                )
            });
        }
        OffersCommand::Add {
            asset,
            template,
            version,
            params,
            types,
            regions,
        } => {
            let parameters: BTreeMap<String, String> = params.into_iter().collect();
            let visible = if types.is_empty() && regions.is_empty() {
                Value::Null
            } else {
                json!({"participant_types": types, "regions": regions})
            };
            let o = api
                .post("/api/v1/offers", &json!({"asset_id": asset, "template_id": template, "template_version": version, "parameters": parameters, "visible_to": visible}))
                .await?;
            print(json_out, &o, || {
                format!(
                    "Offer {} created (approval: {}).\n",
                    text(&o, "id"),
                    text(&o, "approval")
                )
            });
        }
        OffersCommand::Delete { id } => {
            api.delete(&format!("/api/v1/offers/{}", segment(&id)))
                .await?;
            println!("Offer {id} withdrawn.");
        }
    }
    Ok(())
}

fn negotiation_summary(n: &Value) -> String {
    let mut s = format!(
        "Negotiation {}\n  role:         {}\n  state:        {}\n  counterparty: {} {}\n  dataset:      {}\n  offer:        {}\n",
        text(n, "id"),
        text(n, "role"),
        text(n, "state"),
        text(&n["counterparty"], "id"),
        n["counterparty"]
            .get("legal_name")
            .and_then(Value::as_str)
            .map(|l| format!("({l})"))
            .unwrap_or_default(),
        text(n, "dataset_id"),
        text(n, "offer_id")
    );
    if let Some(w) = n["waiting"].as_str() {
        s.push_str(&format!(
            "  waiting for:  {}\n",
            if w == "approval" {
                "your approval (approve or reject)"
            } else {
                "your decision on the offer (accept, counter or terminate)"
            }
        ));
    }
    if let Some(t) = n.get("termination").filter(|t| !t.is_null()) {
        s.push_str(&format!(
            "  terminated by {} ({}):\n",
            text(t, "by"),
            text(t, "code")
        ));
        for r in t["reasons"].as_array().into_iter().flatten() {
            s.push_str(&format!("    - {}\n", r.as_str().unwrap_or_default()));
        }
    }
    if let Some(e) = n.get("evaluation").filter(|e| !e.is_null())
        && e["permitted"] == json!(false)
    {
        s.push_str("  evaluation: denied\n");
        for r in e["reasons_de"].as_array().into_iter().flatten() {
            s.push_str(&format!("    - {}\n", r.as_str().unwrap_or_default()));
        }
    }
    s.push_str("  history:\n");
    for h in n["history"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "    {}  {} by {} → {}\n",
            time(&h["at_ms"]),
            text(h, "message"),
            text(h, "by"),
            text(h, "state")
        ));
    }
    s
}

async fn negotiate(api: &ManagementClient, json_out: bool, a: NegotiateArgs) -> Result<()> {
    let n = api
        .post(
            "/api/v1/negotiations",
            &json!({"connector": a.counterparty.connector, "did": a.counterparty.did,
            "dataset_id": a.dataset, "offer_id": a.offer, "purpose": a.purpose}),
        )
        .await?;
    let id = text(&n, "id");
    let Some(secs) = a.wait else {
        print(json_out, &n, || {
            format!("Negotiation {id} started; follow it with: connector negotiations show {id}\n")
        });
        return Ok(());
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let current = api
            .get(&format!("/api/v1/negotiations/{}", segment(&id)))
            .await?;
        let state = text(&current, "state");
        if state == "FINALIZED" || state == "TERMINATED" || std::time::Instant::now() > deadline {
            print(json_out, &current, || negotiation_summary(&current));
            if state == "TERMINATED" {
                bail!("the negotiation was terminated");
            }
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

async fn negotiations(
    api: &ManagementClient,
    json_out: bool,
    c: NegotiationsCommand,
) -> Result<()> {
    let one = |id: &str, action: &str| format!("/api/v1/negotiations/{}/{action}", segment(id));
    let result = match c {
        NegotiationsCommand::List { state, waiting } => {
            let mut path = "/api/v1/negotiations?".to_owned();
            if let Some(s) = state {
                path.push_str(&format!("state={}&", segment(&s.to_uppercase())));
            }
            if waiting {
                path.push_str("waiting=true");
            }
            let list = api.get(&path).await?;
            print(json_out, &list, || {
                let rows: Vec<Vec<String>> = list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|n| {
                        vec![
                            text(n, "id"),
                            text(n, "role"),
                            text(n, "state"),
                            text(&n["counterparty"], "id"),
                            text(n, "dataset_id"),
                            n["waiting"].as_str().unwrap_or("").to_owned(),
                        ]
                    })
                    .collect();
                table(
                    &["ID", "ROLE", "STATE", "COUNTERPARTY", "DATASET", "WAITING"],
                    &rows,
                )
            });
            return Ok(());
        }
        NegotiationsCommand::Show { id } => {
            api.get(&format!("/api/v1/negotiations/{}", segment(&id)))
                .await?
        }
        NegotiationsCommand::Approve { id } => api.post(&one(&id, "approve"), &json!({})).await?,
        NegotiationsCommand::Reject { id, reasons } => {
            api.post(&one(&id, "reject"), &json!({"reasons": reasons}))
                .await?
        }
        NegotiationsCommand::Accept { id } => api.post(&one(&id, "accept"), &json!({})).await?,
        NegotiationsCommand::Counter { id, offer } => {
            let policy: Value = serde_json::from_str(
                &std::fs::read_to_string(&offer)
                    .with_context(|| format!("reading {}", offer.display()))?,
            )
            .with_context(|| format!("{} is not JSON", offer.display()))?;
            api.post(&one(&id, "counter"), &json!({"offer": policy}))
                .await?
        }
        NegotiationsCommand::Terminate { id, reasons } => {
            api.post(&one(&id, "terminate"), &json!({"reasons": reasons}))
                .await?
        }
    };
    print(json_out, &result, || negotiation_summary(&result));
    Ok(())
}

async fn agreements(api: &ManagementClient, json_out: bool, c: AgreementsCommand) -> Result<()> {
    match c {
        AgreementsCommand::List => {
            let list = api.get("/api/v1/agreements").await?;
            print(json_out, &list, || {
                let rows: Vec<Vec<String>> = list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        vec![
                            text(a, "id"),
                            text(a, "role"),
                            text(a, "dataset_id"),
                            a.get("counterparty_name")
                                .and_then(Value::as_str)
                                .unwrap_or("-")
                                .to_owned(),
                            if a["fully_signed"] == json!(true) {
                                "both".into()
                            } else {
                                "incomplete".into()
                            },
                            time(&a["finalized_ms"]),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "ID",
                        "ROLE",
                        "DATASET",
                        "COUNTERPARTY",
                        "SIGNED",
                        "FINALIZED",
                    ],
                    &rows,
                )
            });
        }
        AgreementsCommand::Show { id } => {
            let a = api
                .get(&format!("/api/v1/agreements/{}", segment(&id)))
                .await?;
            println!("{}", serde_json::to_string_pretty(&a)?);
        }
        AgreementsCommand::Contract { id } => {
            print!(
                "{}",
                api.get_text(&format!("/api/v1/agreements/{}/contract", segment(&id)))
                    .await?
            );
        }
    }
    Ok(())
}
