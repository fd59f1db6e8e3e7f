//! What a switchable feature costs: R1 at the highest concurrency on the loaded database, with
//! assocd started without the feature and with it, in rounds of one run each. The order flips
//! every round (off-on, on-off, ...), so a machine that slows down or speeds up steadily hits
//! both sides alike, and the figure is the median of the rounds' on/off ratios, which one
//! disturbed run cannot move far. Each feature whose issue sets a cost target adds one `Pair`.

use crate::load::{self, Stats};
use crate::run::{start_assocd_with, Config, Database};
use crate::scenarios;
use crate::server::cpu_ns;
use std::fmt::Write;
use std::time::Duration;

/// One feature: the flags that turn it off and on, and the share of R1's throughput it must keep.
pub struct Pair {
    pub id: &'static str,
    pub title: &'static str,
    pub off: &'static [&'static str],
    pub on: &'static [&'static str],
    /// Least acceptable `on / off` throughput.
    pub keep: f64,
    /// A fixture document both sides start with (`--fixtures`), when the feature needs one.
    pub fixture: Option<&'static str>,
}

/// Every measured feature.
pub fn pairs() -> Vec<Pair> {
    vec![
        Pair {
            id: "journal",
            title: "request journal (1,000 entries, bodies kept)",
            off: &["--journal-size", "0"],
            on: &["--journal-size", "1000"],
            keep: 0.95,
            fixture: None,
        },
        Pair {
            id: "metrics",
            title: "Prometheus metrics (request layer, timed store calls)",
            off: &["--metrics", "off"],
            on: &["--metrics", "on"],
            keep: 0.95,
            fixture: None,
        },
        Pair {
            id: "access-log",
            title: "access log (one JSON line per request, to a file)",
            off: &["--access-log", "off"],
            on: &["--access-log", "on"],
            // The issue sets no target: reported for what it costs.
            keep: 0.0,
            fixture: None,
        },
        rate_limits(),
    ]
}

/// HubSpot's rate limits on, never reached: the bench portal (1) gets custom limits far above
/// what the load can send, so every call is counted and carries the headers, none refused.
fn rate_limits() -> Pair {
    Pair {
        id: "rate-limits",
        title: "rate limits on, never reached",
        off: &["--rate-limits", "off"],
        on: &["--rate-limits", "hubspot"],
        keep: 0.95,
        fixture: Some(
            r#"{"portals":[{"portalId":1,"rateLimits":{"tier":"custom","tenSecondly":1000000000000,"daily":1000000000000}}]}"#,
        ),
    }
}

pub struct PairResult {
    pub title: &'static str,
    pub keep: f64,
    pub concurrency: usize,
    /// One run per round and side, in round order.
    pub off: Vec<Stats>,
    pub on: Vec<Stats>,
    /// The server's CPU time per answered request in each run, in nanoseconds (`cpu_ns`):
    /// what the feature costs the server itself, which other work on the machine moves far
    /// less than it moves throughput.
    pub off_cpu: Vec<f64>,
    pub on_cpu: Vec<f64>,
}

/// The median of `values` (the mean of the middle two for an even count); 0 when empty.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

impl PairResult {
    fn rps(runs: &[Stats]) -> f64 {
        let secs: f64 = runs.iter().map(|s| s.elapsed.as_secs_f64()).sum();
        let done: u64 = runs.iter().map(|s| s.requests).sum();
        if secs > 0.0 {
            done as f64 / secs
        } else {
            0.0
        }
    }

    pub fn off_rps(&self) -> f64 {
        Self::rps(&self.off)
    }

    pub fn on_rps(&self) -> f64 {
        Self::rps(&self.on)
    }

    /// Each round's on/off throughput ratio.
    pub fn round_ratios(&self) -> Vec<f64> {
        self.off
            .iter()
            .zip(&self.on)
            .map(|(off, on)| {
                if off.rps() > 0.0 {
                    on.rps() / off.rps()
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The median of the rounds' ratios.
    pub fn ratio(&self) -> f64 {
        median(self.round_ratios())
    }

    /// Each round's on/off ratio of server CPU per request.
    pub fn cpu_ratios(&self) -> Vec<f64> {
        self.off_cpu
            .iter()
            .zip(&self.on_cpu)
            .map(|(off, on)| if *off > 0.0 { on / off } else { 0.0 })
            .collect()
    }

    pub fn errors(&self) -> u64 {
        self.off
            .iter()
            .chain(&self.on)
            .map(|s| s.all_errors())
            .sum()
    }
}

/// Measures the pairs `wanted` accepts on `db` (already loaded with `associations`), `rounds`
/// rounds each.
pub async fn measure(
    cfg: &Config,
    name: &str,
    db: &Database,
    associations: u64,
    rounds: usize,
    wanted: impl Fn(&str) -> bool,
) -> anyhow::Result<Vec<PairResult>> {
    let c = *cfg.concurrency.iter().max().unwrap_or(&32);
    let mut out = Vec::new();
    for pair in pairs().into_iter().filter(|p| wanted(p.id)) {
        let mut res = PairResult {
            title: pair.title,
            keep: pair.keep,
            concurrency: c,
            off: Vec::new(),
            on: Vec::new(),
            off_cpu: Vec::new(),
            on_cpu: Vec::new(),
        };
        let fixture = match pair.fixture {
            Some(doc) => {
                let path = cfg.tmp.join(format!("{}-fixture.json", pair.id));
                std::fs::write(&path, doc)?;
                vec!["--fixtures".to_string(), path.display().to_string()]
            }
            None => Vec::new(),
        };
        for round in 0..rounds {
            let mut sides = [("off", pair.off), ("on", pair.on)];
            if round % 2 == 1 {
                sides.reverse();
            }
            for (side, flags) in sides {
                let mut flags: Vec<&str> = flags.to_vec();
                flags.extend(fixture.iter().map(String::as_str));
                let log = format!(
                    "assocd-{}-{}-{side}-{round}.log",
                    name.to_lowercase(),
                    pair.id
                );
                let server = start_assocd_with(cfg, db, &log, &flags)?;
                let r1 = scenarios::r1(&cfg.token, associations);
                let warm = r1.make.clone();
                load::run(server.addr, c, Duration::ZERO, cfg.warmup, warm, r1.ok).await;
                let cpu_before = cpu_ns(server.pid());
                let s =
                    load::run(server.addr, c, Duration::ZERO, cfg.duration, r1.make, r1.ok).await;
                let cpu = match (cpu_before, cpu_ns(server.pid())) {
                    (Some(a), Some(b)) if s.requests > 0 => (b - a) as f64 / s.requests as f64,
                    _ => 0.0,
                };
                server.stop()?;
                match side {
                    "off" => {
                        res.off.push(s);
                        res.off_cpu.push(cpu);
                    }
                    _ => {
                        res.on.push(s);
                        res.on_cpu.push(cpu);
                    }
                }
            }
        }
        note!(
            "{name} {}: R1 c={c} {:.0} req/s off, {:.0} on; median of {rounds} rounds {:.1}% ({}); server CPU per request on/off {:.1}% ({})",
            pair.id,
            res.off_rps(),
            res.on_rps(),
            res.ratio() * 100.0,
            percents(&res.round_ratios()),
            median(res.cpu_ratios()) * 100.0,
            percents(&res.cpu_ratios())
        );
        out.push(res);
    }
    Ok(out)
}

/// Ratios as `97.1%, 95.0%, ...`.
fn percents(ratios: &[f64]) -> String {
    let parts: Vec<String> = ratios
        .iter()
        .map(|r| format!("{:.1}%", r * 100.0))
        .collect();
    parts.join(", ")
}

/// The report's table.
pub fn table(backends: &[(String, &[PairResult])], out: &mut String) {
    out.push_str(
        "| Backend | Feature | R1 off (req/s) | R1 on (req/s) | on / off (median of rounds) | each round | server CPU per request, off / on | on / off (median) | Target | Status |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---|---:|---:|---:|---|\n");
    for (name, results) in backends {
        for r in results.iter() {
            let met = r.ratio() >= r.keep && r.errors() == 0;
            let _ = writeln!(
                out,
                "| {name} | {} (c={}) | {} | {} | {:.1}% | {} | {:.1} / {:.1} µs | {:.1}% | ≥ {:.0}% | {} |",
                r.title,
                r.concurrency,
                crate::report::int(r.off_rps()),
                crate::report::int(r.on_rps()),
                r.ratio() * 100.0,
                percents(&r.round_ratios()),
                median(r.off_cpu.clone()) / 1000.0,
                median(r.on_cpu.clone()) / 1000.0,
                median(r.cpu_ratios()) * 100.0,
                r.keep * 100.0,
                if met { "met" } else { "missed" }
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), 0.0);
        assert_eq!(median(vec![0.9, 1.2, 0.5]), 0.9);
        assert_eq!(median(vec![1.0, 0.5, 0.9, 0.97]), (0.9 + 0.97) / 2.0);
    }
}
