//! Pages of a record's associations: R1 (one record) and R6 (a batch of up to 1,000 records).
//! A page holds the rows of the first `limit + 1` associated ids after the cursor, in key
//! order; the `limit + 1`-th id only says that a next page exists (`PageBuilder`).
//!
//! - SQLite: the page is one range of the primary key, stepped in key order and left as soon
//!   as the page is complete, so each input costs one seek. (The SQL form, `PAGE_SQL`, needs a
//!   second seek to find the `limit + 1`-th id first.) R6 runs its inputs' pages in one
//!   snapshot on tokio's blocking pool, so a long batch does not hold up the runtime worker it
//!   came in on. A single statement over `json_each` measured 5–26% more instructions per
//!   request than one page statement per input (callgrind, docs/benchmarks.md "Issue 15: store
//!   paths"): in process, a statement costs no round trip.
//! - PostgreSQL: `PAGE_SQL`, whose rows are the page (a round trip is the cost there). R6 runs
//!   one statement per request instead of one round trip per input: the inputs travel as one
//!   JSON bind, `[[from_id, after], …]`, each input's page is a LATERAL subquery, and each row
//!   carries its input's position (a record asked for twice gets two pages).

use crate::read::{sqlite_error, Arg, Query, Row};
use crate::SqlStore;
use assocd_core::records::{describe, AssociatedRecord, Page, TypeKey};
use assocd_core::store::Result;
use assocd_core::{AssocType, Category, Error, Pair, PortalId, RecordId, TypeId};
use std::fmt::Write;

/// One page: the rows of the first `$6` (= limit + 1) associated ids after `$5`. The scalar
/// subquery finds the `$6`-th such id (none: fewer remain), so the outer query is one range
/// of the primary key, without a temporary table of ids. A label is looked up only for a
/// USER_DEFINED row (a join would probe `labels` for every row).
pub(crate) const PAGE_SQL: &str = "SELECT a.to_id, a.category, a.type_id,
       CASE WHEN a.category = 'USER_DEFINED' THEN
         (SELECT l.label FROM labels l WHERE l.portal_id = a.portal_id AND l.type_id = a.type_id)
       END AS label
     FROM associations a
     WHERE a.portal_id = $1 AND a.from_type = $2 AND a.from_id = $3 AND a.to_type = $4 AND a.to_id > $5
       AND a.to_id <= COALESCE(
             (SELECT to_id FROM associations
               WHERE portal_id = $1 AND from_type = $2 AND from_id = $3 AND to_type = $4 AND to_id > $5
               GROUP BY to_id ORDER BY to_id LIMIT 1 OFFSET $6 - 1),
             9223372036854775807)
     ORDER BY a.to_id, a.category, a.type_id";

/// SQLite's page: every row after the cursor (`?5`, 0 for the first page) in primary-key
/// order, which needs no sort; the caller stops stepping when the page is complete. The
/// columns are `PAGE_SQL`'s.
pub(crate) const SQLITE_RANGE: &str = "SELECT a.to_id, a.category, a.type_id,
       CASE WHEN a.category = 'USER_DEFINED' THEN
         (SELECT l.label FROM labels l WHERE l.portal_id = a.portal_id AND l.type_id = a.type_id)
       END AS label
     FROM associations a
     WHERE a.portal_id = ?1 AND a.from_type = ?2 AND a.to_type = ?3 AND a.from_id = ?4 AND a.to_id > ?5
     ORDER BY a.to_id, a.category, a.type_id";

/// `OFFSET 0` keeps the planner from flattening the LATERAL subquery into a join, which it
/// may run as a hash join over every row of the pair (it did on a small table): each input
/// stays one primary-key range.
const POSTGRES_BATCH: &str = "SELECT p.to_id, p.category, p.type_id, p.label, i.ord - 1
     FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS i(v, ord)
     CROSS JOIN LATERAL (
       SELECT a.to_id, a.category, a.type_id,
              CASE WHEN a.category = 'USER_DEFINED' THEN
                (SELECT l.label FROM labels l WHERE l.portal_id = a.portal_id AND l.type_id = a.type_id)
              END AS label
         FROM associations a
        WHERE a.portal_id = $1 AND a.from_type = $2 AND a.from_id = (i.v ->> 0)::bigint
          AND a.to_type = $3 AND a.to_id > (i.v ->> 1)::bigint
          AND a.to_id <= COALESCE(
                (SELECT to_id FROM associations
                  WHERE portal_id = $1 AND from_type = $2 AND from_id = (i.v ->> 0)::bigint
                    AND to_type = $3 AND to_id > (i.v ->> 1)::bigint
                  GROUP BY to_id ORDER BY to_id LIMIT 1 OFFSET $5 - 1),
                9223372036854775807)
       OFFSET 0
     ) p
     ORDER BY i.ord, p.to_id, p.category, p.type_id";

/// Builds a page from rows in key order: groups them by associated id and says when the page
/// is complete. It keeps the rows of the first `limit + 1` ids, as `PAGE_SQL` selects them,
/// so a scan that stops where it says gives `PAGE_SQL`'s page (an id whose rows are all of
/// categories this version does not know still counts as one of the `limit + 1`).
pub(super) struct PageBuilder {
    limit: usize,
    /// Distinct ids seen, known categories or not.
    ids: usize,
    last_id: Option<RecordId>,
    results: Vec<AssociatedRecord>,
}

impl PageBuilder {
    pub(super) fn new(limit: usize) -> Self {
        PageBuilder {
            limit,
            ids: 0,
            last_id: None,
            results: Vec::with_capacity(limit + 1),
        }
    }

    /// Whether a row of `to_id` (not below the last one) belongs to the page; `false` once the
    /// page is complete: its `limit + 1`-th id is listed (the rest of its rows would be cut),
    /// or `to_id` is a `limit + 2`-th id.
    pub(super) fn wants(&mut self, to_id: RecordId) -> bool {
        if self.results.len() > self.limit {
            return false;
        }
        if self.last_id != Some(to_id) {
            if self.ids > self.limit {
                return false;
            }
            self.ids += 1;
            self.last_id = Some(to_id);
        }
        true
    }

    /// Adds a row that `wants` admitted (`None`: a category this version does not know).
    pub(super) fn add(&mut self, to_id: RecordId, t: Option<AssocType>) {
        let Some(t) = t else { return };
        match self.results.last_mut() {
            Some(last) if last.to_id == to_id => last.types.push(t),
            _ => self.results.push(AssociatedRecord {
                to_id,
                types: vec![t],
            }),
        }
    }

    /// The page; a `limit + 1`-th id means there is a next page.
    pub(super) fn finish(mut self) -> Page {
        let mut next_after = None;
        if self.results.len() > self.limit {
            self.results.truncate(self.limit);
            next_after = self.results.last().map(|r| r.to_id);
        }
        Page {
            results: self.results,
            next_after,
        }
    }
}

/// The type of a page row (columns to_id, category, type_id, label); `None`: a category this
/// version does not know, skipped. `last` keeps the last type not USER_DEFINED: most rows of
/// a batch share one built-in type, whose label is copied instead of looked up again.
fn page_type(row: &dyn Row, last: &mut Option<AssocType>) -> Result<Option<AssocType>> {
    let text = row.text_bytes(1)?;
    let Some(category) = Category::ALL
        .into_iter()
        .find(|c| c.as_str().as_bytes() == text)
    else {
        return Ok(None);
    };
    let type_id = row.i64(2)? as TypeId;
    if category == Category::UserDefined {
        return Ok(Some(AssocType {
            category,
            type_id,
            label: row.opt_str(3)?,
        }));
    }
    Ok(Some(match last {
        Some(t) if t.category == category && t.type_id == type_id => t.clone(),
        _ => {
            let t = describe(&[], TypeKey::new(category, type_id));
            *last = Some(t.clone());
            t
        }
    }))
}

/// A page from `PAGE_SQL`'s rows.
fn assemble_page(rows: Vec<(RecordId, Option<AssocType>)>, limit: usize) -> Page {
    let mut page = PageBuilder::new(limit);
    for (to_id, t) in rows {
        if !page.wants(to_id) {
            break;
        }
        page.add(to_id, t);
    }
    page.finish()
}

/// SQLite: each input's page off one range of the primary key (`SQLITE_RANGE`), in order, on
/// the caller's connection.
fn sqlite_pages(
    conn: &rusqlite::Connection,
    portal: PortalId,
    pair: &Pair,
    inputs: &[(RecordId, Option<RecordId>)],
    limit: usize,
) -> Result<Vec<Page>> {
    let mut stmt = conn.prepare_cached(SQLITE_RANGE).map_err(sqlite_error)?;
    stmt.raw_bind_parameter(1, portal).map_err(sqlite_error)?;
    stmt.raw_bind_parameter(2, pair.from.as_str())
        .map_err(sqlite_error)?;
    stmt.raw_bind_parameter(3, pair.to.as_str())
        .map_err(sqlite_error)?;
    let mut pages = Vec::with_capacity(inputs.len());
    let mut last: Option<AssocType> = None;
    for &(from, after) in inputs {
        stmt.raw_bind_parameter(4, from).map_err(sqlite_error)?;
        stmt.raw_bind_parameter(5, after.unwrap_or(0))
            .map_err(sqlite_error)?;
        let mut rows = stmt.raw_query();
        let mut page = PageBuilder::new(limit);
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            let to_id = Row::i64(row, 0)?;
            if !page.wants(to_id) {
                break;
            }
            page.add(to_id, page_type(row, &mut last)?);
        }
        pages.push(page.finish());
    }
    Ok(pages)
}

fn page_row(row: &dyn Row) -> Result<(RecordId, Option<AssocType>)> {
    Ok((row.i64(0)?, page_type(row, &mut None)?))
}

/// R1: one page of `from`'s associations in direction `pair`, in one snapshot (on SQLite, in
/// place: a page of up to 500 ids is short).
pub(super) async fn list(
    store: &SqlStore,
    portal: PortalId,
    pair: &Pair,
    from: RecordId,
    after: Option<RecordId>,
    limit: usize,
) -> Result<Page> {
    if let Some(readers) = &store.sqlite_readers {
        let mut pages = readers.with_conn(false, |conn| {
            sqlite_pages(conn, portal, pair, &[(from, after)], limit)
        })?;
        return Ok(pages.pop().unwrap_or_default());
    }
    let q = Query {
        sql: PAGE_SQL,
        args: vec![
            Arg::I64(portal),
            Arg::Str(pair.from.as_str()),
            Arg::I64(from),
            Arg::Str(pair.to.as_str()),
            Arg::I64(after.unwrap_or(0)),
            Arg::I64(limit as i64 + 1),
        ],
    };
    let rows = store.read_rows(q.sql, &q.args, page_row).await?;
    Ok(assemble_page(rows, limit))
}

/// The inputs as the PostgreSQL statement's JSON bind.
fn inputs_json(inputs: &[(RecordId, Option<RecordId>)]) -> String {
    let mut json = String::with_capacity(2 + inputs.len() * 24);
    json.push('[');
    for (i, (from, after)) in inputs.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        let _ = write!(json, "[{from},{}]", after.unwrap_or(0));
    }
    json.push(']');
    json
}

fn tagged_row(row: &dyn Row) -> Result<(i64, (RecordId, Option<AssocType>))> {
    Ok((row.i64(4)?, page_row(row)?))
}

/// R6: one page of each input, in input order.
pub(super) async fn read(
    store: &SqlStore,
    portal: PortalId,
    pair: &Pair,
    inputs: &[(RecordId, Option<RecordId>)],
    limit: usize,
) -> Result<Vec<Page>> {
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let (owned_pair, owned_inputs) = (pair.clone(), inputs.to_vec());
    let on_sqlite = store
        .sqlite_read_off_runtime(move |readers| {
            readers.with_conn(owned_inputs.len() > 1, |conn| {
                sqlite_pages(conn, portal, &owned_pair, &owned_inputs, limit)
            })
        })
        .await;
    if let Some(pages) = on_sqlite {
        return pages;
    }
    let json = inputs_json(inputs);
    let args = [
        Arg::I64(portal),
        Arg::Str(pair.from.as_str()),
        Arg::Str(pair.to.as_str()),
        Arg::Str(&json),
        Arg::I64(limit as i64 + 1),
    ];
    let rows = store.read_rows(POSTGRES_BATCH, &args, tagged_row).await?;
    let mut per_input: Vec<Vec<_>> = inputs.iter().map(|_| Vec::new()).collect();
    for (at, row) in rows {
        usize::try_from(at)
            .ok()
            .and_then(|i| per_input.get_mut(i))
            .ok_or_else(|| Error::internal("batch read row of no input"))?
            .push(row);
    }
    Ok(per_input
        .into_iter()
        .map(|rows| assemble_page(rows, limit))
        .collect())
}
