//! `/_assocd/requests`: the request journal of this process, newest first.

use crate::ControlState;
use assocd_api::layers::journal::{Captured, Entry, Filter, Journal};
use assocd_api::wire::{json, no_content, timestamp};
use assocd_api::ApiError;
use assocd_core::scopes::Operation;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::ToSchema;

/// Entries listed when no `limit` is given.
const DEFAULT_LIMIT: usize = 100;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JournalEntry {
    /// Increases by one per recorded request in this process.
    id: u64,
    at: String,
    /// Null when the token was refused or the route is unknown.
    portal_id: Option<i64>,
    method: String,
    path: String,
    query: Option<String>,
    /// `S1`…`U1`; null for unknown routes.
    operation: Option<&'static str>,
    status: u16,
    duration_micros: u64,
    correlation_id: Option<String>,
    /// The body as JSON when it parses, else as text; null when empty.
    #[schema(value_type = Object)]
    request_body: Value,
    #[schema(value_type = Object)]
    response_body: Value,
    /// Whether a body was cut at 64 KiB.
    truncated: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JournalPage {
    results: Vec<JournalEntry>,
}

pub(crate) fn body_value(c: &Captured) -> Value {
    if c.bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(&c.bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&c.bytes).into_owned()))
}

fn entry_json(e: &Entry) -> JournalEntry {
    JournalEntry {
        id: e.id,
        at: chrono::DateTime::from_timestamp_millis(e.at_ms)
            .map(timestamp)
            .unwrap_or_default(),
        portal_id: e.portal_id,
        method: e.method.to_string(),
        path: e.path().to_string(),
        query: e.query().map(str::to_string),
        operation: e.operation.map(Operation::as_str),
        status: e.status,
        duration_micros: e.duration_micros,
        correlation_id: e.correlation_id().map(str::to_string),
        request_body: body_value(&e.request_body),
        response_body: body_value(&e.response_body),
        truncated: e.request_body.truncated || e.response_body.truncated,
    }
}

fn journal(state: &ControlState) -> Result<&Arc<Journal>, ApiError> {
    state.api.journal.as_ref().ok_or_else(|| {
        assocd_core::Error::not_found("The request journal is off (--journal-size 0)").into()
    })
}

fn number<T: std::str::FromStr>(name: &str, raw: Option<&str>) -> Result<Option<T>, ApiError> {
    raw.map(|r| {
        r.parse::<T>()
            .map_err(|_| ApiError::invalid(format!("{name}: '{r}' is not a valid number")))
    })
    .transpose()
}

#[utoipa::path(get, path = "/_assocd/requests", tag = "journal",
    params(("portalId" = Option<i64>, Query), ("operation" = Option<String>, Query, description = "S1…U1"),
           ("status" = Option<u16>, Query), ("limit" = Option<usize>, Query, description = "default 100")),
    responses((status = 200, body = JournalPage), (status = 400, description = "Bad filter"),
              (status = 404, description = "The journal is off")),
    security(("admin" = [])))]
pub(crate) async fn list(
    State(state): State<ControlState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let journal = journal(&state)?;
    let Query(q) =
        query.map_err(|e| ApiError::invalid(format!("Invalid query: {}", e.body_text())))?;
    let arg = |name: &str| q.get(name).map(String::as_str);
    let operation = match arg("operation") {
        None => None,
        Some(key) => Some(Operation::parse(key).ok_or_else(|| {
            ApiError::invalid(format!(
                "operation: '{key}' is not an operation key (S1…U1)"
            ))
        })?),
    };
    let filter = Filter {
        portal_id: number("portalId", arg("portalId"))?,
        operation,
        status: number("status", arg("status"))?,
        before: None,
        limit: number("limit", arg("limit"))?.unwrap_or(DEFAULT_LIMIT),
    };
    let results = journal.read(&filter).iter().map(entry_json).collect();
    Ok(json(StatusCode::OK, &JournalPage { results }))
}

#[utoipa::path(delete, path = "/_assocd/requests", tag = "journal",
    responses((status = 204, description = "Journal cleared"), (status = 404, description = "The journal is off")),
    security(("admin" = [])))]
pub(crate) async fn clear(State(state): State<ControlState>) -> Result<Response, ApiError> {
    journal(&state)?.clear();
    Ok(no_content())
}
