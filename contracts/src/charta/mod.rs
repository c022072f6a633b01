//! The Data-Sharing Charta as versioned data: principles GW-1…GW-11 and the purpose list.
//!
//! The Charta is a TOML file (the default, version 1.0, ships in `charta/charta-1.0.toml` and
//! is compiled into the crate). Its SHA-256 is taken over the exact file bytes, so every
//! membership credential and agreement can name the text it refers to. A federation that
//! publishes its own version parses it with [`Charta::parse`].
//!
//! ```
//! let charta = contracts::charta::Charta::default_1_0();
//! assert_eq!(charta.version(), "1.0");
//! assert_eq!(charta.principles().len(), 11);
//! assert_eq!(charta.sha256().len(), 64);
//! let heat = "https://w3id.org/gemeinwohl-datenraum/ns#Waermeplanung";
//! assert!(charta.purposes().is_a(heat, "https://w3id.org/dpv#PublicBenefit"));
//! ```

mod check;
mod purposes;

use serde::Deserialize;
use sha2::{Digest, Sha256};

pub use check::{ComplianceFinding, ComplianceReport, DatasetContext, Severity};
pub use purposes::{Purpose, PurposeTree};

/// The default Charta 1.0, byte for byte as shipped.
pub const DEFAULT_CHARTA_1_0: &str = include_str!("../../charta/charta-1.0.toml");

/// The Charta text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChartaError {
    /// The TOML does not parse or does not have the expected shape.
    #[error("Charta line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The content is inconsistent (duplicate id, unknown parent purpose, unknown check…).
    #[error("Charta: {0}")]
    Invalid(String),
}

/// MUSS (mandatory) or SOLL (recommended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
pub enum Level {
    /// Mandatory: a template or offer without it cannot be published.
    #[serde(rename = "MUSS")]
    Muss,
    /// Recommended: missing it gives a warning.
    #[serde(rename = "SOLL")]
    Soll,
}

impl Level {
    /// `MUSS` or `SOLL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Muss => "MUSS",
            Level::Soll => "SOLL",
        }
    }
}

/// To which datasets a principle applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AppliesTo {
    /// Every dataset.
    All,
    /// Only datasets marked personal-adjacent (GW-6, GW-7).
    PersonalAdjacent,
}

/// The machine check that tells whether an offer satisfies a principle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PatternCheck {
    /// Every permission has a purpose constraint allowing only Charta purposes (GW-1).
    PublicBenefitPurpose,
    /// Every permission has a purpose constraint (GW-2).
    PurposeBound,
    /// A time limit (end date or elapsed time ≤ the Charta maximum) and a `delete` duty (GW-3).
    TimeLimitAndDelete,
    /// `distribute` prohibited, or permitted only with a `nextPolicy` duty (GW-4).
    NoOnwardTransfer,
    /// A `gwd:logAccess` duty (GW-5; the register entry is the broker's).
    AccessLogged,
    /// Sandbox access with minimum group size k, never raw transfer (GW-6).
    SandboxWithK,
    /// A prohibition of `gwd:reidentify` (GW-7).
    NoReidentification,
    /// Enforced by the connector and stated in the contract text (GW-8, GW-9).
    StatedInContract,
    /// A `gwd:shareResults` duty (GW-10).
    ResultsShared,
    /// No exclusivity, compensation at most marginal cost (GW-11).
    FairTerms,
}

/// One principle of the Charta.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principle {
    /// `GW-1` … `GW-11`.
    pub id: String,
    /// Short German name (`Gemeinwohlbindung`).
    pub title: String,
    /// MUSS or SOLL.
    pub level: Level,
    /// To which datasets it applies.
    #[serde(default = "default_applies")]
    pub applies_to: AppliesTo,
    /// The German contract wording.
    pub wording: String,
    /// The policy pattern that satisfies it, in words.
    pub pattern: String,
    /// The machine check for the pattern.
    pub check: PatternCheck,
}

fn default_applies() -> AppliesTo {
    AppliesTo::All
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChartaFile {
    id: String,
    version: String,
    title: String,
    #[serde(default)]
    max_duration_months: Option<u32>,
    #[serde(default)]
    default_k: Option<u32>,
    principle: Vec<Principle>,
    purpose: Vec<Purpose>,
}

/// A parsed Charta with its exact source text.
#[derive(Debug, Clone)]
pub struct Charta {
    id: String,
    version: String,
    title: String,
    max_duration_months: u32,
    default_k: u32,
    principles: Vec<Principle>,
    purposes: PurposeTree,
    source: String,
    sha256: String,
}

impl Charta {
    /// The default Charta 1.0 shipped with the crate.
    pub fn default_1_0() -> Charta {
        // The shipped file is checked by this crate's tests; parsing it cannot fail at run time
        // unless the file itself is broken, which `default_charta_parses` catches.
        match Charta::parse(DEFAULT_CHARTA_1_0) {
            Ok(c) => c,
            Err(e) => panic!("the shipped Charta 1.0 is invalid: {e}"),
        }
    }

    /// Parses a Charta from its TOML text (the SHA-256 is taken over exactly these bytes).
    pub fn parse(text: &str) -> Result<Charta, ChartaError> {
        let file: ChartaFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| crate::text::line_col(text, s.start))
                .unwrap_or((1, 1));
            ChartaError::Syntax {
                line,
                column,
                message: e.message().to_owned(),
            }
        })?;
        let mut seen = std::collections::HashSet::new();
        for p in &file.principle {
            if !seen.insert(p.id.clone()) {
                return Err(ChartaError::Invalid(format!(
                    "principle {} is listed twice",
                    p.id
                )));
            }
        }
        if file.version.trim().is_empty() {
            return Err(ChartaError::Invalid("version must not be empty".into()));
        }
        let purposes = PurposeTree::new(file.purpose)?;
        Ok(Charta {
            id: file.id,
            version: file.version,
            title: file.title,
            max_duration_months: file.max_duration_months.unwrap_or(24),
            default_k: file.default_k.unwrap_or(5),
            principles: file.principle,
            purposes,
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
            source: text.to_owned(),
        })
    }

    /// The Charta's identifier.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its version (`1.0`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Its title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// SHA-256 (lowercase hex) of the exact file bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The exact text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// All principles, in file order.
    pub fn principles(&self) -> &[Principle] {
        &self.principles
    }

    /// A principle by id (`GW-3`).
    pub fn principle(&self, id: &str) -> Option<&Principle> {
        self.principles.iter().find(|p| p.id == id)
    }

    /// The purposes (the allowed public-benefit ones and labelled others) with their hierarchy.
    pub fn purposes(&self) -> &PurposeTree {
        &self.purposes
    }

    /// The longest usage duration GW-3 allows, in months (24 in Charta 1.0).
    pub fn max_duration_months(&self) -> u32 {
        self.max_duration_months
    }

    /// The default minimum group size k for sandbox access (5 in Charta 1.0).
    pub fn default_k(&self) -> u32 {
        self.default_k
    }

    /// The principles that apply to a dataset (GW-6/7 only for personal-adjacent ones).
    pub fn applicable(&self, personal_adjacent: bool) -> impl Iterator<Item = &Principle> {
        self.principles
            .iter()
            .filter(move |p| personal_adjacent || p.applies_to == AppliesTo::All)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_charta_parses() {
        let c = Charta::default_1_0();
        assert_eq!(c.version(), "1.0");
        let ids: Vec<&str> = c.principles().iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "GW-1", "GW-2", "GW-3", "GW-4", "GW-5", "GW-6", "GW-7", "GW-8", "GW-9", "GW-10",
                "GW-11"
            ]
        );
        assert_eq!(c.principle("GW-10").map(|p| p.level), Some(Level::Soll));
        assert_eq!(
            c.principle("GW-6").map(|p| p.applies_to),
            Some(AppliesTo::PersonalAdjacent)
        );
        assert_eq!(c.applicable(false).count(), 9);
        assert_eq!(c.applicable(true).count(), 11);
        assert_eq!(
            c.sha256(),
            hex::encode(Sha256::digest(DEFAULT_CHARTA_1_0.as_bytes()))
        );
    }

    #[test]
    fn hash_changes_with_any_byte() {
        let other = DEFAULT_CHARTA_1_0.replacen("Gemeinwohlbindung", "Gemeinwohlbindunq", 1);
        let c = Charta::parse(&other).expect("still valid");
        assert_ne!(c.sha256(), Charta::default_1_0().sha256());
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = Charta::parse("id = \"x\"\nversion = 1.0\n").unwrap_err();
        match err {
            ChartaError::Syntax { line, .. } => assert_eq!(line, 2),
            other => panic!("unexpected {other:?}"),
        }
        let dup = DEFAULT_CHARTA_1_0.replacen("id = \"GW-2\"", "id = \"GW-1\"", 1);
        assert!(matches!(Charta::parse(&dup), Err(ChartaError::Invalid(m)) if m.contains("GW-1")));
    }
}
