//! PostgreSQL statistics kept current by assocd itself. The planner picks the index of a
//! lookup from the table's statistics; a table that grew a lot since its last ANALYZE (a bulk
//! load, an import) can get a plan that scans a pair's rows instead of one primary-key range
//! (docs/benchmarks.md, issue 6). Many servers run with autovacuum off or slow, so the server
//! does what autovacuum's analyze would: every few seconds it reads how many rows of each of
//! its tables changed since that table's last ANALYZE (`n_mod_since_analyze`, which counts
//! every writer: other replicas and `assocd import` too) and analyzes the tables past
//! autovacuum's default threshold, 50 rows + 10% of the table. It runs on its own task, off the
//! request path; replicas take turns through an advisory lock. SQLite needs none of this
//! (its planner does not depend on gathered statistics for these lookups).

use crate::{db_error, Backend, SqlStore};
use assocd_core::Error;
use sqlx::Executor;
use std::time::Duration;

/// How often the server looks for tables that grew.
pub const AUTO_ANALYZE_EVERY: Duration = Duration::from_secs(5);

/// The advisory lock replicas take in turn to analyze (an arbitrary constant: "ANALYZE").
const LOCK_KEY: i64 = 0x0041_4e41_4c59_5a45;

/// assocd's tables whose rows changed since their last ANALYZE by more than 50 + 10% of the
/// rows counted then (`reltuples`, -1 before the first ANALYZE), as autovacuum reckons it.
const GROWN_SQL: &str = "SELECT s.relname::text
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      WHERE s.schemaname = current_schema() AND s.relname <> '_sqlx_migrations'
        AND s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0)
      ORDER BY s.relname";

impl SqlStore {
    /// PostgreSQL: analyzes every table of assocd's that grew past the threshold since its
    /// last ANALYZE and returns their names (none on SQLite, or while another replica holds
    /// the turn).
    pub async fn analyze_grown_tables(&self) -> Result<Vec<String>, Error> {
        if self.backend != Backend::Postgres {
            return Ok(Vec::new());
        }
        let grown: Vec<String> = sqlx::query_scalar(GROWN_SQL)
            .fetch_all(&self.write)
            .await
            .map_err(db_error)?;
        if grown.is_empty() {
            return Ok(grown);
        }
        let mut tx = self.write.begin().await.map_err(db_error)?;
        // ANALYZE samples a fixed number of rows, but on a cold cache that may take longer than
        // a request may.
        tx.execute("SET LOCAL statement_timeout = 0")
            .await
            .map_err(db_error)?;
        let turn: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(LOCK_KEY)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        if !turn {
            return Ok(Vec::new());
        }
        for table in &grown {
            // Names come from the catalog; quoted all the same.
            let sql = format!("ANALYZE \"{}\"", table.replace('"', "\"\""));
            tx.execute(sql.as_str()).await.map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(grown)
    }

    /// Runs `analyze_grown_tables` every `AUTO_ANALYZE_EVERY` until `stop` completes (at once
    /// on SQLite). Failures are logged and tried again next time.
    pub async fn auto_analyze(self, stop: impl std::future::Future<Output = ()>) {
        if self.backend != Backend::Postgres {
            return;
        }
        tokio::pin!(stop);
        let mut every = tokio::time::interval(AUTO_ANALYZE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = every.tick() => {}
            }
            match self.analyze_grown_tables().await {
                Ok(t) if !t.is_empty() => tracing::info!(tables = ?t, "analyzed grown tables"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e.message, "auto-analyze failed"),
            }
        }
    }
}
