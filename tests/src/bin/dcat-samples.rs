//! Writes sample self-descriptions for the DCAT-AP.de conformance check.
//!
//! `cargo run -p tests --bin dcat-samples -- OUTDIR [DATASETS] [SEED]` writes into OUTDIR:
//! the showcase self-descriptions (`musterstadt.ttl`, `stadtwerke.ttl`, and
//! `stadtwerke.jsonld` with the DCAT-AP.de context embedded), and the generated datasets
//! (DATASETS, default 600, from SEED, default 2025) grouped into one self-description per
//! publisher (`generated-NN.ttl`, 25 datasets each). CI validates every file with
//! `../shared/tools/validate-dcat-ap-de`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vocab::model::SelfDescription;
use vocab::rdf::{self, ContextMode};
use vocab::showcase;

const USAGE: &str = "usage: dcat-samples OUTDIR [DATASETS (default 600)] [SEED (default 2025)]";

fn write(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn turtle(sd: &SelfDescription) -> Result<String, String> {
    let graph = sd
        .to_graph()
        .map_err(|e| format!("{}: {e}", sd.catalog_id))?;
    if let Err(problems) = vocab::validate::validate(&graph) {
        return Err(format!(
            "{}: own DCAT-AP.de check failed:\n{problems}",
            sd.catalog_id
        ));
    }
    rdf::to_turtle(&graph).map_err(|e| format!("{}: {e}", sd.catalog_id))
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or(USAGE)?);
    let count: usize = match args.next() {
        Some(n) => n
            .parse()
            .map_err(|_| format!("DATASETS must be a number, got {n:?}\n{USAGE}"))?,
        None => 600,
    };
    let seed: u64 = match args.next() {
        Some(s) => s
            .parse()
            .map_err(|_| format!("SEED must be a number, got {s:?}\n{USAGE}"))?,
        None => 2025,
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;

    let musterstadt =
        showcase::musterstadt("https://musterstadt.example").map_err(|e| e.to_string())?;
    let stadtwerke =
        showcase::stadtwerke("https://stadtwerke.example").map_err(|e| e.to_string())?;
    write(&dir, "musterstadt.ttl", &turtle(&musterstadt)?)?;
    write(&dir, "stadtwerke.ttl", &turtle(&stadtwerke)?)?;
    let graph = stadtwerke.to_graph().map_err(|e| e.to_string())?;
    write(
        &dir,
        "stadtwerke.jsonld",
        &rdf::to_jsonld(&graph, ContextMode::Embedded).map_err(|e| e.to_string())?,
    )?;

    let generated = showcase::generate_self_descriptions(count, seed);
    for (i, sd) in generated.iter().enumerate() {
        write(&dir, &format!("generated-{:02}.ttl", i + 1), &turtle(sd)?)?;
    }
    let datasets: usize = generated.iter().map(|s| s.datasets.len()).sum();
    println!(
        "dcat-samples: wrote 2 showcase self-descriptions (+1 JSON-LD) and {} generated ones with {datasets} datasets to {}",
        generated.len(),
        dir.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dcat-samples: {e}");
            ExitCode::FAILURE
        }
    }
}
