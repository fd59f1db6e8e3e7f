//! The scenarios: what each sends, which answer counts as success, and which ceiling it is
//! compared with.

use crate::dataset::{self, batch_ok, contacts_of, create_body, R5_FIRST_ASSOCIATION};
use crate::load::{bearer, mix, MakeReq, Req};
use crate::purges::Stock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What a scenario's throughput is divided by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceiling {
    /// The axum ceiling's fixed 200-byte GET, at the same concurrency.
    HttpGet,
    /// R6's work without assocd, at the same concurrency: on SQLite the bare R6 handler (axum,
    /// rusqlite, serde; `r6ceiling`), on PostgreSQL 100 selects per request of the PostgreSQL
    /// select loop (`pgceiling`).
    BatchRead,
    /// The backend's raw insert loop of R5's rows and transaction size (rows/s), compared
    /// with the rows assocd writes.
    Insert,
    /// The backend's raw delete loop of limits like C5's, one deleted per transaction
    /// (transactions/s), compared with requests/s.
    Delete,
}

impl Ceiling {
    /// The ceiling's name in the report; `backend` names the raw loops' database.
    pub fn name(self, backend: &str) -> String {
        match self {
            Ceiling::HttpGet => "axum GET".into(),
            Ceiling::BatchRead if backend == "PostgreSQL" => "PostgreSQL select loop ×100".into(),
            Ceiling::BatchRead => "bare R6 handler".into(),
            Ceiling::Insert => format!("{backend} insert loop"),
            Ceiling::Delete => format!("{backend} delete loop"),
        }
    }
}

pub struct Scenario {
    pub id: &'static str,
    pub title: &'static str,
    pub ceiling: Ceiling,
    /// Database rows written per request (R5), for the storage ratio.
    pub rows_per_request: u64,
    /// Needs preloaded associations (R1, R6).
    pub needs_data: bool,
    pub ok: fn(u16) -> bool,
    pub make: MakeReq,
}

/// R5 takes fresh associations from here across all its runs, so no run re-creates
/// existing ones.
static NEXT_R5: AtomicU64 = AtomicU64::new(R5_FIRST_ASSOCIATION);

/// Associations R5 has sent so far (in every run of this process).
pub fn r5_sent() -> u64 {
    NEXT_R5.load(Ordering::Relaxed) - R5_FIRST_ASSOCIATION
}

const LABELS: &str = "/crm/v4/associations/contacts/companies/labels";

/// Inputs per R5 and R6 request.
pub const BATCH: u64 = 100;

fn is(status: u16, want: u16) -> bool {
    status == want
}

/// Every scenario, against a database holding the first `associations` associations; C5
/// purges the same limit every time (no stock).
pub fn all(token: &str, associations: u64) -> Vec<Scenario> {
    all_with(token, associations, None)
}

/// Every scenario; C5 purges the next limit of `stock` on every request (without one, the
/// same limit every time, as C5-noop).
pub fn all_with(token: &str, associations: u64, stock: Option<Arc<Stock>>) -> Vec<Scenario> {
    let contacts = contacts_of(associations).max(1);
    let auth = bearer(token);
    let t = auth.clone();
    let r1: MakeReq = Arc::new(move |seq| {
        let contact = 1 + mix(seq) % contacts;
        Req::get(
            format!("/crm/v4/objects/contacts/{contact}/associations/companies?limit=10"),
            &t,
        )
    });
    let t = auth.clone();
    let r6: MakeReq = Arc::new(move |seq| {
        let ids: Vec<String> = (0..BATCH)
            .map(|i| {
                format!(
                    r#"{{"id":"{}"}}"#,
                    1 + mix(seq.wrapping_mul(BATCH).wrapping_add(i)) % contacts
                )
            })
            .collect();
        Req::post(
            "/crm/v4/associations/contacts/companies/batch/read",
            format!(r#"{{"inputs":[{}]}}"#, ids.join(",")),
            &t,
        )
    });
    let t = auth.clone();
    let r5: MakeReq = Arc::new(move |_| {
        let start = NEXT_R5.fetch_add(BATCH, Ordering::Relaxed);
        Req::post(dataset::CREATE_PATH, create_body(start..start + BATCH), &t)
    });
    let noop = Req::post(
        "/crm/v4/associations/definitions/configurations/deals/contacts/batch/purge",
        r#"{"inputs":[{"category":"HUBSPOT_DEFINED","typeId":3}]}"#,
        &auth,
    );
    let c5: MakeReq = match stock {
        Some(stock) => Arc::new(move |_| stock.next_purge()),
        None => {
            let noop = noop.clone();
            Arc::new(move |_| noop.clone())
        }
    };
    let c5_noop: MakeReq = Arc::new(move |_| noop.clone());
    let s1 = Req::get(LABELS, &auth);
    let s1: MakeReq = Arc::new(move |_| s1.clone());
    let e401 = Req::get(
        LABELS,
        &bearer("pat-na1-00000000-0000-0000-0000-000000000000"),
    );
    let e401: MakeReq = Arc::new(move |_| e401.clone());
    vec![
        Scenario {
            id: "R1",
            title: "list a record's associations (10 results)",
            ceiling: Ceiling::HttpGet,
            rows_per_request: 0,
            needs_data: true,
            ok: |s| is(s, 200),
            make: r1,
        },
        Scenario {
            id: "R6",
            title: "batch read of 100 records (10 results each)",
            ceiling: Ceiling::BatchRead,
            rows_per_request: 0,
            needs_data: true,
            ok: |s| is(s, 200),
            make: r6,
        },
        Scenario {
            id: "R5",
            title: "batch create of 100 associations, limit on the pair",
            ceiling: Ceiling::Insert,
            rows_per_request: BATCH * 2,
            needs_data: false,
            ok: batch_ok,
            make: r5,
        },
        Scenario {
            id: "C5",
            title: "batch purge of a limit (204)",
            ceiling: Ceiling::Delete,
            rows_per_request: 0,
            needs_data: false,
            ok: |s| is(s, 204),
            make: c5,
        },
        Scenario {
            id: "C5-noop",
            title: "batch purge of a limit already gone (204)",
            ceiling: Ceiling::HttpGet,
            rows_per_request: 0,
            needs_data: false,
            ok: |s| is(s, 204),
            make: c5_noop,
        },
        Scenario {
            id: "S1",
            title: "labels list",
            ceiling: Ceiling::HttpGet,
            rows_per_request: 0,
            needs_data: false,
            ok: |s| is(s, 200),
            make: s1,
        },
        Scenario {
            id: "401",
            title: "bad token (error path)",
            ceiling: Ceiling::HttpGet,
            rows_per_request: 0,
            needs_data: false,
            ok: |s| is(s, 401),
            make: e401,
        },
    ]
}

/// R1 only, for the growth measurement.
pub fn r1(token: &str, associations: u64) -> Scenario {
    all(token, associations)
        .into_iter()
        .next()
        .expect("R1 is first")
}
