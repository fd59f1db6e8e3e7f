//! R1–R4: status codes per family, bidirectionality, R2's replace semantics, errors.

use super::*;

#[tokio::test]
async fn r4_associates_both_directions_and_r1_reads_them_from_either_side_on_every_family() {
    let app = spawn_app().await;
    for (n, prefix) in OBJECT_PREFIXES.iter().enumerate() {
        let (deal, company) = (46_989_749_974 + n as i64, 43_500_581_578 + n as i64);
        let a = app
            .call(
                Method::PUT,
                &format!("{prefix}/deals/{deal}/associations/default/companies/{company}"),
                Some(TOKEN),
                None,
            )
            .await;
        assert_eq!(a.status, 200, "{prefix}: {}", a.text);
        assert_eq!(a.body["status"], "COMPLETE");
        assert_timestamps(&a.body);
        assert_eq!(
            a.body["results"],
            json!([
                {"from": {"id": deal.to_string()}, "to": {"id": company.to_string()}, "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 341}},
                {"from": {"id": company.to_string()}, "to": {"id": deal.to_string()}, "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 342}}
            ])
        );
        let r = app
            .get(&format!("{prefix}/deal/{deal}/associations/0-2"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.body["results"][0]["toObjectId"],
            json!(company),
            "toObjectId is a JSON number"
        );
        assert_eq!(types_of(&r.body["results"][0]), vec![hs(341)]);
        assert!(r.body.get("paging").is_none());
        let typed = prefix.ends_with("2026-09");
        assert_eq!(
            r.body["results"][0]["associationTypes"][0]
                .get("fromObjectTypeId")
                .is_some(),
            typed,
            "{}",
            r.text
        );
        let back = app
            .get(&format!("{prefix}/COMPANIES/{company}/associations/deals"))
            .await;
        assert_eq!(back.body["results"][0]["toObjectId"], json!(deal));
        assert_eq!(types_of(&back.body["results"][0]), vec![hs(342)]);
        let again = app
            .call(
                Method::PUT,
                &format!("{prefix}/deals/{deal}/associations/default/companies/{company}"),
                Some(TOKEN),
                None,
            )
            .await;
        assert_eq!(again.status, 200, "R4 is idempotent");
    }
}

#[tokio::test]
async fn r2_sets_the_complete_label_set_keeps_the_default_and_mirrors_inverses() {
    let app = spawn_app().await;
    let (poc, poc_inv) = create_label(&app, "deals", "contacts", "point_of_contact").await;
    let (other, _) = create_label(&app, "deals", "contacts", "decision_maker").await;
    for prefix in OBJECT_PREFIXES {
        let url = format!("{prefix}/deals/11/associations/contacts/22");
        let body = json!([{"associationCategory": "USER_DEFINED", "associationTypeId": poc}, {"associationCategory": "USER_DEFINED", "associationTypeId": other}]);
        let a = app.put(&url, body).await;
        assert_eq!(a.status, 201, "{prefix}: {}", a.text);
        assert_eq!(
            a.body,
            json!({"fromObjectTypeId": "0-3", "fromObjectId": 11, "toObjectTypeId": "0-1", "toObjectId": 22, "labels": ["point_of_contact", "decision_maker"]})
        );
        let location = a
            .headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        if is_legacy(prefix) {
            assert_eq!(location, None);
        } else {
            assert_eq!(
                location,
                Some(format!("{prefix}/0-3/11/associations/0-1/22"))
            );
        }
        let fwd = list(&app, "deals", 11, "contacts").await;
        let names = |v: &Value| {
            types_of(&v["results"][0])
                .into_iter()
                .map(|t| t.1)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&fwd), vec![3, poc, other]);
        assert_eq!(
            types_of(&fwd["results"][0])[1].2.as_deref(),
            Some("point_of_contact")
        );
        let back = list(&app, "contacts", 22, "deals").await;
        assert!(
            names(&back).contains(&4) && names(&back).contains(&poc_inv),
            "{back}"
        );
        assert_eq!(
            types_of(&back["results"][0])
                .iter()
                .find(|t| t.1 == poc_inv)
                .unwrap()
                .2
                .as_deref(),
            Some("point_of_contact (inverse)")
        );

        // Omitted labels are removed; the unlabeled type stays, in both directions.
        let a = app
            .put(
                &url,
                json!([{"associationCategory": "USER_DEFINED", "associationTypeId": other}]),
            )
            .await;
        assert_eq!(a.body["labels"], json!(["decision_maker"]));
        let a = app.put(&url, json!([])).await;
        assert_eq!(a.status, 201);
        assert_eq!(a.body["labels"], json!([]));
        assert_eq!(names(&list(&app, "deals", 11, "contacts").await), vec![3]);
        assert_eq!(names(&list(&app, "contacts", 22, "deals").await), vec![4]);
    }
}

#[tokio::test]
async fn r2_with_a_type_of_another_direction_or_portal_is_a_validation_error_naming_the_input() {
    let app = spawn_app().await;
    let url = "/crm/v4/objects/deals/38374264688/associations/companies/5";
    let a = app
        .put(
            url,
            json!([{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]),
        )
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert_eq!(a.body["message"], "One or more associations are invalid");
    assert_eq!(a.body["context"]["fromObjectId"], json!(["38374264688"]));
    assert_eq!(a.body["context"]["toObjectId"], json!(["5"]));
    assert!(
        a.body["context"]["invalidAssociationTypes"][0]
            .as_str()
            .unwrap()
            .contains("HUBSPOT_DEFINED=1"),
        "{}",
        a.text
    );
    // A label of the other direction, of another pair, another portal's label, another category.
    let (fwd, inv) = create_label(&app, "deals", "companies", "billing").await;
    let (contacts_label, _) = create_label(&app, "deals", "contacts", "champion").await;
    for (category, id) in [
        ("USER_DEFINED", inv),
        ("USER_DEFINED", contacts_label),
        ("USER_DEFINED", 341),
        ("INTEGRATOR_DEFINED", 341),
        ("WORK", 341),
    ] {
        let a = app
            .put(
                url,
                json!([{"associationCategory": category, "associationTypeId": id}]),
            )
            .await;
        assert_eq!(
            a.assert_hubspot_error(400),
            "VALIDATION_ERROR",
            "{category} {id}"
        );
    }
    // Another portal has no such label.
    let other_portal = app
        .call(Method::PUT, "/crm/v4/objects/deals/1/associations/contacts/2", Some(OTHER_PORTAL_TOKEN), Some(&json!([{"associationCategory": "USER_DEFINED", "associationTypeId": contacts_label}])))
        .await;
    other_portal.assert_hubspot_error(400);
    assert_eq!(
        linked(&app, "deals", 38_374_264_688, "companies").await,
        Vec::<i64>::new(),
        "nothing written"
    );
    let ok = app
        .put(
            url,
            json!([{"associationCategory": "USER_DEFINED", "associationTypeId": fwd}]),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
}

#[tokio::test]
async fn r3_removes_every_type_in_both_directions_with_204_on_every_family() {
    let app = spawn_app().await;
    let (label, _) = create_label(&app, "contacts", "companies", "employee").await;
    for prefix in OBJECT_PREFIXES {
        let put = app.put(&format!("{prefix}/contacts/1/associations/companies/2"), json!([{"associationCategory": "USER_DEFINED", "associationTypeId": label}, {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}])).await;
        assert_eq!(put.status, 201, "{}", put.text);
        assert_eq!(put.body["labels"], json!(["Primary", "employee"]));
        let a = app
            .delete(&format!("{prefix}/contacts/1/associations/companies/2"))
            .await;
        assert_eq!(a.status, 204, "{prefix}: {}", a.text);
        assert!(a.text.is_empty());
        assert!(linked(&app, "contacts", 1, "companies").await.is_empty());
        assert!(linked(&app, "companies", 2, "contacts").await.is_empty());
        assert_eq!(
            app.delete(&format!("{prefix}/contacts/1/associations/companies/2"))
                .await
                .status,
            204,
            "idempotent"
        );
    }
}

#[tokio::test]
async fn malformed_ids_unknown_types_and_bad_bodies_are_400() {
    let app = spawn_app().await;
    for bad in [
        "abc",
        "0",
        "-1",
        "1.5",
        "99999999999999999999",
        "9223372036854775808",
    ] {
        for path in [
            format!("/crm/v4/objects/contacts/{bad}/associations/companies"),
            format!("/crm/objects/2026-03/contacts/{bad}/associations/companies"),
        ] {
            let a = app.get(&path).await;
            assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{path}");
            assert!(
                a.body["context"]["INVALID_OBJECT_IDS"][0]
                    .as_str()
                    .unwrap()
                    .starts_with("CONTACT="),
                "{}",
                a.text
            );
        }
        let a = app
            .put(
                &format!("/crm/v4/objects/contacts/1/associations/companies/{bad}"),
                json!([]),
            )
            .await;
        a.assert_hubspot_error(400);
        let a = app
            .call(
                Method::PUT,
                &format!("/crm/v4/objects/contacts/1/associations/default/companies/{bad}"),
                Some(TOKEN),
                None,
            )
            .await;
        a.assert_hubspot_error(400);
        app.delete(&format!(
            "/crm/v4/objects/contacts/{bad}/associations/companies/1"
        ))
        .await
        .assert_hubspot_error(400);
    }
    let a = app
        .get("/crm/v4/objects/contacts/9223372036854775807/associations/companies")
        .await;
    assert_eq!(a.status, 200, "i64::MAX is a valid id");
    let a = app
        .get("/crm/v4/objects/dea/1/associations/companies")
        .await;
    a.assert_hubspot_error(400);
    assert_eq!(a.body["message"], "Unable to infer object type from: dea");
    app.put("/crm/v4/objects/contacts/1/associations/com/2", json!([]))
        .await
        .assert_hubspot_error(400);
    for body in [
        json!("employee"),
        json!(279),
        json!([{"associationTypeId": 279}]),
        json!([{"associationCategory": "NOPE", "associationTypeId": 279}]),
    ] {
        let a = app
            .put(
                "/crm/v4/objects/contacts/1/associations/companies/2",
                body.clone(),
            )
            .await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{body}");
    }
    let a = app
        .raw(
            Method::PUT,
            "/crm/v4/objects/contacts/1/associations/companies/2",
            "[{",
        )
        .await;
    a.assert_hubspot_error(400);
    let a = app
        .call(
            Method::PUT,
            "/crm/v4/objects/contacts/1/associations/default/contacts/1",
            Some(TOKEN),
            None,
        )
        .await;
    assert!(
        a.assert_hubspot_error(400) == "VALIDATION_ERROR"
            && a.body["message"].as_str().unwrap().contains("itself"),
        "{}",
        a.text
    );
    let a = app
        .call(
            Method::PUT,
            "/crm/v4/objects/2-123/1/associations/default/contacts/2",
            Some(TOKEN),
            None,
        )
        .await;
    assert!(
        a.assert_hubspot_error(400) == "VALIDATION_ERROR"
            && a.body["message"].as_str().unwrap().contains("no default"),
        "{}",
        a.text
    );
}

#[tokio::test]
async fn custom_object_pairs_use_their_plain_user_type_as_default() {
    let app = spawn_app().await;
    create_label(&app, "2-123", "contacts", "sponsor").await;
    let a = app
        .call(
            Method::PUT,
            "/crm/v4/objects/2-123/7/associations/default/contacts/8",
            Some(TOKEN),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body["results"][0]["associationSpec"]["associationCategory"],
        "USER_DEFINED"
    );
    let back = list(&app, "contacts", 8, "2-123").await;
    assert_eq!(
        back["results"][0]["associationTypes"][0]["category"],
        "USER_DEFINED"
    );
    assert_eq!(
        back["results"][0]["associationTypes"][0]["label"],
        Value::Null
    );
}

#[tokio::test]
async fn tokens_scopes_and_portals_are_enforced() {
    let app = spawn_app().await;
    associate_default(&app, "contacts", 1, "companies", 2).await;
    let path = "/crm/v4/objects/contacts/1/associations/companies";
    assert_eq!(
        app.call(Method::GET, path, None, None)
            .await
            .assert_hubspot_error(401),
        "INVALID_AUTHENTICATION"
    );
    assert_eq!(
        app.call(Method::GET, path, Some(NO_SCOPE_TOKEN), None)
            .await
            .assert_hubspot_error(403),
        "MISSING_SCOPES"
    );
    let b = app
        .call(
            Method::POST,
            "/crm/v4/associations/contacts/companies/batch/read",
            Some(NO_SCOPE_TOKEN),
            Some(&json!({"inputs": [{"id": "1"}]})),
        )
        .await;
    assert_eq!(b.assert_hubspot_error(403), "MISSING_SCOPES");
    let other = app
        .call(Method::GET, path, Some(OTHER_PORTAL_TOKEN), None)
        .await;
    assert_eq!(
        other.body,
        json!({"results": []}),
        "another portal sees nothing"
    );
    let del = app
        .call(
            Method::DELETE,
            "/crm/v4/objects/contacts/1/associations/companies/2",
            Some(OTHER_PORTAL_TOKEN),
            None,
        )
        .await;
    assert_eq!(del.status, 204);
    assert_eq!(
        linked(&app, "contacts", 1, "companies").await,
        vec![2],
        "another portal cannot remove it"
    );
}
