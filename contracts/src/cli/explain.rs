//! `contracts explain`: evaluate a request against a policy and print the full report.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Args;
use contracts::charta::Charta;
use contracts::eval::{CompiledPolicy, DutyState, EvaluationRequest, Lang, WorldState};
use contracts::odrl::{Policy, terms};
use contracts::template::Template;
use serde::Deserialize;

use super::read_file;

/// Options of `contracts explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The policy: DSP JSON-LD (.json), Turtle (.ttl) or a template (.md).
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// A JSON file with the request and state of the world (fields: action, party, target,
    /// purpose, now, start, count, k, recipientType, ags, member, chartaVersion, spatial,
    /// duties {ACTION_OR_ID: fulfilled|pending|violated}, values {OPERAND_IRI: value}).
    #[arg(long, value_name = "FILE")]
    request: Option<PathBuf>,
    /// The requested action (default: use).
    #[arg(long)]
    action: Option<String>,
    /// The declared purpose (IRI or prefixed, e.g. gwd:Waermeplanung).
    #[arg(long)]
    purpose: Option<String>,
    /// The requesting party (DID).
    #[arg(long)]
    party: Option<String>,
    /// The dataset requested.
    #[arg(long)]
    target: Option<String>,
    /// The current time (RFC 3339); default: now.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// When the agreement started (RFC 3339), for elapsedTime.
    #[arg(long)]
    start: Option<DateTime<Utc>>,
    /// How many uses happened before this one.
    #[arg(long)]
    count: Option<u64>,
    /// The minimum group size of the requested aggregation.
    #[arg(long)]
    k: Option<u64>,
    /// The recipient's participant type (e.g. gwd:Municipality).
    #[arg(long)]
    recipient_type: Option<String>,
    /// The recipient's municipality key (repeatable).
    #[arg(long)]
    ags: Vec<String>,
    /// The recipient holds a valid membership credential.
    #[arg(long)]
    member: bool,
    /// The Charta version the recipient accepted.
    #[arg(long)]
    charta_version: Option<String>,
    /// The area the data is used for (AGS).
    #[arg(long)]
    spatial: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RequestFile {
    action: Option<String>,
    party: Option<String>,
    target: Option<String>,
    purpose: Option<String>,
    now: Option<DateTime<Utc>>,
    start: Option<DateTime<Utc>>,
    count: Option<u64>,
    k: Option<u64>,
    recipient_type: Option<String>,
    #[serde(default)]
    ags: Vec<String>,
    #[serde(default)]
    member: bool,
    charta_version: Option<String>,
    spatial: Option<String>,
    #[serde(default)]
    duties: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, serde_json::Value>,
}

fn load_policy(path: &std::path::Path, charta: &Charta) -> Result<Policy> {
    let text = read_file(path)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    match ext {
        "ttl" => Policy::from_turtle(&text, None).with_context(|| format!("{}", path.display())),
        "md" => {
            let t =
                Template::parse(&text).map_err(|e| anyhow::anyhow!("{}:\n{e}", path.display()))?;
            let rendered = t
                .render(&BTreeMap::new(), charta)
                .map_err(|e| anyhow::anyhow!("{}:\n{e}", path.display()))?;
            Ok(rendered.offer)
        }
        _ => {
            let value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", path.display()))?;
            Policy::from_dsp_json(&value).with_context(|| format!("{}", path.display()))
        }
    }
}

pub(crate) fn run(args: &ExplainArgs, charta: &Charta, lang: Lang) -> Result<ExitCode> {
    let policy = load_policy(&args.policy, charta)?;
    let file: RequestFile = match &args.request {
        Some(p) => serde_json::from_str(&read_file(p)?)
            .with_context(|| format!("request file {}", p.display()))?,
        None => RequestFile::default(),
    };
    let action = args
        .action
        .clone()
        .or(file.action)
        .unwrap_or_else(|| "use".into());
    let mut request = EvaluationRequest::new(&action);
    request.party = args.party.clone().or(file.party);
    request.target = args.target.clone().or(file.target);
    request.purpose = args
        .purpose
        .clone()
        .or(file.purpose)
        .map(|p| terms::expand_prefixed(&p));
    let mut world = WorldState::at(args.now.or(file.now).unwrap_or_else(Utc::now));
    world.agreement_start = args.start.or(file.start);
    world.use_count = args.count.or(file.count);
    world.aggregation_k = args.k.or(file.k);
    world.recipient.participant_type = args
        .recipient_type
        .clone()
        .or(file.recipient_type)
        .map(|t| terms::expand_prefixed(&t));
    world.recipient.ags = if args.ags.is_empty() {
        file.ags
    } else {
        args.ags.clone()
    };
    world.recipient.charta_member = args.member || file.member;
    world.recipient.charta_version = args.charta_version.clone().or(file.charta_version);
    world.spatial_scope = args.spatial.clone().or(file.spatial);
    for (key, state) in file.duties {
        let state = match state.as_str() {
            "fulfilled" => DutyState::Fulfilled,
            "pending" => DutyState::Pending,
            "violated" => DutyState::Violated,
            other => bail!("duty {key}: \"{other}\" is not fulfilled, pending or violated"),
        };
        world.duties.insert(terms::expand_vocab(&key), state);
    }
    for (key, v) in file.values {
        let value = match v {
            serde_json::Value::Number(n) if n.is_i64() => {
                contracts::eval::Value::Integer(n.as_i64().unwrap_or_default())
            }
            serde_json::Value::Number(n) => {
                contracts::eval::Value::Decimal(n.as_f64().unwrap_or_default())
            }
            serde_json::Value::Bool(b) => contracts::eval::Value::Boolean(b),
            serde_json::Value::String(s) => contracts::eval::Value::Text(s),
            other => bail!("value {key}: {other} is not a number, boolean or string"),
        };
        world.values.insert(terms::expand_vocab(&key), value);
    }
    let compiled =
        CompiledPolicy::compile(&policy, charta).context("the policy cannot be evaluated")?;
    let report = compiled.evaluate(&request, &world);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.explain(lang));
    }
    Ok(if report.is_permitted() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
