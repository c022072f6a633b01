//! What the connector keeps for sandbox access: each asset's sandbox source and column policy
//! ([`SandboxSpec`]), each agreement's [`QueryHistory`] (the differencing memory and the query
//! count) and its query log ([`SandboxQueryEntry`], the request and the answer's shape, never
//! values), all versioned records in the connector's store.

use serde::{Deserialize, Serialize};

use super::answer::QueryLogRecord;
use super::error::SandboxError;
use super::history::{HISTORY_VERSION, QueryHistory};
use super::policy::ColumnPolicy;
use super::source::{SandboxSource, source_error};
use crate::store::{Record, Store, StoreError, StoreExt};

/// Key prefix of the assets' sandbox specifications.
pub const SANDBOX_SPEC: &str = "sandbox/spec/";
/// Key prefix of the agreements' query histories.
pub const SANDBOX_HISTORY: &str = "sandbox/history/";
/// Key prefix of the query logs (`sandbox/log/{agreement}/{seq:020}`).
pub const QUERY_LOG: &str = "sandbox/log/";

/// How a personal-adjacent asset is analysed: where its data lives and which columns may be
/// used how. Configured by the provider; never sent to anyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxSpec {
    /// The data source: `{"kind": "csv", "path": …}`, `{"kind": "parquet", "path": …}` or
    /// `{"kind": "postgres", "connection_env": "VAR", "schema": …, "table": …}`.
    #[schema(value_type = Object)]
    pub source: SandboxSource,
    /// The column policy: `groupable`, `filterable`, `measurable`, `identifying`.
    #[schema(value_type = Object)]
    pub policy: ColumnPolicy,
}

impl Record for SandboxSpec {
    const SCHEMA_VERSION: u32 = 1;
}

impl SandboxSpec {
    /// Checks the specification on its own. A PostgreSQL connection string must come from the
    /// environment (`connection_env`): an inline one would be stored and shown by the API.
    pub fn validate(&self) -> Result<(), SandboxError> {
        self.source.validate()?;
        if let SandboxSource::Postgres(pg) = &self.source
            && pg.connection.is_some()
        {
            return Err(source_error(
                "connection",
                "give the connection string through an environment variable (connection_env); \
                 it is never stored or sent",
            ));
        }
        self.policy.validate()
    }
}

impl Record for QueryHistory {
    const SCHEMA_VERSION: u32 = HISTORY_VERSION;
}

/// One sandbox query as the provider's dashboard lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxQueryEntry {
    /// The agreement.
    pub agreement_id: String,
    /// The provider's transfer process the query came through.
    pub transfer_id: String,
    /// The consumer who asked.
    pub consumer: String,
    /// The request and the answer's shape (or the refusal).
    pub record: QueryLogRecord,
}

impl Record for SandboxQueryEntry {
    const SCHEMA_VERSION: u32 = 1;
}

/// The key of an asset's specification.
pub fn spec_key(asset_id: &str) -> String {
    format!("{SANDBOX_SPEC}{asset_id}")
}

/// The key of an agreement's history.
pub fn history_key(agreement_id: &str) -> String {
    format!("{SANDBOX_HISTORY}{agreement_id}")
}

/// The key of a query log entry.
pub fn log_key(agreement_id: &str, seq: u64) -> String {
    format!("{QUERY_LOG}{agreement_id}/{seq:020}")
}

/// An asset's specification, if it has one.
pub fn read_spec(store: &dyn Store, asset_id: &str) -> Result<Option<SandboxSpec>, StoreError> {
    store.get(&spec_key(asset_id))
}

/// An agreement's history (empty for a fresh agreement).
pub fn read_history(store: &dyn Store, agreement_id: &str) -> Result<QueryHistory, StoreError> {
    Ok(store
        .get(&history_key(agreement_id))?
        .unwrap_or_else(QueryHistory::new))
}

/// The queries of one agreement (every agreement when `None`), oldest first.
pub fn query_log(
    store: &dyn Store,
    agreement_id: Option<&str>,
) -> Result<Vec<SandboxQueryEntry>, StoreError> {
    let prefix = match agreement_id {
        Some(a) => format!("{QUERY_LOG}{a}/"),
        None => QUERY_LOG.to_owned(),
    };
    let mut entries: Vec<SandboxQueryEntry> =
        store.scan(&prefix)?.into_iter().map(|(_, e)| e).collect();
    entries.sort_by_key(|e| e.record.at);
    Ok(entries)
}
