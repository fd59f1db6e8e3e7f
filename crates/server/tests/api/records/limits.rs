//! User-enforced limits on every write path (R2, R4, R5, R9), in both directions, under
//! concurrency; purging lifts them; deleting a label strips it from associations; U1.

use super::*;

fn limit_error(a: &Answer, limit: i64, current: i64) {
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    let m = a.body["message"].as_str().unwrap();
    assert!(
        m.contains(&format!("the limit for that type is {limit}"))
            && m.contains(&format!("already has {current}")),
        "{m}"
    );
    assert_eq!(a.body["context"]["limit"], json!([limit.to_string()]));
    assert_eq!(
        a.body["context"]["currentCount"],
        json!([current.to_string()])
    );
}

#[tokio::test]
async fn every_write_path_refuses_an_association_beyond_the_limit_and_writes_nothing_of_it() {
    let app = spawn_app().await;
    set_limit(&app, "contacts", "companies", "HUBSPOT_DEFINED", 279, 2).await;
    assert_eq!(
        associate_default(&app, "contacts", 1, "companies", 10)
            .await
            .status,
        200
    );
    assert_eq!(
        associate_default(&app, "contacts", 1, "companies", 11)
            .await
            .status,
        200
    );
    // R4
    limit_error(
        &associate_default(&app, "contacts", 1, "companies", 12).await,
        2,
        2,
    );
    // R2 (single record, any family)
    for prefix in OBJECT_PREFIXES {
        limit_error(
            &app.put(
                &format!("{prefix}/contacts/1/associations/companies/12"),
                json!([]),
            )
            .await,
            2,
            2,
        );
    }
    // R5: the refused input writes nothing, the other applies (207).
    let a = app
        .post(
            "/crm/v4/associations/contacts/companies/batch/create",
            json!({"inputs": [
                {"from": {"id": "1"}, "to": {"id": "12"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]},
                {"from": {"id": "2"}, "to": {"id": "12"}, "types": []}
            ]}),
        )
        .await;
    assert_eq!(a.status, 207, "{}", a.text);
    assert_eq!(a.body["errors"][0]["context"]["limit"], json!(["2"]));
    assert_eq!(a.body["results"][0]["fromObjectId"], json!(2));
    // R9: failures are reported in a 200.
    let a = app
        .post(
            "/crm/v4/associations/contacts/companies/batch/associate/default",
            json!({"inputs": [{"from": {"id": "1"}, "to": {"id": "13"}}]}),
        )
        .await;
    assert_eq!(
        (a.status, a.body["numErrors"].clone()),
        (200, json!(1)),
        "{}",
        a.text
    );
    assert_eq!(linked(&app, "contacts", 1, "companies").await, vec![10, 11]);
    assert_eq!(
        linked(&app, "companies", 12, "contacts").await,
        vec![2],
        "no reverse row of the refused input"
    );
    // Re-associating an existing pair does not count twice; labels on it count for their type only.
    assert_eq!(
        associate_default(&app, "contacts", 1, "companies", 10)
            .await
            .status,
        200
    );
    let a = app
        .put(
            "/crm/v4/objects/contacts/1/associations/companies/11",
            json!([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    // Other records and other portals are unaffected.
    assert_eq!(
        associate_default(&app, "contacts", 3, "companies", 10)
            .await
            .status,
        200
    );
    let other = app
        .call(
            Method::PUT,
            "/crm/v4/objects/contacts/1/associations/default/companies/12",
            Some(OTHER_PORTAL_TOKEN),
            None,
        )
        .await;
    assert_eq!(other.status, 200);
}

#[tokio::test]
async fn the_limit_of_the_reverse_direction_is_checked_too() {
    let app = spawn_app().await;
    set_limit(&app, "companies", "contacts", "HUBSPOT_DEFINED", 280, 1).await;
    assert_eq!(
        associate_default(&app, "contacts", 1, "companies", 50)
            .await
            .status,
        200
    );
    let a = associate_default(&app, "contacts", 2, "companies", 50).await;
    limit_error(&a, 1, 1);
    assert_eq!(
        a.body["context"]["objectId"],
        json!(["50"]),
        "names the full record"
    );
    assert_eq!(a.body["context"]["associationTypeId"], json!(["280"]));
    assert!(
        linked(&app, "contacts", 2, "companies").await.is_empty(),
        "no forward row either"
    );
}

#[tokio::test]
async fn a_label_limit_counts_only_that_label() {
    let app = spawn_app().await;
    let (label, _) = create_label(&app, "contacts", "companies", "billing").await;
    set_limit(&app, "contacts", "companies", "USER_DEFINED", label, 1).await;
    let with_label = json!([{"associationCategory": "USER_DEFINED", "associationTypeId": label}]);
    assert_eq!(
        app.put(
            "/crm/v4/objects/contacts/1/associations/companies/2",
            with_label.clone()
        )
        .await
        .status,
        201
    );
    limit_error(
        &app.put(
            "/crm/v4/objects/contacts/1/associations/companies/3",
            with_label,
        )
        .await,
        1,
        1,
    );
    assert_eq!(
        associate_default(&app, "contacts", 1, "companies", 3)
            .await
            .status,
        200,
        "the unlabeled type is not limited"
    );
}

#[tokio::test]
async fn purging_a_limit_lifts_it_at_once() {
    let app = spawn_app().await;
    set_limit(&app, "deals", "contacts", "HUBSPOT_DEFINED", 3, 1).await;
    assert_eq!(
        associate_default(&app, "deals", 1, "contacts", 1)
            .await
            .status,
        200
    );
    limit_error(
        &associate_default(&app, "deals", 1, "contacts", 2).await,
        1,
        1,
    );
    let a = app
        .post(
            "/crm/v4/associations/definitions/configurations/deals/contacts/batch/purge",
            json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]}),
        )
        .await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert_eq!(
        associate_default(&app, "deals", 1, "contacts", 2)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn thirty_two_racing_clients_never_exceed_the_limit_and_every_2xx_is_stored() {
    let app = spawn_app().await;
    set_limit(&app, "contacts", "companies", "HUBSPOT_DEFINED", 279, 5).await;
    let mut tasks = tokio::task::JoinSet::new();
    for company in 1..=32_i64 {
        let client = reqwest::Client::new();
        let url = app.url(&format!(
            "/crm/v4/objects/contacts/1/associations/default/companies/{company}"
        ));
        tasks.spawn(async move {
            let r = client
                .put(url)
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("sent");
            (company, r.status().as_u16())
        });
    }
    let mut ok = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (company, status) = done.unwrap();
        match status {
            200 => ok.push(company),
            400 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    ok.sort();
    assert_eq!(ok.len(), 5, "exactly the limit succeeds: {ok:?}");
    assert_eq!(
        linked(&app, "contacts", 1, "companies").await,
        ok,
        "every 2xx is stored and nothing else"
    );
    for company in 1..=32_i64 {
        let back = linked(&app, "companies", company, "contacts").await;
        assert_eq!(back.is_empty(), !ok.contains(&company), "company {company}");
    }
}

#[tokio::test]
async fn deleting_a_label_removes_it_from_every_association_and_keeps_the_default() {
    let app = spawn_app().await;
    let (label, _) = create_label(&app, "contacts", "companies", "partner").await;
    let body = json!([{"associationCategory": "USER_DEFINED", "associationTypeId": label}]);
    assert_eq!(
        app.put("/crm/v4/objects/contacts/1/associations/companies/2", body)
            .await
            .status,
        201
    );
    let a = app
        .delete(&format!(
            "/crm/v4/associations/contacts/companies/labels/{label}"
        ))
        .await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert_eq!(
        types_of(&list(&app, "contacts", 1, "companies").await["results"][0]),
        vec![hs(279)]
    );
    assert_eq!(
        types_of(&list(&app, "companies", 2, "contacts").await["results"][0]),
        vec![hs(280)]
    );
}

#[tokio::test]
async fn u1_answers_a_report_creation_response_on_every_family() {
    let app = spawn_app().await;
    for prefix in ASSOC_PREFIXES {
        for body in [None, Some(json!({}))] {
            let a = app
                .call(
                    Method::POST,
                    &format!("{prefix}/usage/high-usage-report/77406147"),
                    Some(TOKEN),
                    body.as_ref(),
                )
                .await;
            assert_eq!(a.status, 200, "{prefix}: {}", a.text);
            assert_eq!(a.body["userId"], json!(77_406_147));
            assert_eq!(
                a.body["userEmail"],
                format!("user-77406147@portal-{PORTAL}.assocd.local")
            );
            let t = &a.body["enqueueTime"];
            assert!(
                t["value"].as_i64().unwrap() > 1_700_000_000_000,
                "epoch ms: {t}"
            );
            assert_eq!(
                (t["dateOnly"].clone(), t["timeZoneShift"].clone()),
                (json!(false), json!(0))
            );
        }
    }
    for bad in ["abc", "0", "-5", "99999999999"] {
        let a = app
            .call(
                Method::POST,
                &format!("/crm/v4/associations/usage/high-usage-report/{bad}"),
                Some(TOKEN),
                None,
            )
            .await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{bad}");
    }
}

#[tokio::test]
async fn u1_computes_and_keeps_the_report_of_records_at_80_percent_of_a_limit() {
    use assocd_core::store::AssociationStore;
    let app = spawn_app().await;
    set_limit(&app, "contacts", "companies", "HUBSPOT_DEFINED", 279, 5).await;
    for company in 1..=4 {
        associate_default(&app, "contacts", 1, "companies", company).await;
    }
    for company in 1..=3 {
        associate_default(&app, "contacts", 2, "companies", company).await;
    }
    let a = app
        .post("/crm/v4/associations/usage/high-usage-report/9", json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let store = assocd::app::open_store(&app.database_url, &Default::default())
        .await
        .unwrap();
    let report = store
        .high_usage_report(PORTAL, 9)
        .await
        .unwrap()
        .expect("report kept");
    assert_eq!(
        report.enqueued_at,
        a.body["enqueueTime"]["value"].as_i64().unwrap()
    );
    let got: Vec<_> = report
        .entries
        .iter()
        .map(|e| (e.object_id, e.count, e.limit))
        .collect();
    assert_eq!(
        got,
        vec![(1, 4, 5)],
        "contact 1 is at 80%, contact 2 at 60%"
    );
    assert_eq!(
        store.high_usage_report(OTHER_PORTAL, 9).await.unwrap(),
        None
    );
}

/// A batch is planned input by input: an input sees the links the inputs before it made, and
/// counts them against the limits of both directions, as if each had been written alone.
#[tokio::test]
async fn a_batch_sees_and_counts_its_own_earlier_inputs() {
    let app = spawn_app().await;
    set_limit(&app, "contacts", "companies", "HUBSPOT_DEFINED", 279, 2).await;
    set_limit(&app, "companies", "contacts", "HUBSPOT_DEFINED", 280, 2).await;
    let input = |from: i64, to: i64, type_id: i64| {
        json!({"from": {"id": from.to_string()}, "to": {"id": to.to_string()},
               "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]})
    };
    let a = app
        .post(
            "/crm/v4/associations/contacts/companies/batch/create",
            json!({"inputs": [
                input(1, 10, 279), input(1, 11, 279), input(1, 12, 279),
                input(2, 20, 279), input(3, 20, 279), input(4, 20, 279),
                input(5, 30, 279), input(5, 30, 1),
            ]}),
        )
        .await;
    assert_eq!(a.status, 207, "{}", a.text);
    let errors = a.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{}", a.text);
    let mut refused: Vec<(Value, Value)> = errors
        .iter()
        .map(|e| {
            (
                e["context"]["objectId"].clone(),
                e["context"]["toObjectType"].clone(),
            )
        })
        .collect();
    refused.sort_by_key(|r| r.0.to_string());
    assert_eq!(
        refused,
        vec![
            (json!(["1"]), json!(["0-2"])),
            (json!(["20"]), json!(["0-1"]))
        ],
        "{}",
        a.text
    );
    for e in errors {
        assert_eq!(e["context"]["currentCount"], json!(["2"]));
    }
    assert_eq!(linked(&app, "contacts", 1, "companies").await, vec![10, 11]);
    assert_eq!(linked(&app, "companies", 20, "contacts").await, vec![2, 3]);
    assert!(linked(&app, "contacts", 4, "companies").await.is_empty());
    let listed = list(&app, "contacts", 5, "companies").await;
    assert_eq!(
        types_of(&listed["results"][0]),
        vec![
            (
                "HUBSPOT_DEFINED".to_string(),
                1,
                Some("Primary".to_string())
            ),
            hs(279)
        ],
        "the second input on the same pair adds to the first"
    );
}

/// On a pair of one object type with itself, both directions are the same rows: a batch holding
/// a link and its mirror writes each row once, and both records list each other.
#[tokio::test]
async fn a_batch_on_a_pair_of_one_object_type_writes_each_row_once() {
    let app = spawn_app().await;
    let a = app
        .post(
            "/crm/v4/associations/contacts/contacts/batch/associate/default",
            json!({"inputs": [
                {"from": {"id": "1"}, "to": {"id": "2"}},
                {"from": {"id": "2"}, "to": {"id": "1"}},
                {"from": {"id": "1"}, "to": {"id": "3"}}
            ]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["numErrors"], Value::Null, "{}", a.text);
    assert_eq!(linked(&app, "contacts", 1, "contacts").await, vec![2, 3]);
    assert_eq!(linked(&app, "contacts", 2, "contacts").await, vec![1]);
    assert_eq!(linked(&app, "contacts", 3, "contacts").await, vec![1]);
    assert_eq!(
        types_of(&list(&app, "contacts", 2, "contacts").await["results"][0]),
        vec![hs(449)]
    );
}
