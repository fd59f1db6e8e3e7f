//! Association labels (definitions): S1 list, S2 create, S3 rename, S4 delete.

use crate::error::ApiError;
use crate::extract::{Caller, Params, RawBody};
use crate::wire::{json, no_content, parse};
use crate::{AppState, Family};
use assocd_core::scopes::Operation;
use assocd_core::{builtin, label_rules, Category, LabelRename, NewLabel, Pair, TypeId, UserLabel};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get};
use axum::Router;
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{fromObjectType}/{toObjectType}/labels",
            get(list).post(create).put(update),
        )
        .route(
            "/{fromObjectType}/{toObjectType}/labels/{associationTypeId}",
            delete(remove),
        )
}

/// `AssociationSpecWithLabel`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecWithLabel {
    pub category: Category,
    pub type_id: TypeId,
    pub label: Option<String>,
    /// Sent on the 2026-09 family only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_object_type_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_object_type_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct Collection<T> {
    results: Vec<T>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    label: String,
    name: String,
    #[serde(default)]
    inverse_label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateRequest {
    association_type_id: TypeId,
    label: String,
    #[serde(default)]
    inverse_label: Option<String>,
}

fn spec(
    family: Family,
    pair: &Pair,
    category: Category,
    type_id: TypeId,
    label: Option<String>,
) -> SpecWithLabel {
    let typed = family == Family::Dated("2026-09");
    SpecWithLabel {
        category,
        type_id,
        label,
        from_object_type_id: typed.then(|| pair.from.to_string()),
        to_object_type_id: typed.then(|| pair.to.to_string()),
    }
}

fn user_spec(family: Family, l: UserLabel) -> SpecWithLabel {
    spec(family, &l.pair, Category::UserDefined, l.type_id, l.label)
}

async fn list(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::S1)?;
    let pair = params.pair(0)?;
    let mut results: Vec<SpecWithLabel> = builtin::for_pair(&pair)
        .into_iter()
        .map(|t| {
            spec(
                caller.family,
                &pair,
                Category::HubspotDefined,
                t.type_id,
                t.label.clone(),
            )
        })
        .collect();
    let own = state.store.list_labels(portal, &pair).await?;
    results.extend(own.into_iter().map(|l| user_spec(caller.family, l)));
    Ok(json(StatusCode::OK, &Collection { results }))
}

/// A broken label rule as HubSpot's field error.
fn rule_error((field, message): label_rules::RuleError) -> ApiError {
    ApiError::field(field, message)
}

async fn create(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::S2)?;
    let pair = params.pair(0)?;
    let req: CreateRequest = parse(&body)?;
    label_rules::check_new(&req.name, &req.label, req.inverse_label.as_deref())
        .map_err(rule_error)?;
    let new = NewLabel {
        pair,
        name: req.name,
        label: req.label,
        inverse_label: req.inverse_label,
    };
    let created = state.store.create_label(portal, &new).await?;
    let results = created
        .into_iter()
        .map(|l| user_spec(caller.family, l))
        .collect();
    Ok(json(StatusCode::OK, &Collection { results }))
}

fn refuse_builtin(type_id: TypeId) -> Result<(), ApiError> {
    if builtin::is_builtin_id(type_id) {
        let mut e = ApiError::invalid(format!(
            "HUBSPOT_DEFINED association type {type_id} cannot be changed or deleted"
        ));
        if let ApiError::Invalid { context, .. } = &mut e {
            context.insert("associationTypeId".into(), vec![type_id.to_string()]);
        }
        return Err(e);
    }
    Ok(())
}

async fn update(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::S3)?;
    let pair = params.pair(0)?;
    let req: UpdateRequest = parse(&body)?;
    label_rules::check_text("label", &req.label).map_err(rule_error)?;
    if let Some(inv) = &req.inverse_label {
        label_rules::check_text("inverseLabel", inv).map_err(rule_error)?;
    }
    refuse_builtin(req.association_type_id)?;
    let rename = LabelRename {
        pair,
        type_id: req.association_type_id,
        label: req.label,
        inverse_label: req.inverse_label,
    };
    state.store.rename_label(portal, &rename).await?;
    Ok(no_content())
}

async fn remove(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::S4)?;
    let pair = params.pair(0)?;
    let type_id = params.int32(2, "associationTypeId")?;
    refuse_builtin(type_id)?;
    state
        .store
        .delete_label(portal, &pair, type_id, &caller.source())
        .await?;
    Ok(no_content())
}
