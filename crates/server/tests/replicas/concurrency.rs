//! Label ids, limits batches and association limits under concurrent clients on two replicas.

use crate::support::*;
use crate::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

#[tokio::test]
async fn label_type_ids_are_never_allocated_twice_and_names_stay_unique_across_replicas() {
    let Some((db, servers)) = two_replicas(&[]).await else {
        return;
    };
    // A second portal, whose names may repeat the first portal's.
    let other = assocd_ok(
        &["token", "create", "--portal", "777", "--database", &db],
        None,
    )
    .trim()
    .to_string();
    let pairs = ["contacts/companies", "deals/tickets"];
    let names: Vec<String> = (0..40).map(|i| format!("rel_{i}")).collect();
    let names = Arc::new(names);
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let (servers, names, other) = (servers.clone(), names.clone(), other.clone());
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            // Each name is attempted by four clients (`k`, `k+8`, `k+16`, `k+24`), two through
            // each replica; the last one acts for the other portal.
            for (i, name) in names
                .iter()
                .enumerate()
                .filter(|(i, _)| i % (CLIENTS / 4) == client % (CLIENTS / 4))
            {
                let server = &servers[(client / (CLIENTS / 4)) % 2];
                let token = if client >= CLIENTS * 3 / 4 {
                    other.as_str()
                } else {
                    TOKEN
                };
                let path = format!("/crm/v4/associations/{}/labels", pairs[i % 2]);
                let body = json!({"name": name, "label": format!("Label {name}")});
                let (status, answer) = server
                    .call_as(token, Method::POST, &path, Some(&body))
                    .await;
                answers.push((token == TOKEN, name.clone(), status, answer));
            }
            answers
        }));
    }
    let mut created: BTreeMap<(bool, String), usize> = BTreeMap::new();
    let mut type_ids: BTreeMap<bool, Vec<i64>> = BTreeMap::new();
    let mut conflicts = 0;
    for t in tasks {
        for (main_portal, name, status, answer) in t.await.unwrap() {
            conflicts += usize::from(status == 409);
            match status {
                200 => {
                    *created.entry((main_portal, name)).or_default() += 1;
                    let ids = answer["results"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r["typeId"].as_i64().unwrap());
                    type_ids.entry(main_portal).or_default().extend(ids);
                }
                409 => assert_eq!(answer["category"], "OBJECT_ALREADY_EXISTS", "{answer}"),
                _ => panic!(
                    "unexpected {status}: {answer}\n{}\n{}",
                    servers[0].log(),
                    servers[1].log()
                ),
            }
        }
    }
    eprintln!(
        "{} labels created, {conflicts} refused as duplicates",
        created.len()
    );
    assert!(conflicts > 0, "the clients did race on names");
    // Every name of the first portal exists exactly once.
    for name in names.iter() {
        assert_eq!(
            created.get(&(true, name.clone())),
            Some(&1),
            "{name} created exactly once"
        );
    }
    for (portal, ids) in &type_ids {
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "portal {portal}: a type id was handed out twice: {ids:?}"
        );
        assert!(ids.iter().all(|id| *id >= 10_000));
    }
    // Both replicas list the same labels, each name once per pair direction.
    let mut listed = Vec::new();
    for server in servers.iter() {
        let mut all = BTreeSet::new();
        for pair in pairs {
            let (status, body) = server
                .call(
                    Method::GET,
                    &format!("/crm/v4/associations/{pair}/labels"),
                    None,
                )
                .await;
            assert_eq!(status, 200);
            let user: Vec<_> = body["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["category"] == "USER_DEFINED")
                .collect();
            let labels: Vec<_> = user
                .iter()
                .map(|r| r["label"].as_str().unwrap_or_default().to_string())
                .collect();
            assert_eq!(
                labels.iter().collect::<HashSet<_>>().len(),
                labels.len(),
                "{pair}: {labels:?}"
            );
            all.extend(user.iter().map(|r| r["typeId"].as_i64().unwrap()));
        }
        listed.push(all);
    }
    assert_eq!(listed[0], listed[1]);
    let main_ids: BTreeSet<i64> = type_ids[&true].iter().copied().collect();
    let listed_forward: BTreeSet<i64> = listed[0]
        .iter()
        .copied()
        .filter(|id| main_ids.contains(id))
        .collect();
    assert_eq!(
        listed_forward.len(),
        names.len(),
        "the forward type of every label is listed"
    );
}

async fn create_label(server: &Server, pair: &str, name: &str) -> i64 {
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/crm/v4/associations/{pair}/labels"),
            Some(&json!({"name": name, "label": name})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["results"][0]["typeId"].as_i64().unwrap()
}

fn limits_of(body: &Value) -> BTreeMap<i64, i64> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["typeId"].as_i64().unwrap(),
                r["userEnforcedMaxToObjectIds"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn limits_batches_apply_entirely_or_not_at_all_and_every_2xx_is_stored() {
    let Some((_db, servers)) = two_replicas(&[]).await else {
        return;
    };
    const CFG: &str = "/crm/v4/associations/definitions/configurations";
    // Shared: five labels whose limits every writer sets to one value per batch.
    let mut shared = Vec::new();
    for i in 0..5 {
        shared.push(create_label(&servers[0], "deals/contacts", &format!("shared_{i}")).await);
    }
    let inputs = |ids: &[i64], v: i64| json!({"inputs": ids.iter().map(|id| json!({"category": "USER_DEFINED", "typeId": id, "maxToObjectIds": v})).collect::<Vec<_>>()});
    let (status, body) = servers[1]
        .call(
            Method::POST,
            &format!("{CFG}/deals/contacts/batch/create"),
            Some(&inputs(&shared, 1)),
        )
        .await;
    assert!(matches!(status, 200 | 201), "{body}");
    // Own: two labels per writer on another pair, each created by one batch.
    let mut own = Vec::new();
    for c in 0..CLIENTS / 2 {
        own.push([
            create_label(&servers[c % 2], "companies/tickets", &format!("own_{c}_a")).await,
            create_label(&servers[c % 2], "companies/tickets", &format!("own_{c}_b")).await,
        ]);
    }
    let shared = Arc::new(shared);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for (c, own_ids) in own.into_iter().enumerate() {
        let (servers, shared) = (servers.clone(), shared.clone());
        writers.push(tokio::spawn(async move {
            let server = &servers[c % 2];
            let mut acknowledged = Vec::new();
            for round in 0..5 {
                let v = (c * 100 + round + 2) as i64;
                let (status, body) = server
                    .call(
                        Method::POST,
                        &format!("{CFG}/deals/contacts/batch/update"),
                        Some(&inputs(&shared, v)),
                    )
                    .await;
                assert_eq!(status, 200, "{body}");
                acknowledged.push(v);
            }
            let (status, body) = server
                .call(
                    Method::POST,
                    &format!("{CFG}/companies/tickets/batch/create"),
                    Some(&inputs(&own_ids, c as i64 + 1)),
                )
                .await;
            assert!(matches!(status, 200 | 201), "{body}");
            (acknowledged, own_ids, c as i64 + 1)
        }));
    }
    // Readers on both replicas: the shared limits always carry one value, never half a batch.
    let mut readers = Vec::new();
    for r in 0..CLIENTS / 2 {
        let (servers, stop) = (servers.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (status, body) = servers[r % 2]
                    .call(Method::GET, &format!("{CFG}/deals/contacts"), None)
                    .await;
                assert_eq!(status, 200, "{body}");
                let values: BTreeSet<i64> = limits_of(&body).into_values().collect();
                assert_eq!(values.len(), 1, "a read saw part of a batch: {body}");
                reads += 1;
            }
            reads
        }));
    }
    let mut every_value = BTreeSet::new();
    let mut own_expected = BTreeMap::new();
    for w in writers {
        let (acknowledged, own_ids, v) = w.await.unwrap();
        every_value.extend(acknowledged);
        for id in own_ids {
            own_expected.insert(id, v);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads: usize = futures_join(readers).await.into_iter().sum();
    eprintln!("{reads} reads saw whole batches only");
    assert!(reads > 0);
    for server in servers.iter() {
        let (_, body) = server
            .call(Method::GET, &format!("{CFG}/deals/contacts"), None)
            .await;
        let values: BTreeSet<i64> = limits_of(&body).into_values().collect();
        assert_eq!(values.len(), 1, "{body}");
        assert!(
            every_value.is_superset(&values),
            "the final value is one a writer was told was stored"
        );
        let (_, body) = server
            .call(Method::GET, &format!("{CFG}/companies/tickets"), None)
            .await;
        assert_eq!(
            limits_of(&body),
            own_expected,
            "every acknowledged batch is stored, on every replica"
        );
    }
}

async fn futures_join<T: Send + 'static>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn an_association_limit_is_never_exceeded_across_replicas() {
    let Some((_db, servers)) = two_replicas(&[]).await else {
        return;
    };
    const MAX: usize = 5;
    // deal -> contact, HubSpot's unlabeled type 3, limited to five contacts per deal.
    let limit =
        json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "maxToObjectIds": MAX}]});
    let (status, body) = servers[0]
        .call(
            Method::POST,
            "/crm/v4/associations/definitions/configurations/deals/contacts/batch/create",
            Some(&limit),
        )
        .await;
    assert!(matches!(status, 200 | 201), "{body}");
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let servers = servers.clone();
        tasks.push(tokio::spawn(async move {
            let mut won = Vec::new();
            for k in 0..4 {
                let contact = c * 4 + k + 1;
                let path =
                    format!("/crm/v4/objects/deals/1/associations/default/contacts/{contact}");
                let (status, body) = servers[(c + k) % 2].call(Method::PUT, &path, None).await;
                match status {
                    200 => won.push(contact as i64),
                    400 => assert!(
                        body["message"]
                            .as_str()
                            .unwrap_or_default()
                            .contains("limit"),
                        "{body}"
                    ),
                    _ => panic!("unexpected {status}: {body}"),
                }
            }
            won
        }));
    }
    let won: BTreeSet<i64> = futures_join(tasks).await.into_iter().flatten().collect();
    assert_eq!(won.len(), MAX, "exactly the limit was granted: {won:?}");
    for server in servers.iter() {
        let (status, body) = server
            .call(
                Method::GET,
                "/crm/v4/objects/deals/1/associations/contacts?limit=500",
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let stored: BTreeSet<i64> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["toObjectId"]
                    .as_i64()
                    .or_else(|| r["toObjectId"].as_str().and_then(|s| s.parse().ok()))
                    .unwrap()
            })
            .collect();
        assert_eq!(
            stored, won,
            "every granted association is stored and no other"
        );
    }
}
