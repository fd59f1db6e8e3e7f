//! PostgreSQL's own write loops for the write scenarios (issue 15), at each concurrency through
//! sqlx with assocd's pool size, on the bench's database after assocd's pass:
//! - R5's rows: 100 new associations per transaction, two multi-row INSERTs (both directions,
//!   200 rows), as assocd writes them;
//! - C5's rows: a stock of limits of the shape of C5's (`purges`), inserted first, then one
//!   transaction per request deleting the next one, until the time is up or none is left
//!   (the rate counts the time it ran). Default isolation and commit (fsync on).

use crate::dataset;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const COLUMNS: &str =
    "INSERT INTO associations (portal_id, from_type, from_id, to_type, to_id, category, type_id) ";

/// One transaction of R5's rows for associations `range` (new records: nothing conflicts).
async fn insert_batch(pool: &PgPool, range: std::ops::Range<u64>) -> anyhow::Result<()> {
    let mut forward = sqlx::QueryBuilder::new(COLUMNS);
    forward.push_values(range.clone(), |mut b, k| {
        let (contact, company) = dataset::pair_of(k);
        b.push_bind(dataset::PORTAL)
            .push_bind("0-1")
            .push_bind(contact)
            .push_bind("0-2")
            .push_bind(company)
            .push_bind("HUBSPOT_DEFINED")
            .push_bind(279i64);
    });
    forward.push(" ON CONFLICT DO NOTHING");
    let mut inverse = sqlx::QueryBuilder::new(COLUMNS);
    inverse.push_values(range, |mut b, k| {
        let (contact, company) = dataset::pair_of(k);
        b.push_bind(dataset::PORTAL)
            .push_bind("0-2")
            .push_bind(company)
            .push_bind("0-1")
            .push_bind(contact)
            .push_bind("HUBSPOT_DEFINED")
            .push_bind(280i64);
    });
    inverse.push(" ON CONFLICT DO NOTHING");
    let mut tx = pool.begin().await?;
    forward.build().execute(&mut *tx).await?;
    inverse.build().execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Inserts `rows` limits of the shape of C5's stock, type ids from `first` on.
async fn insert_stock(pool: &PgPool, rows: usize, first: u64) -> anyhow::Result<()> {
    let keys: Vec<_> = crate::ceiling::stock_rows(rows, first).collect();
    for chunk in keys.chunks(1000) {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO limits (portal_id, from_type, to_type, category, type_id, max_to_object_ids) ",
        );
        q.push_values(chunk, |mut b, (from, to, type_id)| {
            b.push_bind(dataset::PORTAL)
                .push_bind(*from)
                .push_bind(*to)
                .push_bind("USER_DEFINED")
                .push_bind(*type_id)
                .push_bind(5i64);
        });
        q.build().execute(pool).await?;
    }
    Ok(())
}

/// One C5 transaction: delete one limit (it must be there).
async fn delete_limit(pool: &PgPool, (from, to, type_id): (&str, &str, i64)) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "DELETE FROM limits WHERE portal_id = $1 AND from_type = $2 AND to_type = $3
         AND category = 'USER_DEFINED' AND type_id = $4",
    )
    .bind(dataset::PORTAL)
    .bind(from)
    .bind(to)
    .bind(type_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    anyhow::ensure!(
        done.rows_affected() == 1,
        "the delete loop found no row to delete"
    );
    Ok(())
}

/// Runs `c` clients of `one` for `duration` or until one says there is nothing left (false);
/// transactions per second.
async fn clients<F, Fut>(c: usize, duration: Duration, one: F) -> anyhow::Result<f64>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<bool>> + Send,
{
    let one = Arc::new(one);
    let done = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let end = t0 + duration;
    let mut tasks = Vec::new();
    for _ in 0..c {
        let (one, done) = (one.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                if !one().await? {
                    break;
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64())
}

/// Both loops at each concurrency: rows inserted per second (R5's) and delete transactions
/// per second (C5's, on `stock` limits inserted first, each deleted by one transaction).
pub async fn run(
    pool: &PgPool,
    concurrency: &[usize],
    duration: Duration,
    stock: usize,
) -> anyhow::Result<(BTreeMap<usize, f64>, BTreeMap<usize, f64>)> {
    let per_tx = crate::scenarios::BATCH;
    // New records far beyond the preload and R5's; the rows stay (the bench drops this
    // database next).
    let next = Arc::new(AtomicU64::new(dataset::R5_FIRST_ASSOCIATION + 700_000_000));
    let mut inserts = BTreeMap::new();
    for &c in concurrency {
        let (pool, next) = (pool.clone(), next.clone());
        let tx_per_s = clients(c, duration, move || {
            let (pool, start) = (pool.clone(), next.fetch_add(per_tx, Ordering::Relaxed));
            async move {
                insert_batch(&pool, start..start + per_tx).await?;
                Ok(true)
            }
        })
        .await?;
        let rows = tx_per_s * (per_tx * 2) as f64;
        note!("PostgreSQL insert loop c={c}: {rows:.0} rows/s");
        inserts.insert(c, rows);
    }
    let mut deletes = BTreeMap::new();
    for (k, &c) in concurrency.iter().enumerate() {
        // A stock of its own per concurrency, beside assocd's (type ids far from its labels').
        let first = 2_000_000 + k as u64 * stock as u64;
        insert_stock(pool, stock, first).await?;
        let keys: Arc<Vec<_>> = Arc::new(crate::ceiling::stock_rows(stock, first).collect());
        let (pool, next) = (pool.clone(), Arc::new(AtomicU64::new(0)));
        let rate = clients(c, duration, move || {
            let (pool, keys) = (pool.clone(), keys.clone());
            let i = next.fetch_add(1, Ordering::Relaxed) as usize;
            async move {
                match keys.get(i) {
                    Some(&key) => delete_limit(&pool, key).await.map(|()| true),
                    None => Ok(false),
                }
            }
        })
        .await?;
        note!("PostgreSQL delete loop c={c}: {rate:.0} transactions/s");
        deletes.insert(c, rate);
    }
    Ok((inserts, deletes))
}
