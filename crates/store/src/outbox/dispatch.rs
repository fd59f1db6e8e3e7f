//! Dispatch: the worker's step that records the results of delivery attempts, hands
//! undispatched changes the next round number (their place in the feed) and queues their
//! deliveries. The `outbox_cursor` row is held for the
//! whole step (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer anyway), so
//! replicas dispatch one at a time and every round commits after the one before it: a reader
//! of the feed who has seen round `r` never later finds a change in a round up to `r`.

use super::deliveries::record_results;
use super::fan_out::{plan, plan_holds, plan_in_place, portals_of, queue_plan, targets, Plan};
use crate::{db_error, get_i64, Backend, SqlStore};
use assocd_core::events::{AttemptResult, Tick};
use assocd_core::store::Result;
use assocd_core::{Error, PortalId};
use sqlx::AnyConnection;

/// Changes looked at per step.
const MAX_CHANGES: i64 = 1000;
/// Ids per `IN (...)` list.
const ID_CHUNK: usize = 500;

/// `($first, …)`: `n` numbered bind markers (both engines read `$n`).
pub(super) fn id_list(first: usize, n: usize) -> String {
    let marks: Vec<String> = (first..first + n).map(|i| format!("${i}")).collect();
    format!("({})", marks.join(", "))
}

/// Milliseconds since the epoch by the system clock: delivery times are real time (a frozen
/// clock would never let a retry fall due).
pub(crate) fn real_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The oldest undispatched changes (`(change id, portal)`), at most `MAX_CHANGES` and, past
/// the first, at most `max_events` events; the tick's counts of them.
async fn pick(
    conn: &mut AnyConnection,
    max_events: usize,
) -> Result<(Vec<(i64, PortalId)>, Tick), sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT change_id, portal_id, events FROM outbox_changes
         WHERE dispatch_round IS NULL ORDER BY change_id LIMIT {MAX_CHANGES}"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut tick = Tick {
        more: rows.len() as i64 == MAX_CHANGES,
        ..Tick::default()
    };
    let mut picked = Vec::new();
    for row in &rows {
        let events = get_i64(row, "events")? as usize;
        if !picked.is_empty() && tick.events + events > max_events {
            tick.more = true;
            break;
        }
        picked.push((get_i64(row, "change_id")?, get_i64(row, "portal_id")?));
        tick.events += events;
    }
    tick.changes = picked.len();
    Ok((picked, tick))
}

/// Whether every one of `changes` is still undispatched.
async fn undispatched(
    conn: &mut AnyConnection,
    changes: &[(i64, PortalId)],
) -> Result<bool, sqlx::Error> {
    let mut found = 0;
    for chunk in changes.chunks(ID_CHUNK) {
        let sql = format!(
            "SELECT COUNT(*) FROM outbox_changes WHERE dispatch_round IS NULL AND change_id IN {}",
            id_list(1, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for (id, _) in chunk {
            q = q.bind(*id);
        }
        found += q.fetch_one(&mut *conn).await?;
    }
    Ok(found == changes.len() as i64)
}

/// The changes a step dispatches, its counts, and their deliveries.
type Prepared = (Vec<(i64, PortalId)>, Tick, Plan);

/// SQLite: picks and plans on a connection of the read pool, the changes' events read in place
/// off the runtime (through sqlx, copying every value and sending every row between threads,
/// this read was the largest part of the worker's work per event).
async fn prepare(store: &SqlStore, max_events: usize) -> Result<Prepared, sqlx::Error> {
    let mut conn = store.read.acquire().await?;
    let (changes, tick) = pick(&mut conn, max_events).await?;
    let targets = targets(&mut conn, &portals_of(&changes)).await?;
    drop(conn);
    let owned = changes.clone();
    let planned = store
        .sqlite_read_off_runtime(move |readers| {
            readers.with_conn(false, |conn| plan_in_place(conn, targets, &owned))
        })
        .await;
    let plan = match planned {
        Some(p) => p.map_err(|e| sqlx::Error::Protocol(e.message))?,
        None => plan(&mut *store.read.acquire().await?, &changes).await?,
    };
    Ok((changes, tick, plan))
}

pub(crate) async fn tick(
    store: &SqlStore,
    owner: &str,
    results: &[AttemptResult],
    max_events: usize,
) -> Result<Tick> {
    // An idle worker only reads: no write lock, no fsync.
    let waiting: Option<i64> = sqlx::query_scalar(
        "SELECT change_id FROM outbox_changes WHERE dispatch_round IS NULL ORDER BY change_id LIMIT 1",
    )
    .fetch_optional(&store.read)
    .await
    .map_err(db_error)?;
    if waiting.is_none() && results.is_empty() {
        return Ok(Tick::default());
    }
    let step = async {
        // SQLite: the changes and their events are read before the step takes the one writer,
        // which the association writes wait for meanwhile (reading the events of 32 R5
        // requests held it ~60 ms); inside, the step only checks that nothing moved since.
        // This process is the file's only dispatcher, so the check rarely fails; when it does,
        // the step reads again inside. PostgreSQL reads inside: its writers do not wait for
        // this transaction, and the cursor's lock decides which replica dispatches.
        let early = match (store.backend, waiting) {
            (Backend::Sqlite, Some(_)) => Some(prepare(store, max_events).await?),
            _ => None,
        };
        let mut tx = store.begin_worker().await?;
        record_results(&mut tx, store.backend, owner, results).await?;
        if waiting.is_none() {
            tx.commit().await?;
            return Ok(Tick::default());
        }
        let lock = match store.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let round: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT next_round FROM outbox_cursor WHERE name = 'dispatch'{lock}"
        ))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(round) = round else {
            // Another replica is dispatching.
            tx.commit().await?;
            return Ok(Tick::default());
        };
        let mut prepared = None;
        if let Some((changes, tick, plan)) = early {
            if undispatched(&mut tx, &changes).await?
                && plan_holds(&mut tx, &plan, &changes).await?
            {
                prepared = Some((changes, tick, plan));
            }
        }
        let (picked, mut tick, plan) = match prepared {
            Some(p) => p,
            None => {
                let (changes, tick) = pick(&mut tx, max_events).await?;
                let plan = plan(&mut tx, &changes).await?;
                (changes, tick, plan)
            }
        };
        tick.batches = queue_plan(&mut tx, store.backend, plan, real_now_ms(), round).await?;
        let picked: Vec<i64> = picked.into_iter().map(|(c, _)| c).collect();
        for chunk in picked.chunks(ID_CHUNK) {
            let sql = format!(
                "UPDATE outbox_changes SET dispatch_round = $1 WHERE change_id IN {}",
                id_list(2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(round);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE outbox_cursor SET next_round = $1 WHERE name = 'dispatch'")
            .bind(round + 1)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(tick)
    };
    let tick = match tokio::time::timeout(store.tx_deadline, step).await {
        Ok(r) => r.map_err(db_error)?,
        Err(_) => return Err(Error::unavailable(crate::UNAVAILABLE)),
    };
    // The recorded deliveries are no longer in flight (SQLite keeps claims in memory).
    store.release_claims(results.iter().map(|r| r.batch_id));
    Ok(tick)
}
