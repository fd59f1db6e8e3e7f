//! What an operator sees of deliveries: a warn line per failed attempt (the target without its
//! secrets, the status or error, the attemptNumber) and the webhook metrics moving by exactly
//! the deliveries made.

use super::receiver::{Answer, Receiver};
use crate::helpers::fresh_database;
use crate::process::Server;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The value of the sample `name` (with its labels) in a Prometheus text page.
fn sample(page: &str, name: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn failed_attempts_are_logged_without_secrets_and_counted_in_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let rx = Receiver::start().await;
    rx.script([Answer::Status(500), Answer::Status(503)]);
    // Credentials in the URL and a query string: neither may reach the log.
    let target = rx.url.replace("http://", "http://hookuser:pw-1d2c3b@") + "?token=q-7e6f5a";
    let fixture = dir.path().join("app.json");
    let doc = json!({"apps": [{"appId": 92, "clientSecret": "observed-secret",
        "developerApiKey": "observed-key", "portals": [7],
        "webhooks": {"targetUrl": target, "maxConcurrentRequests": 2,
                     "subscriptions": [{"eventType": "contact.associationChange"}]}}]});
    std::fs::write(&fixture, doc.to_string()).unwrap();
    let log = dir.path().join("assocd.log");
    let server = Server::start_logged(
        &db,
        &[
            "--bootstrap-token",
            "t",
            "--portal",
            "7",
            "--log-format",
            "json",
            "--fixtures",
            fixture.to_str().unwrap(),
            "--webhook-retry-scale",
            "0.001",
        ],
        &[("RUST_LOG", "info")],
        Some(&log),
    );
    let client = reqwest::Client::new();
    let r = client
        .put(server.url("/crm/v4/objects/contacts/1/associations/default/companies/2"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Contact 1 -> company 2: one contact-side event, sent three times.
    let events = rx.wait_for(3, Duration::from_secs(30)).await;
    assert_eq!(rx.requests().len(), 3, "two failures, then 2xx");
    let attempts: Vec<i64> = events
        .iter()
        .map(|e| e["attemptNumber"].as_i64().unwrap())
        .collect();
    assert_eq!(attempts, [0, 1, 2]);
    let ids: Vec<&Value> = events.iter().map(|e| &e["eventId"]).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");

    // The counters move as the results are recorded; the depth gauge is read every second.
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let page = client
            .get(server.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let delivered = sample(
            &page,
            "assocd_webhook_deliveries_total{result=\"delivered\"}",
        );
        let depth = sample(&page, "assocd_webhook_outbox_depth");
        if delivered == Some(1.0) && depth == Some(0.0) {
            break page;
        }
        assert!(Instant::now() < deadline, "{page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        sample(&page, "assocd_webhook_deliveries_total{result=\"retry\"}"),
        Some(2.0)
    );
    assert_eq!(
        sample(&page, "assocd_webhook_delivery_delay_seconds_count"),
        Some(1.0),
        "one delay per event delivered"
    );
    let sum = sample(&page, "assocd_webhook_delivery_delay_seconds_sum").unwrap();
    assert!(sum > 0.0 && sum < 60.0, "{sum}");
    server.terminate();

    let text = std::fs::read_to_string(&log).unwrap();
    for secret in ["pw-1d2c3b", "q-7e6f5a", "observed-secret", "hookuser"] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
    let warned: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message"] == "webhook delivery attempt failed")
        .collect();
    assert_eq!(warned.len(), 2, "one line per failed attempt:\n{text}");
    for (n, (line, status)) in warned.iter().zip([500, 503]).enumerate() {
        assert_eq!(line["level"], "WARN", "{line}");
        let f = line;
        assert_eq!(f["attempt_number"], n as i64, "{line}");
        assert_eq!(f["status"], status, "{line}");
        assert_eq!(f["error"], format!("HTTP {status}"), "{line}");
        assert_eq!(f["app_id"], 92, "{line}");
        assert_eq!(f["url"], format!("{}?…", rx.url), "{line}");
        assert_eq!(f["next"], "retry", "{line}");
    }
}
