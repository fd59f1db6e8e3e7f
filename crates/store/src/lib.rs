//! SQL storage for assocd: one implementation of the `assocd_core::store` traits that runs on
//! SQLite (the embedded default) and on PostgreSQL. The URL scheme picks the backend. The SQL is
//! written once in the common dialect both engines accept; the differences (how a write
//! transaction starts, retries on serialization failures, migrations) live in this file.

mod labels;
mod associations;
mod limits;
mod tokens;

use assocd_core::{Error, ErrorKind};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use std::time::Duration;

/// Which engine a `SqlStore` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Connection settings (the server's CLI fills these in).
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// PostgreSQL pool size (SQLite uses one writer and this many readers).
    pub max_connections: u32,
    /// How long to wait for a connection before answering 503.
    pub connect_timeout: Duration,
    /// PostgreSQL `statement_timeout`.
    pub statement_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            max_connections: 8,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// The store: a reader pool and a writer pool (the same pool on PostgreSQL; a single
/// connection on SQLite, which allows one writer at a time anyway).
#[derive(Clone)]
pub struct SqlStore {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

/// First id handed to a portal's own association types: well above HubSpot's built-in ids,
/// which are also skipped should the table ever reach this far.
pub const FIRST_USER_TYPE_ID: i64 = 10_000;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl SqlStore {
    /// Connects to `url` (`sqlite://path`, a bare file path, or `postgres://…`).
    pub async fn connect(url: &str, opts: &ConnectOptions) -> anyhow_like::Result<Self> {
        sqlx::any::install_default_drivers();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let timeout_ms = opts.statement_timeout.as_millis();
            let pool = AnyPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.connect_timeout)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        conn.execute(format!("SET statement_timeout = {timeout_ms}").as_str()).await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await?;
            return Ok(SqlStore { read: pool.clone(), write: pool, backend: Backend::Postgres });
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        let url = format!("sqlite://{path}?mode=rwc");
        let write = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(opts.connect_timeout)
            .after_connect(|c, _| Box::pin(sqlite_pragmas(c)))
            .connect(&url)
            .await?;
        let read = AnyPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .acquire_timeout(opts.connect_timeout)
            .after_connect(|c, _| Box::pin(sqlite_pragmas(c)))
            .connect(&url)
            .await?;
        Ok(SqlStore { read, write, backend: Backend::Sqlite })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the embedded migrations (PostgreSQL: under sqlx's migration lock, so replicas
    /// starting together never migrate at once).
    pub async fn migrate(&self) -> anyhow_like::Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&self.write).await?,
            Backend::Postgres => POSTGRES_MIGRATOR.run(&self.write).await?,
        }
        Ok(())
    }

    /// Answers whether the database is reachable.
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1").execute(&self.read).await.map(|_| ()).map_err(db_error)
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.write.begin_with("BEGIN ISOLATION LEVEL SERIALIZABLE").await,
        }
    }
}

/// WAL lets readers run beside the writer; synchronous=FULL makes every acknowledged commit
/// durable before the answer leaves.
async fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    conn.execute("PRAGMA busy_timeout = 5000").await?;
    Ok(())
}

/// Minimal error plumbing for setup code (the server wraps these in anyhow).
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}

/// An error inside a write transaction: a database failure (maybe retryable) or a domain answer.
pub(crate) enum TxError {
    Db(sqlx::Error),
    Domain(Error),
}

impl From<sqlx::Error> for TxError {
    fn from(e: sqlx::Error) -> Self {
        TxError::Db(e)
    }
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Domain(e)
    }
}

impl TxError {
    fn is_retryable(&self) -> bool {
        match self {
            TxError::Db(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("40001") | Some("40P01"))
                    || db.message().contains("database is locked")
            }
            _ => false,
        }
    }

    fn into_error(self) -> Error {
        match self {
            TxError::Db(e) => db_error(e),
            TxError::Domain(e) => e,
        }
    }
}

/// Maps a database failure to the domain error the API turns into HubSpot's body.
pub(crate) fn db_error(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
            tracing::warn!(error = %e, "database unavailable");
            Error::unavailable("The database is unavailable; try again shortly")
        }
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            Error::new(ErrorKind::Conflict, "An object with the same unique name already exists")
        }
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("57P01" | "57P02" | "57P03" | "08006" | "08001" | "08003")) => {
            tracing::warn!(error = %e, "database unavailable");
            Error::unavailable("The database is unavailable; try again shortly")
        }
        _ => {
            tracing::error!(error = ?e, "database error");
            Error::internal("internal storage error")
        }
    }
}

/// Runs `$body` in a write transaction, retrying serialization failures, and maps errors.
/// `$body` may use `?` on sqlx and domain errors; its value is returned after commit.
macro_rules! write_tx {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut attempt = 0u32;
        loop {
            let result: Result<_, $crate::TxError> = async {
                let mut $tx = $store.begin_write().await?;
                let value = $body;
                $tx.commit().await?;
                Ok(value)
            }
            .await;
            match result {
                Err(e) if e.is_retryable() && attempt < 10 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(2u64 << attempt.min(6))).await;
                }
                other => break other.map_err($crate::TxError::into_error),
            }
        }
    }};
}
pub(crate) use write_tx;

pub(crate) fn get_i64(row: &AnyRow, col: &str) -> Result<i64, sqlx::Error> {
    row.try_get::<i64, _>(col)
}

pub(crate) fn get_str(row: &AnyRow, col: &str) -> Result<String, sqlx::Error> {
    row.try_get::<String, _>(col)
}

pub(crate) fn get_opt_str(row: &AnyRow, col: &str) -> Result<Option<String>, sqlx::Error> {
    row.try_get::<Option<String>, _>(col)
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
