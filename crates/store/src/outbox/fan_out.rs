//! Fan-out: which app receives which event of the changes a dispatch step picks, as queued
//! batches of at most 100 events of one portal for one app. Split in two halves: `plan` reads
//! (the subscriptions, the changes' events) and `queue` writes, so that on SQLite the reading
//! can run before the step takes the one writer (see `dispatch`). An event is read as its
//! kind only (position, types, association type), and which subscriptions a kind fires for is
//! decided once per step (R5's 200 events a request are two kinds).

use super::dispatch::id_list;
use super::ranges::{self, ranges_of, Range, QUEUED};
use crate::read::{Arg, Query, Row};
use crate::{get_i64, get_opt_str, get_str, Backend};
use assocd_core::apps::{is_delivered, AppId, SubscriptionId};
use assocd_core::events::ChangeEvent;
use assocd_core::records::TypeKey;
use assocd_core::{Category, Error, ObjectType, PortalId};
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

/// One event of a batch with the subscription it goes out for: `(change id, index, target)`,
/// the target by its place in the portal's targets.
pub(super) type Member = (i64, i64, usize);

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

/// Queues the deliveries of a plan for the changes dispatched in `round`, inside the dispatch
/// transaction: the members of each (app, portal), all of the portal's events of `round` that
/// fire for their subscriptions, in batches of `BATCH_SIZE`; returns how many batches.
pub(super) async fn queue_plan(
    conn: &mut AnyConnection,
    backend: Backend,
    plan: Plan,
    now: i64,
    round: i64,
) -> Result<usize, sqlx::Error> {
    let mut batches = 0;
    for (key, members) in plan.groups {
        let targets = plan.targets.get(&key.1).map_or(&[][..], Vec::as_slice);
        for chunk in members.chunks(BATCH_SIZE) {
            let mut of_chunk = Vec::with_capacity(chunk.len());
            for &(change, idx, at) in chunk {
                let t = targets
                    .get(at)
                    .ok_or_else(|| sqlx::Error::Protocol("a member of no target".into()))?;
                let object = t.object_type_id.as_deref();
                of_chunk.push((
                    change,
                    idx,
                    t.subscription_id,
                    t.event_type.as_str(),
                    object,
                ));
            }
            let ranges = ranges_of(of_chunk, round);
            create_batch(conn, backend, key, now, chunk.len(), &ranges).await?;
            batches += 1;
        }
    }
    Ok(batches)
}

/// The subscriptions of `targets` that `event` fires for: `(app, subscription id, type)`.
pub(super) fn members_of(
    event: &ChangeEvent,
    targets: &[Target],
) -> Vec<(AppId, SubscriptionId, String)> {
    targets
        .iter()
        .filter(|t| event.fires_for(&t.event_type, t.object_type_id.as_deref()))
        .map(|t| (t.app_id, t.subscription_id, t.event_type.clone()))
        .collect()
}

/// An event of this kind (`fires_for` reads only the types and the association type).
pub(super) fn of_kind(from_type: &str, to_type: &str, key: TypeKey) -> ChangeEvent {
    ChangeEvent {
        event_id: 0,
        portal_id: 0,
        occurred_at: 0,
        change_source: String::new(),
        source_id: None,
        from_type: ObjectType::from_stored(from_type),
        from_id: 0,
        to_type: ObjectType::from_stored(to_type),
        to_id: 0,
        key,
        removed: false,
    }
}

/// The association type of an event's stored columns.
pub(super) fn type_key(category: &[u8], type_id: i64) -> Result<TypeKey, Error> {
    let text = std::str::from_utf8(category).unwrap_or("");
    let category = Category::parse(text)
        .ok_or_else(|| Error::internal(format!("outbox event of unknown category {text}")))?;
    Ok(TypeKey::new(category, type_id as i32))
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
pub(super) fn portals_of(changes: &[(i64, PortalId)]) -> Vec<PortalId> {
    let mut portals: Vec<PortalId> = changes.iter().map(|(_, p)| *p).collect();
    portals.sort_unstable();
    portals.dedup();
    portals
}

/// The columns of an event that fan-out reads: its place and its kind.
const KIND_COLUMNS: &str = "e.change_id, e.idx, e.from_type, e.to_type, e.category, e.type_id";

/// The events of `n` changes (bound from `$1`) in event order, as `KIND_COLUMNS`.
pub(super) fn events_sql(n: usize) -> String {
    format!(
        "SELECT {KIND_COLUMNS} FROM outbox_events e WHERE e.change_id IN {}
         ORDER BY e.change_id, e.idx",
        id_list(1, n)
    )
}

/// A kind of event of a portal and the portal's targets it fires for: (portal, from type, to
/// type, category, type id, targets).
type Kind = (PortalId, Vec<u8>, Vec<u8>, Vec<u8>, i64, Vec<usize>);

/// Builds a plan from the events of some changes, one row of `KIND_COLUMNS` at a time.
pub(super) struct Planner {
    plan: Plan,
    portal_of: HashMap<i64, PortalId>,
    kinds: Vec<Kind>,
}

impl Planner {
    pub(super) fn new(
        targets: HashMap<PortalId, Vec<Target>>,
        changes: &[(i64, PortalId)],
    ) -> Self {
        Planner {
            plan: Plan {
                targets,
                groups: BTreeMap::new(),
            },
            portal_of: changes.iter().copied().collect(),
            kinds: Vec::new(),
        }
    }

    /// The changes whose events need reading: those of portals where some app subscribes.
    pub(super) fn wanted(&self, changes: &[(i64, PortalId)]) -> Vec<i64> {
        changes
            .iter()
            .filter(|(_, p)| self.plan.targets.contains_key(p))
            .map(|(c, _)| *c)
            .collect()
    }

    /// Adds one event (a row of `KIND_COLUMNS`) to the plan.
    pub(super) fn add(&mut self, row: &dyn Row) -> Result<(), Error> {
        let change = row.i64(0)?;
        let Some(&portal) = self.portal_of.get(&change) else {
            return Ok(());
        };
        let Some(targets) = self.plan.targets.get(&portal) else {
            return Ok(());
        };
        let (from, to, category) = (row.text_bytes(2)?, row.text_bytes(3)?, row.text_bytes(4)?);
        let type_id = row.i64(5)?;
        let known = self.kinds.iter().position(|k| {
            k.0 == portal && k.1 == from && k.2 == to && k.3 == category && k.4 == type_id
        });
        let at = match known {
            Some(at) => at,
            None => {
                let text = |b: &[u8]| std::str::from_utf8(b).unwrap_or("").to_string();
                let event = of_kind(&text(from), &text(to), type_key(category, type_id)?);
                let fired = (0..targets.len())
                    .filter(|&i| {
                        let t = &targets[i];
                        event.fires_for(&t.event_type, t.object_type_id.as_deref())
                    })
                    .collect();
                let kind = (portal, from.to_vec(), to.to_vec(), category.to_vec());
                self.kinds
                    .push((kind.0, kind.1, kind.2, kind.3, type_id, fired));
                self.kinds.len() - 1
            }
        };
        let idx = row.i64(1)?;
        for &t in &self.kinds[at].5 {
            let app = targets[t].app_id;
            let group = self.plan.groups.entry((app, portal)).or_default();
            group.push((change, idx, t));
        }
        Ok(())
    }

    pub(super) fn finish(self) -> Plan {
        self.plan
    }
}

/// Reads which app receives which event of `changes`. Changes of portals where no app
/// subscribes are not even read.
pub(super) async fn plan(
    conn: &mut AnyConnection,
    changes: &[(i64, PortalId)],
) -> Result<Plan, sqlx::Error> {
    let targets = targets(conn, &portals_of(changes)).await?;
    let mut planner = Planner::new(targets, changes);
    for chunk in planner.wanted(changes).chunks(500) {
        let sql = events_sql(chunk.len());
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q.bind(*c);
        }
        for row in q.fetch_all(&mut *conn).await? {
            planner
                .add(&row)
                .map_err(|e| sqlx::Error::Protocol(e.message))?;
        }
    }
    Ok(planner.finish())
}

/// SQLite: the same as `plan`, given the targets, with the events read in place on a read
/// connection (no value copied per column, no row sent between threads).
pub(super) fn plan_in_place(
    conn: &rusqlite::Connection,
    targets: HashMap<PortalId, Vec<Target>>,
    changes: &[(i64, PortalId)],
) -> Result<Plan, Error> {
    let mut planner = Planner::new(targets, changes);
    for chunk in planner.wanted(changes).chunks(500) {
        let sql = events_sql(chunk.len());
        let q = Query {
            sql: &sql,
            args: chunk.iter().map(|c| Arg::I64(*c)).collect(),
        };
        crate::read::for_each_row(conn, &q, |row| planner.add(row).map(|()| true))?;
    }
    Ok(planner.finish())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of `KIND_COLUMNS`.
    struct Kind(i64, i64, &'static str, &'static str, &'static str, i64);

    impl Row for Kind {
        fn i64(&self, col: usize) -> Result<i64, Error> {
            Ok([self.0, self.1, 0, 0, 0, self.5][col])
        }
        fn str(&self, col: usize) -> Result<String, Error> {
            Ok(String::from_utf8_lossy(self.text_bytes(col)?).into_owned())
        }
        fn text_bytes(&self, col: usize) -> Result<&[u8], Error> {
            Ok(["", "", self.2, self.3, self.4, ""][col].as_bytes())
        }
        fn opt_str(&self, col: usize) -> Result<Option<String>, Error> {
            self.str(col).map(Some)
        }
        fn opt_i64(&self, col: usize) -> Result<Option<i64>, Error> {
            self.i64(col).map(Some)
        }
    }

    fn target(app_id: AppId, subscription_id: SubscriptionId, event_type: &str) -> Target {
        Target {
            app_id,
            subscription_id,
            event_type: event_type.to_string(),
            object_type_id: None,
        }
    }

    #[test]
    fn each_event_goes_to_the_subscriptions_its_kind_fires_for_in_event_order() {
        let targets = HashMap::from([(
            1,
            vec![
                target(7, 70, "contact.associationChange"),
                target(7, 71, "company.associationChange"),
                target(8, 80, "contact.associationChange"),
            ],
        )]);
        let changes = [(5, 1), (6, 2)];
        let mut planner = Planner::new(targets, &changes);
        assert_eq!(
            planner.wanted(&changes),
            [5],
            "no app subscribes in portal 2"
        );
        let rows = [
            Kind(5, 0, "0-1", "0-2", "HUBSPOT_DEFINED", 279),
            Kind(5, 1, "0-2", "0-1", "HUBSPOT_DEFINED", 280),
            Kind(5, 2, "0-1", "0-2", "USER_DEFINED", 10_001), // a label: no legacy event
            Kind(5, 3, "0-1", "0-2", "HUBSPOT_DEFINED", 279),
            Kind(6, 0, "0-1", "0-2", "HUBSPOT_DEFINED", 279), // not wanted
        ];
        for r in &rows {
            planner.add(r).unwrap();
        }
        let plan = planner.finish();
        assert_eq!(plan.groups[&(7, 1)], [(5, 0, 0), (5, 1, 1), (5, 3, 0)]);
        assert_eq!(plan.groups[&(8, 1)], [(5, 0, 2), (5, 3, 2)]);
        assert_eq!(plan.groups.len(), 2);
        let bad = Kind(5, 4, "0-1", "0-2", "NOT_A_CATEGORY", 1);
        assert!(Planner::new(plan.targets, &changes).add(&bad).is_err());
    }
}
