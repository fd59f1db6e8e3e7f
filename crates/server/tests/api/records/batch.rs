//! R5–R9: status codes per family, per-input errors, input caps, per-input paging.

use super::*;
use crate::documents::batch_codes;

fn multi(from: i64, to: i64, types: Value) -> Value {
    json!({"from": {"id": from.to_string()}, "to": {"id": to.to_string()}, "types": types})
}

fn pair(from: i64, to: i64) -> Value {
    json!({"from": {"id": from.to_string()}, "to": {"id": to.to_string()}})
}

#[tokio::test]
async fn r5_creates_and_reports_invalid_inputs_with_the_codes_each_family_declares() {
    let app = spawn_app().await;
    for (n, prefix) in ASSOC_PREFIXES.iter().enumerate() {
        let base = 1000 * (n as i64 + 1);
        let url = format!("{prefix}/deals/companies/batch/create");
        // 201/207, or 200 alone on 2026-09.
        let (ok, partial) = batch_codes("POST", &url);
        let primary = json!([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]);
        let a = app.post(&url, json!({"inputs": [multi(base, base + 1, primary.clone()), multi(base, base + 2, json!([]))]})).await;
        assert_eq!(a.status, ok, "{prefix}: {}", a.text);
        assert_eq!(a.body["status"], "COMPLETE");
        assert_timestamps(&a.body);
        assert_eq!(
            a.body["results"][0],
            json!({"fromObjectTypeId": "0-3", "fromObjectId": base, "toObjectTypeId": "0-2", "toObjectId": base + 1, "labels": ["Primary"]})
        );
        assert_eq!(a.body["results"][1]["labels"], json!([]));
        assert!(a.body.get("errors").is_none());
        let bad = json!([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]);
        let a = app.post(&url, json!({"inputs": [multi(base, base + 3, primary.clone()), multi(base, base + 4, bad.clone())]})).await;
        assert_eq!(a.status, partial, "{prefix}: {}", a.text);
        assert_eq!(
            (a.body["status"].clone(), a.body["numErrors"].clone()),
            (json!("COMPLETE"), json!(1))
        );
        assert_eq!(a.body["results"].as_array().unwrap().len(), 1);
        let e = &a.body["errors"][0];
        assert_eq!(
            (
                e["status"].clone(),
                e["category"].clone(),
                e["message"].clone()
            ),
            (
                json!("error"),
                json!("VALIDATION_ERROR"),
                json!("One or more associations are invalid")
            )
        );
        assert_eq!(e["context"]["toObjectId"], json!([(base + 4).to_string()]));
        for k in ["errors", "links"] {
            assert!(e.get(k).is_some(), "StandardError.{k}");
        }
        let a = app
            .post(&url, json!({"inputs": [multi(base, base + 5, bad)]}))
            .await;
        assert_eq!(
            (a.status, a.body["status"].clone()),
            (partial, json!("CANCELED"))
        );
        let mut got = linked(&app, "deals", base, "companies").await;
        got.sort();
        assert_eq!(
            got,
            vec![base + 1, base + 2, base + 3],
            "refused inputs wrote nothing"
        );
        let back = list(&app, "companies", base + 1, "deals").await;
        assert_eq!(
            types_of(&back["results"][0]),
            vec![
                ("HUBSPOT_DEFINED".into(), 6, Some("Primary".into())),
                hs(342)
            ]
        );
    }
}

/// Builds the `i`-th input of a batch.
type MakeInput = dyn Fn(usize) -> Value;

#[tokio::test]
async fn batch_inputs_are_capped_and_malformed_ids_refuse_the_request() {
    let app = spawn_app().await;
    let p = "/crm/v4/associations/contacts/companies";
    let many = |n: usize, f: &MakeInput| json!({"inputs": (0..n).map(f).collect::<Vec<_>>()});
    let cases: [(&str, usize, &MakeInput); 5] = [
        ("batch/create", 2000, &|i| multi(1, i as i64 + 1, json!([]))),
        ("batch/read", 1000, &|i| json!({"id": (i + 1).to_string()})),
        (
            "batch/archive",
            2000,
            &|i| json!({"from": {"id": "1"}, "to": [{"id": (i + 1).to_string()}]}),
        ),
        ("batch/labels/archive", 2000, &|i| {
            multi(1, i as i64 + 1, json!([]))
        }),
        ("batch/associate/default", 2000, &|i| pair(1, i as i64 + 1)),
    ];
    for (op, max, f) in cases {
        let a = app.post(&format!("{p}/{op}"), many(max + 1, f)).await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{op}");
        assert!(
            a.body["message"]
                .as_str()
                .unwrap()
                .contains(&max.to_string()),
            "{}",
            a.text
        );
        assert_eq!(
            app.post(&format!("{p}/{op}"), json!({"inputs": []}))
                .await
                .status,
            400,
            "{op}: empty"
        );
    }
    let a = app
        .post(&format!("{p}/batch/create"), many(2000, cases[0].2))
        .await;
    assert_eq!(a.status, 201, "2,000 inputs are accepted");
    let a = app.post(&format!("{p}/batch/create"), json!({"inputs": [multi(1, 2, json!([])), {"from": {"id": "x1"}, "to": {"id": "2"}, "types": []}]})).await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert_eq!(a.body["context"]["field"], json!(["inputs[1].from.id"]));
    assert_eq!(
        a.body["context"]["INVALID_OBJECT_IDS"],
        json!(["CONTACT=x1 is not valid"])
    );
    let a = app
        .post(
            &format!("{p}/batch/archive"),
            json!({"inputs": [{"from": {"id": "1"}, "to": [{"id": "2"}, {"id": "-3"}]}]}),
        )
        .await;
    assert_eq!(
        a.body["context"]["field"],
        json!(["inputs[0].to[1].id"]),
        "{}",
        a.text
    );
    let a = app
        .post(
            &format!("{p}/batch/read"),
            json!({"inputs": [{"id": "1", "after": "garbage"}]}),
        )
        .await;
    a.assert_hubspot_error(400);
    let a = app
        .post(
            &format!("{p}/batch/create"),
            json!({"inputs": [{"from": {"id": "1"}, "to": {"id": "2"}}]}),
        )
        .await;
    assert!(
        a.assert_hubspot_error(400) == "VALIDATION_ERROR"
            && a.body["message"].as_str().unwrap().contains("types"),
        "{}",
        a.text
    );
    // JSON integers are read as ids too (HubSpot's JSON reader coerces them).
    let a = app
        .post(
            &format!("{p}/batch/associate/default"),
            json!({"inputs": [{"from": {"id": 7}, "to": {"id": 38_056_537_805_i64}}]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body["results"][0]["to"]["id"], "38056537805",
        "PublicObjectId.id is a string"
    );
}

#[tokio::test]
async fn r6_reads_a_page_per_input_with_paging_only_when_more_and_errors_for_unassociated_records()
{
    let app = spawn_app().await;
    let inputs: Vec<Value> = (1..=501).map(|c| multi(1, c, json!([]))).collect();
    assert_eq!(
        app.post(
            "/crm/v4/associations/contacts/companies/batch/create",
            json!({"inputs": inputs})
        )
        .await
        .status,
        201
    );
    associate_default(&app, "contacts", 2, "companies", 9).await;
    for prefix in ASSOC_PREFIXES {
        let url = format!("{prefix}/contacts/companies/batch/read");
        let a = app.post(&url, json!({"inputs": [{"id": "2"}]})).await;
        assert_eq!(a.status, 200, "{prefix}: {}", a.text);
        assert_eq!(
            a.body["results"],
            json!([{"from": {"id": "2"}, "to": [{"toObjectId": 9, "associationTypes": types_json(prefix)}]}])
        );
        assert_timestamps(&a.body);

        let a = app
            .post(
                &url,
                json!({"inputs": [{"id": "1"}, {"id": "2"}, {"id": "777"}]}),
            )
            .await;
        // 207 where declared; 2026-09 declares only 200.
        assert_eq!(
            a.status,
            batch_codes("POST", &url).1,
            "{prefix}: {}",
            a.text
        );
        let first = &a.body["results"][0];
        assert_eq!(first["to"].as_array().unwrap().len(), 500);
        assert_eq!(first["to"][499]["toObjectId"], json!(500));
        let after = first["paging"]["next"]["after"]
            .as_str()
            .expect("paging when more exist")
            .to_string();
        assert!(a.body["results"][1].get("paging").is_none());
        assert_eq!(a.body["numErrors"], json!(1));
        assert_eq!(a.body["errors"][0]["category"], "OBJECT_NOT_FOUND");
        assert_eq!(
            a.body["errors"][0]["context"]["fromObjectId"],
            json!(["777"])
        );

        let next = app
            .post(&url, json!({"inputs": [{"id": "1", "after": after}]}))
            .await;
        assert_eq!(next.status, 200, "{}", next.text);
        assert_eq!(
            next.body["results"][0]["to"],
            json!([{"toObjectId": 501, "associationTypes": types_json(prefix)}])
        );
        assert!(next.body["results"][0].get("paging").is_none());
    }
}

fn types_json(prefix: &str) -> Value {
    if prefix.ends_with("2026-09") {
        json!([{"category": "HUBSPOT_DEFINED", "typeId": 279, "label": null, "fromObjectTypeId": "0-1", "toObjectTypeId": "0-2"}])
    } else {
        json!([{"category": "HUBSPOT_DEFINED", "typeId": 279, "label": null}])
    }
}

#[tokio::test]
async fn r7_archives_every_type_in_both_directions_204_legacy_200_batch_dated() {
    let app = spawn_app().await;
    for (n, prefix) in ASSOC_PREFIXES.iter().enumerate() {
        let c = 100 + n as i64;
        for co in [1, 2, 3] {
            app.put(
                &format!("/crm/v4/objects/contacts/{c}/associations/companies/{co}"),
                json!([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]),
            )
            .await;
        }
        let body = json!({"inputs": [{"from": {"id": c.to_string()}, "to": [{"id": "1"}, {"id": "2"}, {"id": "404"}]}]});
        let a = app
            .post(&format!("{prefix}/contacts/companies/batch/archive"), body)
            .await;
        if is_legacy(prefix) {
            assert_eq!(a.status, 204, "{}", a.text);
            assert!(a.text.is_empty());
        } else {
            assert_eq!(a.status, 200, "{prefix}: {}", a.text);
            assert_eq!(a.body["status"], "COMPLETE");
            assert!(a.body["results"].is_array());
            assert_timestamps(&a.body);
        }
        assert_eq!(linked(&app, "contacts", c, "companies").await, vec![3]);
        assert!(
            linked(&app, "companies", 1, "contacts")
                .await
                .iter()
                .all(|x| *x != c),
            "reverse rows removed too"
        );
    }
}

#[tokio::test]
async fn r8_removes_listed_labels_and_removing_the_default_removes_everything() {
    let app = spawn_app().await;
    let (label, label_inv) = create_label(&app, "contacts", "companies", "employee").await;
    let set = |c: i64, co: i64| {
        let app = &app;
        async move {
            let a = app.put(&format!("/crm/v4/objects/contacts/{c}/associations/companies/{co}"), json!([{"associationCategory": "USER_DEFINED", "associationTypeId": label}, {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}])).await;
            assert_eq!(a.status, 201, "{}", a.text);
        }
    };
    let spec = |cat: &str, id: i64| json!([{"associationCategory": cat, "associationTypeId": id}]);
    for (n, prefix) in ASSOC_PREFIXES.iter().enumerate() {
        let c = 10 + n as i64;
        set(c, 1).await;
        set(c, 2).await;
        let url = format!("{prefix}/contacts/companies/batch/labels/archive");
        // Removing a label leaves the default (and removes its inverse).
        let a = app
            .post(
                &url,
                json!({"inputs": [multi(c, 1, spec("USER_DEFINED", label))]}),
            )
            .await;
        let legacy = is_legacy(prefix);
        assert_eq!(
            a.status,
            if legacy { 204 } else { 200 },
            "{prefix}: {}",
            a.text
        );
        let types = |v: &Value| {
            types_of(&v["results"][0])
                .into_iter()
                .map(|t| t.1)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            types(&list(&app, "contacts", c, "companies").await),
            vec![1, 279]
        );
        assert!(!types(&list(&app, "companies", 1, "contacts").await).contains(&label_inv));
        // Removing the unlabeled type removes everything between the pair.
        app.post(
            &url,
            json!({"inputs": [multi(c, 2, spec("HUBSPOT_DEFINED", 279))]}),
        )
        .await;
        assert_eq!(linked(&app, "contacts", c, "companies").await, vec![1]);
        assert!(!linked(&app, "companies", 2, "contacts").await.contains(&c));
        // An invalid type: legacy refuses the whole batch (a 204 cannot report it); dated
        // families apply the valid inputs and report the invalid one.
        let a = app.post(&url, json!({"inputs": [multi(c, 1, spec("HUBSPOT_DEFINED", 1)), multi(c, 1, spec("HUBSPOT_DEFINED", 2))]})).await;
        if legacy {
            assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
            assert_eq!(a.body["message"], "One or more associations are invalid");
            assert!(
                a.body["context"]["invalidInputs"][0]
                    .as_str()
                    .unwrap()
                    .starts_with("inputs[1]"),
                "{}",
                a.text
            );
            assert_eq!(
                types(&list(&app, "contacts", c, "companies").await),
                vec![1, 279],
                "nothing applied"
            );
        } else {
            // The dated documents declare only 200: the failure is in the body.
            assert_eq!(a.status, 200, "{}", a.text);
            assert_eq!(a.body["numErrors"], json!(1));
            assert_eq!(
                types(&list(&app, "contacts", c, "companies").await),
                vec![279]
            );
        }
    }
}

#[tokio::test]
async fn r9_associates_defaults_in_both_directions_and_reports_failures_in_a_200() {
    let app = spawn_app().await;
    for prefix in ASSOC_PREFIXES {
        let url = format!("{prefix}/deals/companies/batch/associate/default");
        let a = app
            .post(&url, json!({"inputs": [pair(1, 2), pair(1, 3)]}))
            .await;
        assert_eq!(a.status, 200, "{prefix}: {}", a.text);
        assert_eq!(a.body["status"], "COMPLETE");
        let results = a.body["results"].as_array().unwrap();
        assert_eq!(results.len(), 4, "both directions per input");
        assert_eq!(
            results[1],
            json!({"from": {"id": "2"}, "to": {"id": "1"}, "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 342}})
        );
        assert_timestamps(&a.body);
    }
    let a = app
        .post(
            "/crm/v4/associations/2-9/contacts/batch/associate/default",
            json!({"inputs": [pair(1, 2)]}),
        )
        .await;
    assert_eq!(a.status, 200, "only 200 is declared for R9: {}", a.text);
    assert_eq!(
        (a.body["status"].clone(), a.body["numErrors"].clone()),
        (json!("CANCELED"), json!(1))
    );
    assert_eq!(a.body["results"], json!([]));
}
