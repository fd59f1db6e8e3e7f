//! `/_assocd/faults`: injected statuses, latency, dropped connections, before or after the write.

use crate::helpers::*;
use assocd_api::ApiConfig;
use assocd_core::rate_limit::Tier;
use reqwest::Method;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

const LABELS: &str = "/crm/v4/associations/contacts/companies/labels";

async fn add_fault(app: &TestApp, fault: Value) -> Answer {
    let a = app
        .admin(Method::POST, "/_assocd/faults", Some(fault))
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    a
}

async fn faults(app: &TestApp) -> Vec<Value> {
    let a = app.admin(Method::GET, "/_assocd/faults", None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["results"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_status_fault_fires_times_then_goes() {
    let app = spawn_app().await;
    let f = add_fault(
        &app,
        json!({"match": {"operation": "S1"}, "action": {"status": 503}, "times": 2}),
    )
    .await;
    assert!(f.body["id"].as_u64().is_some());
    assert_eq!(f.body["times"], 2);
    let a = app.get(LABELS).await;
    assert_eq!(a.assert_hubspot_error(503), "SERVICE_UNAVAILABLE");
    let listed = faults(&app).await;
    assert_eq!(
        (listed[0]["fired"].as_u64(), listed[0]["times"].as_u64()),
        (Some(1), Some(1))
    );
    app.get(LABELS).await.assert_hubspot_error(503);
    assert_eq!(app.get(LABELS).await.status, 200);
    assert!(faults(&app).await.is_empty());
    // Another operation was never matched.
    add_fault(
        &app,
        json!({"match": {"operation": "C1"}, "action": {"status": 500}}),
    )
    .await;
    assert_eq!(app.get(LABELS).await.status, 200);
}

#[tokio::test]
async fn each_status_answers_hubspots_error_body() {
    let app = spawn_app().await;
    for (status, category) in [
        (500, "INTERNAL_ERROR"),
        (502, "BAD_GATEWAY"),
        (503, "SERVICE_UNAVAILABLE"),
        (504, "GATEWAY_TIMEOUT"),
    ] {
        add_fault(&app, json!({"action": {"status": status}, "times": 1})).await;
        assert_eq!(app.get(LABELS).await.assert_hubspot_error(status), category);
    }
    add_fault(&app, json!({"action": {"status": 429}, "times": 1})).await;
    let a = app.get(LABELS).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.body["policyName"], "TEN_SECONDLY_ROLLING");
    assert_eq!(a.body["errorType"], "RATE_LIMIT");
    assert_eq!(
        a.body["message"],
        "You have reached your ten_secondly_rolling limit."
    );
}

#[tokio::test]
async fn phase_after_commits_the_write_then_answers_the_fault() {
    let app = spawn_app().await;
    add_fault(
        &app,
        json!({"match": {"method": "POST", "pathPrefix": "/crm/v4/associations"},
               "action": {"status": 500}, "phase": "after", "times": 1}),
    )
    .await;
    let a = app
        .post(
            LABELS,
            json!({"name": "after_fault", "label": "Written anyway"}),
        )
        .await;
    a.assert_hubspot_error(500);
    let list = app.get(LABELS).await;
    assert!(list.text.contains("Written anyway"), "{}", list.text);
}

#[tokio::test]
async fn phase_before_writes_nothing() {
    let app = spawn_app().await;
    add_fault(
        &app,
        json!({"match": {"method": "post"}, "action": {"status": 502}, "times": 1}),
    )
    .await;
    let a = app
        .post(
            LABELS,
            json!({"name": "before_fault", "label": "Never written"}),
        )
        .await;
    a.assert_hubspot_error(502);
    assert!(!app.get(LABELS).await.text.contains("Never written"));
}

#[tokio::test]
async fn latency_alone_delays_the_call_then_serves_it() {
    let app = spawn_app().await;
    add_fault(&app, json!({"action": {"latencyMs": 300}, "times": 1})).await;
    let t = Instant::now();
    let a = app.get(LABELS).await;
    assert_eq!(a.status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn a_seeded_probability_repeats_exactly() {
    let app = spawn_app().await;
    let run = || async {
        add_fault(
            &app,
            json!({"action": {"status": 503}, "probability": 0.5, "seed": 42}),
        )
        .await;
        let mut statuses = Vec::new();
        for _ in 0..24 {
            statuses.push(app.get(LABELS).await.status);
        }
        let a = app.admin(Method::DELETE, "/_assocd/faults", None).await;
        assert_eq!(a.status, 204);
        statuses
    };
    let first = run().await;
    let second = run().await;
    assert_eq!(first, second);
    let failed = first.iter().filter(|s| **s == 503).count();
    assert!((4..=20).contains(&failed), "{first:?}");
}

#[tokio::test]
async fn faults_match_by_portal_and_path_prefix_and_go_by_id() {
    let app = spawn_app().await;
    let f = add_fault(
        &app,
        json!({"match": {"portalId": OTHER_PORTAL, "pathPrefix": "/crm/v4/"}, "action": {"status": 504}}),
    )
    .await;
    assert_eq!(app.get(LABELS).await.status, 200);
    let other = app
        .call(Method::GET, LABELS, Some(OTHER_PORTAL_TOKEN), None)
        .await;
    other.assert_hubspot_error(504);
    let dated = app
        .call(
            Method::GET,
            "/crm/associations/2026-03/contacts/companies/labels",
            Some(OTHER_PORTAL_TOKEN),
            None,
        )
        .await;
    assert_eq!(dated.status, 200);
    let id = f.body["id"].as_u64().unwrap();
    let d = app
        .admin(Method::DELETE, &format!("/_assocd/faults/{id}"), None)
        .await;
    assert_eq!(d.status, 204);
    let again = app
        .admin(Method::DELETE, &format!("/_assocd/faults/{id}"), None)
        .await;
    again.assert_hubspot_error(404);
    let ok = app
        .call(Method::GET, LABELS, Some(OTHER_PORTAL_TOKEN), None)
        .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn bad_faults_are_refused() {
    let app = spawn_app().await;
    for body in [
        json!({"action": {}}),
        json!({"action": {"status": 418}}),
        json!({"action": {"status": 503, "dropConnection": true}}),
        json!({"action": {"status": 503}, "probability": 1.5}),
        json!({"action": {"status": 503}, "times": 0}),
        json!({"action": {"status": 503}, "phase": "during"}),
        json!({"match": {"operation": "Z9"}, "action": {"status": 503}}),
        json!({"match": {"pathPrefix": "crm"}, "action": {"status": 503}}),
        json!({"action": {"status": 503}, "colour": "red"}),
    ] {
        let a = app
            .admin(Method::POST, "/_assocd/faults", Some(body.clone()))
            .await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{body}");
    }
    assert!(faults(&app).await.is_empty());
}

/// Sends one raw HTTP request and returns every byte the server sent before closing.
fn raw_exchange(addr: std::net::SocketAddr, request: &str) -> std::io::Result<Vec<u8>> {
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(request.as_bytes())?;
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Ok(_) => Ok(got),
        // A reset after nothing was sent is also "no answer".
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(got),
        Err(e) => Err(e),
    }
}

#[tokio::test]
async fn drop_connection_closes_without_an_answer_and_after_keeps_the_write() {
    let app = spawn_app().await;
    add_fault(
        &app,
        json!({"match": {"method": "POST"}, "action": {"dropConnection": true}, "phase": "after", "times": 1}),
    )
    .await;
    let body = r#"{"name":"dropped","label":"Dropped but written"}"#;
    let request = format!(
        "POST {LABELS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let addr = app.addr;
    let got = tokio::task::spawn_blocking(move || raw_exchange(addr, &request))
        .await
        .unwrap()
        .expect("the connection ends");
    assert!(
        got.is_empty(),
        "no byte of an answer: {:?}",
        String::from_utf8_lossy(&got)
    );
    assert!(app.get(LABELS).await.text.contains("Dropped but written"));
    // The server goes on serving new connections.
    assert_eq!(app.get(LABELS).await.status, 200);
    let listed = faults(&app).await;
    assert!(listed.is_empty());
}

#[tokio::test]
async fn a_faulted_call_counts_against_the_rate_limit() {
    let app = spawn_app_with(ApiConfig {
        rate_limits: Some(Tier::Starter),
        ..ApiConfig::default()
    })
    .await;
    let a = app
        .admin(
            Method::PUT,
            "/_assocd/portals/101/rate-limits",
            Some(json!({"tier": "custom", "tenSecondly": 2, "daily": 100})),
        )
        .await;
    assert_eq!(a.status, 200);
    add_fault(&app, json!({"action": {"status": 503}, "times": 1})).await;
    let faulted = app.get(LABELS).await;
    assert_eq!(faulted.status, 503);
    assert_eq!(faulted.headers["x-hubspot-ratelimit-remaining"], "1");
    assert_eq!(app.get(LABELS).await.status, 200);
    assert_eq!(app.get(LABELS).await.status, 429);
}
