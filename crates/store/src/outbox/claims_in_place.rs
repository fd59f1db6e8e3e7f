//! SQLite: the reads of a claim on a read connection in place (`crate::read`), with values
//! read by position and only for the rows that are used. Through sqlx, every value of every row
//! was copied and every row sent between threads: under R5 with subscriptions on, these reads
//! and the fan-out's were most of the worker's instructions (docs/benchmarks.md).
//! - `pick_due`: the due batches to send now, within each app's cap, reading due rows only
//!   until `max` are picked or every app is at its cap (a backlog of thousands of batches used
//!   to be read 5,000 rows at a time at every step);
//! - `ranged_items`: the events of batches named by ranges, each decoded only once it is known
//!   to be one of its batch's (a range spans the events of both sides of a change, and a
//!   subscription receives one side).

use super::claims::Picked;
use super::dispatch::id_list;
use super::fan_out::{of_kind, type_key};
use super::feed::event_at;
use super::ranges::{events_sql, Range, OPEN};
use crate::read::{for_each_row, Arg, Query, Row, SqliteReaders};
use assocd_core::apps::{AppId, SubscriptionId};
use assocd_core::events::ChangeEvent;
use assocd_core::Error;
use std::collections::HashMap;

/// Due batches looked at per claim at most.
const SCAN: i64 = 5000;

/// Which due batches a claim takes, offered one at a time in due order.
pub(super) struct Picker<'a> {
    /// `maxConcurrentRequests` of each app with webhook settings.
    caps: &'a HashMap<AppId, i64>,
    /// Batches this process holds (batch -> app); picked ones are added.
    held: &'a mut HashMap<i64, AppId>,
    in_flight: HashMap<AppId, i64>,
    /// Apps at their cap.
    full: usize,
    max: usize,
    pub picked: Vec<Picked>,
}

impl<'a> Picker<'a> {
    pub fn new(
        caps: &'a HashMap<AppId, i64>,
        held: &'a mut HashMap<i64, AppId>,
        max: usize,
    ) -> Self {
        let mut in_flight: HashMap<AppId, i64> = HashMap::new();
        for app in held.values() {
            *in_flight.entry(*app).or_default() += 1;
        }
        let full = caps
            .iter()
            .filter(|(app, cap)| in_flight.get(app).copied().unwrap_or(0) >= **cap)
            .count();
        Picker {
            caps,
            held,
            in_flight,
            full,
            max,
            picked: Vec::new(),
        }
    }

    /// Whether another batch could still be taken.
    pub fn wants_more(&self) -> bool {
        self.picked.len() < self.max && self.full < self.caps.len()
    }

    /// Takes `batch` unless it is held already or its app has no settings or is at its cap.
    pub fn offer(&mut self, (batch, app, portal, attempt): Picked) {
        let Some(cap) = self.caps.get(&app) else {
            return;
        };
        let busy = self.in_flight.entry(app).or_default();
        if self.held.contains_key(&batch) || *busy >= *cap {
            return;
        }
        *busy += 1;
        if *busy >= *cap {
            self.full += 1;
        }
        self.held.insert(batch, app);
        self.picked.push((batch, app, portal, attempt));
    }
}

/// Picks due batches (`(batch, app, portal, attempt)`) in due order (see `Picker`), reading
/// due rows only while another could be taken.
pub(super) fn pick_due(
    readers: &SqliteReaders,
    now: i64,
    max: usize,
    caps: &HashMap<AppId, i64>,
    held: &mut HashMap<i64, AppId>,
) -> Result<Vec<Picked>, Error> {
    let mut picker = Picker::new(caps, held, max);
    if !picker.wants_more() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT batch_id, app_id, portal_id, attempt FROM outbox_batches
         WHERE state IN {OPEN} AND next_at <= $1 ORDER BY next_at, batch_id LIMIT {SCAN}"
    );
    let q = Query {
        sql: &sql,
        args: vec![Arg::I64(now)],
    };
    readers.with_conn(false, |conn| {
        for_each_row(conn, &q, |row| {
            picker.offer((row.i64(0)?, row.i64(1)?, row.i64(2)?, row.i64(3)?));
            Ok(picker.wants_more())
        })
    })?;
    Ok(picker.picked)
}

/// One event of a claimed batch: `(batch id, event, subscription id, subscription type)`.
pub(super) type Item = (i64, ChangeEvent, SubscriptionId, String);

/// A range's key in `outbox_ranges` (batch, subscription, first event).
type RangeKey = (i64, i64, i64, i64);

/// A kind of event for a subscription, and whether it fires: (subscription type, object type,
/// from type, to type, category, type id, fires).
type Kind = (String, Option<String>, Vec<u8>, Vec<u8>, Vec<u8>, i64, bool);

/// The events of the ranged batches `ids`, read in place (`ranges::events_sql`'s columns:
/// the range's ten, the change's round, then the event's).
pub(super) fn ranged_items(conn: &rusqlite::Connection, ids: &[i64]) -> Result<Vec<Item>, Error> {
    let mut items = Vec::new();
    let mut range: Option<(RangeKey, Range)> = None;
    let mut kinds: Vec<Kind> = Vec::new();
    for chunk in ids.chunks(500) {
        let sql = events_sql(&id_list(1, chunk.len()));
        let q = Query {
            sql: &sql,
            args: chunk.iter().map(|b| Arg::I64(*b)).collect(),
        };
        for_each_row(conn, &q, |row| {
            let key = (row.i64(0)?, row.i64(1)?, row.i64(6)?, row.i64(7)?);
            if range.as_ref().is_none_or(|(k, _)| *k != key) {
                range = Some((key, Range::at(row)?));
            }
            let Some((_, r)) = &range else {
                return Ok(true);
            };
            let at = (row.i64(11)?, row.i64(12)?);
            if !r.covers(at, row.opt_i64(10)?) {
                return Ok(true);
            }
            if r.filtered && !fires(&mut kinds, r, row)? {
                return Ok(true);
            }
            let event = event_at(row, 11)?;
            items.push((key.0, event, r.subscription_id, r.subscription_type.clone()));
            Ok(true)
        })?;
    }
    Ok(items)
}

/// Whether the event of `row` fires for the subscription of `range`, decided once per kind.
fn fires(kinds: &mut Vec<Kind>, range: &Range, row: &dyn Row) -> Result<bool, Error> {
    let (from, to, category) = (
        row.text_bytes(17)?,
        row.text_bytes(18)?,
        row.text_bytes(21)?,
    );
    let type_id = row.i64(22)?;
    let object = range.object_type_id.as_deref();
    let known = kinds.iter().find(|k| {
        k.0 == range.subscription_type
            && k.1.as_deref() == object
            && k.2 == from
            && k.3 == to
            && k.4 == category
            && k.5 == type_id
    });
    if let Some(k) = known {
        return Ok(k.6);
    }
    let text = |b: &[u8]| std::str::from_utf8(b).unwrap_or("").to_string();
    let event = of_kind(&text(from), &text(to), type_key(category, type_id)?);
    let fired = event.fires_for(&range.subscription_type, object);
    kinds.push((
        range.subscription_type.clone(),
        range.object_type_id.clone(),
        from.to_vec(),
        to.to_vec(),
        category.to_vec(),
        type_id,
        fired,
    ));
    Ok(fired)
}

#[cfg(test)]
mod tests {
    use super::Picker;
    use std::collections::HashMap;

    #[test]
    fn a_claim_takes_due_batches_up_to_each_apps_cap_and_skips_held_ones() {
        let caps = HashMap::from([(1, 2), (2, 1)]);
        let mut held = HashMap::from([(10, 1)]);
        let mut p = Picker::new(&caps, &mut held, 10);
        p.offer((10, 1, 5, 0)); // held already
        p.offer((11, 3, 5, 0)); // no settings
        p.offer((12, 1, 5, 0));
        assert!(p.wants_more());
        p.offer((13, 1, 5, 0)); // app 1 at its cap of 2
        p.offer((14, 2, 5, 1));
        assert!(!p.wants_more(), "every app is at its cap");
        let ids: Vec<i64> = p.picked.iter().map(|b| b.0).collect();
        assert_eq!(ids, [12, 14]);
        assert_eq!(held.len(), 3);
    }

    #[test]
    fn a_claim_stops_at_max_and_takes_nothing_when_every_app_is_full() {
        let caps = HashMap::from([(1, 10)]);
        let mut held = HashMap::new();
        let mut p = Picker::new(&caps, &mut held, 1);
        p.offer((1, 1, 5, 0));
        assert!(!p.wants_more());
        let caps = HashMap::from([(1, 1)]);
        let mut held = HashMap::from([(1, 1)]);
        assert!(!Picker::new(&caps, &mut held, 5).wants_more());
    }
}
