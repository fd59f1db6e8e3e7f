//! SQL texts of the set-based association write: multi-row reads and inserts with bind
//! markers in text order.

use crate::Backend;

/// Bind markers in text order: `?` on SQLite, `$1, $2, …` on PostgreSQL; values are bound in
/// the same order. (sqlx-sqlite resolves a numbered `$n` with a linear lookup by name per bind,
/// which made a statement of a few hundred binds spend a fifth of R5's CPU there.)
pub(crate) struct Marks {
    numbered: bool,
    n: usize,
}

impl Marks {
    pub(crate) fn new(backend: Backend) -> Self {
        Marks {
            numbered: backend == Backend::Postgres,
            n: 0,
        }
    }

    pub(crate) fn next(&mut self) -> String {
        self.n += 1;
        if self.numbered {
            format!("${}", self.n)
        } else {
            "?".to_string()
        }
    }

    /// `(m, m, …)` of `width` markers.
    pub(crate) fn tuple(&mut self, width: usize) -> String {
        let marks: Vec<String> = (0..width).map(|_| self.next()).collect();
        format!("({})", marks.join(", "))
    }
}

/// The stored types of `n` (from, to) pairs of one direction: binds the pairs' ids, then
/// portal, from type, to type.
pub(crate) fn rows_sql(backend: Backend, n: usize) -> String {
    let mut m = Marks::new(backend);
    let values: Vec<String> = (0..n).map(|_| m.tuple(2)).collect();
    format!(
        "SELECT a.from_id, a.to_id, a.category, a.type_id
         FROM (VALUES {}) AS v CROSS JOIN associations a
         WHERE a.portal_id = {} AND a.from_type = {} AND a.to_type = {}
           AND a.from_id = v.column1 AND a.to_id = v.column2",
        values.join(", "),
        m.next(),
        m.next(),
        m.next()
    )
}

/// How many records each of `n` records has under one type: binds portal, from type, to type,
/// category, type id, then the records' ids.
pub(crate) fn counts_sql(backend: Backend, n: usize) -> String {
    let mut m = Marks::new(backend);
    let head: Vec<String> = (0..5).map(|_| m.next()).collect();
    format!(
        "SELECT from_id, COUNT(*) AS n FROM associations
         WHERE portal_id = {} AND from_type = {} AND to_type = {} AND category = {} AND type_id = {}
           AND from_id IN {}
         GROUP BY from_id",
        head[0],
        head[1],
        head[2],
        head[3],
        head[4],
        m.tuple(n)
    )
}

/// Inserts `n` rows: binds the 7 columns of each row in turn.
pub(super) fn insert_sql(backend: Backend, n: usize) -> String {
    let mut m = Marks::new(backend);
    let rows: Vec<String> = (0..n).map(|_| m.tuple(7)).collect();
    format!(
        "INSERT INTO associations (portal_id, from_type, from_id, to_type, to_id, category, type_id)
         VALUES {} ON CONFLICT DO NOTHING",
        rows.join(", ")
    )
}
