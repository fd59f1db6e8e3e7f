//! Moving stored data between databases (SQLite to PostgreSQL and back): a store streams its
//! tables row by row into a `DumpSink` and takes them back from a `DumpSource`. The dump is a
//! plain copy of every table (tokens by hash, labels with their type ids, the per-portal type
//! id counters, limits, associations, reports), so nothing the API can observe is lost and
//! tables added by later migrations travel without new code. The file format (JSON Lines) is the
//! CLI's business, not the store's.

use crate::store::Result;
use crate::PortalId;
use async_trait::async_trait;

/// One value of a dumped row. The target database converts it to its column's type.
#[derive(Debug, Clone, PartialEq)]
pub enum DumpValue {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

/// A table as dumped: its name, its columns in order, and how many rows follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpTable {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
}

/// What precedes the rows: where they come from and what to expect, so an import can refuse a
/// dump it does not understand and notice one that was cut short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpInfo {
    /// The highest migration applied to the source database.
    pub schema_version: i64,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The only portal exported, or `None` for everything.
    pub portal: Option<PortalId>,
    pub tables: Vec<DumpTable>,
}

/// Where an export goes. `row`'s `table` indexes `DumpInfo::tables`.
pub trait DumpSink: Send {
    fn start(&mut self, info: &DumpInfo) -> Result<()>;
    fn row(&mut self, table: usize, values: Vec<DumpValue>) -> Result<()>;
}

/// Where an import comes from: the header, then rows until `None`.
pub trait DumpSource: Send {
    fn info(&self) -> &DumpInfo;
    fn next_row(&mut self) -> Result<Option<(usize, Vec<DumpValue>)>>;
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Rows written.
    pub inserted: u64,
    /// Rows the target already held, identical (importing the same dump twice is harmless).
    pub unchanged: u64,
}

#[async_trait]
pub trait DumpStore: Send + Sync {
    /// Streams a consistent snapshot of every table (only `portal`'s rows when given).
    async fn export(&self, portal: Option<PortalId>, sink: &mut dyn DumpSink) -> Result<DumpInfo>;
    /// Writes every row of `source` in one transaction: all or nothing. A row that clashes with
    /// different data already stored (a key or a unique name) fails the whole import, as does a
    /// dump whose row counts do not match its header.
    async fn import(&self, source: &mut dyn DumpSource) -> Result<ImportSummary>;
}
