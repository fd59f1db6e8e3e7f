//! The feed of dispatched events (`GET /_assocd/events`), in dispatch order, and retention.

use crate::{db_error, get_i64, get_opt_str, get_str, SqlStore};
use assocd_core::events::{
    event_id, split_event_id, ChangeEvent, EventFilter, EventPage, FeedCursor, FeedEntry,
};
use assocd_core::records::TypeKey;
use assocd_core::store::Result;
use assocd_core::{Category, Error, ObjectType};
use sqlx::any::AnyRow;

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
    Ok(EventPage { results, next })
}

/// Removes dispatched changes that occurred before `before_ms`, and their events, a chunk
/// per transaction.
pub(crate) async fn clean(store: &SqlStore, before_ms: i64) -> Result<u64> {
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
