//! `/_assocd/faults`: faults injected into calls to HubSpot's API (see
//! `assocd_api::layers::faults`). Per process: on several replicas, add them to each.

use crate::ControlState;
use assocd_api::extract::Params;
use assocd_api::layers::faults::{Action, FaultSpec, Faults, LiveFault, Match, Phase, STATUSES};
use assocd_api::wire::{json, no_content, parse};
use assocd_api::ApiError;
use assocd_core::scopes::Operation;
use assocd_core::PortalId;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// Longest latency a fault may add.
const MAX_LATENCY_MS: u64 = 300_000;

/// Which calls a fault applies to; every condition given must hold.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MatchDoc {
    /// An operation key (`S1`…`U1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    /// The path starts with this (e.g. `/crm/v4`).
    #[serde(skip_serializing_if = "Option::is_none")]
    path_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    portal_id: Option<PortalId>,
}

/// What a fault does: wait `latencyMs`, then answer `status` (HubSpot's error body) or drop the
/// connection without an answer; with only `latencyMs` the call is then served.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ActionDoc {
    /// 429, 500, 502, 503 or 504.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    drop_connection: bool,
}

/// A new fault.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewFault {
    #[serde(rename = "match", default)]
    matcher: MatchDoc,
    action: ActionDoc,
    /// `before` (default: nothing is written) or `after` (the call runs and commits first).
    phase: Option<String>,
    /// 0.0 to 1.0 (default 1).
    probability: Option<f64>,
    /// Fires this many times, then goes (default: until removed).
    times: Option<u64>,
    /// Seed of the probability draws (default 0): the same seed repeats the same run.
    seed: Option<u64>,
}

/// A live fault.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FaultView {
    id: u64,
    #[serde(rename = "match")]
    matcher: MatchDoc,
    action: ActionDoc,
    phase: &'static str,
    probability: f64,
    /// Firings left; absent when the fault stays until removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    times: Option<u64>,
    seed: u64,
    /// How many times it fired.
    fired: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FaultList {
    results: Vec<FaultView>,
}

fn view(f: &LiveFault) -> FaultView {
    let m = &f.spec.matcher;
    let a = &f.spec.action;
    FaultView {
        id: f.id,
        matcher: MatchDoc {
            operation: m.operation.map(|o| o.as_str().to_string()),
            method: m.method.as_ref().map(|x| x.to_string()),
            path_prefix: m.path_prefix.clone(),
            portal_id: m.portal_id,
        },
        action: ActionDoc {
            status: a.status,
            latency_ms: a.latency_ms,
            drop_connection: a.drop_connection,
        },
        phase: f.spec.phase.as_str(),
        probability: f.spec.probability,
        times: f.times_left,
        seed: f.spec.seed,
        fired: f.fired,
    }
}

pub(crate) fn spec(doc: NewFault) -> Result<FaultSpec, ApiError> {
    let bad = |m: String| ApiError::invalid(m);
    let m = doc.matcher;
    let operation = match m.operation {
        Some(o) => Some(Operation::parse(&o).ok_or_else(|| {
            bad(format!(
                "match.operation: '{o}' is not an operation key such as R1 or C5"
            ))
        })?),
        None => None,
    };
    let method = match m.method {
        Some(x) => Some(
            Method::from_bytes(x.to_ascii_uppercase().as_bytes())
                .map_err(|_| bad(format!("match.method: '{x}' is not an HTTP method")))?,
        ),
        None => None,
    };
    if m.path_prefix
        .as_deref()
        .is_some_and(|p| !p.starts_with('/'))
    {
        return Err(bad("match.pathPrefix: a path starts with /".into()));
    }
    if m.portal_id.is_some_and(|p| p <= 0) {
        return Err(bad("match.portalId: a positive integer".into()));
    }
    let a = doc.action;
    if a.status.is_none() && a.latency_ms.is_none() && !a.drop_connection {
        return Err(bad(
            "action: give status, latencyMs or dropConnection: true".into(),
        ));
    }
    if let Some(s) = a.status {
        if !STATUSES.contains(&s) {
            return Err(bad(format!(
                "action.status: {s} is not one of 429, 500, 502, 503, 504"
            )));
        }
        if a.drop_connection {
            return Err(bad(
                "action: a dropped connection answers nothing; give status or dropConnection, not both"
                    .into(),
            ));
        }
    }
    if a.latency_ms.is_some_and(|l| l > MAX_LATENCY_MS) {
        return Err(bad(format!("action.latencyMs: at most {MAX_LATENCY_MS}")));
    }
    let phase = match doc.phase.as_deref() {
        None | Some("before") => Phase::Before,
        Some("after") => Phase::After,
        Some(p) => return Err(bad(format!("phase: '{p}' is not before or after"))),
    };
    let probability = doc.probability.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&probability) {
        return Err(bad("probability: between 0.0 and 1.0".into()));
    }
    if doc.times == Some(0) {
        return Err(bad(
            "times: at least 1 (leave it out for a fault that stays)".into(),
        ));
    }
    Ok(FaultSpec {
        matcher: Match {
            operation,
            method,
            path_prefix: m.path_prefix,
            portal_id: m.portal_id,
        },
        action: Action {
            status: a.status,
            latency_ms: a.latency_ms,
            drop_connection: a.drop_connection,
        },
        phase,
        probability,
        times: doc.times,
        seed: doc.seed.unwrap_or(0),
    })
}

fn faults(state: &ControlState) -> Result<&Arc<Faults>, ApiError> {
    state.api.faults.as_ref().ok_or(ApiError::NotFound)
}

#[utoipa::path(post, path = "/_assocd/faults", tag = "faults", request_body = NewFault,
    responses((status = 201, body = FaultView), (status = 400, description = "Bad fault")),
    security(("admin" = [])))]
pub(crate) async fn create(
    State(state): State<ControlState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let faults = faults(&state)?;
    let spec = spec(parse::<NewFault>(&body)?)?;
    let id = faults.add(spec);
    let live = faults.list();
    match live.iter().find(|f| f.id == id) {
        Some(f) => Ok(json(StatusCode::CREATED, &view(f))),
        None => Err(ApiError::Internal),
    }
}

#[utoipa::path(get, path = "/_assocd/faults", tag = "faults",
    responses((status = 200, body = FaultList)), security(("admin" = [])))]
pub(crate) async fn list(State(state): State<ControlState>) -> Result<Response, ApiError> {
    let results = faults(&state)?.list().iter().map(view).collect();
    Ok(json(StatusCode::OK, &FaultList { results }))
}

#[utoipa::path(delete, path = "/_assocd/faults", tag = "faults",
    responses((status = 204, description = "Every fault removed")), security(("admin" = [])))]
pub(crate) async fn clear(State(state): State<ControlState>) -> Result<Response, ApiError> {
    faults(&state)?.clear();
    Ok(no_content())
}

#[utoipa::path(delete, path = "/_assocd/faults/{id}", tag = "faults",
    params(("id" = u64, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "No such live fault")),
    security(("admin" = [])))]
pub(crate) async fn remove(
    State(state): State<ControlState>,
    params: Params,
) -> Result<Response, ApiError> {
    let faults = faults(&state)?;
    let raw = params.get(0);
    let gone = raw.parse::<u64>().ok().is_some_and(|id| faults.remove(id));
    if !gone {
        return Err(
            assocd_core::Error::not_found(format!("No live fault {raw}"))
                .with("id", [raw.to_string()])
                .into(),
        );
    }
    Ok(no_content())
}
