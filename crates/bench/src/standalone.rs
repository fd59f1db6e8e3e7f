//! Measurements run alone, outside `all`, on fresh databases: `webhooks` (R5 with
//! subscriptions off and on) and `features` (R1 with each switchable feature off and on). Each
//! runs on SQLite and, when one answers, on PostgreSQL, prints its table and writes it to
//! `--out` if given.

use crate::run::{self, Config, Database};
use crate::{dataset, overhead, pg, server, webhooks, Opts, BENCH_TOKEN};
use anyhow::Context;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// A configuration for a standalone pass, with its temporary directory.
fn config(o: &Opts, associations: u64) -> anyhow::Result<(Config, tempfile::TempDir)> {
    let duration = Duration::from_secs_f64(o.duration.unwrap_or(5.0));
    let assocd = match o.assocd.clone() {
        Some(p) => p,
        None => server::assocd_binary(&crate::repo_root())?,
    };
    let tmp = tempfile::Builder::new().prefix("assocd-bench.").tempdir()?;
    let cfg = Config {
        duration,
        warmup: (duration / 10).min(Duration::from_millis(500)),
        concurrency: o.concurrency.clone(),
        associations,
        small: 0,
        preload_batch: o.preload_batch.max(1),
        preload_concurrency: o.preload_concurrency.max(1),
        idle_wait: Duration::ZERO,
        assocd,
        tmp: tmp.path().to_path_buf(),
        token: Arc::from(BENCH_TOKEN),
        only: Vec::new(),
        pair_rounds: o.rounds.unwrap_or(6).max(1),
    };
    Ok((cfg, tmp))
}

/// Runs `pass` on a fresh SQLite file and a fresh PostgreSQL database (each unless skipped),
/// collecting `(backend name, result)`.
async fn on_each_backend<T, F, Fut>(
    o: &Opts,
    cfg: &Config,
    pass: F,
) -> anyhow::Result<Vec<(String, T)>>
where
    F: Fn(&'static str, Database) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut results = Vec::new();
    if !o.no_sqlite {
        let db = Database::Sqlite(cfg.tmp.join("assocd.sqlite"));
        results.push(("SQLite".to_string(), pass("SQLite", db).await?));
    }
    let pg_url = o.postgres_url().await;
    if let Some(url) = pg_url {
        let name = format!("assocd_bench_{}", std::process::id());
        let db_url = pg::create(&url, &name).await?;
        let r = pass("PostgreSQL", Database::Postgres { url: db_url }).await;
        if let Err(e) = pg::drop_db(&url, &name).await {
            note!("could not drop database {name}: {e}");
        }
        results.push(("PostgreSQL".to_string(), r?));
    }
    Ok(results)
}

/// Prints `text` and writes it to `--out`; keeps the temporary directory with `--keep`.
fn finish(o: &Opts, tmp: tempfile::TempDir, text: &str) -> anyhow::Result<()> {
    if o.keep {
        note!("kept {}", tmp.keep().display());
    }
    println!("{text}");
    if let Some(p) = &o.out {
        std::fs::write(p, text)?;
    }
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// `webhooks`: R5 with webhook subscriptions off and on, and the deliveries.
pub fn webhooks(o: Opts) -> anyhow::Result<()> {
    let (cfg, tmp) = config(&o, 0)?;
    let cfg = &cfg;
    let text = runtime()?.block_on(async {
        let results = on_each_backend(&o, cfg, |name, db| async move {
            webhooks::measure(cfg, name, &db).await
        })
        .await?;
        let rows: Vec<(String, Option<&webhooks::WebhookResult>)> =
            results.iter().map(|(n, r)| (n.clone(), Some(r))).collect();
        let mut text = String::new();
        webhooks::table(&rows, &mut text);
        anyhow::Ok(text)
    })?;
    finish(&o, tmp, &text)
}

/// `features`: the feature pairs of `overhead` (those named by `--only`, or all) on a fresh
/// dataset of `--associations` (default 100,000).
pub fn features(o: Opts) -> anyhow::Result<()> {
    let (cfg, tmp) = config(&o, o.associations.unwrap_or(100_000))?;
    let cfg = &cfg;
    let load_before = crate::report::loadavg();
    let wanted = |id: &str| o.only.is_empty() || o.only.iter().any(|w| w.eq_ignore_ascii_case(id));
    let text = runtime()?.block_on(async {
        let wanted = &wanted;
        let results = on_each_backend(&o, cfg, |name, db| async move {
            load(cfg, name, &db).await?;
            overhead::measure(cfg, name, &db, cfg.associations, cfg.pair_rounds, wanted).await
        })
        .await?;
        let rows: Vec<(String, &[overhead::PairResult])> =
            results.iter().map(|(n, r)| (n.clone(), r.as_slice())).collect();
        let mut text = format!(
            "R1 at c={} on {} associations, {} rounds of {:.1} s per side; `uptime` load {} before, {} after.\n\n",
            cfg.concurrency.iter().max().unwrap_or(&32),
            crate::report::int(cfg.associations as f64),
            cfg.pair_rounds,
            cfg.duration.as_secs_f64(),
            load_before,
            crate::report::loadavg(),
        );
        overhead::table(&rows, &mut text);
        anyhow::Ok(text)
    })?;
    finish(&o, tmp, &text)
}

/// Fills `db` with `cfg.associations` associations through a server started for it.
async fn load(cfg: &Config, name: &str, db: &Database) -> anyhow::Result<()> {
    let log = format!("assocd-{}-load.log", name.to_lowercase());
    let server = run::start_assocd(cfg, db, &log)?;
    dataset::setup_labels(server.addr, &cfg.token)
        .await
        .context("labels")?;
    note!("{name}: preloading {} associations", cfg.associations);
    let range = 0..cfg.associations;
    match dataset::preload(
        server.addr,
        &cfg.token,
        range,
        cfg.preload_batch,
        cfg.preload_concurrency,
    )
    .await?
    {
        dataset::PreloadResult::Done(p) => note!("{name}: preload took {:?}", p.time),
        dataset::PreloadResult::Missing => anyhow::bail!("{name}: batch create answered 404"),
    }
    server.stop()?;
    if let Database::Postgres { url } = db {
        pg::analyze(url).await?;
    }
    Ok(())
}
