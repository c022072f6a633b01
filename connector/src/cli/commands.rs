//! The subcommands: `init` and `serve` locally, everything else through the management API.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::CliError;
use super::args::*;
use super::client::{ManagementClient, chain};
use super::output::{negotiation_summary, print, table, text, time};
use crate::client::path_segment;
use crate::config::Config;

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Init(args) = &cli.command {
        return init(args);
    }
    let config = Config::load(&cli.config).map_err(|e| {
        CliError::Setup(format!(
            "reading {} (use --config or CONNECTOR_CONFIG): {}",
            cli.config.display(),
            chain(&e)
        ))
    })?;
    if let Command::Serve = cli.command {
        crate::serve::serve(config)
            .await
            .map_err(|e| CliError::Setup(chain(&e)))?;
        return Ok(());
    }
    let api = ManagementClient::from_config(&config)?;
    let json_out = cli.json;
    match cli.command {
        Command::Init(_) | Command::Serve => unreachable!("handled above"),
        Command::Import(args) => import(&api, &args).await,
        Command::Join(args) => super::federation::join(&config, &api, json_out, args).await,
        Command::Publish => super::federation::publish(&api, json_out, false).await,
        Command::Unpublish => super::federation::publish(&api, json_out, true).await,
        Command::Status => {
            let mut s = api.get("/api/v1/status").await?;
            s["federation"] = api.get("/api/v1/federation").await?;
            print(json_out, &s, || {
                let federation = super::federation::federation_text(&s["federation"]);
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
                ) + &federation
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
        Command::Transfer(a) => super::transfers::start(&api, json_out, a).await,
        Command::Transfers(c) => super::transfers::transfers(&api, json_out, c).await,
        Command::Fetch(a) => super::transfers::fetch(&api, json_out, a).await,
        #[cfg(feature = "sandbox")]
        Command::Query(a) => super::query::query(&api, json_out, a).await,
        Command::Audit(c) => super::transfers::audit(&config, json_out, c),
        Command::Openapi => {
            println!("{}", api.get_text("/api/v1/openapi.json").await?);
            Ok(())
        }
    }
}

fn init(args: &InitArgs) -> Result<(), CliError> {
    let done = crate::init::init(&crate::init::InitOptions {
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

async fn import(api: &ManagementClient, args: &ImportArgs) -> Result<(), CliError> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| CliError::Input(format!("reading {}: {e}", args.file.display())))?;
    let rows = match crate::import::syntax_of(&args.file) {
        Some(syntax) => crate::import::parse_dcat(&bytes, syntax)?,
        None => {
            let text = String::from_utf8(bytes)
                .map_err(|_| CliError::Input("the CSV file is not UTF-8".into()))?;
            crate::import::parse_inventory(&text)?
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
        return Err(CliError::Partial(format!(
            "{failed} of {total} rows were not stored"
        )));
    }
    Ok(())
}

async fn assets(api: &ManagementClient, json_out: bool, c: AssetsCommand) -> Result<(), CliError> {
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
            let a = api
                .get(&format!("/api/v1/assets/{}", path_segment(&id)))
                .await?;
            println!("{}", serde_json::to_string_pretty(&a).unwrap_or_default());
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
            api.delete(&format!("/api/v1/assets/{}", path_segment(&id)))
                .await?;
            println!("Asset {id} deleted.");
        }
    }
    Ok(())
}

async fn templates(
    api: &ManagementClient,
    json_out: bool,
    c: TemplatesCommand,
) -> Result<(), CliError> {
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
                .map_err(|e| CliError::Input(format!("reading {}: {e}", file.display())))?;
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
                        path_segment(&id),
                        path_segment(&version)
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

async fn offers(api: &ManagementClient, json_out: bool, c: OffersCommand) -> Result<(), CliError> {
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
            api.delete(&format!("/api/v1/offers/{}", path_segment(&id)))
                .await?;
            println!("Offer {id} withdrawn.");
        }
    }
    Ok(())
}

async fn negotiate(
    api: &ManagementClient,
    json_out: bool,
    a: NegotiateArgs,
) -> Result<(), CliError> {
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
            .get(&format!("/api/v1/negotiations/{}", path_segment(&id)))
            .await?;
        let state = text(&current, "state");
        if state == "FINALIZED" || state == "TERMINATED" || std::time::Instant::now() > deadline {
            print(json_out, &current, || negotiation_summary(&current));
            if state == "TERMINATED" {
                return Err(CliError::Failed("the negotiation was terminated".into()));
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
) -> Result<(), CliError> {
    let one =
        |id: &str, action: &str| format!("/api/v1/negotiations/{}/{action}", path_segment(id));
    let result = match c {
        NegotiationsCommand::List { state, waiting } => {
            let mut path = "/api/v1/negotiations?".to_owned();
            if let Some(s) = state {
                path.push_str(&format!("state={}&", path_segment(&s.to_uppercase())));
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
            api.get(&format!("/api/v1/negotiations/{}", path_segment(&id)))
                .await?
        }
        NegotiationsCommand::Approve { id } => api.post(&one(&id, "approve"), &json!({})).await?,
        NegotiationsCommand::Reject { id, reasons } => {
            api.post(&one(&id, "reject"), &json!({"reasons": reasons}))
                .await?
        }
        NegotiationsCommand::Accept { id } => api.post(&one(&id, "accept"), &json!({})).await?,
        NegotiationsCommand::Counter {
            id,
            offer,
            template,
            template_version,
            params,
        } => {
            let body = match (offer, template) {
                (Some(offer), _) => {
                    let policy: Value =
                        serde_json::from_str(&std::fs::read_to_string(&offer).map_err(|e| {
                            CliError::Input(format!("reading {}: {e}", offer.display()))
                        })?)
                        .map_err(|e| {
                            CliError::Input(format!("{} is not JSON: {e}", offer.display()))
                        })?;
                    json!({"offer": policy})
                }
                (None, template) => {
                    let parameters: BTreeMap<String, String> = params.into_iter().collect();
                    json!({"template_id": template, "template_version": template_version,
                           "parameters": parameters})
                }
            };
            api.post(&one(&id, "counter"), &body).await?
        }
        NegotiationsCommand::Terminate { id, reasons } => {
            api.post(&one(&id, "terminate"), &json!({"reasons": reasons}))
                .await?
        }
    };
    print(json_out, &result, || negotiation_summary(&result));
    Ok(())
}

async fn agreements(
    api: &ManagementClient,
    json_out: bool,
    c: AgreementsCommand,
) -> Result<(), CliError> {
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
                            a["register"]["state"].as_str().unwrap_or("-").to_owned(),
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
                        "REGISTER",
                    ],
                    &rows,
                )
            });
        }
        AgreementsCommand::Show { id } => {
            let a = api
                .get(&format!("/api/v1/agreements/{}", path_segment(&id)))
                .await?;
            println!("{}", serde_json::to_string_pretty(&a).unwrap_or_default());
        }
        AgreementsCommand::Contract { id } => {
            print!(
                "{}",
                api.get_text(&format!(
                    "/api/v1/agreements/{}/contract",
                    path_segment(&id)
                ))
                .await?
            );
        }
    }
    Ok(())
}
