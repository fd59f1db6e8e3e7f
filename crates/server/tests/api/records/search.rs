//! Q1: records by association on the 2025-09 and 2026-03 families: EQ/IN filters, groups OR-ed
//! and filters AND-ed, paging to the end, sorting by id, and refusals of everything that needs
//! record properties.

use super::*;

const SEARCH_FAMILIES: [&str; 2] = ["/crm/objects/2025-09", "/crm/objects/2026-03"];

/// Associates each `(from, to)` of `from_type`→`to_type` with the default type.
async fn link_all(app: &TestApp, from_type: &str, to_type: &str, pairs: &[(i64, i64)]) {
    let inputs: Vec<Value> = pairs
        .iter()
        .map(|(f, t)| json!({"from": {"id": f.to_string()}, "to": {"id": t.to_string()}}))
        .collect();
    let a = app
        .post(
            &format!("/crm/v4/associations/{from_type}/{to_type}/batch/associate/default"),
            json!({ "inputs": inputs }),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.body.get("errors").is_none(), "{}", a.text);
}

fn eq(object: &str, id: i64) -> Value {
    json!({"propertyName": format!("associations.{object}"), "operator": "EQ", "value": id.to_string()})
}

fn ids(body: &Value) -> Vec<i64> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// Contacts 1-3 with company 10; 1 and 4 with company 11; 1, 4, 5 with deal 20.
async fn fixture(app: &TestApp) {
    link_all(
        app,
        "contacts",
        "companies",
        &[(1, 10), (2, 10), (3, 10), (1, 11), (4, 11)],
    )
    .await;
    link_all(app, "deals", "contacts", &[(20, 1), (20, 4), (20, 5)]).await;
}

#[tokio::test]
async fn filters_match_records_by_association_groups_or_and_filters_and() {
    let app = spawn_app().await;
    fixture(&app).await;
    for family in SEARCH_FAMILIES {
        let url = format!("{family}/contacts/search");
        let search = |groups: Value| app.post(&url, json!({ "filterGroups": groups }));
        let a = search(json!([{"filters": [eq("company", 10)]}])).await;
        assert_eq!(a.status, 200, "{family}: {}", a.text);
        assert_eq!(a.headers["content-type"], "application/json;charset=utf-8");
        assert_eq!(ids(&a.body), vec![1, 2, 3]);
        assert_eq!(a.body["total"], 3);
        assert!(a.body.get("paging").is_none());
        assert_eq!(
            a.body["results"][0],
            json!({"id": "1", "properties": {"hs_object_id": "1"}, "createdAt": "1970-01-01T00:00:00.000Z",
                   "updatedAt": "1970-01-01T00:00:00.000Z", "archived": false})
        );
        let within =
            json!({"propertyName": "associations.0-2", "operator": "IN", "values": ["10", "11"]});
        assert_eq!(
            ids(&search(json!([{"filters": [within]}])).await.body),
            vec![1, 2, 3, 4]
        );
        // AND inside a group: with company 11 and with deal 20.
        let both = search(json!([{"filters": [eq("companies", 11), eq("deal", 20)]}])).await;
        assert_eq!(ids(&both.body), vec![1, 4]);
        // OR across groups: with company 10, or with deal 20.
        let either =
            search(json!([{"filters": [eq("company", 10)]}, {"filters": [eq("deals", 20)]}])).await;
        assert_eq!(ids(&either.body), vec![1, 2, 3, 4, 5]);
        assert_eq!(either.body["total"], 5);
        // The other direction: companies of contact 1.
        let a = app
            .post(
                &format!("{family}/companies/search"),
                json!({"filterGroups": [{"filters": [eq("contact", 1)]}]}),
            )
            .await;
        assert_eq!(ids(&a.body), vec![10, 11]);
        // Nothing matches: an empty page.
        let none = search(json!([{"filters": [eq("company", 999)]}])).await;
        assert_eq!((none.status, none.body["total"].clone()), (200, json!(0)));
        assert_eq!(ids(&none.body), Vec::<i64>::new());
    }
}

#[tokio::test]
async fn pages_through_to_the_end_in_either_order() {
    let app = spawn_app().await;
    let pairs: Vec<(i64, i64)> = (1..=25).map(|c| (c, 99)).collect();
    link_all(&app, "contacts", "companies", &pairs).await;
    for family in SEARCH_FAMILIES {
        let url = format!("{family}/contacts/search");
        for (sorts, expected) in [
            (json!([]), (1..=25).collect::<Vec<i64>>()),
            (json!(["-hs_object_id"]), (1..=25).rev().collect()),
            (
                json!([{"propertyName": "hs_object_id", "direction": "DESCENDING"}]),
                (1..=25).rev().collect(),
            ),
        ] {
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            for _ in 0..5 {
                let mut body = json!({"filterGroups": [{"filters": [eq("company", 99)]}], "limit": 10, "sorts": sorts});
                if let Some(a) = &after {
                    body["after"] = json!(a);
                }
                let a = app.post(&url, body).await;
                assert_eq!(a.status, 200, "{}", a.text);
                assert_eq!(a.body["total"], 25);
                seen.extend(ids(&a.body));
                after = a.body["paging"]["next"]["after"]
                    .as_str()
                    .map(str::to_string);
                if after.is_none() {
                    break;
                }
            }
            assert_eq!(seen, expected, "{family} {sorts}");
        }
        let a = app
            .post(
                &url,
                json!({"filterGroups": [{"filters": [eq("company", 99)]}], "limit": 200}),
            )
            .await;
        assert_eq!((ids(&a.body).len(), a.body.get("paging")), (25, None));
    }
}

#[tokio::test]
async fn anything_needing_record_properties_is_a_400_that_says_so() {
    let app = spawn_app().await;
    fixture(&app).await;
    let url = "/crm/objects/2026-03/contacts/search";
    let group = |f: Value| json!({"filterGroups": [{"filters": [f]}]});
    for body in [
        group(json!({"propertyName": "email", "operator": "EQ", "value": "a@b.c"})),
        group(json!({"propertyName": "associations.company", "operator": "GT", "value": "1"})),
        group(
            json!({"propertyName": "associations.company", "operator": "NOT_IN", "values": ["1"]}),
        ),
        json!({"filterGroups": [{"filters": [eq("company", 10)]}], "sorts": ["createdate"]}),
        json!({"filterGroups": [{"filters": [eq("company", 10)]}], "query": "acme"}),
    ] {
        let a = app.post(url, body.clone()).await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{body}");
        assert!(
            a.body["message"]
                .as_str()
                .unwrap()
                .contains("assocd stores associations, not record properties"),
            "{}",
            a.text
        );
    }
    for body in [
        json!({}),
        json!({"filterGroups": []}),
        json!({"filterGroups": [{"filters": []}]}),
        group(json!({"propertyName": "associations.company", "operator": "EQ", "value": "ten"})),
        group(json!({"propertyName": "associations.nothing", "operator": "EQ", "value": "1"})),
        group(json!({"propertyName": "associations.company", "operator": "IN", "values": []})),
        json!({"filterGroups": [{"filters": [eq("company", 10)]}], "limit": 201}),
        json!({"filterGroups": [{"filters": [eq("company", 10)]}], "limit": 0}),
        json!({"filterGroups": [{"filters": [eq("company", 10)]}], "after": "x"}),
        json!({"filterGroups": vec![json!({"filters": [eq("company", 10)]}); 7]}),
        json!({"filterGroups": [{"filters": [{"operator": "EQ", "value": "1"}]}]}),
    ] {
        let a = app.post(url, body.clone()).await;
        assert_eq!(
            a.assert_hubspot_error(400),
            "VALIDATION_ERROR",
            "{body}: {}",
            a.text
        );
    }
}

#[tokio::test]
async fn search_is_served_where_documented_and_sees_only_the_callers_portal() {
    let app = spawn_app().await;
    fixture(&app).await;
    let body = json!({"filterGroups": [{"filters": [eq("company", 10)]}]});
    for absent in ["/crm/objects/2026-09", "/crm/v4/objects"] {
        let a = app
            .post(&format!("{absent}/contacts/search"), body.clone())
            .await;
        assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND", "{absent}");
    }
    let a = app
        .call(
            Method::POST,
            "/crm/objects/2025-09/contacts/search",
            Some(OTHER_PORTAL_TOKEN),
            Some(&body),
        )
        .await;
    assert_eq!((a.status, a.body["total"].clone()), (200, json!(0)));
    let a = app
        .call(
            Method::POST,
            "/crm/objects/2025-09/contacts/search",
            Some(NO_SCOPE_TOKEN),
            Some(&body),
        )
        .await;
    assert_eq!(a.assert_hubspot_error(403), "MISSING_SCOPES");
}
