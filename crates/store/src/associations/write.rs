//! Association write batches, set-based: a handful of statements per batch instead of several
//! per input. Inside the write transaction the batch
//! 1. reads its pair's labels and limits,
//! 2. reads the stored types of every (from, to) it touches, both directions, in chunks of
//!    `VALUES` joined on the primary key,
//! 3. reads, per limited type, how many records each of its records already has,
//! 4. plans the inputs in order against that state in memory (so an input sees the inputs
//!    before it, as if they had been written one by one), checking limits on the running counts,
//! 5. writes the difference between the state it read and the state it planned: multi-row
//!    inserts, and deletes of exactly the rows that went away.

use super::sql::{counts_sql, insert_sql, rows_sql};
use super::{key_of, load_types, LimitMap};
use crate::outbox::{self, ChangeMeta, EventRow};
use crate::{get_i64, get_str, Backend, TxError};
use assocd_core::records::{
    check_limit, new_rows, plan, EditOp, LinkEdit, LinkOutcome, Links, NewRow, PairTypes, TypeKey,
};
use assocd_core::{Error, Pair, PortalId, RecordId};
use sqlx::AnyConnection;
use std::collections::{BTreeSet, HashMap};

/// Pairs of ids per `VALUES` read: 2 binds each, well under SQLite's 32,766 and PostgreSQL's
/// 65,535 bind limits.
const READ_CHUNK: usize = 500;
/// Rows per multi-row insert: 7 binds each.
const INSERT_CHUNK: usize = 500;

/// Which stored direction a row set is in. For a pair of one object type with itself both
/// directions are the same rows, so `Reverse` folds into `Forward` there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Dir {
    Forward,
    Reverse,
}

type RowSet = BTreeSet<TypeKey>;

/// The batch's view of the table: the row sets it touches, and the counts its limit checks use.
struct State<'a> {
    pair: &'a Pair,
    reverse_pair: Pair,
    same_type: bool,
    types: PairTypes,
    limits: [LimitMap; 2],
    /// (direction, from id, to id) -> types stored, as read.
    read: HashMap<(Dir, RecordId, RecordId), RowSet>,
    /// The same after the inputs planned so far.
    now: HashMap<(Dir, RecordId, RecordId), RowSet>,
    /// (direction, record, limited type) -> how many records it is linked to under that type.
    counts: HashMap<(Dir, RecordId, TypeKey), i64>,
}

impl<'a> State<'a> {
    fn dir(&self, d: Dir) -> Dir {
        if self.same_type {
            Dir::Forward
        } else {
            d
        }
    }

    fn pair_of(&self, d: Dir) -> &Pair {
        match d {
            Dir::Forward => self.pair,
            Dir::Reverse => &self.reverse_pair,
        }
    }

    fn limits_of(&self, d: Dir) -> &LimitMap {
        &self.limits[d as usize]
    }

    fn rows(&self, d: Dir, from: RecordId, to: RecordId) -> RowSet {
        let key = (self.dir(d), from, to);
        self.now.get(&key).cloned().unwrap_or_default()
    }

    /// Records `after` as the rows from `from` to `to` and moves the limit counts along.
    fn set_rows(&mut self, d: Dir, from: RecordId, to: RecordId, after: &RowSet) {
        let d = self.dir(d);
        let before = self
            .now
            .insert((d, from, to), after.clone())
            .unwrap_or_default();
        for (keys, delta) in [
            (after.difference(&before), 1),
            (before.difference(after), -1),
        ] {
            for k in keys {
                if let Some(c) = self.counts.get_mut(&(d, from, *k)) {
                    *c += delta;
                }
            }
        }
    }

    /// The limit check of one new row, on the running count.
    fn check(&self, row: &NewRow) -> Result<(), Error> {
        let d = if row.pair == *self.pair {
            Dir::Forward
        } else {
            Dir::Reverse
        };
        let Some(max) = self.limits_of(d).get(&row.key) else {
            return Ok(());
        };
        let current = self
            .counts
            .get(&(self.dir(d), row.record, row.key))
            .copied()
            .unwrap_or(0);
        check_limit(row, *max, current)
    }

    /// Plans one input against the running state; on success the state moves on.
    fn apply(&mut self, edit: &LinkEdit) -> Result<LinkOutcome, Error> {
        let before = Links {
            forward: self.rows(Dir::Forward, edit.from, edit.to),
            reverse: self.rows(Dir::Reverse, edit.to, edit.from),
        };
        let after = plan(&self.types, edit.from, edit.to, &before, &edit.op)?;
        for row in new_rows(self.pair, edit.from, edit.to, &before, &after) {
            self.check(&row)?;
        }
        self.set_rows(Dir::Forward, edit.from, edit.to, &after.forward);
        self.set_rows(Dir::Reverse, edit.to, edit.from, &after.reverse);
        let labels = after
            .forward
            .iter()
            .filter_map(|k| self.types.label_of(*k))
            .collect();
        let default = match edit.op {
            EditOp::AddDefault => self
                .types
                .default_type()
                .map(|d| (d, self.types.inverse(d))),
            _ => None,
        };
        Ok(LinkOutcome {
            from: edit.from,
            to: edit.to,
            labels,
            default,
        })
    }
}

/// Reads the stored types of `ids` (from, to) in direction `pair` into `out`.
pub(crate) async fn read_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    portal: PortalId,
    pair: &Pair,
    ids: &[(RecordId, RecordId)],
    mut out: impl FnMut(RecordId, RecordId, TypeKey),
) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(READ_CHUNK) {
        let sql = rows_sql(backend, chunk.len());
        let mut q = sqlx::query(&sql);
        for (from, to) in chunk {
            q = q.bind(*from).bind(*to);
        }
        let q = q
            .bind(portal)
            .bind(pair.from.as_str())
            .bind(pair.to.as_str());
        for row in q.fetch_all(&mut *conn).await? {
            if let Some(k) = key_of(&get_str(&row, "category")?, get_i64(&row, "type_id")?) {
                out(get_i64(&row, "from_id")?, get_i64(&row, "to_id")?, k);
            }
        }
    }
    Ok(())
}

/// How many records each of `records` is linked to under `key` in direction `pair`.
async fn read_counts(
    conn: &mut AnyConnection,
    backend: Backend,
    portal: PortalId,
    pair: &Pair,
    key: TypeKey,
    records: &[RecordId],
) -> Result<Vec<(RecordId, i64)>, sqlx::Error> {
    let mut out = Vec::new();
    for chunk in records.chunks(READ_CHUNK * 2) {
        let sql = counts_sql(backend, chunk.len());
        let mut q = sqlx::query(&sql)
            .bind(portal)
            .bind(pair.from.as_str())
            .bind(pair.to.as_str())
            .bind(key.category.as_str())
            .bind(key.type_id as i64);
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut *conn).await? {
            out.push((get_i64(&row, "from_id")?, get_i64(&row, "n")?));
        }
    }
    Ok(out)
}

/// One row the batch adds or removes: (direction, from, to, type, removed).
type RowChange = (Dir, RecordId, RecordId, TypeKey, bool);

/// The change events of a batch's row changes, each association's sides next to each other
/// (ordered by the forward direction's ids, then side, removals first, then type).
fn events_of(state: &State<'_>, mut changes: Vec<RowChange>) -> Vec<EventRow> {
    let order = |&(d, from, to, key, removed): &RowChange| {
        let (a, b, side) = match (d, state.same_type) {
            (Dir::Forward, false) => (from, to, 0),
            (Dir::Reverse, _) => (to, from, 1),
            (Dir::Forward, true) => (from.min(to), from.max(to), u8::from(from > to)),
        };
        (a, b, side, !removed, key)
    };
    changes.sort_unstable_by_key(order);
    changes
        .into_iter()
        .map(|(d, from_id, to_id, key, removed)| {
            let pair = state.pair_of(d);
            EventRow {
                from_type: pair.from.to_string(),
                to_type: pair.to.to_string(),
                from_id,
                to_id,
                key,
                removed,
            }
        })
        .collect()
}

/// Writes the difference between what was read and what was planned; returns it.
async fn write_changes(
    conn: &mut AnyConnection,
    backend: Backend,
    portal: PortalId,
    state: &State<'_>,
) -> Result<Vec<RowChange>, sqlx::Error> {
    let mut changes = Vec::new();
    for d in [Dir::Forward, Dir::Reverse] {
        let pair = state.pair_of(d);
        let mut inserts: Vec<(RecordId, RecordId, TypeKey)> = Vec::new();
        for (&(dir, from, to), after) in &state.now {
            if dir != d {
                continue;
            }
            let before = state.read.get(&(dir, from, to));
            let empty = RowSet::new();
            let before = before.unwrap_or(&empty);
            for k in before.difference(after) {
                changes.push((d, from, to, *k, true));
                sqlx::query(
                    "DELETE FROM associations WHERE portal_id = $1 AND from_type = $2 AND from_id = $3
                       AND to_type = $4 AND to_id = $5 AND category = $6 AND type_id = $7",
                )
                .bind(portal)
                .bind(pair.from.as_str())
                .bind(from)
                .bind(pair.to.as_str())
                .bind(to)
                .bind(k.category.as_str())
                .bind(k.type_id as i64)
                .execute(&mut *conn)
                .await?;
            }
            inserts.extend(after.difference(before).map(|k| (from, to, *k)));
        }
        changes.extend(inserts.iter().map(|&(f, t, k)| (d, f, t, k, false)));
        // Primary key order: fewer page splits, and the same lock order for every writer.
        inserts.sort_unstable();
        for chunk in inserts.chunks(INSERT_CHUNK) {
            let sql = insert_sql(backend, chunk.len());
            let mut q = sqlx::query(&sql);
            for (from, to, k) in chunk {
                q = q
                    .bind(portal)
                    .bind(pair.from.as_str())
                    .bind(*from)
                    .bind(pair.to.as_str())
                    .bind(*to)
                    .bind(k.category.as_str())
                    .bind(k.type_id as i64);
            }
            q.execute(&mut *conn).await?;
        }
    }
    Ok(changes)
}

/// Plans and writes one batch inside the caller's transaction, with the change events of every
/// row it adds or removes (`meta`: who and when). The outer error is a database failure; the
/// inner ones are the inputs' answers, in input order. When `all_or_nothing` and an input
/// failed, nothing is written.
pub(super) async fn write_batch(
    conn: &mut AnyConnection,
    backend: Backend,
    portal: PortalId,
    pair: &Pair,
    edits: &[LinkEdit],
    all_or_nothing: bool,
    meta: &ChangeMeta,
) -> Result<Vec<Result<LinkOutcome, Error>>, TxError> {
    let reverse_pair = pair.reversed();
    let mut state = State {
        pair,
        same_type: pair.from == pair.to,
        types: load_types(conn, portal, pair).await?,
        limits: [
            super::load_limits(conn, portal, pair).await?,
            super::load_limits(conn, portal, &reverse_pair).await?,
        ],
        reverse_pair,
        read: HashMap::new(),
        now: HashMap::new(),
        counts: HashMap::new(),
    };

    let mut forward: Vec<(RecordId, RecordId)> = edits.iter().map(|e| (e.from, e.to)).collect();
    forward.sort_unstable();
    forward.dedup();
    let reverse: Vec<(RecordId, RecordId)> = forward.iter().map(|&(f, t)| (t, f)).collect();
    for (d, ids) in [(Dir::Forward, &forward), (Dir::Reverse, &reverse)] {
        let sd = state.dir(d);
        for &(f, t) in ids.iter() {
            state.read.entry((sd, f, t)).or_default();
        }
        let mut found = Vec::new();
        read_rows(conn, backend, portal, state.pair_of(d), ids, |f, t, k| {
            found.push((f, t, k))
        })
        .await?;
        for (f, t, k) in found {
            state.read.entry((sd, f, t)).or_default().insert(k);
        }
    }
    state.now = state.read.clone();

    for d in [Dir::Forward, Dir::Reverse] {
        let keys: Vec<TypeKey> = state.limits_of(d).keys().copied().collect();
        if keys.is_empty() {
            continue;
        }
        let mut records: Vec<RecordId> = match d {
            Dir::Forward => edits.iter().map(|e| e.from).collect(),
            Dir::Reverse => edits.iter().map(|e| e.to).collect(),
        };
        records.sort_unstable();
        records.dedup();
        let sd = state.dir(d);
        for key in keys {
            for &r in &records {
                state.counts.entry((sd, r, key)).or_insert(0);
            }
            let pair = state.pair_of(d).clone();
            for (r, n) in read_counts(conn, backend, portal, &pair, key, &records).await? {
                state.counts.insert((sd, r, key), n);
            }
        }
    }

    let outcomes: Vec<_> = edits.iter().map(|e| state.apply(e)).collect();
    if !(all_or_nothing && outcomes.iter().any(Result::is_err)) {
        let changes = write_changes(conn, backend, portal, &state).await?;
        outbox::record(conn, backend, portal, meta, &events_of(&state, changes)).await?;
    }
    Ok(outcomes)
}
