//! The control plane on several replicas: portals, fixtures and resets act on the shared
//! database through any replica.

use crate::support::*;
use crate::two_replicas;
use reqwest::Method;
use serde_json::{json, Value};

const ADMIN: &str = "replica-admin";

async fn admin(server: &Server, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    server.call_as(ADMIN, method, path, body.as_ref()).await
}

#[tokio::test]
async fn portals_fixtures_and_resets_made_on_one_replica_hold_on_the_other() {
    let Some((_db, servers)) = two_replicas(&["--admin-token", ADMIN]).await else {
        return;
    };
    let [a, b] = &*servers;
    let (status, created) = admin(a, Method::POST, "/_assocd/portals", Some(json!({}))).await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    let labels = "/crm/v4/associations/contacts/companies/labels";
    let (status, _) = b.call_as(&token, Method::GET, labels, None).await;
    assert_eq!(
        status, 200,
        "a portal made on one replica is served by the other"
    );

    let fixture = json!({"portals": [{
        "portalId": 77,
        "tokens": [{"token": "replica-fixture-token"}],
        "labels": [{"from": "contacts", "to": "companies", "name": "auditor", "label": "Auditor"}],
        "associations": [{"from": "contacts/5", "to": "companies/6", "labels": ["auditor"]}]
    }]});
    let (status, body) = admin(b, Method::POST, "/_assocd/fixtures", Some(fixture)).await;
    assert_eq!(status, 200, "{body}");
    let r1 = "/crm/v4/objects/contacts/5/associations/companies";
    let (status, seen) = a
        .call_as("replica-fixture-token", Method::GET, r1, None)
        .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["results"][0]["toObjectId"], 6);

    let (status, _) = admin(a, Method::POST, "/_assocd/portals/77/reset", None).await;
    assert_eq!(status, 204);
    let (_, after) = b
        .call_as("replica-fixture-token", Method::GET, r1, None)
        .await;
    assert_eq!(
        after["results"],
        json!([]),
        "the reset is seen by the other replica"
    );
    let (_, list) = admin(b, Method::GET, "/_assocd/portals", None).await;
    let listed = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["portalId"] == 77)
        .cloned()
        .expect("portal 77 listed");
    assert_eq!(listed["tokens"], 1);
    assert_eq!(listed["associations"], 0);
}
