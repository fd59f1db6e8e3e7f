//! Reads on the request path, written once for both engines: one SQL text (with `$n`
//! placeholders), one decoder over the `Row` trait, two executors.
//!
//! - PostgreSQL: the sqlx pool.
//! - SQLite: rusqlite connections used in place, on the calling thread. sqlx-sqlite hands every
//!   statement to a worker thread and back; for the millisecond-or-less lookups of the request
//!   path those hops cost more than the query (docs/benchmarks.md), while a read of a local
//!   WAL database never waits on the network and rarely on the disk. The connections see every
//!   commit of the writer (the same file), so a write acknowledged before a read is always seen.
//!   Writes, migrations and long reads (export, the high-usage report) stay on sqlx.

use crate::{db_error, SqlStore};
use assocd_core::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// A bind value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    I64(i64),
    Str(&'a str),
}

/// A result row of either engine, read by column position (0 = the first selected column;
/// looking a column up by name costs a scan of the names per value).
pub(crate) trait Row {
    fn i64(&self, col: usize) -> Result<i64, Error>;
    fn str(&self, col: usize) -> Result<String, Error>;
    /// A text column's bytes without a copy or a UTF-8 check, to compare with known texts.
    fn text_bytes(&self, col: usize) -> Result<&[u8], Error>;
    fn opt_str(&self, col: usize) -> Result<Option<String>, Error>;
    fn opt_i64(&self, col: usize) -> Result<Option<i64>, Error>;
}

impl Row for sqlx::any::AnyRow {
    fn i64(&self, col: usize) -> Result<i64, Error> {
        sqlx::Row::try_get(self, col).map_err(db_error)
    }
    fn str(&self, col: usize) -> Result<String, Error> {
        sqlx::Row::try_get(self, col).map_err(db_error)
    }
    fn text_bytes(&self, col: usize) -> Result<&[u8], Error> {
        let text: &str = sqlx::Row::try_get(self, col).map_err(db_error)?;
        Ok(text.as_bytes())
    }
    fn opt_str(&self, col: usize) -> Result<Option<String>, Error> {
        sqlx::Row::try_get(self, col).map_err(db_error)
    }
    fn opt_i64(&self, col: usize) -> Result<Option<i64>, Error> {
        sqlx::Row::try_get(self, col).map_err(db_error)
    }
}

impl Row for rusqlite::Row<'_> {
    fn i64(&self, col: usize) -> Result<i64, Error> {
        self.get(col).map_err(sqlite_error)
    }
    fn str(&self, col: usize) -> Result<String, Error> {
        self.get(col).map_err(sqlite_error)
    }
    fn text_bytes(&self, col: usize) -> Result<&[u8], Error> {
        let value = self.get_ref(col).map_err(sqlite_error)?;
        value.as_bytes().map_err(|e| {
            sqlite_error(rusqlite::Error::FromSqlConversionFailure(
                col,
                value.data_type(),
                Box::new(e),
            ))
        })
    }
    fn opt_str(&self, col: usize) -> Result<Option<String>, Error> {
        self.get(col).map_err(sqlite_error)
    }
    fn opt_i64(&self, col: usize) -> Result<Option<i64>, Error> {
        self.get(col).map_err(sqlite_error)
    }
}

/// One query of a read: SQL and its binds.
pub(crate) struct Query<'a> {
    pub sql: &'a str,
    pub args: Vec<Arg<'a>>,
}

/// How much of the database file a read connection maps (SQLite caps it at its compile-time
/// maximum).
const MMAP_BYTES: i64 = 1 << 30;

/// SQLite read connections, opened on demand and reused. At most one per thread that reads at
/// the same moment (tokio's workers), since each read runs to completion on its thread.
pub(crate) struct SqliteReaders {
    path: String,
    busy_ms: u64,
    idle: Mutex<Vec<rusqlite::Connection>>,
    /// Connections open (idle or in use), for the pool metrics.
    open: AtomicUsize,
    /// Long reads moved off the runtime run at most one per core: more would only take
    /// turns on the same cores, each holding a connection (and its mapping of the file)
    /// open. Without the bound, tokio's blocking pool ran 16 at once under an R6 load and
    /// the process's resident size rose with every connection's mapped pages.
    off_runtime: std::sync::Arc<tokio::sync::Semaphore>,
}

impl SqliteReaders {
    pub(crate) fn new(path: &str, busy_ms: u64) -> Self {
        SqliteReaders {
            path: path.to_string(),
            busy_ms,
            idle: Mutex::new(Vec::new()),
            open: AtomicUsize::new(0),
            off_runtime: std::sync::Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
        }
    }

    /// Connections open, and how many of them are idle.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).len();
        (self.open.load(Ordering::Relaxed).max(idle), idle)
    }

    fn open(&self) -> rusqlite::Result<rusqlite::Connection> {
        use rusqlite::OpenFlags;
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Read-write at the file level (a WAL reader may need to write the -shm index), but
        // this connection refuses every write.
        conn.pragma_update(None, "query_only", true)?;
        conn.busy_timeout(std::time::Duration::from_millis(self.busy_ms))?;
        // Pages come straight from the OS page cache through a mapping instead of a read()
        // and a copy each: on a large database most of a lookup's pages miss this
        // connection's own cache.
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    /// Runs `queries` in one read transaction (one snapshot), decoding every row.
    pub(crate) fn run<T>(
        &self,
        queries: &[Query<'_>],
        decode: impl Fn(&dyn Row) -> Result<T, Error>,
    ) -> Result<Vec<Vec<T>>, Error> {
        self.with_conn(queries.len() > 1, |conn| run_on(conn, queries, &decode))
    }

    /// Runs `read` on an idle connection (opened if there is none), in one read transaction
    /// (one snapshot) if `snapshot`.
    pub(crate) fn with_conn<R>(
        &self,
        snapshot: bool,
        read: impl FnOnce(&rusqlite::Connection) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let taken = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match taken {
            Some(c) => c,
            None => {
                let c = self.open().map_err(sqlite_error)?;
                self.open.fetch_add(1, Ordering::Relaxed);
                c
            }
        };
        let result = if snapshot {
            in_snapshot(&conn, read)
        } else {
            read(&conn)
        };
        if result.is_ok() || conn.is_autocommit() {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(conn);
        } else {
            self.open.fetch_sub(1, Ordering::Relaxed);
        }
        result
    }

    pub(crate) fn close(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        self.open.fetch_sub(idle.len(), Ordering::Relaxed);
        idle.clear();
    }
}

/// `read` in one read transaction; a failed read still ends it.
fn in_snapshot<R>(
    conn: &rusqlite::Connection,
    read: impl FnOnce(&rusqlite::Connection) -> Result<R, Error>,
) -> Result<R, Error> {
    conn.execute_batch("BEGIN").map_err(sqlite_error)?;
    let result = read(conn);
    let ended = conn.execute_batch("COMMIT").map_err(sqlite_error);
    result.and_then(|r| ended.map(|()| r))
}

fn run_on<T>(
    conn: &rusqlite::Connection,
    queries: &[Query<'_>],
    decode: &impl Fn(&dyn Row) -> Result<T, Error>,
) -> Result<Vec<Vec<T>>, Error> {
    queries.iter().map(|q| query_on(conn, q, decode)).collect()
}

fn query_on<T>(
    conn: &rusqlite::Connection,
    q: &Query<'_>,
    decode: &impl Fn(&dyn Row) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    for_each_row(conn, q, |row| {
        out.push(decode(row)?);
        Ok(true)
    })?;
    Ok(out)
}

/// Runs `q` on `conn` and hands each row to `each` in turn, until the rows end or `each`
/// answers `false` (the rest is not read).
pub(crate) fn for_each_row(
    conn: &rusqlite::Connection,
    q: &Query<'_>,
    mut each: impl FnMut(&dyn Row) -> Result<bool, Error>,
) -> Result<(), Error> {
    let mut stmt = conn.prepare_cached(q.sql).map_err(sqlite_error)?;
    // `$n` is a named parameter to SQLite; a name used twice is one parameter.
    for idx in 1..=stmt.parameter_count() {
        let n: usize = stmt
            .parameter_name(idx)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse().ok())
            .filter(|n| (1..=q.args.len()).contains(n))
            .ok_or_else(|| Error::internal("bad query parameter"))?;
        let bound = match q.args[n - 1] {
            Arg::I64(v) => stmt.raw_bind_parameter(idx, v),
            Arg::Str(v) => stmt.raw_bind_parameter(idx, v),
        };
        bound.map_err(sqlite_error)?;
    }
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        if !each(row)? {
            break;
        }
    }
    Ok(())
}

/// Maps a SQLite failure as `db_error` maps sqlx's: a busy or unopenable database is
/// unavailable (503), anything else internal.
pub(crate) fn sqlite_error(e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::CannotOpen
            | ErrorCode::SystemIoFailure
            | ErrorCode::OutOfMemory,
        ) => {
            tracing::warn!(error = %e, "database unavailable");
            Error::unavailable(crate::UNAVAILABLE)
        }
        _ => {
            tracing::error!(error = ?e, "database error");
            Error::internal("internal storage error")
        }
    }
}

impl SqlStore {
    /// Runs `queries` in one snapshot and decodes their rows: one result list per query.
    pub(crate) async fn read_many<T: Send>(
        &self,
        queries: &[Query<'_>],
        decode: impl Fn(&dyn Row) -> Result<T, Error> + Send + Sync,
    ) -> Result<Vec<Vec<T>>, Error> {
        if let Some(readers) = &self.sqlite_readers {
            return readers.run(queries, decode);
        }
        let mut out = Vec::with_capacity(queries.len());
        if let [q] = queries {
            let mut conn = self
                .waiting
                .wait_for(self.read.acquire())
                .await
                .map_err(db_error)?;
            let rows = bind(q).fetch_all(&mut *conn).await.map_err(db_error)?;
            out.push(decode_all(&rows, &decode)?);
            return Ok(out);
        }
        let mut tx = self
            .waiting
            .wait_for(self.read.begin())
            .await
            .map_err(db_error)?;
        for q in queries {
            let rows = bind(q).fetch_all(&mut *tx).await.map_err(db_error)?;
            out.push(decode_all(&rows, &decode)?);
        }
        tx.commit().await.map_err(db_error)?;
        Ok(out)
    }

    /// One query's decoded rows.
    pub(crate) async fn read_rows<T: Send>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        decode: impl Fn(&dyn Row) -> Result<T, Error> + Send + Sync,
    ) -> Result<Vec<T>, Error> {
        let q = Query {
            sql,
            args: args.to_vec(),
        };
        let mut all = self.read_many(std::slice::from_ref(&q), decode).await?;
        Ok(all.pop().unwrap_or_default())
    }
}

impl SqlStore {
    /// SQLite only (`None` on PostgreSQL): runs `read` with the read connections on tokio's
    /// blocking pool, for a read long enough to hold up the other requests of the runtime
    /// worker it was called on (R6 reads up to 1,000 pages).
    pub(crate) async fn sqlite_read_off_runtime<R: Send + 'static>(
        &self,
        read: impl FnOnce(&SqliteReaders) -> Result<R, Error> + Send + 'static,
    ) -> Option<Result<R, Error>> {
        let readers = std::sync::Arc::clone(self.sqlite_readers.as_ref()?);
        // The turn moves into the read, so a caller that goes away frees it only when the
        // read has finished.
        let turn = std::sync::Arc::clone(&readers.off_runtime)
            .acquire_owned()
            .await;
        let Ok(turn) = turn else {
            return Some(Err(Error::internal("read queue closed")));
        };
        let done = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            read(&readers)
        })
        .await;
        Some(done.unwrap_or_else(|_| Err(Error::internal("read task failed"))))
    }
}

fn bind<'q>(q: &'q Query<'q>) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut query = sqlx::query(q.sql);
    for a in &q.args {
        query = match *a {
            Arg::I64(v) => query.bind(v),
            Arg::Str(v) => query.bind(v),
        };
    }
    query
}

fn decode_all<T>(
    rows: &[sqlx::any::AnyRow],
    decode: &impl Fn(&dyn Row) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    rows.iter().map(|r| decode(r)).collect()
}
