//! The ceilings assocd is measured against, in the same run on the same machine:
//! - HTTP: a minimal axum server (run as a child process of the bench, `assocd-bench
//!   ceiling-http`) answering a fixed 200-byte JSON body, and parsing and echoing a batch body;
//! - storage: a minimal rusqlite loop on assocd's own SQLite schema (its migration files), WAL +
//!   synchronous=FULL as assocd sets them, writing the rows assocd writes per association in
//!   transactions of the same size (R5), and deleting limits of the shape of C5's stock, one
//!   per transaction as C5 purges one per request. One connection: SQLite has one writer
//!   (assocd too), so the loop's rate is the ceiling at every concurrency.

use crate::dataset;
use crate::load::mix;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// 200 bytes, the body of the perf-anchors H1 ceiling.
pub const STATIC_JSON: &str = r#"{"results":[{"category":"HUBSPOT_DEFINED","typeId":279,"label":null},{"category":"USER_DEFINED","typeId":1001,"label":"Billing contact"}],"paging":{"next":{"after":"MTAw","link":"?after=MTAw"}},"x":1}"#;

/// Serves the HTTP ceiling on `listen` until killed (multi-thread runtime, like assocd).
pub fn serve_http(listen: &str) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let app = Router::new()
            .route(
                "/static",
                get(|| async {
                    ([(header::CONTENT_TYPE, "application/json")], STATIC_JSON).into_response()
                }),
            )
            .route("/echo", post(echo));
        let listener = tokio::net::TcpListener::bind(listen).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// Parses the batch body into typed values and serializes them back: the JSON work of a batch
/// endpoint without any storage.
async fn echo(Json(body): Json<dataset::BatchBody>) -> Json<dataset::EchoBody> {
    Json(dataset::EchoBody {
        status: "COMPLETE",
        results: body.inputs,
    })
}

/// What the storage ceiling measured.
#[derive(Debug, Clone, Default)]
pub struct SqliteCeiling {
    pub preload_rows: u64,
    pub preload_time: Duration,
    pub rows_per_tx: usize,
    pub insert_rows: u64,
    pub insert_time: Duration,
    /// C5's delete loop: transactions (one limit deleted each), their time, and the limits
    /// inserted before it.
    pub deletes: u64,
    pub delete_time: Duration,
    pub delete_stock: u64,
    pub lookups: u64,
    pub lookup_time: Duration,
    /// Sorted lookup latencies, nanoseconds.
    pub lookup_ns: Vec<u64>,
    pub file_bytes: u64,
}

impl SqliteCeiling {
    pub fn preload_rows_per_s(&self) -> f64 {
        self.preload_rows as f64 / self.preload_time.as_secs_f64().max(1e-9)
    }

    pub fn insert_rows_per_s(&self) -> f64 {
        self.insert_rows as f64 / self.insert_time.as_secs_f64().max(1e-9)
    }

    pub fn deletes_per_s(&self) -> f64 {
        self.deletes as f64 / self.delete_time.as_secs_f64().max(1e-9)
    }

    pub fn lookups_per_s(&self) -> f64 {
        self.lookups as f64 / self.lookup_time.as_secs_f64().max(1e-9)
    }

    pub fn lookup_us(&self, q: f64) -> f64 {
        if self.lookup_ns.is_empty() {
            return f64::NAN;
        }
        let i = ((self.lookup_ns.len() - 1) as f64 * q).round() as usize;
        self.lookup_ns[i] as f64 / 1000.0
    }
}

/// assocd's SQLite migrations, in order.
pub fn migrations_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/migrations/sqlite")
}

fn open(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(migrations_dir())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    for f in files {
        conn.execute_batch(&std::fs::read_to_string(&f)?)?;
    }
    Ok(conn)
}

const INSERT: &str =
    "INSERT INTO associations (portal_id, from_type, from_id, to_type, to_id, category, type_id)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";

/// Writes associations `range` (two rows each, as assocd does) in transactions of
/// `per_tx` associations.
fn insert(conn: &mut Connection, range: std::ops::Range<u64>, per_tx: u64) -> anyhow::Result<()> {
    let mut k = range.start;
    while k < range.end {
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached(INSERT)?;
            for i in k..(k + per_tx).min(range.end) {
                let (contact, company) = dataset::pair_of(i);
                st.execute(params![
                    dataset::PORTAL,
                    "0-1",
                    contact,
                    "0-2",
                    company,
                    "HUBSPOT_DEFINED",
                    279
                ])?;
                st.execute(params![
                    dataset::PORTAL,
                    "0-2",
                    company,
                    "0-1",
                    contact,
                    "HUBSPOT_DEFINED",
                    280
                ])?;
            }
        }
        tx.commit()?;
        k += per_tx;
    }
    Ok(())
}

/// Rows of the shape C5's stock has (`purges`): limits on USER_DEFINED types, one pair
/// direction after another as C5 takes them, type ids from `first` on. Binds portal, from
/// type, to type, type id.
pub fn stock_rows(
    rows: usize,
    first: u64,
) -> impl Iterator<Item = (&'static str, &'static str, i64)> {
    let pairs = crate::purges::pairs();
    let per = crate::purges::LABELS_PER_PAIR * 2;
    let directions = (rows.div_ceil(per)).clamp(1, pairs.len()) * 2;
    (0..rows).map(move |j| {
        let d = j % directions;
        let (a, b) = pairs[(d / 2) % pairs.len()];
        let (from, to) = if d.is_multiple_of(2) { (a, b) } else { (b, a) };
        (from, to, (first + j as u64) as i64)
    })
}

/// C5's raw loop: `rows` limits of C5's stock's shape are inserted (one transaction), then
/// each transaction (`BEGIN IMMEDIATE`, as assocd's writer) deletes the next one, for
/// `duration` or until none is left. synchronous=FULL, so every commit syncs the WAL, as
/// assocd's does. Returns the transactions committed and their time.
fn delete_loop(
    conn: &mut Connection,
    rows: usize,
    duration: Duration,
) -> anyhow::Result<(u64, Duration)> {
    let keys: Vec<_> = stock_rows(rows, 1_000_000).collect();
    let tx = conn.transaction()?;
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO limits (portal_id, from_type, to_type, category, type_id, max_to_object_ids)
             VALUES (?1, ?2, ?3, 'USER_DEFINED', ?4, 5)",
        )?;
        for (from, to, type_id) in &keys {
            st.execute(params![dataset::PORTAL, from, to, type_id])?;
        }
    }
    tx.commit()?;
    let t0 = Instant::now();
    let mut n = 0u64;
    for (from, to, type_id) in &keys {
        if t0.elapsed() >= duration {
            break;
        }
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let deleted = tx
            .prepare_cached(
                "DELETE FROM limits WHERE portal_id = ?1 AND from_type = ?2 AND to_type = ?3
                 AND category = 'USER_DEFINED' AND type_id = ?4",
            )?
            .execute(params![dataset::PORTAL, from, to, type_id])?;
        tx.commit()?;
        anyhow::ensure!(deleted == 1, "the delete loop found no row to delete");
        n += 1;
    }
    Ok((n, t0.elapsed()))
}

/// Runs the storage ceiling in `dir`: preload `associations` in transactions of
/// `preload_batch` (as the API preload does), then `duration` of transactions of `batch`
/// associations (as R5 does), then `duration` of deletes of a stock of `limits` limits, one
/// per transaction (as C5 does), then `duration` of 10-row lookups (as R1 does).
pub fn run_sqlite(
    dir: &Path,
    associations: u64,
    preload_batch: u64,
    batch: u64,
    limits: usize,
    duration: Duration,
) -> anyhow::Result<SqliteCeiling> {
    let path = dir.join("ceiling.sqlite");
    let mut conn = open(&path)?;
    let mut out = SqliteCeiling {
        rows_per_tx: (batch * 2) as usize,
        ..Default::default()
    };

    let t0 = Instant::now();
    insert(&mut conn, 0..associations, preload_batch)?;
    out.preload_time = t0.elapsed();
    out.preload_rows = associations * 2;

    // New records beyond the preloaded ones, like R5's.
    let mut next = dataset::R5_FIRST_ASSOCIATION + 500_000_000;
    let t0 = Instant::now();
    while t0.elapsed() < duration {
        insert(&mut conn, next..next + batch, batch)?;
        next += batch;
        out.insert_rows += batch * 2;
    }
    out.insert_time = t0.elapsed();

    (out.deletes, out.delete_time) = delete_loop(&mut conn, limits, duration)?;
    out.delete_stock = limits as u64;

    let contacts = dataset::contacts_of(associations).max(1);
    let mut st = conn.prepare_cached(
        "SELECT to_id, category, type_id FROM associations
         WHERE portal_id = ?1 AND from_type = '0-1' AND from_id = ?2 AND to_type = '0-2' AND to_id > 0
         ORDER BY to_id LIMIT 10",
    )?;
    let t0 = Instant::now();
    let mut n = 0u64;
    while t0.elapsed() < duration {
        let contact = 1 + mix(n) % contacts;
        let s = Instant::now();
        let rows: Vec<(i64, String, i64)> = st
            .query_map(params![dataset::PORTAL, contact], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        out.lookup_ns.push(s.elapsed().as_nanos() as u64);
        std::hint::black_box(rows);
        n += 1;
    }
    out.lookup_time = t0.elapsed();
    out.lookups = n;
    out.lookup_ns.sort_unstable();
    drop(st);
    drop(conn);
    out.file_bytes = crate::report::file_bytes(&path);
    Ok(out)
}
