//! The engines that compute next to the data: DataFusion for CSV and Parquet files
//! ([`files`]), PostgreSQL itself for tables and views ([`postgres`]).
//!
//! Both answer the same two questions for a checked query: the groups with at least k records
//! (and how many groups had fewer), and, for the differencing check, per-group counts of the
//! records two filter sets do not share. Group keys come back typed ([`Scalar`]); measures as
//! `f64` with the number of non-empty values they were computed from.

use std::collections::BTreeMap;

use super::answer::Scalar;
use super::check::CheckedQuery;
use super::error::SandboxError;
use super::history::OverlapCounts;
use super::request::Filter;
use super::schema::{ColumnKind, SourceSchema};
use super::source::SandboxSource;

mod files;
mod postgres;

/// Limits for one execution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EngineLimits {
    /// Most groups of at least k records an answer may hold.
    pub(crate) max_groups: usize,
    /// Query engine memory budget in bytes (DataFusion; PostgreSQL uses its own `work_mem`).
    pub(crate) memory_bytes: usize,
    /// Parallel partitions (DataFusion).
    pub(crate) partitions: usize,
    /// Statement timeout in milliseconds (PostgreSQL; DataFusion is stopped by the caller).
    pub(crate) timeout_ms: u64,
}

/// One group of at least k records, before measures are withheld.
#[derive(Debug, Clone)]
pub(crate) struct RawGroup {
    /// The group-by values.
    pub(crate) key: Vec<Scalar>,
    /// Records in the group.
    pub(crate) records: u64,
    /// Per measure: the value (for `count`: the record count) and the number of non-empty
    /// values it was computed from.
    pub(crate) measures: Vec<(Option<f64>, u64)>,
}

/// What an aggregation returned.
#[derive(Debug, Clone)]
pub(crate) struct RawAnswer {
    /// Groups of at least k records.
    pub(crate) groups: Vec<RawGroup>,
    /// Number of non-empty groups with fewer than k records.
    pub(crate) suppressed: u64,
}

/// A source opened for one execution (one connection, one session).
pub(crate) enum OpenedSource {
    Files(files::FileTable),
    Postgres(postgres::PgTable),
}

impl OpenedSource {
    /// Opens a source and reads its columns.
    pub(crate) async fn open(
        source: &SandboxSource,
        limits: EngineLimits,
    ) -> Result<Self, SandboxError> {
        source.validate()?;
        match source {
            SandboxSource::Csv(_) | SandboxSource::Parquet(_) => Ok(OpenedSource::Files(
                files::FileTable::open(source, limits).await?,
            )),
            SandboxSource::Postgres(pg) => Ok(OpenedSource::Postgres(
                postgres::PgTable::open(pg, limits).await?,
            )),
        }
    }

    /// The source's columns.
    pub(crate) fn schema(&self) -> &SourceSchema {
        match self {
            OpenedSource::Files(t) => t.schema(),
            OpenedSource::Postgres(t) => t.schema(),
        }
    }

    /// Groups with at least `k` records, and the count of smaller non-empty groups.
    pub(crate) async fn aggregate(
        &self,
        query: &CheckedQuery,
        k: u64,
    ) -> Result<RawAnswer, SandboxError> {
        match self {
            OpenedSource::Files(t) => t.aggregate(query, k).await,
            OpenedSource::Postgres(t) => t.aggregate(query, k).await,
        }
    }

    /// Per group of `columns` (canonical values): records only in `coarse`, only in `fine`, and
    /// in both.
    pub(crate) async fn overlap(
        &self,
        columns: &[(String, ColumnKind)],
        coarse: &[(Filter, ColumnKind)],
        fine: &[(Filter, ColumnKind)],
    ) -> Result<BTreeMap<Vec<String>, OverlapCounts>, SandboxError> {
        match self {
            OpenedSource::Files(t) => t.overlap(columns, coarse, fine).await,
            OpenedSource::Postgres(t) => t.overlap(columns, coarse, fine).await,
        }
    }
}
