//! The crate's error type.
//!
//! One enum for the whole crate: every failure names what was wrong (the field, node, property,
//! URL or line) in plain words, so callers can show it to people as it is.

use crate::jose::JoseError;

/// Everything that can go wrong in `vocab`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `did:web` identifier or DID document is not well formed.
    #[error("invalid DID: {0}")]
    Did(String),
    /// A municipality key (AGS) or region key is not 8 (or 2/5) digits.
    #[error("invalid municipality key {key:?}: {reason}")]
    AgsFormat {
        /// The key as given.
        key: String,
        /// What is wrong with its form.
        reason: &'static str,
    },
    /// A municipality key is well formed but not in the official list.
    #[error(
        "unknown municipality key {0:?}: it is not in the official list of regional keys (2019)"
    )]
    AgsUnknown(String),
    /// A value of the typed model is missing or invalid.
    #[error("invalid {field}: {reason}")]
    Model {
        /// The field (e.g. `dataset.title.de`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A JSON-LD document refers to a remote context that is not bundled in the crate.
    #[error(
        "remote JSON-LD context {0} is not bundled: vocab never fetches contexts; use one of the bundled contexts"
    )]
    UnknownContext(String),
    /// RDF text could not be parsed.
    #[error("cannot parse {format}: {message}")]
    Parse {
        /// The syntax that was expected (Turtle, N-Triples, JSON-LD, RDF/XML).
        format: &'static str,
        /// The parser's message, with line and column when known.
        message: String,
    },
    /// A graph could not be serialized.
    #[error("cannot serialize {format}: {message}")]
    Serialize {
        /// The syntax being written.
        format: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A graph does not describe the expected model: a node lacks a property or has a bad value.
    #[error("node {node}, property {property}: {reason}")]
    Graph {
        /// The node being read, as `<iri>` or `_:blank`.
        node: String,
        /// The property, as `<iri>`, that is missing or wrong.
        property: String,
        /// What is wrong, in plain words.
        reason: String,
    },
    /// An input is larger than the limit for its kind.
    #[error("{what} is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A signed envelope failed verification or is not well formed.
    #[error("envelope rejected: {0}")]
    Envelope(String),
    /// A signing or verification step failed.
    #[error(transparent)]
    Jose(#[from] JoseError),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A model error for `field`.
    pub(crate) fn model(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Model {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A graph error at `node`/`property`.
    pub(crate) fn graph(
        node: impl std::fmt::Display,
        property: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Error::Graph {
            node: node.to_string(),
            property: property.to_string(),
            reason: reason.into(),
        }
    }
}
