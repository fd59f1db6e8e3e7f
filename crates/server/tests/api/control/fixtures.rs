//! Fixtures through `POST /_assocd/fixtures`: a whole starting state in one call, all or
//! nothing, idempotent.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

const FIXTURE_TOKEN: &str = "fixture-token-1";

/// The example of the control plane's documentation, on portal 7.
fn example() -> Value {
    json!({"portals": [{
        "portalId": 7,
        "tokens": [{"token": FIXTURE_TOKEN}],
        "labels": [{"from": "contacts", "to": "companies", "name": "manager",
                    "label": "Manager", "inverseLabel": "Managed company"}],
        "limits": [{"from": "contacts", "to": "companies", "category": "HUBSPOT_DEFINED", "typeId": 1, "max": 5},
                   {"from": "contacts", "to": "companies", "label": "manager", "max": 2}],
        "associations": [{"from": "contacts/101", "to": "companies/202", "labels": ["manager"]},
                         {"from": "contacts/101", "to": "companies/203"},
                         {"from": "companies/203", "to": "deals/9", "types": [{"category": "HUBSPOT_DEFINED", "typeId": 6}]}]
    }]})
}

async fn apply(app: &TestApp, doc: &Value) -> Answer {
    app.admin(Method::POST, "/_assocd/fixtures", Some(doc.clone()))
        .await
}

async fn as_fixture(app: &TestApp, path: &str) -> Answer {
    app.call(Method::GET, path, Some(FIXTURE_TOKEN), None).await
}

/// What portal 7 holds, as the API shows it.
async fn state(app: &TestApp) -> (Value, Value, Value, Value) {
    let labels = as_fixture(app, "/crm/v4/associations/contacts/companies/labels").await;
    let limits = as_fixture(app, "/crm/v4/associations/definitions/configurations/all").await;
    let assoc = as_fixture(app, "/crm/v4/objects/contacts/101/associations/companies").await;
    let deals = as_fixture(app, "/crm/v4/objects/companies/203/associations/deals").await;
    for a in [&labels, &limits, &assoc, &deals] {
        assert_eq!(a.status, 200, "{}", a.text);
    }
    (labels.body, limits.body, assoc.body, deals.body)
}

#[tokio::test]
async fn a_fixture_creates_its_state_and_applying_it_again_changes_nothing() {
    let app = spawn_app().await;
    let a = apply(&app, &example()).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body,
        json!({"portals": 1, "tokens": 1, "labels": 1, "limits": 2, "associations": 3, "apps": 0})
    );
    let before = state(&app).await;
    let (labels, limits, assoc, deals) = &before;
    let own: Vec<&Value> = labels["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "USER_DEFINED")
        .collect();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["label"], "Manager");
    let manager = own[0]["typeId"].as_i64().unwrap();
    let mut maxima: Vec<(i64, i64)> = limits["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["typeId"].as_i64().unwrap(),
                l["userEnforcedMaxToObjectIds"].as_i64().unwrap(),
            )
        })
        .collect();
    maxima.sort();
    assert_eq!(maxima, vec![(1, 5), (manager, 2)]);
    let results = assoc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["toObjectId"], 202);
    let types: Vec<i64> = results[0]["associationTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["typeId"].as_i64().unwrap())
        .collect();
    assert!(
        types.contains(&manager) && types.contains(&279),
        "{types:?}"
    );
    assert_eq!(results[1]["toObjectId"], 203);
    assert_eq!(deals["results"][0]["toObjectId"], 9);

    let again = apply(&app, &example()).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(
        again.body,
        json!({"portals": 0, "tokens": 0, "labels": 0, "limits": 0, "associations": 0, "apps": 0})
    );
    assert_eq!(state(&app).await, before);
}

/// Applies `doc`, expects a 400 naming `entry`, and checks nothing of it was applied.
async fn refused(app: &TestApp, doc: Value, entry: &str) {
    let a = apply(app, &doc).await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{entry}");
    assert!(
        a.body["message"].as_str().unwrap().starts_with(entry),
        "message names {entry}: {}",
        a.text
    );
    assert_eq!(a.body["context"]["entry"], json!([entry]), "{}", a.text);
    // Nothing applied: the fixture's token does not exist, portal 7 is not listed.
    let t = as_fixture(app, "/crm/v4/associations/contacts/companies/labels").await;
    assert_eq!(t.status, 401, "{entry}: the token was created: {}", t.text);
    let list = app.admin(Method::GET, "/_assocd/portals", None).await;
    assert!(
        !list.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["portalId"] == 7),
        "{entry}: portal 7 was registered"
    );
}

fn with(path: &[&str], value: Value) -> Value {
    let mut doc = example();
    let mut at = &mut doc["portals"][0];
    for (i, key) in path.iter().enumerate() {
        if i + 1 == path.len() {
            if let Ok(n) = key.parse::<usize>() {
                at[n] = value.clone();
            } else {
                at[*key] = value.clone();
            }
        } else if let Ok(n) = key.parse::<usize>() {
            at = &mut at[n];
        } else {
            at = &mut at[*key];
        }
    }
    doc
}

#[tokio::test]
async fn a_bad_entry_is_named_and_nothing_is_applied() {
    let app = spawn_app().await;
    refused(
        &app,
        with(
            &["labels", "0"],
            json!({"from": "contacts", "to": "widgets", "name": "x", "label": "X"}),
        ),
        "portals[0].labels[0]",
    )
    .await;
    refused(
        &app,
        with(
            &["labels", "0"],
            json!({"from": "contacts", "to": "companies", "name": "bad-name", "label": "X"}),
        ),
        "portals[0].labels[0]",
    )
    .await;
    refused(
        &app,
        with(
            &["associations", "1"],
            json!({"from": "contacts/101", "to": "companies/204", "labels": ["nobody"]}),
        ),
        "portals[0].associations[1]",
    )
    .await;
    refused(
        &app,
        with(
            &["associations", "2"],
            json!({"from": "companies/x", "to": "deals/9"}),
        ),
        "portals[0].associations[2]",
    )
    .await;
    refused(
        &app,
        with(
            &["limits", "0"],
            json!({"from": "contacts", "to": "companies", "category": "HUBSPOT_DEFINED", "typeId": 1, "max": 0}),
        ),
        "portals[0].limits[0]",
    )
    .await;
    refused(
        &app,
        with(
            &["limits", "1"],
            json!({"from": "contacts", "to": "companies", "label": "manager", "max": 999999999}),
        ),
        "portals[0].limits[1]",
    )
    .await;
    refused(
        &app,
        with(
            &["limits", "1"],
            json!({"from": "contacts", "to": "companies", "category": "HUBSPOT_DEFINED", "typeId": 5, "max": 2}),
        ),
        "portals[0].limits[1]",
    )
    .await;
    refused(
        &app,
        with(&["tokens", "0"], json!({"token": ADMIN_TOKEN})),
        "portals[0].tokens[0]",
    )
    .await;
}

#[tokio::test]
async fn an_association_over_a_limit_fails_the_whole_fixture() {
    let app = spawn_app().await;
    // The label limit is 2: a third company as manager of contact 101 is one too many.
    let mut doc = example();
    let list = doc["portals"][0]["associations"].as_array_mut().unwrap();
    for id in [204, 205] {
        list.push(
            json!({"from": "contacts/101", "to": format!("companies/{id}"), "labels": ["manager"]}),
        );
    }
    refused(&app, doc, "portals[0].associations[4]").await;
}

#[tokio::test]
async fn a_token_of_another_portal_and_a_changed_label_are_refused() {
    let app = spawn_app().await;
    let doc = with(&["tokens", "0"], json!({"token": TOKEN}));
    let a = apply(&app, &doc).await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert_eq!(a.body["context"]["entry"], json!(["portals[0].tokens[0]"]));

    assert_eq!(apply(&app, &example()).await.status, 200);
    let changed = with(
        &["labels", "0"],
        json!({"from": "contacts", "to": "companies", "name": "manager", "label": "Chief"}),
    );
    let a = apply(&app, &changed).await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert_eq!(a.body["context"]["entry"], json!(["portals[0].labels[0]"]));
}

#[tokio::test]
async fn malformed_documents_are_400() {
    let app = spawn_app().await;
    for doc in [
        json!({}),
        json!({"portals": [{"tokens": []}]}),
        json!({"portals": [{"portalId": 1, "unknownField": 1}]}),
        json!({"portals": [{"portalId": 0}]}),
        json!({"portals": [{"portalId": 1, "limits": [{"from": "contacts", "to": "companies", "max": 3}]}]}),
    ] {
        let a = apply(&app, &doc).await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{doc}");
    }
}
