//! Imports catalogue dumps and prints, per file, how many datasets import cleanly and the
//! commonest problems.
//!
//! `cargo run --release -p vocab --example import_report -- FILE…` (`.ttl` Turtle, `.rdf`/`.xml`
//! RDF/XML). Without arguments, the four dumps in `../shared/specs/dcat-ap-de/catalogs`.

use vocab::import::import_catalog;
use vocab::rdf::Syntax;

fn main() {
    let mut files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/specs/dcat-ap-de/catalogs"
        );
        files = [
            "brandenburg-catalog-original-input.ttl",
            "bremen-catalog-original-input.rdf",
            "destatis-catalog-original-input.rdf",
            "rostock-catalog-original-input.rdf",
        ]
        .iter()
        .map(|f| format!("{dir}/{f}"))
        .collect();
    }
    let mut failed = false;
    for file in files {
        let syntax = if file.ends_with(".ttl") {
            Syntax::Turtle
        } else {
            Syntax::RdfXml
        };
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{file}: cannot read: {e}");
                failed = true;
                continue;
            }
        };
        match import_catalog(&bytes, syntax, Some("https://harvest.invalid/")) {
            Ok(report) => {
                let name = file.rsplit('/').next().unwrap_or(&file);
                print!("{name}: {} triples, {report}", report.triples);
            }
            Err(e) => {
                eprintln!("{file}: {e}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
