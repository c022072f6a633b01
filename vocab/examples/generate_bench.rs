//! Measures the dataset generator and the RDF conversion, and prints the figures.
//!
//! `cargo run --release -p vocab --example generate_bench [DATASETS]` (default 100,000).

use std::time::Instant;

use vocab::{rdf, showcase, validate};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let t = Instant::now();
    let datasets = showcase::generate_datasets(n, 2025);
    assert_eq!(datasets.len(), n);
    let gen_secs = t.elapsed().as_secs_f64();
    println!(
        "generate_datasets({n}): {:.3} s, {:.0} datasets/s",
        gen_secs,
        n as f64 / gen_secs
    );

    let sample = n.min(10_000);
    let t = Instant::now();
    let sds = showcase::generate_self_descriptions(sample, 2025);
    let mut triples = 0;
    let mut bytes = 0;
    for sd in &sds {
        let g = sd
            .to_graph()
            .expect("generated self-descriptions are valid");
        triples += g.len();
        bytes += rdf::to_turtle(&g).expect("serializable").len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "to_graph + to_turtle of {sample} datasets in {} self-descriptions: {:.3} s, {:.0} datasets/s, {triples} triples, {:.1} MB Turtle",
        sds.len(),
        secs,
        sample as f64 / secs,
        bytes as f64 / 1e6
    );

    let t = Instant::now();
    let mut violations = 0;
    for sd in &sds {
        violations += validate::check(&sd.to_graph().expect("valid"))
            .violations
            .len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "to_graph + validate of {sample} datasets: {:.3} s, {:.0} datasets/s, {violations} violations",
        secs,
        sample as f64 / secs
    );
}
