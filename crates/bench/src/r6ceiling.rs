//! R6's own ceiling on SQLite (issue 15): a bare axum handler doing R6's work without assocd.
//! It parses R6's body with serde, runs R6's page statement (the same SQL text as assocd's
//! SQLite page, stepped to the same `limit + 1` ids) once per input on a read connection of
//! its worker thread, opened as assocd opens its readers (WAL, `query_only`, the same mapping
//! size), all inputs in one read transaction, and serializes an answer of the same shape and
//! bytes (timestamps aside) with serde. No authentication, no middleware, no log. It runs as a
//! child process of the bench (`assocd-bench ceiling-r6`) on the database assocd serves, after
//! assocd's R6 runs and while assocd idles; one answer of each is compared before the load.

use crate::load::{self, Stats};
use crate::run::Config;
use crate::server::{free_port, Probe, Server};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The path R6 posts to (the handler serves only this pair).
pub const R6_PATH: &str = "/crm/v4/associations/contacts/companies/batch/read";

/// assocd's SQLite page (`crates/store/src/associations/pages.rs`, `SQLITE_RANGE`), verbatim.
const PAGE: &str = "SELECT a.to_id, a.category, a.type_id,
       CASE WHEN a.category = 'USER_DEFINED' THEN
         (SELECT l.label FROM labels l WHERE l.portal_id = a.portal_id AND l.type_id = a.type_id)
       END AS label
     FROM associations a
     WHERE a.portal_id = ?1 AND a.from_type = ?2 AND a.to_type = ?3 AND a.from_id = ?4 AND a.to_id > ?5
     ORDER BY a.to_id, a.category, a.type_id";

/// assocd's page size for R6 (`MAX_PAGE`): a page holds the first 500 ids, the 501st only
/// says that a next page exists.
const MAX_PAGE: usize = 500;

#[derive(Deserialize)]
struct Body {
    inputs: Vec<Input>,
}

#[derive(Deserialize)]
struct Input {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    status: &'static str,
    results: Vec<Multi>,
    started_at: String,
    completed_at: String,
}

#[derive(Serialize)]
struct Multi {
    from: FromId,
    to: Vec<Item>,
}

#[derive(Serialize)]
struct FromId {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    to_object_id: i64,
    association_types: Vec<Type>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Type {
    category: String,
    type_id: i64,
    label: Option<String>,
}

thread_local! {
    /// This worker thread's read connection, opened on first use.
    static CONN: RefCell<Option<rusqlite::Connection>> = const { RefCell::new(None) };
}

/// Opened as assocd opens a read connection (`crates/store/src/read.rs`).
fn open(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.pragma_update(None, "query_only", true)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Each input's page in one snapshot; a record without associations gets no result (R6's
/// inputs all have some).
fn pages(conn: &rusqlite::Connection, inputs: &[Input]) -> rusqlite::Result<Vec<Multi>> {
    conn.execute_batch("BEGIN")?;
    let result = pages_in(conn, inputs);
    conn.execute_batch(if result.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
    result
}

fn pages_in(conn: &rusqlite::Connection, inputs: &[Input]) -> rusqlite::Result<Vec<Multi>> {
    let mut out = Vec::with_capacity(inputs.len());
    let mut stmt = conn.prepare_cached(PAGE)?;
    for input in inputs {
        let from: i64 = input.id.parse().unwrap_or(0);
        let params = rusqlite::params![crate::dataset::PORTAL, "0-1", "0-2", from, 0];
        let mut rows = stmt.query(params)?;
        let mut items: Vec<Item> = Vec::new();
        let mut ids = 0;
        while let Some(row) = rows.next()? {
            let to_id: i64 = row.get(0)?;
            let t = Type {
                category: row.get(1)?,
                type_id: row.get(2)?,
                label: row.get(3)?,
            };
            match items.last_mut() {
                Some(last) if last.to_object_id == to_id => last.association_types.push(t),
                _ => {
                    ids += 1;
                    if ids > MAX_PAGE {
                        break;
                    }
                    items.push(Item {
                        to_object_id: to_id,
                        association_types: vec![t],
                    });
                }
            }
        }
        if !items.is_empty() {
            out.push(Multi {
                from: FromId {
                    id: input.id.clone(),
                },
                to: items,
            });
        }
    }
    Ok(out)
}

async fn read(
    axum::extract::State(path): axum::extract::State<std::sync::Arc<PathBuf>>,
    Json(body): Json<Body>,
) -> axum::response::Response {
    let started_at = timestamp();
    let results = CONN.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(open(&path)?);
        }
        pages(slot.as_ref().expect("opened above"), &body.inputs)
    });
    match results {
        Ok(results) => {
            let answer = Answer {
                status: "COMPLETE",
                results,
                started_at,
                completed_at: timestamp(),
            };
            let bytes = serde_json::to_vec(&answer).expect("serializable");
            ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
        }
        Err(e) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("sqlite: {e}"),
        )
            .into_response(),
    }
}

/// Serves the handler on `listen` until killed (multi-thread runtime, like assocd).
pub fn serve(listen: &str, database: &Path) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let state = std::sync::Arc::new(database.to_path_buf());
    rt.block_on(async {
        let app = Router::new().route(R6_PATH, post(read)).with_state(state);
        let listener = tokio::net::TcpListener::bind(listen).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// What the bare handler measured beside assocd's R6, on one SQLite database.
#[derive(Default)]
pub struct R6Ceiling {
    pub runs: BTreeMap<usize, Stats>,
    /// Whether one request answered the same results from both (timestamps aside), or why not.
    pub same_answer: String,
}

/// An answer's JSON without its timestamps.
fn comparable(body: &[u8]) -> Option<serde_json::Value> {
    let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let o = v.as_object_mut()?;
    o.remove("startedAt");
    o.remove("completedAt");
    Some(v)
}

/// Starts the handler on `database`, compares one answer with assocd's (at `assocd`), then
/// loads it with R6's requests at every concurrency.
pub async fn measure(
    cfg: &Config,
    database: &Path,
    assocd: SocketAddr,
    make: load::MakeReq,
    ok: fn(u16) -> bool,
) -> anyhow::Result<R6Ceiling> {
    let addr: SocketAddr = ([127, 0, 0, 1], free_port()?).into();
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.args(["ceiling-r6", "--listen", &addr.to_string(), "--database"])
        .arg(database);
    // The probe is any answer of the route (405 for a GET): the process is up.
    let probe = Probe {
        path: R6_PATH.into(),
        token: None,
        want: 405,
    };
    let server = Server::start(
        cmd,
        addr,
        &probe,
        &cfg.tmp.join("ceiling-r6.log"),
        Duration::from_secs(10),
    )?;
    let req = make(12_345);
    let (a, b) = (
        load::once(assocd, req.clone()).await?,
        load::once(addr, req).await?,
    );
    let same_answer = match (comparable(&a.1), comparable(&b.1)) {
        _ if a.0 != 200 || b.0 != 200 => format!("no: assocd {}, handler {}", a.0, b.0),
        (Some(x), Some(y)) if x == y => format!(
            "yes ({} and {} bytes with timestamps)",
            a.1.len(),
            b.1.len()
        ),
        _ => "no: the results differ".into(),
    };
    let mut out = R6Ceiling {
        runs: BTreeMap::new(),
        same_answer,
    };
    for &c in &cfg.concurrency {
        let s = load::run(addr, c, cfg.warmup, cfg.duration, make.clone(), ok).await;
        note!("bare R6 handler c={c}: {:.0} req/s", s.rps());
        out.runs.insert(c, s);
    }
    server.stop()?;
    Ok(out)
}

impl crate::report::Report {
    /// R6 beside its own ceiling on each backend, with the axum POST echo it was set against
    /// before.
    pub(crate) fn r6_table(&self, out: &mut String) {
        use crate::report::int;
        use std::fmt::Write;
        out.push_str(
            "R6 sends 100 records and gets 10 associations of each back (about 1,000 items). Its ceiling on SQLite \
             is a bare axum handler doing that work without assocd on the same database, after assocd's R6 runs: \
             serde parses the body, rusqlite runs assocd's page statement per input on a read connection of its \
             worker thread opened as assocd opens its readers (WAL, `query_only`, the same mapping), all inputs \
             in one read transaction, and serde writes the answer (no authentication, middleware or log). On \
             PostgreSQL it is 100 selects per request of the PostgreSQL select loop (\"PostgreSQL against \
             PostgreSQL\"). The axum POST echo (parse 100 inputs, echo them; no storage, a short answer) was R6's \
             ceiling before and stays here for comparison.\n\n\
             | Backend | c | assocd R6 | own ceiling | ratio | axum POST echo | ratio |\n|---|---:|---:|---:|---:|---:|---:|\n",
        );
        for b in &self.backends {
            let Some(sc) = b.scenario("R6") else { continue };
            for r in &sc.runs {
                let c = r.concurrency;
                let (own, q) = match self.ceiling_of(b, "R6", sc.ceiling, c) {
                    Some((rate, unit, per)) => (
                        format!("{} {unit} ({})", int(rate), sc.ceiling.name(&b.name)),
                        format!("{:.0}%", 100.0 * r.rps() * per / rate.max(1e-9)),
                    ),
                    None => ("not measured".into(), "–".into()),
                };
                let (echo, qe) = match self.http.echo.get(&c) {
                    Some(e) => (
                        format!("{} req/s", int(e.rps())),
                        format!("{:.0}%", 100.0 * r.rps() / e.rps().max(1e-9)),
                    ),
                    None => ("–".into(), "–".into()),
                };
                let _ = writeln!(
                    out,
                    "| {} | {c} | {} req/s | {own} | {q} | {echo} | {qe} |",
                    b.name,
                    int(r.rps())
                );
            }
        }
        for b in &self.backends {
            if let Some(bare) = &b.r6_bare {
                let _ = writeln!(
                    out,
                    "\n{}: the bare handler's answer to one R6 request equals assocd's (timestamps aside): {}.",
                    b.name, bare.same_answer
                );
            }
        }
    }
}
