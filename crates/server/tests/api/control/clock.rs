//! The frozen clock: answers carry the frozen time until it is released.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

const FROZEN: &str = "2026-01-01T00:00:00.000Z";

#[tokio::test]
async fn a_frozen_clock_is_the_time_of_every_answer_until_released() {
    let app = spawn_app().await;
    let set = app
        .admin(Method::PUT, "/_assocd/clock", Some(json!({"now": FROZEN})))
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body, json!({"now": FROZEN, "frozen": true}));
    let batch = json!({"inputs": [{"from": {"id": "1"}, "to": {"id": "2"}}]});
    let a = app
        .post(
            "/crm/associations/2026-03/contacts/companies/batch/associate/default",
            batch.clone(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["startedAt"], FROZEN);
    assert_eq!(a.body["completedAt"], FROZEN);
    let report = app
        .post("/crm/v4/associations/usage/high-usage-report/7", json!({}))
        .await;
    assert!(report.status < 300, "{}", report.text);
    assert_eq!(report.body["enqueueTime"]["value"], 1_767_225_600_000i64);
    let journal = app
        .admin(Method::GET, "/_assocd/requests?limit=1", None)
        .await;
    assert_eq!(journal.body["results"][0]["at"], FROZEN);
    // Two answers a second apart are identical but for nothing time-related.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let b = app
        .post(
            "/crm/associations/2026-03/contacts/companies/batch/associate/default",
            batch.clone(),
        )
        .await;
    assert_eq!(a.body, b.body);

    let got = app.admin(Method::GET, "/_assocd/clock", None).await;
    assert_eq!(got.body["frozen"], true);
    let released = app.admin(Method::DELETE, "/_assocd/clock", None).await;
    assert_eq!(released.status, 204);
    let c = app
        .post(
            "/crm/associations/2026-03/contacts/companies/batch/associate/default",
            batch,
        )
        .await;
    assert!(
        c.body["startedAt"].as_str().unwrap() > "2026-06-01",
        "{}",
        c.text
    );
    let got = app.admin(Method::GET, "/_assocd/clock", None).await;
    assert_eq!(got.body["frozen"], false);
}

#[tokio::test]
async fn null_releases_the_clock_and_bad_instants_are_400() {
    let app = spawn_app().await;
    app.admin(Method::PUT, "/_assocd/clock", Some(json!({"now": FROZEN})))
        .await;
    let a = app
        .admin(Method::PUT, "/_assocd/clock", Some(json!({"now": null})))
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["frozen"], false);
    for bad in [json!({"now": "yesterday"}), json!({"now": 5}), json!([])] {
        let a = app
            .admin(Method::PUT, "/_assocd/clock", Some(bad.clone()))
            .await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{bad}");
    }
}
