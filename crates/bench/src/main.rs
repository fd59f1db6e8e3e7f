//! `assocd-bench`: measures assocd (release build, SQLite and, when one answers, PostgreSQL)
//! beside the ceilings of this machine (a bare axum server, a bare SQLite loop) in one run, and
//! writes the Markdown report. `all` is the full run; `smoke` is a one-second pass of every
//! scenario so the harness cannot rot in CI. Not a test: it asserts no timing.

/// Progress on stderr, with the seconds since the bench started.
macro_rules! note {
    ($($arg:tt)*) => {
        eprintln!("[{:7.1}s] bench: {}", $crate::started().elapsed().as_secs_f64(), format!($($arg)*))
    };
}

mod ceiling;
mod dataset;
mod load;
mod overhead;
mod pg;
mod pgceiling;
mod pgwrites;
mod purges;
mod r6ceiling;
mod report;
mod run;
mod scenario_runs;
mod scenarios;
mod second;
mod server;
mod standalone;
mod tables;
mod webhooks;
mod writes;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "assocd-bench",
    about = "Benchmark assocd against the HTTP and SQLite ceilings of this machine"
)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// The full run: 1,000,000 associations, 5 s per scenario and concurrency; writes docs/benchmarks.md.
    All(Opts),
    /// A quick pass of every scenario (0.5 s per concurrency, a small dataset); fails on errors.
    Smoke(Opts),
    /// Only R5 with webhook subscriptions off and on, and the deliveries, on fresh databases
    /// (prints the table; writes nothing unless --out).
    Webhooks(Opts),
    /// Only the switchable features' R1 pairs (off and on, `--rounds` rounds each) on a fresh
    /// dataset of `--associations` (default 100,000); `--only` picks features by id
    /// (journal, metrics, access-log, rate-limits). Prints the table; writes nothing unless --out.
    Features(Opts),
    /// Load one URL with GET, print req/s and latency (for checking the load generator).
    Load {
        /// `http://HOST:PORT/PATH`.
        url: String,
        #[arg(short, long, default_value_t = 32)]
        concurrency: usize,
        #[arg(short, long, default_value_t = 5.0)]
        duration: f64,
        /// Bearer token to send.
        #[arg(long, default_value = "x")]
        token: String,
        /// Replace `{id}` in the URL by a pseudo-random id from 1 to IDS on every request
        /// (R1 on random records, as the scenario sends it).
        #[arg(long)]
        ids: Option<u64>,
    },
    /// The HTTP ceiling server (started by the bench itself).
    #[command(hide = true)]
    CeilingHttp {
        #[arg(long)]
        listen: String,
    },
    /// R6's bare handler on a SQLite database (started by the bench itself; `r6ceiling`).
    #[command(hide = true)]
    CeilingR6 {
        #[arg(long)]
        listen: String,
        #[arg(long)]
        database: PathBuf,
    },
}

#[derive(Debug, Args)]
struct Opts {
    /// Seconds per scenario and concurrency [default: 5, smoke 0.5].
    #[arg(long)]
    duration: Option<f64>,
    /// Concurrencies every scenario runs at.
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    concurrency: Vec<usize>,
    /// Associations to preload through the API (2 rows each) [default: 1000000, smoke 2000].
    #[arg(long)]
    associations: Option<u64>,
    /// Associations stored when R1's growth baseline is measured [default: 10000, smoke 1000].
    #[arg(long)]
    small: Option<u64>,
    /// Inputs per preload batch create request.
    #[arg(long, default_value_t = 2000)]
    preload_batch: u64,
    /// Preload requests in flight.
    #[arg(long, default_value_t = 2)]
    preload_concurrency: usize,
    /// The assocd binary [default: assocd beside this binary, after `cargo build --release -p assocd`].
    #[arg(long)]
    assocd: Option<PathBuf>,
    /// PostgreSQL server URL [default: $ASSOCD_TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/postgres].
    #[arg(long)]
    postgres: Option<String>,
    /// Skip PostgreSQL even when one answers.
    #[arg(long)]
    no_postgres: bool,
    /// Skip SQLite (PostgreSQL only).
    #[arg(long)]
    no_sqlite: bool,
    /// Keep the temporary directory (databases, server logs) and print its path.
    #[arg(long)]
    keep: bool,
    /// Only these scenarios (ids, e.g. `R6,C5`; `C5` also runs `C5-noop`); also skips the connection flood, the second
    /// load generator, the feature pairs and the webhooks measurement.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Rounds of (off, on) runs per feature pair [default: 4, smoke 2, features 6].
    #[arg(long)]
    rounds: Option<usize>,
    /// Write the Markdown report here [default: docs/benchmarks.md for `all`, nothing for `smoke`].
    #[arg(long)]
    out: Option<PathBuf>,
}

impl Opts {
    /// The PostgreSQL server to measure on, unless `--no-postgres` or none answers.
    async fn postgres_url(&self) -> Option<String> {
        if self.no_postgres {
            return None;
        }
        pg::find(self.postgres.clone()).await
    }
}

static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

fn started() -> std::time::Instant {
    *STARTED.get_or_init(std::time::Instant::now)
}

/// The bootstrap token every server of a run is started with.
const BENCH_TOKEN: &str = "bench-token-0123456789abcdef";

fn repo_root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn main() -> std::process::ExitCode {
    started();
    let cli = Cli::parse();
    let result = match cli.mode {
        Mode::CeilingHttp { listen } => ceiling::serve_http(&listen),
        Mode::CeilingR6 { listen, database } => r6ceiling::serve(&listen, &database),
        Mode::Load {
            url,
            concurrency,
            duration,
            token,
            ids,
        } => load::load_url(&url, concurrency, duration, &token, ids),
        Mode::All(o) => bench("all", o),
        Mode::Smoke(o) => bench("smoke", o),
        Mode::Webhooks(o) => standalone::webhooks(o),
        Mode::Features(o) => standalone::features(o),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("assocd-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn bench(mode: &'static str, o: Opts) -> anyhow::Result<()> {
    let smoke = mode == "smoke";
    let duration = Duration::from_secs_f64(o.duration.unwrap_or(if smoke { 0.5 } else { 5.0 }));
    let associations = o
        .associations
        .unwrap_or(if smoke { 2_000 } else { 1_000_000 });
    let small = o.small.unwrap_or(if smoke { 1_000 } else { 10_000 });
    let out_path = o
        .out
        .clone()
        .or_else(|| (!smoke).then(|| repo_root().join("docs/benchmarks.md")));
    let assocd = match o.assocd.clone() {
        Some(p) => p,
        None => server::assocd_binary(&repo_root())?,
    };
    let tmp = tempfile::Builder::new().prefix("assocd-bench.").tempdir()?;
    let cfg = run::Config {
        duration,
        warmup: (duration / 10).min(Duration::from_millis(500)),
        concurrency: o.concurrency.clone(),
        associations,
        small,
        preload_batch: o.preload_batch.max(1),
        preload_concurrency: o.preload_concurrency.max(1),
        idle_wait: if smoke {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(1)
        },
        assocd,
        tmp: tmp.path().to_path_buf(),
        token: Arc::from(BENCH_TOKEN),
        only: o.only.clone(),
        pair_rounds: o.rounds.unwrap_or(if smoke { 2 } else { 4 }).max(1),
    };
    let settings = format!(
        "{:.1} s per scenario and concurrency after {:.2} s of warm-up; concurrency {}; {} associations preloaded \
         ({} rows) in batches of {} with {} requests in flight; growth baseline at {} associations; assocd `{}`.",
        duration.as_secs_f64(),
        cfg.warmup.as_secs_f64(),
        o.concurrency.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" and "),
        report::int(associations as f64),
        report::int(associations as f64 * 2.0),
        cfg.preload_batch,
        cfg.preload_concurrency,
        report::int(small as f64),
        cfg.assocd.display()
    ) + &if o.only.is_empty() {
        String::new()
    } else {
        format!(" Only scenarios {}.", o.only.join(", "))
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(measure(mode, &o, &cfg, settings))?;
    if o.keep {
        note!("kept {}", tmp.keep().display());
    }
    let text = report.render(out_path.as_deref().and_then(report::kept_tail).as_deref());
    println!("{text}");
    if let Some(p) = &out_path {
        std::fs::write(p, &text)?;
        note!("wrote {}", p.display());
    }
    let errors: u64 = report
        .backends
        .iter()
        .flat_map(|b| b.scenarios.iter().flat_map(|s| s.runs.iter()))
        .map(|r| r.all_errors())
        .sum::<u64>()
        + report
            .backends
            .iter()
            .flat_map(|b| b.overhead.iter())
            .map(|p| p.errors())
            .sum::<u64>();
    let failures = report
        .backends
        .iter()
        .filter(|b| b.failure.is_some())
        .count();
    if smoke && failures > 0 {
        anyhow::bail!("{failures} backend pass(es) stopped early (see the report)");
    }
    if smoke && errors > 0 {
        anyhow::bail!("{errors} unexpected answers during the smoke pass (see the table)");
    }
    Ok(())
}

/// One backend's pass; a failure is recorded in the result (and the report), not raised.
async fn backend(cfg: &run::Config, name: &str, db: &run::Database) -> run::BackendResult {
    let mut out = run::BackendResult::default();
    if let Err(e) = run::backend(cfg, name, db, &mut out).await {
        note!("{name}: stopped early: {e:#}");
        out.name = name.to_string();
        out.failure = Some(format!("{e:#}"));
    }
    out
}

async fn measure(
    mode: &'static str,
    o: &Opts,
    cfg: &run::Config,
    settings: String,
) -> anyhow::Result<report::Report> {
    let load_before = report::loadavg();
    note!("HTTP ceiling");
    let http = run::http_ceiling(cfg).await?;
    let flood = if mode == "all" && !o.no_sqlite && o.only.is_empty() {
        note!("connection flood");
        match second::flood(cfg).await {
            Ok(f) => Some(f),
            Err(e) => {
                note!("flood: stopped: {e:#}");
                None
            }
        }
    } else {
        None
    };
    note!("SQLite ceiling");
    let (dir, n, batch, dur) = (
        cfg.tmp.clone(),
        cfg.associations,
        cfg.preload_batch,
        cfg.duration,
    );
    let limits = purges::stock_size(cfg);
    let sqlite = tokio::task::spawn_blocking(move || {
        ceiling::run_sqlite(&dir, n, batch, scenarios::BATCH, limits, dur)
    })
    .await??;
    std::fs::remove_file(cfg.tmp.join("ceiling.sqlite")).ok();

    let mut backends = Vec::new();
    if !o.no_sqlite {
        note!("assocd on SQLite");
        let db = run::Database::Sqlite(cfg.tmp.join("assocd.sqlite"));
        backends.push(backend(cfg, "SQLite", &db).await);
    }
    let mut pg_ceiling = None;
    let pg_url = o.postgres_url().await;
    if let Some(url) = pg_url {
        let name = format!("assocd_bench_{}", std::process::id());
        note!(
            "assocd on PostgreSQL ({}, database {name})",
            pg::redact(&url)
        );
        let db_url = pg::create(&url, &name).await?;
        let result = backend(
            cfg,
            "PostgreSQL",
            &run::Database::Postgres {
                url: db_url.clone(),
            },
        )
        .await;
        if result.associations > 0 {
            note!("PostgreSQL ceilings (select and insert loops through sqlx)");
            let (n, c, d) = (result.associations, &cfg.concurrency, cfg.duration);
            match pgceiling::run(&db_url, n, c, d, purges::stock_size(cfg)).await {
                Ok(c) => pg_ceiling = Some(c),
                Err(e) => note!("PostgreSQL ceilings: stopped: {e:#}"),
            }
        }
        backends.push(result);
        if let Err(e) = pg::drop_db(&url, &name).await {
            note!("could not drop database {name}: {e}");
        }
    }
    let low = *cfg.concurrency.iter().min().unwrap_or(&1);
    let high = *cfg.concurrency.iter().max().unwrap_or(&32);
    let command = format!("cargo run --release -p assocd-bench -- {mode}");
    let load = (load_before, report::loadavg());
    Ok(report::Report {
        mode,
        command,
        settings,
        http,
        sqlite,
        backends,
        low,
        high,
        small: cfg.small,
        load,
        flood,
        pg_ceiling,
    })
}
