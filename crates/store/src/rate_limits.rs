//! Rate limits: each portal's own setting, and the shared counts of admitted calls (each
//! replica upserts its own rows, then reads the others'; see `assocd_core::rate_window`).

use crate::{db_error, write_tx, SqlStore};
use assocd_core::rate_limit::{RateLimitSetting, Tier};
use assocd_core::rate_window::{Decide, Delta, Kind, RemoteHits};
use assocd_core::store::{RateLimitStore, Result};
use assocd_core::PortalId;
use async_trait::async_trait;
use sqlx::{AnyConnection, Row};

/// Rows per upsert statement (5 values each).
const CHUNK: usize = 100;

/// A replica whose heartbeat is older than this many seconds counts as gone.
const ALIVE_S: i64 = 3;

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

/// System time: heartbeats follow real time, whatever the reported clock says.
fn system_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A multi-row upsert of `rows` rows; `replace` sets the value (claims), else adds (counts).
fn upsert_sql(rows: usize, replace: bool) -> String {
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
    sql.push_str(if replace {
        " ON CONFLICT (replica, kind, scope, bucket) DO UPDATE SET hits = excluded.hits"
    } else {
        " ON CONFLICT (replica, kind, scope, bucket) DO UPDATE SET hits = rate_limit_hits.hits + excluded.hits"
    });
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

    async fn leave_rate_hits(&self, replica: &str) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM rate_limit_hits WHERE replica = $1 AND kind IN (2, 3, 4)")
                .bind(replica)
                .execute(&mut *tx)
                .await?;
        })
    }

    async fn exchange_rate_hits(
        &self,
        replica: &str,
        deltas: &[Delta],
        ten_from: i64,
        day: i64,
        sweep: bool,
        decide: &Decide<'_>,
    ) -> Result<()> {
        let now_s = system_now_ms() / 1000;
        let heartbeat = Delta {
            kind: Kind::Replica,
            scope: String::new(),
            bucket: now_s,
            hits: 1,
        };
        let rows: Vec<&Delta> = deltas.iter().chain(std::iter::once(&heartbeat)).collect();
        write_tx!(self, |tx| {
            for chunk in rows.chunks(CHUNK) {
                let sql = upsert_sql(chunk.len(), false);
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
                    "DELETE FROM rate_limit_hits WHERE (kind = 0 AND bucket < $1) OR (kind = 1 AND bucket < $2)
                        OR (kind = 2 AND bucket < $3)
                        OR (kind IN (3, 4) AND replica NOT IN
                            (SELECT replica FROM rate_limit_hits WHERE kind = 2 AND bucket >= $3))",
                )
                .bind(ten_from - SWEEP_SLACK_BUCKETS)
                .bind(day - 1)
                .bind(now_s - 60)
                .execute(&mut *tx)
                .await?;
                // This replica's own rows go as soon as they leave the window.
                sqlx::query(
                    "DELETE FROM rate_limit_hits WHERE replica = $1 AND ((kind = 0 AND bucket < $2)
                        OR (kind = 1 AND bucket < $3) OR (kind = 2 AND bucket < $4))",
                )
                .bind(replica)
                .bind(ten_from)
                .bind(day)
                .bind(now_s - ALIVE_S)
                .execute(&mut *tx)
                .await?;
            }
            let found = sqlx::query(
                "SELECT replica, kind, scope, bucket, hits FROM rate_limit_hits
                  WHERE replica <> $1 AND ((kind = 0 AND bucket >= $2) OR (kind = 1 AND bucket = $3)
                     OR (kind = 2 AND bucket >= $4) OR kind IN (3, 4))",
            )
            .bind(replica)
            .bind(ten_from)
            .bind(day)
            .bind(now_s - ALIVE_S)
            .fetch_all(&mut *tx)
            .await?;
            let mut others = Vec::with_capacity(found.len());
            for r in &found {
                let kind: i64 = r.try_get(1)?;
                let hits: i64 = r.try_get(4)?;
                if let Some(kind) = Kind::from_code(kind) {
                    others.push(RemoteHits {
                        replica: r.try_get(0)?,
                        kind,
                        scope: r.try_get(2)?,
                        bucket: r.try_get(3)?,
                        hits: hits.max(0) as u64,
                    });
                }
            }
            let mut alive: Vec<String> = others
                .iter()
                .filter(|r| r.kind == Kind::Replica)
                .map(|r| r.replica.clone())
                .collect();
            alive.sort_unstable();
            alive.dedup();
            // Claims of replicas that stopped beating count no more.
            others.retain(|r| {
                r.kind != Kind::Replica
                    && (!matches!(r.kind, Kind::TenClaim | Kind::DailyClaim)
                        || alive.binary_search(&r.replica).is_ok())
            });
            let claims = decide(&others, alive.len() + 1);
            // A lone replica claims nothing (and nobody would read its claims): two statements
            // saved on every exchange of a single server.
            if !alive.is_empty() || !claims.is_empty() {
                sqlx::query("DELETE FROM rate_limit_hits WHERE replica = $1 AND kind IN (3, 4)")
                    .bind(replica)
                    .execute(&mut *tx)
                    .await?;
            }
            for chunk in claims.chunks(CHUNK) {
                let sql = upsert_sql(chunk.len(), true);
                let mut q = sqlx::query(&sql);
                for (kind, scope, amount) in chunk {
                    q = q
                        .bind(replica)
                        .bind(kind.code())
                        .bind(scope.as_str())
                        .bind(0i64)
                        .bind(*amount as i64);
                }
                q.execute(&mut *tx).await?;
            }
        })
    }
}
