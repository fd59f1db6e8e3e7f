//! What the browser test starts with beyond the fixture: a webhook receiver, an app that sends
//! to it, and calls to HubSpot's API for the journal.

use crate::support::Server;
use crate::{ADMIN, DEMO_TOKEN};
use reqwest::Method;
use serde_json::{json, Value};

/// A webhook receiver on a free port that answers 200 to every delivery; its URL.
pub async fn receiver() -> String {
    use axum::routing::post;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route("/hook", post(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

/// An app installed in the fixture portal whose webhooks go to `target`, so the changes made
/// from now on have deliveries to show.
pub async fn install_app(server: &Server, target: &str) {
    let doc = json!({"apps": [{"appId": 777, "clientSecret": "console-app-secret",
        "developerApiKey": "console-app-key", "portals": [4242],
        "webhooks": {"targetUrl": target, "maxConcurrentRequests": 5,
                     "subscriptions": [{"eventType": "contact.associationChange"}]}}]});
    let (status, body) = server
        .call_as(ADMIN, Method::POST, "/_assocd/fixtures", Some(&doc))
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Calls to HubSpot's API with the fixture's token, so the journal has something to show.
pub async fn traffic(server: &Server) {
    let calls: [(Method, &str, Option<Value>); 5] = [
        (
            Method::GET,
            "/crm/v4/objects/contacts/101/associations/companies",
            None,
        ),
        (
            Method::GET,
            "/crm/v4/associations/contacts/companies/labels",
            None,
        ),
        (
            Method::POST,
            "/crm/v4/associations/contacts/companies/batch/read",
            Some(json!({"inputs": [{"id": "101"}, {"id": "102"}]})),
        ),
        (
            Method::GET,
            "/crm/v4/associations/contacts/nothing/labels",
            None,
        ),
        (
            Method::PUT,
            "/crm/v4/objects/contacts/103/associations/default/companies/209",
            None,
        ),
    ];
    for (m, path, body) in calls {
        server.call_as(DEMO_TOKEN, m, path, body.as_ref()).await;
    }
}
