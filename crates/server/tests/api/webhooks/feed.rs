//! Shared by the webhooks tests: the event feed (`/_assocd/events`) and waiting for it.

use crate::helpers::*;
use reqwest::Method;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Every event of the feed for `portal` (all pages).
pub async fn all_events(app: &TestApp, portal: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/_assocd/events?portalId={portal}&limit=1000");
        if let Some(a) = &after {
            path.push_str(&format!("&after={a}"));
        }
        let a = app.admin(Method::GET, &path, None).await;
        assert_eq!(a.status, 200, "{}", a.text);
        out.extend(a.body["results"].as_array().unwrap().iter().cloned());
        match a.body["paging"]["next"]["after"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => return out,
        }
    }
}

/// The feed of `portal` once it holds at least `n` events (the worker dispatches them a moment
/// after the commit); panics after 15 s.
pub async fn events_until(app: &TestApp, portal: i64, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let events = all_events(app, portal).await;
        if events.len() >= n {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "the feed of portal {portal} holds {} event(s), expected {n}: {events:#?}",
            events.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `(from type, from id, to type, to id, type id, removed)` of each event.
pub fn sides(events: &[Value]) -> Vec<(String, i64, String, i64, i64, bool)> {
    events
        .iter()
        .map(|e| {
            (
                e["fromObjectTypeId"].as_str().unwrap().to_string(),
                e["fromObjectId"].as_i64().unwrap(),
                e["toObjectTypeId"].as_str().unwrap().to_string(),
                e["toObjectId"].as_i64().unwrap(),
                e["associationTypeId"].as_i64().unwrap(),
                e["associationRemoved"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Gives the writes of a test time to reach the feed, then checks that nothing more came.
pub async fn settled(app: &TestApp, portal: i64, n: usize) -> Vec<Value> {
    let events = events_until(app, portal, n).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = all_events(app, portal).await;
    assert_eq!(again.len(), n, "more events than expected: {again:#?}");
    events
}

/// The feed of `portal` once `done` holds for it; panics after 30 s.
pub async fn feed_until(app: &TestApp, portal: i64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let events = all_events(app, portal).await;
        if done(&events) {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "the feed never got there: {events:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
