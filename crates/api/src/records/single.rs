//! Single-record operations: R1 list, R2 associate with labels, R3 remove, R4 associate default.

use super::wire::{
    decode_cursor, encode_cursor, path_id, write_page_items, AssociationSpec, DefaultAssociation,
    LabelsBetweenObjectPair, NextPage, ObjectIdOut, Paging,
};
use crate::error::ApiError;
use crate::extract::{Caller, Params, RawBody};
use crate::wire::{json, json_body, no_content, now, origin, parse, timestamp, BatchResponse};
use crate::{AppState, Family};
use assocd_core::records::{Cursor, EditOp, LinkEdit, LinkOutcome, MAX_PAGE};
use assocd_core::scopes::Operation;
use assocd_core::{Pair, RecordId};
use axum::extract::{OriginalUri, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;

/// `{objectType}/{objectId}/associations/{toObjectType}[/{toObjectId}]`, parsed.
struct Target {
    pair: Pair,
    from: RecordId,
    to: Option<RecordId>,
}

fn target(params: &Params, with_to: bool) -> Result<Target, ApiError> {
    let pair = Pair::new(params.object_type(0)?, params.object_type(2)?);
    let from = path_id(params.get(1), "objectId", &pair.from)?;
    let to = if with_to {
        Some(path_id(params.get(3), "toObjectId", &pair.to)?)
    } else {
        None
    };
    Ok(Target { pair, from, to })
}

/// Runs one edit; its own failure is the answer.
async fn write_one(
    state: &AppState,
    caller: &Caller,
    portal: i64,
    t: &Target,
    op: EditOp,
) -> Result<LinkOutcome, ApiError> {
    let edit = LinkEdit {
        from: t.from,
        to: t.to.unwrap_or_default(),
        op,
    };
    let mut outcomes = state
        .store
        .write_associations(portal, &t.pair, &[edit], false, &caller.source())
        .await?;
    outcomes
        .pop()
        .ok_or(ApiError::Internal)?
        .map_err(ApiError::from)
}

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    after: Option<String>,
    limit: Option<String>,
}

/// `limit`: default and maximum 500; larger values are capped, non-positive ones refused.
fn page_size(raw: Option<&str>) -> Result<usize, ApiError> {
    let Some(raw) = raw.filter(|s| !s.is_empty()) else {
        return Ok(MAX_PAGE);
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok((n as usize).min(MAX_PAGE)),
        _ => {
            let mut e = ApiError::invalid(format!(
                "Invalid query parameter limit: '{raw}' must be an integer from 1 to {MAX_PAGE}"
            ));
            if let ApiError::Invalid { context, .. } = &mut e {
                context.insert("limit".into(), vec![raw.to_string()]);
            }
            Err(e)
        }
    }
}

/// R1: one page of a record's associations to a type, ordered by the associated id.
pub(super) async fn list(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::R1)?;
    let t = target(&params, false)?;
    let Query(q) =
        query.map_err(|e| ApiError::invalid(format!("Invalid query string: {}", e.body_text())))?;
    let limit = page_size(q.limit.as_deref())?;
    let after = match q.after.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Some(decode_cursor(raw, &t.pair.to, "after")?),
        None => None,
    };
    let page = state
        .store
        .list_associations(portal, &t.pair, t.from, after, limit)
        .await?;
    let paging = page.next_after.map(|id| {
        let after = encode_cursor(&Cursor {
            to_type: t.pair.to.clone(),
            after_id: id,
        });
        // Absolute, as HubSpot sends it, on the host the client called.
        let link = format!(
            "{}{}?after={after}&limit={limit}",
            origin(&headers),
            uri.path()
        );
        Paging {
            next: NextPage {
                after,
                link: Some(link),
            },
        }
    });
    // `CollectionResponseMultiAssociatedObjectWithLabelForwardPaging`, the page's items
    // written without serde (as R6's, `write_page_items`).
    let mut body = Vec::with_capacity(96 + 120 * page.results.len());
    body.extend_from_slice(br#"{"results":"#);
    write_page_items(&mut body, caller.family, &t.pair, &page);
    if let Some(paging) = &paging {
        body.extend_from_slice(br#","paging":"#);
        let _ = serde_json::to_writer(&mut body, paging);
    }
    body.push(b'}');
    Ok(json_body(StatusCode::OK, body))
}

/// R2: the body is the complete set of labelled types for this direction.
pub(super) async fn associate(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::R2)?;
    let t = target(&params, true)?;
    let specs: Vec<AssociationSpec> = parse(&body)?;
    let outcome = write_one(
        &state,
        &caller,
        portal,
        &t,
        EditOp::SetLabels(specs.into_iter().map(Into::into).collect()),
    )
    .await?;
    let body = LabelsBetweenObjectPair {
        from_object_type_id: t.pair.from.to_string(),
        from_object_id: outcome.from,
        to_object_type_id: t.pair.to.to_string(),
        to_object_id: outcome.to,
        labels: outcome.labels,
    };
    let mut response = json(StatusCode::CREATED, &body);
    if let Family::Dated(v) = caller.family {
        let location = format!(
            "/crm/objects/{v}/{}/{}/associations/{}/{}",
            t.pair.from, outcome.from, t.pair.to, outcome.to
        );
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
    Ok(response)
}

/// R3: removes every type between the two records, both directions.
pub(super) async fn remove(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::R3)?;
    let t = target(&params, true)?;
    write_one(&state, &caller, portal, &t, EditOp::Clear).await?;
    Ok(no_content())
}

/// Both directions of a default association, as R4 and R9 list them.
pub(super) fn default_results(outcome: &LinkOutcome) -> Vec<DefaultAssociation> {
    let Some((forward, inverse)) = outcome.default else {
        return Vec::new();
    };
    vec![
        DefaultAssociation {
            from: ObjectIdOut::of(outcome.from),
            to: ObjectIdOut::of(outcome.to),
            association_spec: forward.into(),
        },
        DefaultAssociation {
            from: ObjectIdOut::of(outcome.to),
            to: ObjectIdOut::of(outcome.from),
            association_spec: inverse.into(),
        },
    ]
}

/// R4: associates two records with the pair's default (unlabeled) type.
pub(super) async fn associate_default(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::R4)?;
    let t = target(&params, true)?;
    let started = now(&state.clock);
    let outcome = write_one(&state, &caller, portal, &t, EditOp::AddDefault).await?;
    let body = BatchResponse {
        status: "COMPLETE",
        results: default_results(&outcome),
        num_errors: None,
        errors: None,
        started_at: timestamp(started),
        completed_at: timestamp(now(&state.clock).max(started)),
    };
    Ok(json(StatusCode::OK, &body))
}
