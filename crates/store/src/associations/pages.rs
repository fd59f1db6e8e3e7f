//! R6, a batch read of up to 1,000 records' pages. Each input's page is the R1 page query
//! (`PAGE_SQL`) with the input's ids, so paging and answers are those of R1.
//!
//! - PostgreSQL: one statement per request instead of one round trip per input. The inputs
//!   travel as one JSON bind, `[[from_id, after], …]`, each input's page is a LATERAL
//!   subquery, and each row carries its input's position (a record asked for twice gets two
//!   pages).
//! - SQLite: the page statement once per input (prepared once, one snapshot) on tokio's
//!   blocking pool, so a long batch does not hold up the runtime worker it came in on. A
//!   single statement over `json_each` measured 5–26% more instructions per request than
//!   this (callgrind, docs/benchmarks.md "Issue 15: store paths"): in process, a statement
//!   costs no round trip, and the set-based form adds a column per row and JSON extraction.

use super::{assemble_page, page_query, page_row};
use crate::read::{Arg, Row};
use crate::SqlStore;
use assocd_core::records::Page;
use assocd_core::store::Result;
use assocd_core::{AssocType, Error, Pair, PortalId, RecordId};
use std::fmt::Write;

/// `OFFSET 0` keeps the planner from flattening the LATERAL subquery into a join, which it
/// may run as a hash join over every row of the pair (it did on a small table): each input
/// stays one primary-key range.
const POSTGRES: &str = "SELECT p.to_id, p.category, p.type_id, p.label, i.ord - 1
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

/// The inputs as the statement's JSON bind.
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

/// One page of each input, in input order.
pub(crate) async fn read(
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
            let queries: Vec<_> = owned_inputs
                .iter()
                .map(|(from, after)| page_query(portal, &owned_pair, *from, *after, limit))
                .collect();
            readers.run(&queries, page_row)
        })
        .await;
    let per_input = match on_sqlite {
        Some(pages) => pages?,
        None => {
            let json = inputs_json(inputs);
            let args = [
                Arg::I64(portal),
                Arg::Str(pair.from.as_str()),
                Arg::Str(pair.to.as_str()),
                Arg::Str(&json),
                Arg::I64(limit as i64 + 1),
            ];
            let rows = store.read_rows(POSTGRES, &args, tagged_row).await?;
            let mut per_input: Vec<Vec<_>> = inputs.iter().map(|_| Vec::new()).collect();
            for (at, row) in rows {
                usize::try_from(at)
                    .ok()
                    .and_then(|i| per_input.get_mut(i))
                    .ok_or_else(|| Error::internal("batch read row of no input"))?
                    .push(row);
            }
            per_input
        }
    };
    Ok(per_input
        .into_iter()
        .map(|rows| assemble_page(rows, limit))
        .collect())
}
