//! The scenarios of one backend's pass, each at every concurrency, with what two of them need
//! around their runs: C5's stock of limits (created before, refilled between runs, counted
//! after each), and on SQLite R6's own ceiling, the bare handler, loaded right after R6.

use crate::load;
use crate::purges::{self, Stock};
use crate::run::{probe_status, BackendResult, Config, Database, ScenarioResult};
use crate::scenarios;
use std::net::SocketAddr;
use std::sync::Arc;

/// Runs every scenario `cfg` wants against assocd on `addr` (serving `db`), into `out`.
pub async fn run(
    cfg: &Config,
    name: &str,
    db: &Database,
    addr: SocketAddr,
    out: &mut BackendResult,
) -> anyhow::Result<()> {
    let stock = if cfg.wants("C5") {
        let size = purges::stock_size(cfg);
        Some(Arc::new(Stock::prepare(cfg, db, addr, size).await?))
    } else {
        None
    };
    for sc in scenarios::all_with(&cfg.token, out.associations, stock.clone())
        .into_iter()
        .filter(|sc| cfg.wants(sc.id))
    {
        let mut res = ScenarioResult {
            id: sc.id,
            title: sc.title,
            ceiling: sc.ceiling,
            rows_per_request: sc.rows_per_request,
            runs: Vec::new(),
            skipped: None,
        };
        let status = probe_status(addr, &sc).await?;
        if status == 404 {
            res.skipped = Some("skipped (endpoint answered 404)".into());
        } else if sc.needs_data && out.associations == 0 {
            res.skipped = Some("skipped (no dataset: R5 batch create answered 404)".into());
        } else {
            let purging = sc.id == "C5" && stock.is_some();
            for &c in &cfg.concurrency {
                if let (true, Some(stock)) = (purging, &stock) {
                    stock.refill(addr, &cfg.token).await?;
                }
                let s = load::run(addr, c, cfg.warmup, cfg.duration, sc.make.clone(), sc.ok).await;
                let mut extra = String::new();
                if let (true, Some(stock)) = (purging, &stock) {
                    let n = stock.count(addr, &cfg.token, c).await?;
                    extra = format!(", purged {} of {}, short {}", n.purged, n.stock, n.short);
                    out.purges.push(n);
                }
                note!(
                    "{name} {} c={c}: {:.0} req/s, p50 {:.0} us, errors {}{extra}{}",
                    sc.id,
                    s.rps(),
                    s.p50(),
                    s.all_errors(),
                    s.first_error
                        .as_deref()
                        .map(|e| format!(" (first: {e})"))
                        .unwrap_or_default()
                );
                res.runs.push(s);
            }
            if let (Database::Sqlite(path), "R6") = (db, sc.id) {
                note!("{name}: the bare R6 handler on the same database");
                match crate::r6ceiling::measure(cfg, path, addr, sc.make.clone(), sc.ok).await {
                    Ok(r) => {
                        note!("{name}: same answer as assocd's: {}", r.same_answer);
                        out.r6_bare = Some(r);
                    }
                    Err(e) => note!("{name}: bare R6 handler: stopped: {e:#}"),
                }
            }
        }
        out.scenarios.push(res);
    }
    Ok(())
}
