//! Deliveries: which app receives which event (fan-out at dispatch), the results of attempts,
//! redelivery, and dropping an app's deliveries. A delivery is a batch of at most 100 events of
//! one portal for one app, tried and retried as one request.

use super::dispatch::id_list;
use super::feed::{event_from_row, EVENT_COLUMNS};
use crate::associations::Marks;
use crate::{get_i64, get_opt_str, get_str, Backend};
use assocd_core::apps::{is_delivered, AppId, SubscriptionId};
use assocd_core::events::{split_event_id, AttemptResult, ChangeEvent, Outcome};
use assocd_core::PortalId;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};

/// Events per webhook request: HubSpot sends at most 100.
pub(crate) const BATCH_SIZE: usize = 100;

/// An active subscription of an app that is installed in a portal and has a target URL.
#[derive(Debug, Clone)]
struct Target {
    app_id: AppId,
    subscription_id: SubscriptionId,
    event_type: String,
    object_type_id: Option<String>,
}

/// `(change id, index, subscription id, subscription type)` of one event of a batch.
type Member = (i64, i64, SubscriptionId, String);

/// The delivering subscriptions of `portals`, per portal.
async fn targets(
    conn: &mut AnyConnection,
    portals: &[PortalId],
) -> Result<HashMap<PortalId, Vec<Target>>, sqlx::Error> {
    let mut out: HashMap<PortalId, Vec<Target>> = HashMap::new();
    for chunk in portals.chunks(500) {
        let sql = format!(
            "SELECT i.portal_id, s.app_id, s.subscription_id, s.event_type, s.object_type_id
             FROM app_installs i
             JOIN webhook_subscriptions s ON s.app_id = i.app_id
             JOIN webhook_settings w ON w.app_id = s.app_id
             WHERE s.active = 1 AND i.portal_id IN {}
             ORDER BY s.app_id, s.subscription_id",
            id_list(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q.bind(*p);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let event_type = get_str(&row, "event_type")?;
            if !is_delivered(&event_type) {
                continue;
            }
            out.entry(get_i64(&row, "portal_id")?)
                .or_default()
                .push(Target {
                    app_id: get_i64(&row, "app_id")?,
                    subscription_id: get_i64(&row, "subscription_id")?,
                    event_type,
                    object_type_id: get_opt_str(&row, "object_type_id")?,
                });
        }
    }
    Ok(out)
}

/// Queues a delivery of `members` (at most `BATCH_SIZE`) due at `now`; returns its id.
async fn create_batch(
    conn: &mut AnyConnection,
    backend: Backend,
    app_id: AppId,
    portal: PortalId,
    now: i64,
    members: &[Member],
) -> Result<i64, sqlx::Error> {
    let batch_id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox_batches (app_id, portal_id, state, attempt, next_at, size, created_at,
             updated_at, history)
         VALUES ($1, $2, 'PENDING', 0, $3, $4, $3, $3, '') RETURNING batch_id",
    )
    .bind(app_id)
    .bind(portal)
    .bind(now)
    .bind(members.len() as i64)
    .fetch_one(&mut *conn)
    .await?;
    let mut m = Marks::new(backend);
    let rows: Vec<String> = members.iter().map(|_| m.tuple(5)).collect();
    let sql = format!(
        "INSERT INTO outbox_members (batch_id, change_id, idx, subscription_id, subscription_type)
         VALUES {} ON CONFLICT DO NOTHING",
        rows.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for (change, idx, sub, kind) in members {
        q = q
            .bind(batch_id)
            .bind(*change)
            .bind(*idx)
            .bind(*sub)
            .bind(kind.as_str());
    }
    q.execute(&mut *conn).await?;
    Ok(batch_id)
}

/// Queues `members` per (app, portal) in batches of `BATCH_SIZE`; returns how many batches.
async fn queue(
    conn: &mut AnyConnection,
    backend: Backend,
    groups: BTreeMap<(AppId, PortalId), Vec<Member>>,
    now: i64,
) -> Result<usize, sqlx::Error> {
    let mut batches = 0;
    for ((app_id, portal), members) in groups {
        for chunk in members.chunks(BATCH_SIZE) {
            create_batch(conn, backend, app_id, portal, now, chunk).await?;
            batches += 1;
        }
    }
    Ok(batches)
}

/// The subscriptions of `targets` that `event` fires for, as members of its batch.
fn members_of(event: &ChangeEvent, targets: &[Target]) -> Vec<(AppId, Member)> {
    let (change, idx) = split_event_id(event.event_id);
    targets
        .iter()
        .filter(|t| event.fires_for(&t.event_type, t.object_type_id.as_deref()))
        .map(|t| {
            (
                t.app_id,
                (change, idx, t.subscription_id, t.event_type.clone()),
            )
        })
        .collect()
}

/// Queues the deliveries of the events of `changes` (`(change id, portal)`) for the apps that
/// subscribe, inside the dispatch transaction; returns how many batches. Changes of portals
/// where no app subscribes are not even read.
pub(super) async fn fan_out(
    conn: &mut AnyConnection,
    backend: Backend,
    changes: &[(i64, PortalId)],
    now: i64,
) -> Result<usize, sqlx::Error> {
    let mut portals: Vec<PortalId> = changes.iter().map(|(_, p)| *p).collect();
    portals.sort_unstable();
    portals.dedup();
    let targets = targets(conn, &portals).await?;
    let wanted: Vec<i64> = changes
        .iter()
        .filter(|(_, p)| targets.contains_key(p))
        .map(|(c, _)| *c)
        .collect();
    let mut groups: BTreeMap<(AppId, PortalId), Vec<Member>> = BTreeMap::new();
    for chunk in wanted.chunks(500) {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM outbox_events e JOIN outbox_changes c ON c.change_id = e.change_id
             WHERE e.change_id IN {} ORDER BY e.change_id, e.idx",
            id_list(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q.bind(*c);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let event = event_from_row(&row)?;
            let Some(of_portal) = targets.get(&event.portal_id) else {
                continue;
            };
            for (app_id, member) in members_of(&event, of_portal) {
                groups
                    .entry((app_id, event.portal_id))
                    .or_default()
                    .push(member);
            }
        }
    }
    queue(conn, backend, groups, now).await
}

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

/// Records attempt results inside the caller's transaction. A success counts whoever made it
/// (the events arrived); a failure only from the worker that still holds the claim and only
/// for the attempt it names, so a late or repeated result changes nothing.
pub(super) async fn record_results(
    conn: &mut AnyConnection,
    owner: &str,
    results: &[AttemptResult],
) -> Result<(), sqlx::Error> {
    for r in results {
        let entry = history_entry(r);
        let done = match r.outcome {
            Outcome::Delivered => {
                sqlx::query(
                    "UPDATE outbox_batches SET state = 'DELIVERED', lease_owner = NULL,
                         lease_until = NULL, updated_at = $1, history = history || $2
                     WHERE batch_id = $3 AND state = 'PENDING'",
                )
                .bind(r.at)
                .bind(entry)
                .bind(r.batch_id)
                .execute(&mut *conn)
                .await?
            }
            Outcome::Retry { .. } | Outcome::Failed => {
                let (state, next_at, attempt) = match r.outcome {
                    Outcome::Retry { at } => ("PENDING", at, r.attempt + 1),
                    _ => ("FAILED", r.at, r.attempt),
                };
                sqlx::query(
                    "UPDATE outbox_batches SET state = $1, next_at = $2, attempt = $3,
                         lease_owner = NULL, lease_until = NULL, updated_at = $4,
                         history = history || $5
                     WHERE batch_id = $6 AND state = 'PENDING' AND attempt = $7
                       AND (lease_owner IS NULL OR lease_owner = $8)",
                )
                .bind(state)
                .bind(next_at)
                .bind(attempt)
                .bind(r.at)
                .bind(entry)
                .bind(r.batch_id)
                .bind(r.attempt)
                .bind(owner)
                .execute(&mut *conn)
                .await?
            }
        };
        if done.rows_affected() == 0 {
            tracing::debug!(
                batch = r.batch_id,
                "a delivery result came after the fact; ignored"
            );
        }
    }
    Ok(())
}

/// Queues one event again (see `OutboxStore::redeliver`) inside the caller's transaction.
pub(crate) async fn redeliver_in(
    conn: &mut AnyConnection,
    backend: Backend,
    event_id: i64,
    now: i64,
) -> Result<Option<usize>, sqlx::Error> {
    let (change, idx) = split_event_id(event_id);
    let row = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM outbox_events e JOIN outbox_changes c ON c.change_id = e.change_id
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
    let before = sqlx::query(
        "SELECT DISTINCT b.app_id, m.subscription_id, m.subscription_type
         FROM outbox_members m JOIN outbox_batches b ON b.batch_id = m.batch_id
         JOIN app_installs i ON i.app_id = b.app_id AND i.portal_id = b.portal_id
         WHERE m.change_id = $1 AND m.idx = $2",
    )
    .bind(change)
    .bind(idx)
    .fetch_all(&mut *conn)
    .await?;
    let mut members: Vec<(AppId, Member)> = Vec::new();
    for r in &before {
        let member = (
            change,
            idx,
            get_i64(r, "subscription_id")?,
            get_str(r, "subscription_type")?,
        );
        members.push((get_i64(r, "app_id")?, member));
    }
    if members.is_empty() {
        let targets = targets(conn, &[event.portal_id]).await?;
        members = members_of(&event, targets.get(&event.portal_id).map_or(&[], |v| v));
    }
    let mut groups: BTreeMap<(AppId, PortalId), Vec<Member>> = BTreeMap::new();
    for (app_id, member) in members {
        groups
            .entry((app_id, event.portal_id))
            .or_default()
            .push(member);
    }
    Ok(Some(queue(conn, backend, groups, now).await?))
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
        filter.push_str(" AND state = 'PENDING'");
    }
    for sql in [
        format!("DELETE FROM outbox_members WHERE batch_id IN (SELECT batch_id FROM outbox_batches WHERE {filter})"),
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
