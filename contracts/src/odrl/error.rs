//! Errors from reading ODRL policies (JSON-LD or Turtle).

/// A policy could not be read: the message names where (a JSON path such as
/// `$.permission[0].constraint[1].operator`, or an RDF node) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OdrlError {
    /// The JSON-LD is not a valid policy.
    #[error("{path}: {message}")]
    Json {
        /// Where, as a JSON path (`$.permission[0].action`).
        path: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The Turtle text does not parse.
    #[error("Turtle syntax error: {0}")]
    TurtleSyntax(String),
    /// The RDF graph does not describe a valid policy.
    #[error("RDF node {node}: {message}")]
    Graph {
        /// The node (IRI or blank node) at fault.
        node: String,
        /// What is wrong.
        message: String,
    },
    /// A constraint's value cannot be read for its left operand (e.g. a `dateTime` that is not
    /// a date, a `count` that is not a number).
    #[error("{path}: {message}")]
    Value {
        /// Where the constraint is (`$.permission[0].constraint[2]`).
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl OdrlError {
    pub(crate) fn json(path: &str, message: impl Into<String>) -> Self {
        OdrlError::Json {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}
