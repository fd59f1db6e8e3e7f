//! Rate limits: each portal's own setting, and the shared counts of admitted calls (each
//! replica upserts its own rows, then reads the others'; see `assocd_core::rate_window`).

use crate::{db_error, write_tx, SqlStore};
use assocd_core::rate_limit::{RateLimitSetting, Tier};
use assocd_core::rate_window::{Delta, Kind, RemoteHits};
use assocd_core::store::{RateLimitStore, Result};
use assocd_core::{Error, PortalId};
use async_trait::async_trait;
use sqlx::{AnyConnection, Row};

/// Rows per upsert statement (5 values each).
const CHUNK: usize = 100;

/// Ten-secondly rows older than this many buckets before the window are swept.
const SWEEP_SLACK_BUCKETS: i64 = 600;

/// Stores a portal's setting inside the caller's transaction (fixtures use it too).
pub(crate) async fn put_in(
    conn: &mut AnyConnection,
    portal: PortalId,
    setting: &RateLimitSetting,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO portal_rate_limits (portal_id, tier, ten_secondly, daily, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (portal_id) DO UPDATE SET tier = excluded.tier,
           ten_secondly = excluded.ten_secondly, daily = excluded.daily,
           updated_at = excluded.updated_at",
    )
    .bind(portal)
    .bind(setting.tier.as_str())
    .bind(setting.ten_secondly.map(|v| v as i64))
    .bind(setting.daily.map(|v| v as i64))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn upsert_sql(rows: usize) -> String {
    let mut sql =
        String::from("INSERT INTO rate_limit_hits (replica, kind, scope, bucket, hits) VALUES ");
    for i in 0..rows {
        let b = i * 5;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5
        ));
    }
    sql.push_str(
        " ON CONFLICT (replica, kind, scope, bucket) DO UPDATE SET hits = rate_limit_hits.hits + excluded.hits",
    );
    sql
}

#[async_trait]
impl RateLimitStore for SqlStore {
    #[tracing::instrument(skip(self))]
    async fn put_rate_limits(&self, portal: PortalId, setting: &RateLimitSetting) -> Result<bool> {
        let now = self.clock.now_ms();
        write_tx!(self, |tx| {
            let known: Option<i64> = sqlx::query_scalar(
                "SELECT portal_id FROM portals WHERE portal_id = $1 AND deleted_at IS NULL",
            )
            .bind(portal)
            .fetch_optional(&mut *tx)
            .await?;
            if known.is_some() {
                put_in(&mut tx, portal, setting, now).await?;
            }
            known.is_some()
        })
    }

    async fn rate_limits_of(&self, portal: PortalId) -> Result<(bool, Option<RateLimitSetting>)> {
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT portal_id FROM portals WHERE portal_id = $1 AND deleted_at IS NULL",
        )
        .bind(portal)
        .fetch_optional(&self.read)
        .await
        .map_err(db_error)?;
        let own = self
            .all_rate_limits()
            .await?
            .into_iter()
            .find(|(p, _)| *p == portal)
            .map(|(_, s)| s);
        Ok((known.is_some(), own))
    }

    async fn all_rate_limits(&self) -> Result<Vec<(PortalId, RateLimitSetting)>> {
        let rows = sqlx::query(
            "SELECT portal_id, tier, ten_secondly, daily FROM portal_rate_limits ORDER BY portal_id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let portal: i64 = r.try_get(0).map_err(db_error)?;
            let tier: String = r.try_get(1).map_err(db_error)?;
            let ten: Option<i64> = r.try_get(2).map_err(db_error)?;
            let daily: Option<i64> = r.try_get(3).map_err(db_error)?;
            let Some(tier) = Tier::parse(&tier) else {
                tracing::warn!(portal, tier, "unknown rate-limit tier stored; ignored");
                continue;
            };
            out.push((
                portal,
                RateLimitSetting {
                    tier,
                    ten_secondly: ten.map(|v| v.max(0) as u64),
                    daily: daily.map(|v| v.max(0) as u64),
                },
            ));
        }
        Ok(out)
    }

    async fn sync_rate_hits(
        &self,
        replica: &str,
        deltas: &[Delta],
        ten_from: i64,
        day: i64,
        sweep: bool,
    ) -> Result<Vec<RemoteHits>> {
        if !deltas.is_empty() || sweep {
            write_tx!(self, |tx| {
                for chunk in deltas.chunks(CHUNK) {
                    let sql = upsert_sql(chunk.len());
                    let mut q = sqlx::query(&sql);
                    for d in chunk {
                        q = q
                            .bind(replica)
                            .bind(d.kind.code())
                            .bind(d.scope.as_str())
                            .bind(d.bucket)
                            .bind(d.hits as i64);
                    }
                    q.execute(&mut *tx).await?;
                }
                if sweep {
                    sqlx::query(
                        "DELETE FROM rate_limit_hits WHERE (kind = 0 AND bucket < $1) OR (kind = 1 AND bucket < $2)",
                    )
                    .bind(ten_from - SWEEP_SLACK_BUCKETS)
                    .bind(day - 1)
                    .execute(&mut *tx)
                    .await?;
                    // This replica's own rows go as soon as they leave the window.
                    sqlx::query(
                        "DELETE FROM rate_limit_hits WHERE replica = $1 AND ((kind = 0 AND bucket < $2) OR (kind = 1 AND bucket < $3))",
                    )
                    .bind(replica)
                    .bind(ten_from)
                    .bind(day)
                    .execute(&mut *tx)
                    .await?;
                }
            })?;
        }
        let rows = sqlx::query(
            "SELECT replica, kind, scope, bucket, hits FROM rate_limit_hits
              WHERE replica <> $1 AND ((kind = 0 AND bucket >= $2) OR (kind = 1 AND bucket = $3))",
        )
        .bind(replica)
        .bind(ten_from)
        .bind(day)
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let kind: i64 = r.try_get(1)?;
                let hits: i64 = r.try_get(4)?;
                Ok(RemoteHits {
                    replica: r.try_get(0)?,
                    kind: Kind::from_code(kind).unwrap_or(Kind::Daily),
                    scope: r.try_get(2)?,
                    bucket: r.try_get(3)?,
                    hits: hits.max(0) as u64,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(|e| {
                let err: Error = db_error(e);
                err
            })
    }
}
