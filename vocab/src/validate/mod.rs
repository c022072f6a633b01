//! Our own check of the DCAT-AP.de 3.0 mandatory rules and of the controlled vocabularies the
//! self-descriptions use, over any graph.
//!
//! The official profile (SHACL, run by `../shared/tools/validate-dcat-ap-de`) stays the
//! reference; this check runs in-process without Python, covers the rules a self-description
//! can break, and explains each problem in plain words naming the node, the property and the
//! rule. Classes are matched with their usual subclasses (`foaf:Organization` is a
//! `foaf:Agent`, `vcard:Organization` a `vcard:Kind`), as the official validator does with RDFS
//! inference.
//!
//! ```
//! use vocab::{showcase, validate};
//! let graph = showcase::stadtwerke("https://stadtwerke.example").unwrap().to_graph().unwrap();
//! assert!(validate::validate(&graph).is_ok());
//!
//! let broken = vocab::rdf::parse(br#"
//!     <https://a.example/d> a <http://www.w3.org/ns/dcat#Dataset> ;
//!       <http://purl.org/dc/terms/title> "Baeume"@de ."#, vocab::rdf::Syntax::Turtle, None).unwrap();
//! let report = validate::validate(&broken).unwrap_err();
//! assert!(report.violations.iter().any(|v| v.rule == "dataset-description"));
//! println!("{report}");
//! ```

mod checker;
mod rules;

use std::fmt;

use oxigraph::model::Graph;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule's id (`dataset-title`, `distribution-license`, …).
    pub rule: &'static str,
    /// The node, as `<iri>` or `_:blank`.
    pub node: String,
    /// The property, as `<iri>`.
    pub property: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {} {}: {}",
            self.rule, self.node, self.property, self.message
        )
    }
}

/// All violations found in a graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The violations, ordered by node, property and rule.
    pub violations: Vec<Violation>,
}

impl Report {
    /// Whether nothing is wrong.
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty()
    }

    /// The violations of one rule.
    pub fn of_rule<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Violation> + 'a {
        self.violations.iter().filter(move |v| v.rule == rule)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.violations.is_empty() {
            return f.write_str("DCAT-AP.de 3.0: no violations");
        }
        writeln!(f, "DCAT-AP.de 3.0: {} violation(s)", self.violations.len())?;
        for v in &self.violations {
            writeln!(f, "  {v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Report {}

/// Checks every catalogue, dataset, distribution, data service, agent, contact point and period
/// of time in `graph`.
pub fn check(graph: &Graph) -> Report {
    let mut r = checker::Checker::new(graph);
    r.run();
    let mut violations = r.finish();
    violations.sort_by(|a, b| (&a.node, &a.property, a.rule).cmp(&(&b.node, &b.property, b.rule)));
    violations.dedup();
    Report { violations }
}

/// [`check`], as a `Result`: `Err` carries the report when anything is wrong.
pub fn validate(graph: &Graph) -> Result<(), Report> {
    let report = check(graph);
    if report.is_valid() {
        Ok(())
    } else {
        Err(report)
    }
}

#[cfg(test)]
mod tests;
