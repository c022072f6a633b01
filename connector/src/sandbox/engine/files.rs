//! CSV and Parquet files, aggregated by Apache DataFusion in this process.
//!
//! DataFusion streams the file in record batches over `partitions` parallel byte ranges and
//! aggregates with a partial/final hash aggregation, so memory grows with the number of
//! groups, not with the number of rows. The only exception is `median`, which keeps the
//! measured column's values of each group (8 bytes per non-empty value) until the group is
//! complete. A memory pool caps the whole query ([`super::EngineLimits::memory_bytes`]).
//!
//! Groups are read from the output stream one batch at a time: groups of fewer than k records
//! are counted and dropped at once, their values never leave this function.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::functions_aggregate::expr_fn::{avg, count, median, sum};
use datafusion::prelude::{
    CsvReadOptions, DataFrame, Expr, ParquetReadOptions, SessionConfig, SessionContext, cast,
    ident, lit, when,
};
use futures_util::StreamExt;
use std::ops::Not;

use super::{EngineLimits, RawAnswer, RawGroup};
use crate::sandbox::answer::Scalar;
use crate::sandbox::check::CheckedQuery;
use crate::sandbox::error::SandboxError;
use crate::sandbox::history::OverlapCounts;
use crate::sandbox::request::{Condition, Filter, FilterValue, MeasureFunction};
use crate::sandbox::schema::{ColumnKind, SourceSchema};
use crate::sandbox::source::{SandboxSource, source_error};

/// How many records DataFusion reads to infer the types of a CSV file's columns.
const CSV_SCHEMA_INFERENCE_RECORDS: usize = 10_000;

/// A file opened as a DataFusion table for one execution.
pub(crate) struct FileTable {
    frame: DataFrame,
    schema: SourceSchema,
    kind: &'static str,
    limits: EngineLimits,
}

impl FileTable {
    /// Opens the file and reads its columns (for CSV: inferred from the first records).
    pub(crate) async fn open(
        source: &SandboxSource,
        limits: EngineLimits,
    ) -> Result<Self, SandboxError> {
        let kind = source.kind();
        let config = SessionConfig::new()
            .with_target_partitions(limits.partitions.max(1))
            .with_batch_size(8192);
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(limits.memory_bytes, 1.0)
            .build_arc()
            .map_err(|e| engine_error(kind, e))?;
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        let frame = match source {
            SandboxSource::Csv(csv) => {
                let (path, extension) = file_path(&csv.path)?;
                let options = CsvReadOptions::new()
                    .has_header(true)
                    .delimiter(csv.delimiter as u8)
                    .file_extension(&extension)
                    .schema_infer_max_records(CSV_SCHEMA_INFERENCE_RECORDS);
                ctx.read_csv(path, options).await
            }
            SandboxSource::Parquet(parquet) => {
                let (path, extension) = file_path(&parquet.path)?;
                let options = ParquetReadOptions {
                    file_extension: &extension,
                    ..Default::default()
                };
                ctx.read_parquet(path, options).await
            }
            SandboxSource::Postgres(_) => {
                return Err(source_error("kind", "not a file source"));
            }
        }
        .map_err(|e| engine_error(kind, e))?;
        let columns = frame
            .schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), column_kind(f.data_type())))
            .collect();
        Ok(FileTable {
            frame,
            schema: SourceSchema::new(columns),
            kind,
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
        let groups: Vec<Expr> = query
            .group_by
            .iter()
            .enumerate()
            .map(|(i, (column, _))| ident(column).alias(format!("g{i}")))
            .collect();
        let mut aggregates = vec![count(lit(1i64)).alias("n")];
        for (i, measure) in query.measures.iter().enumerate() {
            let Some(column) = &measure.column else {
                continue;
            };
            let value = cast(ident(column), DataType::Float64);
            let aggregate = match measure.function {
                MeasureFunction::Sum => sum(value),
                MeasureFunction::Mean => avg(value),
                MeasureFunction::Median => median(value),
                MeasureFunction::Count => continue,
            };
            aggregates.push(aggregate.alias(format!("m{i}")));
            aggregates.push(count(ident(column)).alias(format!("c{i}")));
        }
        let frame = self
            .frame
            .clone()
            .filter(conjunction(&query.filters))
            .and_then(|f| f.aggregate(groups, aggregates))
            .and_then(|f| normalise_groups(f, &query.group_by))
            .map_err(|e| engine_error(self.kind, e))?;
        let mut stream = frame
            .execute_stream()
            .await
            .map_err(|e| engine_error(self.kind, e))?;
        let mut answer = RawAnswer {
            groups: Vec::new(),
            suppressed: 0,
        };
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| engine_error(self.kind, e))?;
            let records = int_column(&batch, "n")?;
            let keys: Vec<ArrayRef> = (0..query.group_by.len())
                .map(|i| column(&batch, &format!("g{i}")))
                .collect::<Result<_, _>>()?;
            for row in 0..batch.num_rows() {
                let n = records.get(row).copied().unwrap_or(0).max(0) as u64;
                if n == 0 {
                    continue;
                }
                if n < k {
                    answer.suppressed += 1;
                    continue;
                }
                if answer.groups.len() >= self.limits.max_groups {
                    return Err(SandboxError::TooManyGroups {
                        limit: self.limits.max_groups,
                    });
                }
                let key = keys
                    .iter()
                    .map(|a| scalar_at(a, row))
                    .collect::<Result<_, _>>()?;
                let mut measures = Vec::with_capacity(query.measures.len());
                for (i, measure) in query.measures.iter().enumerate() {
                    if measure.column.is_none() {
                        measures.push((Some(n as f64), n));
                        continue;
                    }
                    let value = column(&batch, &format!("m{i}"))?;
                    let value = value
                        .as_primitive_opt::<Float64Type>()
                        .and_then(|a| (!a.is_null(row)).then(|| a.value(row)));
                    let non_empty = int_column(&batch, &format!("c{i}"))?
                        .get(row)
                        .copied()
                        .unwrap_or(0)
                        .max(0) as u64;
                    measures.push((value, non_empty));
                }
                answer.groups.push(RawGroup {
                    key,
                    records: n,
                    measures,
                });
            }
        }
        Ok(answer)
    }

    pub(crate) async fn overlap(
        &self,
        columns: &[(String, ColumnKind)],
        coarse: &[(Filter, ColumnKind)],
        fine: &[(Filter, ColumnKind)],
    ) -> Result<BTreeMap<Vec<String>, OverlapCounts>, SandboxError> {
        // Each record's membership is computed once, as a definite true/false (a NULL
        // comparison counts as "not matching"), then counted. Writing the conditions inline
        // repeats them, and DataFusion 55's common-subexpression pass then fails on
        // `IS TRUE` (nullability mismatch between logical and physical plan).
        const IN_COARSE: &str = "__sandbox_in_coarse";
        const IN_FINE: &str = "__sandbox_in_fine";
        let membership = |filters: &[(Filter, ColumnKind)], name: &str| {
            when(conjunction(filters), lit(true))
                .otherwise(lit(false))
                .map(|e| e.alias(name))
                .map_err(|e| engine_error(self.kind, e))
        };
        let mut projected: Vec<Expr> = columns
            .iter()
            .enumerate()
            .map(|(i, (column, _))| ident(column).alias(format!("g{i}")))
            .collect();
        projected.push(membership(coarse, IN_COARSE)?);
        projected.push(membership(fine, IN_FINE)?);
        let counted = |condition: Expr| {
            when(condition, lit(1i64))
                .end()
                .map(count)
                .map_err(|e| engine_error(self.kind, e))
        };
        let in_coarse = ident(IN_COARSE);
        let in_fine = ident(IN_FINE);
        let aggregates = vec![
            counted(in_coarse.clone().and(in_fine.clone().not()))?.alias("only_coarse"),
            counted(in_fine.clone().and(in_coarse.clone().not()))?.alias("only_fine"),
            counted(in_coarse.clone().and(in_fine.clone()))?.alias("both"),
        ];
        let groups: Vec<Expr> = (0..columns.len()).map(|i| ident(format!("g{i}"))).collect();
        let frame = self
            .frame
            .clone()
            .select(projected)
            .and_then(|f| f.filter(in_coarse.or(in_fine)))
            .and_then(|f| f.aggregate(groups, aggregates))
            .and_then(|f| normalise_groups(f, columns))
            .map_err(|e| engine_error(self.kind, e))?;
        let batches = frame
            .collect()
            .await
            .map_err(|e| engine_error(self.kind, e))?;
        let mut counts = BTreeMap::new();
        for batch in batches {
            let keys: Vec<ArrayRef> = (0..columns.len())
                .map(|i| column(&batch, &format!("g{i}")))
                .collect::<Result<_, _>>()?;
            let only_coarse = int_column(&batch, "only_coarse")?;
            let only_fine = int_column(&batch, "only_fine")?;
            let both = int_column(&batch, "both")?;
            for row in 0..batch.num_rows() {
                let key = keys
                    .iter()
                    .map(|a| scalar_at(a, row).map(|s| s.canonical()))
                    .collect::<Result<_, _>>()?;
                let get = |v: &Vec<i64>| v.get(row).copied().unwrap_or(0).max(0) as u64;
                counts.insert(
                    key,
                    OverlapCounts {
                        only_coarse: get(&only_coarse),
                        only_fine: get(&only_fine),
                        both: get(&both),
                    },
                );
            }
        }
        Ok(counts)
    }
}

fn file_path(path: &Path) -> Result<(String, String), SandboxError> {
    if !path.is_file() {
        return Err(source_error(
            "path",
            format!("{} is not a readable file", path.display()),
        ));
    }
    let text = path
        .to_str()
        .ok_or_else(|| source_error("path", format!("{} is not UTF-8", path.display())))?;
    // DataFusion only lists files with the expected extension; use the file's own.
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    Ok((text.to_owned(), extension))
}

fn column_kind(data_type: &DataType) -> ColumnKind {
    match data_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => ColumnKind::Integer,
        DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal32(_, _)
        | DataType::Decimal64(_, _)
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => ColumnKind::Decimal,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ColumnKind::Text,
        DataType::Boolean => ColumnKind::Boolean,
        _ => ColumnKind::Other,
    }
}

/// Casts the aggregated group columns `g0, g1, …` to Int64, Float64, Boolean or Utf8 (after
/// the aggregation, so the cast touches one value per group, not one per record; grouping on
/// the raw columns also keeps Parquet's string views); other columns pass unchanged.
fn normalise_groups(
    frame: DataFrame,
    columns: &[(String, ColumnKind)],
) -> datafusion::error::Result<DataFrame> {
    let names: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let projection = names
        .into_iter()
        .map(|name| {
            let kind = name
                .strip_prefix('g')
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| columns.get(i))
                .map(|(_, kind)| *kind);
            let column = ident(&name);
            match kind {
                Some(ColumnKind::Integer) => cast(column, DataType::Int64).alias(name),
                Some(ColumnKind::Decimal) => cast(column, DataType::Float64).alias(name),
                Some(ColumnKind::Text | ColumnKind::Other) => {
                    cast(column, DataType::Utf8).alias(name)
                }
                Some(ColumnKind::Boolean) | None => column,
            }
        })
        .collect::<Vec<_>>();
    frame.select(projection)
}

fn value_literal(value: &FilterValue, kind: ColumnKind) -> Expr {
    match value {
        FilterValue::Number(x)
            if kind == ColumnKind::Integer && x.fract() == 0.0 && x.abs() < 9.0e15 =>
        {
            lit(*x as i64)
        }
        FilterValue::Number(x) => lit(*x),
        FilterValue::Text(t) => lit(t.clone()),
        FilterValue::Bool(b) => lit(*b),
    }
}

/// The filters as one predicate (`true` when there are none).
fn conjunction(filters: &[(Filter, ColumnKind)]) -> Expr {
    filters
        .iter()
        .map(|(filter, kind)| predicate(filter, *kind))
        .reduce(Expr::and)
        .unwrap_or_else(|| lit(true))
}

fn predicate(filter: &Filter, kind: ColumnKind) -> Expr {
    let column = ident(&filter.column);
    let number = |x: f64| value_literal(&FilterValue::Number(x), kind);
    match &filter.condition {
        Condition::Eq { value } => column.eq(value_literal(value, kind)),
        Condition::Neq { value } => column.not_eq(value_literal(value, kind)),
        Condition::In { values } => column.in_list(
            values.iter().map(|v| value_literal(v, kind)).collect(),
            false,
        ),
        Condition::Lt { value } => column.lt(number(*value)),
        Condition::Lte { value } => column.lt_eq(number(*value)),
        Condition::Gt { value } => column.gt(number(*value)),
        Condition::Gte { value } => column.gt_eq(number(*value)),
        Condition::Between { low, high } => column.between(number(*low), number(*high)),
    }
}

fn column(
    batch: &datafusion::arrow::record_batch::RecordBatch,
    name: &str,
) -> Result<ArrayRef, SandboxError> {
    batch
        .column_by_name(name)
        .cloned()
        .ok_or_else(|| SandboxError::Source {
            source_kind: "datafusion",
            message: format!("result column {name} is missing"),
        })
}

fn int_column(
    batch: &datafusion::arrow::record_batch::RecordBatch,
    name: &str,
) -> Result<Vec<i64>, SandboxError> {
    let array = column(batch, name)?;
    let array = array
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| SandboxError::Source {
            source_kind: "datafusion",
            message: format!("result column {name} is not Int64"),
        })?;
    Ok((0..array.len())
        .map(|i| if array.is_null(i) { 0 } else { array.value(i) })
        .collect())
}

/// A group-by value; the group expressions only produce the four types handled here.
fn scalar_at(array: &Arc<dyn Array>, row: usize) -> Result<Scalar, SandboxError> {
    if array.is_null(row) {
        return Ok(Scalar::Null);
    }
    if let Some(a) = array.as_primitive_opt::<Int64Type>() {
        return Ok(Scalar::Int(a.value(row)));
    }
    if let Some(a) = array.as_primitive_opt::<Float64Type>() {
        return Ok(Scalar::Float(a.value(row)));
    }
    if let Some(a) = array.as_boolean_opt() {
        return Ok(Scalar::Bool(a.value(row)));
    }
    if let Some(a) = array.as_string_opt::<i32>() {
        return Ok(Scalar::Text(a.value(row).to_owned()));
    }
    if let Some(a) = array.as_string_view_opt() {
        return Ok(Scalar::Text(a.value(row).to_owned()));
    }
    Err(SandboxError::Source {
        source_kind: "datafusion",
        message: format!("unexpected group value type {}", array.data_type()),
    })
}

fn engine_error(kind: &'static str, error: impl std::fmt::Display) -> SandboxError {
    SandboxError::Source {
        source_kind: kind,
        message: error.to_string(),
    }
}
