//! Association limits (C1–C5) on every path family.

use crate::documents::batch_codes;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

mod purge;

fn cfg(prefix: &str, rest: &str) -> String {
    format!("{prefix}/definitions/configurations/{rest}")
}

fn input(category: &str, type_id: i64, max: i64) -> Value {
    json!({"category": category, "typeId": type_id, "maxToObjectIds": max})
}

/// `(category, typeId, userEnforcedMaxToObjectIds)` of each result.
fn limits(body: &Value) -> Vec<(String, i64, i64)> {
    let mut v: Vec<_> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["category"].as_str().unwrap().to_string(),
                r["typeId"].as_i64().unwrap(),
                r["userEnforcedMaxToObjectIds"].as_i64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn assert_timestamps(body: &Value) {
    let started = body["startedAt"].as_str().expect("startedAt");
    let completed = body["completedAt"].as_str().expect("completedAt");
    for t in [started, completed] {
        assert_eq!(t.len(), 24, "{t}");
        assert!(
            t.ends_with('Z') && t.as_bytes()[19] == b'.',
            "ISO-8601 with milliseconds: {t}"
        );
        assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok());
    }
    assert!(started <= completed);
}

async fn user_label(app: &TestApp, token: &str, from: &str, to: &str, name: &str) -> i64 {
    let a = app
        .call(
            Method::POST,
            &format!("/crm/v4/associations/{from}/{to}/labels"),
            Some(token),
            Some(&json!({"name": name, "label": name})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["results"][0]["typeId"].as_i64().unwrap()
}

#[tokio::test]
async fn create_read_update_purge_round_trip_on_every_family() {
    let app = spawn_app().await;
    for prefix in SCHEMA_PREFIXES {
        let url = cfg(prefix, "deals/contacts/batch/create");
        let a = app
            .post(&url, json!({"inputs": [input("HUBSPOT_DEFINED", 3, 5)]}))
            .await;
        // 201 where the family's document declares it (v4, 2026-03), else 200.
        assert_eq!(
            a.status,
            batch_codes("POST", &url).0,
            "{prefix}: {}",
            a.text
        );
        assert_eq!(a.body["status"], "COMPLETE");
        assert_eq!(
            a.body["results"][0],
            json!({"category": "HUBSPOT_DEFINED", "typeId": 3, "label": null, "userEnforcedMaxToObjectIds": 5})
        );
        assert!(a.body.get("errors").is_none() && a.body.get("numErrors").is_none());
        assert_timestamps(&a.body);

        let all = app.get(&cfg(prefix, "all")).await;
        assert_eq!(all.status, 200);
        assert_eq!(limits(&all.body), vec![("HUBSPOT_DEFINED".into(), 3, 5)]);
        assert_eq!(all.body["results"][0]["label"], Value::Null);
        let pair = app.get(&cfg(prefix, "deals/contacts")).await;
        assert_eq!(limits(&pair.body), vec![("HUBSPOT_DEFINED".into(), 3, 5)]);
        assert_eq!(
            limits(&app.get(&cfg(prefix, "contacts/deals")).await.body),
            vec![],
            "limits are directional"
        );

        let a = app
            .post(
                &cfg(prefix, "deals/contacts/batch/update"),
                json!({"inputs": [input("HUBSPOT_DEFINED", 3, 7)]}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(
            a.body["results"][0],
            json!({"category": "HUBSPOT_DEFINED", "typeId": 3, "userEnforcedMaxToObjectIds": 7})
        );
        assert_timestamps(&a.body);
        assert_eq!(
            limits(&app.get(&cfg(prefix, "all")).await.body),
            vec![("HUBSPOT_DEFINED".into(), 3, 7)]
        );

        let a = app
            .post(
                &cfg(prefix, "deals/contacts/batch/purge"),
                json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]}),
            )
            .await;
        if prefix == "/crm/v4/associations" {
            assert_eq!(a.status, 204, "{}", a.text);
            assert!(a.text.is_empty());
        } else {
            assert_eq!(a.status, 200, "{prefix}: {}", a.text);
            assert_eq!(a.body["status"], "COMPLETE");
            assert!(a.body["results"].is_array());
            assert_timestamps(&a.body);
        }
        assert_eq!(limits(&app.get(&cfg(prefix, "all")).await.body), vec![]);
    }
}

#[tokio::test]
async fn purging_a_type_without_a_limit_succeeds() {
    let app = spawn_app().await;
    for prefix in SCHEMA_PREFIXES {
        let a = app
            .post(
                &cfg(prefix, "deals/contacts/batch/purge"),
                json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]}),
            )
            .await;
        assert!(a.status == 204 || a.status == 200, "{prefix}: {}", a.text);
    }
}

#[tokio::test]
async fn legacy_purge_is_all_or_nothing_and_names_every_bad_input() {
    let app = spawn_app().await;
    let prefix = "/crm/v4/associations";
    let a = app
        .post(
            &cfg(prefix, "deals/contacts/batch/create"),
            json!({"inputs": [input("HUBSPOT_DEFINED", 3, 5)]}),
        )
        .await;
    assert_eq!(a.status, 201);
    let a = app
        .post(
            &cfg(prefix, "deals/contacts/batch/purge"),
            json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3}, {"category": "HUBSPOT_DEFINED", "typeId": 5}, {"category": "NOT_A_CATEGORY", "typeId": 3}]}),
        )
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    let errors = a.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["in"], "inputs[1]");
    assert_eq!(errors[1]["in"], "inputs[2]");
    assert_eq!(
        limits(&app.get(&cfg(prefix, "all")).await.body),
        vec![("HUBSPOT_DEFINED".into(), 3, 5)],
        "nothing purged"
    );
}

#[tokio::test]
async fn body_returning_purge_reports_bad_inputs_in_a_200_and_applies_the_rest() {
    let app = spawn_app().await;
    for prefix in &SCHEMA_PREFIXES[1..] {
        app.post(
            &cfg(prefix, "deals/contacts/batch/create"),
            json!({"inputs": [input("HUBSPOT_DEFINED", 3, 5)]}),
        )
        .await;
        let a = app.post(&cfg(prefix, "deals/contacts/batch/purge"), json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3}, {"category": "HUBSPOT_DEFINED", "typeId": 5}]})).await;
        // The seed's page and the dated documents show one success answer: 200, never 207.
        assert_eq!(a.status, 200, "{prefix}: {}", a.text);
        assert_eq!(a.body["status"], "COMPLETE");
        assert_eq!(a.body["numErrors"], 1);
        let e = &a.body["errors"][0];
        assert_eq!(e["status"], "error");
        assert_eq!(e["category"], "VALIDATION_ERROR");
        assert_eq!(e["context"]["typeId"], json!(["5"]));
        for key in ["message", "errors", "links", "context"] {
            assert!(e.get(key).is_some(), "StandardError has {key}");
        }
        assert_eq!(limits(&app.get(&cfg(prefix, "all")).await.body), vec![]);
        let a = app
            .post(
                &cfg(prefix, "deals/contacts/batch/purge"),
                json!({"inputs": [{"category": "USER_DEFINED", "typeId": 3}]}),
            )
            .await;
        assert_eq!(a.status, 200);
        assert_eq!(a.body["status"], "CANCELED");
        assert_eq!(a.body["numErrors"], 1);
    }
}

#[tokio::test]
async fn invalid_type_for_the_pair_cancels_with_207_and_changes_nothing() {
    let app = spawn_app().await;
    for (op, ok_status) in [("create", 201), ("update", 200)] {
        let a = app
            .post(&cfg("/crm/v4/associations", &format!("deals/contacts/batch/{op}")), json!({"inputs": [input("HUBSPOT_DEFINED", 5, 3), input("USER_DEFINED", 3, 3), input("HUBSPOT_DEFINED", -1, 3)]}))
            .await;
        assert_eq!(a.status, 207, "{op}: {}", a.text);
        assert_ne!(a.status, ok_status);
        assert_eq!(a.body["status"], "CANCELED");
        assert_eq!(a.body["results"], json!([]));
        assert_eq!(a.body["numErrors"], 3);
        assert_eq!(
            limits(
                &app.get("/crm/v4/associations/definitions/configurations/all")
                    .await
                    .body
            ),
            vec![]
        );
    }
}

#[tokio::test]
async fn valid_inputs_apply_together_when_others_fail() {
    let app = spawn_app().await;
    let a = app
        .post(
            &cfg("/crm/v4/associations", "deals/contacts/batch/create"),
            json!({"inputs": [input("HUBSPOT_DEFINED", 3, 4), input("HUBSPOT_DEFINED", 5, 3)]}),
        )
        .await;
    assert_eq!(a.status, 207, "{}", a.text);
    assert_eq!(a.body["status"], "COMPLETE");
    assert_eq!(limits(&a.body), vec![("HUBSPOT_DEFINED".into(), 3, 4)]);
    assert_eq!(a.body["numErrors"], 1);
    assert_eq!(
        limits(
            &app.get("/crm/v4/associations/definitions/configurations/all")
                .await
                .body
        ),
        vec![("HUBSPOT_DEFINED".into(), 3, 4)]
    );
}

#[tokio::test]
async fn creating_an_existing_limit_is_an_input_error_and_update_creates_a_missing_one() {
    let app = spawn_app().await;
    let create = cfg("/crm/v4/associations", "deals/contacts/batch/create");
    assert_eq!(
        app.post(&create, json!({"inputs": [input("HUBSPOT_DEFINED", 3, 4)]}))
            .await
            .status,
        201
    );
    let a = app
        .post(&create, json!({"inputs": [input("HUBSPOT_DEFINED", 3, 6)]}))
        .await;
    assert_eq!(a.status, 207);
    assert_eq!(a.body["status"], "CANCELED");
    assert!(a.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("already exists"));
    let a = app
        .post(
            &cfg("/crm/v4/associations", "contacts/deals/batch/update"),
            json!({"inputs": [input("HUBSPOT_DEFINED", 4, 9)]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        limits(
            &app.get(&cfg("/crm/v4/associations", "contacts/deals"))
                .await
                .body
        ),
        vec![("HUBSPOT_DEFINED".into(), 4, 9)]
    );
}

#[tokio::test]
async fn max_to_object_ids_must_be_within_the_technical_range() {
    let app = spawn_app().await;
    let path = cfg("/crm/v4/associations", "deals/contacts/batch/create");
    for bad in [0, -3, 50_001] {
        let a = app
            .post(&path, json!({"inputs": [input("HUBSPOT_DEFINED", 3, bad)]}))
            .await;
        assert_eq!(a.status, 207, "{bad}: {}", a.text);
        assert!(
            a.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("valid range is 1-50000"),
            "{}",
            a.text
        );
    }
    let a = app
        .post(
            &path,
            json!({"inputs": [input("HUBSPOT_DEFINED", 3, 50_000)]}),
        )
        .await;
    assert_eq!(a.status, 201);
}

#[tokio::test]
async fn label_limit_cannot_exceed_object_limit_and_object_limit_cannot_drop_below_it() {
    let app = spawn_app().await;
    let label = user_label(&app, TOKEN, "deals", "contacts", "point_of_contact").await;
    let create = cfg("/crm/v4/associations", "deals/contacts/batch/create");
    let update = cfg("/crm/v4/associations", "deals/contacts/batch/update");
    assert_eq!(
        app.post(
            &create,
            json!({"inputs": [input("HUBSPOT_DEFINED", 3, 10)]})
        )
        .await
        .status,
        201
    );
    let a = app
        .post(
            &create,
            json!({"inputs": [input("USER_DEFINED", label, 11)]}),
        )
        .await;
    assert_eq!(a.status, 207);
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1-10"),
        "{}",
        a.text
    );
    let a = app
        .post(
            &create,
            json!({"inputs": [input("USER_DEFINED", label, 4)]}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["results"][0]["label"], "point_of_contact");
    let a = app
        .post(&update, json!({"inputs": [input("HUBSPOT_DEFINED", 3, 3)]}))
        .await;
    assert_eq!(a.status, 207);
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("4-50000"),
        "{}",
        a.text
    );
    assert_eq!(
        limits(
            &app.get(&cfg("/crm/v4/associations", "deals/contacts"))
                .await
                .body
        ),
        vec![
            ("HUBSPOT_DEFINED".into(), 3, 10),
            ("USER_DEFINED".into(), label, 4)
        ]
    );
}

#[tokio::test]
async fn batch_level_problems_are_400() {
    let app = spawn_app().await;
    let path = cfg("/crm/v4/associations", "deals/contacts/batch/update");
    for body in [
        json!({}),
        json!({"inputs": []}),
        json!([]),
        json!({"inputs": null}),
    ] {
        let a = app.post(&path, body.clone()).await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{body}");
    }
    let many: Vec<Value> = (0..101).map(|_| input("HUBSPOT_DEFINED", 3, 2)).collect();
    let a = app.post(&path, json!({"inputs": many})).await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert!(a.body["message"].as_str().unwrap().contains("at most 100"));
    let a = app.raw(Method::POST, &path, "{\"inputs\": [").await;
    a.assert_hubspot_error(400);
    let a = app
        .post(
            &cfg("/crm/v4/associations", "dea/contacts/batch/purge"),
            json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]}),
        )
        .await;
    a.assert_hubspot_error(400);
    assert_eq!(a.body["message"], "Unable to infer object type from: dea");
    let a = app.get(&cfg("/crm/v4/associations", "deals/dea")).await;
    a.assert_hubspot_error(400);
}

#[tokio::test]
async fn duplicate_inputs_are_applied_in_order() {
    let app = spawn_app().await;
    let a = app
        .post(
            &cfg("/crm/v4/associations", "deals/contacts/batch/update"),
            json!({"inputs": [input("HUBSPOT_DEFINED", 3, 2), input("HUBSPOT_DEFINED", 3, 8)]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        limits(
            &app.get("/crm/v4/associations/definitions/configurations/all")
                .await
                .body
        ),
        vec![("HUBSPOT_DEFINED".into(), 3, 8)]
    );
    let a = app
        .post(
            &cfg("/crm/v4/associations", "contacts/deals/batch/create"),
            json!({"inputs": [input("HUBSPOT_DEFINED", 4, 2), input("HUBSPOT_DEFINED", 4, 8)]}),
        )
        .await;
    assert_eq!(a.status, 207);
    assert_eq!(limits(&a.body), vec![("HUBSPOT_DEFINED".into(), 4, 2)]);
    assert_eq!(a.body["numErrors"], 1);
}

#[tokio::test]
async fn same_object_symmetric_type_has_one_limit() {
    let app = spawn_app().await;
    let a = app
        .post(
            &cfg("/crm/v4/associations", "contacts/contacts/batch/create"),
            json!({"inputs": [input("HUBSPOT_DEFINED", 449, 3)]}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let a = app
        .post(
            &cfg("/crm/v4/associations", "contacts/contacts/batch/create"),
            json!({"inputs": [input("HUBSPOT_DEFINED", 449, 4)]}),
        )
        .await;
    assert_eq!(a.status, 207, "the one limit already exists");
    assert_eq!(
        limits(
            &app.get("/crm/v4/associations/definitions/configurations/all")
                .await
                .body
        ),
        vec![("HUBSPOT_DEFINED".into(), 449, 3)]
    );
}

#[tokio::test]
async fn deleting_a_label_removes_its_limits() {
    let app = spawn_app().await;
    let label = user_label(&app, TOKEN, "deals", "contacts", "temp_label").await;
    let a = app
        .post(
            &cfg("/crm/v4/associations", "deals/contacts/batch/create"),
            json!({"inputs": [input("USER_DEFINED", label, 2)]}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(
        app.delete(&format!(
            "/crm/v4/associations/deals/contacts/labels/{label}"
        ))
        .await
        .status,
        204
    );
    assert_eq!(
        limits(
            &app.get("/crm/v4/associations/definitions/configurations/all")
                .await
                .body
        ),
        vec![]
    );
}

#[tokio::test]
async fn portals_never_see_or_touch_each_others_limits() {
    let app = spawn_app().await;
    let mine = user_label(&app, TOKEN, "deals", "contacts", "mine").await;
    app.post(
        &cfg("/crm/v4/associations", "deals/contacts/batch/create"),
        json!({"inputs": [input("HUBSPOT_DEFINED", 3, 5), input("USER_DEFINED", mine, 2)]}),
    )
    .await;
    let other = |m: Method, p: String, b: Option<Value>| {
        let app = &app;
        async move { app.call(m, &p, Some(OTHER_PORTAL_TOKEN), b.as_ref()).await }
    };
    let a = other(Method::GET, cfg("/crm/v4/associations", "all"), None).await;
    assert_eq!(limits(&a.body), vec![]);
    let a = other(
        Method::POST,
        cfg("/crm/v4/associations", "deals/contacts/batch/update"),
        Some(json!({"inputs": [input("USER_DEFINED", mine, 1)]})),
    )
    .await;
    assert_eq!(
        a.status, 207,
        "another portal's label type is not valid here"
    );
    let a = other(
        Method::POST,
        cfg("/crm/v4/associations", "deals/contacts/batch/purge"),
        Some(json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]})),
    )
    .await;
    assert_eq!(a.status, 204);
    assert_eq!(
        limits(&app.get(&cfg("/crm/v4/associations", "all")).await.body),
        vec![
            ("HUBSPOT_DEFINED".into(), 3, 5),
            ("USER_DEFINED".into(), mine, 2)
        ]
    );
}
