//! R1 paging: id order, opaque cursors, `paging` only when more exist, `limit` rules.

use super::*;

#[tokio::test]
async fn r1_pages_in_id_order_with_an_opaque_cursor_and_paging_only_when_more_exist() {
    let app = spawn_app().await;
    let ids = [38_056_537_805_i64, 5, 900, 46_989_749_974, 17, 3, 2_000_000];
    let inputs: Vec<Value> = ids
        .iter()
        .map(|c| json!({"from": {"id": "1"}, "to": {"id": c.to_string()}, "types": []}))
        .collect();
    assert_eq!(
        app.post(
            "/crm/v4/associations/contacts/companies/batch/create",
            json!({"inputs": inputs})
        )
        .await
        .status,
        201
    );
    let mut sorted = ids.to_vec();
    sorted.sort();
    for prefix in OBJECT_PREFIXES {
        let base = format!("{prefix}/contacts/1/associations/companies");
        let (mut seen, mut url, mut pages) = (Vec::new(), format!("{base}?limit=3"), 0);
        loop {
            let a = app.get(&url).await;
            assert_eq!(a.status, 200, "{}", a.text);
            pages += 1;
            seen.extend(
                a.body["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["toObjectId"].as_i64().unwrap()),
            );
            match a.body.get("paging") {
                Some(p) => {
                    let after = p["next"]["after"].as_str().expect("after");
                    assert!(!after.contains("0-2-"), "the cursor is opaque: {after}");
                    // An absolute link on the host the client called, as HubSpot sends it.
                    let link = p["next"]["link"].as_str().expect("link");
                    assert_eq!(link, app.url(&format!("{base}?after={after}&limit=3")));
                    url = format!("{base}?limit=3&after={after}");
                }
                None => break,
            }
        }
        assert_eq!((seen, pages), (sorted.clone(), 3), "{prefix}");
        let all = app.get(&base).await;
        assert_eq!(all.body["results"].as_array().unwrap().len(), 7);
        assert!(
            all.body.get("paging").is_none(),
            "no paging on the last page: {}",
            all.text
        );
        assert_eq!(
            app.get(&format!("{base}?limit=7")).await.body.get("paging"),
            None
        );
        assert_eq!(
            app.get(&format!("{base}?limit=100000")).await.status,
            200,
            "limit above 500 is capped"
        );
    }
    for q in [
        "limit=0",
        "limit=-1",
        "limit=abc",
        "after=bm9wZQ%3D%3D",
        "after=!!!",
    ] {
        let a = app
            .get(&format!(
                "/crm/v4/objects/contacts/1/associations/companies?{q}"
            ))
            .await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{q}");
    }
    // A cursor of another listing is refused.
    let p = app
        .get("/crm/v4/objects/contacts/1/associations/companies?limit=1")
        .await;
    let after = p.body["paging"]["next"]["after"]
        .as_str()
        .unwrap()
        .to_string();
    app.get(&format!(
        "/crm/v4/objects/contacts/1/associations/deals?after={after}"
    ))
    .await
    .assert_hubspot_error(400);
    // The cursor also works URL-decoded (as a client may send it back).
    let decoded = after.replace("%3D", "=");
    assert_eq!(
        app.get(&format!(
            "/crm/v4/objects/contacts/1/associations/companies?limit=1&after={decoded}"
        ))
        .await
        .status,
        200
    );
    let empty = app
        .get("/crm/v4/objects/contacts/424242/associations/companies")
        .await;
    assert_eq!(empty.body, json!({"results": []}));
}

#[tokio::test]
async fn next_link_honours_the_forwarded_proto_and_host_of_a_proxy() {
    let app = spawn_app().await;
    let inputs: Vec<Value> = (2..=4)
        .map(|c| json!({"from": {"id": "1"}, "to": {"id": c.to_string()}}))
        .collect();
    let a = app
        .post(
            "/crm/v4/associations/contacts/companies/batch/associate/default",
            json!({ "inputs": inputs }),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let path = "/crm/objects/2026-03/contacts/1/associations/companies";
    let link = |headers: &[(&str, &str)]| {
        let mut req = app
            .client
            .get(app.url(&format!("{path}?limit=1")))
            .bearer_auth(TOKEN);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        async move {
            let body: Value = req.send().await.unwrap().json().await.unwrap();
            let after = body["paging"]["next"]["after"]
                .as_str()
                .unwrap()
                .to_string();
            let link = body["paging"]["next"]["link"].as_str().unwrap().to_string();
            (link, after)
        }
    };
    let (l, after) = link(&[
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "crm.example.test"),
    ])
    .await;
    assert_eq!(
        l,
        format!("https://crm.example.test{path}?after={after}&limit=1")
    );
    let (l, after) = link(&[
        ("x-forwarded-proto", "https, http"),
        ("host", "assocd.internal:8443"),
    ])
    .await;
    assert_eq!(
        l,
        format!("https://assocd.internal:8443{path}?after={after}&limit=1")
    );
    // A value that is no scheme or authority is ignored.
    let (l, after) = link(&[
        ("x-forwarded-proto", "javascript"),
        ("x-forwarded-host", "a b/c"),
    ])
    .await;
    assert_eq!(l, app.url(&format!("{path}?after={after}&limit=1")));
}
