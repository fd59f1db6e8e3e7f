//! The Faults page: the faults live in this process, a form to add one (status, operation,
//! times; the form's entries become the same document `POST /_assocd/faults` takes, checked by
//! the same code) and a button to remove each.

use super::layout::{self, count};
use super::{Console, PREFIX};
use crate::faults::{spec, NewFault};
use assocd_api::layers::faults::{Faults, LiveFault, STATUSES};
use assocd_api::wire::parse;
use assocd_api::ApiError;
use assocd_core::scopes::Operation;
use axum::extract::rejection::FormRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    times: String,
    #[serde(default)]
    latency_ms: String,
    #[serde(default)]
    portal_id: String,
}

fn describe(f: &LiveFault) -> (String, String) {
    let m = &f.spec.matcher;
    let mut when = Vec::new();
    if let Some(op) = m.operation {
        when.push(format!("operation {}", op.as_str()));
    }
    if let Some(x) = &m.method {
        when.push(format!("method {x}"));
    }
    if let Some(p) = &m.path_prefix {
        when.push(format!("path {p}…"));
    }
    if let Some(p) = m.portal_id {
        when.push(format!("portal {p}"));
    }
    let a = &f.spec.action;
    let mut what = Vec::new();
    if let Some(l) = a.latency_ms {
        what.push(format!("wait {l} ms"));
    }
    if let Some(s) = a.status {
        what.push(format!("answer {s}"));
    }
    if a.drop_connection {
        what.push("drop the connection".into());
    }
    let when = if when.is_empty() {
        "every call".to_string()
    } else {
        when.join(", ")
    };
    (when, what.join(", then "))
}

fn page(faults: &Faults, status: StatusCode, problem: Option<&str>, form: &AddForm) -> Response {
    let live = faults.list();
    let body = html! {
        p.note { "Faults are injected into calls to HubSpot's API on this server process; the same as " code { "/_assocd/faults" } "." }
        @if live.is_empty() {
            p.card #no-faults { "No live faults." }
        } @else {
            table #faults {
                thead { tr { th.num { "Id" } th { "Applies to" } th { "Does" } th { "Phase" } th.num { "Probability" } th.num { "Left" } th.num { "Fired" } th {} } }
                tbody { @for f in &live {
                    @let (when, what) = describe(f);
                    tr.fault data-id=(f.id) {
                        td.num { (f.id) } td { (when) } td { (what) } td { (f.spec.phase.as_str()) }
                        td.num { (f.spec.probability) }
                        td.num { (f.times_left.map_or("until removed".to_string(), |t| count(t as i64))) }
                        td.num { (count(f.fired as i64)) }
                        td { form.inline method="post" action={ (PREFIX) "/faults/" (f.id) "/remove" } {
                            button.danger.remove type="submit" { "Remove" }
                        } }
                    }
                } }
            }
        }
        h2 { "Add a fault" }
        @if let Some(m) = problem { p.error #fault-problem role="alert" { (m) } }
        (add_form(form))
    };
    layout::page_with(status, "/faults", "Faults", body)
}

fn add_form(f: &AddForm) -> Markup {
    html! {
        form.stack #add-fault method="post" action={ (PREFIX) "/faults" } {
            label { "Status" select name="status" {
                option value="" { "none (latency only)" }
                @for s in STATUSES { option value=(s) selected[f.status == s.to_string() || (f.status.is_empty() && s == 503)] { (s) } }
            } }
            label { "Operation" select name="operation" {
                option value="" { "any" }
                @for op in Operation::ALL {
                    option value=(op.as_str()) selected[f.operation == op.as_str()] {
                        (op.as_str()) " " (assocd_api::openapi::summary(op).unwrap_or(""))
                    }
                }
            } }
            label { "Times" input name="times" value=(f.times) size="6" inputmode="numeric" placeholder="until removed"; }
            label { "Latency (ms)" input name="latencyMs" value=(f.latency_ms) size="7" inputmode="numeric"; }
            label { "Portal" input name="portalId" value=(f.portal_id) size="8" inputmode="numeric" placeholder="any"; }
            button type="submit" { "Add fault" }
        }
    }
}

/// What a refused fault document says, for the form.
fn message(e: ApiError) -> String {
    match e {
        ApiError::Invalid { message, .. } => message,
        ApiError::Domain(e) => e.message,
        other => format!("{other:?}"),
    }
}

fn faults(console: &Console) -> Option<&Arc<Faults>> {
    console.state.api.faults.as_ref()
}

fn off() -> Response {
    layout::page(
        "/faults",
        "Faults",
        html! { p.card { "Fault injection is off on this server." } },
    )
}

/// `GET /_assocd/console/faults`.
pub(crate) async fn list(console: Console) -> Response {
    match faults(&console) {
        Some(f) => page(f, StatusCode::OK, None, &AddForm::default()),
        None => off(),
    }
}

/// The form's entries as the control plane's fault document.
fn document(form: &AddForm) -> Result<Value, String> {
    let number = |name: &str, raw: &str| -> Result<Option<u64>, String> {
        match raw.trim() {
            "" => Ok(None),
            r => r
                .parse()
                .map(Some)
                .map_err(|_| format!("{name}: '{r}' is not a whole number")),
        }
    };
    let mut matcher = Map::new();
    if !form.operation.is_empty() {
        matcher.insert("operation".into(), json!(form.operation));
    }
    if let Some(p) = number("Portal", &form.portal_id)? {
        matcher.insert("portalId".into(), json!(p));
    }
    let mut action = Map::new();
    if let Some(s) = number("Status", &form.status)? {
        action.insert("status".into(), json!(s));
    }
    if let Some(l) = number("Latency", &form.latency_ms)? {
        action.insert("latencyMs".into(), json!(l));
    }
    let mut doc = json!({ "match": matcher, "action": action });
    if let Some(t) = number("Times", &form.times)? {
        doc["times"] = json!(t);
    }
    Ok(doc)
}

/// `POST /_assocd/console/faults`: adds the fault, or shows the form again with the problem.
pub(crate) async fn add(console: Console, form: Result<Form<AddForm>, FormRejection>) -> Response {
    let Some(faults) = faults(&console) else {
        return off();
    };
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let checked = document(&form).and_then(|doc| {
        parse::<NewFault>(doc.to_string().as_bytes())
            .and_then(spec)
            .map_err(message)
    });
    match checked {
        Ok(s) => {
            faults.add(s);
            Redirect::to(&format!("{PREFIX}/faults")).into_response()
        }
        Err(m) => page(faults, StatusCode::BAD_REQUEST, Some(&m), &form),
    }
}

/// `POST /_assocd/console/faults/{id}/remove`.
pub(crate) async fn remove(console: Console, Path(id): Path<u64>) -> Response {
    let Some(faults) = faults(&console) else {
        return off();
    };
    if !faults.remove(id) {
        return page(
            faults,
            StatusCode::NOT_FOUND,
            Some(&format!("No live fault {id}.")),
            &AddForm::default(),
        );
    }
    Redirect::to(&format!("{PREFIX}/faults")).into_response()
}
