//! Durability of the outbox: the real binary is killed with SIGKILL in the middle of a stream
//! of association writes and deliveries, restarted on the same database, and every committed
//! change's events still reach the receiver (at least once; a duplicate keeps its `eventId`).

use super::receiver::Receiver;
use crate::helpers::fresh_database;
use crate::process::Server;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const PORTAL: i64 = 7;
/// Companies are `COMPANY_BASE + contact id`, so every write is a new association.
const COMPANY_BASE: i64 = 1_000_000;
const WRITERS: i64 = 3;

fn serve_args(fixture: &str) -> Vec<String> {
    [
        "--bootstrap-token",
        "t",
        "--portal",
        "7",
        "--fixtures",
        fixture,
        "--webhook-retry-scale",
        "0.001",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn start(db: &str, args: &[String]) -> Server {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(db, &args)
}

/// Writer `w` associates contacts `w, w + WRITERS, ...` with their companies, one request at a
/// time, until the server stops answering; the contact ids acknowledged and the one in flight.
async fn writer(client: reqwest::Client, base: String, w: i64) -> (Vec<i64>, Option<i64>) {
    let mut acknowledged = Vec::new();
    let mut id = w + 1;
    loop {
        let url = format!(
            "{base}/crm/v4/objects/contacts/{id}/associations/default/companies/{}",
            COMPANY_BASE + id
        );
        match client.put(&url).bearer_auth("t").send().await {
            Ok(r) if r.status() == 200 => acknowledged.push(id),
            Ok(r) => panic!("write {id} answered {}", r.status()),
            Err(_) => return (acknowledged, Some(id)),
        }
        id += WRITERS;
    }
}

async fn is_stored(client: &reqwest::Client, server: &Server, contact: i64) -> bool {
    let body: Value = client
        .get(server.url(&format!(
            "/crm/v4/objects/contacts/{contact}/associations/companies"
        )))
        .bearer_auth("t")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    !body["results"].as_array().unwrap().is_empty()
}

#[tokio::test]
async fn kill_9_during_writes_and_deliveries_loses_no_committed_changes_events() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let rx = Receiver::start().await;
    // Requests stay in flight a while, so the kill finds some unanswered.
    rx.delay_every_request(Duration::from_millis(30));
    let fixture = dir.path().join("app.json");
    let doc = json!({"apps": [{"appId": 91, "clientSecret": "crash-secret", "developerApiKey": "crash-key",
        "portals": [PORTAL],
        "webhooks": {"targetUrl": rx.url, "maxConcurrentRequests": 4,
                     "subscriptions": [{"eventType": "contact.associationChange"}]}}]});
    std::fs::write(&fixture, doc.to_string()).unwrap();
    let args = serve_args(fixture.to_str().unwrap());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let server = start(&db, &args);
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(writer(client.clone(), server.url(""), w)))
        .collect();
    // Kill once the stream of writes and deliveries is well under way.
    let deadline = Instant::now() + Duration::from_secs(30);
    while rx.events().len() < 200 {
        assert!(Instant::now() < deadline, "no deliveries before the kill");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let received_before = rx.events().len();
    server.kill9();
    let mut acknowledged = Vec::new();
    let mut in_flight = Vec::new();
    for w in writers {
        let (ack, pending) = w.await.unwrap();
        acknowledged.extend(ack);
        in_flight.extend(pending);
    }
    assert!(acknowledged.len() > 100, "{} writes", acknowledged.len());

    let server = start(&db, &args);
    // A write whose answer the kill cut off may have committed: then its events are owed too.
    let mut committed: BTreeSet<i64> = acknowledged.iter().copied().collect();
    for id in in_flight {
        if is_stored(&client, &server, id).await {
            committed.insert(id);
        }
    }
    let missing = |events: &[Value]| -> Vec<i64> {
        let seen: BTreeSet<i64> = events
            .iter()
            .filter(|e| e["associationRemoved"] == false)
            .filter_map(|e| e["fromObjectId"].as_i64())
            .collect();
        committed.difference(&seen).copied().collect()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let events = loop {
        let events = rx.events();
        let left = missing(&events);
        if left.is_empty() {
            break events;
        }
        assert!(
            Instant::now() < deadline,
            "{} committed change(s) without their events after the restart, e.g. {:?}",
            left.len(),
            &left[..left.len().min(10)]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // One event (one eventId) per association row and side, however often it was delivered.
    let mut ids: BTreeMap<(i64, i64, bool), BTreeSet<i64>> = BTreeMap::new();
    let mut deliveries: BTreeMap<i64, usize> = BTreeMap::new();
    for e in &events {
        assert_eq!(e["portalId"], PORTAL);
        let from = e["fromObjectId"].as_i64().unwrap();
        assert_eq!(e["toObjectId"], COMPANY_BASE + from, "{e}");
        let id = e["eventId"].as_i64().unwrap();
        ids.entry((
            from,
            e["toObjectId"].as_i64().unwrap(),
            e["isPrimaryAssociation"] == true,
        ))
        .or_default()
        .insert(id);
        *deliveries.entry(id).or_default() += 1;
    }
    for (row, set) in &ids {
        assert_eq!(
            set.len(),
            1,
            "a redelivered event kept its eventId: {row:?} {set:?}"
        );
    }
    let duplicates: usize = deliveries.values().map(|n| n - 1).sum();
    println!(
        "kill -9: {} changes committed ({} acknowledged), {} events received before the kill, \
         {} events in all after the restart, {duplicates} delivered more than once",
        committed.len(),
        acknowledged.len(),
        received_before,
        deliveries.len()
    );
}
