//! The feed of dispatched events (`GET /_assocd/events`) in dispatch order with their delivery
//! attempts, the outbox's depth, and retention.

use super::ranges::{Range, OPEN, QUEUED, RANGE_COLUMNS};
use crate::{db_error, get_i64, get_opt_str, get_str, SqlStore};
use assocd_core::events::{
    event_id, split_event_id, ChangeEvent, DeliveryAttempt, EventFilter, EventPage, FeedCursor,
    FeedEntry,
};
use assocd_core::records::TypeKey;
use assocd_core::store::Result;
use assocd_core::{Category, Error, ObjectType, PortalId};
use serde::Deserialize;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// Columns `event_from_row` reads, by these names.
pub(crate) const EVENT_COLUMNS: &str = "c.change_id, e.idx, c.portal_id, c.occurred_at, \
     c.change_source, c.source_id, e.from_type, e.to_type, e.from_id, e.to_id, e.category, \
     e.type_id, e.removed";

/// Changes removed per retention step (one short transaction each).
const CLEAN_CHUNK: i64 = 1000;

pub(crate) fn event_from_row(row: &AnyRow) -> Result<ChangeEvent, sqlx::Error> {
    let category = get_str(row, "category")?;
    let category = Category::parse(&category).ok_or_else(|| {
        sqlx::Error::Protocol(format!("outbox event of unknown category {category}"))
    })?;
    Ok(ChangeEvent {
        event_id: event_id(get_i64(row, "change_id")?, get_i64(row, "idx")?),
        portal_id: get_i64(row, "portal_id")?,
        occurred_at: get_i64(row, "occurred_at")?,
        change_source: get_str(row, "change_source")?,
        source_id: get_opt_str(row, "source_id")?,
        from_type: ObjectType::from_stored(&get_str(row, "from_type")?),
        from_id: get_i64(row, "from_id")?,
        to_type: ObjectType::from_stored(&get_str(row, "to_type")?),
        to_id: get_i64(row, "to_id")?,
        key: TypeKey::new(category, get_i64(row, "type_id")? as i32),
        removed: get_i64(row, "removed")? != 0,
    })
}

/// `event_from_row` by position: `EVENT_COLUMNS` from column `first` on.
pub(crate) fn event_at(row: &dyn crate::read::Row, first: usize) -> Result<ChangeEvent, Error> {
    let category = row.str(first + 10)?;
    let category = Category::parse(&category)
        .ok_or_else(|| Error::internal(format!("outbox event of unknown category {category}")))?;
    Ok(ChangeEvent {
        event_id: event_id(row.i64(first)?, row.i64(first + 1)?),
        portal_id: row.i64(first + 2)?,
        occurred_at: row.i64(first + 3)?,
        change_source: row.str(first + 4)?,
        source_id: row.opt_str(first + 5)?,
        from_type: ObjectType::from_stored(&row.str(first + 6)?),
        from_id: row.i64(first + 8)?,
        to_type: ObjectType::from_stored(&row.str(first + 7)?),
        to_id: row.i64(first + 9)?,
        key: TypeKey::new(category, row.i64(first + 11)? as i32),
        removed: row.i64(first + 12)? != 0,
    })
}

pub(crate) async fn list(store: &SqlStore, filter: &EventFilter) -> Result<EventPage> {
    let after = filter.after.unwrap_or(FeedCursor {
        round: 0,
        event_id: 0,
    });
    let (change, idx) = split_event_id(after.event_id);
    let portal = if filter.portal.is_some() {
        " AND c.portal_id = $4"
    } else {
        ""
    };
    let sql = format!(
        "SELECT c.dispatch_round, {EVENT_COLUMNS}
         FROM outbox_changes c JOIN outbox_events e ON e.change_id = c.change_id
         WHERE c.dispatch_round IS NOT NULL AND c.dispatch_round >= $1{portal}
           AND (c.dispatch_round > $1 OR c.change_id > $2 OR (c.change_id = $2 AND e.idx > $3))
         ORDER BY c.dispatch_round, c.change_id, e.idx
         LIMIT {}",
        filter.limit + 1
    );
    let mut q = sqlx::query(&sql).bind(after.round).bind(change).bind(idx);
    if let Some(p) = filter.portal {
        q = q.bind(p);
    }
    let rows = q.fetch_all(&store.read).await.map_err(db_error)?;
    let mut results = Vec::with_capacity(rows.len().min(filter.limit));
    for row in rows.iter().take(filter.limit) {
        let event = event_from_row(row).map_err(db_error)?;
        results.push(FeedEntry {
            cursor: FeedCursor {
                round: get_i64(row, "dispatch_round").map_err(db_error)?,
                event_id: event.event_id,
            },
            event,
            deliveries: Vec::new(),
        });
    }
    let next = (rows.len() > filter.limit)
        .then(|| results.last().map(|e| e.cursor))
        .flatten();
    attach_deliveries(store, &mut results)
        .await
        .map_err(db_error)?;
    Ok(EventPage { results, next })
}

/// One entry of a delivery's history, as `deliveries::history_entry` wrote it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryEntry {
    at: i64,
    status: Option<u16>,
    attempt_number: i64,
    error: Option<String>,
}

/// The attempts of a delivery from its stored history; `QUEUED` reads as `PENDING`.
fn attempts_of(row: &AnyRow, subscription_id: i64) -> Result<Vec<DeliveryAttempt>, sqlx::Error> {
    let history = get_str(row, "history")?;
    let text = format!("[{}]", history.trim_end_matches(','));
    let attempts: Vec<HistoryEntry> = serde_json::from_str(&text)
        .map_err(|e| sqlx::Error::Protocol(format!("unreadable delivery history: {e}")))?;
    let mut state = get_str(row, "state")?;
    if state == QUEUED {
        state = "PENDING".to_string();
    }
    let app_id = get_i64(row, "app_id")?;
    Ok(attempts
        .into_iter()
        .map(|a| DeliveryAttempt {
            app_id,
            subscription_id,
            at: a.at,
            status: a.status,
            attempt_number: a.attempt_number,
            error: a.error,
            state: state.clone(),
        })
        .collect())
}

/// Fills in the delivery attempts of each entry, oldest first.
async fn attach_deliveries(store: &SqlStore, entries: &mut [FeedEntry]) -> Result<(), sqlx::Error> {
    let mut changes: Vec<i64> = entries
        .iter()
        .map(|e| split_event_id(e.event.event_id).0)
        .collect();
    changes.sort_unstable();
    changes.dedup();
    let mut found: HashMap<i64, Vec<DeliveryAttempt>> = HashMap::new();
    // Batches of earlier releases list their events one by one.
    for chunk in changes.chunks(500) {
        let sql = format!(
            "SELECT m.change_id, m.idx, m.subscription_id, b.app_id, b.state, b.history
             FROM outbox_members m JOIN outbox_batches b ON b.batch_id = m.batch_id
             WHERE m.change_id IN {}",
            super::dispatch::id_list(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q.bind(*c);
        }
        for row in q.fetch_all(&store.read).await? {
            let id = event_id(get_i64(&row, "change_id")?, get_i64(&row, "idx")?);
            let attempts = attempts_of(&row, get_i64(&row, "subscription_id")?)?;
            found.entry(id).or_default().extend(attempts);
        }
    }
    // Batches named by ranges: those of the page's rounds (a page is in round order).
    let rounds = entries.iter().map(|e| e.cursor.round);
    if let (Some(first), Some(last)) = (rounds.clone().min(), rounds.max()) {
        // A page of one portal (the usual filter) reads only that portal's deliveries.
        let mut portals = entries.iter().map(|e| e.event.portal_id);
        let first_portal = portals.next();
        let one_portal = first_portal.filter(|p| portals.all(|q| q == *p));
        let sql = format!(
            "SELECT b.app_id, b.portal_id, b.state, b.history, {RANGE_COLUMNS}
             FROM outbox_ranges r JOIN outbox_batches b ON b.batch_id = r.batch_id
             WHERE r.dispatch_round BETWEEN $1 AND $2{}",
            if one_portal.is_some() {
                " AND b.portal_id = $3"
            } else {
                ""
            }
        );
        let mut q = sqlx::query(&sql).bind(first).bind(last);
        if let Some(p) = one_portal {
            q = q.bind(p);
        }
        let rows = q.fetch_all(&store.read).await?;
        let mut by_round: HashMap<i64, Vec<(PortalId, Range, &AnyRow)>> = HashMap::new();
        for row in &rows {
            let range = Range::from_row(row)?;
            if let Some(round) = range.round {
                let portal = get_i64(row, "portal_id")?;
                by_round
                    .entry(round)
                    .or_default()
                    .push((portal, range, row));
            }
        }
        for e in entries.iter() {
            let Some(ranges) = by_round.get(&e.cursor.round) else {
                continue;
            };
            for (portal, range, row) in ranges {
                if *portal == e.event.portal_id && range.holds(&e.event, Some(e.cursor.round)) {
                    let attempts = attempts_of(row, range.subscription_id)?;
                    found.entry(e.event.event_id).or_default().extend(attempts);
                }
            }
        }
    }
    for e in entries.iter_mut() {
        if let Some(mut d) = found.remove(&e.event.event_id) {
            d.sort_by_key(|a| (a.at, a.attempt_number, a.app_id, a.subscription_id));
            e.deliveries = d;
        }
    }
    Ok(())
}

/// Events waiting: undispatched, or in deliveries not yet made. (PostgreSQL sums integers as
/// `numeric`, which the Any driver cannot decode: hence the cast.)
pub(crate) async fn depth(store: &SqlStore) -> Result<i64> {
    let sql = "SELECT CAST(
        (SELECT COALESCE(SUM(events), 0) FROM outbox_changes WHERE dispatch_round IS NULL)
      + (SELECT COALESCE(SUM(size), 0) FROM outbox_batches WHERE state IN ('PENDING', 'QUEUED'))
      AS BIGINT)";
    let n: i64 = sqlx::query_scalar(sql)
        .fetch_one(&store.read)
        .await
        .map_err(db_error)?;
    Ok(n)
}

/// Removes finished deliveries last attempted before `before_ms` (real time), a chunk per
/// transaction.
async fn clean_deliveries(store: &SqlStore, before_ms: i64) -> Result<()> {
    loop {
        let step = async {
            let mut tx = store.begin_worker().await?;
            let ids: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT batch_id FROM outbox_batches
                 WHERE state NOT IN {OPEN} AND updated_at < $1 LIMIT {CLEAN_CHUNK}"
            ))
            .bind(before_ms)
            .fetch_all(&mut *tx)
            .await?;
            for chunk in ids.chunks(500) {
                let list = super::dispatch::id_list(1, chunk.len());
                for table in ["outbox_members", "outbox_ranges", "outbox_batches"] {
                    let sql = format!("DELETE FROM {table} WHERE batch_id IN {list}");
                    let mut q = sqlx::query(&sql);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(ids.len() as i64)
        };
        let n = match tokio::time::timeout(store.tx_deadline, step).await {
            Ok(r) => r.map_err(db_error)?,
            Err(_) => return Err(Error::unavailable(crate::UNAVAILABLE)),
        };
        if n < CLEAN_CHUNK {
            return Ok(());
        }
    }
}

/// Removes dispatched changes that occurred before `before_ms`, and their events, a chunk
/// per transaction; then finished deliveries older than `deliveries_before`.
pub(crate) async fn clean(store: &SqlStore, before_ms: i64, deliveries_before: i64) -> Result<u64> {
    clean_deliveries(store, deliveries_before).await?;
    let mut removed = 0u64;
    loop {
        let step = async {
            let mut tx = store.begin_worker().await?;
            let ids: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT change_id FROM outbox_changes
                 WHERE occurred_at < $1 AND dispatch_round IS NOT NULL LIMIT {CLEAN_CHUNK}"
            ))
            .bind(before_ms)
            .fetch_all(&mut *tx)
            .await?;
            let mut events = 0u64;
            for chunk in ids.chunks(500) {
                let list = super::dispatch::id_list(1, chunk.len());
                for table in ["outbox_events", "outbox_changes"] {
                    let sql = format!("DELETE FROM {table} WHERE change_id IN {list}");
                    let mut q = sqlx::query(&sql);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    let done = q.execute(&mut *tx).await?;
                    if table == "outbox_events" {
                        events += done.rows_affected();
                    }
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>((ids.len() as i64, events))
        };
        let (changes, events) = match tokio::time::timeout(store.tx_deadline, step).await {
            Ok(r) => r.map_err(db_error)?,
            Err(_) => return Err(Error::unavailable(crate::UNAVAILABLE)),
        };
        removed += events;
        if changes < CLEAN_CHUNK {
            return Ok(removed);
        }
    }
}
