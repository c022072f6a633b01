//! Sandbox access: aggregate-only analysis of personal-adjacent data, computed next to the data
//! (Charta GW-6 "nur aggregiert", GW-7 "keine Re-Identifizierung").
//!
//! A consumer holding an agreement sends an [`AggregationRequest`] (group-by columns, measures
//! `count`, `sum`, `mean`, `median`, filters, purpose). The provider's [`Sandbox`] checks it
//! against its [`ColumnPolicy`], computes it where the data lives ([`SandboxSource`]: CSV or
//! Parquet through Apache DataFusion in this process, a PostgreSQL table or view inside
//! PostgreSQL), and answers with groups of at least k records only ([`Answer`]). Raw rows never
//! leave.
//!
//! ```text
//! Sandbox::execute(&source, &policy, &request, k, &mut history) -> Result<Answer, SandboxError>
//! QueryLogRecord::answered(&request, &answer) / QueryLogRecord::refused(&request, k, &error)
//! history.answered()   // the figure an ODRL `count` constraint is checked against
//! ```
//!
//! The connector reaches it through the transfer type `Sandbox-QUERY`
//! ([`crate::transfer::sandbox`], [`crate::dataplane::query`]); [`SandboxSpec`] and the
//! per-agreement records are kept by the `store` module.
//!
//! # What is protected, and how
//!
//! - **Identifying columns** (named by the provider) can never be grouped on, filtered on or
//!   measured; naming one is refused with the column and the Charta principles
//!   ([`SandboxError::IdentifyingColumn`]). Columns not opened by the policy are refused too.
//! - **k-suppression**: only groups with at least k records are returned (k from the
//!   agreement, [`DEFAULT_MIN_GROUP_SIZE`] = 5); the answer says how many groups were suppressed,
//!   never which. A sum, mean or median whose column has fewer than k non-empty values in a
//!   returned group is withheld (`null`).
//! - **Differencing**: the provider keeps, per agreement, each answered query's filters,
//!   grouping and the record count of every returned group ([`QueryHistory`], no values). A new
//!   query is compared with every earlier one:
//!   1. *Effective grouping* = the group-by columns plus the columns a filter fixes to one value
//!      (`district = "Nord"` makes `district` part of the grouping). Two queries are comparable
//!      when one's effective grouping is contained in the other's (the *coarse* and the *fine*
//!      query); otherwise the pair is not checked (see limits).
//!   2. If the fine query's filters provably imply the coarse one's (a normalised filter
//!      algebra: finite value sets, numeric ranges, excluded values), every fine group lies in
//!      one coarse group. For each returned coarse group the records *not* covered by the
//!      returned fine groups inside it are `coarse count − Σ fine counts`; if that is between 1
//!      and k−1 the new query is refused. This catches "all" versus "all but one value"
//!      (`neq`), a total versus a breakdown with a suppressed cell (complementary suppression),
//!      `age ≤ 40` versus `age < 40`, and the same query on data that changed by a few records.
//!   3. If the filters are provably disjoint, nothing can be subtracted: the pair passes.
//!   4. Otherwise (overlapping ranges such as `20..40` and `21..41`, or containment the algebra
//!      cannot prove, e.g. `age < 21` versus `age ≤ 20` on whole numbers) the sandbox counts on
//!      the data, per coarse group, the records only in the one, only in the other and in both;
//!      if the groups overlap and either difference is between 1 and k−1, the query is refused.
//!
//!   The refusal ([`DifferencingRefusal`]) names the earlier query's number and the group, and
//!   never says how many records the difference holds.
//!
//! # Limits of the differencing rule (honestly)
//!
//! - It compares **pairs** of queries. Attacks that need three or more answers are not all
//!   caught: `[20, 30] + [32, 40]` subtracted from `[20, 40]` isolates age 31 although no pair
//!   is near-nested; likewise "tracker" combinations of several overlapping queries. An ODRL
//!   `count` limit on queries bounds this; exact auditing of all linear combinations is not
//!   attempted.
//! - Queries with **incomparable groupings** (one by district, another by age band) are not
//!   compared; two one-way tables can still narrow a cell (Fréchet bounds) without isolating it.
//! - A **refusal itself** tells the consumer that some difference is small (between 1 and k−1):
//!   a known weakness of every auditing scheme, accepted here.
//! - The nested check assumes the data does not change between queries, except that it also
//!   flags small differences between identical selections; a table that changes a lot between
//!   queries weakens it.
//! - `median` and the values of groups of exactly k records are not perturbed: with k = 5 a
//!   median is one of five real values. Noise (differential privacy) is not added.
//!
//! # Engine choice
//!
//! Apache DataFusion (default features off, `parquet` only) was chosen over Polars: it resolves
//! to about 290 crates against about 456 for Polars with lazy/csv/parquet/streaming, it is
//! tokio-native (async streams, no second thread pool beside the connector's runtime), it
//! streams CSV and Parquet in batches with partial/final hash aggregation (memory bounded by
//! the number of groups, plus the values kept by `median`), and it has a memory pool to cap a
//! query. Neither needs a C++ toolchain; DataFusion's only C code is zstd, built by `cc`.
//!
//! Measured cost (2 cores, `-j1`): the feature adds 120 crates to the connector's dependency
//! graph (259 → 379; 114 new `Cargo.lock` entries); compiling them takes about 27 CPU-minutes
//! in the dev profile and 40 in release (whole connector release build from scratch: 52 min).
//! DataFusion 55 needs Rust 1.94 while the workspace declares 1.90. Figures of the 10-million-
//! row group-by (release, `bench-sandbox`): CSV 3.97 s through the sandbox against 3.74 s
//! directly (ratio 1.06), peak RSS 83 MiB; Parquet 1.45 s against 0.68 s (2.1, from casting
//! the group columns before grouping, now done after it); with `median` peak RSS about
//! 300 MiB (the values it keeps).

mod answer;
mod check;
mod constraint;
mod engine;
mod error;
mod executor;
mod explain;
mod history;
mod policy;
mod request;
mod schema;
mod source;
mod store;

pub use answer::{
    Answer, AnswerGroup, MeasureValue, QueryLogRecord, QueryOutcome, RowCountBucket, Scalar,
};
pub use check::{CheckedQuery, check_request};
pub use constraint::FilterSet;
pub use error::{ColumnUse, DifferencingRefusal, IDENTIFYING_PRINCIPLES, SandboxError};
pub use executor::{DEFAULT_MIN_GROUP_SIZE, Sandbox, SandboxConfig};
pub use explain::explain;
pub use history::{HISTORY_VERSION, HistoryEntry, QueryHistory};
pub use policy::ColumnPolicy;
pub use request::{
    AggregationRequest, Condition, Filter, FilterValue, MAX_FILTERS, MAX_GROUP_BY, MAX_IN_VALUES,
    MAX_MEASURES, MAX_REQUEST_BYTES, MAX_TEXT_CHARS, Measure, MeasureFunction,
};
pub use schema::{ColumnKind, SourceSchema};
pub use source::{CsvSource, ParquetSource, PostgresSource, SandboxSource};
pub use store::{
    QUERY_LOG, SANDBOX_HISTORY, SANDBOX_SPEC, SandboxQueryEntry, SandboxSpec, history_key, log_key,
    query_log, read_history, read_spec, spec_key,
};

/// The query engine used for file sources, for benchmarks that compare against it directly.
pub use datafusion;
