//! Command-line definitions and the command implementations.

mod explain;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use contracts::charta::{Charta, Level};
use contracts::eval::Lang;
use contracts::template::Template;

/// Largest input file read (templates, policies, requests): 4 MiB.
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// Contract templates, the Data-Sharing Charta and ODRL evaluation for the municipal data space.
///
/// Legal teams write contract templates as German Markdown with a front matter; this tool
/// checks them against the Charta, renders the contract (Markdown, HTML) and the ODRL offer,
/// lists the Charta's principles, and explains why a request to use data is permitted or
/// refused.
///
/// Exit status: 0 = clean / permitted, 1 = problems found / refused, 2 = the tool could not
/// run (unreadable file, bad arguments).
#[derive(Debug, Parser)]
#[command(name = "contracts", version, about, long_about, max_term_width = 100)]
pub(crate) struct Cli {
    /// Language of messages: de (Deutsch) or en (English).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "de",
        env = "CONTRACTS_LANG"
    )]
    lang: LangArg,
    /// A Charta file (TOML) to use instead of the built-in Charta 1.0.
    #[arg(long, global = true, value_name = "FILE")]
    charta: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LangArg {
    De,
    En,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check templates strictly: front matter, placeholders, parameters and their bounds,
    /// clauses and the Charta principles they implement, and the ODRL rules.
    ///
    /// Every problem is printed as FILE:LINE:COLUMN with what to do. Exit status 0 only when
    /// no file has an error (warnings for SOLL principles do not fail the check).
    ///
    /// Example: contracts check templates/*.md
    Check {
        /// Template files (Markdown with a +++ front matter).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The previously published version of the template (one FILE checked only): a
        /// changed text must have a higher version.
        #[arg(long, value_name = "FILE")]
        previous: Option<PathBuf>,
        /// The published version and SHA-256 of the template file, as VERSION:SHA256
        /// (instead of --previous).
        #[arg(long, value_name = "VERSION:SHA256")]
        published: Option<String>,
    },
    /// Render a contract from a template: the filled text (Markdown or HTML) or the ODRL offer
    /// as DSP JSON-LD. The output is deterministic; its SHA-256 (the contract hash agreements
    /// record) is printed on standard error.
    ///
    /// Example: contracts render templates/mobilitaetsdaten-verkehrsplanung.md --param dauer=P12M --format html
    Render {
        /// The template file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// A parameter value NAME=VALUE (repeatable); others take their defaults.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// What to produce.
        #[arg(long, value_enum, default_value = "markdown")]
        format: Format,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// List the Charta's principles (id, level, wording, what satisfies them) and its purposes.
    Principles,
    /// Evaluate a request against a policy and print the full report: every rule, premise,
    /// constraint (with the values compared) and duty, and the reasons for a refusal.
    ///
    /// POLICY is an ODRL policy as DSP JSON-LD (.json), Turtle (.ttl), or a template (.md,
    /// rendered with its defaults). The request and the state of the world come from a JSON
    /// file (--request) and/or the options below; options win.
    ///
    /// Example: contracts explain offer.json --action use --purpose gwd:Waermeplanung --now 2025-06-01T10:00:00Z --start 2025-01-01T00:00:00Z --member --ags 09162000
    Explain(Box<explain::ExplainArgs>),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// The filled contract text.
    Markdown,
    /// The filled contract as an HTML page.
    Html,
    /// The ODRL offer (DSP 2025-1 JSON-LD).
    Odrl,
}

/// Reads a UTF-8 file of at most 4 MiB.
pub(crate) fn read_file(path: &Path) -> Result<String> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() > MAX_FILE {
        bail!(
            "{} is {} bytes; at most {MAX_FILE} are read",
            path.display(),
            meta.len()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

fn load_charta(path: Option<&Path>) -> Result<Charta> {
    match path {
        None => Ok(Charta::default_1_0()),
        Some(p) => Charta::parse(&read_file(p)?).with_context(|| format!("Charta {}", p.display())),
    }
}

/// Runs a command and returns the exit code.
pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    let lang = match cli.lang {
        LangArg::De => Lang::De,
        LangArg::En => Lang::En,
    };
    let charta = load_charta(cli.charta.as_deref())?;
    match cli.command {
        Command::Check {
            files,
            previous,
            published,
        } => check(
            &files,
            previous.as_deref(),
            published.as_deref(),
            &charta,
            lang,
        ),
        Command::Render {
            file,
            params,
            format,
            output,
        } => render(&file, &params, format, output.as_deref(), &charta, lang),
        Command::Principles => {
            principles(&charta, lang);
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain(args) => explain::run(&args, &charta, lang),
    }
}

fn check(
    files: &[PathBuf],
    previous: Option<&Path>,
    published: Option<&str>,
    charta: &Charta,
    lang: Lang,
) -> Result<ExitCode> {
    if (previous.is_some() || published.is_some()) && files.len() != 1 {
        bail!("--previous and --published compare one template; give exactly one FILE");
    }
    let mut failed = false;
    for file in files {
        let name = file.display().to_string();
        let text = read_file(file)?;
        let template = match Template::parse(&text) {
            Ok(t) => t,
            Err(errors) => {
                for d in &errors.0 {
                    println!("{}", d.render(&name, lang));
                }
                failed = true;
                continue;
            }
        };
        let mut diags = template.check(charta);
        if let Some(prev) = previous {
            let prev_text = read_file(prev)?;
            let prev_t = Template::parse(&prev_text).map_err(|e| {
                anyhow::anyhow!(
                    "the previous version {} does not parse:\n{e}",
                    prev.display()
                )
            })?;
            diags.extend(template.check_version(&prev_t));
        }
        if let Some(p) = published {
            let (version, sha) = p
                .split_once(':')
                .context("--published takes VERSION:SHA256")?;
            diags.extend(template.check_published(version, sha));
        }
        for d in &diags {
            println!("{}", d.render(&name, lang));
        }
        if diags.iter().any(|d| d.is_error()) {
            failed = true;
        } else {
            let ok = match lang {
                Lang::De => "in Ordnung",
                _ => "ok",
            };
            println!(
                "{name}: {ok} ({} {}, SHA-256 {})",
                template.id,
                template.version_string(),
                template.sha256()
            );
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn render(
    file: &Path,
    params: &[String],
    format: Format,
    output: Option<&Path>,
    charta: &Charta,
    lang: Lang,
) -> Result<ExitCode> {
    let name = file.display().to_string();
    let text = read_file(file)?;
    let template = match Template::parse(&text) {
        Ok(t) => t,
        Err(errors) => {
            for d in &errors.0 {
                eprintln!("{}", d.render(&name, lang));
            }
            return Ok(ExitCode::from(1));
        }
    };
    let mut values = BTreeMap::new();
    for p in params {
        let (k, v) = p
            .split_once('=')
            .with_context(|| format!("--param {p}: expected NAME=VALUE"))?;
        if values.insert(k.trim().to_owned(), v.to_owned()).is_some() {
            bail!("--param {k} is given twice");
        }
    }
    let contract = match template.render(&values, charta) {
        Ok(c) => c,
        Err(errors) => {
            for d in &errors.0 {
                eprintln!("{}", d.render(&name, lang));
            }
            return Ok(ExitCode::from(1));
        }
    };
    let out = match format {
        Format::Markdown => contract.markdown.clone(),
        Format::Html => contract.html.clone(),
        Format::Odrl => format!(
            "{}\n",
            serde_json::to_string_pretty(&contract.offer.to_dsp_document())?
        ),
    };
    match output {
        Some(path) => std::fs::write(path, &out)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{out}"),
    }
    let label = match lang {
        Lang::De => "SHA-256 des Vertragstexts",
        _ => "SHA-256 of the contract text",
    };
    eprintln!("{label}: {}", contract.sha256);
    Ok(ExitCode::SUCCESS)
}

fn principles(charta: &Charta, lang: Lang) {
    let de = lang == Lang::De;
    println!(
        "{} {} (SHA-256 {})",
        charta.title(),
        charta.version(),
        charta.sha256()
    );
    println!();
    for p in charta.principles() {
        let scope = match (p.applies_to, de) {
            (contracts::charta::AppliesTo::PersonalAdjacent, true) => {
                " – für personennahe Datensätze"
            }
            (contracts::charta::AppliesTo::PersonalAdjacent, false) => {
                " – for personal-adjacent datasets"
            }
            _ => "",
        };
        let level = match (p.level, de) {
            (Level::Muss, _) => "MUSS",
            (_, true) => "SOLL",
            (_, false) => "SOLL (should)",
        };
        println!("{} {} [{level}{scope}]", p.id, p.title);
        println!("    {}", p.wording);
        println!(
            "    {}: {}",
            if de { "erfüllt durch" } else { "satisfied by" },
            p.pattern
        );
    }
    println!();
    println!(
        "{}",
        if de {
            "Zwecke (isA-Hierarchie):"
        } else {
            "Purposes (isA hierarchy):"
        }
    );
    for p in charta.purposes().all() {
        let label = if de { &p.label_de } else { &p.label_en };
        let parent = p
            .parent
            .as_deref()
            .map(|x| format!(" ⊂ {}", charta.purposes().label(x, de)))
            .unwrap_or_default();
        let allowed = match (p.allowed, de) {
            (true, _) => "",
            (false, true) => " [nicht erlaubt]",
            (false, false) => " [not allowed]",
        };
        println!("  {label}{parent}{allowed}\n      {}", p.iri);
    }
}
