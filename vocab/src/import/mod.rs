//! Import of existing catalogues (DCAT / DCAT-AP.de as RDF/XML or Turtle, as municipalities
//! publish them today) into the typed model.
//!
//! Real catalogues break DCAT-AP.de in many places. The import never fails as a whole for
//! that: each dataset is read on its own, and every value that is missing or unusable is
//! reported as a [`Problem`] with the node, the property and a plain explanation. A dataset
//! that lacks something DCAT-AP.de makes mandatory and that cannot be recovered (title,
//! description, publisher, a distribution with an access URL and a licence from the
//! DCAT-AP.de list) is skipped; unusable optional values (a theme outside the EU list, a
//! region that is not a municipality key, a malformed date) are dropped and the dataset is kept.
//!
//! ```
//! use vocab::import::import_catalog;
//! use vocab::rdf::Syntax;
//! let ttl = br#"
//! @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
//! @prefix foaf: <http://xmlns.com/foaf/0.1/> .
//! <https://k.example/c> a dcat:Catalog ; dct:publisher <https://k.example/org> ;
//!   dcat:dataset <https://k.example/d1>, <https://k.example/d2> .
//! <https://k.example/org> a foaf:Organization ; foaf:name "Stadt K" .
//! <https://k.example/d1> a dcat:Dataset ; dct:title "Spielplaetze"@de ;
//!   dct:description "Lage der Spielplaetze"@de ;
//!   dcat:theme <http://publications.europa.eu/resource/authority/data-theme/EDUC> ;
//!   dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://k.example/d1.csv> ;
//!     dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ] .
//! <https://k.example/d2> a dcat:Dataset ; dct:description "ohne Titel" .
//! "#;
//! let report = import_catalog(ttl, Syntax::Turtle, None).unwrap();
//! assert_eq!(report.imported().count(), 1);
//! assert_eq!(report.skipped().count(), 1);
//! assert!(report.datasets[1].problems.iter().any(|p| p.kind == "title-missing"));
//! ```

mod common;
mod dataset;
mod distribution;

use std::collections::BTreeMap;
use std::fmt;

use oxigraph::model::NamedOrBlankNodeRef;

use crate::error::Result;
use crate::model::{Agent, Dataset};
use crate::ns::{dcat, dct, rdf};
use crate::rdf::{NodeView, Syntax, parse};

/// Whether a problem cost the whole dataset or only a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// The value was repaired in a stated way (e.g. a deprecated property converted).
    Converted,
    /// The value was dropped; the dataset was kept.
    Dropped,
    /// The dataset was skipped.
    Skipped,
}

/// One problem with one dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A short code for counting (`licence-not-in-list`, `theme-not-eu`, …).
    pub kind: &'static str,
    /// What it cost.
    pub impact: Impact,
    /// The node (`<iri>` or `_:blank`): the dataset or one of its distributions.
    pub node: String,
    /// The property concerned (`<iri>`).
    pub property: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let impact = match self.impact {
            Impact::Converted => "converted",
            Impact::Dropped => "dropped",
            Impact::Skipped => "dataset skipped",
        };
        write!(
            f,
            "{} {}: {} ({impact})",
            self.node, self.property, self.message
        )
    }
}

/// The outcome for one dataset of the catalogue.
#[derive(Debug, Clone)]
pub struct ImportedDataset {
    /// The dataset node (`<iri>` or `_:blank`).
    pub node: String,
    /// The dataset, unless it was skipped.
    pub dataset: Option<Dataset>,
    /// What was missing or invalid.
    pub problems: Vec<Problem>,
}

impl ImportedDataset {
    /// Imported without any problem.
    pub fn is_clean(&self) -> bool {
        self.dataset.is_some() && self.problems.is_empty()
    }
}

/// The outcome of importing one catalogue.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The number of triples read.
    pub triples: usize,
    /// One entry per `dcat:Dataset` node, in node order.
    pub datasets: Vec<ImportedDataset>,
}

impl ImportReport {
    /// The datasets that were imported (with or without dropped values).
    pub fn imported(&self) -> impl Iterator<Item = &Dataset> {
        self.datasets.iter().filter_map(|d| d.dataset.as_ref())
    }

    /// The entries of skipped datasets.
    pub fn skipped(&self) -> impl Iterator<Item = &ImportedDataset> {
        self.datasets.iter().filter(|d| d.dataset.is_none())
    }

    /// The number of datasets imported with at most conversions (nothing dropped).
    pub fn without_loss(&self) -> usize {
        self.datasets
            .iter()
            .filter(|d| {
                d.dataset.is_some() && d.problems.iter().all(|p| p.impact == Impact::Converted)
            })
            .count()
    }

    /// The first problem of each kind, in the order of [`ImportReport::problem_counts`].
    pub fn examples(&self) -> Vec<&Problem> {
        self.problem_counts()
            .into_iter()
            .filter_map(|(kind, _)| {
                self.datasets
                    .iter()
                    .flat_map(|d| &d.problems)
                    .find(|p| p.kind == kind)
            })
            .collect()
    }

    /// The number of datasets imported without any problem.
    pub fn clean(&self) -> usize {
        self.datasets.iter().filter(|d| d.is_clean()).count()
    }

    /// How many datasets have each kind of problem, commonest first.
    pub fn problem_counts(&self) -> Vec<(&'static str, usize)> {
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for d in &self.datasets {
            let mut kinds: Vec<&'static str> = d.problems.iter().map(|p| p.kind).collect();
            kinds.sort_unstable();
            kinds.dedup();
            for k in kinds {
                *counts.entry(k).or_default() += 1;
            }
        }
        let mut v: Vec<_> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} datasets: {} imported ({} cleanly, {} more with conversions only), {} skipped",
            self.datasets.len(),
            self.imported().count(),
            self.clean(),
            self.without_loss() - self.clean(),
            self.skipped().count()
        )?;
        for (kind, n) in self.problem_counts() {
            writeln!(f, "  {n:>4} × {kind}")?;
        }
        Ok(())
    }
}

/// The largest catalogue accepted (16 MiB).
pub const MAX_CATALOG_BYTES: usize = crate::rdf::MAX_RDF_BYTES;

/// Reads a catalogue and imports each of its datasets. Fails only when the text is not RDF
/// of the given syntax (the error names line and column) or too large.
pub fn import_catalog(bytes: &[u8], syntax: Syntax, base: Option<&str>) -> Result<ImportReport> {
    let graph = parse(bytes, syntax, base)?;
    // Each dataset falls back on the publisher of the catalogue that lists it.
    let mut fallback: BTreeMap<String, Agent> = BTreeMap::new();
    for c in graph.subjects_for_predicate_object(rdf::TYPE, dcat::CATALOG) {
        let catalog = NodeView::new(&graph, c);
        let Some(publisher) = catalog
            .nodes(dct::PUBLISHER)
            .into_iter()
            .find_map(|p| dataset::read_agent_lenient(&p).ok())
        else {
            continue;
        };
        for d in catalog.nodes(dcat::DATASET_PROP) {
            fallback
                .entry(d.node().to_string())
                .or_insert_with(|| publisher.clone());
        }
    }
    let mut nodes: Vec<NamedOrBlankNodeRef<'_>> = graph
        .subjects_for_predicate_object(rdf::TYPE, dcat::DATASET)
        .collect();
    nodes.sort_by_key(|n| n.to_string());
    nodes.dedup();
    let datasets = nodes
        .into_iter()
        .map(|n| dataset::import_dataset(&NodeView::new(&graph, n), fallback.get(&n.to_string())))
        .collect();
    Ok(ImportReport {
        triples: graph.len(),
        datasets,
    })
}

/// The publisher used when a dataset names none: the catalogue's.
pub(crate) type Fallback<'a> = Option<&'a Agent>;

#[cfg(test)]
mod tests;
