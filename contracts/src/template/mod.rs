//! Contract templates for legal teams: German prose with `{{parameters}}`, a front matter
//! that declares everything a machine needs, a strict check and deterministic rendering.
//!
//! A template is one Markdown file. It starts with a TOML front matter between two `+++`
//! lines: `id`, `version` (semantic), `title`, `language`, `charta` (version), `approval`
//! (`automatic` or `manual`), `access` (`transfer` or `sandbox`), `personal_adjacent`, the
//! typed `[parameters.NAME]` (purposes, duration, region, count, date, party, k — with
//! `label`, `default`, `min`, `max`, `within`), the `[[rules]]` they feed (ODRL in plain
//! words: `action = "use"`, `constraints = ["purpose isAnyOf {{zwecke}}"]`,
//! `duties = ["delete"]`), and per clause the Charta principles it implements
//! (`[clauses.zweck] principles = ["GW-1", "GW-2"]`). The Markdown body marks each clause
//! with an anchor on its heading: `## § 1 Zweck {#zweck}`. A legal author never writes
//! JSON-LD.
//!
//! ```
//! use contracts::template::Template;
//! use contracts::charta::Charta;
//! let text = include_str!("../../templates/kommunale-planung-aggregiert-12-monate.md");
//! let template = Template::parse(text).unwrap();
//! let charta = Charta::default_1_0();
//! assert!(template.check(&charta).iter().all(|d| !d.is_error()));
//! let contract = template.render(&Default::default(), &charta).unwrap();
//! assert!(contract.markdown.contains("nach 12 Monaten"));
//! assert_eq!(contract.sha256.len(), 64);
//! ```

mod check;
mod diagnostic;
mod params;
mod parse;
mod render;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use diagnostic::{Diagnostic, TemplateErrors};
pub use params::{InvalidValue, ParamType, ParamValue};
pub use render::RenderedContract;

use crate::eval::Region;

/// Whether requests under this template are approved automatically or by a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Approval {
    /// The connector agrees without asking anyone.
    Automatic,
    /// An operator approves each request.
    Manual,
}

/// How the data is provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Access {
    /// The data is transferred to the consumer.
    Transfer,
    /// Aggregate-only access in the provider's sandbox (required for personal-adjacent data).
    Sandbox,
}

/// A declared parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    /// Its type.
    pub ty: ParamType,
    /// Its German label.
    pub label: String,
    /// Its default, if any.
    pub default: Option<ParamValue>,
    pub(crate) default_pos: Option<(usize, usize)>,
    /// Lower bound (count, k, date, duration).
    pub min: Option<ParamValue>,
    /// Upper bound (count, k, date, duration).
    pub max: Option<ParamValue>,
    /// For a region: the region it must lie in.
    pub within: Option<Region>,
    pub(crate) pos: (usize, usize),
}

/// A declared ODRL rule, in the front matter's plain form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDecl {
    /// `permission`, `prohibition` or `obligation`.
    pub kind: String,
    pub(crate) kind_pos: (usize, usize),
    /// The action (`use`, `distribute`, `gwd:reidentify`).
    pub action: String,
    pub(crate) action_pos: (usize, usize),
    /// Constraint expressions with the byte offset of each string's content.
    pub constraints: Vec<(String, usize)>,
    /// Duty actions with their positions.
    pub duties: Vec<(String, (usize, usize))>,
}

/// A declared clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClauseDecl {
    /// The principles it implements, with their positions.
    pub principles: Vec<(String, (usize, usize))>,
    pub(crate) pos: (usize, usize),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    /// Its identifier.
    pub id: String,
    id_pos: (usize, usize),
    /// Its semantic version.
    pub version: (u64, u64, u64),
    version_pos: (usize, usize),
    /// Its title.
    pub title: String,
    /// Its language (`de`).
    pub language: String,
    /// The Charta version it is written for.
    pub charta_version: String,
    charta_pos: (usize, usize),
    /// Automatic or manual approval.
    pub approval: Approval,
    /// Transfer or sandbox access.
    pub access: Access,
    access_pos: (usize, usize),
    /// Whether it is for personal-adjacent datasets (GW-6/7 apply).
    pub personal_adjacent: bool,
    /// Parameters by name.
    pub parameters: BTreeMap<String, ParamDecl>,
    /// The ODRL rules.
    pub rules: Vec<RuleDecl>,
    /// Clauses by id.
    pub clauses: BTreeMap<String, ClauseDecl>,
    body_start: usize,
    body_placeholders: Vec<parse::Placeholder>,
    rule_placeholders: Vec<parse::Placeholder>,
    headings: Vec<parse::ClauseHeading>,
}

impl Template {
    /// Parses a template strictly. Errors carry line and column and say how to fix: missing
    /// or malformed front matter, unknown fields, invalid version, unknown placeholder,
    /// parameter declared but unused, default out of bounds, malformed rule, clause declared
    /// but not in the text (or the reverse).
    pub fn parse(text: &str) -> Result<Template, TemplateErrors> {
        parse::parse(text).map_err(TemplateErrors)
    }

    /// The exact source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The Markdown body (after the front matter).
    pub fn body(&self) -> &str {
        &self.source[self.body_start..]
    }

    /// SHA-256 (hex) of the template file.
    pub fn sha256(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(self.source.as_bytes()))
    }

    /// The version as text (`1.2.0`).
    pub fn version_string(&self) -> String {
        let (a, b, c) = self.version;
        format!("{a}.{b}.{c}")
    }
}
