//! The records search (Q1): record ids of one object type that match groups of association
//! filters. Both directions of every association are stored, so "records of type T associated
//! with record R of type F" is the primary-key range (portal, F, R, T) read for its `to_id`s.
//! Each group is an INTERSECT of its filters (its own CTE, since SQLite gives INTERSECT and
//! UNION equal precedence where PostgreSQL binds INTERSECT tighter), the groups a UNION; the
//! count and the page come from one snapshot.

use crate::read::{Arg, Query, Row};
use crate::SqlStore;
use assocd_core::search::{RecordPage, RecordQuery};
use assocd_core::store::Result;
use assocd_core::{ObjectType, PortalId};
use std::fmt::Write;

/// The `WITH ... hits(id)` prefix and its binds (`$1` portal, `$2` the searched type).
fn hits<'a>(
    portal: PortalId,
    object_type: &'a ObjectType,
    query: &'a RecordQuery,
) -> (String, Vec<Arg<'a>>) {
    let mut args = vec![Arg::I64(portal), Arg::Str(object_type.as_str())];
    let mut sql = String::from("WITH ");
    for (g, group) in query.groups.iter().enumerate() {
        let _ = write!(sql, "g{g}(id) AS (");
        for (i, filter) in group.iter().enumerate() {
            if i > 0 {
                sql.push_str(" INTERSECT ");
            }
            args.push(Arg::Str(filter.object_type.as_str()));
            let from_type = args.len();
            let mut marks = Vec::with_capacity(filter.ids.len());
            for id in &filter.ids {
                args.push(Arg::I64(*id));
                marks.push(format!("${}", args.len()));
            }
            let _ = write!(
                sql,
                "SELECT DISTINCT to_id FROM associations WHERE portal_id = $1 AND from_type = ${from_type} \
                 AND from_id IN ({}) AND to_type = $2",
                marks.join(", ")
            );
        }
        sql.push_str("), ");
    }
    let union: Vec<String> = (0..query.groups.len())
        .map(|g| format!("SELECT id FROM g{g}"))
        .collect();
    let _ = write!(sql, "hits(id) AS ({}) ", union.join(" UNION "));
    (sql, args)
}

pub(super) async fn search(
    store: &SqlStore,
    portal: PortalId,
    object_type: &ObjectType,
    query: &RecordQuery,
) -> Result<RecordPage> {
    let (with, args) = hits(portal, object_type, query);
    let count_sql = format!("{with}SELECT COUNT(*) FROM hits");
    let order = if query.descending { "DESC" } else { "ASC" };
    let mut page_args = args.clone();
    page_args.push(Arg::I64(query.limit as i64));
    page_args.push(Arg::I64(query.offset as i64));
    let n = page_args.len();
    let page_sql = format!(
        "{with}SELECT id FROM hits ORDER BY id {order} LIMIT ${} OFFSET ${n}",
        n - 1
    );
    let queries = [
        Query {
            sql: &count_sql,
            args,
        },
        Query {
            sql: &page_sql,
            args: page_args,
        },
    ];
    let mut rows = store.read_many(&queries, |r: &dyn Row| r.i64(0)).await?;
    let ids = rows.pop().unwrap_or_default();
    let total = rows.pop().and_then(|c| c.first().copied()).unwrap_or(0);
    Ok(RecordPage {
        total: total.max(0) as u64,
        ids,
    })
}
