//! A second, independent load generator (wrk) beside the built-in one, and the connection
//! flood (issue 15): 2,000 connections for 6 s on R1 against a small SQLite database, for
//! assocd and the axum ceiling in the same run, with peak RSS and RSS 10 s after.

use crate::load::{self, Req};
use crate::run::{start_assocd_with, Config, Database};
use crate::server::{free_port, Probe, RssSampler, Server};
use std::fmt::Write;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// Connections and seconds of the flood (the issue's `wrk -t1 -c2000 -d6s`).
pub const FLOOD_CONNECTIONS: usize = 2000;
pub const FLOOD_SECONDS: u64 = 6;
/// When RSS is read again after the flood.
pub const AFTER: Duration = Duration::from_secs(10);

/// What wrk reported for one run.
#[derive(Debug, Clone, Default)]
pub struct Wrk {
    pub rps: f64,
    pub p50_us: f64,
    /// Socket errors and non-2xx answers.
    pub errors: u64,
}

/// Whether `wrk` is on the PATH.
pub fn have_wrk() -> bool {
    Command::new("wrk")
        .arg("--version")
        .output()
        .map(|o| !o.stdout.is_empty() || !o.stderr.is_empty())
        .unwrap_or(false)
}

/// `wrk -t1 -c<c> -d<secs> --latency` on one URL with the bench token; `None` without wrk or
/// when its output is not understood. Blocks (run it on a blocking thread).
pub fn wrk(addr: SocketAddr, path: &str, token: &str, c: usize, secs: f64) -> Option<Wrk> {
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{c}"),
            &format!("-d{}s", secs.ceil().max(1.0) as u64),
            "--latency",
            "-H",
            &format!("Authorization: Bearer {token}"),
            &format!("http://{addr}{path}"),
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut w = Wrk::default();
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => w.rps = v.parse().ok()?,
            ["50%", v] => w.p50_us = duration_us(v)?,
            ["Non-2xx", "or", "3xx", "responses:", n] => w.errors += n.parse::<u64>().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                w.errors += rest
                    .iter()
                    .filter_map(|s| s.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>()
            }
            _ => {}
        }
    }
    (w.rps > 0.0).then_some(w)
}

fn duration_us(v: &str) -> Option<f64> {
    let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic())?);
    let n: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => n,
        "ms" => n * 1e3,
        "s" => n * 1e6,
        "m" => n * 6e7,
        _ => return None,
    })
}

/// wrk on a running server, off the bench's runtime thread.
pub async fn wrk_async(
    addr: SocketAddr,
    path: &str,
    token: &str,
    c: usize,
    secs: f64,
) -> Option<Wrk> {
    let (path, token) = (path.to_string(), token.to_string());
    tokio::task::spawn_blocking(move || wrk(addr, &path, &token, c, secs))
        .await
        .ok()
        .flatten()
}

/// One read measured by both generators at the same concurrency.
#[derive(Debug, Clone)]
pub struct BothRow {
    pub label: &'static str,
    /// Built-in generator's req/s on the same path (fixed request).
    pub builtin: f64,
    pub wrk: Option<Wrk>,
}

/// The reads the second generator repeats, each on one fixed URL.
pub fn reads() -> Vec<(&'static str, String)> {
    vec![
        (
            "R1 (record 1, 10 results)",
            "/crm/v4/objects/contacts/1/associations/companies?limit=10".into(),
        ),
        (
            "S1 labels list",
            "/crm/v4/associations/contacts/companies/labels".into(),
        ),
        (
            "/healthz (no authentication, no database)",
            "/healthz".into(),
        ),
    ]
}

/// Loads each of `paths` with the built-in generator then wrk, at concurrency `c`.
pub async fn both(
    cfg: &Config,
    addr: SocketAddr,
    paths: Vec<(&'static str, String)>,
    c: usize,
) -> Vec<BothRow> {
    let mut rows = Vec::new();
    let auth = load::bearer(&cfg.token);
    for (label, path) in paths {
        let req = Req::get(path.clone(), &auth);
        let make: load::MakeReq = Arc::new(move |_| req.clone());
        let s = load::run(addr, c, cfg.warmup, cfg.duration, make, |s| s == 200).await;
        let wrk = wrk_async(addr, &path, &cfg.token, c, cfg.duration.as_secs_f64()).await;
        note!(
            "{label} c={c}: built-in {:.0} req/s, wrk {}",
            s.rps(),
            wrk.as_ref()
                .map_or("–".into(), |w| format!("{:.0} req/s", w.rps))
        );
        rows.push(BothRow {
            label,
            builtin: s.rps(),
            wrk,
        });
    }
    rows
}

/// One server under the flood.
#[derive(Debug, Clone, Default)]
pub struct FloodSide {
    pub idle: u64,
    pub peak: u64,
    pub after: u64,
    pub rps: f64,
    pub errors: u64,
}

/// The flood on assocd and on the axum ceiling.
#[derive(Debug, Clone, Default)]
pub struct Flood {
    pub tool: &'static str,
    pub ceiling: FloodSide,
    pub assocd: FloodSide,
}

async fn flood_one(server: &Server, path: &str, token: &str, idle_wait: Duration) -> FloodSide {
    tokio::time::sleep(idle_wait).await;
    let mut side = FloodSide {
        idle: server.rss().unwrap_or(0),
        ..Default::default()
    };
    let sampler = RssSampler::start(server.pid());
    let secs = FLOOD_SECONDS as f64;
    match wrk_async(server.addr, path, token, FLOOD_CONNECTIONS, secs).await {
        Some(w) => {
            side.rps = w.rps;
            side.errors = w.errors;
        }
        None => {
            let req = Req::get(path.to_string(), &load::bearer(token));
            let make: load::MakeReq = Arc::new(move |_| req.clone());
            let d = Duration::from_secs(FLOOD_SECONDS);
            let s = load::run(
                server.addr,
                FLOOD_CONNECTIONS,
                Duration::ZERO,
                d,
                make,
                |_| true,
            )
            .await;
            side.rps = s.rps();
            side.errors = s.io_errors;
        }
    }
    side.peak = sampler.finish().max(side.idle);
    tokio::time::sleep(AFTER).await;
    side.after = server.rss().unwrap_or(0);
    side
}

/// The flood on the axum ceiling, then on assocd over a fresh small SQLite database.
pub async fn flood(cfg: &Config) -> anyhow::Result<Flood> {
    let mut out = Flood {
        tool: if have_wrk() {
            "wrk -t1 -c2000 -d6s"
        } else {
            "the built-in generator, 2,000 connections, 6 s (wrk not found)"
        },
        ..Default::default()
    };
    let addr: SocketAddr = ([127, 0, 0, 1], free_port()?).into();
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(["ceiling-http", "--listen", &addr.to_string()]);
    let probe = Probe {
        path: "/static".into(),
        token: None,
        want: 200,
    };
    let log = cfg.tmp.join("ceiling-flood.log");
    let ceiling = Server::start(cmd, addr, &probe, &log, Duration::from_secs(10))?;
    out.ceiling = flood_one(&ceiling, "/static", &cfg.token, cfg.idle_wait).await;
    ceiling.stop()?;
    note!(
        "flood: axum ceiling peak {} after {}",
        mib(out.ceiling.peak),
        mib(out.ceiling.after)
    );

    let db = Database::Sqlite(cfg.tmp.join("flood.sqlite"));
    let server = start_assocd_with(cfg, &db, "assocd-flood.log", &[])?;
    crate::dataset::setup_labels(server.addr, &cfg.token).await?;
    crate::dataset::preload(server.addr, &cfg.token, 0..1000, 1000, 1).await?;
    let r1 = "/crm/v4/objects/contacts/1/associations/companies?limit=10";
    out.assocd = flood_one(&server, r1, &cfg.token, cfg.idle_wait).await;
    server.stop()?;
    note!(
        "flood: assocd peak {} after {}",
        mib(out.assocd.peak),
        mib(out.assocd.after)
    );
    Ok(out)
}

fn mib(b: u64) -> String {
    crate::report::mib(b)
}

impl Flood {
    /// Peak within 2× of the ceiling's, and under 30 MiB 10 s after.
    pub fn met(&self) -> (bool, bool) {
        (
            self.assocd.peak <= 2 * self.ceiling.peak.max(1),
            self.assocd.after < 30 * 1024 * 1024,
        )
    }

    pub fn table(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "R1 (record 1 of a 1,000-association SQLite database) and the axum ceiling's GET, each under {}; \
             RSS sampled every 50 ms, read again {} s after the flood ended.\n",
            self.tool,
            AFTER.as_secs()
        );
        out.push_str("| Server | idle RSS | peak RSS | RSS 10 s after | req/s | errors |\n|---|---:|---:|---:|---:|---:|\n");
        for (name, s) in [
            ("axum ceiling", &self.ceiling),
            ("assocd (SQLite)", &self.assocd),
        ] {
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} | {} |",
                mib(s.idle),
                mib(s.peak),
                mib(s.after),
                crate::report::int(s.rps),
                s.errors
            );
        }
        let (peak, after) = self.met();
        let _ = writeln!(
            out,
            "\nPeak: {} = {:.2}× the ceiling's (target ≤ 2×: {}). 10 s after: {} (target < 30 MiB: {}).",
            mib(self.assocd.peak),
            self.assocd.peak as f64 / self.ceiling.peak.max(1) as f64,
            if peak { "met" } else { "**not met**" },
            mib(self.assocd.after),
            if after { "met" } else { "**not met**" }
        );
    }
}

/// The two generators' table: each read with its ratio to the ceiling's GET by the same tool.
pub fn both_table(
    ceiling: &[BothRow],
    backends: &[(String, &[BothRow])],
    c: usize,
    out: &mut String,
) {
    let Some(ceil) = ceiling.first() else {
        out.push_str("Not measured.\n");
        return;
    };
    let _ = writeln!(
        out,
        "Each request on one fixed URL at c={c}, first by the built-in generator, then by `wrk -t1 -c{c} --latency`; \
         each ratio is to the axum ceiling's fixed GET measured by the same tool in this run \
         (built-in {} req/s, wrk {}).\n",
        crate::report::int(ceil.builtin),
        ceil.wrk.as_ref().map_or("–".into(), |w| format!("{} req/s", crate::report::int(w.rps)))
    );
    out.push_str("| Backend | Request | built-in req/s | ratio | wrk req/s | wrk p50 | ratio | wrk errors |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    let pct = |v: f64, of: f64| {
        if of > 0.0 {
            format!("{:.0}%", 100.0 * v / of)
        } else {
            "–".into()
        }
    };
    let wrk_ceil = ceil.wrk.as_ref().map_or(0.0, |w| w.rps);
    for (name, rows) in backends {
        for r in rows.iter() {
            let (wrps, wp50, werr) = match &r.wrk {
                Some(w) => (
                    crate::report::int(w.rps),
                    crate::report::us(w.p50_us),
                    w.errors.to_string(),
                ),
                None => ("–".into(), "–".into(), "–".into()),
            };
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {wrps} | {wp50} | {} | {werr} |",
                r.label,
                crate::report::int(r.builtin),
                pct(r.builtin, ceil.builtin),
                r.wrk.as_ref().map_or("–".into(), |w| pct(w.rps, wrk_ceil)),
            );
        }
    }
}
