//! Change events: which writes make which events (one per side of every association row added
//! or removed), what they say, and the feed that lists them.

use super::feed::{all_events, events_until, settled, sides};
use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

const CC: &str = "/crm/v4/associations/contacts/companies";

fn s(t: &str) -> String {
    t.to_string()
}

#[tokio::test]
async fn creating_an_association_gives_one_event_per_side_with_hubspots_fields() {
    let app = spawn_app().await;
    let frozen = "2026-03-04T05:06:07.089Z";
    let c = app
        .admin(Method::PUT, "/_assocd/clock", Some(json!({"now": frozen})))
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let a = app
        .put(
            "/crm/v4/objects/contacts/1/associations/default/companies/2",
            json!(null),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let events = settled(&app, PORTAL, 2).await;
    assert_eq!(
        sides(&events),
        vec![
            (s("0-1"), 1, s("0-2"), 2, 279, false),
            (s("0-2"), 2, s("0-1"), 1, 280, false)
        ]
    );
    let e = &events[0];
    assert!(e["eventId"].is_i64(), "{e}");
    assert_eq!(e["portalId"], PORTAL);
    assert_eq!(e["occurredAt"], 1_772_600_767_089_i64);
    assert_eq!(e["changeSource"], "API");
    let token_id = assocd_core::token::public_id(&assocd_core::token::hash_secret(TOKEN));
    assert_eq!(e["sourceId"], format!("tokenId:{token_id}"));
    assert_eq!(e["associationType"], "CONTACT_TO_COMPANY");
    assert_eq!(events[1]["associationType"], "COMPANY_TO_CONTACT");
    assert_eq!(e["associationCategory"], "HUBSPOT_DEFINED");
    assert_eq!(e["isPrimaryAssociation"], false);
    assert_eq!(e["deliveries"], json!([]));
    assert!(events[1]["eventId"].as_i64() > e["eventId"].as_i64());

    // Writing what is already there changes nothing: no event.
    let again = app
        .put(
            "/crm/v4/objects/contacts/1/associations/default/companies/2",
            json!(null),
        )
        .await;
    assert_eq!(again.status, 200);
    settled(&app, PORTAL, 2).await;
}

#[tokio::test]
async fn labels_primary_types_and_removals_are_events_per_row() {
    let app = spawn_app().await;
    let created = app
        .post(
            &format!("{CC}/labels"),
            json!({"name": "boss", "label": "Boss", "inverseLabel": "Staff"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let boss = created.body["results"][0]["typeId"].as_i64().unwrap();
    let staff = created.body["results"][1]["typeId"].as_i64().unwrap();
    // R5 with the label and the primary type: plain, primary and label rows on each side.
    let body = json!({"inputs": [{"from": {"id": "5"}, "to": {"id": "6"}, "types": [
        {"associationCategory": "USER_DEFINED", "associationTypeId": boss},
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]}]});
    let a = app.post(&format!("{CC}/batch/create"), body).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let events = settled(&app, PORTAL, 6).await;
    let mut got = sides(&events);
    got.sort();
    let mut want = vec![
        (s("0-1"), 5, s("0-2"), 6, 1, false),
        (s("0-1"), 5, s("0-2"), 6, 279, false),
        (s("0-1"), 5, s("0-2"), 6, boss, false),
        (s("0-2"), 6, s("0-1"), 5, 2, false),
        (s("0-2"), 6, s("0-1"), 5, 280, false),
        (s("0-2"), 6, s("0-1"), 5, staff, false),
    ];
    want.sort();
    assert_eq!(got, want);
    let primary: Vec<_> = events
        .iter()
        .filter(|e| e["isPrimaryAssociation"] == true)
        .map(|e| e["associationTypeId"].as_i64().unwrap())
        .collect();
    assert_eq!(primary.len(), 2, "types 1 and 2 are primary: {primary:?}");

    // R8 removes the label only: two events, both removals.
    let body = json!({"inputs": [{"from": {"id": "5"}, "to": {"id": "6"}, "types": [
        {"associationCategory": "USER_DEFINED", "associationTypeId": boss}]}]});
    let a = app.post(&format!("{CC}/batch/labels/archive"), body).await;
    assert_eq!(a.status, 204, "{}", a.text);
    let events = settled(&app, PORTAL, 8).await;
    let mut tail = sides(&events[6..]);
    tail.sort();
    assert_eq!(
        tail,
        vec![
            (s("0-1"), 5, s("0-2"), 6, boss, true),
            (s("0-2"), 6, s("0-1"), 5, staff, true)
        ]
    );

    // R3 removes everything left: four removals.
    let a = app
        .delete("/crm/v4/objects/contacts/5/associations/companies/6")
        .await;
    assert_eq!(a.status, 204, "{}", a.text);
    let events = settled(&app, PORTAL, 12).await;
    assert!(events[8..].iter().all(|e| e["associationRemoved"] == true));
}

#[tokio::test]
async fn every_write_operation_makes_its_events() {
    let app = spawn_app().await;
    let mut n = 0;
    // R2: labels between two records (plain + label on each side).
    let label = app
        .post(
            &format!("{CC}/labels"),
            json!({"name": "r2", "label": "R2"}),
        )
        .await;
    let r2 = label.body["results"][0]["typeId"].as_i64().unwrap();
    let a = app
        .put(
            "/crm/v4/objects/contacts/10/associations/companies/20",
            json!([{"associationCategory": "USER_DEFINED", "associationTypeId": r2}]),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    n += 4;
    settled(&app, PORTAL, n).await;
    // R2 again with no labels: the label rows go.
    let a = app
        .put(
            "/crm/v4/objects/contacts/10/associations/companies/20",
            json!([]),
        )
        .await;
    assert_eq!(a.status, 201);
    n += 2;
    settled(&app, PORTAL, n).await;
    // R9 and R7.
    let a = app
        .post(
            &format!("{CC}/batch/associate/default"),
            json!({"inputs": [{"from": {"id": "11"}, "to": {"id": "21"}}, {"from": {"id": "12"}, "to": {"id": "21"}}]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    n += 4;
    settled(&app, PORTAL, n).await;
    let a = app
        .post(
            &format!("{CC}/batch/archive"),
            json!({"inputs": [{"from": {"id": "11"}, "to": [{"id": "21"}]}]}),
        )
        .await;
    assert_eq!(a.status, 204, "{}", a.text);
    n += 2;
    let events = settled(&app, PORTAL, n).await;
    assert_eq!(
        sides(&events[n - 2..]),
        vec![
            (s("0-1"), 11, s("0-2"), 21, 279, true),
            (s("0-2"), 21, s("0-1"), 11, 280, true)
        ]
    );
    // A batch refused whole (legacy R8 with a bad input) writes no event.
    let a = app
        .post(
            &format!("{CC}/batch/labels/archive"),
            json!({"inputs": [{"from": {"id": "12"}, "to": {"id": "21"}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]},
                {"from": {"id": "12"}, "to": {"id": "21"}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 99999}]}]}),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.text);
    settled(&app, PORTAL, n).await;
}

#[tokio::test]
async fn same_object_associations_fire_on_both_sides() {
    let app = spawn_app().await;
    let a = app
        .put(
            "/crm/v4/objects/contacts/1/associations/default/contacts/2",
            json!(null),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let events = settled(&app, PORTAL, 2).await;
    let mut got = sides(&events);
    got.sort();
    assert_eq!(got[0].1, 1);
    assert_eq!(got[1].1, 2);
    assert!(events
        .iter()
        .all(|e| e["associationType"] == "CONTACT_TO_CONTACT"));
}

#[tokio::test]
async fn a_label_delete_and_a_portal_reset_remove_with_events() {
    let app = spawn_app().await;
    let label = app
        .post(
            &format!("{CC}/labels"),
            json!({"name": "gone", "label": "Gone"}),
        )
        .await;
    let gone = label.body["results"][0]["typeId"].as_i64().unwrap();
    let body = json!({"inputs": [{"from": {"id": "1"}, "to": {"id": "2"}, "types": [
        {"associationCategory": "USER_DEFINED", "associationTypeId": gone}]}]});
    assert_eq!(
        app.post(&format!("{CC}/batch/create"), body).await.status,
        201
    );
    settled(&app, PORTAL, 4).await;
    let d = app.delete(&format!("{CC}/labels/{gone}")).await;
    assert_eq!(d.status, 204, "{}", d.text);
    let events = settled(&app, PORTAL, 6).await;
    assert!(events[4..].iter().all(|e| e["associationRemoved"] == true
        && e["associationCategory"] == "USER_DEFINED"
        && e["changeSource"] == "API"));

    let r = app
        .admin(
            Method::POST,
            &format!("/_assocd/portals/{PORTAL}/reset"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let events = settled(&app, PORTAL, 8).await;
    for e in &events[6..] {
        assert_eq!(e["associationRemoved"], true);
        assert_eq!(e["changeSource"], "INTERNAL_PROCESSING");
        assert_eq!(e["sourceId"], "portalReset");
    }
}

#[tokio::test]
async fn fixture_loads_are_import_events_and_the_feed_is_per_portal_and_paged() {
    let app = spawn_app().await;
    let doc = json!({"portals": [{"portalId": 9, "associations": [
        {"from": "contacts/1", "to": "companies/2"}, {"from": "contacts/1", "to": "companies/3"},
        {"from": "deals/4", "to": "contacts/1"}]}]});
    let a = app
        .admin(Method::POST, "/_assocd/fixtures", Some(doc))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        app.put(
            "/crm/v4/objects/contacts/1/associations/default/companies/2",
            json!(null)
        )
        .await
        .status,
        200
    );
    let events = settled(&app, 9, 6).await;
    assert!(events
        .iter()
        .all(|e| e["changeSource"] == "IMPORT" && e["sourceId"] == "fixture"));
    assert_eq!(settled(&app, PORTAL, 2).await.len(), 2, "portals are apart");

    // Pages of two, in the same order as one page.
    let mut paged = Vec::new();
    let mut path = "/_assocd/events?portalId=9&limit=2".to_string();
    loop {
        let a = app.admin(Method::GET, &path, None).await;
        assert_eq!(a.status, 200, "{}", a.text);
        paged.extend(
            a.body["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["eventId"].clone()),
        );
        match a.body["paging"]["next"]["after"].as_str() {
            Some(after) => path = format!("/_assocd/events?portalId=9&limit=2&after={after}"),
            None => break,
        }
    }
    let whole: Vec<_> = events.iter().map(|e| e["eventId"].clone()).collect();
    assert_eq!(paged, whole);
    let everything = all_events(&app, 9).await.len();
    assert_eq!(everything, 6);
    for bad in ["limit=0", "limit=1001", "after=x", "portalId=-1"] {
        let a = app
            .admin(Method::GET, &format!("/_assocd/events?{bad}"), None)
            .await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{bad}");
    }
    let unfiltered = app.admin(Method::GET, "/_assocd/events", None).await;
    assert_eq!(unfiltered.body["results"].as_array().unwrap().len(), 8);
    let _ = events_until(&app, 9, 6).await;
}
