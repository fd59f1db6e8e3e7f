//! The request body of a delivery: the JSON array of HubSpot's payloads, written straight from
//! the claimed events. These are the bytes `serde_json` writes for `EventPayload`s (a test
//! holds them equal) without building four strings per event and escaping every key: under
//! writes with subscriptions on, serde's path was a fifth of delivery's instructions.

use assocd_core::apps::OBJECT_ASSOCIATION_CHANGE;
use assocd_core::events::{ChangeEvent, ClaimedBatch};
use assocd_core::json::{write_bool, write_int, write_str};

/// Bytes per event of a typical body, to size the buffer once.
const EVENT_BYTES: usize = 420;

/// The body of `batch` at its attempt.
pub fn body(batch: &ClaimedBatch) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + batch.items.len() * EVENT_BYTES);
    // `associationType` and `isPrimaryAssociation` depend on the event's kind only, and a
    // batch's events are of a few kinds: keep the last kind's.
    let mut last: Option<(&ChangeEvent, String, bool)> = None;
    out.push(b'[');
    for (i, (event, subscription, kind)) in batch.items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let fresh = || (event, event.association_type(), event.is_primary());
        let kind_of = last.get_or_insert_with(fresh);
        if !same_kind(kind_of.0, event) {
            *kind_of = fresh();
        }
        let (association_type, primary) = (&kind_of.1, kind_of.2);
        out.extend_from_slice(br#"{"eventId":"#);
        write_int(&mut out, event.event_id);
        out.extend_from_slice(br#","subscriptionId":"#);
        write_int(&mut out, *subscription);
        out.extend_from_slice(br#","portalId":"#);
        write_int(&mut out, event.portal_id);
        out.extend_from_slice(br#","appId":"#);
        write_int(&mut out, batch.app_id);
        out.extend_from_slice(br#","occurredAt":"#);
        write_int(&mut out, event.occurred_at);
        out.extend_from_slice(br#","subscriptionType":"#);
        write_str(&mut out, kind);
        out.extend_from_slice(br#","attemptNumber":"#);
        write_int(&mut out, batch.attempt);
        out.extend_from_slice(br#","changeSource":"#);
        write_str(&mut out, &event.change_source);
        if let Some(source) = &event.source_id {
            out.extend_from_slice(br#","sourceId":"#);
            write_str(&mut out, source);
        }
        out.extend_from_slice(br#","associationType":"#);
        write_str(&mut out, association_type);
        out.extend_from_slice(br#","fromObjectId":"#);
        write_int(&mut out, event.from_id);
        out.extend_from_slice(br#","toObjectId":"#);
        write_int(&mut out, event.to_id);
        out.extend_from_slice(br#","associationRemoved":"#);
        write_bool(&mut out, event.removed);
        out.extend_from_slice(br#","isPrimaryAssociation":"#);
        write_bool(&mut out, primary);
        if kind == OBJECT_ASSOCIATION_CHANGE {
            out.extend_from_slice(br#","fromObjectTypeId":"#);
            write_str(&mut out, event.from_type.as_str());
            out.extend_from_slice(br#","toObjectTypeId":"#);
            write_str(&mut out, event.to_type.as_str());
            out.extend_from_slice(br#","associationTypeId":"#);
            write_int(&mut out, i64::from(event.key.type_id));
            out.extend_from_slice(br#","associationCategory":"#);
            write_str(&mut out, event.key.category.as_str());
        }
        out.push(b'}');
    }
    out.push(b']');
    out
}

/// Whether two events have the same `associationType` and `isPrimaryAssociation`.
fn same_kind(a: &ChangeEvent, b: &ChangeEvent) -> bool {
    a.key == b.key && a.from_type == b.from_type && a.to_type == b.to_type
}

#[cfg(test)]
mod tests {
    use super::body;
    use assocd_core::events::{ChangeEvent, ClaimedBatch, EventPayload};
    use assocd_core::records::TypeKey;
    use assocd_core::{Category, ObjectType};

    fn event(n: i64, from: &str, to: &str, key: TypeKey, source: Option<&str>) -> ChangeEvent {
        ChangeEvent {
            event_id: 7_000_000 + n,
            portal_id: 123_456,
            occurred_at: 1_764_600_000_000 + n,
            change_source: if source.is_some() {
                "API"
            } else {
                "INTERNAL\"x"
            }
            .into(),
            source_id: source.map(str::to_string),
            from_type: ObjectType::from_stored(from),
            from_id: 9_007_199_254_740_993 + n,
            to_type: ObjectType::from_stored(to),
            to_id: n,
            key,
            removed: n % 3 == 0,
        }
    }

    #[test]
    fn the_body_is_what_serde_writes_for_the_payloads() {
        let plain = TypeKey::new(Category::HubspotDefined, 279);
        let primary = TypeKey::new(Category::HubspotDefined, 1);
        let label = TypeKey::new(Category::UserDefined, 512);
        let items = [
            (
                event(1, "0-1", "0-2", plain, Some("tokenId:a")),
                11,
                "contact.associationChange",
            ),
            (
                event(2, "0-1", "0-2", plain, Some("tokenId:a")),
                11,
                "contact.associationChange",
            ),
            (
                event(3, "0-1", "0-2", primary, None),
                12,
                "object.associationChange",
            ),
            (
                event(4, "0-2", "0-1", label, Some("fix\\ture\n")),
                12,
                "object.associationChange",
            ),
            (
                event(5, "2-99", "0-1", label, Some("é")),
                13,
                "object.associationChange",
            ),
            (
                event(6, "0-1", "0-2", plain, None),
                11,
                "contact.associationChange",
            ),
        ];
        for attempt in [0, 4] {
            let batch = ClaimedBatch {
                batch_id: 1,
                app_id: 2_000_001,
                portal_id: 123_456,
                attempt,
                target_url: "http://127.0.0.1:1/hook".into(),
                client_secret: "s".into(),
                items: items
                    .iter()
                    .map(|(e, s, k)| (e.clone(), *s, k.to_string()))
                    .collect(),
            };
            let payloads: Vec<EventPayload> = batch
                .items
                .iter()
                .map(|(e, s, k)| EventPayload::new(e, batch.app_id, *s, k, attempt))
                .collect();
            let expected = serde_json::to_vec(&payloads).unwrap();
            assert_eq!(
                String::from_utf8(body(&batch)).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
        let empty = ClaimedBatch {
            batch_id: 1,
            app_id: 1,
            portal_id: 1,
            attempt: 0,
            target_url: String::new(),
            client_secret: String::new(),
            items: Vec::new(),
        };
        assert_eq!(body(&empty), b"[]");
    }
}
