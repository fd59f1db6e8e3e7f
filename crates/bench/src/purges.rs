//! C5 with a limit to purge on every request (issue 15). Before, C5 purged one limit over and
//! over: the first request deleted it and every later one was a no-op answered from a read.
//! Now a stock of distinct limits exists before each C5 run and every request purges the next
//! one: limits on USER_DEFINED labels of object pairs that no other scenario touches,
//! `LABELS_PER_PAIR` labels per pair, both directions of each label (two limits per label).
//! The labels are created once by `assocd fixtures apply` (one transaction, not one per
//! label); the limits by C4 batch update (which creates a missing limit), one request per
//! pair direction, before the first run and again before each later run for the limits the
//! previous run purged. After each run the limits left are counted (C1), so the report says
//! how many each run purged. A request after the stock ran out purges a limit already gone
//! (a no-op answered from a read); those are counted and reported, never hidden.

use crate::dataset::batch_ok;
use crate::load::{bearer, once, Req};
use crate::run::{Config, Database};
use anyhow::{bail, Context};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// Object types of the stock's pairs: the standard objects but contacts, companies and deals,
/// which the other scenarios use.
const TYPES: &[&str] = &[
    "0-5", "0-7", "0-8", "0-14", "0-18", "0-19", "0-27", "0-46", "0-47", "0-48", "0-49", "0-53",
    "0-54", "0-69", "0-74", "0-84", "0-85", "0-86", "0-101", "0-115", "0-116", "0-123", "0-136",
    "0-142", "0-162", "0-410", "0-420", "0-421", "0-970",
];

/// Labels per pair (HubSpot allows 50): a purge reads its pair's labels and limits, so this
/// sets the size of that read.
pub const LABELS_PER_PAIR: usize = 20;

/// The purge rate the stock is sized for (per second of a run, warm-up included): about twice
/// the highest real-purge rate seen on this machine (PostgreSQL at c=32, 1,034/s: eight
/// connections share each WAL flush; SQLite syncs every commit alone, 180–300/s). More
/// requests than the stock holds are counted and reported, not hidden.
const RATE_BOUND: f64 = 2_000.0;

/// Every unordered pair of `TYPES`, in a fixed order.
pub fn pairs() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for (i, a) in TYPES.iter().enumerate() {
        for b in &TYPES[i + 1..] {
            out.push((*a, *b));
        }
    }
    out
}

/// Limits a run of `cfg` may purge at `RATE_BOUND`, rounded up to whole pairs and capped by
/// the pairs there are.
pub fn stock_size(cfg: &Config) -> usize {
    let per_pair = 2 * LABELS_PER_PAIR;
    let want = (RATE_BOUND * (cfg.warmup + cfg.duration).as_secs_f64()).ceil() as usize;
    want.div_ceil(per_pair).clamp(1, pairs().len()) * per_pair
}

/// One limit of the stock: its pair direction (`from`, `to`) and label type id.
#[derive(Debug, Clone)]
struct Key {
    direction: usize,
    type_id: u64,
}

/// The stock of one backend's pass, and the counter C5's requests take limits from.
pub struct Stock {
    /// Pair directions `(from, to)`: both directions of each pair.
    directions: Vec<(&'static str, &'static str)>,
    /// In the order requests take them: one of each direction in turn, so requests in flight
    /// purge limits of different pairs.
    keys: Vec<Key>,
    purges: Vec<Req>,
    next: AtomicU64,
    /// Requests made after the stock ran out, since the last refill.
    short: AtomicU64,
}

/// How one C5 run went.
#[derive(Debug, Clone, Default)]
pub struct PurgeCount {
    pub concurrency: usize,
    /// Limits in the stock when the run started.
    pub stock: u64,
    /// Limits the run purged (warm-up included): the stock minus those left after it.
    pub purged: u64,
    /// Requests that found the stock empty (a no-op purge each).
    pub short: u64,
}

fn fixture(pairs: &[(&str, &str)]) -> String {
    let mut labels = Vec::new();
    for (p, (from, to)) in pairs.iter().enumerate() {
        for i in 0..LABELS_PER_PAIR {
            labels.push(format!(
                r#"{{"from":"{from}","to":"{to}","name":"bench_c5_{p}_{i}","label":"C5 stock {p}.{i}","inverseLabel":"C5 stock inverse {p}.{i}"}}"#
            ));
        }
    }
    format!(
        r#"{{"portals":[{{"portalId":{},"labels":[{}]}}]}}"#,
        crate::dataset::PORTAL,
        labels.join(",")
    )
}

/// The USER_DEFINED labelled types of one pair direction, by the labels list (S1's endpoint).
async fn label_types(
    addr: SocketAddr,
    token: &str,
    from: &str,
    to: &str,
) -> anyhow::Result<Vec<u64>> {
    let path = format!("/crm/v4/associations/{from}/{to}/labels");
    let (status, body) = once(addr, Req::get(path.clone(), &bearer(token))).await?;
    if status != 200 {
        bail!("{path} answered {status}");
    }
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    let mut ids: Vec<u64> = v["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["category"] == "USER_DEFINED" && r["label"].is_string())
        .filter_map(|r| r["typeId"].as_u64())
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

impl Stock {
    /// Creates the labels (`assocd fixtures apply` on `db`, while the server on `addr`
    /// idles) and the limits of a stock of `size` limits.
    pub async fn prepare(
        cfg: &Config,
        db: &Database,
        addr: SocketAddr,
        size: usize,
    ) -> anyhow::Result<Stock> {
        let pairs: Vec<_> = pairs()
            .into_iter()
            .take(size / (2 * LABELS_PER_PAIR))
            .collect();
        let file = cfg.tmp.join("c5-stock.json");
        std::fs::write(&file, fixture(&pairs))?;
        let t0 = std::time::Instant::now();
        let out = std::process::Command::new(&cfg.assocd)
            .args(["fixtures", "apply"])
            .arg(&file)
            .args(["--database", &db.url()])
            .output()
            .context("assocd fixtures apply")?;
        if !out.status.success() {
            bail!(
                "assocd fixtures apply: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut directions = Vec::new();
        let mut per_direction = Vec::new();
        for (from, to) in &pairs {
            for (f, t) in [(*from, *to), (*to, *from)] {
                let ids = label_types(addr, &cfg.token, f, t).await?;
                if ids.len() != LABELS_PER_PAIR {
                    bail!("{f}/{t} lists {} stock labels", ids.len());
                }
                directions.push((f, t));
                per_direction.push(ids);
            }
        }
        let mut keys = Vec::new();
        for slot in 0..LABELS_PER_PAIR {
            for (d, ids) in per_direction.iter().enumerate() {
                keys.push(Key {
                    direction: d,
                    type_id: ids[slot],
                });
            }
        }
        let auth = bearer(&cfg.token);
        let purges = keys
            .iter()
            .map(|k| {
                let (from, to) = directions[k.direction];
                Req::post(
                    format!(
                        "/crm/v4/associations/definitions/configurations/{from}/{to}/batch/purge"
                    ),
                    format!(
                        r#"{{"inputs":[{{"category":"USER_DEFINED","typeId":{}}}]}}"#,
                        k.type_id
                    ),
                    &auth,
                )
            })
            .collect();
        let stock = Stock {
            directions,
            keys,
            purges,
            // Everything is "taken" so the first refill creates every limit.
            next: AtomicU64::new(u64::MAX / 2),
            short: AtomicU64::new(0),
        };
        stock.refill(addr, &cfg.token).await?;
        note!(
            "C5 stock: {} limits on {} labels of {} pairs, ready after {:.1} s",
            stock.size(),
            stock.size() / 2,
            pairs.len(),
            t0.elapsed().as_secs_f64()
        );
        Ok(stock)
    }

    pub fn size(&self) -> usize {
        self.keys.len()
    }

    /// The next request: a purge of the next limit of the stock, or (the stock spent) of one
    /// already purged, counted in `short`.
    pub fn next_purge(&self) -> Req {
        let i = self.next.fetch_add(1, Ordering::Relaxed) as usize;
        if i >= self.purges.len() {
            self.short.fetch_add(1, Ordering::Relaxed);
        }
        self.purges[i % self.purges.len()].clone()
    }

    /// Creates again every limit taken since the last refill (C4 batch update, one request per
    /// pair direction) and starts the counters over.
    pub async fn refill(&self, addr: SocketAddr, token: &str) -> anyhow::Result<()> {
        let taken = (self.next.load(Ordering::Relaxed) as usize).min(self.keys.len());
        let mut by_direction: Vec<Vec<u64>> = vec![Vec::new(); self.directions.len()];
        for k in &self.keys[..taken] {
            by_direction[k.direction].push(k.type_id);
        }
        let auth = bearer(token);
        let mut calls = Vec::new();
        for (d, ids) in by_direction.iter().enumerate() {
            if ids.is_empty() {
                continue;
            }
            let (from, to) = self.directions[d];
            let inputs: Vec<String> = ids
                .iter()
                .map(|t| {
                    format!(r#"{{"category":"USER_DEFINED","typeId":{t},"maxToObjectIds":5}}"#)
                })
                .collect();
            calls.push(Req::post(
                format!("/crm/v4/associations/definitions/configurations/{from}/{to}/batch/update"),
                format!(r#"{{"inputs":[{}]}}"#, inputs.join(",")),
                &auth,
            ));
        }
        // A few in flight: PostgreSQL commits them in parallel; SQLite takes them in turn.
        for chunk in calls.chunks(4) {
            let answers = futures_join(chunk.iter().map(|r| once(addr, r.clone())).collect()).await;
            for a in answers {
                let (status, body) = a?;
                if !batch_ok(status) {
                    bail!(
                        "limit update answered {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    );
                }
            }
        }
        self.next.store(0, Ordering::Relaxed);
        self.short.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// Limits of the stock still stored (C1, the portal's limits; only the stock's are
    /// USER_DEFINED).
    pub async fn left(&self, addr: SocketAddr, token: &str) -> anyhow::Result<u64> {
        let path = "/crm/v4/associations/definitions/configurations/all";
        let (status, body) = once(addr, Req::get(path, &bearer(token))).await?;
        if status != 200 {
            bail!("{path} answered {status}");
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        Ok(v["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["category"] == "USER_DEFINED")
            .count() as u64)
    }

    /// What the run since the last refill purged, at concurrency `c`.
    pub async fn count(
        &self,
        addr: SocketAddr,
        token: &str,
        concurrency: usize,
    ) -> anyhow::Result<PurgeCount> {
        let left = self.left(addr, token).await?;
        Ok(PurgeCount {
            concurrency,
            stock: self.keys.len() as u64,
            purged: (self.keys.len() as u64).saturating_sub(left),
            short: self.short.load(Ordering::Relaxed),
        })
    }
}

/// Awaits every future of `futs` (spawned, so they run at once).
async fn futures_join<T: Send + 'static>(
    futs: Vec<impl std::future::Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("a refill task panicked"));
    }
    out
}

/// What each C5 run purged, per backend (below the writes table).
pub fn table(backends: &[crate::run::BackendResult], out: &mut String) {
    use std::fmt::Write;
    let rows: Vec<String> = backends
        .iter()
        .flat_map(|b| {
            b.purges.iter().map(move |p| {
                format!(
                    "| {} | {} | {} | {} | {} |",
                    b.name,
                    p.concurrency,
                    crate::report::int(p.stock as f64),
                    crate::report::int(p.purged as f64),
                    p.short
                )
            })
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nLimits each C5 run purged (warm-up included; the stock is refilled before each run), and its requests \
         that came after the stock ran out (each a no-op purge; none means every request purged a limit):\n\n\
         | Backend | c | stock | purged | requests after the stock ran out |\n|---|---:|---:|---:|---:|\n{}",
        rows.join("\n")
    );
}
