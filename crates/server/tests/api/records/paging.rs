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

/// R6 at its cap: 1,000 inputs (repeats, cursors, records without associations, labels, a
/// record past one page) answer what R1 answers for each input at R6's page size of 500.
#[tokio::test]
async fn r6_with_1000_inputs_gives_each_input_the_page_r1_gives_it() {
    let app = spawn_app().await;
    let (label, _) = create_label(&app, "contacts", "companies", "boss").await;
    let mut inputs: Vec<Value> = (1..=501)
        .map(|co| json!({"from": {"id": "1"}, "to": {"id": co.to_string()}, "types": []}))
        .collect();
    for c in 2..=40_i64 {
        for co in 0..c % 5 {
            let mut types =
                vec![json!({"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279})];
            if co == 1 {
                types.push(
                    json!({"associationCategory": "USER_DEFINED", "associationTypeId": label}),
                );
            }
            inputs.push(json!({"from": {"id": c.to_string()}, "to": {"id": (1000 + co * 7).to_string()}, "types": types}));
        }
    }
    for chunk in inputs.chunks(1000) {
        let a = app
            .post(
                "/crm/v4/associations/contacts/companies/batch/create",
                json!({ "inputs": chunk }),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
    }
    let r1 = |c: i64, after: Option<String>| {
        let app = &app;
        async move {
            let mut url = format!("/crm/v4/objects/contacts/{c}/associations/companies?limit=500");
            if let Some(after) = after {
                url.push_str(&format!("&after={after}"));
            }
            app.get(&url).await.body
        }
    };
    // Each record's cursor past its first association, for the inputs that carry one.
    let mut cursors = Vec::new();
    for c in 1..=45_i64 {
        let one = app
            .get(&format!(
                "/crm/v4/objects/contacts/{c}/associations/companies?limit=1"
            ))
            .await
            .body;
        cursors.push(one["paging"]["next"]["after"].as_str().map(String::from));
    }
    let asked: Vec<(i64, Option<String>)> = (0..1000_i64)
        .map(|i| {
            let c = 1 + (i * 7) % 45;
            let after = if i % 4 == 1 {
                cursors[c as usize - 1].clone()
            } else {
                None
            };
            (c, after)
        })
        .collect();
    let body: Vec<Value> = asked
        .iter()
        .map(|(c, after)| match after {
            Some(a) => json!({"id": c.to_string(), "after": a}),
            None => json!({"id": c.to_string()}),
        })
        .collect();
    let a = app
        .post(
            "/crm/v4/associations/contacts/companies/batch/read",
            json!({ "inputs": body }),
        )
        .await;
    let url = "/crm/v4/associations/contacts/companies/batch/read";
    assert_eq!(
        a.status,
        crate::documents::batch_codes("POST", url).1,
        "{}",
        a.text
    );
    let (mut results, mut errors) = (
        a.body["results"].as_array().unwrap().iter(),
        a.body["errors"].as_array().unwrap().iter(),
    );
    let mut paged = 0;
    for (c, after) in asked {
        let want = r1(c, after.clone()).await;
        let empty = want["results"].as_array().unwrap().is_empty();
        if empty && after.is_none() {
            let e = errors
                .next()
                .expect("an error for a record without associations");
            assert_eq!(e["context"]["fromObjectId"], json!([c.to_string()]));
            continue;
        }
        let got = results.next().expect("a result per associated input");
        assert_eq!(got["from"]["id"], json!(c.to_string()));
        assert_eq!(got["to"], want["results"], "contact {c} after {after:?}");
        let next = |v: &Value| v["paging"]["next"]["after"].as_str().map(String::from);
        assert_eq!(next(got), next(&want), "contact {c}");
        paged += usize::from(next(got).is_some());
    }
    assert!(results.next().is_none() && errors.next().is_none());
    assert!(paged > 0, "some input runs past one page");
}
