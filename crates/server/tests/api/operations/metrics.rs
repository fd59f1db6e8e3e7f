//! `/metrics`: where it is served, what it lists, and that it counts what it should.
//! (Exact before/after counts under a Prometheus parser: conformance/python/tests/test_metrics.py.)

use crate::helpers::{fresh_database, spawn_app, spawn_app_with, ADMIN_TOKEN};
use crate::process::Server;
use assocd_api::ApiConfig;
use reqwest::Method;

async fn text(url: &str) -> (u16, String, String) {
    let r = reqwest::get(url).await.expect("request sent");
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, r.text().await.unwrap())
}

/// The value of the sample `series` (name and labels exactly as rendered), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn metrics_are_served_on_the_main_port_without_auth_and_list_every_metric() {
    let app = spawn_app_with(ApiConfig {
        metrics: true,
        ..ApiConfig::default()
    })
    .await;
    let labels = app
        .get("/crm/v4/associations/contacts/companies/labels")
        .await;
    assert_eq!(labels.status, 200);
    let (status, ctype, body) = text(&app.url("/metrics")).await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    for metric in assocd::metrics::CATALOG {
        assert!(
            body.contains(&format!("# HELP {} ", metric.name)),
            "{} has no HELP line",
            metric.name
        );
    }
    // A scrape is not a HubSpot-API request: the journal did not record it.
    let journal = app
        .call(Method::GET, "/_assocd/requests", Some(ADMIN_TOKEN), None)
        .await;
    let paths: Vec<&str> = journal.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/crm/v4/associations/contacts/companies/labels"]);
}

#[tokio::test]
async fn with_metrics_off_there_is_no_metrics_endpoint() {
    let app = spawn_app().await;
    let r = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(r.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn metrics_listen_serves_metrics_on_its_own_address_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let server = Server::start(
        &db,
        &[
            "--bootstrap-token",
            "metrics-listen-token",
            "--portal",
            "7",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
    );
    let metrics_url = server
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("assocd metrics on "))
        .unwrap_or_else(|| panic!("no metrics address in {:?}", server.banner))
        .to_string();
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client
            .get(server.url("/crm/v4/associations/contacts/companies/labels"))
            .bearer_auth("metrics-listen-token")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let (status, _, body) = text(&metrics_url).await;
    assert_eq!(status, 200);
    let backend = if db.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let info = format!(
        "assocd_build_info{{version=\"{}\",backend=\"{backend}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(sample(&body, &info), Some(1.0), "{body}");
    let s1 = r#"assocd_http_requests_total{operation="S1",family="legacy",status="200"}"#;
    assert_eq!(sample(&body, s1), Some(3.0), "{body}");
    // Not on the main port.
    let (status, _, _) = text(&server.url("/metrics")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn metrics_per_portal_adds_the_portal_label() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let server = Server::start(
        &db,
        &[
            "--bootstrap-token",
            "per-portal-token",
            "--portal",
            "7",
            "--metrics-per-portal",
        ],
    );
    let client = reqwest::Client::new();
    let labels = server.url("/crm/v4/associations/contacts/companies/labels");
    let ok = client
        .get(&labels)
        .bearer_auth("per-portal-token")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let refused = client.get(&labels).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let (_, _, body) = text(&server.url("/metrics")).await;
    let mine =
        r#"assocd_http_requests_total{operation="S1",family="legacy",status="200",portal="7"}"#;
    let anonymous =
        r#"assocd_http_requests_total{operation="S1",family="legacy",status="401",portal="none"}"#;
    assert_eq!(sample(&body, mine), Some(1.0), "{body}");
    assert_eq!(sample(&body, anonymous), Some(1.0), "{body}");
}

/// Every `assocd_*` name in `text`.
fn metric_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("assocd_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

#[tokio::test]
async fn dashboard_uses_only_exported_metrics() {
    let app = spawn_app_with(ApiConfig {
        metrics: true,
        ..ApiConfig::default()
    })
    .await;
    let (_, _, exported) = text(&app.url("/metrics")).await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/grafana-dashboard.json"
    );
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            queries.push(target["expr"].as_str().unwrap().to_string());
        }
    }
    for var in dashboard["templating"]["list"].as_array().unwrap() {
        if let Some(q) = var["definition"].as_str() {
            queries.push(q.to_string());
        }
    }
    let names: std::collections::BTreeSet<String> =
        queries.iter().flat_map(|q| metric_names(q)).collect();
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        let family = |n: &str| exported.contains(&format!("# TYPE {n} "));
        let histogram_part = ["_bucket", "_sum", "_count"].iter().any(|s| {
            name.strip_suffix(s)
                .is_some_and(|base| exported.contains(&format!("# TYPE {base} histogram")))
        });
        assert!(
            family(name) || histogram_part,
            "the dashboard queries {name}, which /metrics does not export"
        );
    }
}
