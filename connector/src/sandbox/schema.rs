//! The columns of a source and the kinds of values they hold, as far as the sandbox cares.
//!
//! Each engine maps its own types onto [`ColumnKind`] (Arrow types for files, PostgreSQL types
//! for tables); the checks and the filter algebra only see these kinds.

use std::fmt;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnKind {
    /// Whole numbers.
    Integer,
    /// Decimal or floating-point numbers.
    Decimal,
    /// Text.
    Text,
    /// True/false.
    Boolean,
    /// Anything else (dates, binary, nested): groupable as text, not filterable by value.
    Other,
}

impl ColumnKind {
    /// Whether the column holds numbers (may be measured and compared with `<`, `>`).
    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnKind::Integer | ColumnKind::Decimal)
    }
}

impl fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColumnKind::Integer => "whole numbers",
            ColumnKind::Decimal => "decimal numbers",
            ColumnKind::Text => "text",
            ColumnKind::Boolean => "true/false values",
            ColumnKind::Other => "values of another type",
        })
    }
}

/// The columns of a source, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSchema {
    columns: Vec<(String, ColumnKind)>,
}

impl SourceSchema {
    /// A schema from `(name, kind)` pairs.
    pub fn new(columns: Vec<(String, ColumnKind)>) -> Self {
        Self { columns }
    }

    /// The kind of a column, if the source has it.
    pub fn kind_of(&self, column: &str) -> Option<ColumnKind> {
        self.columns
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, kind)| *kind)
    }

    /// The column names, in source order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// The columns with their kinds.
    pub fn columns(&self) -> &[(String, ColumnKind)] {
        &self.columns
    }
}
