//! Association limits (definition configurations): C1 read all, C2 read a pair, C3 batch create,
//! C4 batch update, C5 batch purge (the seed endpoint).

use crate::declared::declared;
use crate::error::{ApiError, ErrorDetail};
use crate::extract::{Caller, Params, RawBody};
use crate::wire::{json, no_content, now, parse_batch, BatchResponse, StandardError};
use crate::AppState;
use assocd_core::limits::{LimitInput, PurgeInput};
use assocd_core::scopes::Operation;
use assocd_core::store::LimitOp;
use assocd_core::{Category, Limit, TypeId};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most inputs one limits batch may carry (HubSpot documents none; a pair has far fewer types).
pub const MAX_INPUTS: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/definitions/configurations/all", get(read_all))
        .route(
            "/definitions/configurations/{fromObjectType}/{toObjectType}",
            get(read_pair),
        )
        .route(
            "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/create",
            post(create),
        )
        .route(
            "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/update",
            post(update),
        )
        .route(
            "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/purge",
            post(purge),
        )
}

/// `PublicAssociationDefinitionUserConfiguration`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UserConfiguration {
    category: Category,
    type_id: TypeId,
    label: Option<String>,
    user_enforced_max_to_object_ids: i64,
}

impl From<Limit> for UserConfiguration {
    fn from(l: Limit) -> Self {
        UserConfiguration {
            category: l.category,
            type_id: l.type_id,
            label: l.label,
            user_enforced_max_to_object_ids: l.max_to_object_ids,
        }
    }
}

/// `PublicAssociationDefinitionConfigurationUpdateResult`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateResult {
    category: Category,
    type_id: TypeId,
    user_enforced_max_to_object_ids: i64,
}

/// `PublicAssociationSpec`, as a purge result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PurgedSpec {
    category: String,
    type_id: TypeId,
}

#[derive(Debug, Serialize)]
struct Collection<T> {
    results: Vec<T>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigurationInput {
    category: Category,
    type_id: TypeId,
    max_to_object_ids: i32,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecInput {
    category: String,
    type_id: TypeId,
}

async fn read_all(caller: Caller, State(state): State<AppState>) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::C1)?;
    let limits = state.store.list_limits(portal, None).await?;
    let results: Vec<UserConfiguration> = limits.into_iter().map(Into::into).collect();
    Ok(json(StatusCode::OK, &Collection { results }))
}

async fn read_pair(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::C2)?;
    let pair = params.pair(0)?;
    let limits = state.store.list_limits(portal, Some(&pair)).await?;
    let results: Vec<UserConfiguration> = limits.into_iter().map(Into::into).collect();
    Ok(json(StatusCode::OK, &Collection { results }))
}

async fn write(
    caller: Caller,
    state: AppState,
    params: Params,
    body: &[u8],
    op: LimitOp,
) -> Result<Response, ApiError> {
    let operation = if op == LimitOp::Create {
        Operation::C3
    } else {
        Operation::C4
    };
    let portal = caller.authorize(operation)?;
    let answer = declared(operation, caller.family);
    let pair = params.pair(0)?;
    let started = now(&state.clock);
    let inputs: Vec<ConfigurationInput> = parse_batch(body, MAX_INPUTS)?;
    let inputs: Vec<LimitInput> = inputs
        .into_iter()
        .map(|i| LimitInput {
            category: i.category,
            type_id: i.type_id,
            max_to_object_ids: i.max_to_object_ids.into(),
        })
        .collect();
    let outcomes = state
        .store
        .write_limits(
            portal,
            &pair,
            op,
            &inputs,
            state.config.max_association_limit,
        )
        .await?;
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    for outcome in outcomes {
        match outcome {
            Ok(limit) => ok.push(limit),
            Err(e) => errors.push(StandardError::from(e)),
        }
    }
    Ok(match op {
        LimitOp::Create => {
            let results: Vec<UserConfiguration> = ok.into_iter().map(Into::into).collect();
            BatchResponse::finish(&state.clock, started, results, errors, answer)
        }
        LimitOp::Update => {
            let results: Vec<UpdateResult> = ok
                .into_iter()
                .map(|l| UpdateResult {
                    category: l.category,
                    type_id: l.type_id,
                    user_enforced_max_to_object_ids: l.max_to_object_ids,
                })
                .collect();
            BatchResponse::finish(&state.clock, started, results, errors, answer)
        }
    })
}

async fn create(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    write(caller, state, params, &body, LimitOp::Create).await
}

async fn update(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    write(caller, state, params, &body, LimitOp::Update).await
}

/// The seed endpoint. On the legacy family it answers 204 and is all-or-nothing (a 204 cannot
/// report per-input errors); elsewhere it answers 200 with the batch body HubSpot's reference
/// page and dated documents show, failed inputs in its `errors`.
async fn purge(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::C5)?;
    let pair = params.pair(0)?;
    let started = now(&state.clock);
    let inputs: Vec<SpecInput> = parse_batch(&body, MAX_INPUTS)?;
    let inputs: Vec<PurgeInput> = inputs
        .into_iter()
        .map(|i| PurgeInput {
            category: i.category,
            type_id: i.type_id,
        })
        .collect();
    let all_or_nothing = !caller.family.batch_bodies();
    let outcomes = state
        .store
        .purge_limits(portal, &pair, &inputs, all_or_nothing)
        .await?;
    if all_or_nothing {
        let bad: Vec<(usize, assocd_core::Error)> = outcomes
            .into_iter()
            .enumerate()
            .filter_map(|(i, o)| o.err().map(|e| (i, e)))
            .collect();
        if bad.is_empty() {
            return Ok(no_content());
        }
        let mut context = BTreeMap::new();
        let mut details = Vec::new();
        for (i, e) in &bad {
            context
                .entry("invalidInputs".to_string())
                .or_insert_with(Vec::new)
                .push(format!(
                    "inputs[{i}]: {} {}",
                    inputs[*i].category, inputs[*i].type_id
                ));
            details.push(ErrorDetail {
                message: e.message.clone(),
                in_: Some(format!("inputs[{i}]")),
                code: Some("INVALID_ASSOCIATION_TYPE".into()),
                context: e.context.clone(),
            });
        }
        return Err(ApiError::Invalid {
            message: format!(
                "{} of {} inputs name no association type of this object pair; nothing was purged",
                bad.len(),
                inputs.len()
            ),
            details,
            context,
        });
    }
    let (mut results, mut errors) = (Vec::new(), Vec::new());
    for (input, outcome) in inputs.into_iter().zip(outcomes) {
        match outcome {
            Ok(()) => results.push(PurgedSpec {
                category: input.category,
                type_id: input.type_id,
            }),
            Err(e) => errors.push(StandardError::from(e)),
        }
    }
    Ok(BatchResponse::finish(
        &state.clock,
        started,
        results,
        errors,
        declared(Operation::C5, caller.family),
    ))
}
