//! The request journal: what HubSpot-API calls this process received, newest first.

use crate::helpers::*;
use assocd::app::Settings;
use assocd_api::ApiConfig;
use reqwest::Method;
use serde_json::{json, Value};

async fn journal(app: &TestApp, query: &str) -> Vec<Value> {
    let a = app
        .admin(Method::GET, &format!("/_assocd/requests{query}"), None)
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["results"].as_array().expect("results").clone()
}

#[tokio::test]
async fn requests_are_recorded_newest_first_with_their_bodies() {
    let app = spawn_app().await;
    let body = json!({"inputs": [{"from": {"id": "1"}, "to": {"id": "2"}}]});
    let created = app
        .post(
            "/crm/v4/associations/contacts/companies/batch/associate/default",
            body.clone(),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let listed = app
        .get("/crm/v4/objects/contacts/1/associations/companies?limit=10")
        .await;
    assert_eq!(listed.status, 200);

    let entries = journal(&app, "").await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    let (r1, r9) = (&entries[0], &entries[1]);
    assert!(r1["id"].as_u64().unwrap() > r9["id"].as_u64().unwrap());
    assert_eq!(r1["operation"], "R1");
    assert_eq!(r1["method"], "GET");
    assert_eq!(
        r1["path"],
        "/crm/v4/objects/contacts/1/associations/companies"
    );
    assert_eq!(r1["query"], "limit=10");
    assert_eq!(r1["status"], 200);
    assert_eq!(r1["portalId"], PORTAL);
    assert_eq!(r1["requestBody"], Value::Null);
    assert_eq!(r1["responseBody"], listed.body);
    assert_eq!(
        r1["correlationId"],
        listed.headers["x-hubspot-correlation-id"].to_str().unwrap()
    );
    assert!(r1["durationMicros"].as_u64().is_some());
    assert!(chrono::DateTime::parse_from_rfc3339(r1["at"].as_str().unwrap()).is_ok());
    assert_eq!(r1["truncated"], false);
    assert_eq!(r9["operation"], "R9");
    assert_eq!(r9["method"], "POST");
    assert_eq!(r9["requestBody"], body);
    assert_eq!(r9["responseBody"], created.body);
}

#[tokio::test]
async fn refused_and_unknown_calls_are_recorded_and_tokens_never_are() {
    let app = spawn_app().await;
    let bad = app
        .call(
            Method::GET,
            "/crm/v4/associations/contacts/companies/labels",
            Some("pat-wrong-secret-xyz"),
            None,
        )
        .await;
    assert_eq!(bad.status, 401);
    let unknown = app.get("/crm/v4/nowhere").await;
    assert_eq!(unknown.status, 404);
    let entries = journal(&app, "").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["operation"], Value::Null);
    assert_eq!(entries[0]["status"], 404);
    assert_eq!(entries[0]["portalId"], PORTAL);
    assert_eq!(entries[1]["operation"], "S1");
    assert_eq!(entries[1]["status"], 401);
    assert_eq!(entries[1]["portalId"], Value::Null);
    let text = app.admin(Method::GET, "/_assocd/requests", None).await.text;
    for secret in [TOKEN, "pat-wrong-secret-xyz", ADMIN_TOKEN] {
        assert!(!text.contains(secret), "the journal shows a token");
    }
    assert!(!text.to_ascii_lowercase().contains("authorization"));
}

#[tokio::test]
async fn filters_pick_portal_operation_status_and_limit() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.get("/crm/v4/associations/contacts/companies/labels")
            .await;
    }
    app.call(
        Method::GET,
        "/crm/v4/associations/contacts/widgets/labels",
        Some(OTHER_PORTAL_TOKEN),
        None,
    )
    .await;
    assert_eq!(journal(&app, &format!("?portalId={PORTAL}")).await.len(), 3);
    assert_eq!(
        journal(&app, &format!("?portalId={OTHER_PORTAL}"))
            .await
            .len(),
        1
    );
    assert_eq!(journal(&app, "?operation=S1").await.len(), 4);
    assert_eq!(journal(&app, "?operation=R1").await.len(), 0);
    assert_eq!(journal(&app, "?status=400").await.len(), 1);
    assert_eq!(journal(&app, "?status=200&limit=2").await.len(), 2);
    for q in ["?operation=Z9", "?status=abc", "?limit=-1", "?portalId=x"] {
        let a = app
            .admin(Method::GET, &format!("/_assocd/requests{q}"), None)
            .await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{q}");
    }
}

#[tokio::test]
async fn control_plane_calls_and_own_endpoints_are_not_recorded_and_delete_clears() {
    let app = spawn_app().await;
    app.get("/crm/v4/associations/contacts/companies/labels")
        .await;
    app.admin(Method::GET, "/_assocd/portals", None).await;
    app.call(Method::GET, "/healthz", None, None).await;
    app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(journal(&app, "").await.len(), 1);
    let a = app.admin(Method::DELETE, "/_assocd/requests", None).await;
    assert_eq!(a.status, 204);
    assert!(journal(&app, "").await.is_empty());
}

#[tokio::test]
async fn the_ring_keeps_the_newest_entries_and_bodies_are_cut_at_64_kib() {
    let app = spawn_app_with(ApiConfig {
        journal_size: 3,
        ..ApiConfig::default()
    })
    .await;
    for i in 0..5 {
        app.get(&format!(
            "/crm/v4/objects/contacts/{}/associations/companies",
            i + 1
        ))
        .await;
    }
    let entries = journal(&app, "").await;
    let paths: Vec<&str> = entries
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/crm/v4/objects/contacts/5/associations/companies",
            "/crm/v4/objects/contacts/4/associations/companies",
            "/crm/v4/objects/contacts/3/associations/companies"
        ]
    );
    // 2,000 inputs of about 55 bytes: a body over 64 KiB.
    let inputs: Vec<Value> = (0..2000)
        .map(|i| json!({"from": {"id": (i + 1).to_string()}, "to": {"id": "123456789"}, "types": []}))
        .collect();
    let big = app
        .post(
            "/crm/v4/associations/contacts/companies/batch/create",
            json!({"inputs": inputs}),
        )
        .await;
    assert!(big.status < 300, "{}", big.text);
    let entry = &journal(&app, "?limit=1").await[0];
    assert_eq!(entry["truncated"], true);
    let kept = entry["requestBody"].as_str().expect("a cut body is text");
    assert_eq!(kept.len(), 64 * 1024);
}

#[tokio::test]
async fn with_journal_size_0_there_is_no_journal() {
    let app = spawn_app_with_settings(Settings {
        api: ApiConfig {
            journal_size: 0,
            ..ApiConfig::default()
        },
        admin_token: Some(ADMIN_TOKEN.to_string()),
        ..Default::default()
    })
    .await;
    app.get("/crm/v4/associations/contacts/companies/labels")
        .await;
    let a = app.admin(Method::GET, "/_assocd/requests", None).await;
    assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
}
