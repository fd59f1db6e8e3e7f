//! The rows of an import: multi-row inserts in the import's one transaction, each batch
//! checked row by row only when some of its rows were already stored.

use super::{bind, catalog, dump_error, quote, Kind};
use crate::associations::Marks;
use crate::{db_error, Backend, SqlStore};
use assocd_core::dump::{DumpInfo, DumpSource, DumpValue, ImportSummary};
use assocd_core::store::Result;
use assocd_core::{Error, ErrorKind};
use sqlx::{Any, AnyConnection, Row};

impl SqlStore {
    /// The rows of an import, inserted and committed in `tx`.
    pub(super) async fn import_rows(
        &self,
        mut tx: sqlx::Transaction<'static, Any>,
        source: &mut dyn DumpSource,
        info: &assocd_core::dump::DumpInfo,
    ) -> Result<ImportSummary> {
        let catalog = catalog(&mut tx, self.backend).await.map_err(db_error)?;
        let mut targets = Vec::with_capacity(info.tables.len());
        for t in &info.tables {
            let target = catalog.iter().find(|c| c.name == t.name).ok_or_else(|| {
                dump_error(format!(
                    "the dump has a table {} this database lacks",
                    t.name
                ))
            })?;
            let kinds = t
                .columns
                .iter()
                .map(|c| {
                    target.kind_of(c).ok_or_else(|| {
                        dump_error(format!("this database lacks column {}.{c}", t.name))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            targets.push(kinds);
        }
        let mut summary = ImportSummary::default();
        let mut seen = vec![0u64; info.tables.len()];
        let mut batch = Batch::default();
        while let Some((index, values)) = source.next_row()? {
            let table = info
                .tables
                .get(index)
                .ok_or_else(|| dump_error(format!("row for unknown table #{index}")))?;
            if values.len() != table.columns.len() {
                return Err(dump_error(format!(
                    "a row of {} has {} values for {} columns",
                    table.name,
                    values.len(),
                    table.columns.len()
                )));
            }
            seen[index] += 1;
            if batch.table != Some(index) || batch.rows.len() >= batch_rows(table.columns.len()) {
                batch
                    .flush(&mut tx, self.backend, info, &targets, &mut summary)
                    .await?;
                batch.table = Some(index);
            }
            batch.rows.push(values);
        }
        batch
            .flush(&mut tx, self.backend, info, &targets, &mut summary)
            .await?;
        for (t, n) in info.tables.iter().zip(&seen) {
            if t.rows != *n {
                return Err(dump_error(format!(
                    "the dump is incomplete: table {} has {n} rows, its header announces {}; nothing was imported",
                    t.name, t.rows
                )));
            }
        }
        tx.commit().await.map_err(db_error)?;
        Ok(summary)
    }
}

/// Rows per INSERT: well under SQLite's and PostgreSQL's limits on bound parameters.
fn batch_rows(columns: usize) -> usize {
    (900 / columns.max(1)).max(1)
}

/// Rows of one table waiting to be inserted together.
#[derive(Default)]
struct Batch {
    table: Option<usize>,
    rows: Vec<Vec<DumpValue>>,
}

impl Batch {
    async fn flush(
        &mut self,
        conn: &mut AnyConnection,
        backend: Backend,
        info: &DumpInfo,
        targets: &[Vec<Kind>],
        summary: &mut ImportSummary,
    ) -> Result<()> {
        let (Some(index), false) = (self.table, self.rows.is_empty()) else {
            return Ok(());
        };
        let table = &info.tables[index];
        let kinds = &targets[index];
        let n = table.columns.len();
        // `?` on SQLite: sqlx-sqlite looks a numbered `$k` up by name for every bind, which
        // made a statement of 900 binds quadratic (crate::associations::Marks).
        let mut marks = Marks::new(backend);
        let tuples: Vec<String> = (0..self.rows.len())
            .map(|_| {
                format!(
                    "({})",
                    (0..n).map(|_| marks.next()).collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        let columns: Vec<String> = table.columns.iter().map(|c| quote(c)).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {} ON CONFLICT DO NOTHING",
            quote(&table.name),
            columns.join(", "),
            tuples.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for row in &self.rows {
            for (value, kind) in row.iter().zip(kinds) {
                q = bind(q, value, *kind, &table.name)?;
            }
        }
        let inserted = q
            .execute(&mut *conn)
            .await
            .map_err(db_error)?
            .rows_affected();
        summary.inserted += inserted;
        if inserted < self.rows.len() as u64 {
            // Some rows clashed: each must already be stored exactly as dumped.
            let same = if backend == Backend::Sqlite {
                "IS"
            } else {
                "IS NOT DISTINCT FROM"
            };
            let conds: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} {same} ${}", i + 1))
                .collect();
            let sql = format!(
                "SELECT COUNT(*) FROM {} WHERE {}",
                quote(&table.name),
                conds.join(" AND ")
            );
            let mut unchanged = 0u64;
            for row in &self.rows {
                let mut q = sqlx::query(&sql);
                for (value, kind) in row.iter().zip(kinds) {
                    q = bind(q, value, *kind, &table.name)?;
                }
                let found: i64 = q
                    .fetch_one(&mut *conn)
                    .await
                    .and_then(|r| r.try_get(0))
                    .map_err(db_error)?;
                if found == 0 {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!("a row of {} clashes with different data already stored ({row:?}); nothing was imported", table.name),
                    ));
                }
                unchanged += 1;
            }
            // Every row is present; the ones not inserted just now were there before.
            summary.unchanged += unchanged - inserted;
        }
        self.rows.clear();
        Ok(())
    }
}
