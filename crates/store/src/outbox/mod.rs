//! The outbox: association change events written in the transaction of the change, so no
//! committed change goes without its events and no rolled-back one has any. A change (one
//! write batch, one page of a reset) is one `outbox_changes` row; each association row it added
//! or removed is one `outbox_events` row. The webhook worker dispatches changes (`dispatch`:
//! a round number for the feed's order), the control plane reads them (`feed`), and retention
//! removes old ones.

mod claims;
mod claims_in_place;
mod deliveries;
mod dispatch;
mod fan_out;
mod feed;
mod ranges;

pub(crate) use deliveries::{drop_deliveries, redeliver_in};

use crate::associations::Marks;
use crate::{get_i64, get_str, write_tx, Backend, SqlStore};
use assocd_core::events::{
    AttemptResult, ChangeSource, Claims, EventFilter, EventPage, Tick, EVENTS_PER_CHANGE,
};
use assocd_core::records::TypeKey;
use assocd_core::store::{OutboxStore, Result};
use assocd_core::{Category, PortalId};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// Event rows per insert statement (6 binds each).
const INSERT_CHUNK: usize = 500;
/// Association rows a removal (reset, label delete) reads per page.
const REMOVAL_PAGE: i64 = 10_000;

/// One association row added or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventRow {
    pub from_type: String,
    pub to_type: String,
    pub from_id: i64,
    pub to_id: i64,
    pub key: TypeKey,
    pub removed: bool,
}

/// The events of one change in one direction (one object type pair): `(index, row)`.
type DirectionGroup<'a> = (&'a str, &'a str, Vec<(i64, &'a EventRow)>);

/// Who made a change, and when.
#[derive(Debug, Clone)]
pub(crate) struct ChangeMeta {
    pub source: ChangeSource,
    pub occurred_at: i64,
}

/// Writes `rows` as the events of one change of `portal` (several changes past
/// `EVENTS_PER_CHANGE` rows) inside the caller's transaction. Nothing when `rows` is empty.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    backend: Backend,
    portal: PortalId,
    meta: &ChangeMeta,
    rows: &[EventRow],
) -> Result<(), sqlx::Error> {
    for change in rows.chunks(EVENTS_PER_CHANGE as usize) {
        let change_id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox_changes (portal_id, occurred_at, change_source, source_id, events)
             VALUES ($1, $2, $3, $4, $5) RETURNING change_id",
        )
        .bind(portal)
        .bind(meta.occurred_at)
        .bind(meta.source.change_source)
        .bind(meta.source.source_id.clone())
        .bind(change.len() as i64)
        .fetch_one(&mut *conn)
        .await?;
        // Rows of one direction share their object types: bound once per statement.
        let mut groups: Vec<DirectionGroup> = Vec::new();
        for (idx, row) in change.iter().enumerate() {
            let pos = groups
                .iter()
                .position(|(f, t, _)| *f == row.from_type && *t == row.to_type);
            let entry = (idx as i64, row);
            match pos {
                Some(i) => groups[i].2.push(entry),
                None => groups.push((&row.from_type, &row.to_type, vec![entry])),
            }
        }
        for (from_type, to_type, items) in groups {
            for chunk in items.chunks(INSERT_CHUNK) {
                let sql = insert_sql(backend, chunk.len());
                let mut q = sqlx::query(&sql)
                    .bind(change_id)
                    .bind(from_type)
                    .bind(to_type);
                for (idx, row) in chunk {
                    q = q
                        .bind(*idx)
                        .bind(row.from_id)
                        .bind(row.to_id)
                        .bind(row.key.category.as_str())
                        .bind(i64::from(row.key.type_id))
                        .bind(i64::from(row.removed));
                }
                q.execute(&mut *conn).await?;
            }
        }
    }
    Ok(())
}

/// Inserts `n` events of one change and direction: binds change id, from type, to type, then
/// six values per event.
fn insert_sql(backend: Backend, n: usize) -> String {
    let mut m = Marks::new(backend);
    let head = [m.next(), m.next(), m.next()];
    let values: Vec<String> = (0..n).map(|_| m.tuple(6)).collect();
    format!(
        "INSERT INTO outbox_events (change_id, from_type, to_type, idx, from_id, to_id, category, type_id, removed)
         SELECT {}, {}, {}, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6
         FROM (VALUES {}) AS v",
        head[0],
        head[1],
        head[2],
        values.join(", ")
    )
}

/// Which association rows a removal takes away.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Removal {
    /// Every row of the portal (reset, delete).
    Portal,
    /// Every row of one USER_DEFINED type (label delete).
    UserType(i64),
}

/// Records, as removed events, the association rows of `portal` that `what` is about to
/// delete: call it inside the transaction, before the delete. Reads them a page at a time in
/// primary key order; each page is one change.
pub(crate) async fn record_removal(
    conn: &mut AnyConnection,
    backend: Backend,
    portal: PortalId,
    meta: &ChangeMeta,
    what: Removal,
) -> Result<(), sqlx::Error> {
    const COLUMNS: &str = "from_type, from_id, to_type, to_id, category, type_id";
    let filter = match what {
        Removal::Portal => "",
        Removal::UserType(_) => " AND category = 'USER_DEFINED' AND type_id = $2",
    };
    // The last row read: (from_type, from_id, to_type, to_id, category, type_id).
    let mut after: Option<(String, i64, String, i64, String, i64)> = None;
    loop {
        let keyset = match what {
            Removal::Portal => " AND (from_type, from_id, to_type, to_id, category, type_id) > ($2, $3, $4, $5, $6, $7)",
            Removal::UserType(_) => " AND (from_type, from_id, to_type, to_id, category, type_id) > ($3, $4, $5, $6, $7, $8)",
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM associations WHERE portal_id = $1{filter}{} ORDER BY {COLUMNS} LIMIT {REMOVAL_PAGE}",
            if after.is_some() { keyset } else { "" }
        );
        let mut q = sqlx::query(&sql).bind(portal);
        if let Removal::UserType(t) = what {
            q = q.bind(t);
        }
        if let Some(a) = &after {
            q = q
                .bind(a.0.clone())
                .bind(a.1)
                .bind(a.2.clone())
                .bind(a.3)
                .bind(a.4.clone())
                .bind(a.5);
        }
        let found = q.fetch_all(&mut *conn).await?;
        let mut rows = Vec::with_capacity(found.len());
        for r in &found {
            let Some(category) = Category::parse(&get_str(r, "category")?) else {
                continue;
            };
            rows.push(EventRow {
                from_type: get_str(r, "from_type")?,
                to_type: get_str(r, "to_type")?,
                from_id: get_i64(r, "from_id")?,
                to_id: get_i64(r, "to_id")?,
                key: TypeKey::new(category, get_i64(r, "type_id")? as i32),
                removed: true,
            });
        }
        record(conn, backend, portal, meta, &rows).await?;
        match found.last() {
            Some(last) if found.len() as i64 == REMOVAL_PAGE => {
                after = Some((
                    get_str(last, "from_type")?,
                    get_i64(last, "from_id")?,
                    get_str(last, "to_type")?,
                    get_i64(last, "to_id")?,
                    get_str(last, "category")?,
                    get_i64(last, "type_id")?,
                ));
            }
            _ => return Ok(()),
        }
    }
}

/// Records the removal of every association row of `portal` (`None`: of every portal).
pub(crate) async fn record_reset(
    conn: &mut AnyConnection,
    backend: Backend,
    portal: Option<PortalId>,
    meta: &ChangeMeta,
) -> Result<(), sqlx::Error> {
    let portals: Vec<i64> = match portal {
        Some(p) => vec![p],
        None => {
            sqlx::query_scalar("SELECT DISTINCT portal_id FROM associations ORDER BY portal_id")
                .fetch_all(&mut *conn)
                .await?
        }
    };
    for p in portals {
        record_removal(conn, backend, p, meta, Removal::Portal).await?;
    }
    Ok(())
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn outbox_tick(
        &self,
        owner: &str,
        results: &[AttemptResult],
        max_events: usize,
    ) -> Result<Tick> {
        dispatch::tick(self, owner, results, max_events).await
    }

    async fn claim_batches(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        max: usize,
    ) -> Result<Claims> {
        claims::claim(self, owner, now_ms, lease_ms, max).await
    }

    #[tracing::instrument(skip(self))]
    async fn redeliver(&self, event_id: i64, now_ms: i64) -> Result<Option<usize>> {
        let queued = write_tx!(self, |tx| {
            redeliver_in(&mut tx, self.backend, event_id, now_ms).await?
        });
        self.outbox_signal.notify_one();
        queued
    }

    async fn outbox_depth(&self) -> Result<i64> {
        feed::depth(self).await
    }

    async fn changes_committed(&self) {
        self.outbox_signal.notified().await;
    }

    async fn list_events(&self, filter: &EventFilter) -> Result<EventPage> {
        feed::list(self, filter).await
    }

    async fn clean_events(&self, events_before: i64, deliveries_before: i64) -> Result<u64> {
        feed::clean(self, events_before, deliveries_before).await
    }
}
