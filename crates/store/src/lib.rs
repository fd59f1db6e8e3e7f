//! SQL storage for assocd: one implementation of the `assocd_core::store` traits that runs on
//! SQLite (the embedded default) and on PostgreSQL. The URL scheme picks the backend. The SQL is
//! written once in the common dialect both engines accept; the differences (how a connection is
//! set up, how a write transaction starts, retries on serialization failures, timeouts,
//! migrations, which errors mean "the database is away") live in this file.
//!
//! Several processes may share one PostgreSQL database: every write is one SERIALIZABLE
//! transaction retried on serialization failures, so no rule depends on row locks or on state
//! held in one process.

mod analyze;
mod apps;
mod associations;
mod browse;
mod dump;
mod fixtures;
mod labels;
mod limits;
mod metered;
mod oauth;
mod outbox;
mod pool_stats;
mod portals;
mod rate_limits;
mod read;
mod tokens;
mod webhooks;

pub use analyze::AUTO_ANALYZE_EVERY;
pub use associations::GROUP_BATCH_SIZE;
pub use metered::{Metered, STORE_CALL_DURATION};
pub use pool_stats::PoolStats;

use assocd_core::{Clock, Error, ErrorKind};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use std::time::Duration;

/// Which engine a `SqlStore` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names: `postgres://`/`postgresql://` or else SQLite.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// How every write transaction starts: the one writer on SQLite, SERIALIZABLE on
    /// PostgreSQL (see the crate's docs).
    fn begin_write_sql(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN ISOLATION LEVEL SERIALIZABLE",
        }
    }
}

/// Connection settings (the server's CLI fills these in).
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// PostgreSQL pool size (SQLite uses one writer and this many readers).
    pub max_connections: u32,
    /// How long to wait for a connection (opening one included) before answering 503; on
    /// SQLite also how long a writer waits for the file lock.
    pub connect_timeout: Duration,
    /// PostgreSQL `statement_timeout`: the longest one statement may run on the server.
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

impl ConnectOptions {
    /// The client-side bound on one write transaction attempt: a safety net for a connection
    /// that went silent (a network partition sends no error; the server-side statement timeout
    /// cannot fire on a server that is gone).
    fn transaction_deadline(&self) -> Duration {
        self.connect_timeout + self.statement_timeout * 2
    }
}

/// The store: a reader pool and a writer pool (the same pool on PostgreSQL; a single
/// connection on SQLite, which allows one writer at a time anyway).
#[derive(Clone)]
pub struct SqlStore {
    read: AnyPool,
    write: AnyPool,
    /// SQLite only: connections for the request path's reads, used in place (see `read`).
    sqlite_readers: Option<std::sync::Arc<read::SqliteReaders>>,
    /// The group commit of association writes (see `associations::group`).
    group: std::sync::Arc<associations::GroupWriter>,
    backend: Backend,
    tx_deadline: Duration,
    /// The time stored rows and reports carry (frozen by tests through the control plane).
    clock: Clock,
    /// Callers waiting for a pooled connection (see `pool_stats`).
    waiting: std::sync::Arc<pool_stats::Waiting>,
    /// Signalled after every commit that may have written change events (the webhook worker
    /// waits on it instead of polling).
    outbox_signal: std::sync::Arc<tokio::sync::Notify>,
    /// SQLite only: webhook deliveries claimed by this process's worker, by batch id (see
    /// `outbox::claims`).
    held: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, i64>>>,
}

/// First id handed to a portal's own association types: well above HubSpot's built-in ids,
/// which are also skipped should the table ever reach this far.
pub const FIRST_USER_TYPE_ID: i64 = 10_000;

/// The embedded migrations of `backend`. `ignore_missing`: a database migrated by a newer
/// assocd (rolling upgrade) still opens here, since migrations only add.
fn migrator(backend: Backend, lock: bool) -> Migrator {
    let mut m = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    m.set_ignore_missing(true);
    m.set_locking(lock);
    m
}

impl SqlStore {
    /// Connects to `url` (`sqlite://path`, a bare file path, or `postgres://…`). On PostgreSQL
    /// this waits up to `connect_timeout` for the server to answer.
    pub async fn connect(url: &str, opts: &ConnectOptions) -> anyhow_like::Result<Self> {
        sqlx::any::install_default_drivers();
        let tx_deadline = opts.transaction_deadline();
        if Backend::of_url(url) == Backend::Postgres {
            let timeout_ms = opts.statement_timeout.as_millis();
            let pool = AnyPoolOptions::new()
                .max_connections(opts.max_connections.max(1))
                // One connection is kept open, so the first request after start (or after a
                // quiet spell) does not pay for a TCP connect and session setup.
                .min_connections(1)
                .acquire_timeout(opts.connect_timeout)
                // sqlx pings every connection when it goes back to the pool and drops a broken
                // one there, off the request path. A ping before each use as well would double
                // the round trips of a read; only a connection idle for a while (which may
                // have died with a database restart meanwhile) is pinged before use.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= Duration::from_secs(1) {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .idle_timeout(Some(Duration::from_secs(300)))
                .max_lifetime(Some(Duration::from_secs(1800)))
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        conn.execute(format!("SET statement_timeout = {timeout_ms}").as_str())
                            .await?;
                        conn.execute("SET application_name = 'assocd'").await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await?;
            let waiting = std::sync::Arc::<pool_stats::Waiting>::default();
            let group = associations::GroupWriter::new(
                pool.clone(),
                Backend::Postgres,
                tx_deadline,
                waiting.clone(),
            );
            return Ok(SqlStore {
                read: pool.clone(),
                write: pool,
                sqlite_readers: None,
                group: std::sync::Arc::new(group),
                backend: Backend::Postgres,
                tx_deadline,
                clock: Clock::default(),
                waiting,
                outbox_signal: Default::default(),
                held: Default::default(),
            });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        let url = format!("sqlite://{path}?mode=rwc");
        let busy_ms = opts.connect_timeout.as_millis();
        // A local file does not drop connections: no ping before each use (sqlx's default),
        // which would cost a round trip to the connection's worker thread per statement.
        let sqlite_pool = |max: u32, writer: bool| {
            AnyPoolOptions::new()
                .max_connections(max)
                .min_connections(1)
                .acquire_timeout(opts.connect_timeout)
                .test_before_acquire(false)
                .idle_timeout(None)
                .max_lifetime(None)
                .after_connect(move |c, _| Box::pin(sqlite_pragmas(c, busy_ms, writer)))
        };
        let write = sqlite_pool(1, true).connect(&url).await?;
        let read = sqlite_pool(opts.max_connections.max(1), false)
            .connect(&url)
            .await?;
        let readers = read::SqliteReaders::new(path, busy_ms as u64);
        let waiting = std::sync::Arc::<pool_stats::Waiting>::default();
        let group = associations::GroupWriter::new(
            write.clone(),
            Backend::Sqlite,
            tx_deadline,
            waiting.clone(),
        );
        Ok(SqlStore {
            read,
            write,
            sqlite_readers: Some(std::sync::Arc::new(readers)),
            group: std::sync::Arc::new(group),
            backend: Backend::Sqlite,
            tx_deadline,
            clock: Clock::default(),
            waiting,
            outbox_signal: Default::default(),
            held: Default::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The clock this store stamps rows with; share it with the API so both report one time.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Applies the embedded migrations. On PostgreSQL under sqlx's advisory lock, so replicas
    /// starting together migrate one after the other (the later ones find nothing to do).
    pub async fn migrate(&self) -> anyhow_like::Result<()> {
        self.migrate_with_lock(true).await
    }

    /// Applies the embedded migrations; `lock: false` skips the advisory lock, for engines that
    /// lack `pg_advisory_lock` (then run `assocd migrate` once, alone, before the replicas).
    pub async fn migrate_with_lock(&self, lock: bool) -> anyhow_like::Result<()> {
        // A connection of its own, outside the pool: waiting for the lock or running a long
        // migration must not be cut by the statement timeout meant for requests.
        let mut conn = self.write.acquire().await?.detach();
        if self.backend == Backend::Postgres {
            conn.execute("SET statement_timeout = 0").await?;
        }
        migrator(self.backend, lock).run(&mut conn).await?;
        Ok(())
    }

    /// Versions of the embedded migrations the database has not applied yet.
    pub async fn pending_migrations(&self) -> Result<Vec<i64>, Error> {
        let applied: Vec<i64> =
            match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.read)
                .await
            {
                Ok(v) => v,
                // No bookkeeping table: nothing was ever applied.
                Err(sqlx::Error::Database(db))
                    if matches!(db.code().as_deref(), Some("42P01"))
                        || db.message().contains("no such table") =>
                {
                    Vec::new()
                }
                Err(e) => return Err(db_error(e)),
            };
        Ok(migrator(self.backend, false)
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect())
    }

    /// Answers whether the database is reachable.
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map(|_| ())
            .map_err(db_error)
    }

    pub async fn close(&self) {
        if let Some(r) = &self.sqlite_readers {
            r.close();
        }
        self.write.close().await;
        self.read.close().await;
    }

    /// Forgets this process's claims of these webhook deliveries (their results are recorded).
    pub(crate) fn release_claims(&self, batches: impl IntoIterator<Item = i64>) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        for b in batches {
            held.remove(&b);
        }
    }

    /// A transaction of the webhook worker: on PostgreSQL READ COMMITTED, where its row locks
    /// (`FOR UPDATE SKIP LOCKED`) share the outbox between replicas without serialization
    /// failures; on SQLite the one writer, as always.
    async fn begin_worker(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => {
                self.write
                    .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
                    .await
            }
        }
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        let begin = self.write.begin_with(self.backend.begin_write_sql());
        self.waiting.wait_for(begin).await
    }
}

/// WAL lets readers run beside the writer; synchronous=FULL makes every acknowledged commit
/// durable before the answer leaves; another process holding the write lock is waited for
/// `busy_ms`.
///
/// The one write connection also keeps its savepoints' journals in memory and a larger page
/// cache: a group commit (see `associations::group`) runs each batch under a savepoint and
/// touches thousands of rows, and with the defaults (journals in a temporary file, 2 MB of
/// cache) the writer spent a third of its time writing statement journals, spilling dirty
/// pages to the WAL before the commit and reading them back (docs/benchmarks.md). Neither
/// changes what a commit makes durable: a savepoint's journal only serves its rollback inside
/// the transaction, and the cache holds pages the WAL already has or the commit will write.
async fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    busy_ms: u128,
    writer: bool,
) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    conn.execute(format!("PRAGMA busy_timeout = {busy_ms}").as_str())
        .await?;
    if writer {
        conn.execute("PRAGMA temp_store = MEMORY").await?;
        conn.execute(format!("PRAGMA cache_size = -{WRITER_CACHE_KIB}").as_str())
            .await?;
    }
    Ok(())
}

/// The write connection's page cache at most (KiB); filled only as writes touch pages.
const WRITER_CACHE_KIB: u32 = 32 * 1024;

/// Minimal error plumbing for setup code (the server wraps these in anyhow).
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}

/// An error inside a write transaction: a database failure (maybe retryable), a domain answer,
/// or an attempt that outlived the client-side deadline.
pub(crate) enum TxError {
    Db(sqlx::Error),
    Domain(Error),
    Deadline,
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

/// SQLSTATEs after which the same transaction may simply run again: serialization failure and
/// deadlock (PostgreSQL), and CockroachDB-style restarts share 40001.
const RETRY_CODES: [&str; 2] = ["40001", "40P01"];

impl TxError {
    fn is_retryable(&self) -> bool {
        match self {
            TxError::Db(sqlx::Error::Database(db)) => {
                db.code()
                    .as_deref()
                    .is_some_and(|c| RETRY_CODES.contains(&c))
                    || db.message().contains("database is locked")
            }
            _ => false,
        }
    }

    fn into_error(self) -> Error {
        match self {
            TxError::Db(e) => db_error(e),
            TxError::Domain(e) => e,
            TxError::Deadline => {
                tracing::warn!("database transaction outlived its deadline");
                Error::unavailable(UNAVAILABLE)
            }
        }
    }
}

const UNAVAILABLE: &str = "The database is unavailable; try again shortly";

/// SQLSTATE classes and codes that mean "the database is away or overloaded, try again":
/// connection exceptions (08), insufficient resources (53), operator intervention (57: admin
/// shutdown, crash shutdown, cannot connect now, and 57014 query canceled = statement
/// timeout), a read-only standby after a failover (25006), and serialization failures that
/// outlived every retry (40001, 40P01).
fn is_transient_code(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57")
        || matches!(code, "25006" | "40001" | "40P01")
}

/// Maps a database failure to the domain error the API turns into HubSpot's body.
pub(crate) fn db_error(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => {
            tracing::warn!(error = %e, "database unavailable");
            Error::unavailable(UNAVAILABLE)
        }
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::new(
            ErrorKind::Conflict,
            "An object with the same unique name already exists",
        ),
        sqlx::Error::Database(db)
            if db.code().as_deref().is_some_and(is_transient_code)
                || db.message().contains("database is locked") =>
        {
            tracing::warn!(error = %e, "database unavailable");
            Error::unavailable(UNAVAILABLE)
        }
        _ => {
            tracing::error!(error = ?e, "database error");
            Error::internal("internal storage error")
        }
    }
}

/// Runs `$body` in a write transaction, retrying serialization failures, and maps errors.
/// `$body` may use `?` on sqlx and domain errors; its value is returned after commit. Each
/// attempt is bounded by the store's client-side deadline.
macro_rules! write_tx {
    ($store:expr, |$tx:ident| $body:expr) => {{
        let mut attempt = 0u32;
        loop {
            let attempt_fut = async {
                let mut $tx = $store.begin_write().await?;
                let value = $body;
                $tx.commit().await?;
                Ok(value)
            };
            let result: Result<_, $crate::TxError> =
                match tokio::time::timeout($store.tx_deadline, attempt_fut).await {
                    Ok(r) => r,
                    Err(_) => Err($crate::TxError::Deadline),
                };
            match result {
                Err(e) if e.is_retryable() && attempt < $crate::MAX_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep($crate::retry_backoff(attempt)).await;
                }
                other => break other.map_err($crate::TxError::into_error),
            }
        }
    }};
}
pub(crate) use write_tx;

/// How often a write transaction is retried after a serialization failure.
pub(crate) const MAX_RETRIES: u32 = 20;

/// Exponential backoff (capped at ~128 ms) with jitter, so transactions that collided on two
/// replicas do not collide again in lockstep.
pub(crate) fn retry_backoff(attempt: u32) -> Duration {
    let base = 2u64 << attempt.min(6);
    let noise = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos(),
    );
    Duration::from_millis(base / 2 + noise % base)
}

pub(crate) fn get_i64(row: &AnyRow, col: &str) -> Result<i64, sqlx::Error> {
    row.try_get::<i64, _>(col)
}

pub(crate) fn get_str(row: &AnyRow, col: &str) -> Result<String, sqlx::Error> {
    row.try_get::<String, _>(col)
}

pub(crate) fn get_opt_str(row: &AnyRow, col: &str) -> Result<Option<String>, sqlx::Error> {
    row.try_get::<Option<String>, _>(col)
}
