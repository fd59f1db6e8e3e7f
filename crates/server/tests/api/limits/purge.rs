//! C5 with several limits at once: one statement deletes them, a limit already gone is no
//! error, and a purge that deletes nothing changes nothing.

use super::*;

#[tokio::test]
async fn purge_deletes_several_limits_at_once_including_a_labels_and_skips_ones_already_gone() {
    let app = spawn_app().await;
    let label = user_label(&app, TOKEN, "deals", "contacts", "signer").await;
    let v4 = "/crm/v4/associations";
    let a = app
        .post(
            &cfg(v4, "deals/contacts/batch/create"),
            json!({"inputs": [input("HUBSPOT_DEFINED", 3, 5), input("USER_DEFINED", label, 4)]}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let other = app
        .post(
            &cfg(v4, "contacts/companies/batch/create"),
            json!({"inputs": [input("HUBSPOT_DEFINED", 279, 9)]}),
        )
        .await;
    assert_eq!(other.status, 201, "{}", other.text);
    let purge = json!({"inputs": [
        {"category": "USER_DEFINED", "typeId": label},
        {"category": "HUBSPOT_DEFINED", "typeId": 3},
        {"category": "HUBSPOT_DEFINED", "typeId": 3},
    ]});
    for round in 0..2 {
        let a = app
            .post(&cfg(v4, "deals/contacts/batch/purge"), purge.clone())
            .await;
        assert_eq!(a.status, 204, "round {round}: {}", a.text);
        assert_eq!(
            limits(&app.get(&cfg(v4, "all")).await.body),
            vec![("HUBSPOT_DEFINED".to_string(), 279, 9)],
            "round {round}: the pair's limits are gone, the other pair's stays"
        );
    }
}
