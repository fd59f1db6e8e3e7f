//! `--rate-limits hubspot`: tiers, HubSpot's headers, 429 bodies, per-portal settings.

use crate::helpers::*;
use assocd_api::ApiConfig;
use assocd_core::rate_limit::Tier;
use reqwest::Method;
use serde_json::{json, Value};

const LABELS: &str = "/crm/v4/associations/contacts/companies/labels";

async fn limited_app() -> TestApp {
    spawn_app_with(ApiConfig {
        rate_limits: Some(Tier::Starter),
        ..ApiConfig::default()
    })
    .await
}

fn header(a: &Answer, name: &str) -> Option<String> {
    a.headers.get(name).map(|v| v.to_str().unwrap().to_string())
}

fn num(a: &Answer, name: &str) -> i64 {
    header(a, name)
        .unwrap_or_else(|| panic!("{name} missing: {:?}", a.headers))
        .parse()
        .unwrap()
}

async fn set_limits(app: &TestApp, portal: i64, body: Value) -> Answer {
    app.admin(
        Method::PUT,
        &format!("/_assocd/portals/{portal}/rate-limits"),
        Some(body),
    )
    .await
}

async fn custom(app: &TestApp, portal: i64, ten: u64, daily: u64) {
    let a = set_limits(
        app,
        portal,
        json!({"tier": "custom", "tenSecondly": ten, "daily": daily}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// A second token of `portal`.
async fn new_token(app: &TestApp, portal: i64) -> String {
    let a = app
        .admin(
            Method::POST,
            "/_assocd/portals",
            Some(json!({"portalId": portal})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.body["token"].as_str().unwrap().to_string()
}

fn assert_rate_limit_body(a: &Answer, policy: &str, message: &str) {
    assert_eq!(a.status, 429, "{}", a.text);
    // HubSpot's field order, as sent.
    let fields = [
        "status",
        "message",
        "errorType",
        "correlationId",
        "policyName",
        "groupName",
        "category",
    ];
    let at: Vec<usize> = fields
        .iter()
        .map(|f| a.text.find(&format!("\"{f}\":")).expect(f))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{}", a.text);
    assert_eq!(
        a.body.as_object().unwrap().len(),
        fields.len(),
        "{}",
        a.text
    );
    assert_eq!(a.body["status"], "error");
    assert_eq!(a.body["message"], message);
    assert_eq!(a.body["errorType"], "RATE_LIMIT");
    assert_eq!(a.body["policyName"], policy);
    assert_eq!(a.body["category"], "RATE_LIMITS");
    assert!(a.body["groupName"].as_str().unwrap().ends_with(":101"));
    assert_eq!(
        a.headers["x-hubspot-correlation-id"].to_str().unwrap(),
        a.body["correlationId"].as_str().unwrap()
    );
}

#[tokio::test]
async fn rate_limits_are_off_by_default_no_headers_no_429() {
    let app = spawn_app().await;
    custom(&app, PORTAL, 1, 1).await;
    for _ in 0..3 {
        let a = app.get(LABELS).await;
        assert_eq!(a.status, 200);
        assert!(header(&a, "x-hubspot-ratelimit-max").is_none());
    }
    let g = app
        .admin(Method::GET, "/_assocd/portals/101/rate-limits", None)
        .await;
    assert_eq!(g.body["enforced"], false);
    assert_eq!(g.body["tier"], "custom");
}

#[tokio::test]
async fn starter_tier_headers_carry_true_numbers_on_every_authenticated_answer() {
    let app = limited_app().await;
    let a = app.get(LABELS).await;
    assert_eq!(a.status, 200);
    assert_eq!(num(&a, "x-hubspot-ratelimit-interval-milliseconds"), 10_000);
    assert_eq!(num(&a, "x-hubspot-ratelimit-max"), 100);
    assert_eq!(num(&a, "x-hubspot-ratelimit-remaining"), 99);
    assert_eq!(num(&a, "x-hubspot-ratelimit-daily"), 250_000);
    assert_eq!(num(&a, "x-hubspot-ratelimit-daily-remaining"), 249_999);
    // A 404 of an authenticated caller counts and carries the headers too.
    let b = app.get("/crm/v4/associations/nothing/here").await;
    assert_eq!(b.status, 404);
    assert_eq!(num(&b, "x-hubspot-ratelimit-remaining"), 98);
    // No token: 401 as before, not counted, no headers.
    let c = app.call(Method::GET, LABELS, None, None).await;
    assert_eq!(c.status, 401);
    assert!(header(&c, "x-hubspot-ratelimit-max").is_none());
    // The control plane is not HubSpot's API.
    let d = app
        .admin(Method::GET, "/_assocd/portals/101/rate-limits", None)
        .await;
    assert!(header(&d, "x-hubspot-ratelimit-max").is_none());
    assert_eq!(d.body["tier"], "starter");
    assert_eq!(d.body["source"], "server");
    assert_eq!(d.body["tenSecondly"], 100);
    assert_eq!(d.body["daily"], 250_000);
    assert_eq!(d.body["enforced"], true);
    let e = app.get(LABELS).await;
    assert_eq!(num(&e, "x-hubspot-ratelimit-remaining"), 97);
}

#[tokio::test]
async fn over_the_ten_secondly_limit_answers_hubspots_429_and_refusals_do_not_count() {
    let app = limited_app().await;
    custom(&app, PORTAL, 3, 100).await;
    for left in [2, 1, 0] {
        let a = app.get(LABELS).await;
        assert_eq!(a.status, 200);
        assert_eq!(num(&a, "x-hubspot-ratelimit-max"), 3);
        assert_eq!(num(&a, "x-hubspot-ratelimit-remaining"), left);
    }
    for _ in 0..3 {
        let a = app.get(LABELS).await;
        assert_rate_limit_body(
            &a,
            "TEN_SECONDLY_ROLLING",
            "You have reached your ten_secondly_rolling limit.",
        );
        assert_eq!(num(&a, "x-hubspot-ratelimit-remaining"), 0);
        assert_eq!(num(&a, "x-hubspot-ratelimit-daily-remaining"), 97);
    }
    // Another token of the portal has a window of its own but shares the daily count, which
    // the three refused calls did not touch.
    let other = new_token(&app, PORTAL).await;
    let b = app.call(Method::GET, LABELS, Some(&other), None).await;
    assert_eq!(b.status, 200);
    assert_eq!(num(&b, "x-hubspot-ratelimit-remaining"), 2);
    assert_eq!(num(&b, "x-hubspot-ratelimit-daily-remaining"), 96);
    // Another portal is not limited by this one.
    let c = app
        .call(Method::GET, LABELS, Some(OTHER_PORTAL_TOKEN), None)
        .await;
    assert_eq!(c.status, 200);
    assert_eq!(num(&c, "x-hubspot-ratelimit-max"), 100);
}

#[tokio::test]
async fn a_refused_call_writes_nothing() {
    let app = limited_app().await;
    custom(&app, PORTAL, 1, 100).await;
    assert_eq!(app.get(LABELS).await.status, 200);
    let a = app
        .post(LABELS, json!({"name": "refused", "label": "Refused"}))
        .await;
    assert_eq!(a.status, 429, "{}", a.text);
    custom(&app, PORTAL, 100, 100).await;
    let list = app.get(LABELS).await;
    assert!(!list.text.contains("Refused"), "{}", list.text);
}

#[tokio::test]
async fn the_daily_limit_is_per_portal_and_resets_at_midnight_utc() {
    let app = limited_app().await;
    custom(&app, PORTAL, 100, 2).await;
    let clock = |at: &'static str| {
        let app = &app;
        async move {
            let a = app
                .admin(Method::PUT, "/_assocd/clock", Some(json!({ "now": at })))
                .await;
            assert_eq!(a.status, 200, "{}", a.text);
        }
    };
    clock("2026-03-01T23:59:59.500Z").await;
    assert_eq!(app.get(LABELS).await.status, 200);
    let other = new_token(&app, PORTAL).await;
    let a = app.call(Method::GET, LABELS, Some(&other), None).await;
    assert_eq!(num(&a, "x-hubspot-ratelimit-daily-remaining"), 0);
    let refused = app.get(LABELS).await;
    assert_rate_limit_body(&refused, "DAILY", "You have reached your daily limit.");
    clock("2026-03-02T00:00:00.000Z").await;
    let b = app.get(LABELS).await;
    assert_eq!(b.status, 200, "{}", b.text);
    assert_eq!(num(&b, "x-hubspot-ratelimit-daily-remaining"), 1);
}

#[tokio::test]
async fn oauth_tier_has_no_daily_headers_and_off_has_none_at_all() {
    let app = limited_app().await;
    let a = set_limits(&app, PORTAL, json!({"tier": "oauth"})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["tenSecondly"], 110);
    assert!(a.body["daily"].is_null());
    assert_eq!(a.body["source"], "portal");
    let b = app.get(LABELS).await;
    assert_eq!(num(&b, "x-hubspot-ratelimit-max"), 110);
    assert!(header(&b, "x-hubspot-ratelimit-daily").is_none());
    assert!(header(&b, "x-hubspot-ratelimit-daily-remaining").is_none());
    set_limits(&app, PORTAL, json!({"tier": "off"})).await;
    let c = app.get(LABELS).await;
    assert!(header(&c, "x-hubspot-ratelimit-max").is_none());
    for (tier, ten, daily) in [
        ("professional", 190, 625_000),
        ("enterprise", 190, 1_000_000),
        ("api-pack", 250, 1_250_000),
    ] {
        let d = set_limits(&app, PORTAL, json!({ "tier": tier })).await;
        assert_eq!(
            (d.body["tenSecondly"].as_i64(), d.body["daily"].as_i64()),
            (Some(ten), Some(daily))
        );
        let e = app.get(LABELS).await;
        assert_eq!(num(&e, "x-hubspot-ratelimit-max"), ten);
        assert_eq!(num(&e, "x-hubspot-ratelimit-daily"), daily);
    }
}

#[tokio::test]
async fn bad_settings_are_refused_and_change_nothing() {
    let app = limited_app().await;
    for body in [
        json!({"tier": "custom"}),
        json!({"tier": "custom", "tenSecondly": 0, "daily": 5}),
        json!({"tier": "starter", "tenSecondly": 5}),
        json!({"tier": "gold"}),
        json!({"tier": "custom", "tenSecondly": 5, "daily": 5, "extra": 1}),
    ] {
        let a = set_limits(&app, PORTAL, body.clone()).await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{body}");
    }
    let g = app
        .admin(Method::GET, "/_assocd/portals/101/rate-limits", None)
        .await;
    assert_eq!(g.body["tier"], "starter");
    let a = set_limits(&app, 999_999, json!({"tier": "starter"})).await;
    a.assert_hubspot_error(404);
    let b = app
        .admin(Method::GET, "/_assocd/portals/999999/rate-limits", None)
        .await;
    b.assert_hubspot_error(404);
}

#[tokio::test]
async fn a_fixture_sets_a_portals_rate_limits() {
    let app = limited_app().await;
    let doc = json!({"portals": [{"portalId": 303,
        "rateLimits": {"tier": "custom", "tenSecondly": 1, "daily": 10},
        "tokens": [{"token": "fixture-limited"}]}]});
    let a = app
        .admin(Method::POST, "/_assocd/fixtures", Some(doc))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let first = app
        .call(Method::GET, LABELS, Some("fixture-limited"), None)
        .await;
    assert_eq!(num(&first, "x-hubspot-ratelimit-max"), 1);
    let second = app
        .call(Method::GET, LABELS, Some("fixture-limited"), None)
        .await;
    assert_eq!(second.status, 429);
    let bad = json!({"portals": [{"portalId": 304, "rateLimits": {"tier": "custom"}}]});
    let b = app
        .admin(Method::POST, "/_assocd/fixtures", Some(bad))
        .await;
    b.assert_hubspot_error(400);
    assert!(b.body["message"]
        .as_str()
        .unwrap()
        .starts_with("portals[0].rateLimits."));
}

#[tokio::test]
async fn search_has_its_own_five_per_second_limit_without_headers() {
    let app = limited_app().await;
    let path = "/crm/objects/2026-03/contacts/search";
    let body = json!({"filterGroups": []});
    let mut refused = None;
    // Five within a second pass; the sixth is refused (up to ten tries in case the machine
    // is slow enough for the first to leave the second).
    for _ in 0..10 {
        let a = app.post(path, body.clone()).await;
        assert!(
            header(&a, "x-hubspot-ratelimit-max").is_none(),
            "{:?}",
            a.headers
        );
        if a.status == 429 {
            refused = Some(a);
            break;
        }
    }
    let a = refused.expect("the sixth search within a second is refused");
    assert_rate_limit_body(&a, "SECONDLY", "You have reached your secondly limit.");
    // Searches are not counted in the ten-secondly window.
    let b = app.get(LABELS).await;
    assert_eq!(num(&b, "x-hubspot-ratelimit-remaining"), 99);
}
