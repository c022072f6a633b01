//! The purpose list: DPV public-benefit purposes, municipal extensions, and their `isA` tree.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::ChartaError;

/// One purpose of the Charta's list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    /// Its IRI (`https://w3id.org/dpv#ImprovePublicServices`).
    pub iri: String,
    /// German label (`Verbesserung öffentlicher Dienstleistungen`).
    pub label_de: String,
    /// English label.
    pub label_en: String,
    /// The purpose it is a kind of (`isA`), if any.
    #[serde(default)]
    pub parent: Option<String>,
    /// Whether the Charta allows it (GW-1). Labelled non-public-benefit purposes such as
    /// advertising are listed with `allowed = false` so that refusals can name them.
    #[serde(default = "yes")]
    pub allowed: bool,
}

fn yes() -> bool {
    true
}

/// Purposes with their hierarchy: `is_a(child, ancestor)` follows `parent` links.
#[derive(Debug, Clone, Default)]
pub struct PurposeTree {
    purposes: Vec<Purpose>,
    index: HashMap<String, usize>,
}

impl PurposeTree {
    /// Builds the tree; every parent must be listed, and there must be no cycle.
    pub fn new(purposes: Vec<Purpose>) -> Result<PurposeTree, ChartaError> {
        let mut index = HashMap::new();
        for (i, p) in purposes.iter().enumerate() {
            if index.insert(p.iri.clone(), i).is_some() {
                return Err(ChartaError::Invalid(format!(
                    "purpose {} is listed twice",
                    p.iri
                )));
            }
        }
        for p in &purposes {
            if let Some(parent) = &p.parent
                && !index.contains_key(parent)
            {
                return Err(ChartaError::Invalid(format!(
                    "purpose {} names parent {parent}, which is not in the list",
                    p.iri
                )));
            }
        }
        let tree = PurposeTree { purposes, index };
        for p in &tree.purposes {
            let mut seen = HashSet::new();
            let mut cur = Some(p.iri.as_str());
            while let Some(iri) = cur {
                if !seen.insert(iri) {
                    return Err(ChartaError::Invalid(format!(
                        "purpose {} is its own ancestor",
                        p.iri
                    )));
                }
                cur = tree.get(iri).and_then(|q| q.parent.as_deref());
            }
        }
        Ok(tree)
    }

    /// All purposes in file order.
    pub fn all(&self) -> &[Purpose] {
        &self.purposes
    }

    /// A purpose by IRI.
    pub fn get(&self, iri: &str) -> Option<&Purpose> {
        self.index.get(iri).map(|&i| &self.purposes[i])
    }

    /// Whether `purpose` is `ancestor` or (transitively) a kind of it.
    pub fn is_a(&self, purpose: &str, ancestor: &str) -> bool {
        let mut cur = Some(purpose);
        let mut steps = 0;
        while let Some(iri) = cur {
            if iri == ancestor {
                return true;
            }
            steps += 1;
            if steps > self.purposes.len() + 1 {
                return false;
            }
            cur = self.get(iri).and_then(|p| p.parent.as_deref());
        }
        false
    }

    /// `iri` and every listed purpose that is (transitively) a kind of it.
    pub fn descendants_or_self(&self, iri: &str) -> Vec<String> {
        let mut out = vec![iri.to_owned()];
        out.extend(
            self.purposes
                .iter()
                .filter(|p| p.iri != iri && self.is_a(&p.iri, iri))
                .map(|p| p.iri.clone()),
        );
        out
    }

    /// Whether the Charta allows this purpose (it is listed with `allowed = true`).
    pub fn is_allowed(&self, iri: &str) -> bool {
        self.get(iri).is_some_and(|p| p.allowed)
    }

    /// The label in German (`de`) or English, or the IRI's local name when unlisted.
    pub fn label(&self, iri: &str, german: bool) -> String {
        match self.get(iri) {
            Some(p) if german => p.label_de.clone(),
            Some(p) => p.label_en.clone(),
            None => crate::odrl::terms::local_name(iri).to_owned(),
        }
    }
}
