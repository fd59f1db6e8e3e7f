//! Deliveries: the results of attempts, redelivery, and dropping an app's deliveries. A
//! delivery is a batch of at most 100 events of one portal for one app (queued by `fan_out`),
//! tried and retried as one request.

use super::fan_out::{create_batch, members_of, targets};
use super::feed::{event_from_row, EVENT_COLUMNS};
use super::ranges::{Range, OPEN, RANGE_COLUMNS};
use crate::associations::Marks;
use crate::{get_i64, get_str, Backend};
use assocd_core::apps::{AppId, SubscriptionId};
use assocd_core::events::{split_event_id, AttemptResult, Outcome};
use assocd_core::PortalId;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// The history entry of an attempt (a JSON object and a comma).
fn history_entry(r: &AttemptResult) -> String {
    let entry = serde_json::json!({
        "at": r.at,
        "status": r.status,
        "attemptNumber": r.attempt,
        "error": r.error,
    });
    format!("{entry},")
}

/// Results of successful tries recorded per statement (3 binds each).
const RESULT_CHUNK: usize = 300;

/// Records attempt results inside the caller's transaction: the successes of a step in one
/// statement, each retry or failure in its own. A success counts whoever made it (the events
/// arrived); a failure only from the worker that still holds the claim and only for the
/// attempt it names, so a late or repeated result changes nothing.
pub(super) async fn record_results(
    conn: &mut AnyConnection,
    backend: Backend,
    owner: &str,
    results: &[AttemptResult],
) -> Result<(), sqlx::Error> {
    let mut recorded = 0;
    let delivered: Vec<&AttemptResult> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Delivered)
        .collect();
    for chunk in delivered.chunks(RESULT_CHUNK) {
        let mut m = Marks::new(backend);
        let rows: Vec<String> = chunk.iter().map(|_| m.tuple(3)).collect();
        let sql = format!(
            "UPDATE outbox_batches SET state = 'DELIVERED', lease_owner = NULL, lease_until = NULL,
                 updated_at = v.column2, history = history || v.column3
             FROM (VALUES {}) AS v
             WHERE outbox_batches.batch_id = v.column1 AND outbox_batches.state IN {OPEN}",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q.bind(r.batch_id).bind(r.at).bind(history_entry(r));
        }
        recorded += q.execute(&mut *conn).await?.rows_affected();
    }
    for r in results.iter().filter(|r| r.outcome != Outcome::Delivered) {
        let (failed, next_at, attempt) = match r.outcome {
            Outcome::Retry { at } => (false, at, r.attempt + 1),
            _ => (true, r.at, r.attempt),
        };
        let sql = format!(
            "UPDATE outbox_batches SET {}next_at = $1, attempt = $2, lease_owner = NULL,
                 lease_until = NULL, updated_at = $3, history = history || $4
             WHERE batch_id = $5 AND state IN {OPEN} AND attempt = $6
               AND (lease_owner IS NULL OR lease_owner = $7)",
            if failed { "state = 'FAILED', " } else { "" }
        );
        recorded += sqlx::query(&sql)
            .bind(next_at)
            .bind(attempt)
            .bind(r.at)
            .bind(history_entry(r))
            .bind(r.batch_id)
            .bind(r.attempt)
            .bind(owner)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    if recorded < results.len() as u64 {
        tracing::debug!(
            ignored = results.len() as u64 - recorded,
            "delivery results came after the fact; ignored"
        );
    }
    Ok(())
}

/// Queues one event again (see `OutboxStore::redeliver`) inside the caller's transaction, for
/// the subscriptions it went out for (those that fire for it now when it never went out).
pub(crate) async fn redeliver_in(
    conn: &mut AnyConnection,
    backend: Backend,
    event_id: i64,
    now: i64,
) -> Result<Option<usize>, sqlx::Error> {
    let (change, idx) = split_event_id(event_id);
    let row = sqlx::query(&format!(
        "SELECT c.dispatch_round, {EVENT_COLUMNS}
         FROM outbox_events e JOIN outbox_changes c ON c.change_id = e.change_id
         WHERE e.change_id = $1 AND e.idx = $2"
    ))
    .bind(change)
    .bind(idx)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let event = event_from_row(&row)?;
    let round: Option<i64> = row.try_get("dispatch_round")?;
    // (app, subscription id, subscription type) it went out for.
    let mut before: Vec<(AppId, SubscriptionId, String)> = Vec::new();
    let legacy = sqlx::query(
        "SELECT DISTINCT b.app_id, m.subscription_id, m.subscription_type
         FROM outbox_members m JOIN outbox_batches b ON b.batch_id = m.batch_id
         JOIN app_installs i ON i.app_id = b.app_id AND i.portal_id = b.portal_id
         WHERE m.change_id = $1 AND m.idx = $2",
    )
    .bind(change)
    .bind(idx)
    .fetch_all(&mut *conn)
    .await?;
    for r in &legacy {
        before.push((
            get_i64(r, "app_id")?,
            get_i64(r, "subscription_id")?,
            get_str(r, "subscription_type")?,
        ));
    }
    let in_round = if round.is_some() {
        "r.dispatch_round = $2"
    } else {
        "r.dispatch_round IS NULL"
    };
    let sql = format!(
        "SELECT b.app_id, {RANGE_COLUMNS}
         FROM outbox_ranges r JOIN outbox_batches b ON b.batch_id = r.batch_id
         JOIN app_installs i ON i.app_id = b.app_id AND i.portal_id = b.portal_id
         WHERE b.portal_id = $1 AND {in_round}"
    );
    let mut q = sqlx::query(&sql).bind(event.portal_id);
    if let Some(round) = round {
        q = q.bind(round);
    }
    let ranged = q.fetch_all(&mut *conn).await?;
    for r in &ranged {
        let range = Range::from_row(r)?;
        if range.holds(&event, round) {
            before.push((
                get_i64(r, "app_id")?,
                range.subscription_id,
                range.subscription_type,
            ));
        }
    }
    before.sort();
    before.dedup();
    let mut ranges: BTreeMap<AppId, Vec<Range>> = BTreeMap::new();
    if before.is_empty() {
        let targets = targets(conn, &[event.portal_id]).await?;
        for (app_id, sub, kind) in
            members_of(&event, targets.get(&event.portal_id).map_or(&[], |v| v))
        {
            before.push((app_id, sub, kind));
        }
    }
    for (app_id, sub, kind) in before {
        ranges
            .entry(app_id)
            .or_default()
            .push(Range::one(&event, round, sub, kind));
    }
    let mut batches = 0;
    for (app_id, ranges) in ranges {
        let key = (app_id, event.portal_id);
        create_batch(conn, backend, key, now, ranges.len(), &ranges).await?;
        batches += 1;
    }
    Ok(Some(batches))
}

/// Drops an app's deliveries (of one portal when given; only those not finished when
/// `pending_only`) inside the caller's transaction.
pub(crate) async fn drop_deliveries(
    conn: &mut AnyConnection,
    app_id: AppId,
    portal: Option<PortalId>,
    pending_only: bool,
) -> Result<(), sqlx::Error> {
    let mut filter = "app_id = $1".to_string();
    if portal.is_some() {
        filter.push_str(" AND portal_id = $2");
    }
    if pending_only {
        filter.push_str(&format!(" AND state IN {OPEN}"));
    }
    for sql in [
        format!("DELETE FROM outbox_members WHERE batch_id IN (SELECT batch_id FROM outbox_batches WHERE {filter})"),
        format!("DELETE FROM outbox_ranges WHERE batch_id IN (SELECT batch_id FROM outbox_batches WHERE {filter})"),
        format!("DELETE FROM outbox_batches WHERE {filter}"),
    ] {
        let mut q = sqlx::query(&sql).bind(app_id);
        if let Some(p) = portal {
            q = q.bind(p);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
