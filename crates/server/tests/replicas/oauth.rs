//! OAuth across replicas: codes and tokens live in the database, so a code made on one replica
//! is exchanged on the other, its token works on both, and an uninstall made on one is
//! refused on the other within the token cache's lifetime.

use crate::support::*;
use crate::two_replicas;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

const ADMIN: &str = "replica-admin";
const REDIRECT: &str = "http://localhost:3000/cb";
const LABELS: &str = "/crm/v4/associations/contacts/companies/labels";

async fn token(server: &Server, form: &[(&str, &str)]) -> Value {
    let r = server
        .client
        .post(format!("{}/oauth/v1/token", server.base))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn codes_and_tokens_made_on_one_replica_hold_on_the_other() {
    let Some((_db, servers)) = two_replicas(&["--admin-token", ADMIN]).await else {
        return;
    };
    let [a, b] = &*servers;
    let app = json!({"appId": 9, "clientId": "replica-client", "clientSecret": "replica-secret",
                     "redirectUris": [REDIRECT], "scopes": ["crm.objects.contacts.read"], "portals": [PORTAL]});
    let (status, body) = a
        .call_as(ADMIN, Method::POST, "/_assocd/apps", Some(&app))
        .await;
    assert_eq!(status, 201, "{body}");
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirects
        .get(format!("{}/oauth/authorize", a.base))
        .query(&[
            ("client_id", "replica-client"),
            ("redirect_uri", REDIRECT),
            ("scope", "crm.objects.contacts.read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = reqwest::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    let tokens = token(
        b,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", "replica-client"),
            ("client_secret", "replica-secret"),
        ],
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap();
    for server in [a, b] {
        let (status, body) = server.call_as(access, Method::GET, LABELS, None).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, _) = b
        .call_as(
            ADMIN,
            Method::DELETE,
            &format!("/_assocd/apps/9/portals/{PORTAL}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let refused = eventually(Duration::from_secs(3), || async {
        a.call_as(access, Method::GET, LABELS, None).await.0 == 401
    })
    .await;
    assert!(refused, "the uninstall made on b revokes the token on a");
}
