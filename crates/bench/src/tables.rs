//! The report's tables: targets (met or not), scenarios with their ceiling ratios, ceilings,
//! footprint and growth.

use crate::load::Stats;
use crate::report::{int, mib, us, Report};
use crate::run::BackendResult;
use crate::scenarios::Ceiling;
use std::fmt::Write;

fn status(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "met",
        Some(false) => "**not met**",
        None => "not measured",
    }
}

impl Report {
    fn ratio(&self, b: &BackendResult, id: &str, ceiling: Ceiling, r: &Stats) -> Option<f64> {
        let (rate, _, per) = self.ceiling_of(b, id, ceiling, r.concurrency)?;
        Some(r.rps() * per / rate.max(1e-9))
    }

    pub(crate) fn targets(&self, out: &mut String) {
        let (lo, hi) = (self.low, self.high);
        out.push_str("| Target | Backend | Measured | Status |\n|---|---|---|---|\n");
        for b in &self.backends {
            let n = &b.name;
            for id in ["R1", "S1"] {
                let ceil = self.http.get.get(&hi);
                let (text, ok) = match (b.run(id, hi), ceil) {
                    (Some(r), Some(c)) => {
                        let q = r.rps() / c.rps();
                        (
                            format!(
                                "{} req/s = {:.0}% of {} (axum GET, c={hi})",
                                int(r.rps()),
                                q * 100.0,
                                int(c.rps())
                            ),
                            Some(q >= 0.5),
                        )
                    }
                    _ => ("–".into(), None),
                };
                let _ = writeln!(
                    out,
                    "| {id} throughput at c={hi} ≥ 50% of the axum ceiling | {n} | {text} | {} |",
                    status(ok)
                );
            }
            for id in ["R1", "S1"] {
                let (text, ok) = match (b.run(id, lo), self.http.get.get(&lo)) {
                    (Some(r), Some(c)) => {
                        let q = r.p50() / c.p50();
                        (
                            format!(
                                "p50 {} = {q:.2}× the ceiling's {}",
                                us(r.p50()),
                                us(c.p50())
                            ),
                            Some(q <= 2.0),
                        )
                    }
                    _ => ("–".into(), None),
                };
                let _ = writeln!(
                    out,
                    "| {id} p50 at c={lo} within 2× of the ceiling's p50 | {n} | {text} | {} |",
                    status(ok)
                );
            }
            self.write_targets(b, out);
            let (text, ok) = match b.startup_loaded {
                Some(d) if b.associations > 0 => (
                    format!(
                        "{:.1} ms on {} associations",
                        d.as_secs_f64() * 1000.0,
                        int(b.associations as f64)
                    ),
                    Some(d.as_millis() < 100),
                ),
                _ => ("–".into(), None),
            };
            let _ = writeln!(
                out,
                "| Start to first answer < 100 ms on the loaded database | {n} | {text} | {} |",
                status(ok)
            );
            let (text, ok) = match b.idle_rss_loaded {
                Some(r) => (
                    format!("{} (after restart on the loaded database)", mib(r)),
                    Some(r < 20 * 1048576),
                ),
                None => ("–".into(), None),
            };
            let _ = writeln!(out, "| Idle RSS < 20 MiB | {n} | {text} | {} |", status(ok));
            let (text, ok) = match (&b.growth_small, b.run("R1", lo)) {
                (Some(s), Some(l)) if b.associations > self.small => {
                    let q = l.p50() / s.p50();
                    (
                        format!(
                            "p50 {} at {} vs {} at {} = {q:.2}×",
                            us(l.p50()),
                            int(b.associations as f64),
                            us(s.p50()),
                            int(self.small as f64)
                        ),
                        Some(q <= 1.5),
                    )
                }
                _ => ("–".into(), None),
            };
            let _ = writeln!(
                out,
                "| R1 p50 at the full dataset within 1.5× of its p50 at {} | {n} | {text} | {} |",
                int(self.small as f64),
                status(ok)
            );
            let runs: Vec<&Stats> = b.scenarios.iter().flat_map(|s| s.runs.iter()).collect();
            let errors: u64 = runs.iter().map(|r| r.all_errors()).sum();
            let server: u64 = runs.iter().map(|r| r.server_errors).sum();
            let ok = (!runs.is_empty()).then_some(errors == 0);
            let _ = writeln!(out, "| No errors and no 5xx | {n} | {errors} unexpected answers, {server} of them 5xx | {} |", status(ok));
        }
    }

    pub(crate) fn scenarios(&self, out: &mut String) {
        out.push_str(
            "| Backend | Scenario | c | req/s | p50 | p99 | p99.9 | errors | ceiling | ratio |\n",
        );
        out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---|---:|\n");
        for b in &self.backends {
            for s in &b.scenarios {
                let name = format!("{} {}", s.id, s.title);
                if let Some(why) = &s.skipped {
                    let _ = writeln!(out, "| {} | {name} | | {why} | | | | | | |", b.name);
                    continue;
                }
                for r in &s.runs {
                    let ratio = self
                        .ratio(b, s.id, s.ceiling, r)
                        .map(|q| format!("{:.0}%", q * 100.0))
                        .unwrap_or("–".into());
                    let errors = match r.abandoned {
                        0 => r.all_errors().to_string(),
                        n => format!("{} (+{n} unanswered)", r.all_errors()),
                    };
                    let _ = writeln!(
                        out,
                        "| {} | {name} | {} | {} | {} | {} | {} | {errors} | {} | {ratio} |",
                        b.name,
                        r.concurrency,
                        int(r.rps()),
                        us(r.p50()),
                        us(r.p99()),
                        us(r.p999()),
                        s.ceiling.name(&b.name)
                    );
                }
            }
        }
        out.push_str("\nR5's ratio compares rows written per second (2 per association) with its backend's insert loop's; C5's compares requests per second (each purging a limit that exists) with its backend's delete loop's transactions per second (\"Writes against raw write loops\"). R6's ceiling on SQLite is the bare R6 handler on the same database (\"R6 against its own ceiling\"), on PostgreSQL 100 selects of the PostgreSQL select loop per request. C5-noop is the former C5: the same limit purged every time, gone after the first request, answered from a read.\n");
        let firsts: Vec<String> = self
            .backends
            .iter()
            .flat_map(|b| {
                b.scenarios
                    .iter()
                    .flat_map(move |s| s.runs.iter().map(move |r| (b, s, r)))
            })
            .filter_map(|(b, s, r)| {
                r.first_error
                    .as_ref()
                    .map(|e| format!("- {} {} c={}: `{e}`", b.name, s.id, r.concurrency))
            })
            .collect();
        if !firsts.is_empty() {
            let _ = writeln!(
                out,
                "\nFirst unexpected answer per run:\n{}",
                firsts.join("\n")
            );
        }
    }

    pub(crate) fn ceilings(&self, out: &mut String) {
        out.push_str("| Ceiling | c | req/s | p50 | p99 | p99.9 | errors |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (name, map) in [
            ("axum GET, fixed 200-byte JSON", &self.http.get),
            ("axum POST, parse + echo 100 inputs", &self.http.echo),
        ] {
            for r in map.values() {
                let _ = writeln!(
                    out,
                    "| {name} | {} | {} | {} | {} | {} | {} |",
                    r.concurrency,
                    int(r.rps()),
                    us(r.p50()),
                    us(r.p99()),
                    us(r.p999()),
                    r.all_errors()
                );
            }
        }
        let s = &self.sqlite;
        let _ = writeln!(
            out,
            "\nSQLite ceiling (rusqlite, assocd's migrations, WAL, synchronous=FULL, one connection):\n\n\
             - preload: {} rows in {:.1} s = {} rows/s (transactions of the preload's batch size);\n\
             - insert: {} rows/s = {} associations/s in transactions of {} rows (R5's 100 associations);\n\
             - delete of a limit of C5's shape, one per transaction (`BEGIN IMMEDIATE`), {} inserted first: {} transactions/s;\n\
             - lookup of 10 rows (R1's query shape): {} lookups/s, p50 {}, p99 {};\n\
             - file: {} = {:.0} bytes per association.",
            int(s.preload_rows as f64),
            s.preload_time.as_secs_f64(),
            int(s.preload_rows_per_s()),
            int(s.insert_rows_per_s()),
            int(s.insert_rows_per_s() / 2.0),
            s.rows_per_tx,
            int(s.delete_stock as f64),
            int(s.deletes_per_s()),
            int(s.lookups_per_s()),
            us(s.lookup_us(0.5)),
            us(s.lookup_us(0.99)),
            mib(s.file_bytes),
            s.file_bytes as f64 / ((s.preload_rows + s.insert_rows) as f64 / 2.0).max(1.0)
        );
        let _ = writeln!(
            out,
            "\naxum ceiling process: first answer {:.1} ms after start, idle RSS {}.",
            self.http.startup.as_secs_f64() * 1000.0,
            mib(self.http.idle_rss)
        );
    }

    pub(crate) fn footprint(&self, out: &mut String) {
        out.push_str("| Backend | preload (associations, time, associations/s) | first answer, empty db | first answer, loaded db | idle RSS, empty db | idle RSS, loaded db | max RSS under load | bytes/association |\n");
        out.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for b in &self.backends {
            let preload = match (&b.preload_small, &b.preload_rest) {
                (Some(s), Some(r)) => {
                    let t = s.time + r.time;
                    let n = (s.associations + r.associations) as f64;
                    let retried = match s.retries + r.retries {
                        0 => String::new(),
                        k => format!("; {k} batches answered 503 and were sent again"),
                    };
                    format!(
                        "{} in {:.1} s = {}/s{retried}",
                        int(n),
                        t.as_secs_f64(),
                        int(n / t.as_secs_f64())
                    )
                }
                (Some(s), None) => format!(
                    "{} in {:.1} s",
                    int(s.associations as f64),
                    s.time.as_secs_f64()
                ),
                _ => "not possible (R5 answered 404)".into(),
            };
            let ms = |d: std::time::Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
            let per = match b.db_bytes {
                Some(bytes) if b.stored > 0 => format!(
                    "{:.0} ({})",
                    bytes as f64 / b.stored as f64,
                    b.db_bytes_note
                ),
                Some(bytes) => format!("{} total, no associations", mib(bytes)),
                None => "–".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {preload} | {} | {} | {} | {} | {} | {per} |",
                b.name,
                ms(b.startup_empty),
                b.startup_loaded.map(ms).unwrap_or("–".into()),
                mib(b.idle_rss_empty),
                b.idle_rss_loaded.map(mib).unwrap_or("–".into()),
                mib(b.rss_load_max)
            );
        }
    }

    pub(crate) fn growth(&self, out: &mut String) {
        out.push_str("| Backend | R1 p50 / p99 at small | R1 p50 / p99 at full | p50 ratio |\n|---|---|---|---:|\n");
        for b in &self.backends {
            let small = b.growth_small.as_ref().map(|s| {
                format!(
                    "{} / {} ({})",
                    us(s.p50()),
                    us(s.p99()),
                    int(self.small as f64)
                )
            });
            let full = b.run("R1", self.low).map(|s| {
                format!(
                    "{} / {} ({})",
                    us(s.p50()),
                    us(s.p99()),
                    int(b.associations as f64)
                )
            });
            let ratio = match (&b.growth_small, b.run("R1", self.low)) {
                (Some(s), Some(f)) => format!("{:.2}×", f.p50() / s.p50()),
                _ => "–".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {ratio} |",
                b.name,
                small.unwrap_or("–".into()),
                full.unwrap_or("–".into())
            );
        }
    }
}
