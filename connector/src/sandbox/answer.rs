//! What a consumer gets back, and what the audit log keeps of it.
//!
//! An [`Answer`] holds only groups of at least k records and says how many groups were
//! suppressed, never which. A measure whose column has fewer than k non-empty values in a group
//! is withheld (`null`), since a mean over one value is that value. The [`QueryLogRecord`] keeps
//! the request and the answer's shape (groups returned and suppressed, columns, a row-count
//! bucket), never its values.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::SandboxError;
use super::request::AggregationRequest;

/// A group-by value as returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// The column is empty for this group.
    Null,
    /// A truth value.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// A text (also dates and other types, rendered by the engine).
    Text(String),
}

impl Scalar {
    /// A string that is equal for equal values whatever their numeric type (3 and 3.0 agree);
    /// used to match groups across queries.
    pub fn canonical(&self) -> String {
        match self {
            Scalar::Null => "null".to_owned(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => canonical_number(*i as f64),
            Scalar::Float(f) => canonical_number(*f),
            Scalar::Text(t) => format!("t:{t}"),
        }
    }
}

pub(crate) fn canonical_number(x: f64) -> String {
    format!("n:{}", if x == 0.0 { 0.0 } else { x })
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Null => f.write_str("(empty)"),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Text(t) => write!(f, "\"{t}\""),
        }
    }
}

/// One measure's value in one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MeasureValue {
    /// A count.
    Count(u64),
    /// A sum, mean or median.
    Number(f64),
    /// Withheld: the column has fewer than k non-empty values in this group.
    Withheld,
}

impl MeasureValue {
    /// The value as a number (`None` when withheld).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            MeasureValue::Count(n) => Some(*n as f64),
            MeasureValue::Number(x) => Some(*x),
            MeasureValue::Withheld => None,
        }
    }
}

/// One returned group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerGroup {
    /// The group-by values, in the order of [`Answer::group_by`].
    pub key: Vec<Scalar>,
    /// The measures' values, in the order of [`Answer::measures`].
    pub values: Vec<MeasureValue>,
}

/// The answer to an aggregation request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// The number of this query under the agreement (1 for the first answered query).
    pub query_number: u64,
    /// The minimum group size applied.
    pub k: u64,
    /// The group-by columns.
    pub group_by: Vec<String>,
    /// The measures, as `count`, `sum(column)`, `mean(column)`, `median(column)`.
    pub measures: Vec<String>,
    /// The groups of at least k records, ordered by key.
    pub groups: Vec<AnswerGroup>,
    /// How many groups had fewer than k records and were left out.
    pub groups_suppressed: u64,
    /// How many measure values were withheld (fewer than k non-empty values in their group).
    pub values_withheld: u64,
    /// The records covered by the returned groups, as a bucket (the exact total is not given).
    pub rows: RowCountBucket,
}

/// A power-of-ten range of record counts: `[at_least, below)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowCountBucket {
    /// Lower bound, included.
    pub at_least: u64,
    /// Upper bound, excluded (`None`: unbounded, for the top bucket).
    pub below: Option<u64>,
}

impl RowCountBucket {
    /// The bucket holding `rows`: 0, 1–9, 10–99, 100–999, …
    pub fn of(rows: u64) -> Self {
        if rows == 0 {
            return RowCountBucket {
                at_least: 0,
                below: Some(1),
            };
        }
        let mut at_least = 1u64;
        while let Some(next) = at_least.checked_mul(10) {
            if rows < next {
                return RowCountBucket {
                    at_least,
                    below: Some(next),
                };
            }
            at_least = next;
        }
        RowCountBucket {
            at_least,
            below: None,
        }
    }
}

impl fmt::Display for RowCountBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.below {
            Some(below) => write!(f, "{}–{}", self.at_least, below - 1),
            None => write!(f, "≥ {}", self.at_least),
        }
    }
}

/// How a query ended, for the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
#[non_exhaustive]
pub enum QueryOutcome {
    /// Answered; the shape of the answer.
    #[serde(rename_all = "camelCase")]
    Answered {
        /// The query's number under the agreement.
        query_number: u64,
        /// Groups returned.
        groups_returned: u64,
        /// Groups suppressed.
        groups_suppressed: u64,
        /// Measure values withheld.
        values_withheld: u64,
        /// The answer's columns (group-by columns, then measures).
        columns: Vec<String>,
        /// The records covered, as a bucket.
        rows: RowCountBucket,
    },
    /// Refused or failed.
    #[serde(rename_all = "camelCase")]
    Refused {
        /// The error's code ([`SandboxError::code`]).
        code: String,
        /// The error's message.
        reason: String,
    },
}

/// One query as the audit log keeps it: the request and the answer's shape, no values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryLogRecord {
    /// When the query was decided.
    pub at: DateTime<Utc>,
    /// The minimum group size in force.
    pub k: u64,
    /// The declared purpose.
    pub purpose: String,
    /// The request as received (it holds the consumer's own filter values, no data).
    pub request: AggregationRequest,
    /// What happened.
    #[serde(flatten)]
    pub outcome: QueryOutcome,
}

impl QueryLogRecord {
    /// The record of an answered query.
    pub fn answered(request: &AggregationRequest, answer: &Answer) -> Self {
        let mut columns = answer.group_by.clone();
        columns.extend(answer.measures.iter().cloned());
        QueryLogRecord {
            at: Utc::now(),
            k: answer.k,
            purpose: request.purpose.clone(),
            request: request.clone(),
            outcome: QueryOutcome::Answered {
                query_number: answer.query_number,
                groups_returned: answer.groups.len() as u64,
                groups_suppressed: answer.groups_suppressed,
                values_withheld: answer.values_withheld,
                columns,
                rows: answer.rows,
            },
        }
    }

    /// The record of a refused or failed query. The reason is the consumer's message
    /// ([`SandboxError::consumer_message`]): a provider-side error's details can quote data (a
    /// CSV parse error shows the record) and belong in the operator's log, not the audit log.
    pub fn refused(request: &AggregationRequest, k: u64, error: &SandboxError) -> Self {
        QueryLogRecord {
            at: Utc::now(),
            k,
            purpose: request.purpose.clone(),
            request: request.clone(),
            outcome: QueryOutcome::Refused {
                code: error.code().to_owned(),
                reason: error.consumer_message(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_ten() {
        assert_eq!(RowCountBucket::of(0).to_string(), "0–0");
        assert_eq!(RowCountBucket::of(7).to_string(), "1–9");
        assert_eq!(RowCountBucket::of(10).to_string(), "10–99");
        assert_eq!(
            RowCountBucket::of(10_000_000).to_string(),
            "10000000–99999999"
        );
        assert_eq!(RowCountBucket::of(u64::MAX).below, None);
    }

    #[test]
    fn numbers_match_across_types() {
        assert_eq!(Scalar::Int(3).canonical(), Scalar::Float(3.0).canonical());
        assert_ne!(
            Scalar::Int(3).canonical(),
            Scalar::Text("3".into()).canonical()
        );
    }

    #[test]
    fn answer_json_round_trip() {
        let answer = Answer {
            query_number: 1,
            k: 5,
            group_by: vec!["district".into()],
            measures: vec!["count".into(), "mean(bmi)".into()],
            groups: vec![AnswerGroup {
                key: vec![Scalar::Text("Nord".into())],
                values: vec![MeasureValue::Count(12), MeasureValue::Withheld],
            }],
            groups_suppressed: 2,
            values_withheld: 1,
            rows: RowCountBucket::of(12),
        };
        let json = serde_json::to_string(&answer).unwrap();
        assert!(json.contains(r#""values":[12,null]"#), "{json}");
        assert_eq!(serde_json::from_str::<Answer>(&json).unwrap(), answer);
    }
}
