//! Association change events: one per side of every association row a committed write adds or
//! removes (creating contact 1 -> company 2 with the default type gives a `contact` event 1 -> 2
//! and a `company` event 2 -> 1). The store writes them in the transaction of the change; the
//! webhook worker delivers them to the apps whose subscriptions match; the control plane lists
//! them. Which subscription an event fires for, and what HubSpot's payload says, are pure
//! functions here.

use crate::apps::{legacy_object, AppId, Subscription, SubscriptionId, OBJECT_ASSOCIATION_CHANGE};
use crate::records::TypeKey;
use crate::{builtin, Category, ObjectType, Pair, PortalId, RecordId};
use serde::Serialize;

/// Events one stored change holds at most; an event id is `change id * EVENTS_PER_CHANGE +
/// index`, so it says which change it came from and stays within JSON's exact integers.
pub const EVENTS_PER_CHANGE: i64 = 1_000_000;

pub fn event_id(change_id: i64, index: i64) -> i64 {
    change_id * EVENTS_PER_CHANGE + index
}

/// `(change id, index)` of an event id.
pub fn split_event_id(event_id: i64) -> (i64, i64) {
    (event_id / EVENTS_PER_CHANGE, event_id % EVENTS_PER_CHANGE)
}

/// Who made a change: HubSpot's `changeSource` and `sourceId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSource {
    pub change_source: &'static str,
    pub source_id: Option<String>,
}

impl ChangeSource {
    /// A call of HubSpot's API with a portal token (its public id).
    pub fn api(token_id: &str) -> Self {
        ChangeSource {
            change_source: "API",
            source_id: Some(format!("tokenId:{token_id}")),
        }
    }

    /// A fixture load (control plane, `--fixtures` or `assocd fixtures apply`).
    pub fn fixture() -> Self {
        ChangeSource {
            change_source: "IMPORT",
            source_id: Some("fixture".into()),
        }
    }

    /// A portal reset or delete (control plane or `assocd portal`).
    pub fn portal_reset() -> Self {
        ChangeSource {
            change_source: "INTERNAL_PROCESSING",
            source_id: Some("portalReset".into()),
        }
    }
}

/// One change of one association row, seen from the record whose row it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    pub event_id: i64,
    pub portal_id: PortalId,
    /// Epoch milliseconds (the store's clock at the change).
    pub occurred_at: i64,
    pub change_source: String,
    pub source_id: Option<String>,
    pub from_type: ObjectType,
    pub from_id: RecordId,
    pub to_type: ObjectType,
    pub to_id: RecordId,
    pub key: TypeKey,
    pub removed: bool,
}

/// The object types HubSpot's per-object ("legacy") association events cover.
const LEGACY_OBJECTS: [&str; 5] = ["0-1", "0-2", "0-3", "0-5", "0-8"];

impl ChangeEvent {
    /// HubSpot's `associationType`: `CONTACT_TO_COMPANY` (custom objects by type id:
    /// `CONTACT_TO_2-123`).
    pub fn association_type(&self) -> String {
        format!(
            "{}_TO_{}",
            self.from_type.display_name(),
            self.to_type.display_name()
        )
    }

    /// A HUBSPOT_DEFINED type labelled `Primary`.
    pub fn is_primary(&self) -> bool {
        self.key.category == Category::HubspotDefined
            && builtin::get(self.key.type_id).is_some_and(|t| t.label.as_deref() == Some("Primary"))
    }

    /// The pair's plain (unlabeled) built-in type.
    pub fn is_plain(&self) -> bool {
        let pair = Pair::new(self.from_type.clone(), self.to_type.clone());
        self.key.category == Category::HubspotDefined
            && builtin::default_for(&pair).is_some_and(|t| t.type_id == self.key.type_id)
    }

    /// Whether an active subscription of `event_type` (with `object_type_id` for `object.*`)
    /// receives this event:
    /// - `<object>.associationChange`: rows of that object to another of the five legacy
    ///   objects, of the plain type or a primary type (labels are not legacy types);
    /// - `object.associationChange`: every row of the subscription's object type.
    pub fn fires_for(&self, event_type: &str, object_type_id: Option<&str>) -> bool {
        if event_type == OBJECT_ASSOCIATION_CHANGE {
            return object_type_id.is_some_and(|t| t == self.from_type.as_str());
        }
        match legacy_object(event_type) {
            Some(object) => {
                object == self.from_type
                    && LEGACY_OBJECTS.contains(&self.to_type.as_str())
                    && (self.is_plain() || self.is_primary())
            }
            None => false,
        }
    }

    /// Whether `s` (active or not) matches this event.
    pub fn matches(&self, s: &Subscription) -> bool {
        self.fires_for(&s.event_type, s.object_type_id.as_deref())
    }
}

/// One event as HubSpot POSTs it to a target URL (an element of the JSON array).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EventPayload {
    pub event_id: i64,
    pub subscription_id: SubscriptionId,
    pub portal_id: PortalId,
    pub app_id: AppId,
    pub occurred_at: i64,
    pub subscription_type: String,
    pub attempt_number: i64,
    pub change_source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    pub association_type: String,
    pub from_object_id: RecordId,
    pub to_object_id: RecordId,
    pub association_removed: bool,
    pub is_primary_association: bool,
    /// `object.associationChange` only, like the three after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_object_type_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_object_type_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association_type_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association_category: Option<&'static str>,
}

impl EventPayload {
    /// The payload of `event` for one subscription of one app, at one attempt.
    pub fn new(
        event: &ChangeEvent,
        app_id: AppId,
        subscription_id: SubscriptionId,
        subscription_type: &str,
        attempt_number: i64,
    ) -> Self {
        let generic = subscription_type == OBJECT_ASSOCIATION_CHANGE;
        EventPayload {
            event_id: event.event_id,
            subscription_id,
            portal_id: event.portal_id,
            app_id,
            occurred_at: event.occurred_at,
            subscription_type: subscription_type.to_string(),
            attempt_number,
            change_source: event.change_source.clone(),
            source_id: event.source_id.clone(),
            association_type: event.association_type(),
            from_object_id: event.from_id,
            to_object_id: event.to_id,
            association_removed: event.removed,
            is_primary_association: event.is_primary(),
            from_object_type_id: generic.then(|| event.from_type.to_string()),
            to_object_type_id: generic.then(|| event.to_type.to_string()),
            association_type_id: generic.then_some(i64::from(event.key.type_id)),
            association_category: generic.then(|| event.key.category.as_str()),
        }
    }
}

/// Where a read of the event feed continues: after event `event_id` of dispatch round `round`.
/// Its text form is `<round>.<eventId>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedCursor {
    pub round: i64,
    pub event_id: i64,
}

impl FeedCursor {
    pub fn to_text(self) -> String {
        format!("{}.{}", self.round, self.event_id)
    }

    pub fn from_text(text: &str) -> Option<FeedCursor> {
        let (round, event) = text.split_once('.')?;
        let parse = |s: &str| s.parse::<i64>().ok().filter(|v| *v >= 0);
        Some(FeedCursor {
            round: parse(round)?,
            event_id: parse(event)?,
        })
    }
}

/// What to list of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter {
    pub portal: Option<PortalId>,
    pub after: Option<FeedCursor>,
    pub limit: usize,
}

/// One attempt to deliver an event, as the feed shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub app_id: AppId,
    pub subscription_id: SubscriptionId,
    /// Epoch milliseconds (real time).
    pub at: i64,
    /// The target's HTTP status; `None` when no answer came (connection error, timeout).
    pub status: Option<u16>,
    pub attempt_number: i64,
    pub error: Option<String>,
    /// `PENDING`, `DELIVERED` or `FAILED`: where the delivery stands now.
    pub state: String,
}

/// An event of the feed with its delivery attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub cursor: FeedCursor,
    pub event: ChangeEvent,
    pub deliveries: Vec<DeliveryAttempt>,
}

/// A page of the feed; `next` when more events were kept at the time of the read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventPage {
    pub results: Vec<FeedEntry>,
    pub next: Option<FeedCursor>,
}

/// A delivery (at most 100 events of one portal for one app) claimed for one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedBatch {
    pub batch_id: i64,
    pub app_id: AppId,
    pub portal_id: PortalId,
    /// `attemptNumber` of this try (0 the first time).
    pub attempt: i64,
    pub target_url: String,
    pub client_secret: String,
    /// The events, each with the subscription (id and event type) it goes out for.
    pub items: Vec<(ChangeEvent, SubscriptionId, String)>,
}

/// What a claim step found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub batches: Vec<ClaimedBatch>,
    /// When the earliest delivery that was not claimed is due (epoch ms, real time).
    pub next_due: Option<i64>,
}

/// Where a delivery goes after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx: the events leave the outbox.
    Delivered,
    /// Try again at this time (epoch ms, real time) with the next `attemptNumber`.
    Retry { at: i64 },
    /// The last retry failed too: kept as failed.
    Failed,
}

/// The result of one attempt, for the store to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    pub batch_id: i64,
    /// The `attemptNumber` that was sent.
    pub attempt: i64,
    /// When the attempt ended (epoch ms, real time).
    pub at: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub outcome: Outcome,
}

/// What one dispatch step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tick {
    /// Changes given a dispatch round (now in the feed).
    pub changes: usize,
    /// Their events.
    pub events: usize,
    /// Deliveries (batches of at most 100 events for one app) created.
    pub batches: usize,
    /// Whether undispatched changes remain.
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(from: &str, to: &str, category: Category, type_id: i32) -> ChangeEvent {
        ChangeEvent {
            event_id: event_id(7, 3),
            portal_id: 1,
            occurred_at: 1_700_000_000_000,
            change_source: "API".into(),
            source_id: None,
            from_type: ObjectType::parse(from).unwrap(),
            from_id: 1,
            to_type: ObjectType::parse(to).unwrap(),
            to_id: 2,
            key: TypeKey::new(category, type_id),
            removed: false,
        }
    }

    #[test]
    fn event_ids_name_their_change() {
        assert_eq!(event_id(7, 3), 7_000_003);
        assert_eq!(split_event_id(7_000_003), (7, 3));
    }

    #[test]
    fn legacy_subscriptions_fire_for_plain_and_primary_types_of_their_object() {
        let plain = event("contacts", "companies", Category::HubspotDefined, 279);
        assert_eq!(plain.association_type(), "CONTACT_TO_COMPANY");
        assert!(plain.fires_for("contact.associationChange", None));
        assert!(!plain.fires_for("company.associationChange", None));
        assert!(!plain.is_primary());
        let primary = event("contacts", "companies", Category::HubspotDefined, 1);
        assert!(primary.is_primary());
        assert!(primary.fires_for("contact.associationChange", None));
        let label = event("contacts", "companies", Category::UserDefined, 10_000);
        assert!(!label.fires_for("contact.associationChange", None));
        assert!(label.fires_for("object.associationChange", Some("0-1")));
        assert!(!label.fires_for("object.associationChange", Some("0-2")));
        let note = event("contacts", "notes", Category::HubspotDefined, 201);
        assert!(!note.fires_for("contact.associationChange", None));
        assert!(!plain.fires_for("contact.creation", None));
    }

    #[test]
    fn generic_payloads_carry_the_type_fields_and_legacy_ones_do_not() {
        let e = event("deals", "line_items", Category::HubspotDefined, 19);
        let legacy =
            serde_json::to_value(EventPayload::new(&e, 5, 9, "deal.associationChange", 2)).unwrap();
        assert_eq!(legacy["associationType"], "DEAL_TO_LINE_ITEM");
        assert_eq!(legacy["attemptNumber"], 2);
        assert!(legacy.get("associationTypeId").is_none());
        let generic =
            serde_json::to_value(EventPayload::new(&e, 5, 9, "object.associationChange", 0))
                .unwrap();
        assert_eq!(generic["fromObjectTypeId"], "0-3");
        assert_eq!(generic["toObjectTypeId"], "0-8");
        assert_eq!(generic["associationTypeId"], 19);
        assert_eq!(generic["associationCategory"], "HUBSPOT_DEFINED");
    }

    #[test]
    fn cursors_round_trip() {
        let c = FeedCursor {
            round: 4,
            event_id: 12_000_001,
        };
        assert_eq!(FeedCursor::from_text(&c.to_text()), Some(c));
        assert_eq!(FeedCursor::from_text("x.1"), None);
        assert_eq!(FeedCursor::from_text("1"), None);
    }
}
