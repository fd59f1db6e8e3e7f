//! One measurement pass: the HTTP ceiling, then assocd on one backend (preload, growth,
//! scenarios, footprint).

use crate::dataset::{self, Preload, PreloadResult};
use crate::load::{self, once, Req, Stats};
use crate::scenarios::{self, Ceiling};
use crate::server::{assocd_command, free_port, Probe, RssSampler, Server};
use anyhow::Context;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Settings of a pass.
pub struct Config {
    pub duration: Duration,
    pub warmup: Duration,
    pub concurrency: Vec<usize>,
    pub associations: u64,
    pub small: u64,
    pub preload_batch: u64,
    pub preload_concurrency: usize,
    /// How long a freshly started server idles before its RSS is read.
    pub idle_wait: Duration,
    pub assocd: PathBuf,
    pub tmp: PathBuf,
    pub token: Arc<str>,
    /// Only these scenarios (and none of the side measurements) when not empty.
    pub only: Vec<String>,
    /// Rounds of (off, on) runs per feature pair (`overhead`).
    pub pair_rounds: usize,
}

impl Config {
    /// Whether scenario `id` runs; `C5` also picks `C5-noop`.
    pub fn wants(&self, id: &str) -> bool {
        let base = id.split('-').next().unwrap_or(id);
        self.only.is_empty()
            || self
                .only
                .iter()
                .any(|o| o.eq_ignore_ascii_case(id) || o.eq_ignore_ascii_case(base))
    }
}

/// The axum ceiling's numbers.
#[derive(Default)]
pub struct HttpCeiling {
    pub get: BTreeMap<usize, Stats>,
    pub echo: BTreeMap<usize, Stats>,
    pub startup: Duration,
    pub idle_rss: u64,
    /// The fixed GET by both load generators (`second`).
    pub both: Vec<crate::second::BothRow>,
}

impl HttpCeiling {
    pub fn for_scenario(&self, c: Ceiling, concurrency: usize) -> Option<&Stats> {
        match c {
            Ceiling::HttpGet => self.get.get(&concurrency),
            Ceiling::BatchRead | Ceiling::Insert | Ceiling::Delete => None,
        }
    }
}

pub struct ScenarioResult {
    pub id: &'static str,
    pub title: &'static str,
    pub ceiling: Ceiling,
    pub rows_per_request: u64,
    pub runs: Vec<Stats>,
    pub skipped: Option<String>,
}

/// assocd on one backend.
#[derive(Default)]
pub struct BackendResult {
    pub name: String,
    /// Associations preloaded (0 when R5 was missing).
    pub associations: u64,
    /// Associations stored at the end (preloaded and those R5 sent), for bytes/association.
    pub stored: u64,
    pub preload_small: Option<Preload>,
    pub preload_rest: Option<Preload>,
    pub growth_small: Option<Stats>,
    pub scenarios: Vec<ScenarioResult>,
    pub startup_empty: Duration,
    pub idle_rss_empty: u64,
    pub startup_loaded: Option<Duration>,
    pub idle_rss_loaded: Option<u64>,
    pub rss_load_max: u64,
    pub db_bytes: Option<u64>,
    pub db_bytes_note: &'static str,
    /// Remarks for the report (what the bench did besides measuring).
    pub notes: Vec<String>,
    /// Why the pass on this backend stopped early.
    pub failure: Option<String>,
    /// What each switchable feature costs R1 (`overhead`).
    pub overhead: Vec<crate::overhead::PairResult>,
    /// Reads by both load generators (`second`).
    pub both: Vec<crate::second::BothRow>,
    /// R5 with webhook subscriptions off and on, and the deliveries (`webhooks`).
    pub webhooks: Option<crate::webhooks::WebhookResult>,
    /// The bare R6 handler on this database (SQLite only; `r6ceiling`).
    pub r6_bare: Option<crate::r6ceiling::R6Ceiling>,
    /// What each C5 run purged (`purges`).
    pub purges: Vec<crate::purges::PurgeCount>,
}

impl BackendResult {
    pub fn scenario(&self, id: &str) -> Option<&ScenarioResult> {
        self.scenarios
            .iter()
            .find(|s| s.id == id && s.skipped.is_none())
    }

    pub fn run(&self, id: &str, concurrency: usize) -> Option<&Stats> {
        self.scenario(id)?
            .runs
            .iter()
            .find(|r| r.concurrency == concurrency)
    }
}

const S1_PATH: &str = "/crm/v4/associations/contacts/companies/labels";

/// Starts the axum ceiling (this binary, `ceiling-http`) and loads it like a scenario.
pub async fn http_ceiling(cfg: &Config) -> anyhow::Result<HttpCeiling> {
    let addr: SocketAddr = ([127, 0, 0, 1], free_port()?).into();
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.args(["ceiling-http", "--listen", &addr.to_string()]);
    let probe = Probe {
        path: "/static".into(),
        token: None,
        want: 200,
    };
    let server = Server::start(
        cmd,
        addr,
        &probe,
        &cfg.tmp.join("ceiling-http.log"),
        Duration::from_secs(10),
    )?;
    tokio::time::sleep(cfg.idle_wait).await;
    let mut out = HttpCeiling {
        startup: server.startup,
        idle_rss: server.rss().unwrap_or(0),
        ..Default::default()
    };
    let echo_body = bytes::Bytes::from(dataset::create_body(0..scenarios::BATCH));
    let auth = load::bearer(&cfg.token);
    let (get, echo) = (
        Req::get("/static", &auth),
        Req::post("/echo", echo_body, &auth),
    );
    for &c in &cfg.concurrency {
        let get = get.clone();
        let get: load::MakeReq = Arc::new(move |_| get.clone());
        out.get.insert(
            c,
            load::run(addr, c, cfg.warmup, cfg.duration, get, |s| s == 200).await,
        );
        let echo = echo.clone();
        let echo: load::MakeReq = Arc::new(move |_| echo.clone());
        out.echo.insert(
            c,
            load::run(addr, c, cfg.warmup, cfg.duration, echo, |s| s == 200).await,
        );
    }
    let high = *cfg.concurrency.iter().max().unwrap_or(&32);
    if cfg.only.is_empty() {
        let get = vec![("axum GET", "/static".to_string())];
        out.both = crate::second::both(cfg, addr, get, high).await;
    }
    server.stop()?;
    Ok(out)
}

/// Where assocd keeps its data for one backend.
pub enum Database {
    Sqlite(PathBuf),
    Postgres { url: String },
}

impl Database {
    pub fn url(&self) -> String {
        match self {
            Database::Sqlite(p) => format!("sqlite://{}", p.display()),
            Database::Postgres { url } => url.clone(),
        }
    }
}

pub fn start_assocd(cfg: &Config, db: &Database, log: &str) -> anyhow::Result<Server> {
    start_assocd_with(cfg, db, log, &[])
}

/// Starts assocd on `db` with `extra` flags after the usual ones.
pub fn start_assocd_with(
    cfg: &Config,
    db: &Database,
    log: &str,
    extra: &[&str],
) -> anyhow::Result<Server> {
    let addr: SocketAddr = ([127, 0, 0, 1], free_port()?).into();
    let probe = Probe {
        path: S1_PATH.into(),
        token: Some(cfg.token.to_string()),
        want: 200,
    };
    let mut cmd = assocd_command(&cfg.assocd, &db.url(), addr, &cfg.token);
    cmd.args(extra);
    Server::start(
        cmd,
        addr,
        &probe,
        &cfg.tmp.join(log),
        Duration::from_secs(60),
    )
}

/// Runs assocd on `db`: fresh start, dataset, growth baseline, every scenario, then a restart
/// on the loaded database for the footprint.
/// Fills `out` as it goes, so a failure keeps what was measured before it.
pub async fn backend(
    cfg: &Config,
    name: &str,
    db: &Database,
    out: &mut BackendResult,
) -> anyhow::Result<()> {
    out.name = name.to_string();
    let log = format!("assocd-{}.log", name.to_lowercase());
    let server = start_assocd(cfg, db, &log)?;
    let addr = server.addr;
    out.startup_empty = server.startup;
    tokio::time::sleep(cfg.idle_wait).await;
    out.idle_rss_empty = server.rss().unwrap_or(0);
    note!(
        "{name}: assocd pid {} on {addr}, answered after {:?}",
        server.pid(),
        server.startup
    );

    dataset::setup_labels(addr, &cfg.token)
        .await
        .context("labels")?;
    let small = cfg.small.min(cfg.associations);
    let (batch, conc) = (cfg.preload_batch, cfg.preload_concurrency);
    let mut missing = false;
    match dataset::preload(addr, &cfg.token, 0..small, batch, conc).await? {
        PreloadResult::Done(p) => {
            out.associations = small;
            out.preload_small = Some(p);
        }
        PreloadResult::Missing => missing = true,
    }
    analyze(db, out).await?;
    if !missing {
        let r1 = scenarios::r1(&cfg.token, small);
        if probe_status(addr, &r1).await? != 404 {
            out.growth_small =
                Some(load::run(addr, 1, cfg.warmup, cfg.duration, r1.make, r1.ok).await);
        }
        note!("{name}: preloading {} associations", cfg.associations);
        // On PostgreSQL the load goes in chunks with an ANALYZE after each, standing in for
        // autovacuum (which may be off, and lags a bulk load anyway).
        let chunk = if matches!(db, Database::Postgres { .. }) {
            PG_ANALYZE_EVERY
        } else {
            u64::MAX
        };
        let mut rest = Preload::default();
        let mut from = small;
        while from < cfg.associations {
            let to = from.saturating_add(chunk).min(cfg.associations);
            if let PreloadResult::Done(p) =
                dataset::preload(addr, &cfg.token, from..to, batch, conc).await?
            {
                rest.associations += p.associations;
                rest.time += p.time;
                rest.retries += p.retries;
                out.associations = to;
            }
            analyze(db, out).await?;
            from = to;
        }
        note!(
            "{name}: preload took {:?} ({:.0} associations/s)",
            rest.time,
            rest.per_s()
        );
        out.preload_rest = Some(rest);
    }
    dataset::setup_limits(addr, &cfg.token)
        .await
        .context("limits")?;

    let r5_before = scenarios::r5_sent();
    let sampler = RssSampler::start(server.pid());
    crate::scenario_runs::run(cfg, name, db, addr, out).await?;
    out.rss_load_max = sampler.finish();
    let high = *cfg.concurrency.iter().max().unwrap_or(&32);
    if cfg.only.is_empty() {
        out.both = crate::second::both(cfg, addr, crate::second::reads(), high).await;
    }
    out.stored = out.associations + (scenarios::r5_sent() - r5_before);
    server.stop()?;
    note!("{name}: scenarios done, assocd stopped");
    if cfg.only.is_empty() {
        if out.associations > 0 {
            out.overhead =
                crate::overhead::measure(cfg, name, db, out.associations, cfg.pair_rounds, |_| {
                    true
                })
                .await?;
        }
        out.webhooks = Some(crate::webhooks::measure(cfg, name, db).await?);
    }

    let (bytes, note) = match db {
        Database::Sqlite(p) => (
            Some(crate::report::file_bytes(p)),
            "SQLite file after shutdown (all tables and indexes)",
        ),
        Database::Postgres { url } => (
            crate::pg::associations_bytes(url).await.ok(),
            "pg_total_relation_size('associations')",
        ),
    };
    out.db_bytes = bytes;
    out.db_bytes_note = note;

    // Footprint on the loaded database: a second start, warm page cache.
    let server = start_assocd(
        cfg,
        db,
        &format!("assocd-{}-restart.log", name.to_lowercase()),
    )?;
    out.startup_loaded = Some(server.startup);
    tokio::time::sleep(cfg.idle_wait).await;
    out.idle_rss_loaded = server.rss();
    server.stop()?;
    note!(
        "{name}: restart on the loaded database answered after {:?}",
        out.startup_loaded.unwrap_or_default()
    );
    Ok(())
}

/// Associations loaded between two ANALYZE runs on PostgreSQL.
const PG_ANALYZE_EVERY: u64 = 200_000;

/// ANALYZE on PostgreSQL (noting the server's autovacuum setting once); nothing on SQLite.
async fn analyze(db: &Database, out: &mut BackendResult) -> anyhow::Result<()> {
    if let Database::Postgres { url } = db {
        let autovacuum = crate::pg::analyze(url).await?;
        if out.notes.is_empty() {
            out.notes.push(format!(
                "The bench ran `ANALYZE` after the growth baseline's preload and after every {} associations \
                 of the main preload (this server has `autovacuum = {autovacuum}`).",
                crate::report::int(PG_ANALYZE_EVERY as f64)
            ));
        }
    }
    Ok(())
}

/// The status of one request of `sc` (to tell a missing endpoint from a present one).
pub(crate) async fn probe_status(
    addr: SocketAddr,
    sc: &scenarios::Scenario,
) -> anyhow::Result<u16> {
    Ok(once(addr, (sc.make)(u64::MAX / 3)).await?.0)
}
