//! The dataset, loaded through the API: labels and limits on contacts/companies and
//! deals/contacts, and contacts linked to 10 companies each (association k links contact
//! `1 + k/10` to one of 100,000 companies), written with R5 batch create.

use crate::load::{bearer, once, Req};
use anyhow::bail;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The portal of the bootstrap token (assocd's default `--portal`).
pub const PORTAL: i64 = 1;
/// Companies the contacts are spread over.
pub const COMPANIES: u64 = 100_000;
/// Companies per contact, so R1 with `limit=10` returns a full page.
pub const PER_CONTACT: u64 = 10;
/// R5 creates associations from here on (contacts far above the preloaded ones).
pub const R5_FIRST_ASSOCIATION: u64 = 1_000_000_000;
/// The plain contact→company type and its inverse.
pub const CONTACT_TO_COMPANY: u32 = 279;

/// Contact and company of association `k`; a contact's 10 companies are distinct.
pub fn pair_of(k: u64) -> (i64, i64) {
    let contact = 1 + k / PER_CONTACT;
    let j = k % PER_CONTACT;
    let company = 1 + (contact * 37 + j * (COMPANIES / PER_CONTACT)) % COMPANIES;
    (contact as i64, company as i64)
}

/// How many contacts the first `associations` associations cover completely.
pub fn contacts_of(associations: u64) -> u64 {
    associations / PER_CONTACT
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Id {
    pub id: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeSpec {
    pub association_category: String,
    pub association_type_id: u32,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Input {
    pub from: Id,
    pub to: Id,
    pub types: Vec<TypeSpec>,
}

/// The R5 request body (also what the HTTP ceiling's `/echo` parses).
#[derive(Debug, Serialize, Deserialize)]
pub struct BatchBody {
    pub inputs: Vec<Input>,
}

#[derive(Debug, Serialize)]
pub struct EchoBody {
    pub status: &'static str,
    pub results: Vec<Input>,
}

/// The R5 body creating associations `range`.
pub fn create_body(range: std::ops::Range<u64>) -> String {
    let inputs = range
        .map(|k| {
            let (contact, company) = pair_of(k);
            Input {
                from: Id {
                    id: contact.to_string(),
                },
                to: Id {
                    id: company.to_string(),
                },
                types: vec![TypeSpec {
                    association_category: "HUBSPOT_DEFINED".into(),
                    association_type_id: CONTACT_TO_COMPANY,
                }],
            }
        })
        .collect();
    serde_json::to_string(&BatchBody { inputs }).expect("serializable")
}

pub const CREATE_PATH: &str = "/crm/v4/associations/contacts/companies/batch/create";

/// True for the answers a fully successful batch gives (2xx without per-input errors).
pub fn batch_ok(status: u16) -> bool {
    (200..300).contains(&status) && status != 207
}

/// Labels: five paired labels on contacts/companies (S1 then lists built-in and user types).
pub async fn setup_labels(addr: SocketAddr, token: &str) -> anyhow::Result<()> {
    let auth = bearer(token);
    for i in 0..5 {
        let body = format!(
            r#"{{"label":"Bench role {i}","name":"bench_role_{i}","inverseLabel":"Bench inverse {i}"}}"#
        );
        let (status, text) = once(
            addr,
            Req::post(
                "/crm/v4/associations/contacts/companies/labels",
                body,
                &auth,
            ),
        )
        .await?;
        if !(200..300).contains(&status) {
            bail!(
                "label create answered {status}: {}",
                String::from_utf8_lossy(&text)
            );
        }
    }
    Ok(())
}

/// Limits: one on contact→company (the pair R5 writes, checked on every input) and one on
/// deal→contact (the one C5 purges).
pub async fn setup_limits(addr: SocketAddr, token: &str) -> anyhow::Result<()> {
    let limits = [
        (
            "contacts/companies",
            format!(
                r#"{{"inputs":[{{"category":"HUBSPOT_DEFINED","typeId":{CONTACT_TO_COMPANY},"maxToObjectIds":1000}}]}}"#
            ),
        ),
        (
            "deals/contacts",
            r#"{"inputs":[{"category":"HUBSPOT_DEFINED","typeId":3,"maxToObjectIds":50}]}"#
                .to_string(),
        ),
    ];
    let auth = bearer(token);
    for (pair, body) in limits {
        let path = format!("/crm/v4/associations/definitions/configurations/{pair}/batch/create");
        let (status, text) = once(addr, Req::post(path, body, &auth)).await?;
        if !batch_ok(status) {
            bail!(
                "limit create on {pair} answered {status}: {}",
                String::from_utf8_lossy(&text)
            );
        }
    }
    Ok(())
}

/// How a preload went.
#[derive(Debug, Clone, Default)]
pub struct Preload {
    pub associations: u64,
    pub time: Duration,
    /// Batches that answered 503 and were sent again.
    pub retries: u64,
}

impl Preload {
    pub fn per_s(&self) -> f64 {
        self.associations as f64 / self.time.as_secs_f64().max(1e-9)
    }
}

/// The outcome of a preload: done, or the endpoint is not there (404).
pub enum PreloadResult {
    Done(Preload),
    Missing,
}

/// Writes associations `range` through R5 in batches of `batch`, `concurrency` requests in
/// flight (SQLite has one writer; a second request overlaps its JSON work with the write).
pub async fn preload(
    addr: SocketAddr,
    token: &str,
    range: std::ops::Range<u64>,
    batch: u64,
    concurrency: usize,
) -> anyhow::Result<PreloadResult> {
    let t0 = Instant::now();
    let auth = bearer(token);
    let first = create_body(range.start..(range.start + batch).min(range.end));
    let (status, text) = once(addr, Req::post(CREATE_PATH, first, &auth)).await?;
    if status == 404 {
        return Ok(PreloadResult::Missing);
    }
    if !batch_ok(status) {
        bail!(
            "preload batch answered {status}: {}",
            String::from_utf8_lossy(&text[..text.len().min(400)])
        );
    }
    let next = Arc::new(AtomicU64::new(range.start + batch));
    let retries = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (next, auth, end, retries) = (next.clone(), auth.clone(), range.end, retries.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let start = next.fetch_add(batch, Ordering::Relaxed);
                if start >= end {
                    return Ok::<(), anyhow::Error>(());
                }
                let req = Req::post(
                    CREATE_PATH,
                    create_body(start..(start + batch).min(end)),
                    &auth,
                );
                let mut attempt = 0;
                loop {
                    let (status, text) = once(addr, req.clone()).await?;
                    if status == 503 && attempt < 5 {
                        // As a client would: the server said "try again shortly".
                        attempt += 1;
                        retries.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(250 * attempt)).await;
                        continue;
                    }
                    if !batch_ok(status) {
                        bail!(
                            "preload batch at {start} answered {status}: {}",
                            String::from_utf8_lossy(&text[..text.len().min(400)])
                        );
                    }
                    break;
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let retries = retries.load(Ordering::Relaxed);
    Ok(PreloadResult::Done(Preload {
        associations: range.end - range.start,
        time: t0.elapsed(),
        retries,
    }))
}
