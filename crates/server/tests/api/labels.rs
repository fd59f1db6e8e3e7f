//! Association labels (S1–S4) on every path family.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

fn labels_path(prefix: &str, from: &str, to: &str) -> String {
    format!("{prefix}/{from}/{to}/labels")
}

async fn create_paired(app: &TestApp, prefix: &str, name: &str) -> Value {
    let a = app
        .post(
            &labels_path(prefix, "contacts", "companies"),
            json!({"name": name, "label": "Manager", "inverseLabel": "Employee"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

#[tokio::test]
async fn list_returns_built_in_types_with_null_for_unlabeled_on_every_family() {
    let app = spawn_app().await;
    for prefix in SCHEMA_PREFIXES {
        let a = app.get(&labels_path(prefix, "contacts", "companies")).await;
        assert_eq!(a.status, 200, "{prefix}: {}", a.text);
        let specs = specs(&a.body);
        assert!(
            specs.contains(&("HUBSPOT_DEFINED".into(), 279, None)),
            "{prefix}: {specs:?}"
        );
        assert!(specs.contains(&("HUBSPOT_DEFINED".into(), 1, Some("Primary".into()))));
        assert!(a.text.contains("\"label\":null"), "label null is explicit");
        assert!(specs.iter().all(|(c, _, _)| c == "HUBSPOT_DEFINED"));
    }
}

#[tokio::test]
async fn list_is_directional() {
    let app = spawn_app().await;
    let a = app
        .get("/crm/v4/associations/companies/contacts/labels")
        .await;
    let specs = specs(&a.body);
    assert!(specs.contains(&("HUBSPOT_DEFINED".into(), 280, None)));
    assert!(!specs.iter().any(|(_, id, _)| *id == 279));
}

#[tokio::test]
async fn object_types_are_accepted_by_id_and_by_any_name_and_reported_by_id() {
    let app = spawn_app().await;
    let base = specs(&app.get("/crm/v4/associations/0-1/0-2/labels").await.body);
    for (from, to) in [
        ("contact", "company"),
        ("Contacts", "COMPANIES"),
        ("contacts", "0-2"),
    ] {
        let a = app
            .get(&labels_path("/crm/v4/associations", from, to))
            .await;
        assert_eq!(a.status, 200);
        assert_eq!(specs(&a.body), base, "{from}/{to}");
    }
    let a = app
        .get("/crm/v4/associations/line_items/deals/labels")
        .await;
    assert!(
        specs(&a.body).iter().any(|(_, id, _)| *id == 20),
        "line item to deal is 20"
    );
    let a = app
        .get("/crm/associations/2026-09/deals/contacts/labels")
        .await;
    assert_eq!(a.body["results"][0]["fromObjectTypeId"], "0-3");
    assert_eq!(a.body["results"][0]["toObjectTypeId"], "0-1");
}

#[tokio::test]
async fn unknown_object_type_is_400_unable_to_infer() {
    let app = spawn_app().await;
    for (from, to, bad) in [
        ("dea", "companies", "dea"),
        ("contacts", "com", "com"),
        ("2-x", "contacts", "2-x"),
    ] {
        let a = app
            .get(&labels_path("/crm/v4/associations", from, to))
            .await;
        a.assert_hubspot_error(400);
        assert_eq!(
            a.body["message"],
            format!("Unable to infer object type from: {bad}")
        );
    }
    let a = app.get("/crm/v4/associations/2-123/contacts/labels").await;
    assert_eq!(a.status, 200, "custom object ids are accepted");
}

#[tokio::test]
async fn create_paired_label_returns_both_directions_and_lists_them() {
    let app = spawn_app().await;
    for (i, prefix) in SCHEMA_PREFIXES.iter().enumerate() {
        let body = create_paired(&app, prefix, &format!("manager_employee_{i}")).await;
        let created = specs(&body);
        assert_eq!(created.len(), 2);
        let (fwd, inv) = (&created[0], &created[1]);
        assert_eq!(
            (fwd.0.as_str(), fwd.2.as_deref()),
            ("USER_DEFINED", Some("Manager"))
        );
        assert_eq!(
            (inv.0.as_str(), inv.2.as_deref()),
            ("USER_DEFINED", Some("Employee"))
        );
        assert_ne!(fwd.1, inv.1);
        let forward = specs(
            &app.get(&labels_path(prefix, "contacts", "companies"))
                .await
                .body,
        );
        assert!(forward.contains(fwd));
        let backward = specs(
            &app.get(&labels_path(prefix, "companies", "contacts"))
                .await
                .body,
        );
        assert!(backward.contains(inv));
        assert!(!backward.contains(fwd));
    }
}

#[tokio::test]
async fn type_ids_are_unique_never_built_in_and_never_reused() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    for i in 0..5 {
        for (_, id, _) in
            specs(&create_paired(&app, "/crm/v4/associations", &format!("l{i}")).await)
        {
            assert!(
                assocd_core::builtin::get(id as i32).is_none(),
                "{id} collides with a built-in type"
            );
            assert!(seen.insert(id), "{id} allocated twice");
        }
    }
    let first = specs(&create_paired(&app, "/crm/v4/associations", "to_delete").await);
    let a = app
        .delete(&format!(
            "/crm/v4/associations/contacts/companies/labels/{}",
            first[0].1
        ))
        .await;
    assert_eq!(a.status, 204);
    let again = specs(&create_paired(&app, "/crm/v4/associations", "to_delete").await);
    assert!(
        again.iter().all(|(_, id, _)| *id > first[1].1),
        "ids are not reused: {first:?} then {again:?}"
    );
}

#[tokio::test]
async fn single_label_puts_its_text_on_both_directions() {
    let app = spawn_app().await;
    let a = app
        .post(
            "/crm/v4/associations/deals/contacts/labels",
            json!({"name": "decision_maker", "label": "Decision maker"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let created = specs(&a.body);
    assert_eq!(created.len(), 2);
    assert!(created
        .iter()
        .all(|(_, _, l)| l.as_deref() == Some("Decision maker")));
}

#[tokio::test]
async fn single_same_object_label_shares_one_type_id() {
    let app = spawn_app().await;
    let a = app
        .post(
            "/crm/v4/associations/contacts/contacts/labels",
            json!({"name": "sibling", "label": "Sibling"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let created = specs(&a.body);
    assert_eq!(created.len(), 1);
    let listed = specs(
        &app.get("/crm/v4/associations/contacts/contacts/labels")
            .await
            .body,
    );
    assert!(listed.contains(&created[0]));
    assert!(listed.contains(&("HUBSPOT_DEFINED".into(), 449, None)));
}

#[tokio::test]
async fn name_and_label_rules_are_enforced() {
    let app = spawn_app().await;
    let path = "/crm/v4/associations/contacts/companies/labels";
    for body in [
        json!({"name": "has-hyphen", "label": "X"}),
        json!({"name": "1starts_with_digit", "label": "X"}),
        json!({"name": "", "label": "X"}),
        json!({"name": "ok_name", "label": ""}),
        json!({"name": "ok_name", "label": null}),
        json!({"name": "ok_name"}),
        json!({"label": "X"}),
        json!({"name": "ok_name", "label": "X", "inverseLabel": ""}),
        json!({"name": "ok_name", "label": "x".repeat(300)}),
    ] {
        let a = app.post(path, body.clone()).await;
        assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR", "{body}");
    }
    let listed = specs(&app.get(path).await.body);
    assert!(
        listed.iter().all(|(c, _, _)| c == "HUBSPOT_DEFINED"),
        "nothing was created"
    );
}

#[tokio::test]
async fn duplicate_name_in_the_portal_is_refused_even_on_another_pair() {
    let app = spawn_app().await;
    create_paired(&app, "/crm/v4/associations", "same_name").await;
    let a = app
        .post(
            "/crm/v4/associations/deals/tickets/labels",
            json!({"name": "same_name", "label": "Other"}),
        )
        .await;
    assert_eq!(a.assert_hubspot_error(409), "OBJECT_ALREADY_EXISTS");
    let a = app
        .call(
            Method::POST,
            "/crm/v4/associations/deals/tickets/labels",
            Some(OTHER_PORTAL_TOKEN),
            Some(&json!({"name": "same_name", "label": "Other"})),
        )
        .await;
    assert_eq!(
        a.status, 200,
        "another portal may use the same name: {}",
        a.text
    );
}

#[tokio::test]
async fn the_51st_label_on_a_pair_answers_437() {
    let app = spawn_app().await;
    for i in 0..50 {
        let path = if i % 2 == 0 {
            "/crm/v4/associations/contacts/deals/labels"
        } else {
            "/crm/v4/associations/deals/contacts/labels"
        };
        let a = app
            .post(
                path,
                json!({"name": format!("n{i}"), "label": format!("L{i}")}),
            )
            .await;
        assert_eq!(a.status, 200, "label {i}: {}", a.text);
    }
    let a = app
        .post(
            "/crm/v4/associations/contacts/deals/labels",
            json!({"name": "n50", "label": "L50"}),
        )
        .await;
    a.assert_hubspot_error(437);
    assert!(
        a.body["message"]
            .as_str()
            .unwrap()
            .starts_with("No more than 50 association types are allowed between"),
        "{}",
        a.text
    );
    let a = app
        .post(
            "/crm/v4/associations/contacts/tickets/labels",
            json!({"name": "n50", "label": "L50"}),
        )
        .await;
    assert_eq!(a.status, 200, "another pair still has room");
}

#[tokio::test]
async fn update_renames_both_directions_and_answers_204() {
    let app = spawn_app().await;
    for prefix in SCHEMA_PREFIXES {
        let created = specs(
            &create_paired(
                &app,
                prefix,
                &format!("rename_{}", prefix.replace(['/', '-'], "_")),
            )
            .await,
        );
        let (fwd, inv) = (created[0].1, created[1].1);
        let path = labels_path(prefix, "contacts", "companies");
        let a = app
            .put(
                &path,
                json!({"associationTypeId": fwd, "label": "Boss", "inverseLabel": "Report"}),
            )
            .await;
        assert_eq!(a.status, 204, "{prefix}: {}", a.text);
        assert!(a.text.is_empty());
        assert!(specs(&app.get(&path).await.body).contains(&(
            "USER_DEFINED".into(),
            fwd,
            Some("Boss".into())
        )));
        let back = labels_path(prefix, "companies", "contacts");
        assert!(specs(&app.get(&back).await.body).contains(&(
            "USER_DEFINED".into(),
            inv,
            Some("Report".into())
        )));
        // The inverse id works through the same path, and without inverseLabel both get the text.
        let a = app
            .put(&path, json!({"associationTypeId": inv, "label": "Peer"}))
            .await;
        assert_eq!(a.status, 204);
        assert!(specs(&app.get(&path).await.body).contains(&(
            "USER_DEFINED".into(),
            fwd,
            Some("Peer".into())
        )));
        assert!(specs(&app.get(&back).await.body).contains(&(
            "USER_DEFINED".into(),
            inv,
            Some("Peer".into())
        )));
    }
}

#[tokio::test]
async fn update_errors() {
    let app = spawn_app().await;
    let path = "/crm/v4/associations/contacts/companies/labels";
    let created = specs(&create_paired(&app, "/crm/v4/associations", "x").await);
    let a = app
        .put(path, json!({"associationTypeId": 279, "label": "Nope"}))
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    let a = app
        .put(path, json!({"associationTypeId": 99_999, "label": "Nope"}))
        .await;
    assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    let a = app
        .put(path, json!({"associationTypeId": -1, "label": ""}))
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    let a = app.put(path, json!({"label": "No id"})).await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    let a = app
        .put(
            "/crm/v4/associations/deals/tickets/labels",
            json!({"associationTypeId": created[0].1, "label": "Wrong pair"}),
        )
        .await;
    assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn delete_removes_both_directions_and_answers_204() {
    let app = spawn_app().await;
    for prefix in SCHEMA_PREFIXES {
        let created = specs(
            &create_paired(
                &app,
                prefix,
                &format!("del_{}", prefix.replace(['/', '-'], "_")),
            )
            .await,
        );
        let a = app
            .delete(&format!(
                "{}/{}",
                labels_path(prefix, "contacts", "companies"),
                created[1].1
            ))
            .await;
        assert_eq!(a.status, 204, "{prefix}: {}", a.text);
        assert!(a.text.is_empty());
        let all = [
            specs(
                &app.get(&labels_path(prefix, "contacts", "companies"))
                    .await
                    .body,
            ),
            specs(
                &app.get(&labels_path(prefix, "companies", "contacts"))
                    .await
                    .body,
            ),
        ];
        assert!(
            all.iter().flatten().all(|(c, _, _)| c == "HUBSPOT_DEFINED"),
            "{prefix}: {all:?}"
        );
        let a = app
            .delete(&format!(
                "{}/{}",
                labels_path(prefix, "contacts", "companies"),
                created[0].1
            ))
            .await;
        assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    }
}

#[tokio::test]
async fn delete_errors() {
    let app = spawn_app().await;
    let a = app
        .delete("/crm/v4/associations/contacts/companies/labels/1")
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    let a = app
        .delete("/crm/v4/associations/contacts/companies/labels/abc")
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    let a = app
        .delete("/crm/v4/associations/contacts/companies/labels/99999999999")
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    let a = app
        .delete("/crm/v4/associations/contacts/companies/labels/12345")
        .await;
    assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn custom_object_pair_gets_a_plain_user_defined_type_with_its_first_label() {
    let app = spawn_app().await;
    let a = app
        .post(
            "/crm/v4/associations/2-77/contacts/labels",
            json!({"name": "owner", "label": "Owner"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let listed = specs(
        &app.get("/crm/v4/associations/2-77/contacts/labels")
            .await
            .body,
    );
    assert!(
        listed
            .iter()
            .any(|(c, _, l)| c == "USER_DEFINED" && l.is_none()),
        "{listed:?}"
    );
    assert!(listed
        .iter()
        .any(|(c, _, l)| c == "USER_DEFINED" && l.as_deref() == Some("Owner")));
    let plain = listed.iter().find(|(_, _, l)| l.is_none()).unwrap().1;
    let a = app
        .delete(&format!(
            "/crm/v4/associations/2-77/contacts/labels/{plain}"
        ))
        .await;
    a.assert_hubspot_error(400);
    assert!(a.body["message"]
        .as_str()
        .unwrap()
        .starts_with("Definition with label still exists"));
}

#[tokio::test]
async fn portals_never_see_or_change_each_others_labels() {
    let app = spawn_app().await;
    let created = specs(&create_paired(&app, "/crm/v4/associations", "mine").await);
    let path = "/crm/v4/associations/contacts/companies/labels";
    let theirs = app
        .call(Method::GET, path, Some(OTHER_PORTAL_TOKEN), None)
        .await;
    assert!(specs(&theirs.body)
        .iter()
        .all(|(c, _, _)| c == "HUBSPOT_DEFINED"));
    let a = app
        .call(
            Method::PUT,
            path,
            Some(OTHER_PORTAL_TOKEN),
            Some(&json!({"associationTypeId": created[0].1, "label": "Hijack"})),
        )
        .await;
    assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    let a = app
        .call(
            Method::DELETE,
            &format!("{path}/{}", created[0].1),
            Some(OTHER_PORTAL_TOKEN),
            None,
        )
        .await;
    assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    assert!(
        specs(&app.get(path).await.body).contains(&created[0]),
        "still there, unchanged"
    );
}
