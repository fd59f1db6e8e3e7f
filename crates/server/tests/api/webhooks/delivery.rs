//! Delivery: events reach the app's target URL as HubSpot sends them (JSON arrays of at most
//! 100 events, signed v1 and v3, at most maxConcurrentRequests in flight), failures are
//! retried with a growing attemptNumber until the last retry, and redelivery.

use super::feed::{events_until, feed_until};
use super::receiver::{closed_port_url, Answer, Receiver};
use crate::helpers::*;
use assocd::app::Settings;
use assocd_webhooks::WebhookConfig;
use hmac::Mac;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Digest;
use std::time::Duration;

pub const SECRET: &str = "delivery-secret";
const KEY: &str = "delivery-key";
const APP: i64 = 51;
const CC: &str = "/crm/v4/associations/contacts/companies";

/// A test server whose retry delays are scaled by `retry_scale`.
pub async fn webhook_server(retry_scale: f64) -> TestApp {
    spawn_app_with_settings(Settings {
        admin_token: Some(ADMIN_TOKEN.to_string()),
        webhooks: WebhookConfig {
            retry_scale,
            ..WebhookConfig::default()
        },
        ..Settings::default()
    })
    .await
}

/// App `APP` installed in `PORTAL`, sending to `target` with these subscriptions.
pub async fn install(app: &TestApp, target: &str, max_concurrent: i64, subscriptions: Value) {
    let doc = json!({"apps": [{"appId": APP, "clientSecret": SECRET, "developerApiKey": KEY,
        "portals": [PORTAL],
        "webhooks": {"targetUrl": target, "maxConcurrentRequests": max_concurrent,
                     "subscriptions": subscriptions}}]});
    let a = app
        .admin(Method::POST, "/_assocd/fixtures", Some(doc))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

fn contacts() -> Value {
    json!([{"eventType": "contact.associationChange"}])
}

async fn associate(app: &TestApp, from: i64, to: i64) {
    let a = app
        .put(
            &format!("/crm/v4/objects/contacts/{from}/associations/default/companies/{to}"),
            json!(null),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn events_arrive_signed_with_hubspots_payload() {
    let app = webhook_server(1.0).await;
    let rx = Receiver::start().await;
    install(
        &app,
        &rx.url,
        10,
        json!([{"eventType": "contact.associationChange"},
               {"eventType": "object.associationChange", "objectTypeId": "companies"}]),
    )
    .await;
    associate(&app, 1, 2).await;
    let events = rx.wait_for(2, WAIT).await;
    let legacy = events
        .iter()
        .find(|e| e["subscriptionType"] == "contact.associationChange")
        .expect("the contact side");
    let keys: Vec<&str> = legacy
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut keys = keys;
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "appId",
            "associationRemoved",
            "associationType",
            "attemptNumber",
            "changeSource",
            "eventId",
            "fromObjectId",
            "isPrimaryAssociation",
            "occurredAt",
            "portalId",
            "sourceId",
            "subscriptionId",
            "subscriptionType",
            "toObjectId"
        ]
    );
    assert!(legacy["eventId"].is_i64() && legacy["subscriptionId"].is_i64());
    assert!(legacy["occurredAt"].is_i64());
    assert_eq!(legacy["portalId"], PORTAL);
    assert_eq!(legacy["appId"], APP);
    assert_eq!(legacy["attemptNumber"], 0);
    assert_eq!(legacy["changeSource"], "API");
    assert_eq!(legacy["associationType"], "CONTACT_TO_COMPANY");
    assert_eq!(
        (legacy["fromObjectId"].clone(), legacy["toObjectId"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(legacy["associationRemoved"], false);
    assert_eq!(legacy["isPrimaryAssociation"], false);

    let generic = events
        .iter()
        .find(|e| e["subscriptionType"] == "object.associationChange")
        .expect("the company side");
    assert_eq!(generic["associationType"], "COMPANY_TO_CONTACT");
    assert_eq!(
        (
            generic["fromObjectId"].clone(),
            generic["toObjectId"].clone()
        ),
        (json!(2), json!(1))
    );
    assert_eq!(generic["fromObjectTypeId"], "0-2");
    assert_eq!(generic["toObjectTypeId"], "0-1");
    assert_eq!(generic["associationTypeId"], 280);
    assert_eq!(generic["associationCategory"], "HUBSPOT_DEFINED");

    for r in rx.requests() {
        let header = |name: &str| r.headers[name].to_str().unwrap().to_string();
        assert_eq!(header("content-type"), "application/json");
        assert_eq!(header("x-hubspot-signature-version"), "v1");
        let v1 = hex::encode(sha2::Sha256::digest([SECRET.as_bytes(), &r.body].concat()));
        assert_eq!(header("x-hubspot-signature"), v1);
        let ts = header("x-hubspot-request-timestamp");
        let age = chrono::Utc::now().timestamp_millis() - ts.parse::<i64>().unwrap();
        assert!((0..60_000).contains(&age), "timestamp {ts} is {age} ms old");
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("POST{}", rx.url).as_bytes());
        mac.update(&r.body);
        mac.update(ts.as_bytes());
        use base64::Engine;
        let v3 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(header("x-hubspot-signature-v3"), v3);
    }
    // The feed shows the delivery once its result is recorded.
    let feed = feed_until(&app, PORTAL, |f| {
        f.len() == 2 && f[0]["deliveries"].as_array().is_some_and(|d| !d.is_empty())
    })
    .await;
    let d = &feed[0]["deliveries"][0];
    assert_eq!(d["status"], 200);
    assert_eq!(d["state"], "DELIVERED");
    assert_eq!(d["attemptNumber"], 0);
    assert_eq!(d["appId"], APP);
}

#[tokio::test]
async fn a_request_carries_at_most_100_events() {
    let app = webhook_server(1.0).await;
    let rx = Receiver::start().await;
    install(&app, &rx.url, 10, contacts()).await;
    let inputs: Vec<Value> = (1..=250)
        .map(|i| json!({"from": {"id": i.to_string()}, "to": {"id": "900"}}))
        .collect();
    let a = app
        .post(
            &format!("{CC}/batch/associate/default"),
            json!({"inputs": inputs}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let events = rx.wait_for(250, WAIT).await;
    let sizes: Vec<usize> = rx.requests().iter().map(|r| r.events.len()).collect();
    assert!(sizes.iter().all(|n| (1..=100).contains(n)), "{sizes:?}");
    assert!(sizes.len() >= 3, "{sizes:?}");
    let mut ids: Vec<i64> = events
        .iter()
        .map(|e| e["eventId"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 250, "every contact event once");
    assert!(events
        .iter()
        .all(|e| e["subscriptionType"] == "contact.associationChange"));
}

#[tokio::test]
async fn requests_in_flight_stay_within_max_concurrent_requests() {
    let app = webhook_server(1.0).await;
    let rx = Receiver::start().await;
    rx.delay_every_request(Duration::from_millis(300));
    install(&app, &rx.url, 2, contacts()).await;
    let inputs: Vec<Value> = (1..=800)
        .map(|i| json!({"from": {"id": i.to_string()}, "to": {"id": "901"}}))
        .collect();
    let a = app
        .post(
            &format!("{CC}/batch/associate/default"),
            json!({"inputs": inputs}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    rx.wait_for(800, WAIT).await;
    assert_eq!(rx.max_in_flight(), 2, "two requests at a time, never more");
}

#[tokio::test]
async fn failures_are_retried_with_increasing_attempt_numbers() {
    let app = webhook_server(0.0001).await;
    let rx = Receiver::start().await;
    // Refused connections first, then a 500, then a timeout (over 5 s), then success.
    install(&app, &closed_port_url(), 10, contacts()).await;
    associate(&app, 1, 2).await;
    let feed = feed_until(&app, PORTAL, |f| {
        f.len() == 2 && f[0]["deliveries"].as_array().is_some_and(|d| d.len() >= 2)
    })
    .await;
    let refused = &feed[0]["deliveries"][0];
    assert_eq!(refused["status"], Value::Null);
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .starts_with("connection failed"),
        "{refused}"
    );
    assert_eq!(refused["attemptNumber"], 0);
    rx.script([Answer::Status(500), Answer::After(Duration::from_secs(6))]);
    let body = json!({"targetUrl": rx.url, "throttling": {"maxConcurrentRequests": 10}});
    let a = app
        .call(
            Method::PUT,
            &format!("/webhooks/v3/{APP}/settings?hapikey={KEY}"),
            None,
            Some(&body),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let events = rx.wait_for(3, Duration::from_secs(30)).await;
    let attempts: Vec<i64> = events
        .iter()
        .map(|e| e["attemptNumber"].as_i64().unwrap())
        .collect();
    assert!(
        attempts.windows(2).all(|w| w[1] == w[0] + 1),
        "{attempts:?}"
    );
    assert!(attempts[0] >= 1, "the refused tries counted: {attempts:?}");
    let ids: Vec<&Value> = events.iter().map(|e| &e["eventId"]).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "the same event each time"
    );
    let feed = feed_until(&app, PORTAL, |f| {
        f.len() == 2
            && f[0]["deliveries"]
                .as_array()
                .is_some_and(|d| d.last().is_some_and(|d| d["state"] == "DELIVERED"))
    })
    .await;
    let d = feed[0]["deliveries"].as_array().unwrap();
    let statuses: Vec<Value> = d
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(|d| d["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!(500), Value::Null, json!(200)]);
    assert!(d[d.len() - 2]["error"]
        .as_str()
        .unwrap()
        .contains("no answer within 5"));
}

#[tokio::test]
async fn after_the_last_retry_the_event_is_kept_as_failed() {
    let app = webhook_server(0.0001).await;
    let rx = Receiver::start().await;
    rx.script([Answer::Status(503); 20]);
    install(&app, &rx.url, 10, contacts()).await;
    associate(&app, 1, 2).await;
    let feed = loop {
        let feed = events_until(&app, PORTAL, 2).await;
        if feed[0]["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["state"] == "FAILED")
        {
            break feed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let attempts: Vec<i64> = feed[0]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attemptNumber"].as_i64().unwrap())
        .collect();
    assert_eq!(
        attempts,
        (0..=10).collect::<Vec<_>>(),
        "one try and ten retries"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.requests().len(), 11, "nothing after the last retry");
}

#[tokio::test]
async fn redelivery_sends_an_event_again_from_attempt_0() {
    let app = webhook_server(1.0).await;
    let rx = Receiver::start().await;
    install(&app, &rx.url, 10, contacts()).await;
    associate(&app, 1, 2).await;
    let first = rx.wait_for(1, WAIT).await;
    let id = first[0]["eventId"].as_i64().unwrap();
    let a = app
        .admin(
            Method::POST,
            &format!("/_assocd/events/{id}/redeliver"),
            None,
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_eq!(a.body, json!({"eventId": id, "deliveries": 1}));
    let again = rx.wait_for(2, WAIT).await;
    assert_eq!(again[1]["eventId"], id);
    assert_eq!(again[1]["attemptNumber"], 0);
    // The company side was never subscribed to: redelivering it queues nothing.
    let feed = events_until(&app, PORTAL, 2).await;
    let other = feed[1]["eventId"].as_i64().unwrap();
    let a = app
        .admin(
            Method::POST,
            &format!("/_assocd/events/{other}/redeliver"),
            None,
        )
        .await;
    assert_eq!(a.status, 202);
    assert_eq!(a.body["deliveries"], 0);
    let a = app
        .admin(Method::POST, "/_assocd/events/999999999/redeliver", None)
        .await;
    assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn an_app_sees_only_portals_that_installed_it_and_paused_subscriptions_send_nothing() {
    let app = webhook_server(1.0).await;
    let rx = Receiver::start().await;
    install(&app, &rx.url, 10, contacts()).await;
    let other = app
        .call(
            Method::PUT,
            "/crm/v4/objects/contacts/7/associations/default/companies/8",
            Some(OTHER_PORTAL_TOKEN),
            Some(&json!(null)),
        )
        .await;
    assert_eq!(other.status, 200);
    events_until(&app, OTHER_PORTAL, 2).await;
    associate(&app, 1, 2).await;
    let events = rx.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.events().len(), 1, "{events:#?}");
    assert_eq!(rx.events()[0]["portalId"], PORTAL);

    // Paused: nothing.
    let subs = app
        .call(
            Method::GET,
            &format!("/webhooks/v3/{APP}/subscriptions?hapikey={KEY}"),
            None,
            None,
        )
        .await;
    let sub = subs.body["results"][0]["id"].as_str().unwrap().to_string();
    let a = app
        .call(
            Method::PATCH,
            &format!("/webhooks/v3/{APP}/subscriptions/{sub}?hapikey={KEY}"),
            None,
            Some(&json!({"active": false})),
        )
        .await;
    assert_eq!(a.status, 200);
    associate(&app, 3, 4).await;
    events_until(&app, PORTAL, 4).await;
    // Uninstalled (subscription active again): nothing either.
    app.call(
        Method::PATCH,
        &format!("/webhooks/v3/{APP}/subscriptions/{sub}?hapikey={KEY}"),
        None,
        Some(&json!({"active": true})),
    )
    .await;
    let u = app
        .admin(
            Method::DELETE,
            &format!("/_assocd/apps/{APP}/portals/{PORTAL}"),
            None,
        )
        .await;
    assert_eq!(u.status, 204);
    associate(&app, 5, 6).await;
    events_until(&app, PORTAL, 6).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.events().len(), 1, "{:#?}", rx.events());
}
