//! Logging: `RUST_LOG` filters (default `info`), output to stderr, as text or as one JSON
//! object per line (`--log-format`).
//!
//! The default (`auto`) is text when stderr is a terminal (a person reads it) and JSON
//! otherwise (a file, a pipe, a container runtime: a log collector reads it).
//!
//! Two things keep the access log cheap (docs/benchmarks.md, "Access log"): its lines are
//! written here directly, in the same format tracing-subscriber gives every other line
//! (`access_json`, `access_text`), and a request has no span of its own: the formatter adds the
//! request's correlation id to every line logged while serving it (`WithRequest`), where the
//! span used to put it (`"span":{"correlation_id":…,"name":"request"}` in JSON,
//! `request{correlation_id=…}:` in text).

use assocd_api::layers::access_log::{self, AccessLine};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Text on a terminal, JSON otherwise.
    Auto,
    Text,
    Json,
}

impl LogFormat {
    /// The format `auto` stands for here.
    pub fn resolve(self) -> LogFormat {
        match self {
            LogFormat::Auto if std::io::stderr().is_terminal() => LogFormat::Text,
            LogFormat::Auto => LogFormat::Json,
            other => other,
        }
    }
}

pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let json = format.resolve() == LogFormat::Json;
    let installed = if json {
        let event = tracing_subscriber::fmt::format()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false);
        builder
            .json()
            .event_format(WithRequest { inner: event, json })
            .try_init()
    } else {
        let event = tracing_subscriber::fmt::format().with_ansi(std::io::stderr().is_terminal());
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .event_format(WithRequest { inner: event, json })
            .try_init()
    };
    if installed.is_ok() {
        access_log::set_writer(if json { access_json } else { access_text });
    }
}

/// Adds the correlation id of the request being served to a line formatted by `inner`.
struct WithRequest<F> {
    inner: F,
    json: bool,
}

impl<S, N, F> FormatEvent<S, N> for WithRequest<F>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let Some(id) = assocd_api::error::current_correlation_id() else {
            return self.inner.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        if self.json {
            // `"span":{…}` when a span is current (the trace-level `http` span), else a new one.
            let field = format!("\"correlation_id\":\"{}\"", JsonText(&id));
            if let Some(at) = line.rfind("\"span\":{") {
                line.insert_str(at + 8, &format!("{field},"));
            } else if let Some(end) = line.rfind('}') {
                line.insert_str(end, &format!(",\"span\":{{{field},\"name\":\"request\"}}"));
            }
        } else {
            let target = event.metadata().target();
            if let Some(at) = line.find(target) {
                line.insert_str(at, &format!("request{{correlation_id={id}}}: "));
            }
        }
        writer.write_str(&line)
    }
}

thread_local! {
    /// The line being written, and the second its timestamp prefix was made for.
    static LINE: RefCell<(String, i64, String)> = const { RefCell::new((String::new(), i64::MIN, String::new())) };
}

/// Writes one access line to stderr: `fill` writes it after the timestamp.
fn write_line(fill: impl FnOnce(&mut String)) {
    LINE.with(|cell| {
        let Ok(mut cell) = cell.try_borrow_mut() else {
            return;
        };
        let (line, second, prefix) = &mut *cell;
        line.clear();
        let now = chrono::Utc::now();
        if now.timestamp() != *second {
            *second = now.timestamp();
            prefix.clear();
            let _ = write!(prefix, "{}", now.format("%Y-%m-%dT%H:%M:%S"));
        }
        line.push_str(prefix);
        let _ = write!(line, ".{:06}Z", now.timestamp_subsec_micros().min(999_999));
        fill(line);
        line.push('\n');
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    })
}

/// The access line as tracing-subscriber's JSON formatter writes an event (flattened fields).
fn access_json(l: &AccessLine<'_>) {
    write_line(|s| {
        // The timestamp is already in `s`; wrap it.
        s.insert_str(0, "{\"timestamp\":\"");
        let _ = write!(
            s,
            "\",\"level\":\"INFO\",\"message\":\"request\",\"correlation_id\":\"{}\"",
            JsonText(l.correlation_id)
        );
        if let Some(portal) = l.portal {
            let _ = write!(s, ",\"portal\":{portal}");
        }
        let _ = write!(
            s,
            ",\"operation\":\"{}\",\"family\":\"{}\",\"method\":\"{}\",\"path\":\"{}\",\"status\":{},\"duration_ms\":{},\"response_bytes\":{},\"target\":\"{}\"}}",
            JsonText(l.operation),
            JsonText(l.family),
            JsonText(l.method),
            JsonText(l.path),
            l.status,
            l.duration_ms,
            l.response_bytes,
            access_log::TARGET,
        );
    })
}

/// The access line as tracing-subscriber's text formatter writes an event (without colour).
fn access_text(l: &AccessLine<'_>) {
    write_line(|s| {
        let _ = write!(
            s,
            "  INFO {}: request correlation_id={}",
            access_log::TARGET,
            l.correlation_id
        );
        if let Some(portal) = l.portal {
            let _ = write!(s, " portal={portal}");
        }
        let _ = write!(
            s,
            " operation={} family={} method={} path={} status={} duration_ms={} response_bytes={}",
            l.operation, l.family, l.method, l.path, l.status, l.duration_ms, l.response_bytes
        );
    })
}

/// Text as the inside of a JSON string.
struct JsonText<'a>(&'a str);

impl std::fmt::Display for JsonText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0;
        let mut start = 0;
        for (i, c) in s.char_indices() {
            let escaped = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                c if (c as u32) < 0x20 => "",
                _ => continue,
            };
            f.write_str(&s[start..i])?;
            if escaped.is_empty() {
                write!(f, "\\u{:04x}", c as u32)?;
            } else {
                f.write_str(escaped)?;
            }
            start = i + c.len_utf8();
        }
        f.write_str(&s[start..])
    }
}
