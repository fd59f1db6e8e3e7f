//! The Requests page: the request journal, newest first, filtered by portal, operation and
//! status, each request's and answer's body pretty-printed on demand; the first page refreshes
//! itself while it is open (the console's one script).

use super::layout::{self, enc};
use super::{Console, PREFIX};
use crate::requests::body_value;
use assocd_api::layers::journal::{Captured, Entry, Filter};
use assocd_core::scopes::Operation;
use axum::extract::Query;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

/// Entries per page.
const PAGE: usize = 50;
/// Longest body shown on the page (the JSON API gives it whole).
const SHOWN: usize = 16 * 1024;
/// Seconds between refreshes.
const REFRESH_S: u32 = 3;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Params {
    #[serde(default)]
    portal_id: String,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    status: String,
    before: Option<u64>,
}

/// A body for people: indented JSON when it parses, else the text; cut at `SHOWN`.
fn pretty(c: &Captured) -> String {
    let v = body_value(c);
    let mut text = match &v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) if !c.bytes.starts_with(b"\"") => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    };
    if text.len() > SHOWN {
        let mut cut = SHOWN;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n… (cut here; GET /_assocd/requests has it whole)");
    } else if c.truncated {
        text.push_str("\n… (cut at 64 KiB when recorded)");
    }
    text
}

fn body(title: &str, c: &Captured) -> Markup {
    let text = pretty(c);
    html! {
        div.note { (title) @if text.is_empty() { " · no body" } }
        @if !text.is_empty() { pre.body { (text) } }
    }
}

fn status_class(status: u16) -> &'static str {
    match status / 100 {
        2 => "pill s2",
        4 => "pill s4",
        5 => "pill s5",
        _ => "pill",
    }
}

fn row(e: &Entry) -> Markup {
    let path = match e.query() {
        Some(q) => format!("{}?{q}", e.path()),
        None => e.path().to_string(),
    };
    html! {
        tr.entry data-id=(e.id) {
            td.mono { (layout::time(e.at_ms)) }
            td.num { @if let Some(p) = e.portal_id { a href={ (PREFIX) "/portals/" (p) } { (p) } } @else { span.muted { "–" } } }
            td.mono { (e.operation.map_or("–", Operation::as_str)) }
            td { span class=(status_class(e.status)) { (e.status) } }
            td.num { (format!("{:.1}", e.duration_micros as f64 / 1000.0)) }
            td {
                code { (e.method.as_str()) " " (path) }
                details {
                    summary { "Bodies" }
                    @if let Some(id) = e.correlation_id() { div.note { "Correlation id " code { (id) } } }
                    (body("Request", &e.request_body))
                    (body("Answer", &e.response_body))
                }
            }
        }
    }
}

/// `GET /_assocd/console/requests?portalId=&operation=&status=&before=`.
pub(crate) async fn list(console: Console, Query(p): Query<Params>) -> Response {
    let Some(journal) = console.state.api.journal.as_ref() else {
        return layout::page(
            "/requests",
            "Requests",
            html! { p.card { "The request journal is off (" code { "--journal-size 0" } ")." } },
        );
    };
    let mut problems = Vec::new();
    let portal_id = match p.portal_id.trim() {
        "" => None,
        raw => raw.parse().ok().or_else(|| {
            problems.push(format!("'{raw}' is not a portal id"));
            None
        }),
    };
    let status = match p.status.trim() {
        "" => None,
        raw => raw.parse().ok().or_else(|| {
            problems.push(format!("'{raw}' is not a status code"));
            None
        }),
    };
    let operation = match p.operation.trim() {
        "" => None,
        raw => Operation::parse(raw).or_else(|| {
            problems.push(format!("'{raw}' is not an operation"));
            None
        }),
    };
    let mut entries = journal.read(&Filter {
        portal_id,
        operation,
        status,
        before: p.before,
        limit: PAGE + 1,
    });
    let next = (entries.len() > PAGE).then(|| {
        entries.truncate(PAGE);
        let last = entries.last().map_or(0, |e| e.id);
        format!(
            "{PREFIX}/requests?portalId={}&operation={}&status={}&before={last}",
            enc(&p.portal_id),
            enc(&p.operation),
            enc(&p.status)
        )
    });
    let live = p.before.is_none();
    let body = html! {
        form.filters #journal-filters method="get" action={ (PREFIX) "/requests" } {
            label { "Portal" input name="portalId" value=(p.portal_id) size="10" inputmode="numeric"; }
            label { "Operation" select name="operation" {
                option value="" { "any" }
                @for op in Operation::ALL {
                    option value=(op.as_str()) selected[operation == Some(op)] {
                        (op.as_str()) " " (assocd_api::openapi::summary(op).unwrap_or(""))
                    }
                }
            } }
            label { "Status" input name="status" value=(p.status) size="5" inputmode="numeric"; }
            button type="submit" { "Filter" }
            a href={ (PREFIX) "/requests" } { "Clear" }
            @if live {
                label.refresh { input #journal-auto type="checkbox" checked; "refresh every " (REFRESH_S) " s" }
            }
        }
        @for m in &problems { p.error { (m) } }
        p.note { "The last " (journal.capacity()) " calls to HubSpot's API on this server process, newest first (" code { "--journal-size" } ")." }
        div #journal data-refresh=[live.then_some(REFRESH_S)] {
            @if entries.is_empty() {
                p.card #journal-empty { "No request matches." }
            } @else {
                table #journal-table {
                    thead { tr { th { "At (UTC)" } th.num { "Portal" } th { "Op" } th { "Status" } th.num { "ms" } th { "Request" } } }
                    tbody { @for e in &entries { (row(e)) } }
                }
            }
        }
        (layout::next_link(next))
    };
    layout::page("/requests", "Requests", body)
}
