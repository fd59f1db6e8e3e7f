//! Claims: which due deliveries a worker sends now, within each app's
//! `maxConcurrentRequests` across every process.
//! - PostgreSQL: per app, one READ COMMITTED transaction locks the app's settings row (claims
//!   of one app queue across replicas), counts the live leases, and takes due batches with
//!   `FOR UPDATE SKIP LOCKED`, leasing them to the worker until `now + lease`. A replica that
//!   dies leaves leases that simply run out; another replica then takes the batches over.
//! - SQLite: one process owns the database, so claims are an in-memory set of batch ids
//!   (`SqlStore::held`) and claiming only reads: no write, no fsync. A crash forgets them with
//!   the process; the batches are still pending in the database. The reads run in place
//!   (`claims_in_place`).

use super::claims_in_place;
use super::dispatch::id_list;
use super::feed::{event_from_row, EVENT_COLUMNS};
use super::ranges::{self, Range, OPEN};
use crate::{db_error, get_i64, get_str, Backend, SqlStore};
use assocd_core::apps::AppId;
use assocd_core::events::{ClaimedBatch, Claims};
use assocd_core::store::Result;
use assocd_core::{Error, PortalId};
use sqlx::Row;
use std::collections::HashMap;

/// What a batch is sent with: (target URL, client secret, maxConcurrentRequests).
type AppTarget = (String, String, i64);

/// A batch claimed, before its events are read: (batch id, app, portal, attempt).
pub(super) type Picked = (i64, AppId, PortalId, i64);

async fn app_targets(
    store: &SqlStore,
    apps: &[AppId],
) -> Result<HashMap<AppId, AppTarget>, sqlx::Error> {
    let mut out = HashMap::new();
    for chunk in apps.chunks(500) {
        let sql = format!(
            "SELECT s.app_id, s.target_url, s.max_concurrent_requests, a.client_secret
             FROM webhook_settings s JOIN apps a ON a.app_id = s.app_id WHERE s.app_id IN {}",
            id_list(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for a in chunk {
            q = q.bind(*a);
        }
        for row in q.fetch_all(&store.read).await? {
            out.insert(
                get_i64(&row, "app_id")?,
                (
                    get_str(&row, "target_url")?,
                    get_str(&row, "client_secret")?,
                    get_i64(&row, "max_concurrent_requests")?,
                ),
            );
        }
    }
    Ok(out)
}

async fn claim_sqlite(store: &SqlStore, now: i64, max: usize) -> Result<Vec<Picked>> {
    let Some(readers) = &store.sqlite_readers else {
        return Ok(Vec::new());
    };
    let caps: HashMap<AppId, i64> = store
        .read_rows(
            "SELECT s.app_id, s.max_concurrent_requests
             FROM webhook_settings s JOIN apps a ON a.app_id = s.app_id",
            &[],
            |r: &dyn crate::read::Row| Ok((r.i64(0)?, r.i64(1)?)),
        )
        .await?
        .into_iter()
        .collect();
    let mut held = store.held.lock().unwrap_or_else(|p| p.into_inner());
    claims_in_place::pick_due(readers, now, max, &caps, &mut held)
}

async fn claim_postgres(
    store: &SqlStore,
    owner: &str,
    now: i64,
    lease_ms: i64,
    max: usize,
) -> Result<Vec<Picked>, sqlx::Error> {
    let apps: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT DISTINCT app_id FROM outbox_batches WHERE state IN {OPEN} AND next_at <= $1
           AND (lease_until IS NULL OR lease_until <= $1)"
    ))
    .bind(now)
    .fetch_all(&store.read)
    .await?;
    let mut picked = Vec::new();
    for app in apps {
        if picked.len() >= max {
            break;
        }
        let mut tx = store.begin_worker().await?;
        let cap: Option<i64> = sqlx::query_scalar(
            "SELECT max_concurrent_requests FROM webhook_settings WHERE app_id = $1 FOR UPDATE",
        )
        .bind(app)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(cap) = cap else {
            tx.rollback().await?;
            continue;
        };
        let live: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM outbox_batches
             WHERE app_id = $1 AND state IN {OPEN} AND lease_until > $2"
        ))
        .bind(app)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let free = (cap - live).min((max - picked.len()) as i64);
        if free > 0 {
            let rows = sqlx::query(&format!(
                "UPDATE outbox_batches SET lease_owner = $1, lease_until = $2
                 WHERE batch_id IN (
                     SELECT batch_id FROM outbox_batches
                     WHERE app_id = $3 AND state IN {OPEN} AND next_at <= $4
                       AND (lease_until IS NULL OR lease_until <= $4)
                     ORDER BY next_at, batch_id LIMIT $5 FOR UPDATE SKIP LOCKED)
                 RETURNING batch_id, portal_id, attempt"
            ))
            .bind(owner)
            .bind(now + lease_ms)
            .bind(app)
            .bind(now)
            .bind(free)
            .fetch_all(&mut *tx)
            .await?;
            for r in &rows {
                picked.push((
                    get_i64(r, "batch_id")?,
                    app,
                    get_i64(r, "portal_id")?,
                    get_i64(r, "attempt")?,
                ));
            }
        }
        tx.commit().await?;
    }
    Ok(picked)
}

/// The events of claimed batches, with their targets.
async fn load(store: &SqlStore, picked: Vec<Picked>) -> Result<Vec<ClaimedBatch>> {
    let mut apps: Vec<AppId> = picked.iter().map(|p| p.1).collect();
    apps.sort_unstable();
    apps.dedup();
    let targets = app_targets(store, &apps).await.map_err(db_error)?;
    let mut batches: Vec<ClaimedBatch> = Vec::with_capacity(picked.len());
    let mut position: HashMap<i64, usize> = HashMap::new();
    for (batch_id, app_id, portal_id, attempt) in picked {
        // Settings removed since the claim: sent nowhere (the results will say so).
        let (target_url, client_secret, _) = targets.get(&app_id).cloned().unwrap_or_default();
        position.insert(batch_id, batches.len());
        batches.push(ClaimedBatch {
            batch_id,
            app_id,
            portal_id,
            attempt,
            target_url,
            client_secret,
            items: Vec::new(),
        });
    }
    let ids: Vec<i64> = batches.iter().map(|b| b.batch_id).collect();
    // SQLite: the ranged batches' events in place, off the runtime (a step claims up to the
    // apps' caps, 100 events each).
    let owned = ids.clone();
    let in_place = store
        .sqlite_read_off_runtime(move |readers| {
            readers.with_conn(false, |conn| claims_in_place::ranged_items(conn, &owned))
        })
        .await
        .transpose()?;
    let mut items = Vec::new();
    for chunk in ids.chunks(500) {
        let list = id_list(1, chunk.len());
        // Batches of earlier releases list their events one by one.
        let legacy = format!(
            "SELECT m.batch_id, m.subscription_id, m.subscription_type, {EVENT_COLUMNS}
             FROM outbox_members m
             JOIN outbox_events e ON e.change_id = m.change_id AND e.idx = m.idx
             JOIN outbox_changes c ON c.change_id = m.change_id
             WHERE m.batch_id IN {list}"
        );
        let mut queries = vec![(legacy, false)];
        if in_place.is_none() {
            queries.push((ranges::events_sql(&list), true));
        }
        for (sql, ranged) in queries {
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            let rows = q.fetch_all(&store.read).await.map_err(db_error)?;
            for row in &rows {
                ranged_or_legacy(row, ranged, &mut items).map_err(db_error)?;
            }
        }
    }
    items.extend(in_place.unwrap_or_default());
    for (batch_id, event, subscription_id, subscription_type) in items {
        if let Some(i) = position.get(&batch_id) {
            batches[*i]
                .items
                .push((event, subscription_id, subscription_type));
        }
    }
    for b in &mut batches {
        b.items.sort_by_key(|(e, sub, _)| (e.event_id, *sub));
        b.items.dedup_by_key(|(e, sub, _)| (e.event_id, *sub));
    }
    Ok(batches)
}

/// Adds the event of a row of the legacy or the ranged read to `items` when it is one of its
/// batch's.
fn ranged_or_legacy(
    row: &sqlx::any::AnyRow,
    ranged: bool,
    items: &mut Vec<claims_in_place::Item>,
) -> Result<(), sqlx::Error> {
    let event = event_from_row(row)?;
    let (subscription_id, subscription_type) = if ranged {
        let range = Range::from_row(row)?;
        let round: Option<i64> = row.try_get("dispatch_round")?;
        if !range.holds(&event, round) {
            return Ok(());
        }
        (range.subscription_id, range.subscription_type)
    } else {
        (
            get_i64(row, "subscription_id")?,
            get_str(row, "subscription_type")?,
        )
    };
    items.push((
        get_i64(row, "batch_id")?,
        event,
        subscription_id,
        subscription_type,
    ));
    Ok(())
}

pub(crate) async fn claim(
    store: &SqlStore,
    owner: &str,
    now: i64,
    lease_ms: i64,
    max: usize,
) -> Result<Claims> {
    let work = async {
        let picked = match store.backend {
            Backend::Sqlite => claim_sqlite(store, now, max).await?,
            Backend::Postgres => claim_postgres(store, owner, now, lease_ms, max)
                .await
                .map_err(db_error)?,
        };
        let ids: Vec<i64> = picked.iter().map(|p| p.0).collect();
        let batches = match load(store, picked).await {
            Ok(b) => b,
            Err(e) => {
                store.release_claims(ids);
                return Err(e);
            }
        };
        let next_due: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT MIN(next_at) FROM outbox_batches WHERE state IN {OPEN} AND next_at > $1"
        ))
        .bind(now)
        .fetch_one(&store.read)
        .await
        .map_err(db_error)?;
        Ok(Claims { batches, next_due })
    };
    match tokio::time::timeout(store.tx_deadline, work).await {
        Ok(r) => r,
        Err(_) => Err(Error::unavailable(crate::UNAVAILABLE)),
    }
}
