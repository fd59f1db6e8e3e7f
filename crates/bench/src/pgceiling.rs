//! PostgreSQL's own floor for assocd's PostgreSQL scenarios (issue 15): reads against a bare
//! select loop of R1's shape through the same driver (sqlx) at the same concurrency, with
//! assocd's pool size; writes against bare loops of R5's inserts and C5's delete at the same
//! concurrency (`pgwrites`). Run on the bench's PostgreSQL database after assocd's pass, so
//! the table holds the same rows.

use crate::dataset;
use crate::load::mix;
use sqlx::postgres::PgPoolOptions;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// assocd's default pool size on PostgreSQL (`ConnectOptions::max_connections`).
const POOL: u32 = 8;

/// The R1 page query's shape: one record's first 10 associations of one type.
const SELECT: &str = "SELECT to_id, category, type_id FROM associations
     WHERE portal_id = $1 AND from_type = '0-1' AND from_id = $2 AND to_type = '0-2' AND to_id > 0
     ORDER BY to_id LIMIT 10";

#[derive(Debug, Clone, Default)]
pub struct PgCeiling {
    /// Selects per second by concurrency.
    pub selects: BTreeMap<usize, f64>,
    /// Rows inserted per second by concurrency, 200 rows per transaction (`pgwrites`).
    pub inserts: BTreeMap<usize, f64>,
    /// Delete transactions per second by concurrency, one limit each (`pgwrites`).
    pub deletes: BTreeMap<usize, f64>,
}

/// Measures the loops on `url` (assocd's loaded database) for `duration` each.
pub async fn run(
    url: &str,
    associations: u64,
    concurrency: &[usize],
    duration: Duration,
    delete_stock: usize,
) -> anyhow::Result<PgCeiling> {
    let pool = PgPoolOptions::new()
        .max_connections(POOL)
        // As assocd's pool: no ping before every acquire.
        .test_before_acquire(false)
        .connect(url)
        .await?;
    let mut out = PgCeiling::default();
    let contacts = dataset::contacts_of(associations).max(1);
    for &c in concurrency {
        let done = Arc::new(AtomicU64::new(0));
        let t0 = Instant::now();
        let end = t0 + duration;
        let mut tasks = Vec::new();
        for w in 0..c {
            let (pool, done) = (pool.clone(), done.clone());
            tasks.push(tokio::spawn(async move {
                let mut n = w as u64 * 1_000_003;
                while Instant::now() < end {
                    let contact = (1 + mix(n) % contacts) as i64;
                    let rows: Vec<(i64, String, i64)> = sqlx::query_as(SELECT)
                        .bind(dataset::PORTAL)
                        .bind(contact)
                        .fetch_all(&pool)
                        .await?;
                    std::hint::black_box(rows);
                    done.fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        let rate = done.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64();
        note!("PostgreSQL select loop c={c}: {rate:.0} selects/s");
        out.selects.insert(c, rate);
    }

    let (inserts, deletes) =
        crate::pgwrites::run(&pool, concurrency, duration, delete_stock).await?;
    out.inserts = inserts;
    out.deletes = deletes;
    pool.close().await;
    Ok(out)
}

impl crate::report::Report {
    /// assocd's PostgreSQL scenarios beside PostgreSQL's own loops of the same shape.
    pub(crate) fn pg_table(&self, c: &PgCeiling, out: &mut String) {
        use crate::report::int;
        use std::fmt::Write;
        let Some(b) = self.backends.iter().find(|b| b.name == "PostgreSQL") else {
            return;
        };
        let _ = writeln!(
            out,
            "Reads against a bare select loop of R1's page query (10 rows by primary-key range) through sqlx with \
             assocd's pool of {POOL} connections (no ping per acquire, as assocd), at the same concurrency; S1 (one labels \
             query per request) is set against the same loop, and R6 against 100 of its selects per request (the rows it returns). \
             Writes (R5, C5): see \"Writes against raw write loops\". \
             Same database, same run, after assocd's pass.\n"
        );
        out.push_str(
            "| Scenario | c | assocd | PostgreSQL loop | ratio |\n|---|---:|---:|---:|---:|\n",
        );
        for (id, per) in [
            ("R1", 1.0),
            ("S1", 1.0),
            ("R6", crate::scenarios::BATCH as f64),
        ] {
            let Some(sc) = b.scenario(id) else { continue };
            for r in &sc.runs {
                let Some(&sel) = c.selects.get(&r.concurrency) else {
                    continue;
                };
                let _ = writeln!(
                    out,
                    "| {id} {} | {} | {} req/s{} | {} selects/s | {:.0}% |",
                    sc.title,
                    r.concurrency,
                    int(r.rps()),
                    if per > 1.0 {
                        format!(" = {} selects/s", int(r.rps() * per))
                    } else {
                        String::new()
                    },
                    int(sel),
                    100.0 * r.rps() * per / sel.max(1e-9)
                );
            }
        }
    }
}
