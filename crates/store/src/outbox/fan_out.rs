//! Fan-out: which app receives which event of the changes a dispatch step picks, as queued
//! batches of at most 100 events of one portal for one app. Split in two halves: `plan` reads
//! (the subscriptions, the changes' events) and `queue` writes, so that on SQLite the reading
//! can run before the step takes the one writer (see `dispatch`).

use super::dispatch::id_list;
use super::feed::{event_from_row, EVENT_COLUMNS};
use super::ranges::{self, ranges_of, Range, QUEUED};
use crate::{get_i64, get_opt_str, get_str, Backend};
use assocd_core::apps::{is_delivered, AppId, SubscriptionId};
use assocd_core::events::{split_event_id, ChangeEvent};
use assocd_core::PortalId;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};

/// Events per webhook request: HubSpot sends at most 100.
pub(crate) const BATCH_SIZE: usize = 100;

/// An active subscription of an app that is installed in a portal and has a target URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    app_id: AppId,
    subscription_id: SubscriptionId,
    event_type: String,
    object_type_id: Option<String>,
}

/// One event of a batch with the subscription it goes out for: `(change id, index,
/// subscription id, subscription type, object type of an object.associationChange)`.
pub(super) type Member = (i64, i64, SubscriptionId, String, Option<String>);

/// The delivering subscriptions of `portals`, per portal.
pub(super) async fn targets(
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

/// Queues a delivery of `size` events named by `ranges`, due at `now`; returns its id.
pub(super) async fn create_batch(
    conn: &mut AnyConnection,
    backend: Backend,
    (app_id, portal): (AppId, PortalId),
    now: i64,
    size: usize,
    ranges: &[Range],
) -> Result<i64, sqlx::Error> {
    let batch_id: i64 = sqlx::query_scalar(&format!(
        "INSERT INTO outbox_batches (app_id, portal_id, state, attempt, next_at, size, created_at,
             updated_at, history)
         VALUES ($1, $2, '{QUEUED}', 0, $3, $4, $3, $3, '') RETURNING batch_id"
    ))
    .bind(app_id)
    .bind(portal)
    .bind(now)
    .bind(size as i64)
    .fetch_one(&mut *conn)
    .await?;
    ranges::insert(conn, backend, batch_id, ranges).await?;
    Ok(batch_id)
}

/// Queues the members of each (app, portal), all of the portal's events of `round` that fire
/// for their subscriptions, in batches of `BATCH_SIZE`; returns how many batches.
async fn queue(
    conn: &mut AnyConnection,
    backend: Backend,
    groups: BTreeMap<(AppId, PortalId), Vec<Member>>,
    now: i64,
    round: i64,
) -> Result<usize, sqlx::Error> {
    let mut batches = 0;
    for (key, members) in groups {
        for chunk in members.chunks(BATCH_SIZE) {
            let ranges = ranges_of(
                chunk
                    .iter()
                    .map(|(c, i, s, k, o)| (*c, *i, *s, k.as_str(), o.as_deref())),
                round,
            );
            create_batch(conn, backend, key, now, chunk.len(), &ranges).await?;
            batches += 1;
        }
    }
    Ok(batches)
}

/// The subscriptions of `targets` that `event` fires for, as members of its batch.
pub(super) fn members_of(event: &ChangeEvent, targets: &[Target]) -> Vec<(AppId, Member)> {
    let (change, idx) = split_event_id(event.event_id);
    targets
        .iter()
        .filter(|t| event.fires_for(&t.event_type, t.object_type_id.as_deref()))
        .map(|t| {
            (
                t.app_id,
                (
                    change,
                    idx,
                    t.subscription_id,
                    t.event_type.clone(),
                    t.object_type_id.clone(),
                ),
            )
        })
        .collect()
}

/// The deliveries of some changes, read but not written yet.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// The delivering subscriptions of the changes' portals, as read.
    targets: HashMap<PortalId, Vec<Target>>,
    /// Each (app, portal)'s members, in event order.
    groups: BTreeMap<(AppId, PortalId), Vec<Member>>,
}

/// The portals of `changes` (`(change id, portal)`), each once.
fn portals_of(changes: &[(i64, PortalId)]) -> Vec<PortalId> {
    let mut portals: Vec<PortalId> = changes.iter().map(|(_, p)| *p).collect();
    portals.sort_unstable();
    portals.dedup();
    portals
}

/// Reads which app receives which event of `changes`. Changes of portals where no app
/// subscribes are not even read.
pub(super) async fn plan(
    conn: &mut AnyConnection,
    changes: &[(i64, PortalId)],
) -> Result<Plan, sqlx::Error> {
    let targets = targets(conn, &portals_of(changes)).await?;
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
    Ok(Plan { targets, groups })
}

/// Whether a plan read before the transaction still holds inside it: the subscriptions it
/// used are the ones `conn` sees now (a subscription paused or an app removed in between
/// makes the caller plan again, inside).
pub(super) async fn plan_holds(
    conn: &mut AnyConnection,
    plan: &Plan,
    changes: &[(i64, PortalId)],
) -> Result<bool, sqlx::Error> {
    Ok(targets(conn, &portals_of(changes)).await? == plan.targets)
}

/// Queues the deliveries of a plan for the changes dispatched in `round`, inside the dispatch
/// transaction; returns how many batches.
pub(super) async fn queue_plan(
    conn: &mut AnyConnection,
    backend: Backend,
    plan: Plan,
    now: i64,
    round: i64,
) -> Result<usize, sqlx::Error> {
    queue(conn, backend, plan.groups, now, round).await
}
