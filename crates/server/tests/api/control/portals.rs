//! Portals on demand: create, list with counts, reset, delete, reset all.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

/// A portal through the control plane: (portal id, token).
pub async fn new_portal(app: &TestApp, body: Value) -> (i64, String) {
    let a = app
        .admin(Method::POST, "/_assocd/portals", Some(body))
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    (
        a.body["portalId"].as_i64().expect("portalId"),
        a.body["token"].as_str().expect("token").to_string(),
    )
}

/// Gives `token`'s portal a label, a limit and an association (contacts 1 → companies 2).
pub async fn populate(app: &TestApp, token: &str) {
    let calls = [
        (
            Method::POST,
            "/crm/v4/associations/contacts/companies/labels",
            json!({"name": "boss", "label": "Boss"}),
        ),
        (
            Method::POST,
            "/crm/v4/associations/definitions/configurations/contacts/companies/batch/create",
            json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 279, "maxToObjectIds": 5}]}),
        ),
        (
            Method::POST,
            "/crm/v4/associations/contacts/companies/batch/associate/default",
            json!({"inputs": [{"from": {"id": "1"}, "to": {"id": "2"}}]}),
        ),
    ];
    for (method, path, body) in calls {
        let a = app.call(method, path, Some(token), Some(&body)).await;
        assert!(a.status < 300, "{path}: {}", a.text);
    }
}

async fn counts(app: &TestApp, portal: i64) -> Option<Value> {
    let a = app.admin(Method::GET, "/_assocd/portals", None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|p| p["portalId"] == portal)
        .cloned()
}

async fn labels_of(app: &TestApp, token: &str) -> usize {
    let a = app
        .call(
            Method::GET,
            "/crm/v4/associations/contacts/companies/labels",
            Some(token),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "USER_DEFINED")
        .count()
}

async fn associated(app: &TestApp, token: &str) -> usize {
    let a = app
        .call(
            Method::GET,
            "/crm/v4/objects/contacts/1/associations/companies",
            Some(token),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["results"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_new_portal_gets_a_fresh_id_and_a_working_token() {
    let app = spawn_app().await;
    let (p1, t1) = new_portal(&app, json!({})).await;
    let (p2, t2) = new_portal(&app, json!({})).await;
    assert_ne!(p1, p2);
    assert!(
        p1 > OTHER_PORTAL && p2 > OTHER_PORTAL,
        "fresh ids are unused: {p1} {p2}"
    );
    assert_ne!(t1, t2);
    assert_eq!(labels_of(&app, &t1).await, 0);
    // Isolated: what one portal creates the other does not see.
    populate(&app, &t1).await;
    assert_eq!(labels_of(&app, &t1).await, 1);
    assert_eq!(labels_of(&app, &t2).await, 0);
    // An empty body is allowed too.
    let a = app.admin(Method::POST, "/_assocd/portals", None).await;
    assert_eq!(a.status, 201, "{}", a.text);
}

#[tokio::test]
async fn a_token_for_a_given_portal_with_given_scopes() {
    let app = spawn_app().await;
    let (p, token) = new_portal(&app, json!({"portalId": PORTAL, "scopes": ["oauth"]})).await;
    assert_eq!(p, PORTAL);
    // Reads what the portal's other token wrote...
    populate(&app, TOKEN).await;
    assert_eq!(associated(&app, &token).await, 1);
    // ...but cannot create a label: `oauth` is not one of the scopes S2 accepts.
    let a = app
        .call(
            Method::POST,
            "/crm/v4/associations/contacts/companies/labels",
            Some(&token),
            Some(&json!({"name": "x", "label": "X"})),
        )
        .await;
    assert_eq!(a.assert_hubspot_error(403), "MISSING_SCOPES");
}

#[tokio::test]
async fn bad_portal_requests_are_400() {
    let app = spawn_app().await;
    for body in [
        json!({"portalId": 0}),
        json!({"portalId": -5}),
        json!({"portalId": "x"}),
        json!({"scopes": ["has space"]}),
        json!({"scopes": [""]}),
    ] {
        let a = app
            .admin(Method::POST, "/_assocd/portals", Some(body.clone()))
            .await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{body}");
    }
    let a = app
        .admin(Method::POST, "/_assocd/portals/abc/reset", None)
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
}

#[tokio::test]
async fn the_list_counts_tokens_labels_limits_and_associations() {
    let app = spawn_app().await;
    let (p, token) = new_portal(&app, json!({})).await;
    assert_eq!(
        counts(&app, p).await.expect("listed"),
        json!({"portalId": p, "tokens": 1, "labels": 0, "limits": 0, "associations": 0})
    );
    populate(&app, &token).await;
    new_portal(&app, json!({"portalId": p})).await;
    assert_eq!(
        counts(&app, p).await.expect("listed"),
        json!({"portalId": p, "tokens": 2, "labels": 1, "limits": 1, "associations": 1})
    );
    // The test server's own portals are listed too, in id order.
    let a = app.admin(Method::GET, "/_assocd/portals", None).await;
    let ids: Vec<i64> = a.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["portalId"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&PORTAL) && ids.contains(&OTHER_PORTAL));
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[tokio::test]
async fn reset_removes_one_portals_data_and_keeps_its_tokens() {
    let app = spawn_app().await;
    populate(&app, TOKEN).await;
    populate(&app, OTHER_PORTAL_TOKEN).await;
    let a = app
        .admin(
            Method::POST,
            &format!("/_assocd/portals/{PORTAL}/reset"),
            None,
        )
        .await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert_eq!(labels_of(&app, TOKEN).await, 0);
    assert_eq!(associated(&app, TOKEN).await, 0);
    let limits = app
        .get("/crm/v4/associations/definitions/configurations/all")
        .await;
    assert_eq!(limits.body["results"], json!([]));
    // The other portal is untouched.
    assert_eq!(labels_of(&app, OTHER_PORTAL_TOKEN).await, 1);
    assert_eq!(associated(&app, OTHER_PORTAL_TOKEN).await, 1);
    // A reset portal hands out label ids as a new one does.
    let again = app
        .post(
            "/crm/v4/associations/contacts/companies/labels",
            json!({"name": "boss", "label": "Boss"}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["results"][0]["typeId"], 10000);
}

#[tokio::test]
async fn delete_removes_the_portal_and_its_tokens() {
    let app = spawn_app().await;
    let (p, token) = new_portal(&app, json!({})).await;
    populate(&app, &token).await;
    let a = app
        .admin(Method::DELETE, &format!("/_assocd/portals/{p}"), None)
        .await;
    assert_eq!(a.status, 204, "{}", a.text);
    let refused = app
        .call(
            Method::GET,
            "/crm/v4/associations/contacts/companies/labels",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(refused.assert_hubspot_error(401), "INVALID_AUTHENTICATION");
    assert!(counts(&app, p).await.is_none());
    // Gone means gone: a second delete or reset is 404, and a new portal gets another id.
    let again = app
        .admin(Method::DELETE, &format!("/_assocd/portals/{p}"), None)
        .await;
    assert_eq!(again.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    let (next, _) = new_portal(&app, json!({})).await;
    assert!(next > p);
    // The other portals keep working.
    assert_eq!(labels_of(&app, TOKEN).await, 0);
}

#[tokio::test]
async fn resetting_an_unknown_portal_is_404() {
    let app = spawn_app().await;
    let a = app
        .admin(Method::POST, "/_assocd/portals/987654/reset", None)
        .await;
    assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn reset_all_clears_every_portal_and_keeps_tokens() {
    let app = spawn_app().await;
    populate(&app, TOKEN).await;
    populate(&app, OTHER_PORTAL_TOKEN).await;
    let a = app.admin(Method::POST, "/_assocd/reset", None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    for token in [TOKEN, OTHER_PORTAL_TOKEN] {
        assert_eq!(labels_of(&app, token).await, 0);
        assert_eq!(associated(&app, token).await, 0);
    }
    let c = counts(&app, PORTAL).await.expect("listed");
    assert_eq!(c["tokens"], 2);
    assert_eq!(c["associations"], 0);
}
