//! Portals as a whole (the control plane's store): registration with fresh ids, counts, reset
//! and delete. A reset removes the portal's data in one transaction; its type id counter goes
//! too, so a reset portal hands out the same label ids as a new one.

use crate::outbox::{record_reset, ChangeMeta};
use crate::tokens::{put_in, register_portal};
use crate::{db_error, get_i64, write_tx, Backend, SqlStore};
use assocd_core::events::ChangeSource;
use assocd_core::fixture::{Fixture, FixtureSummary};
use assocd_core::store::{PortalStore, PortalSummary, Result, StoreHealth};
use assocd_core::token::TokenInfo;
use assocd_core::PortalId;
use async_trait::async_trait;
use sqlx::AnyConnection;

/// Tables holding a portal's data (everything but its tokens and registration).
const DATA_TABLES: [&str; 5] = [
    "associations",
    "labels",
    "limits",
    "high_usage_reports",
    "portal_counters",
];

/// Per portal: live tokens, labels (a paired label once, plain types not), limits, and
/// associated record pairs (one direction's rows, each pair of records once); `filter` narrows
/// the portals (`AND ...`) and `tail` follows the order (`LIMIT ...`).
pub(crate) fn summary_sql(filter: &str, tail: &str) -> String {
    format!(
        "SELECT p.portal_id,
    (SELECT COUNT(*) FROM tokens t WHERE t.portal_id = p.portal_id AND t.revoked_at IS NULL) AS tokens,
    (SELECT COUNT(*) FROM labels l WHERE l.portal_id = p.portal_id AND l.is_forward = 1
        AND l.label IS NOT NULL) AS labels,
    (SELECT COUNT(*) FROM limits m WHERE m.portal_id = p.portal_id) AS limits,
    (SELECT COUNT(*) FROM (SELECT DISTINCT a.from_type, a.from_id, a.to_type, a.to_id
        FROM associations a WHERE a.portal_id = p.portal_id
         AND (a.from_type < a.to_type OR (a.from_type = a.to_type AND a.from_id < a.to_id))) x)
        AS associations
  FROM portals p WHERE p.deleted_at IS NULL {filter} ORDER BY p.portal_id {tail}"
    )
}

/// A row of `summary_sql`.
pub(crate) fn summary_from_row(r: &sqlx::any::AnyRow) -> Result<PortalSummary, sqlx::Error> {
    Ok(PortalSummary {
        portal_id: get_i64(r, "portal_id")?,
        tokens: get_i64(r, "tokens")?,
        labels: get_i64(r, "labels")?,
        limits: get_i64(r, "limits")?,
        associations: get_i64(r, "associations")?,
    })
}

/// Removes the data of one portal (`Some`) or of all (`None`) inside the caller's transaction;
/// every association row removed is a change event (`INTERNAL_PROCESSING`).
async fn clear_data(
    conn: &mut AnyConnection,
    backend: Backend,
    portal: Option<PortalId>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let meta = ChangeMeta {
        source: ChangeSource::portal_reset(),
        occurred_at: now,
    };
    record_reset(conn, backend, portal, &meta).await?;
    for table in DATA_TABLES {
        match portal {
            Some(p) => {
                sqlx::query(&format!("DELETE FROM {table} WHERE portal_id = $1"))
                    .bind(p)
                    .execute(&mut *conn)
                    .await?
            }
            None => {
                sqlx::query(&format!("DELETE FROM {table}"))
                    .execute(&mut *conn)
                    .await?
            }
        };
    }
    Ok(())
}

#[async_trait]
impl PortalStore for SqlStore {
    #[tracing::instrument(skip(self, hash, scopes))]
    async fn create_portal(
        &self,
        portal: Option<PortalId>,
        hash: &str,
        scopes: &[String],
    ) -> Result<(PortalId, TokenInfo)> {
        let now = self.clock.now_ms();
        write_tx!(self, |tx| {
            let id = match portal {
                Some(id) => id,
                None => {
                    let max: Option<i64> = sqlx::query_scalar("SELECT MAX(portal_id) FROM portals")
                        .fetch_one(&mut *tx)
                        .await?;
                    max.unwrap_or(0).max(0) + 1
                }
            };
            register_portal(&mut tx, id, now).await?;
            let (info, _) = put_in(&mut tx, hash, id, scopes, now).await?;
            (id, info)
        })
    }

    async fn list_portals(&self) -> Result<Vec<PortalSummary>> {
        let rows = sqlx::query(&summary_sql("", ""))
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(summary_from_row)
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_error)
    }

    #[tracing::instrument(skip(self))]
    async fn reset_portal(&self, portal: PortalId, delete: bool) -> Result<bool> {
        let now = self.clock.now_ms();
        let reset = write_tx!(self, |tx| {
            let known: Option<i64> = sqlx::query_scalar(
                "SELECT portal_id FROM portals WHERE portal_id = $1 AND deleted_at IS NULL",
            )
            .bind(portal)
            .fetch_optional(&mut *tx)
            .await?;
            if known.is_some() {
                clear_data(&mut tx, self.backend, Some(portal), now).await?;
                if delete {
                    sqlx::query("DELETE FROM portal_rate_limits WHERE portal_id = $1")
                        .bind(portal)
                        .execute(&mut *tx)
                        .await?;
                    for table in ["tokens", "oauth_tokens", "oauth_codes"] {
                        sqlx::query(&format!("DELETE FROM {table} WHERE portal_id = $1"))
                            .bind(portal)
                            .execute(&mut *tx)
                            .await?;
                    }
                    sqlx::query("UPDATE portals SET deleted_at = $1 WHERE portal_id = $2")
                        .bind(now)
                        .bind(portal)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            known.is_some()
        });
        self.outbox_signal.notify_one();
        reset
    }

    #[tracing::instrument(skip(self))]
    async fn reset_all(&self) -> Result<()> {
        let now = self.clock.now_ms();
        let reset = write_tx!(self, |tx| {
            clear_data(&mut tx, self.backend, None, now).await?;
        });
        self.outbox_signal.notify_one();
        reset
    }

    async fn apply_fixture(&self, fixture: &Fixture, max_limit: i64) -> Result<FixtureSummary> {
        crate::fixtures::apply(self, fixture, max_limit).await
    }
}

#[async_trait]
impl StoreHealth for SqlStore {
    async fn ping(&self) -> Result<()> {
        SqlStore::ping(self).await
    }

    async fn pending_migrations(&self) -> Result<Vec<i64>> {
        SqlStore::pending_migrations(self).await
    }

    fn backend_name(&self) -> &'static str {
        self.backend.as_str()
    }
}
