//! Property test of the request parsers: whatever the path, body, header or method, the server
//! answers without panicking, never with a 5xx, and every non-2xx is HubSpot's error body.

use crate::helpers::*;
use proptest::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

const TEMPLATES: &[&str] = &[
    "/crm/v4/associations/{a}/{b}/labels",
    "/crm/v4/associations/{a}/{b}/labels/{c}",
    "/crm/associations/v4/definitions/configurations/{a}/{b}/batch/create",
    "/crm/associations/2026-03/definitions/configurations/{a}/{b}/batch/update",
    "/crm/v4/associations/definitions/configurations/{a}/{b}/batch/purge",
    "/crm/associations/2025-09/definitions/configurations/{a}/{b}",
    "/crm/v4/objects/{a}/{c}/associations/{b}",
    "/crm/v4/objects/{a}/{c}/associations/{b}/{c}",
    "/crm/v4/objects/{a}/{c}/associations/default/{b}/{c}",
    "/crm/v4/associations/{a}/{b}/batch/create",
    "/crm/v4/associations/{a}/{b}/batch/read",
    "/crm/associations/2026-09/{a}/{b}/batch/archive",
    "/crm/v4/associations/{a}/{b}/batch/labels/archive",
    "/crm/v4/associations/{a}/{b}/batch/associate/default",
    "/crm/v4/associations/usage/high-usage-report/{c}",
];

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("contacts".to_string()),
        Just("0-3".to_string()),
        Just("2-5".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("%00".to_string()),
        Just("%F0%28%8C%BC".to_string()),
        "[0-9]{1,20}",
        "[a-zA-Z0-9_%.-]{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
        Just(json!("HUBSPOT_DEFINED")),
        Just(json!(3)),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        let keys = prop_oneof![
            Just("inputs".to_string()),
            Just("category".to_string()),
            Just("typeId".to_string()),
            Just("maxToObjectIds".to_string()),
            Just("name".to_string()),
            Just("label".to_string()),
            Just("inverseLabel".to_string()),
            Just("associationTypeId".to_string()),
            Just("associationCategory".to_string()),
            Just("from".to_string()),
            Just("to".to_string()),
            Just("id".to_string()),
            Just("types".to_string()),
            Just("after".to_string()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        json_value().prop_map(|v| serde_json::to_vec(&json!({"inputs": [v]})).unwrap()),
        prop::collection::vec(any::<u8>(), 0..64),
        "[{}\\[\\]\":,0-9a-z ]{0,40}".prop_map(String::into_bytes),
    ]
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::PATCH)
    ]
}

#[test]
fn no_request_makes_the_server_panic_or_answer_5xx() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(spawn_app());
    let config = ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(t in 0..TEMPLATES.len(), a in segment(), b in segment(), c in segment(), m in method(), payload in body(), auth in 0..3u8)| {
        let path = TEMPLATES[t].replace("{a}", &a).replace("{b}", &b).replace("{c}", &c);
        let answer = rt.block_on(async {
            let mut req = app.client.request(m.clone(), app.url(&path)).header("content-type", "application/json").body(payload.clone());
            req = match auth {
                0 => req.bearer_auth(TOKEN),
                1 => req.header("authorization", "Bearer ~garbage~"),
                _ => req,
            };
            let r = req.send().await.expect("the server answers");
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            (status, text)
        });
        let (status, text) = answer;
        prop_assert!(status < 500, "{m} {path} -> {status}: {text}");
        if status >= 300 {
            let v: Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{m} {path} -> {status}: not JSON ({e}): {text}")))?;
            prop_assert_eq!(&v["status"], "error", "{} {} -> {}: {}", m, path, status, text);
            prop_assert!(v["correlationId"].is_string() && v["category"].is_string() && v["message"].is_string(), "{}", text);
        }
    });
}
