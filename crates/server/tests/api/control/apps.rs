//! Apps through the control plane: create, list, read, delete, install and uninstall, and
//! apps in fixtures.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

/// Creates an app; returns the 201 body.
pub async fn create_app(app: &TestApp, body: Value) -> Value {
    let a = app.admin(Method::POST, "/_assocd/apps", Some(body)).await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.body
}

fn is_uuid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok())
}

#[tokio::test]
async fn an_app_gets_a_fresh_id_and_generated_secrets_shown_once() {
    let app = spawn_app().await;
    let first = create_app(&app, json!({"portals": [PORTAL]})).await;
    assert_eq!(first["appId"], 1);
    assert!(is_uuid(&first["clientSecret"]), "{first}");
    assert!(is_uuid(&first["developerApiKey"]), "{first}");
    assert!(is_uuid(&first["clientId"]), "{first}");
    assert_eq!(first["portals"], json!([PORTAL]));
    let second = create_app(&app, json!({})).await;
    assert_eq!(second["appId"], 2);
    assert_ne!(second["developerApiKey"], first["developerApiKey"]);

    let list = app.admin(Method::GET, "/_assocd/apps", None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let results = list.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["clientSecret"], first["clientSecret"]);
    assert!(
        results[0].get("developerApiKey").is_none(),
        "the key is stored hashed and never shown again"
    );
    let one = app.admin(Method::GET, "/_assocd/apps/1", None).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["portals"], json!([PORTAL]));
    assert!(one.body["createdAt"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn explicit_ids_and_secrets_are_kept_and_clashes_are_refused() {
    let app = spawn_app().await;
    let body = json!({"appId": 4242, "clientSecret": "my-secret", "developerApiKey": "dev-key-1",
                      "portals": [PORTAL, OTHER_PORTAL]});
    let created = create_app(&app, body).await;
    assert_eq!(
        created,
        json!({"appId": 4242, "clientSecret": "my-secret", "developerApiKey": "dev-key-1",
               "portals": [PORTAL, OTHER_PORTAL], "clientId": created["clientId"],
               "redirectUris": [], "scopes": []})
    );
    let same_id = app
        .admin(Method::POST, "/_assocd/apps", Some(json!({"appId": 4242})))
        .await;
    assert_eq!(same_id.assert_hubspot_error(409), "OBJECT_ALREADY_EXISTS");
    let same_key = app
        .admin(
            Method::POST,
            "/_assocd/apps",
            Some(json!({"developerApiKey": "dev-key-1"})),
        )
        .await;
    assert_eq!(same_key.assert_hubspot_error(409), "OBJECT_ALREADY_EXISTS");
    // A fresh id never collides with an explicit one.
    assert_eq!(create_app(&app, json!({})).await["appId"], 4243);
    for bad in [
        json!({"appId": 0}),
        json!({"appId": 2147483648_i64}),
        json!({"portals": [0]}),
        json!({"clientSecret": ""}),
        json!({"developerApiKey": "has space"}),
        json!({"portals": "101"}),
    ] {
        let a = app
            .admin(Method::POST, "/_assocd/apps", Some(bad.clone()))
            .await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{bad}");
    }
    let list = app.admin(Method::GET, "/_assocd/apps", None).await;
    assert_eq!(list.body["results"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn installs_come_and_go_and_delete_removes_the_app() {
    let app = spawn_app().await;
    create_app(&app, json!({"appId": 7})).await;
    let put = app
        .admin(Method::PUT, "/_assocd/apps/7/portals/555", None)
        .await;
    assert_eq!(put.status, 204, "{}", put.text);
    let one = app.admin(Method::GET, "/_assocd/apps/7", None).await;
    assert_eq!(one.body["portals"], json!([555]));
    let portals = app.admin(Method::GET, "/_assocd/portals", None).await;
    assert!(
        portals.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["portalId"] == 555),
        "installing registers the portal: {}",
        portals.text
    );
    let del = app
        .admin(Method::DELETE, "/_assocd/apps/7/portals/555", None)
        .await;
    assert_eq!(del.status, 204);
    let again = app
        .admin(Method::DELETE, "/_assocd/apps/7/portals/555", None)
        .await;
    assert_eq!(again.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    let none = app
        .admin(Method::PUT, "/_assocd/apps/8/portals/555", None)
        .await;
    assert_eq!(none.assert_hubspot_error(404), "OBJECT_NOT_FOUND");

    assert_eq!(
        app.admin(Method::DELETE, "/_assocd/apps/7", None)
            .await
            .status,
        204
    );
    let gone = app.admin(Method::GET, "/_assocd/apps/7", None).await;
    assert_eq!(gone.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    let twice = app.admin(Method::DELETE, "/_assocd/apps/7", None).await;
    assert_eq!(twice.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    let bad = app.admin(Method::GET, "/_assocd/apps/x", None).await;
    assert_eq!(bad.assert_hubspot_error(400), "VALIDATION_ERROR");
}

#[tokio::test]
async fn apps_need_the_admin_token() {
    let app = spawn_app().await;
    let a = app
        .call(Method::POST, "/_assocd/apps", Some(TOKEN), Some(&json!({})))
        .await;
    assert_eq!(a.assert_hubspot_error(401), "INVALID_AUTHENTICATION");
}

fn app_fixture() -> Value {
    json!({"apps": [{
        "appId": 77, "clientSecret": "fixture-secret", "developerApiKey": "fixture-key",
        "portals": [PORTAL],
        "webhooks": {"targetUrl": "http://127.0.0.1:9/hook", "maxConcurrentRequests": 3,
                     "subscriptions": [{"eventType": "contact.associationChange"},
                                       {"eventType": "object.associationChange", "objectTypeId": "deals",
                                        "active": false}]}
    }]})
}

#[tokio::test]
async fn a_fixture_declares_apps_with_webhooks_and_applying_it_again_changes_nothing() {
    let app = spawn_app().await;
    let a = app
        .admin(Method::POST, "/_assocd/fixtures", Some(app_fixture()))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["apps"], 1);
    let again = app
        .admin(Method::POST, "/_assocd/fixtures", Some(app_fixture()))
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["apps"], 0);

    let key = "hapikey=fixture-key";
    let settings = app
        .call(
            Method::GET,
            &format!("/webhooks/v3/77/settings?{key}"),
            None,
            None,
        )
        .await;
    assert_eq!(settings.status, 200, "{}", settings.text);
    assert_eq!(settings.body["targetUrl"], "http://127.0.0.1:9/hook");
    assert_eq!(settings.body["throttling"]["maxConcurrentRequests"], 3);
    let subs = app
        .call(
            Method::GET,
            &format!("/webhooks/v3/77/subscriptions?{key}"),
            None,
            None,
        )
        .await;
    let results = subs.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{}", subs.text);
    assert_eq!(results[1]["objectTypeId"], "0-3");
    assert_eq!(results[1]["active"], false);

    let mut clash = app_fixture();
    clash["apps"][0]["clientSecret"] = json!("another");
    let refused = app
        .admin(Method::POST, "/_assocd/fixtures", Some(clash))
        .await;
    assert_eq!(refused.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert!(refused.body["message"]
        .as_str()
        .unwrap()
        .starts_with("apps[0]"));

    let mut bad = app_fixture();
    bad["apps"][0]["webhooks"]["subscriptions"][0]["eventType"] = json!("contact.nothing");
    let refused = app
        .admin(Method::POST, "/_assocd/fixtures", Some(bad))
        .await;
    assert_eq!(refused.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .starts_with("apps[0].webhooks.subscriptions[0]"),
        "{}",
        refused.text
    );
}

#[tokio::test]
async fn oauth_settings_are_checked_and_client_ids_are_unique() {
    let app = spawn_app().await;
    let first = create_app(
        &app,
        json!({"clientId": "c-1", "redirectUris": ["http://localhost/cb"], "scopes": ["oauth"]}),
    )
    .await;
    assert_eq!(first["clientId"], "c-1");
    let clash = app
        .admin(
            Method::POST,
            "/_assocd/apps",
            Some(json!({"clientId": "c-1"})),
        )
        .await;
    assert_eq!(clash.assert_hubspot_error(409), "OBJECT_ALREADY_EXISTS");
    for bad in [
        json!({"redirectUris": ["/cb"]}),
        json!({"redirectUris": ["http://x/cb#frag"]}),
        json!({"scopes": ["has space"]}),
        json!({"clientId": ""}),
    ] {
        let a = app
            .admin(Method::POST, "/_assocd/apps", Some(bad.clone()))
            .await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{bad}");
    }
}
