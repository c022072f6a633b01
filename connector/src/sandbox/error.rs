//! Why a sandbox query was refused or could not be answered.
//!
//! Two families: the consumer's request is at fault (bad JSON, a column it may not use, a
//! differencing attempt: [`SandboxError::is_request_error`] is `true`, the message is meant for
//! the consumer), or the provider's side is (a source that cannot be read, a policy that
//! contradicts itself, a timeout: the message is meant for the provider's log, and the consumer
//! should see a generic answer).

use std::fmt;

/// The Charta principles a refusal of an identifying column rests on.
pub const IDENTIFYING_PRINCIPLES: &str =
    "Charta GW-6 (Datenminimierung: nur aggregiert) and GW-7 (keine Re-Identifizierung)";

/// How a request wanted to use a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnUse {
    /// As a group-by column.
    GroupBy,
    /// In a filter.
    Filter,
    /// As the column of a measure (sum, mean, median).
    Measure,
}

impl fmt::Display for ColumnUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColumnUse::GroupBy => "grouped on",
            ColumnUse::Filter => "filtered on",
            ColumnUse::Measure => "measured",
        })
    }
}

/// A refusal because of differencing: the new answer, subtracted from an earlier one (or the
/// other way round), would describe a group of fewer than k records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DifferencingRefusal {
    /// The number of the earlier answered query (1-based, per agreement).
    pub earlier_query: u64,
    /// The group, as `column = value` pairs of the coarser of the two groupings
    /// (empty: the whole filtered data set).
    pub group: String,
    /// How the two record sets relate, in words (nested, overlapping filters, …).
    pub relation: String,
    /// The minimum group size in force.
    pub k: u64,
}

impl fmt::Display for DifferencingRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = if self.group.is_empty() {
            "the whole selection".to_owned()
        } else {
            format!("group {}", self.group)
        };
        write!(
            f,
            "refused to protect against differencing: together with earlier query #{} this \
             answer would isolate between 1 and {} records in {group} ({}); fewer than k = {} \
             records must never be described (Charta GW-7). Ask for coarser groups or filters \
             that contain or exclude whole groups of the earlier query",
            self.earlier_query,
            self.k.saturating_sub(1),
            self.relation,
            self.k
        )
    }
}

/// Everything that can go wrong in the sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The request body is larger than the limit.
    #[error("aggregation request is {size} bytes, more than the limit of {limit} bytes")]
    RequestTooLarge {
        /// The body's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The request is malformed: `field` names the offending JSON path (e.g. `filters[1].op`).
    #[error("aggregation request, field `{field}`: {reason}")]
    InvalidRequest {
        /// The JSON path of the field.
        field: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// The request names a column the source does not have.
    #[error("aggregation request, field `{field}`: the data set has no column \"{column}\"")]
    UnknownColumn {
        /// The JSON path of the field.
        field: String,
        /// The column.
        column: String,
    },
    /// The request uses a column marked identifying.
    #[error(
        "aggregation request, field `{field}`: column \"{column}\" is marked identifying and can \
         never be {usage} or returned ({principles})",
        principles = IDENTIFYING_PRINCIPLES
    )]
    IdentifyingColumn {
        /// The JSON path of the field.
        field: String,
        /// The column.
        column: String,
        /// How the request wanted to use it.
        usage: ColumnUse,
    },
    /// The request uses a column in a way the column policy does not allow.
    #[error(
        "aggregation request, field `{field}`: column \"{column}\" may not be {usage} under this \
         agreement (allowed: {allowed})"
    )]
    ColumnNotAllowed {
        /// The JSON path of the field.
        field: String,
        /// The column.
        column: String,
        /// How the request wanted to use it.
        usage: ColumnUse,
        /// The columns allowed for that use, comma-separated.
        allowed: String,
    },
    /// A value or operation does not fit the column's type.
    #[error("aggregation request, field `{field}`: column \"{column}\" {reason}")]
    ColumnType {
        /// The JSON path of the field.
        field: String,
        /// The column.
        column: String,
        /// What is wrong (e.g. "holds text; a number cannot be compared with it").
        reason: String,
    },
    /// The answer would help isolate a small group by differencing.
    #[error("{0}")]
    Differencing(DifferencingRefusal),
    /// The grouping yields more groups of at least k records than an answer may hold.
    #[error(
        "the grouping yields more than {limit} groups of at least k records; group by fewer \
         columns or filter"
    )]
    TooManyGroups {
        /// The limit.
        limit: usize,
    },
    /// The minimum group size from the agreement is unusable.
    #[error("minimum group size k = {k} is not allowed: k must be at least 2")]
    InvalidMinGroupSize {
        /// The value given.
        k: u64,
    },
    /// The provider's column policy contradicts itself or the source.
    #[error("sandbox column policy, `{field}`: {reason}")]
    InvalidPolicy {
        /// The policy field (e.g. `groupable`).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The provider's source description is unusable.
    #[error("sandbox source, `{field}`: {reason}")]
    InvalidSource {
        /// The source field (e.g. `connection_env`).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The source could not be read or the query engine failed.
    #[error("sandbox source ({source_kind}): {message}")]
    Source {
        /// `csv`, `parquet` or `postgres`.
        source_kind: &'static str,
        /// The engine's message (provider-side detail; do not show it to consumers).
        message: String,
    },
    /// The query ran longer than the configured limit.
    #[error("the query took longer than {seconds} s and was stopped")]
    Timeout {
        /// The limit in seconds.
        seconds: u64,
    },
}

impl SandboxError {
    /// Whether the consumer's request is at fault (the message is then meant for the consumer);
    /// `false` for provider-side faults, whose message belongs in the provider's log only.
    pub fn is_request_error(&self) -> bool {
        matches!(
            self,
            SandboxError::RequestTooLarge { .. }
                | SandboxError::InvalidRequest { .. }
                | SandboxError::UnknownColumn { .. }
                | SandboxError::IdentifyingColumn { .. }
                | SandboxError::ColumnNotAllowed { .. }
                | SandboxError::ColumnType { .. }
                | SandboxError::Differencing(_)
                | SandboxError::TooManyGroups { .. }
        )
    }

    /// The message for the consumer: the full message for request errors, a generic one for
    /// provider-side faults (whose details, e.g. a parse error quoting a record, stay with the
    /// provider).
    pub fn consumer_message(&self) -> String {
        if self.is_request_error() {
            self.to_string()
        } else {
            format!(
                "the provider could not answer this query ({}); the provider's operator has the \
                 details",
                self.code()
            )
        }
    }

    /// A short stable code for the audit log (`invalid_request`, `identifying_column`,
    /// `differencing`, …).
    pub fn code(&self) -> &'static str {
        match self {
            SandboxError::RequestTooLarge { .. } => "request_too_large",
            SandboxError::InvalidRequest { .. } => "invalid_request",
            SandboxError::UnknownColumn { .. } => "unknown_column",
            SandboxError::IdentifyingColumn { .. } => "identifying_column",
            SandboxError::ColumnNotAllowed { .. } => "column_not_allowed",
            SandboxError::ColumnType { .. } => "column_type",
            SandboxError::Differencing(_) => "differencing",
            SandboxError::TooManyGroups { .. } => "too_many_groups",
            SandboxError::InvalidMinGroupSize { .. } => "invalid_min_group_size",
            SandboxError::InvalidPolicy { .. } => "invalid_policy",
            SandboxError::InvalidSource { .. } => "invalid_source",
            SandboxError::Source { .. } => "source",
            SandboxError::Timeout { .. } => "timeout",
        }
    }
}

pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> SandboxError {
    SandboxError::InvalidRequest {
        field: field.into(),
        reason: reason.into(),
    }
}
