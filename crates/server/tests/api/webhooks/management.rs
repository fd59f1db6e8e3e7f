//! HubSpot's webhooks v3 management API: settings and subscriptions of an app, authenticated
//! by its developer API key in `hapikey`.

use crate::control::apps::create_app;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

const KEY: &str = "dev-key-management";

/// An app (id 31) with key `KEY`, installed in `PORTAL`.
async fn app_with_key(app: &TestApp) {
    create_app(
        app,
        json!({"appId": 31, "developerApiKey": KEY, "portals": [PORTAL]}),
    )
    .await;
}

async fn hook(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Answer {
    let sep = if path.contains('?') { '&' } else { '?' };
    app.call(
        method,
        &format!("/webhooks/v3/31{path}{sep}hapikey={KEY}"),
        None,
        body.as_ref(),
    )
    .await
}

#[tokio::test]
async fn the_developer_key_of_the_app_is_required() {
    let app = spawn_app().await;
    app_with_key(&app).await;
    create_app(&app, json!({"appId": 32, "developerApiKey": "other-key"})).await;
    for path in [
        "/webhooks/v3/31/settings",
        "/webhooks/v3/31/settings?hapikey=",
        "/webhooks/v3/31/settings?hapikey=unknown",
        "/webhooks/v3/31/settings?hapikey=other-key",
    ] {
        let a = app.call(Method::GET, path, Some(TOKEN), None).await;
        assert_eq!(
            a.assert_hubspot_error(401),
            "INVALID_AUTHENTICATION",
            "{path}"
        );
    }
    let bad_id = app
        .call(
            Method::GET,
            &format!("/webhooks/v3/abc/settings?hapikey={KEY}"),
            None,
            None,
        )
        .await;
    assert_eq!(bad_id.assert_hubspot_error(400), "VALIDATION_ERROR");
    let ok = hook(&app, Method::GET, "/subscriptions", None).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body, json!({"results": []}));
}

#[tokio::test]
async fn settings_are_configured_read_replaced_and_cleared() {
    let app = spawn_app().await;
    app_with_key(&app).await;
    let none = hook(&app, Method::GET, "/settings", None).await;
    assert_eq!(none.assert_hubspot_error(404), "OBJECT_NOT_FOUND");

    let body = json!({"targetUrl": "http://127.0.0.1:1/a", "throttling": {"maxConcurrentRequests": 10, "period": "SECONDLY"}});
    let put = hook(&app, Method::PUT, "/settings", Some(body)).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["targetUrl"], "http://127.0.0.1:1/a");
    assert_eq!(put.body["throttling"], json!({"maxConcurrentRequests": 10}));
    let created = put.body["createdAt"].as_str().unwrap().to_string();
    assert!(created.ends_with('Z'), "{created}");

    let body =
        json!({"targetUrl": "https://example.com/b", "throttling": {"maxConcurrentRequests": 2}});
    let replaced = hook(&app, Method::PUT, "/settings", Some(body)).await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.body["createdAt"], created.as_str());
    let get = hook(&app, Method::GET, "/settings", None).await;
    assert_eq!(get.body, replaced.body);

    for bad in [
        json!({"targetUrl": "not a url", "throttling": {"maxConcurrentRequests": 1}}),
        json!({"targetUrl": "http://x/y", "throttling": {"maxConcurrentRequests": 0}}),
        json!({"targetUrl": "http://x/y"}),
        json!({"throttling": {"maxConcurrentRequests": 1}}),
    ] {
        let a = hook(&app, Method::PUT, "/settings", Some(bad.clone())).await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{bad}");
    }
    assert_eq!(
        hook(&app, Method::GET, "/settings", None).await.body,
        get.body
    );

    let clear = hook(&app, Method::DELETE, "/settings", None).await;
    assert_eq!(clear.status, 204);
    assert!(clear.text.is_empty());
    let gone = hook(&app, Method::GET, "/settings", None).await;
    assert_eq!(gone.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn subscriptions_are_created_listed_read_updated_and_deleted() {
    let app = spawn_app().await;
    app_with_key(&app).await;
    let created = hook(
        &app,
        Method::POST,
        "/subscriptions",
        Some(json!({"eventType": "contact.associationChange"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"]
        .as_str()
        .expect("id is a string")
        .to_string();
    assert_eq!(created.body["eventType"], "contact.associationChange");
    assert_eq!(
        created.body["active"], true,
        "new subscriptions start active"
    );
    assert!(created.body.get("propertyName").is_none());
    assert!(created.body["createdAt"].as_str().unwrap().ends_with('Z'));

    let paused = hook(
        &app,
        Method::POST,
        "/subscriptions",
        Some(json!({"eventType": "object.associationChange", "objectTypeId": "0-3", "active": false})),
    )
    .await;
    assert_eq!(paused.status, 201, "{}", paused.text);
    assert_eq!(paused.body["active"], false);
    assert_eq!(paused.body["objectTypeId"], "0-3");
    let stored_only = hook(
        &app,
        Method::POST,
        "/subscriptions",
        Some(json!({"eventType": "contact.propertyChange", "propertyName": "email"})),
    )
    .await;
    assert_eq!(stored_only.status, 201);
    assert_eq!(stored_only.body["propertyName"], "email");

    let list = hook(&app, Method::GET, "/subscriptions", None).await;
    let ids: Vec<&str> = list.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], id);

    let one = hook(&app, Method::GET, &format!("/subscriptions/{id}"), None).await;
    assert_eq!(one.body, created.body);
    let patched = hook(
        &app,
        Method::PATCH,
        &format!("/subscriptions/{id}"),
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["active"], false);
    let unchanged = hook(
        &app,
        Method::PATCH,
        &format!("/subscriptions/{id}"),
        Some(json!({})),
    )
    .await;
    assert_eq!(unchanged.body["active"], false);

    let del = hook(&app, Method::DELETE, &format!("/subscriptions/{id}"), None).await;
    assert_eq!(del.status, 204);
    for method in [Method::GET, Method::DELETE] {
        let a = hook(&app, method, &format!("/subscriptions/{id}"), None).await;
        assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    }
    let a = hook(
        &app,
        Method::PATCH,
        &format!("/subscriptions/{id}"),
        Some(json!({"active": true})),
    )
    .await;
    assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    let bad = hook(&app, Method::GET, "/subscriptions/x1", None).await;
    assert_eq!(bad.assert_hubspot_error(400), "VALIDATION_ERROR");
}

#[tokio::test]
async fn invalid_and_duplicate_subscriptions_are_refused() {
    let app = spawn_app().await;
    app_with_key(&app).await;
    for bad in [
        json!({"eventType": "contact.create"}),
        json!({"eventType": "object.associationChange"}),
        json!({"eventType": "object.associationChange", "objectTypeId": "nope"}),
        json!({"active": true}),
        json!({"eventType": 5}),
    ] {
        let a = hook(&app, Method::POST, "/subscriptions", Some(bad.clone())).await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{bad}");
    }
    let body = json!({"eventType": "deal.associationChange"});
    let first = hook(&app, Method::POST, "/subscriptions", Some(body.clone())).await;
    assert_eq!(first.status, 201);
    let again = hook(&app, Method::POST, "/subscriptions", Some(body)).await;
    assert_eq!(again.assert_hubspot_error(409), "OBJECT_ALREADY_EXISTS");
    let list = hook(&app, Method::GET, "/subscriptions", None).await;
    assert_eq!(list.body["results"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn batch_update_answers_200_or_207_with_the_unknown_ids() {
    let app = spawn_app().await;
    app_with_key(&app).await;
    let mut ids = Vec::new();
    for t in ["contact.associationChange", "company.associationChange"] {
        let a = hook(
            &app,
            Method::POST,
            "/subscriptions",
            Some(json!({"eventType": t})),
        )
        .await;
        ids.push(a.body["id"].as_str().unwrap().parse::<i64>().unwrap());
    }
    let all = hook(
        &app,
        Method::POST,
        "/subscriptions/batch/update",
        Some(json!({"inputs": [{"id": ids[0], "active": false}, {"id": ids[1], "active": false}]})),
    )
    .await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.body["status"], "COMPLETE");
    assert_eq!(all.body["results"].as_array().unwrap().len(), 2);
    assert!(all.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["active"] == false));
    assert!(all.body.get("errors").is_none());

    let some = hook(
        &app,
        Method::POST,
        "/subscriptions/batch/update",
        Some(json!({"inputs": [{"id": ids[0], "active": true}, {"id": 4567, "active": true}]})),
    )
    .await;
    assert_eq!(some.status, 207, "{}", some.text);
    assert_eq!(some.body["numErrors"], 1);
    let err = &some.body["errors"][0];
    assert_eq!(err["status"], "error");
    assert_eq!(err["category"], "SUBSCRIPTION_ID_NOT_FOUND");
    assert_eq!(
        err["subCategory"],
        "SubscriptionErrors.SUBSCRIPTION_IDS_NOT_FOUND"
    );
    assert_eq!(err["context"]["subscriptionIds"], json!(["4567"]));
    assert!(err["message"].as_str().unwrap().contains("`4567`"));
    assert_eq!(some.body["results"][0]["active"], true);

    let empty = hook(
        &app,
        Method::POST,
        "/subscriptions/batch/update",
        Some(json!({"inputs": []})),
    )
    .await;
    assert_eq!(empty.assert_hubspot_error(400), "VALIDATION_ERROR");
}

#[tokio::test]
async fn an_app_holds_at_most_1000_subscriptions() {
    let app = spawn_app().await;
    let subscriptions: Vec<Value> = (0..1000)
        .map(|i| json!({"eventType": "contact.propertyChange", "propertyName": format!("p{i}")}))
        .collect();
    let doc = json!({"apps": [{"appId": 31, "clientSecret": "s", "developerApiKey": KEY,
                               "webhooks": {"subscriptions": subscriptions}}]});
    let a = app
        .admin(Method::POST, "/_assocd/fixtures", Some(doc))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let more = hook(
        &app,
        Method::POST,
        "/subscriptions",
        Some(json!({"eventType": "contact.associationChange"})),
    )
    .await;
    assert_eq!(more.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert_eq!(
        more.body["message"],
        "Couldn't create another subscription. You've reached the maximum number allowed per application (1000)."
    );
}

#[tokio::test]
async fn the_management_api_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let doc = app
        .call(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths["/webhooks/v3/{appId}/settings"]["put"]["responses"]
        .get("200")
        .is_some());
    assert!(
        paths["/webhooks/v3/{appId}/subscriptions"]["post"]["responses"]
            .get("201")
            .is_some()
    );
    assert!(
        paths["/webhooks/v3/{appId}/subscriptions/batch/update"]["post"]["responses"]
            .get("207")
            .is_some()
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["developer_hapikey"]["name"],
        "hapikey"
    );
    assert!(doc["components"]["schemas"]["SubscriptionResponse"].is_object());
}
