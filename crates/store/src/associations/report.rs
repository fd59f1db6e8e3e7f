//! The high-usage report (U1): records at or above 80% of a user-enforced limit, computed from
//! the limits table and per-type counts, kept as JSON (the last report per user).

use super::key_of;
use crate::{db_error, get_i64, get_str, write_tx, SqlStore};
use assocd_core::records::{high_usage_threshold, report_email, HighUsageEntry, HighUsageReport};
use assocd_core::store::Result;
use assocd_core::{Error, ObjectType, PortalId};

/// Most entries one high-usage report keeps.
pub const MAX_REPORT_ENTRIES: i64 = 10_000;

fn entry_json(e: &HighUsageEntry) -> serde_json::Value {
    serde_json::json!({
        "objectType": e.object_type.as_str(),
        "objectId": e.object_id,
        "toObjectType": e.to_object_type.as_str(),
        "category": e.key.category.as_str(),
        "typeId": e.key.type_id,
        "count": e.count,
        "limit": e.limit,
    })
}

fn entry_from_json(v: &serde_json::Value) -> Option<HighUsageEntry> {
    Some(HighUsageEntry {
        object_type: ObjectType::from_stored(v["objectType"].as_str()?),
        object_id: v["objectId"].as_i64()?,
        to_object_type: ObjectType::from_stored(v["toObjectType"].as_str()?),
        key: key_of(v["category"].as_str()?, v["typeId"].as_i64()?)?,
        count: v["count"].as_i64()?,
        limit: v["limit"].as_i64()?,
    })
}

/// Computes the report inside one write transaction and keeps it (the last one per user).
#[tracing::instrument(skip(store))]
pub(super) async fn create(
    store: &SqlStore,
    portal: PortalId,
    user_id: i32,
) -> Result<HighUsageReport> {
    write_tx!(store, |tx| {
        let limits = sqlx::query(
            "SELECT from_type, to_type, category, type_id, max_to_object_ids FROM limits
                 WHERE portal_id = $1 ORDER BY from_type, to_type, category, type_id",
        )
        .bind(portal)
        .fetch_all(&mut *tx)
        .await?;
        let mut entries = Vec::new();
        for l in &limits {
            let Some(key) = key_of(&get_str(l, "category")?, get_i64(l, "type_id")?) else {
                continue;
            };
            let (from_type, to_type) = (get_str(l, "from_type")?, get_str(l, "to_type")?);
            let max = get_i64(l, "max_to_object_ids")?;
            let room = MAX_REPORT_ENTRIES - entries.len() as i64;
            if room <= 0 {
                break;
            }
            let rows = sqlx::query(
                    "SELECT from_id, COUNT(*) AS n FROM associations
                     WHERE portal_id = $1 AND from_type = $2 AND to_type = $3 AND category = $4 AND type_id = $5
                     GROUP BY from_id HAVING COUNT(*) >= $6 ORDER BY from_id LIMIT $7",
                )
                .bind(portal)
                .bind(&from_type)
                .bind(&to_type)
                .bind(key.category.as_str())
                .bind(key.type_id as i64)
                .bind(high_usage_threshold(max))
                .bind(room)
                .fetch_all(&mut *tx)
                .await?;
            for r in &rows {
                entries.push(HighUsageEntry {
                    object_type: ObjectType::from_stored(&from_type),
                    object_id: get_i64(r, "from_id")?,
                    to_object_type: ObjectType::from_stored(&to_type),
                    key,
                    count: get_i64(r, "n")?,
                    limit: max,
                });
            }
        }
        let report = HighUsageReport {
            user_id,
            user_email: report_email(portal, user_id),
            enqueued_at: store.clock.now_ms(),
            entries,
        };
        let json =
            serde_json::Value::Array(report.entries.iter().map(entry_json).collect()).to_string();
        sqlx::query(
            "INSERT INTO high_usage_reports (portal_id, user_id, user_email, enqueued_at, entries)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (portal_id, user_id) DO UPDATE SET user_email = excluded.user_email,
                   enqueued_at = excluded.enqueued_at, entries = excluded.entries",
        )
        .bind(portal)
        .bind(user_id as i64)
        .bind(&report.user_email)
        .bind(report.enqueued_at)
        .bind(json)
        .execute(&mut *tx)
        .await?;
        report
    })
}

/// The last report `user_id` requested.
pub(super) async fn read(
    store: &SqlStore,
    portal: PortalId,
    user_id: i32,
) -> Result<Option<HighUsageReport>> {
    let row = sqlx::query(
            "SELECT user_email, enqueued_at, entries FROM high_usage_reports WHERE portal_id = $1 AND user_id = $2",
        )
        .bind(portal)
        .bind(user_id as i64)
        .fetch_optional(&store.read)
        .await
        .map_err(db_error)?;
    let Some(row) = row else { return Ok(None) };
    let entries: serde_json::Value =
        serde_json::from_str(&get_str(&row, "entries").map_err(db_error)?)
            .map_err(|e| Error::internal(format!("stored report is not JSON: {e}")))?;
    Ok(Some(HighUsageReport {
        user_id,
        user_email: get_str(&row, "user_email").map_err(db_error)?,
        enqueued_at: get_i64(&row, "enqueued_at").map_err(db_error)?,
        entries: entries
            .as_array()
            .map(|a| a.iter().filter_map(entry_from_json).collect())
            .unwrap_or_default(),
    }))
}
