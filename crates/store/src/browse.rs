//! Reads for a person browsing a portal (the console): bounded pages and per-limit aggregates,
//! each served by an index (see the migrations), never a read of the whole portal.
//!
//! Quick lookups (labels, a record's linked types, tokens) go through `read_rows` like the
//! request path; the usage aggregates scan every association of one type and stay on sqlx (on
//! SQLite its worker thread), so a large portal never holds a server thread for their length.

use crate::labels::{label_from_row, LABEL_COLUMNS};
use crate::read::Arg;
use crate::{db_error, SqlStore};
use assocd_core::records::high_usage_threshold;
use assocd_core::store::{BrowseStore, LimitUsage, PortalSummary, Result};
use assocd_core::token::TokenInfo;
use assocd_core::{Limit, ObjectType, PortalId, RecordId, TypeId, UserLabel};
use async_trait::async_trait;
use sqlx::Row as _;

/// The rows of one limit's type in its direction.
const OF_LIMIT: &str = "FROM associations WHERE portal_id = $1 AND from_type = $2 AND to_type = $3
    AND category = $4 AND type_id = $5";

/// The distinct object types a record links to, one index probe per type (a loose index scan
/// over the primary key), however many associations the record has.
const LINKED_TYPES: &str = "WITH RECURSIVE t(to_type) AS (
    SELECT MIN(to_type) FROM associations WHERE portal_id = $1 AND from_type = $2 AND from_id = $3
  UNION ALL
    SELECT (SELECT MIN(a.to_type) FROM associations a
             WHERE a.portal_id = $1 AND a.from_type = $2 AND a.from_id = $3 AND a.to_type > t.to_type)
      FROM t WHERE t.to_type IS NOT NULL)
  SELECT to_type FROM t WHERE to_type IS NOT NULL";

fn page_len(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Object types in the order people read them: standard types by number (`0-2` before
/// `0-14`), then custom objects by number.
fn type_order(t: &ObjectType) -> (bool, u64) {
    let s = t.as_str();
    let n = s
        .split_once('-')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(u64::MAX);
    (t.is_custom(), n)
}

/// A query over `OF_LIMIT` with its five binds, then `sixth`.
fn of_limit<'q>(
    sql: &'q str,
    portal: PortalId,
    limit: &'q Limit,
    sixth: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(sql)
        .bind(portal)
        .bind(limit.pair.from.as_str())
        .bind(limit.pair.to.as_str())
        .bind(limit.category.as_str())
        .bind(i64::from(limit.type_id))
        .bind(sixth)
}

#[async_trait]
impl BrowseStore for SqlStore {
    #[tracing::instrument(level = "debug", skip(self))]
    async fn portal_summaries(
        &self,
        after: Option<PortalId>,
        limit: usize,
    ) -> Result<Vec<PortalSummary>> {
        let sql = crate::portals::summary_sql("AND p.portal_id > $1", "LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(after.unwrap_or(i64::MIN))
            .bind(page_len(limit))
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(crate::portals::summary_from_row)
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_error)
    }

    async fn portal_labels(
        &self,
        portal: PortalId,
        after: Option<TypeId>,
        limit: usize,
    ) -> Result<Vec<UserLabel>> {
        self.read_rows(
            &format!(
                "SELECT {LABEL_COLUMNS} FROM labels WHERE portal_id = $1 AND type_id > $2
                  ORDER BY type_id LIMIT $3"
            ),
            &[
                Arg::I64(portal),
                Arg::I64(after.map_or(-1, i64::from)),
                Arg::I64(page_len(limit)),
            ],
            label_from_row,
        )
        .await
    }

    async fn linked_types(
        &self,
        portal: PortalId,
        object_type: &ObjectType,
        record: RecordId,
    ) -> Result<Vec<ObjectType>> {
        let mut types = self
            .read_rows(
                LINKED_TYPES,
                &[
                    Arg::I64(portal),
                    Arg::Str(object_type.as_str()),
                    Arg::I64(record),
                ],
                |row| Ok(ObjectType::from_stored(&row.str(0)?)),
            )
            .await?;
        types.sort_by_key(type_order);
        Ok(types)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn limit_usage(&self, portal: PortalId, limit: &Limit, top: usize) -> Result<LimitUsage> {
        // One scan of the type's rows: the per-record counts are kept once, then both the
        // count at the threshold and the fullest come from them.
        let sql = format!(
            "WITH c AS MATERIALIZED (SELECT from_id, COUNT(*) AS n {OF_LIMIT} GROUP BY from_id)
             SELECT from_id, n, (SELECT COUNT(*) FROM c WHERE n >= $6) AS high
               FROM c ORDER BY n DESC, from_id LIMIT $7"
        );
        let rows = of_limit(
            &sql,
            portal,
            limit,
            high_usage_threshold(limit.max_to_object_ids),
        )
        .bind(page_len(top.max(1)))
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        let mut usage = LimitUsage::default();
        for (i, r) in rows.iter().enumerate() {
            if i == 0 {
                usage.at_or_above = r.try_get(2).map_err(db_error)?;
            }
            if i < top {
                let id: i64 = r.try_get(0).map_err(db_error)?;
                let n: i64 = r.try_get(1).map_err(db_error)?;
                usage.fullest.push((id, n));
            }
        }
        Ok(usage)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn records_at_usage(
        &self,
        portal: PortalId,
        limit: &Limit,
        min_count: i64,
        after: Option<RecordId>,
        page: usize,
    ) -> Result<Vec<(RecordId, i64)>> {
        let sql = format!(
            "SELECT from_id, COUNT(*) AS n {OF_LIMIT} AND from_id > $6
              GROUP BY from_id HAVING COUNT(*) >= $7 ORDER BY from_id LIMIT $8"
        );
        let rows = of_limit(&sql, portal, limit, after.unwrap_or(0))
            .bind(min_count)
            .bind(page_len(page))
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_error)
    }

    async fn portal_tokens(&self, portal: PortalId, limit: usize) -> Result<Vec<TokenInfo>> {
        self.read_rows(
            "SELECT id, portal_id, scopes, created_at FROM tokens
              WHERE portal_id = $1 AND revoked_at IS NULL ORDER BY id LIMIT $2",
            &[Arg::I64(portal), Arg::I64(page_len(limit))],
            crate::tokens::token_from_row,
        )
        .await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn events_waiting(
        &self,
        first: PortalId,
        last: PortalId,
    ) -> Result<Vec<(PortalId, i64)>> {
        // The outbox's depth (see outbox::feed::depth) per portal: both parts are read through
        // partial indexes of what is waiting, so the cost follows the backlog, not the data.
        let sql = "SELECT portal_id, CAST(SUM(n) AS BIGINT) FROM (
              SELECT portal_id, events AS n FROM outbox_changes
               WHERE dispatch_round IS NULL AND portal_id BETWEEN $1 AND $2
            UNION ALL
              SELECT portal_id, size AS n FROM outbox_batches
               WHERE state IN ('PENDING', 'QUEUED') AND portal_id BETWEEN $1 AND $2) x
            GROUP BY portal_id ORDER BY portal_id";
        let rows = sqlx::query(sql)
            .bind(first)
            .bind(last)
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_error)
    }
}
