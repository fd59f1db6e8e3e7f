//! `assocd export` and `assocd import`: the dump file format and its progress bar.
//!
//! The format is JSON Lines. The first line is a header:
//! `{"format":"assocd-dump","version":1,"schemaVersion":2,"backend":"sqlite","portal":null,
//!   "exportedAt":"…","tables":[{"name":"labels","columns":["portal_id",…],"rows":12},…]}`;
//! every other line is one row, its values in the header's column order:
//! `{"table":"labels","values":[101,10000,10001,"contacts","companies","boss","Boss",1]}`.
//! Rows come table by table; the header's row counts let an import notice a cut-short file.

use anyhow::{bail, Context};
use assocd_core::dump::{
    DumpInfo, DumpSink, DumpSource, DumpStore, DumpTable, DumpValue, ImportSummary,
};
use assocd_core::store::Result as StoreResult;
use assocd_core::{Error, PortalId};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};

/// The `format` of the header line.
pub const FORMAT: &str = "assocd-dump";
/// The version of the line format this assocd writes and reads.
pub const VERSION: u64 = 1;

/// A bar on stderr when stderr is a terminal; nothing otherwise (pipes and logs stay clean).
fn progress(total: u64, verb: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = format!("{verb} {{bar:40}} {{pos}}/{{len}} rows ({{eta}} left)");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

fn io_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::internal(format!("{what}: {e}"))
}

fn to_json(v: DumpValue) -> Value {
    match v {
        DumpValue::Null => Value::Null,
        DumpValue::Int(i) => json!(i),
        DumpValue::Float(f) => json!(f),
        DumpValue::Bool(b) => json!(b),
        DumpValue::Text(s) => Value::String(s),
    }
}

fn from_json(v: Value) -> Option<DumpValue> {
    Some(match v {
        Value::Null => DumpValue::Null,
        Value::Bool(b) => DumpValue::Bool(b),
        Value::String(s) => DumpValue::Text(s),
        Value::Number(n) => match n.as_i64() {
            Some(i) => DumpValue::Int(i),
            None => DumpValue::Float(n.as_f64()?),
        },
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// Writes the dump to `out`, one line per row.
struct JsonLinesSink<W: Write + Send> {
    out: W,
    tables: Vec<String>,
    bar: ProgressBar,
}

impl<W: Write + Send> DumpSink for JsonLinesSink<W> {
    fn start(&mut self, info: &DumpInfo) -> StoreResult<()> {
        let header = json!({
            "format": FORMAT,
            "version": VERSION,
            "schemaVersion": info.schema_version,
            "backend": info.backend,
            "portal": info.portal,
            "exportedAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "tables": info.tables.iter().map(|t| json!({"name": t.name, "columns": t.columns, "rows": t.rows})).collect::<Vec<_>>(),
        });
        self.tables = info.tables.iter().map(|t| t.name.clone()).collect();
        self.bar = progress(info.tables.iter().map(|t| t.rows).sum(), "export");
        writeln!(self.out, "{header}").map_err(|e| io_error("cannot write the dump", e))
    }

    fn row(&mut self, table: usize, values: Vec<DumpValue>) -> StoreResult<()> {
        let line = json!({"table": self.tables[table], "values": values.into_iter().map(to_json).collect::<Vec<_>>()});
        writeln!(self.out, "{line}").map_err(|e| io_error("cannot write the dump", e))?;
        self.bar.inc(1);
        Ok(())
    }
}

/// Reads a dump: the header at once, then rows on demand.
struct JsonLinesSource<R: BufRead + Send> {
    input: R,
    info: DumpInfo,
    index: HashMap<String, usize>,
    line_no: usize,
    bar: ProgressBar,
}

impl<R: BufRead + Send> JsonLinesSource<R> {
    fn open(mut input: R) -> anyhow::Result<Self> {
        let mut first = String::new();
        input
            .read_line(&mut first)
            .context("cannot read the dump")?;
        let header: Value =
            serde_json::from_str(&first).context("the first line is not an assocd dump header")?;
        if header["format"] != FORMAT {
            bail!("not an assocd dump (the first line has no \"format\":\"{FORMAT}\")");
        }
        match header["version"].as_u64() {
            Some(VERSION) => {}
            Some(v) => bail!(
                "dump format version {v} is not supported (this assocd reads version {VERSION})"
            ),
            None => bail!("the dump header has no format version"),
        }
        let tables = header["tables"]
            .as_array()
            .context("the dump header lists no tables")?
            .iter()
            .map(|t| {
                Some(DumpTable {
                    name: t["name"].as_str()?.to_string(),
                    columns: t["columns"]
                        .as_array()?
                        .iter()
                        .map(|c| c.as_str().map(str::to_string))
                        .collect::<Option<_>>()?,
                    rows: t["rows"].as_u64()?,
                })
            })
            .collect::<Option<Vec<_>>>()
            .context("a table in the dump header lacks its name, columns or row count")?;
        let info = DumpInfo {
            schema_version: header["schemaVersion"]
                .as_i64()
                .context("the dump header has no schemaVersion")?,
            backend: header["backend"].as_str().unwrap_or("unknown").to_string(),
            portal: header["portal"].as_i64(),
            tables,
        };
        let index = info
            .tables
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        let bar = progress(info.tables.iter().map(|t| t.rows).sum(), "import");
        Ok(JsonLinesSource {
            input,
            info,
            index,
            line_no: 1,
            bar,
        })
    }
}

impl<R: BufRead + Send> DumpSource for JsonLinesSource<R> {
    fn info(&self) -> &DumpInfo {
        &self.info
    }

    fn next_row(&mut self) -> StoreResult<Option<(usize, Vec<DumpValue>)>> {
        let mut line = String::new();
        loop {
            line.clear();
            self.line_no += 1;
            if self
                .input
                .read_line(&mut line)
                .map_err(|e| io_error("cannot read the dump", e))?
                == 0
            {
                return Ok(None);
            }
            if !line.trim().is_empty() {
                break;
            }
        }
        let bad =
            |what: &str| Error::validation(format!("line {} of the dump: {what}", self.line_no));
        let mut row: Value = serde_json::from_str(&line).map_err(|e| bad(&e.to_string()))?;
        let table = row["table"].as_str().ok_or_else(|| bad("no \"table\""))?;
        let index = *self
            .index
            .get(table)
            .ok_or_else(|| bad(&format!("table {table} is not in the header")))?;
        let Value::Array(values) = row["values"].take() else {
            return Err(bad("no \"values\" array"));
        };
        let values = values
            .into_iter()
            .map(from_json)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("a value is an array or object"))?;
        self.bar.inc(1);
        Ok(Some((index, values)))
    }
}

/// Writes a dump of `store` (only `portal` when given) to `out`.
pub async fn export(
    store: &dyn DumpStore,
    portal: Option<PortalId>,
    out: impl Write + Send,
) -> anyhow::Result<DumpInfo> {
    let mut sink = JsonLinesSink {
        out,
        tables: Vec::new(),
        bar: ProgressBar::hidden(),
    };
    let info = store.export(portal, &mut sink).await?;
    sink.out.flush().context("cannot write the dump")?;
    sink.bar.finish_and_clear();
    Ok(info)
}

/// Reads a dump from `input` into `store`, all or nothing.
pub async fn import(
    store: &dyn DumpStore,
    input: impl BufRead + Send,
) -> anyhow::Result<(DumpInfo, ImportSummary)> {
    let mut source = JsonLinesSource::open(input)?;
    let summary = store.import(&mut source).await;
    source.bar.finish_and_clear();
    Ok((source.info, summary?))
}
