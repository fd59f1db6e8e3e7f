//! Logs: one access-log line per HubSpot-API request, server errors with the correlation id the
//! client saw, and never a token, a token's hash or a body, at any level.

use super::execute_sql;
use crate::helpers::fresh_database;
use crate::process::Server;
use assocd_core::token::hash_secret;
use serde_json::{json, Value};

const SECRET: &str = "pat-log-test-0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const WRONG: &str = "pat-wrong-token-a1b2c3d4e5f60718293a4b5c6d7e8f90";
const BODY_MARKER: &str = "bodymarker_7c1f2e";

struct Sent {
    status: u16,
    correlation_id: String,
}

async fn send(
    client: &reqwest::Client,
    server: &Server,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Sent {
    let mut req = client.request(method, server.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request sent");
    let correlation_id = r.headers()["x-hubspot-correlation-id"]
        .to_str()
        .unwrap()
        .to_string();
    Sent {
        status: r.status().as_u16(),
        correlation_id,
    }
}

#[tokio::test]
async fn json_access_log_has_one_line_per_request_errors_carry_their_correlation_id_and_no_secret_is_logged(
) {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let log = dir.path().join("assocd.log");
    let server = Server::start_logged(
        &db,
        &[
            "--bootstrap-token",
            SECRET,
            "--portal",
            "7",
            "--log-format",
            "json",
        ],
        // Every level: nothing secret may appear even in trace output.
        &[("RUST_LOG", "trace")],
        Some(&log),
    );
    let client = reqwest::Client::new();
    use reqwest::Method;
    let labels = "/crm/v4/associations/contacts/companies/labels";
    let mut sent = vec![
        send(&client, &server, Method::GET, labels, Some(SECRET), None).await,
        send(
            &client,
            &server,
            Method::POST,
            labels,
            Some(SECRET),
            Some(json!({"label": BODY_MARKER, "name": BODY_MARKER})),
        )
        .await,
        send(
            &client,
            &server,
            Method::GET,
            "/crm/v4/objects/contacts/1/associations/companies",
            Some(SECRET),
            None,
        )
        .await,
        send(&client, &server, Method::GET, "/crm/v4/nowhere", None, None).await,
        send(&client, &server, Method::GET, labels, Some(WRONG), None).await,
    ];
    let statuses: Vec<u16> = sent.iter().map(|s| s.status).collect();
    assert_eq!(statuses, [200, 200, 200, 404, 401]);
    // Database trouble: the labels table disappears under the server.
    execute_sql(&db, "DROP TABLE labels").await;
    let failed = send(&client, &server, Method::GET, labels, Some(SECRET), None).await;
    assert_eq!(failed.status, 500);
    sent.push(failed);
    assert_eq!(server.terminate().code(), Some(0));

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access: Vec<&Value> = lines
        .iter()
        .filter(|l| l["target"] == "assocd::access")
        .collect();
    assert_eq!(access.len(), sent.len(), "one access line per request");
    for (line, s) in access.iter().zip(&sent) {
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["correlation_id"], s.correlation_id.as_str());
        assert_eq!(line["status"], s.status);
        for field in [
            "operation",
            "family",
            "method",
            "path",
            "duration_ms",
            "response_bytes",
        ] {
            assert!(!line[field].is_null(), "{field} missing in {line}");
        }
    }
    assert_eq!(access[0]["portal"], 7);
    assert_eq!(access[0]["operation"], "S1");
    assert_eq!(access[0]["family"], "legacy");
    assert_eq!(access[0]["method"], "GET");
    assert_eq!(access[0]["path"], labels);
    assert!(access[0]["response_bytes"].as_u64().unwrap() > 0);
    assert_eq!(access[3]["operation"], "unknown");
    assert!(
        access[4]["portal"].is_null(),
        "an unknown token has no portal"
    );

    // The 500: logged as an error with the id the client saw, and the database error behind it
    // inside the request's span.
    let id = sent[5].correlation_id.as_str();
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "ERROR" && l["correlation_id"] == id),
        "no error line with correlation id {id}"
    );
    assert!(
        lines.iter().any(|l| l["level"] == "ERROR"
            && l["message"] == "database error"
            && l["span"]["correlation_id"] == id),
        "the database error is not logged inside the request's span"
    );

    for secret in [
        SECRET.to_string(),
        hash_secret(SECRET),
        WRONG.to_string(),
        hash_secret(WRONG),
        BODY_MARKER.to_string(),
    ] {
        assert!(!text.contains(&secret), "{secret} appears in the log");
    }
}

#[tokio::test]
async fn text_log_format_writes_the_access_line_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let log = dir.path().join("assocd.log");
    let server = Server::start_logged(
        &db,
        &["--bootstrap-token", SECRET, "--log-format", "text"],
        &[("RUST_LOG", "info")],
        Some(&log),
    );
    let labels = "/crm/v4/associations/contacts/companies/labels";
    let sent = send(
        &reqwest::Client::new(),
        &server,
        reqwest::Method::GET,
        labels,
        Some(SECRET),
        None,
    )
    .await;
    assert_eq!(server.terminate().code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("assocd::access"))
        .unwrap_or_else(|| panic!("no access line in {text}"));
    assert!(
        line.contains(&format!("correlation_id={}", sent.correlation_id)),
        "{line}"
    );
    assert!(line.contains("status=200"), "{line}");
    assert!(!text.starts_with('{'), "text, not JSON: {text}");
}

#[tokio::test]
async fn access_log_off_writes_no_access_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let log = dir.path().join("assocd.log");
    let server = Server::start_logged(
        &db,
        &["--bootstrap-token", SECRET, "--access-log", "off"],
        &[("RUST_LOG", "info")],
        Some(&log),
    );
    let sent = send(
        &reqwest::Client::new(),
        &server,
        reqwest::Method::GET,
        "/crm/v4/associations/contacts/companies/labels",
        Some(SECRET),
        None,
    )
    .await;
    assert_eq!(sent.status, 200);
    assert_eq!(server.terminate().code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("assocd listening"), "{text}");
    assert!(!text.contains("assocd::access"), "{text}");
}
