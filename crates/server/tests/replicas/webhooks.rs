//! Webhook delivery shared by replicas on one PostgreSQL: every event delivered, the duplicates
//! counted, and the claims of a replica killed mid-delivery taken over once its lease ends.

use crate::receiver::{Received, Receiver};
use crate::support::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// An app installed in `PORTAL` that sends `contact.associationChange` to `rx`.
fn app_fixture(dir: &std::path::Path, rx: &Receiver, max_concurrent: i64) -> String {
    let doc = json!({"apps": [{"appId": 93, "clientSecret": "replica-secret",
        "developerApiKey": "replica-key", "portals": [PORTAL],
        "webhooks": {"targetUrl": rx.url, "maxConcurrentRequests": max_concurrent,
                     "subscriptions": [{"eventType": "contact.associationChange"}]}}]});
    let path = dir.join("app.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

/// Associates contacts `from..from+n` with companies (the same ids + 1,000,000), 25 a request.
async fn associate(server: &Server, from: i64, n: i64) {
    for start in (from..from + n).step_by(25) {
        let inputs: Vec<Value> = (start..(start + 25).min(from + n))
            .map(|c| json!({"from": {"id": c.to_string()}, "to": {"id": (c + 1_000_000).to_string()}}))
            .collect();
        let (status, body) = server
            .call(
                Method::POST,
                "/crm/v4/associations/contacts/companies/batch/associate/default",
                Some(&json!({"inputs": inputs})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

/// Waits until an event arrived for every contact of `contacts` in a request that arrived
/// after `since` (if given); the requests received.
async fn every_contact(
    rx: &Receiver,
    contacts: &BTreeSet<i64>,
    since: Option<Instant>,
    within: Duration,
) -> Vec<Received> {
    let deadline = Instant::now() + within;
    loop {
        let requests = rx.requests();
        let seen: BTreeSet<i64> = requests
            .iter()
            .filter(|r| since.is_none_or(|t| r.at >= t))
            .flat_map(|r| &r.events)
            .filter_map(|e| e["fromObjectId"].as_i64())
            .collect();
        let missing = contacts.difference(&seen).count();
        if missing == 0 {
            return requests;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} of {} contacts' events never arrived",
            contacts.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Deliveries per (eventId, subscriptionId) with their arrival times.
fn arrivals(requests: &[Received]) -> BTreeMap<(i64, i64), Vec<Instant>> {
    let mut out: BTreeMap<(i64, i64), Vec<Instant>> = BTreeMap::new();
    for r in requests {
        for e in &r.events {
            let key = (
                e["eventId"].as_i64().unwrap(),
                e["subscriptionId"].as_i64().unwrap(),
            );
            out.entry(key).or_default().push(r.at);
        }
    }
    out
}

async fn delivered_by(server: &Server) -> f64 {
    let text = server
        .client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("assocd_webhook_deliveries_total{result=\"delivered\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn two_replicas_deliver_every_event_and_send_no_batch_twice() {
    let Some(admin) = postgres_admin_url().await else {
        return;
    };
    let db = fresh_postgres_database(&admin).await;
    assocd_ok(&["migrate", "--database", &db], None);
    let rx = Receiver::start().await;
    rx.delay_every_request(Duration::from_millis(20));
    let dir = tempfile::tempdir().unwrap();
    let fixture = app_fixture(dir.path(), &rx, 6);
    let args = [
        "--fixtures",
        fixture.as_str(),
        "--webhook-retry-scale",
        "0.001",
    ];
    let servers = [Server::start(&db, &args), Server::start(&db, &args)];
    let started = Instant::now();
    // Both replicas write at once: 1,000 associations, 500 through each.
    let writes = [0i64, 1].map(|i| {
        let server = &servers[i as usize];
        async move { associate(server, 1 + i * 500, 500).await }
    });
    let [a, b] = writes;
    tokio::join!(a, b);
    let contacts: BTreeSet<i64> = (1..=1000).collect();
    let requests = every_contact(&rx, &contacts, None, Duration::from_secs(120)).await;
    let took = started.elapsed();
    // Late duplicates would come within a moment: wait for them before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let requests = rx.requests().len().max(requests.len());
    let deliveries = arrivals(&rx.requests());
    let duplicates: usize = deliveries.values().map(|v| v.len() - 1).sum();
    let by = [
        delivered_by(&servers[0]).await,
        delivered_by(&servers[1]).await,
    ];
    println!(
        "two replicas: {} events in {requests} requests delivered in {:.1}s, {duplicates} duplicates; \
         requests answered 2xx per replica: {} and {}",
        deliveries.len(),
        took.as_secs_f64(),
        by[0],
        by[1]
    );
    assert_eq!(duplicates, 0, "no batch is sent twice in the normal case");
    assert!(
        rx.max_in_flight() <= 6,
        "the app's cap holds across replicas"
    );
}

#[tokio::test]
async fn a_replica_killed_mid_delivery_has_its_claims_taken_over_after_the_lease() {
    let Some(admin) = postgres_admin_url().await else {
        return;
    };
    const LEASE: Duration = Duration::from_secs(4);
    let db = fresh_postgres_database(&admin).await;
    assocd_ok(&["migrate", "--database", &db], None);
    let rx = Receiver::start().await;
    // Answers take 3 s: the first replica's requests are in flight when it dies.
    rx.delay_every_request(Duration::from_secs(3));
    let dir = tempfile::tempdir().unwrap();
    let fixture = app_fixture(dir.path(), &rx, 4);
    let args = [
        "--fixtures",
        fixture.as_str(),
        "--webhook-retry-scale",
        "0.001",
        "--webhook-lease",
        "4s",
    ];
    let first = Server::start(&db, &args);
    associate(&first, 1, 300).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while rx.requests().is_empty() {
        assert!(Instant::now() < deadline, "no delivery started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The first replica dies with its requests in flight (dropping it is SIGKILL); the second
    // one starts within the lease and must wait for it to run out.
    let in_flight_at_kill = rx.requests().len();
    drop(first);
    let killed = Instant::now();
    rx.delay_every_request(Duration::ZERO);
    let second = Server::start(&db, &args);
    // No request of the first replica was answered before it died (each takes 3 s), so every
    // event is owed again: the survivor's own dispatches and the dead replica's claims, taken
    // over once their lease ran out. (Waiting only until each contact was seen once would stop
    // early when the first replica had every event in flight at once.)
    let contacts: BTreeSet<i64> = (1..=300).collect();
    every_contact(&rx, &contacts, Some(killed), Duration::from_secs(120)).await;
    let took = killed.elapsed();
    let deliveries = arrivals(&rx.requests());
    let duplicated: Vec<&Vec<Instant>> = deliveries.values().filter(|v| v.len() > 1).collect();
    let duplicates: usize = duplicated.iter().map(|v| v.len() - 1).sum();
    let earliest_takeover = duplicated
        .iter()
        .map(|v| v[1].duration_since(v[0]))
        .min()
        .unwrap_or_default();
    println!(
        "replica killed with {in_flight_at_kill} request(s) in flight: every event of 300 changes \
         delivered {:.1}s after the kill; {duplicates} duplicate deliveries (same eventId), the \
         first {:.1}s after the original (lease {}s)",
        took.as_secs_f64(),
        earliest_takeover.as_secs_f64(),
        LEASE.as_secs()
    );
    assert!(
        duplicates > 0,
        "the dead replica's claims were sent again by the survivor\n{}",
        second.log()
    );
    assert!(
        earliest_takeover >= LEASE - Duration::from_millis(300),
        "claims are taken over only once their lease ran out: {earliest_takeover:?}"
    );
    assert!(delivered_by(&second).await > 0.0);
}
