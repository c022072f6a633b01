//! PostgreSQL tables and views: the aggregation is pushed down as generated SQL, so it runs
//! next to the data and only the answer crosses the connection.
//!
//! The SQL is built from checked requests only: identifiers are always double-quoted (embedded
//! quotes doubled), every filter value and k travel as bind parameters, never as text. The
//! session is made read-only and gets a statement timeout. k-suppression happens in SQL: one
//! statement computes the groups once (a CTE), returns those with at least k records and, as a
//! last summary row, the number of non-empty groups below k — small groups never leave the
//! server. (A `HAVING count(*) >= k` query plus a second `HAVING count(*) < k` count would do the
//! same with two scans of the table.)
//!
//! The connection is made without TLS (`NoTls`): the sandbox is meant to run next to the
//! database (same host, unix socket or a private link). A connection string asking for
//! `sslmode=require` fails with a clear error.

use std::collections::BTreeMap;

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls, Row};

use super::{EngineLimits, RawAnswer, RawGroup};
use crate::sandbox::answer::Scalar;
use crate::sandbox::check::CheckedQuery;
use crate::sandbox::error::SandboxError;
use crate::sandbox::history::OverlapCounts;
use crate::sandbox::request::{Condition, Filter, FilterValue, MeasureFunction};
use crate::sandbox::schema::{ColumnKind, SourceSchema};
use crate::sandbox::source::PostgresSource;

/// A PostgreSQL table opened for one execution.
pub(crate) struct PgTable {
    client: Client,
    table: String,
    schema: SourceSchema,
    limits: EngineLimits,
}

impl PgTable {
    /// Connects, makes the session read-only with a statement timeout, and reads the columns.
    pub(crate) async fn open(
        source: &PostgresSource,
        limits: EngineLimits,
    ) -> Result<Self, SandboxError> {
        let connection_string = source.connection_string()?;
        let (client, connection) = tokio_postgres::connect(&connection_string, NoTls)
            .await
            .map_err(pg_error)?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "sandbox PostgreSQL connection ended with an error");
            }
        });
        client
            .batch_execute(&format!(
                "SET default_transaction_read_only = on; SET statement_timeout = {}",
                // PostgreSQL takes an int4 of milliseconds.
                limits.timeout_ms.clamp(1, i32::MAX as u64)
            ))
            .await
            .map_err(pg_error)?;
        let table = match &source.schema {
            Some(schema) => format!("{}.{}", quote(schema), quote(&source.table)),
            None => quote(&source.table),
        };
        let statement = client
            .prepare(&format!("SELECT * FROM {table} LIMIT 0"))
            .await
            .map_err(pg_error)?;
        let columns = statement
            .columns()
            .iter()
            .map(|c| (c.name().to_owned(), column_kind(c.type_())))
            .collect();
        Ok(PgTable {
            client,
            table,
            schema: SourceSchema::new(columns),
            limits,
        })
    }

    pub(crate) fn schema(&self) -> &SourceSchema {
        &self.schema
    }

    pub(crate) async fn aggregate(
        &self,
        query: &CheckedQuery,
        k: u64,
    ) -> Result<RawAnswer, SandboxError> {
        let mut params = Params::default();
        let condition = conjunction(&query.filters, &mut params);
        let k_param = params.push(i64::try_from(k).unwrap_or(i64::MAX));
        let keys: Vec<String> = query
            .group_by
            .iter()
            .enumerate()
            .map(|(i, (column, kind))| format!("{} AS g{i}", group_expr(column, *kind)))
            .collect();
        let mut measures = Vec::new();
        let mut measure_names = Vec::new();
        for (i, measure) in query.measures.iter().enumerate() {
            let Some(column) = &measure.column else {
                continue;
            };
            let value = format!("{}::float8", quote(column));
            let aggregate = match measure.function {
                MeasureFunction::Sum => format!("sum({value})"),
                MeasureFunction::Mean => format!("avg({value})"),
                MeasureFunction::Median => {
                    format!("percentile_cont(0.5) WITHIN GROUP (ORDER BY {value})")
                }
                MeasureFunction::Count => continue,
            };
            measures.push(format!(
                "{aggregate} AS m{i}, count({}) AS c{i}",
                quote(column)
            ));
            measure_names.push(format!("m{i}"));
            measure_names.push(format!("c{i}"));
        }
        let mut select = keys.clone();
        select.push("count(*) AS n".to_owned());
        select.extend(measures);
        let group_by = if keys.is_empty() {
            String::new()
        } else {
            let positions: Vec<String> = (1..=keys.len()).map(|p| p.to_string()).collect();
            format!(" GROUP BY {}", positions.join(", "))
        };
        let key_names: Vec<String> = (0..keys.len()).map(|i| format!("g{i}")).collect();
        let mut returned = key_names.clone();
        returned.push("n".to_owned());
        returned.extend(measure_names.iter().cloned());
        let null_keys: Vec<&str> = key_names.iter().map(|_| "NULL").collect();
        let null_measures: Vec<&str> = measure_names.iter().map(|_| "NULL").collect();
        let mut summary = null_keys;
        summary.push("count(*)");
        summary.extend(null_measures);
        let sql = format!(
            "WITH groups AS (SELECT {select} FROM {table} WHERE {condition}{group_by}) \
             (SELECT {returned}, false AS summary FROM groups WHERE n >= {k_param} LIMIT {limit}) \
             UNION ALL \
             (SELECT {summary}, true FROM groups WHERE n < {k_param} AND n > 0)",
            select = select.join(", "),
            table = self.table,
            returned = returned.join(", "),
            summary = summary.join(", "),
            limit = self.limits.max_groups + 1,
        );
        let rows = self
            .client
            .query(&sql, &params.refs())
            .await
            .map_err(pg_error)?;
        let mut answer = RawAnswer {
            groups: Vec::new(),
            suppressed: 0,
        };
        let summary_column = returned.len();
        for row in rows {
            let records: i64 = get(&row, key_names.len())?;
            if get::<bool>(&row, summary_column)? {
                answer.suppressed = records.max(0) as u64;
                continue;
            }
            if answer.groups.len() >= self.limits.max_groups {
                return Err(SandboxError::TooManyGroups {
                    limit: self.limits.max_groups,
                });
            }
            let n = records.max(0) as u64;
            let key = query
                .group_by
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| scalar(&row, i, *kind))
                .collect::<Result<Vec<_>, _>>()?;
            let mut values = Vec::with_capacity(query.measures.len());
            let mut next = key_names.len() + 1;
            for measure in &query.measures {
                if measure.column.is_none() {
                    values.push((Some(n as f64), n));
                    continue;
                }
                let value: Option<f64> = get(&row, next)?;
                let non_empty: i64 = get(&row, next + 1)?;
                values.push((value, non_empty.max(0) as u64));
                next += 2;
            }
            answer.groups.push(RawGroup {
                key,
                records: n,
                measures: values,
            });
        }
        Ok(answer)
    }

    pub(crate) async fn overlap(
        &self,
        columns: &[(String, ColumnKind)],
        coarse: &[(Filter, ColumnKind)],
        fine: &[(Filter, ColumnKind)],
    ) -> Result<BTreeMap<Vec<String>, OverlapCounts>, SandboxError> {
        let mut params = Params::default();
        let c = format!("({}) IS TRUE", conjunction(coarse, &mut params));
        let f = format!("({}) IS TRUE", conjunction(fine, &mut params));
        let keys: Vec<String> = columns
            .iter()
            .map(|(column, kind)| group_expr(column, *kind))
            .collect();
        let mut select = keys.clone();
        select.push(format!("count(*) FILTER (WHERE {c} AND NOT {f})"));
        select.push(format!("count(*) FILTER (WHERE {f} AND NOT {c})"));
        select.push(format!("count(*) FILTER (WHERE {c} AND {f})"));
        let group_by = if keys.is_empty() {
            String::new()
        } else {
            let positions: Vec<String> = (1..=keys.len()).map(|p| p.to_string()).collect();
            format!(" GROUP BY {}", positions.join(", "))
        };
        let sql = format!(
            "SELECT {} FROM {} WHERE {c} OR {f}{group_by}",
            select.join(", "),
            self.table
        );
        let rows = self
            .client
            .query(&sql, &params.refs())
            .await
            .map_err(pg_error)?;
        let mut counts = BTreeMap::new();
        for row in rows {
            let key = columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| scalar(&row, i, *kind).map(|s| s.canonical()))
                .collect::<Result<Vec<_>, _>>()?;
            let at = |i: usize| get::<i64>(&row, columns.len() + i).map(|v| v.max(0) as u64);
            counts.insert(
                key,
                OverlapCounts {
                    only_coarse: at(0)?,
                    only_fine: at(1)?,
                    both: at(2)?,
                },
            );
        }
        Ok(counts)
    }
}

/// Bind parameters collected while the SQL text is written.
#[derive(Default)]
struct Params {
    values: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Params {
    /// Adds a value and returns its placeholder (`$1`, `$2`, …).
    fn push<T: ToSql + Sync + Send + 'static>(&mut self, value: T) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// A PostgreSQL identifier, always quoted (so case and special characters are kept).
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn column_kind(ty: &Type) -> ColumnKind {
    match *ty {
        Type::INT2 | Type::INT4 | Type::INT8 => ColumnKind::Integer,
        Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC => ColumnKind::Decimal,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => ColumnKind::Text,
        Type::BOOL => ColumnKind::Boolean,
        _ => ColumnKind::Other,
    }
}

/// The group-by expression: values normalised to int8, float8, bool or text.
fn group_expr(column: &str, kind: ColumnKind) -> String {
    let q = quote(column);
    match kind {
        ColumnKind::Integer => format!("{q}::int8"),
        ColumnKind::Decimal => format!("{q}::float8"),
        ColumnKind::Boolean => q,
        ColumnKind::Text | ColumnKind::Other => format!("{q}::text"),
    }
}

/// A typed placeholder for a value compared with a column of `kind`.
fn value_param(value: &FilterValue, params: &mut Params) -> String {
    match value {
        FilterValue::Number(x) => format!("{}::float8", params.push(*x)),
        FilterValue::Text(t) => format!("{}::text", params.push(t.clone())),
        FilterValue::Bool(b) => format!("{}::bool", params.push(*b)),
    }
}

fn list_param(values: &[FilterValue], params: &mut Params) -> String {
    // All values fit the column's kind (checked), so they share one type.
    match values.first() {
        Some(FilterValue::Number(_)) => {
            let list: Vec<f64> = values
                .iter()
                .filter_map(|v| match v {
                    FilterValue::Number(x) => Some(*x),
                    _ => None,
                })
                .collect();
            format!("{}::float8[]", params.push(list))
        }
        Some(FilterValue::Bool(_)) => {
            let list: Vec<bool> = values
                .iter()
                .filter_map(|v| match v {
                    FilterValue::Bool(b) => Some(*b),
                    _ => None,
                })
                .collect();
            format!("{}::bool[]", params.push(list))
        }
        _ => {
            let list: Vec<String> = values
                .iter()
                .filter_map(|v| match v {
                    FilterValue::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            format!("{}::text[]", params.push(list))
        }
    }
}

/// The filters as one SQL condition (`TRUE` when there are none).
fn conjunction(filters: &[(Filter, ColumnKind)], params: &mut Params) -> String {
    if filters.is_empty() {
        return "TRUE".to_owned();
    }
    let parts: Vec<String> = filters
        .iter()
        .map(|(filter, _)| {
            let c = quote(&filter.column);
            let number = |x: f64, params: &mut Params| format!("{}::float8", params.push(x));
            match &filter.condition {
                Condition::Eq { value } => format!("{c} = {}", value_param(value, params)),
                Condition::Neq { value } => format!("{c} <> {}", value_param(value, params)),
                Condition::In { values } => format!("{c} = ANY({})", list_param(values, params)),
                Condition::Lt { value } => format!("{c} < {}", number(*value, params)),
                Condition::Lte { value } => format!("{c} <= {}", number(*value, params)),
                Condition::Gt { value } => format!("{c} > {}", number(*value, params)),
                Condition::Gte { value } => format!("{c} >= {}", number(*value, params)),
                Condition::Between { low, high } => {
                    let low = number(*low, params);
                    let high = number(*high, params);
                    format!("{c} BETWEEN {low} AND {high}")
                }
            }
        })
        .collect();
    format!("({})", parts.join(" AND "))
}

fn scalar(row: &Row, i: usize, kind: ColumnKind) -> Result<Scalar, SandboxError> {
    Ok(match kind {
        ColumnKind::Integer => get::<Option<i64>>(row, i)?.map_or(Scalar::Null, Scalar::Int),
        ColumnKind::Decimal => get::<Option<f64>>(row, i)?.map_or(Scalar::Null, Scalar::Float),
        ColumnKind::Boolean => get::<Option<bool>>(row, i)?.map_or(Scalar::Null, Scalar::Bool),
        ColumnKind::Text | ColumnKind::Other => {
            get::<Option<String>>(row, i)?.map_or(Scalar::Null, Scalar::Text)
        }
    })
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
) -> Result<T, SandboxError> {
    row.try_get(i).map_err(pg_error)
}

fn pg_error(error: tokio_postgres::Error) -> SandboxError {
    let message = match error.as_db_error() {
        Some(db) => format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        ),
        None => match std::error::Error::source(&error) {
            Some(cause) => format!("{error}: {cause}"),
            None => error.to_string(),
        },
    };
    SandboxError::Source {
        source_kind: "postgres",
        message,
    }
}
