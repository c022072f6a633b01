//! Checks a request against the source's columns and the provider's column policy.
//!
//! Order of the checks for every column a request names: does the source have it, is it
//! identifying (refused with the Charta principles), does the policy allow this use, and does
//! the value or operator fit the column's type. The first failure is reported with its field.

use super::error::{ColumnUse, SandboxError};
use super::policy::ColumnPolicy;
use super::request::{AggregationRequest, Condition, Filter, FilterValue, Measure};
use super::schema::{ColumnKind, SourceSchema};

/// A request that passed every check, with the column kinds the engines need.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedQuery {
    /// The group-by columns with their kinds, in request order.
    pub group_by: Vec<(String, ColumnKind)>,
    /// The measures, in request order.
    pub measures: Vec<Measure>,
    /// The filters with the kinds of their columns.
    pub filters: Vec<(Filter, ColumnKind)>,
}

impl CheckedQuery {
    /// The group-by column names.
    pub fn group_names(&self) -> Vec<String> {
        self.group_by.iter().map(|(name, _)| name.clone()).collect()
    }

    /// The filters alone.
    pub fn filter_list(&self) -> Vec<Filter> {
        self.filters.iter().map(|(f, _)| f.clone()).collect()
    }
}

/// Checks `request` against `schema` and `policy`.
pub fn check_request(
    request: &AggregationRequest,
    policy: &ColumnPolicy,
    schema: &SourceSchema,
) -> Result<CheckedQuery, SandboxError> {
    let mut group_by = Vec::with_capacity(request.group_by.len());
    for (i, column) in request.group_by.iter().enumerate() {
        let field = format!("groupBy[{i}]");
        let kind = allowed(
            &field,
            column,
            ColumnUse::GroupBy,
            &policy.groupable,
            policy,
            schema,
        )?;
        group_by.push((column.clone(), kind));
    }
    for (i, measure) in request.measures.iter().enumerate() {
        let Some(column) = &measure.column else {
            continue;
        };
        let field = format!("measures[{i}].column");
        let kind = allowed(
            &field,
            column,
            ColumnUse::Measure,
            &policy.measurable,
            policy,
            schema,
        )?;
        if !kind.is_numeric() {
            return Err(type_error(
                &field,
                column,
                format!("holds {kind}; {} needs numbers", measure.function),
            ));
        }
    }
    let mut filters = Vec::with_capacity(request.filters.len());
    for (i, filter) in request.filters.iter().enumerate() {
        let field = format!("filters[{i}].column");
        let kind = allowed(
            &field,
            &filter.column,
            ColumnUse::Filter,
            &policy.filterable,
            policy,
            schema,
        )?;
        check_condition(i, filter, kind)?;
        filters.push((filter.clone(), kind));
    }
    Ok(CheckedQuery {
        group_by,
        measures: request.measures.clone(),
        filters,
    })
}

fn allowed(
    field: &str,
    column: &str,
    usage: ColumnUse,
    list: &[String],
    policy: &ColumnPolicy,
    schema: &SourceSchema,
) -> Result<ColumnKind, SandboxError> {
    let Some(kind) = schema.kind_of(column) else {
        return Err(SandboxError::UnknownColumn {
            field: field.to_owned(),
            column: column.to_owned(),
        });
    };
    if policy.is_identifying(column) {
        return Err(SandboxError::IdentifyingColumn {
            field: field.to_owned(),
            column: column.to_owned(),
            usage,
        });
    }
    if !list.iter().any(|c| c == column) {
        let allowed = if list.is_empty() {
            "none".to_owned()
        } else {
            list.join(", ")
        };
        return Err(SandboxError::ColumnNotAllowed {
            field: field.to_owned(),
            column: column.to_owned(),
            usage,
            allowed,
        });
    }
    Ok(kind)
}

fn check_condition(i: usize, filter: &Filter, kind: ColumnKind) -> Result<(), SandboxError> {
    let column = &filter.column;
    match &filter.condition {
        Condition::Eq { value } | Condition::Neq { value } => {
            check_value(&format!("filters[{i}].value"), column, kind, value)
        }
        Condition::In { values } => values.iter().enumerate().try_for_each(|(j, value)| {
            check_value(&format!("filters[{i}].values[{j}]"), column, kind, value)
        }),
        _ if kind.is_numeric() => Ok(()),
        condition => Err(type_error(
            &format!("filters[{i}].op"),
            column,
            format!(
                "holds {kind}; `{}` compares numbers only (use eq, neq or in)",
                condition.op()
            ),
        )),
    }
}

fn check_value(
    field: &str,
    column: &str,
    kind: ColumnKind,
    value: &FilterValue,
) -> Result<(), SandboxError> {
    let fits = match value {
        FilterValue::Number(_) => kind.is_numeric(),
        FilterValue::Text(_) => kind == ColumnKind::Text,
        FilterValue::Bool(_) => kind == ColumnKind::Boolean,
    };
    if fits {
        return Ok(());
    }
    let reason = match kind {
        ColumnKind::Other => format!("holds {kind} and cannot be compared with a value"),
        _ => format!("holds {kind}; {value} cannot be compared with it"),
    };
    Err(type_error(field, column, reason))
}

fn type_error(field: &str, column: &str, reason: String) -> SandboxError {
    SandboxError::ColumnType {
        field: field.to_owned(),
        column: column.to_owned(),
        reason,
    }
}
