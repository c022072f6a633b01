//! The consumer's aggregation request: what it may ask, parsed strictly.
//!
//! The wire form is JSON (camelCase, unknown fields refused):
//!
//! ```json
//! {
//!   "purpose": "ImproveHealthcare",
//!   "groupBy": ["district", "age_band"],
//!   "measures": [{"function": "count"}, {"function": "mean", "column": "bmi"}],
//!   "filters": [
//!     {"column": "year", "op": "eq", "value": 2024},
//!     {"column": "age", "op": "between", "low": 6, "high": 10},
//!     {"column": "district", "op": "in", "values": ["Nord", "Süd"]}
//!   ]
//! }
//! ```
//!
//! [`AggregationRequest::from_json`] enforces a size limit and structural limits and names the
//! offending field in every error (`filters[2].values[0]`). Whether the columns exist and may be
//! used is checked later against the source and the column policy ([`super::check`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::{SandboxError, invalid};

/// Largest accepted request body in bytes.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// Most group-by columns in one request.
pub const MAX_GROUP_BY: usize = 4;
/// Most measures in one request.
pub const MAX_MEASURES: usize = 16;
/// Most filters in one request.
pub const MAX_FILTERS: usize = 16;
/// Most values in one `in` filter.
pub const MAX_IN_VALUES: usize = 100;
/// Longest text value, column name or purpose, in characters.
pub const MAX_TEXT_CHARS: usize = 256;

/// An aggregation request, checked for shape (not yet against a source or policy).
///
/// Deserializing always runs the same checks as [`AggregationRequest::from_json`] (which also
/// names the offending field and enforces the size limit: use it for consumer input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "WireRequest")]
pub struct AggregationRequest {
    /// The declared purpose (checked against the agreement by the connector's policy check).
    pub purpose: String,
    /// The columns to group on, in the order the answer lists them.
    pub group_by: Vec<String>,
    /// What to compute per group.
    pub measures: Vec<Measure>,
    /// Conditions every counted record must meet (all of them: a conjunction).
    pub filters: Vec<Filter>,
}

/// One measure: a function, and its column unless it is `count`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    /// The aggregate function.
    pub function: MeasureFunction,
    /// The measured column (`None` for `count`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "{}({column})", self.function),
            None => write!(f, "{}", self.function),
        }
    }
}

/// The aggregate functions a consumer may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeasureFunction {
    /// Number of records in the group.
    Count,
    /// Sum of a numeric column (nulls ignored).
    Sum,
    /// Arithmetic mean of a numeric column (nulls ignored).
    Mean,
    /// Median of a numeric column (nulls ignored; the mean of the two middle values for an even
    /// number of values, like PostgreSQL's `percentile_cont(0.5)`).
    Median,
}

impl fmt::Display for MeasureFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MeasureFunction::Count => "count",
            MeasureFunction::Sum => "sum",
            MeasureFunction::Mean => "mean",
            MeasureFunction::Median => "median",
        })
    }
}

/// One filter condition on one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// The column.
    pub column: String,
    /// The condition.
    #[serde(flatten)]
    pub condition: Condition,
}

/// A filter's condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Condition {
    /// Equal to the value.
    Eq {
        /// The value.
        value: FilterValue,
    },
    /// Not equal to the value (records where the column is empty do not match).
    Neq {
        /// The value.
        value: FilterValue,
    },
    /// Equal to one of the values.
    In {
        /// The values (at least one).
        values: Vec<FilterValue>,
    },
    /// Less than a number.
    Lt {
        /// The bound.
        value: f64,
    },
    /// Less than or equal to a number.
    Lte {
        /// The bound.
        value: f64,
    },
    /// Greater than a number.
    Gt {
        /// The bound.
        value: f64,
    },
    /// Greater than or equal to a number.
    Gte {
        /// The bound.
        value: f64,
    },
    /// Between two numbers, both included.
    Between {
        /// The lower bound (included).
        low: f64,
        /// The upper bound (included).
        high: f64,
    },
}

impl Condition {
    /// The operator's name as on the wire.
    pub fn op(&self) -> &'static str {
        match self {
            Condition::Eq { .. } => "eq",
            Condition::Neq { .. } => "neq",
            Condition::In { .. } => "in",
            Condition::Lt { .. } => "lt",
            Condition::Lte { .. } => "lte",
            Condition::Gt { .. } => "gt",
            Condition::Gte { .. } => "gte",
            Condition::Between { .. } => "between",
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.column;
        match &self.condition {
            Condition::Eq { value } => write!(f, "{c} = {value}"),
            Condition::Neq { value } => write!(f, "{c} ≠ {value}"),
            Condition::In { values } => {
                let list: Vec<String> = values.iter().map(ToString::to_string).collect();
                write!(f, "{c} in ({})", list.join(", "))
            }
            Condition::Lt { value } => write!(f, "{c} < {value}"),
            Condition::Lte { value } => write!(f, "{c} ≤ {value}"),
            Condition::Gt { value } => write!(f, "{c} > {value}"),
            Condition::Gte { value } => write!(f, "{c} ≥ {value}"),
            Condition::Between { low, high } => write!(f, "{c} between {low} and {high}"),
        }
    }
}

/// A value to compare a column with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FilterValue {
    /// A number (for integer and decimal columns).
    Number(f64),
    /// A text (for text columns).
    Text(String),
    /// A truth value (for boolean columns).
    Bool(bool),
}

impl fmt::Display for FilterValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterValue::Number(n) => write!(f, "{n}"),
            FilterValue::Text(t) => write!(f, "\"{t}\""),
            FilterValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// The wire form, read with unknown fields refused; converted field by field afterwards.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WireRequest {
    purpose: String,
    #[serde(default)]
    group_by: Vec<String>,
    measures: Vec<WireMeasure>,
    #[serde(default)]
    filters: Vec<WireFilter>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMeasure {
    function: MeasureFunction,
    #[serde(default)]
    column: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFilter {
    column: String,
    op: WireOp,
    #[serde(default)]
    value: Option<serde_json::Value>,
    #[serde(default)]
    values: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    low: Option<serde_json::Value>,
    #[serde(default)]
    high: Option<serde_json::Value>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum WireOp {
    Eq,
    Neq,
    In,
    Lt,
    Lte,
    Gt,
    Gte,
    Between,
}

impl AggregationRequest {
    /// Parses and checks a request body: at most [`MAX_REQUEST_BYTES`], strict JSON, every error
    /// naming its field.
    pub fn from_json(body: &[u8]) -> Result<Self, SandboxError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(SandboxError::RequestTooLarge {
                size: body.len(),
                limit: MAX_REQUEST_BYTES,
            });
        }
        let mut de = serde_json::Deserializer::from_slice(body);
        let wire: WireRequest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "(body)".to_owned()
            } else {
                path
            };
            invalid(field, e.into_inner().to_string())
        })?;
        de.end().map_err(|e| {
            invalid(
                "(body)",
                format!("trailing characters after the request: {e}"),
            )
        })?;
        Self::from_wire(wire)
    }

    fn from_wire(wire: WireRequest) -> Result<Self, SandboxError> {
        Self::try_from(wire)
    }
}

impl TryFrom<WireRequest> for AggregationRequest {
    type Error = SandboxError;

    fn try_from(wire: WireRequest) -> Result<Self, SandboxError> {
        check_text("purpose", &wire.purpose)?;
        if wire.group_by.len() > MAX_GROUP_BY {
            return Err(invalid(
                "groupBy",
                format!("at most {MAX_GROUP_BY} group-by columns"),
            ));
        }
        for (i, column) in wire.group_by.iter().enumerate() {
            check_text(&format!("groupBy[{i}]"), column)?;
            if wire.group_by[..i].contains(column) {
                return Err(invalid(
                    format!("groupBy[{i}]"),
                    format!("column \"{column}\" is listed twice"),
                ));
            }
        }
        if wire.measures.is_empty() {
            return Err(invalid("measures", "at least one measure is needed"));
        }
        if wire.measures.len() > MAX_MEASURES {
            return Err(invalid(
                "measures",
                format!("at most {MAX_MEASURES} measures"),
            ));
        }
        let mut measures = Vec::with_capacity(wire.measures.len());
        for (i, m) in wire.measures.into_iter().enumerate() {
            let measure = convert_measure(i, m)?;
            if measures.contains(&measure) {
                return Err(invalid(
                    format!("measures[{i}]"),
                    format!("measure {measure} is listed twice"),
                ));
            }
            measures.push(measure);
        }
        if wire.filters.len() > MAX_FILTERS {
            return Err(invalid("filters", format!("at most {MAX_FILTERS} filters")));
        }
        let filters = wire
            .filters
            .into_iter()
            .enumerate()
            .map(|(i, f)| convert_filter(i, f))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AggregationRequest {
            purpose: wire.purpose,
            group_by: wire.group_by,
            measures,
            filters,
        })
    }
}

fn check_text(field: &str, text: &str) -> Result<(), SandboxError> {
    if text.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(
            field,
            format!("longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(())
}

fn convert_measure(i: usize, m: WireMeasure) -> Result<Measure, SandboxError> {
    let field = format!("measures[{i}].column");
    match (m.function, m.column) {
        (MeasureFunction::Count, None) => Ok(Measure {
            function: MeasureFunction::Count,
            column: None,
        }),
        (MeasureFunction::Count, Some(_)) => Err(invalid(
            field,
            "count counts the records of a group and takes no column",
        )),
        (function, None) => Err(invalid(field, format!("{function} needs a column"))),
        (function, Some(column)) => {
            check_text(&field, &column)?;
            Ok(Measure {
                function,
                column: Some(column),
            })
        }
    }
}

fn convert_filter(i: usize, f: WireFilter) -> Result<Filter, SandboxError> {
    let at = |name: &str| format!("filters[{i}].{name}");
    check_text(&at("column"), &f.column)?;
    let allowed: &[&str] = match f.op {
        WireOp::In => &["values"],
        WireOp::Between => &["low", "high"],
        _ => &["value"],
    };
    for (name, present) in [
        ("value", f.value.is_some()),
        ("values", f.values.is_some()),
        ("low", f.low.is_some()),
        ("high", f.high.is_some()),
    ] {
        if present && !allowed.contains(&name) {
            return Err(invalid(
                at(name),
                format!(
                    "not used by this operator (it takes {})",
                    allowed.join(" and ")
                ),
            ));
        }
    }
    let required = |v: Option<serde_json::Value>, name: &str| {
        v.ok_or_else(|| invalid(at(name), "missing (this operator needs it)"))
    };
    let condition = match f.op {
        WireOp::Eq => Condition::Eq {
            value: scalar(&at("value"), required(f.value, "value")?)?,
        },
        WireOp::Neq => Condition::Neq {
            value: scalar(&at("value"), required(f.value, "value")?)?,
        },
        WireOp::In => {
            let values = f
                .values
                .ok_or_else(|| invalid(at("values"), "missing (in needs a list of values)"))?;
            if values.is_empty() || values.len() > MAX_IN_VALUES {
                return Err(invalid(
                    at("values"),
                    format!("needs between 1 and {MAX_IN_VALUES} values"),
                ));
            }
            let values = values
                .into_iter()
                .enumerate()
                .map(|(j, v)| scalar(&format!("filters[{i}].values[{j}]"), v))
                .collect::<Result<Vec<_>, _>>()?;
            Condition::In { values }
        }
        WireOp::Lt => Condition::Lt {
            value: number(&at("value"), required(f.value, "value")?)?,
        },
        WireOp::Lte => Condition::Lte {
            value: number(&at("value"), required(f.value, "value")?)?,
        },
        WireOp::Gt => Condition::Gt {
            value: number(&at("value"), required(f.value, "value")?)?,
        },
        WireOp::Gte => Condition::Gte {
            value: number(&at("value"), required(f.value, "value")?)?,
        },
        WireOp::Between => {
            let low = number(&at("low"), required(f.low, "low")?)?;
            let high = number(&at("high"), required(f.high, "high")?)?;
            if low > high {
                return Err(invalid(at("high"), format!("{high} is below low = {low}")));
            }
            Condition::Between { low, high }
        }
    };
    Ok(Filter {
        column: f.column,
        condition,
    })
}

fn scalar(field: &str, value: serde_json::Value) -> Result<FilterValue, SandboxError> {
    match value {
        serde_json::Value::String(text) => {
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(invalid(
                    field,
                    format!("longer than {MAX_TEXT_CHARS} characters"),
                ));
            }
            Ok(FilterValue::Text(text))
        }
        serde_json::Value::Bool(b) => Ok(FilterValue::Bool(b)),
        serde_json::Value::Number(_) => Ok(FilterValue::Number(number(field, value)?)),
        other => Err(invalid(
            field,
            format!(
                "expected a text, a number or true/false, found {}",
                json_kind(&other)
            ),
        )),
    }
}

fn number(field: &str, value: serde_json::Value) -> Result<f64, SandboxError> {
    match &value {
        serde_json::Value::Number(n) => match n.as_f64() {
            // -0.0 and 0.0 are one value for comparisons.
            Some(x) if x.is_finite() => Ok(if x == 0.0 { 0.0 } else { x }),
            _ => Err(invalid(field, format!("number {n} is out of range"))),
        },
        other => Err(invalid(
            field,
            format!("expected a number, found {}", json_kind(other)),
        )),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "true/false",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a text",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_requests_read_back_the_same() {
        let body = r#"{"purpose":"ImproveHealthcare","groupBy":["district"],
            "measures":[{"function":"count"},{"function":"median","column":"bmi"}],
            "filters":[{"column":"age","op":"between","low":6,"high":9},
                       {"column":"district","op":"in","values":["Nord","Süd"]},
                       {"column":"sex","op":"neq","value":"d"}]}"#;
        let request = AggregationRequest::from_json(body.as_bytes()).unwrap();
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            AggregationRequest::from_json(json.as_bytes()).unwrap(),
            request
        );
        assert_eq!(
            serde_json::from_str::<AggregationRequest>(&json).unwrap(),
            request
        );
        assert_eq!(request.filters[0].to_string(), "age between 6 and 9");
        assert_eq!(request.measures[1].to_string(), "median(bmi)");
    }

    #[test]
    fn deserializing_runs_the_same_checks() {
        let err = serde_json::from_str::<AggregationRequest>(
            r#"{"purpose":"p","measures":[{"function":"count","column":"x"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("takes no column"), "{err}");
    }
}
