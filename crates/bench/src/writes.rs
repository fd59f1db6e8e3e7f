//! Issue 15's pairing for the write scenarios: each against a raw loop of the same rows and
//! transaction size on its own backend, at the same concurrency (`ceiling::run_sqlite`,
//! `pgwrites`), and the targets of the scenarios beyond R1 and S1.

use crate::report::{int, Report};
use crate::run::BackendResult;
use crate::scenarios::Ceiling;
use std::fmt::Write;

impl Report {
    /// What one request of write scenario `id` amounts to in its loop's unit: rows for an
    /// insert loop, transactions for a delete loop.
    pub(crate) fn write_work(&self, b: &BackendResult, id: &str) -> Option<f64> {
        let sc = b.scenario(id)?;
        match sc.ceiling {
            Ceiling::Insert => Some(sc.rows_per_request as f64),
            Ceiling::Delete => Some(1.0),
            _ => None,
        }
    }

    /// The raw loop's rate on `backend` at concurrency `c` (rows/s or transactions/s). SQLite's
    /// loops run on its one writer connection, the same at every concurrency.
    pub(crate) fn write_ceiling(&self, backend: &str, ceiling: Ceiling, c: usize) -> Option<f64> {
        match (backend, ceiling) {
            ("SQLite", Ceiling::Insert) => Some(self.sqlite.insert_rows_per_s()),
            ("SQLite", Ceiling::Delete) => Some(self.sqlite.deletes_per_s()),
            ("PostgreSQL", Ceiling::Insert) => self.pg_ceiling.as_ref()?.inserts.get(&c).copied(),
            ("PostgreSQL", Ceiling::Delete) => self.pg_ceiling.as_ref()?.deletes.get(&c).copied(),
            _ => None,
        }
    }

    /// Target rows: R6, R5 and C5 at the highest concurrency against their ceilings.
    pub(crate) fn write_targets(&self, b: &BackendResult, out: &mut String) {
        let hi = self.high;
        for id in ["R6", "R5", "C5"] {
            let Some(sc) = b.scenarios.iter().find(|s| s.id == id) else {
                continue;
            };
            let name = sc.ceiling.name(&b.name);
            let (text, ok) = match (b.run(id, hi), self.ceiling_of(b, id, sc.ceiling, hi)) {
                (Some(r), Some((rate, unit, per))) => {
                    let q = r.rps() * per / rate.max(1e-9);
                    let work = if per == 1.0 {
                        String::new()
                    } else {
                        format!(" = {} {unit}", int(r.rps() * per))
                    };
                    // R6's former ceiling stays in view.
                    let echo = match (id, self.http.echo.get(&hi)) {
                        ("R6", Some(e)) => format!(
                            " (axum POST echo: {:.0}% of {} req/s)",
                            100.0 * r.rps() / e.rps().max(1e-9),
                            int(e.rps())
                        ),
                        _ => String::new(),
                    };
                    (
                        format!(
                            "{} req/s{work} = {:.0}% of {} {unit}{echo}",
                            int(r.rps()),
                            q * 100.0,
                            int(rate)
                        ),
                        Some(q >= 0.5),
                    )
                }
                _ => ("–".into(), None),
            };
            let status = match ok {
                Some(true) => "met",
                Some(false) => "**not met**",
                None => "not measured",
            };
            let _ = writeln!(
                out,
                "| {id} throughput at c={hi} ≥ 50% of its ceiling ({name}) | {} | {text} | {status} |",
                b.name
            );
        }
    }

    /// The ceiling's rate for scenario `id` of backend `b` at concurrency `c`, its unit, and
    /// the work of one request in that unit.
    pub(crate) fn ceiling_of(
        &self,
        b: &BackendResult,
        id: &str,
        ceiling: Ceiling,
        c: usize,
    ) -> Option<(f64, &'static str, f64)> {
        match ceiling {
            Ceiling::Insert => Some((
                self.write_ceiling(&b.name, ceiling, c)?,
                "rows/s",
                self.write_work(b, id)?,
            )),
            Ceiling::Delete => Some((
                self.write_ceiling(&b.name, ceiling, c)?,
                "transactions/s",
                1.0,
            )),
            Ceiling::BatchRead if b.name == "PostgreSQL" => Some((
                *self.pg_ceiling.as_ref()?.selects.get(&c)?,
                "selects/s",
                crate::scenarios::BATCH as f64,
            )),
            Ceiling::BatchRead => Some((b.r6_bare.as_ref()?.runs.get(&c)?.rps(), "req/s", 1.0)),
            other => Some((self.http.for_scenario(other, c)?.rps(), "req/s", 1.0)),
        }
    }

    /// Each write scenario beside its raw loop, per backend and concurrency.
    pub(crate) fn writes_table(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "Each write scenario against a raw loop of the same rows and transaction size on the same backend, \
             with the same durability: R5 against {} rows per transaction inserted (both directions of 100 \
             associations); C5, whose every request purges a limit that exists (a stock of limits on labels of \
             object pairs no other scenario uses, {} labels per pair, refilled before each run), against a loop \
             deleting limits of the same shape from a stock of the same size, one per transaction. \
             SQLite: rusqlite on assocd's migrations, WAL, synchronous=FULL, one writer connection (SQLite \
             has one writer, assocd too), so its rate holds for every concurrency. PostgreSQL: sqlx with \
             assocd's pool size, the same number of clients as the scenario's concurrency, default isolation \
             and commit, on the bench's database after assocd's pass. A delete loop that empties its stock \
             early is timed until then.\n",
            crate::scenarios::BATCH * 2,
            crate::purges::LABELS_PER_PAIR
        );
        out.push_str("| Backend | Scenario | c | assocd | raw loop | ratio |\n|---|---|---:|---:|---:|---:|\n");
        for b in &self.backends {
            for id in ["R5", "C5"] {
                let Some(sc) = b.scenario(id) else { continue };
                let unit = match sc.ceiling {
                    Ceiling::Insert => "rows/s",
                    _ => "transactions/s",
                };
                for r in &sc.runs {
                    let per = self.write_work(b, id).unwrap_or(1.0);
                    let (rate, ratio) = match self.write_ceiling(&b.name, sc.ceiling, r.concurrency)
                    {
                        Some(x) => (
                            format!("{} {unit}", int(x)),
                            format!("{:.0}%", 100.0 * r.rps() * per / x.max(1e-9)),
                        ),
                        None => ("not measured".into(), "–".into()),
                    };
                    let _ = writeln!(
                        out,
                        "| {} | {id} {} | {} | {} req/s = {} {unit} | {rate} | {ratio} |",
                        b.name,
                        sc.title,
                        r.concurrency,
                        int(r.rps()),
                        int(r.rps() * per)
                    );
                }
            }
        }
        crate::purges::table(&self.backends, out);
    }
}
