//! [`Sandbox::execute`]: one aggregation request from check to answer.
//!
//! The steps: check k and the policy; open the source and read its columns; check the request
//! against them; aggregate next to the data with k-suppression; compare the result's record
//! sets with every earlier answered query of the agreement (differencing); only then build the
//! answer and remember the query. A refused query leaves the history's answered queries
//! unchanged (it only counts the refusal).

use std::cmp::Ordering;
use std::time::Duration;

use super::answer::{Answer, AnswerGroup, MeasureValue, RowCountBucket, Scalar};
use super::check::{CheckedQuery, check_request};
use super::engine::{EngineLimits, OpenedSource, RawAnswer};
use super::error::SandboxError;
use super::history::{HistoryEntry, PairCheck, QueryHistory, Relation};
use super::policy::ColumnPolicy;
use super::request::{AggregationRequest, Filter};
use super::schema::{ColumnKind, SourceSchema};
use super::source::SandboxSource;

/// The Charta's default minimum group size.
pub const DEFAULT_MIN_GROUP_SIZE: u64 = 5;

/// Limits for the sandbox engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Most groups an answer may hold (default 10 000).
    pub max_groups: usize,
    /// Memory budget of one file query in bytes (default 1 GiB); beyond it the query fails.
    pub memory_bytes: usize,
    /// Parallel partitions for file queries (default: the machine's cores).
    pub partitions: usize,
    /// Longest a whole execution (query and differencing checks) may take (default 120 s).
    pub timeout: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            max_groups: 10_000,
            memory_bytes: 1 << 30,
            partitions: std::thread::available_parallelism().map_or(2, |n| n.get()),
            timeout: Duration::from_secs(120),
        }
    }
}

/// The sandbox engine: answers aggregation requests next to the data.
#[derive(Debug, Clone, Default)]
pub struct Sandbox {
    config: SandboxConfig,
}

impl Sandbox {
    /// An engine with these limits.
    pub fn new(config: SandboxConfig) -> Self {
        Sandbox { config }
    }

    /// The limits in force.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Answers `request` on `source` under `policy` with minimum group size `k`, checking and
    /// extending the agreement's `history`.
    ///
    /// The caller (the connector's transfer logic) has already checked the agreement itself:
    /// validity, purpose, and the query count against [`QueryHistory::answered`].
    pub async fn execute(
        &self,
        source: &SandboxSource,
        policy: &ColumnPolicy,
        request: &AggregationRequest,
        k: u64,
        history: &mut QueryHistory,
    ) -> Result<Answer, SandboxError> {
        let limit = self.config.timeout;
        let outcome = match tokio::time::timeout(
            limit,
            self.run(source, policy, request, k, history),
        )
        .await
        {
            Ok(outcome) => outcome,
            Err(_) => Err(SandboxError::Timeout {
                seconds: limit.as_secs(),
            }),
        };
        match outcome {
            Ok((answer, entry)) => {
                history.record(entry);
                Ok(answer)
            }
            Err(error) => {
                history.record_refusal();
                Err(error)
            }
        }
    }

    async fn run(
        &self,
        source: &SandboxSource,
        policy: &ColumnPolicy,
        request: &AggregationRequest,
        k: u64,
        history: &QueryHistory,
    ) -> Result<(Answer, HistoryEntry), SandboxError> {
        if k < 2 {
            return Err(SandboxError::InvalidMinGroupSize { k });
        }
        policy.validate()?;
        let limits = EngineLimits {
            max_groups: self.config.max_groups,
            memory_bytes: self.config.memory_bytes,
            partitions: self.config.partitions,
            timeout_ms: u64::try_from(self.config.timeout.as_millis()).unwrap_or(u64::MAX),
        };
        let opened = OpenedSource::open(source, limits).await?;
        policy.validate_against(opened.schema())?;
        let query = check_request(request, policy, opened.schema())?;
        let raw = opened.aggregate(&query, k).await?;
        let entry = HistoryEntry {
            number: history.next_query_number(),
            group_by: query.group_names(),
            filters: query.filter_list(),
            groups: raw
                .groups
                .iter()
                .map(|g| (g.key.clone(), g.records))
                .collect(),
        };
        let mut checks = history.pair_checks(&entry);
        // The checks from stored counts first: they cost nothing.
        checks.sort_by_key(|c| matches!(c.relation, Relation::Overlapping { .. }));
        for check in &checks {
            differencing(check, &opened, k).await?;
        }
        let answer = build_answer(&query, raw, k, entry.number);
        Ok((answer, entry))
    }
}

async fn differencing(
    check: &PairCheck<'_>,
    opened: &OpenedSource,
    k: u64,
) -> Result<(), SandboxError> {
    match check.relation {
        Relation::EarlierContainsNew | Relation::NewContainsEarlier => {
            check.check_nested(k).map_err(SandboxError::Differencing)
        }
        Relation::Overlapping { .. } => {
            let schema = opened.schema();
            let (coarse, fine) = check.sides();
            let columns = check
                .coarse_columns()
                .into_iter()
                .map(|c| kind(schema, &c).map(|k| (c, k)))
                .collect::<Result<Vec<_>, _>>()?;
            let coarse = with_kinds(schema, &coarse.filters)?;
            let fine = with_kinds(schema, &fine.filters)?;
            let counts = opened.overlap(&columns, &coarse, &fine).await?;
            check
                .check_overlap(&counts, k)
                .map_err(SandboxError::Differencing)
        }
    }
}

fn kind(schema: &SourceSchema, column: &str) -> Result<ColumnKind, SandboxError> {
    schema.kind_of(column).ok_or_else(|| SandboxError::Source {
        source_kind: "history",
        message: format!(
            "column \"{column}\" of an earlier query is no longer in the source; the \
             differencing check cannot run"
        ),
    })
}

fn with_kinds(
    schema: &SourceSchema,
    filters: &[Filter],
) -> Result<Vec<(Filter, ColumnKind)>, SandboxError> {
    filters
        .iter()
        .map(|f| kind(schema, &f.column).map(|k| (f.clone(), k)))
        .collect()
}

fn build_answer(query: &CheckedQuery, raw: RawAnswer, k: u64, number: u64) -> Answer {
    let mut withheld = 0u64;
    let mut covered = 0u64;
    let mut groups: Vec<AnswerGroup> = raw
        .groups
        .into_iter()
        .map(|group| {
            covered = covered.saturating_add(group.records);
            let values = query
                .measures
                .iter()
                .zip(group.measures)
                .map(|(measure, (value, non_empty))| {
                    if measure.column.is_none() {
                        return MeasureValue::Count(group.records);
                    }
                    match value {
                        Some(x) if non_empty >= k => MeasureValue::Number(x),
                        _ => {
                            withheld += 1;
                            MeasureValue::Withheld
                        }
                    }
                })
                .collect();
            AnswerGroup {
                key: group.key,
                values,
            }
        })
        .collect();
    groups.sort_by(|a, b| compare_keys(&a.key, &b.key));
    Answer {
        query_number: number,
        k,
        group_by: query.group_names(),
        measures: query.measures.iter().map(ToString::to_string).collect(),
        groups,
        groups_suppressed: raw.suppressed,
        values_withheld: withheld,
        rows: RowCountBucket::of(covered),
    }
}

fn compare_keys(a: &[Scalar], b: &[Scalar]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| compare_scalars(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

fn compare_scalars(a: &Scalar, b: &Scalar) -> Ordering {
    fn rank(s: &Scalar) -> u8 {
        match s {
            Scalar::Null => 0,
            Scalar::Bool(_) => 1,
            Scalar::Int(_) | Scalar::Float(_) => 2,
            Scalar::Text(_) => 3,
        }
    }
    match (a, b) {
        (Scalar::Bool(x), Scalar::Bool(y)) => x.cmp(y),
        (Scalar::Int(x), Scalar::Int(y)) => x.cmp(y),
        (Scalar::Text(x), Scalar::Text(y)) => x.cmp(y),
        (Scalar::Int(_) | Scalar::Float(_), Scalar::Int(_) | Scalar::Float(_)) => {
            as_f64(a).total_cmp(&as_f64(b))
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

fn as_f64(s: &Scalar) -> f64 {
    match s {
        Scalar::Int(i) => *i as f64,
        Scalar::Float(f) => *f,
        _ => 0.0,
    }
}
