//! Who may use the control plane, and that it stays apart from HubSpot's API.

use crate::helpers::*;
use assocd::app::Settings;
use assocd_api::ApiConfig;
use reqwest::Method;

#[tokio::test]
async fn without_an_admin_token_the_control_plane_is_404_but_health_answers() {
    let app = spawn_app_with_settings(Settings {
        api: ApiConfig::default(),
        admin_token: None,
        ..Default::default()
    })
    .await;
    for (method, path) in [
        (Method::GET, "/_assocd/portals"),
        (Method::POST, "/_assocd/portals"),
        (Method::POST, "/_assocd/reset"),
        (Method::GET, "/_assocd/requests"),
        (Method::GET, "/_assocd/openapi.json"),
        (Method::PUT, "/_assocd/clock"),
        (Method::GET, "/_assocd/anything/else"),
    ] {
        let a = app.call(method, path, Some(ADMIN_TOKEN), None).await;
        assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND", "{path}");
    }
    let h = app.call(Method::GET, "/_assocd/health", None, None).await;
    assert_eq!(h.status, 200, "{}", h.text);
    assert_eq!(h.body["status"], "ok");
}

#[tokio::test]
async fn missing_wrong_and_portal_tokens_are_refused_with_401() {
    let app = spawn_app().await;
    for token in [None, Some("not-the-admin-token"), Some(TOKEN)] {
        let a = app.call(Method::GET, "/_assocd/portals", token, None).await;
        assert_eq!(
            a.assert_hubspot_error(401),
            "INVALID_AUTHENTICATION",
            "{token:?}"
        );
    }
    let ok = app.admin(Method::GET, "/_assocd/portals", None).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
}

#[tokio::test]
async fn the_admin_token_does_not_open_hubspot_api() {
    let app = spawn_app().await;
    let a = app
        .call(
            Method::GET,
            "/crm/v4/associations/contacts/companies/labels",
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
    assert_eq!(a.assert_hubspot_error(401), "INVALID_AUTHENTICATION");
}

#[tokio::test]
async fn health_is_public_and_reports_version_database_and_uptime() {
    let app = spawn_app().await;
    let h = app.call(Method::GET, "/_assocd/health", None, None).await;
    assert_eq!(h.status, 200);
    assert_eq!(h.body["status"], "ok");
    assert_eq!(h.body["version"], env!("CARGO_PKG_VERSION"));
    let expected = if app.database_url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(h.body["database"], expected);
    assert!(h.body["uptimeSeconds"].as_u64().is_some(), "{}", h.text);
    assert_eq!(h.headers["content-type"], "application/json;charset=utf-8");
}

#[tokio::test]
async fn unknown_control_paths_and_methods_answer_hubspot_errors() {
    let app = spawn_app().await;
    let a = app.admin(Method::GET, "/_assocd/nothing-here", None).await;
    assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    let a = app.admin(Method::PATCH, "/_assocd/portals", None).await;
    assert_eq!(a.assert_hubspot_error(405), "VALIDATION_ERROR");
}

#[tokio::test]
async fn each_api_has_its_own_openapi_document() {
    let app = spawn_app().await;
    let own = app.admin(Method::GET, "/_assocd/openapi.json", None).await;
    assert_eq!(own.status, 200, "{}", own.text);
    let paths = own.body["paths"].as_object().expect("paths");
    for p in [
        "/_assocd/health",
        "/_assocd/portals",
        "/_assocd/portals/{portalId}",
        "/_assocd/portals/{portalId}/reset",
        "/_assocd/reset",
        "/_assocd/fixtures",
        "/_assocd/requests",
        "/_assocd/clock",
    ] {
        assert!(paths.contains_key(p), "control document lacks {p}");
    }
    assert!(paths.keys().all(|p| p.starts_with("/_assocd/")));
    let hubspot = app.call(Method::GET, "/openapi.json", None, None).await;
    let hub_paths = hubspot.body["paths"].as_object().expect("paths");
    assert!(!hub_paths.is_empty());
    assert!(hub_paths.keys().all(|p| !p.starts_with("/_assocd")));
}
