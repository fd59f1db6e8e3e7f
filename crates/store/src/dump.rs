//! Export and import of whole tables (`assocd_core::dump`). The tables and their columns are
//! read from the database's own catalog, so a table added by a later migration is carried along
//! without code here; `_sqlx_migrations` stays behind (each database has its own history), and
//! so do the `outbox*` tables (change events and their deliveries: transient, kept only for the
//! retention period, and tied to this database's own sequences).

use crate::{db_error, Backend, SqlStore};

mod import;
use assocd_core::dump::{
    DumpInfo, DumpSink, DumpSource, DumpStore, DumpTable, DumpValue, ImportSummary,
};
use assocd_core::store::Result;
use assocd_core::{Error, ErrorKind, PortalId};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Row};

/// How a column's values are read and bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Bool,
    Text,
}

impl Kind {
    fn of_declared(declared: &str) -> Option<Kind> {
        let t = declared.to_ascii_lowercase();
        if t.contains("int") {
            Some(Kind::Int)
        } else if t.contains("bool") {
            Some(Kind::Bool)
        } else if t.contains("char") || t.contains("text") || t.contains("clob") {
            Some(Kind::Text)
        } else if t.contains("real") || t.contains("floa") || t.contains("doub") {
            Some(Kind::Float)
        } else {
            None
        }
    }
}

struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
}

impl Table {
    fn has_portal(&self) -> bool {
        self.columns.iter().any(|(c, _)| c == "portal_id")
    }
    fn kind_of(&self, column: &str) -> Option<Kind> {
        self.columns
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, k)| *k)
    }
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn dump_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Validation, message)
}

/// The tables of the current database (schema), with their columns, in name order.
async fn catalog(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<Table>, sqlx::Error> {
    let (tables_sql, columns_sql) = match backend {
        Backend::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
               AND name <> '_sqlx_migrations' AND name NOT LIKE 'outbox%' ORDER BY name",
            "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        ),
        Backend::Postgres => (
            "SELECT table_name::text FROM information_schema.tables
              WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                AND table_name <> '_sqlx_migrations' AND table_name NOT LIKE 'outbox%' ORDER BY 1",
            "SELECT column_name::text, data_type::text FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        ),
    };
    let names: Vec<String> = sqlx::query_scalar(tables_sql).fetch_all(&mut *conn).await?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let rows = sqlx::query(columns_sql)
            .bind(&name)
            .fetch_all(&mut *conn)
            .await?;
        let mut columns = Vec::with_capacity(rows.len());
        for row in &rows {
            let column: String = row.try_get(0)?;
            let declared: String = row.try_get(1)?;
            let kind = Kind::of_declared(&declared).ok_or_else(|| {
                sqlx::Error::Protocol(format!(
                    "column {name}.{column} has type {declared}, which dumps do not carry"
                ))
            })?;
            columns.push((column, kind));
        }
        tables.push(Table { name, columns });
    }
    Ok(tables)
}

async fn schema_version(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *conn)
            .await?;
    Ok(v.unwrap_or(0))
}

fn read_value(row: &AnyRow, i: usize, kind: Kind) -> Result<DumpValue, sqlx::Error> {
    Ok(match kind {
        Kind::Int => row
            .try_get::<Option<i64>, _>(i)?
            .map_or(DumpValue::Null, DumpValue::Int),
        Kind::Float => row
            .try_get::<Option<f64>, _>(i)?
            .map_or(DumpValue::Null, DumpValue::Float),
        Kind::Bool => row
            .try_get::<Option<bool>, _>(i)?
            .map_or(DumpValue::Null, DumpValue::Bool),
        Kind::Text => row
            .try_get::<Option<String>, _>(i)?
            .map_or(DumpValue::Null, DumpValue::Text),
    })
}

/// Binds `value` as the column's own type, so a NULL is typed right and a dump from the other
/// engine (an integer where this one keeps a boolean) still fits.
fn bind<'q>(
    q: Query<'q, Any, AnyArguments<'q>>,
    value: &DumpValue,
    kind: Kind,
    at: &str,
) -> Result<Query<'q, Any, AnyArguments<'q>>> {
    let mismatch = || {
        dump_error(format!(
            "{at}: value {value:?} does not fit a {kind:?} column"
        ))
    };
    Ok(match (kind, value) {
        (Kind::Int, DumpValue::Null) => q.bind(None::<i64>),
        (Kind::Int, DumpValue::Int(i)) => q.bind(*i),
        (Kind::Int, DumpValue::Bool(b)) => q.bind(i64::from(*b)),
        (Kind::Float, DumpValue::Null) => q.bind(None::<f64>),
        (Kind::Float, DumpValue::Float(f)) => q.bind(*f),
        (Kind::Float, DumpValue::Int(i)) => q.bind(*i as f64),
        (Kind::Bool, DumpValue::Null) => q.bind(None::<bool>),
        (Kind::Bool, DumpValue::Bool(b)) => q.bind(*b),
        (Kind::Bool, DumpValue::Int(i @ (0 | 1))) => q.bind(*i == 1),
        (Kind::Text, DumpValue::Null) => q.bind(None::<String>),
        (Kind::Text, DumpValue::Text(s)) => q.bind(s.clone()),
        _ => return Err(mismatch()),
    })
}

#[async_trait]
impl DumpStore for SqlStore {
    #[tracing::instrument(skip(self, sink))]
    async fn export(&self, portal: Option<PortalId>, sink: &mut dyn DumpSink) -> Result<DumpInfo> {
        // One snapshot for every table, so the dump is consistent while replicas keep writing.
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        let mut tx = self.read.begin_with(begin).await.map_err(db_error)?;
        let tables = catalog(&mut tx, self.backend).await.map_err(db_error)?;
        if tables.is_empty() {
            return Err(dump_error(
                "the database holds no assocd tables: nothing to export",
            ));
        }
        let mut info = DumpInfo {
            schema_version: schema_version(&mut tx).await.map_err(db_error)?,
            backend: self.backend.as_str().to_string(),
            portal,
            tables: Vec::with_capacity(tables.len()),
        };
        // A portal's export leaves out what belongs to no portal (apps and their webhooks).
        let filter = |t: &Table| match portal {
            Some(_) if t.has_portal() => " WHERE portal_id = $1",
            Some(_) => " WHERE 1 = 0",
            None => "",
        };
        for t in &tables {
            let sql = format!("SELECT COUNT(*) FROM {}{}", quote(&t.name), filter(t));
            let mut q = sqlx::query_scalar::<_, i64>(&sql);
            if let (Some(p), true) = (portal, t.has_portal()) {
                q = q.bind(p);
            }
            let rows = q.fetch_one(&mut *tx).await.map_err(db_error)?;
            let columns = t.columns.iter().map(|(c, _)| c.clone()).collect();
            info.tables.push(DumpTable {
                name: t.name.clone(),
                columns,
                rows: rows as u64,
            });
        }
        sink.start(&info)?;
        for (index, t) in tables.iter().enumerate() {
            let columns: Vec<String> = t.columns.iter().map(|(c, _)| quote(c)).collect();
            let order: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
            let sql = format!(
                "SELECT {} FROM {}{} ORDER BY {}",
                columns.join(", "),
                quote(&t.name),
                filter(t),
                order.join(", ")
            );
            let mut q = sqlx::query(&sql);
            if let (Some(p), true) = (portal, t.has_portal()) {
                q = q.bind(p);
            }
            let mut rows = q.fetch(&mut *tx);
            while let Some(row) = rows.try_next().await.map_err(db_error)? {
                let values = t
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| read_value(&row, i, *kind))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_error)?;
                sink.row(index, values)?;
            }
        }
        tx.commit().await.map_err(db_error)?;
        Ok(info)
    }

    #[tracing::instrument(skip_all)]
    async fn import(&self, source: &mut dyn DumpSource) -> Result<ImportSummary> {
        let info = source.info().clone();
        let known = crate::migrator(self.backend, false)
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        if info.schema_version > known {
            return Err(dump_error(format!(
                "the dump comes from a newer assocd (schema {}, this one knows {known}); import it with that version",
                info.schema_version
            )));
        }
        // A plain transaction, not a retried SERIALIZABLE one: the input cannot be read twice.
        // Keys and unique indexes still refuse anything that clashes.
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        let mut tx = self.write.begin_with(begin).await.map_err(db_error)?;
        // SQLite: the whole import is one transaction; with the default 2 MiB page cache its
        // dirty pages spill to the WAL over and over. The writer gets a large cache for the
        // import (a short-lived command's connection) and its own size back afterwards.
        let cache = if self.backend == Backend::Sqlite {
            let was: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
            sqlx::Executor::execute(&mut *tx, "PRAGMA cache_size = -262144")
                .await
                .map_err(db_error)?;
            Some(was)
        } else {
            None
        };
        let result = self.import_rows(tx, source, &info).await;
        if let Some(was) = cache {
            // The import's transaction went through the WAL whole (1.8 GB for 10 million
            // associations); hand that space back once it is in the database file.
            let restore = format!("PRAGMA cache_size = {was}; PRAGMA wal_checkpoint(TRUNCATE)");
            sqlx::Executor::execute(&self.write, restore.as_str())
                .await
                .map_err(db_error)?;
        }
        let summary = result?;
        if self.backend == Backend::Postgres {
            // A bulk load is the case the planner's statistics miss most: gather them now
            // rather than at the server's next look (`analyze`).
            // A connection of its own, outside the pool: the pool's run with the statement
            // timeout meant for requests.
            let mut conn = self.write.acquire().await.map_err(db_error)?.detach();
            sqlx::Executor::execute(&mut conn, "SET statement_timeout = 0")
                .await
                .map_err(db_error)?;
            for t in info.tables.iter().filter(|t| t.rows > 0) {
                let sql = format!("ANALYZE {}", quote(&t.name));
                sqlx::Executor::execute(&mut conn, sql.as_str())
                    .await
                    .map_err(db_error)?;
            }
        }
        Ok(summary)
    }
}
