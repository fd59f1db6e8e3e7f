//! Associations between records (R1–R9) and the high-usage report (U1) on the legacy and dated
//! families: status codes, bodies, bidirectionality, paging, limits and their race, errors.

mod batch;
mod limits;
mod paging;
mod search;
mod single;

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

/// Single-record prefixes: legacy first, then the dated families.
pub const OBJECT_PREFIXES: [&str; 4] = [
    "/crm/v4/objects",
    "/crm/objects/2025-09",
    "/crm/objects/2026-03",
    "/crm/objects/2026-09",
];
/// Batch and report prefixes: legacy first, then the dated families.
pub const ASSOC_PREFIXES: [&str; 4] = [
    "/crm/v4/associations",
    "/crm/associations/2025-09",
    "/crm/associations/2026-03",
    "/crm/associations/2026-09",
];

pub fn is_legacy(prefix: &str) -> bool {
    prefix.starts_with("/crm/v4/")
}

/// `(category, typeId, label)` of one `MultiAssociatedObjectWithLabel`.
pub fn types_of(item: &Value) -> Vec<(String, i64, Option<String>)> {
    item["associationTypes"]
        .as_array()
        .expect("associationTypes")
        .iter()
        .map(|t| {
            (
                t["category"].as_str().unwrap().to_string(),
                t["typeId"].as_i64().unwrap(),
                t["label"].as_str().map(str::to_string),
            )
        })
        .collect()
}

pub fn hs(id: i64) -> (String, i64, Option<String>) {
    ("HUBSPOT_DEFINED".to_string(), id, None)
}

/// R1 on the legacy family (full page); asserts 200.
pub async fn list(app: &TestApp, from: &str, id: i64, to: &str) -> Value {
    let a = app
        .get(&format!("/crm/v4/objects/{from}/{id}/associations/{to}"))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

/// The associated ids R1 lists.
pub async fn linked(app: &TestApp, from: &str, id: i64, to: &str) -> Vec<i64> {
    list(app, from, id, to).await["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["toObjectId"].as_i64().expect("numeric toObjectId"))
        .collect()
}

/// R4 on the legacy family; returns the answer.
pub async fn associate_default(
    app: &TestApp,
    from: &str,
    from_id: i64,
    to: &str,
    to_id: i64,
) -> Answer {
    app.call(
        Method::PUT,
        &format!("/crm/v4/objects/{from}/{from_id}/associations/default/{to}/{to_id}"),
        Some(TOKEN),
        None,
    )
    .await
}

/// Creates a label on `from`→`to`; returns (forward typeId, inverse typeId).
pub async fn create_label(app: &TestApp, from: &str, to: &str, name: &str) -> (i64, i64) {
    let a = app
        .post(
            &format!("/crm/v4/associations/{from}/{to}/labels"),
            json!({"name": name, "label": name, "inverseLabel": format!("{name} (inverse)")}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let r = a.body["results"].as_array().unwrap();
    (
        r[0]["typeId"].as_i64().unwrap(),
        r[r.len() - 1]["typeId"].as_i64().unwrap(),
    )
}

/// Sets a limit through C3 on the legacy family.
pub async fn set_limit(
    app: &TestApp,
    from: &str,
    to: &str,
    category: &str,
    type_id: i64,
    max: i64,
) {
    let a = app
        .post(
            &format!("/crm/v4/associations/definitions/configurations/{from}/{to}/batch/create"),
            json!({"inputs": [{"category": category, "typeId": type_id, "maxToObjectIds": max}]}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
}

pub fn assert_timestamps(body: &Value) {
    for k in ["startedAt", "completedAt"] {
        let t = body[k].as_str().unwrap_or_else(|| panic!("{k} in {body}"));
        assert!(t.len() == 24 && t.ends_with('Z'), "{t}");
    }
}
