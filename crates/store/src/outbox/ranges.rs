//! Which events a delivery holds, as ranges (migration 0009): one `outbox_ranges` row per
//! batch and subscription names the batch's events for that subscription as a span of event
//! ids of the batch's portal and dispatch round, narrowed to the events that fire for the
//! subscription. Dispatch writes a handful of rows per batch instead of one per event and
//! subscription (`outbox_members`, still read for batches of earlier releases).

use crate::associations::Marks;

use crate::{get_i64, get_opt_str, get_str, Backend};
use assocd_core::apps::SubscriptionId;
use assocd_core::events::{split_event_id, ChangeEvent};
use assocd_core::Error;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// `state IN` this: a try is due. QUEUED batches name their events by ranges; PENDING ones
/// (of releases before 0009) in `outbox_members`. Older releases claim only PENDING, so they
/// never send a batch whose events they cannot read.
pub(crate) const OPEN: &str = "('PENDING', 'QUEUED')";
/// The state of a batch this release queues.
pub(crate) const QUEUED: &str = "QUEUED";

/// Range columns as `Range::from_row` reads them (prefix `r.`).
pub(crate) const RANGE_COLUMNS: &str = "r.batch_id, r.subscription_id, r.subscription_type, \
     r.object_type_id, r.filtered, r.dispatch_round AS range_round, r.first_change, \
     r.first_idx, r.last_change, r.last_idx";

/// The events of one batch for one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Range {
    pub subscription_id: SubscriptionId,
    /// The subscription's event type, as it was at dispatch.
    pub subscription_type: String,
    /// `object.associationChange`: the subscription's object type, as it was at dispatch.
    pub object_type_id: Option<String>,
    /// Only the events that fire for the subscription (dispatch); else every event in the
    /// span (a redelivery of one event).
    pub filtered: bool,
    /// The dispatch round of the span's events (`filtered` ranges).
    pub round: Option<i64>,
    /// `(change id, index)` of the first and the last event, both included.
    pub first: (i64, i64),
    pub last: (i64, i64),
}

impl Range {
    /// A range of one event.
    pub fn one(
        event: &ChangeEvent,
        round: Option<i64>,
        subscription_id: SubscriptionId,
        subscription_type: String,
    ) -> Range {
        let at = split_event_id(event.event_id);
        Range {
            subscription_id,
            subscription_type,
            object_type_id: None,
            filtered: false,
            round,
            first: at,
            last: at,
        }
    }

    pub fn from_row(row: &AnyRow) -> Result<Range, sqlx::Error> {
        Ok(Range {
            subscription_id: get_i64(row, "subscription_id")?,
            subscription_type: get_str(row, "subscription_type")?,
            object_type_id: get_opt_str(row, "object_type_id")?,
            filtered: get_i64(row, "filtered")? != 0,
            round: row.try_get::<Option<i64>, _>("range_round")?,
            first: (get_i64(row, "first_change")?, get_i64(row, "first_idx")?),
            last: (get_i64(row, "last_change")?, get_i64(row, "last_idx")?),
        })
    }

    /// The range's columns by position (the first ten of `RANGE_COLUMNS`' order).
    pub fn at(row: &dyn crate::read::Row) -> Result<Range, Error> {
        Ok(Range {
            subscription_id: row.i64(1)?,
            subscription_type: row.str(2)?,
            object_type_id: row.opt_str(3)?,
            filtered: row.i64(4)? != 0,
            round: row.opt_i64(5)?,
            first: (row.i64(6)?, row.i64(7)?),
            last: (row.i64(8)?, row.i64(9)?),
        })
    }

    /// Whether `event`, of the batch's portal and dispatched in `round`, is one of the range.
    pub fn holds(&self, event: &ChangeEvent, round: Option<i64>) -> bool {
        self.covers(split_event_id(event.event_id), round)
            && (!self.filtered
                || event.fires_for(&self.subscription_type, self.object_type_id.as_deref()))
    }

    /// Whether the event at `(change id, index)`, dispatched in `round`, is in the span (and,
    /// for a filtered range, of its round): `holds` short of asking whether it fires.
    pub fn covers(&self, at: (i64, i64), round: Option<i64>) -> bool {
        at >= self.first
            && at <= self.last
            && (!self.filtered || (round.is_some() && round == self.round))
    }
}

/// The ranges of a batch whose members are `members` (`(change, index, subscription, type,
/// object type)` in event order), all of the portal's events of `round` that fire for their
/// subscription: one range per subscription, from its first member to its last.
pub(crate) fn ranges_of<'a>(
    members: impl IntoIterator<Item = (i64, i64, SubscriptionId, &'a str, Option<&'a str>)>,
    round: i64,
) -> Vec<Range> {
    let mut out: Vec<Range> = Vec::new();
    for (change, idx, sub, kind, object) in members {
        match out.iter_mut().find(|r| r.subscription_id == sub) {
            Some(r) => r.last = (change, idx),
            None => out.push(Range {
                subscription_id: sub,
                subscription_type: kind.to_string(),
                object_type_id: object.map(str::to_string),
                filtered: true,
                round: Some(round),
                first: (change, idx),
                last: (change, idx),
            }),
        }
    }
    out
}

/// Writes the ranges of `batch_id` inside the caller's transaction.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    backend: Backend,
    batch_id: i64,
    ranges: &[Range],
) -> Result<(), sqlx::Error> {
    // 10 binds per row: well under both engines' limits for the ranges of one batch.
    for chunk in ranges.chunks(100) {
        let mut m = Marks::new(backend);
        let rows: Vec<String> = chunk.iter().map(|_| m.tuple(10)).collect();
        let sql = format!(
            "INSERT INTO outbox_ranges (batch_id, subscription_id, subscription_type,
                 object_type_id, filtered, dispatch_round, first_change, first_idx, last_change,
                 last_idx)
             VALUES {} ON CONFLICT DO NOTHING",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(batch_id)
                .bind(r.subscription_id)
                .bind(r.subscription_type.as_str())
                .bind(r.object_type_id.clone())
                .bind(i64::from(r.filtered))
                .bind(r.round)
                .bind(r.first.0)
                .bind(r.first.1)
                .bind(r.last.0)
                .bind(r.last.1);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Reads the events of batches `ids` named by ranges: binds the ids. Rows carry
/// `RANGE_COLUMNS`, the change's `dispatch_round` and `EVENT_COLUMNS`; the span, the portal
/// and the round are checked here, whether an event fires for the subscription by `holds`.
pub(crate) fn events_sql(ids: &str) -> String {
    format!(
        "SELECT {RANGE_COLUMNS}, c.dispatch_round, {}
         FROM outbox_ranges r
         JOIN outbox_batches b ON b.batch_id = r.batch_id
         JOIN outbox_changes c ON c.change_id BETWEEN r.first_change AND r.last_change
             AND c.portal_id = b.portal_id
         JOIN outbox_events e ON e.change_id = c.change_id
         WHERE r.batch_id IN {ids}
           AND (e.change_id > r.first_change OR e.idx >= r.first_idx)
           AND (e.change_id < r.last_change OR e.idx <= r.last_idx)
           AND (r.filtered = 0 OR c.dispatch_round = r.dispatch_round)
           AND (r.filtered = 0 OR e.from_type = CASE r.subscription_type {} ELSE e.from_type END)",
        super::feed::EVENT_COLUMNS,
        legacy_objects()
    )
}

/// `WHEN '<legacy event type>' THEN '<its object type>' ...`: a legacy subscription receives
/// only events of its object's rows, so the read skips the other side of every change (a
/// range spans both) before `holds` decides the rest.
fn legacy_objects() -> String {
    assocd_core::apps::LEGACY_ASSOCIATION_TYPES
        .iter()
        .map(|(name, object)| format!("WHEN '{name}' THEN '{object}' "))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_has_one_range_per_subscription_from_its_first_member_to_its_last() {
        let members = [
            (5, 0, 1, "contact.associationChange", None),
            (5, 1, 2, "company.associationChange", None),
            (5, 2, 1, "contact.associationChange", None),
            (6, 0, 2, "company.associationChange", None),
        ];
        let ranges = ranges_of(members, 9);
        assert_eq!(ranges.len(), 2);
        assert_eq!((ranges[0].first, ranges[0].last), ((5, 0), (5, 2)));
        assert_eq!((ranges[1].first, ranges[1].last), ((5, 1), (6, 0)));
        assert!(ranges.iter().all(|r| r.filtered && r.round == Some(9)));
    }
}
