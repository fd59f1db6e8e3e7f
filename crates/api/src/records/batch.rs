//! Batch operations: R5 create, R6 read, R7 archive, R8 archive labels, R9 associate default.

use super::single::default_results;
use super::wire::{
    batch_pages_size, decode_cursor, write_batch_pages, AssociationSpec, IdReader,
    LabelsBetweenObjectPair, ObjectIdIn,
};
use crate::declared::declared;
use crate::error::ApiError;
use crate::extract::{Caller, Params, RawBody};
use crate::wire::{batch_written, no_content, now, parse_batch, BatchResponse, StandardError};
use crate::AppState;
use assocd_core::records::{EditOp, LinkEdit, LinkOutcome, MAX_PAGE};
use assocd_core::scopes::Operation;
use assocd_core::{Error, Pair, RecordId};
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};

/// Most inputs of R5 (HubSpot's documented cap).
pub const MAX_CREATE_INPUTS: usize = 2_000;
/// Most inputs of R6 (HubSpot's documented cap).
pub const MAX_READ_INPUTS: usize = 1_000;
/// Most inputs of R7, R8 and R9 (undocumented by HubSpot; the create cap).
pub const MAX_WRITE_INPUTS: usize = 2_000;
/// Most record pairs one R7 may name across all its `to` lists.
pub const MAX_ARCHIVE_PAIRS: usize = 10_000;

/// `PublicAssociationMultiPost` (R5, R8).
#[derive(Debug, Deserialize)]
struct MultiPost {
    from: ObjectIdIn,
    to: ObjectIdIn,
    types: Vec<AssociationSpec>,
}

/// `PublicDefaultAssociationMultiPost` (R9).
#[derive(Debug, Deserialize)]
struct DefaultPost {
    from: ObjectIdIn,
    to: ObjectIdIn,
}

/// `PublicAssociationMultiArchive` (R7): `to` is an array.
#[derive(Debug, Deserialize)]
struct MultiArchive {
    from: ObjectIdIn,
    to: Vec<ObjectIdIn>,
}

/// `PublicFetchAssociationsBatchRequest` (R6).
#[derive(Debug, Deserialize)]
struct FetchRequest {
    id: serde_json::Value,
    #[serde(default)]
    after: Option<String>,
}

/// An item of the generic `BatchResponse.results` (an empty object).
#[derive(Debug, Serialize)]
struct Empty {}

/// Reads `from`/`to` of every input; any malformed id refuses the whole request.
fn pair_edits<T>(
    pair: &Pair,
    inputs: &[T],
    ids: impl Fn(&T) -> (&ObjectIdIn, &ObjectIdIn),
    op: impl Fn(&T) -> EditOp,
) -> Result<Vec<LinkEdit>, ApiError> {
    let mut reader = IdReader::default();
    let edits = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let (from, to) = ids(input);
            LinkEdit {
                from: reader.read(&from.id, format!("inputs[{i}].from.id"), &pair.from),
                to: reader.read(&to.id, format!("inputs[{i}].to.id"), &pair.to),
                op: op(input),
            }
        })
        .collect();
    reader.finish()?;
    Ok(edits)
}

fn split(outcomes: Vec<Result<LinkOutcome, Error>>) -> (Vec<LinkOutcome>, Vec<StandardError>) {
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    for o in outcomes {
        match o {
            Ok(v) => ok.push(v),
            Err(e) => errors.push(StandardError::from(e)),
        }
    }
    (ok, errors)
}

fn types_of(input: &MultiPost) -> Vec<assocd_core::records::TypeKey> {
    input.types.iter().map(|s| (*s).into()).collect()
}

/// R5: adds the listed types (and the default type) between each pair of records.
pub(super) async fn create(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::R5)?;
    let pair = params.pair(0)?;
    let started = now(&state.clock);
    let inputs: Vec<MultiPost> = parse_batch(&body, MAX_CREATE_INPUTS)?;
    let edits = pair_edits(
        &pair,
        &inputs,
        |i| (&i.from, &i.to),
        |i| EditOp::Add(types_of(i)),
    )?;
    let (ok, errors) = split(
        state
            .store
            .write_associations(portal, &pair, &edits, false, &caller.source())
            .await?,
    );
    let results: Vec<LabelsBetweenObjectPair> = ok
        .into_iter()
        .map(|o| LabelsBetweenObjectPair {
            from_object_type_id: pair.from.to_string(),
            from_object_id: o.from,
            to_object_type_id: pair.to.to_string(),
            to_object_id: o.to,
            labels: o.labels,
        })
        .collect();
    Ok(BatchResponse::finish(
        &state.clock,
        started,
        results,
        errors,
        declared(Operation::R5, caller.family),
    ))
}

/// R6: one page of associations per input; an input without any association is an error item.
pub(super) async fn read(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::R6)?;
    let pair = params.pair(0)?;
    let started = now(&state.clock);
    let inputs: Vec<FetchRequest> = parse_batch(&body, MAX_READ_INPUTS)?;
    let mut reader = IdReader::default();
    let mut requests: Vec<(RecordId, Option<RecordId>)> = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let id = reader.read(&input.id, format!("inputs[{i}].id"), &pair.from);
        let after = match input.after.as_deref().filter(|s| !s.is_empty()) {
            Some(raw) => Some(decode_cursor(raw, &pair.to, &format!("inputs[{i}].after"))?),
            None => None,
        };
        requests.push((id, after));
    }
    reader.finish()?;
    let pages = state
        .store
        .read_associations(portal, &pair, &requests, MAX_PAGE)
        .await?;
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    for ((id, after), page) in requests.into_iter().zip(pages) {
        if page.results.is_empty() && after.is_none() {
            let e = Error::not_found(format!(
                "No {} is associated with {} {id}",
                pair.to.display_name(),
                pair.from.display_name()
            ))
            .with("fromObjectId", [id.to_string()])
            .with("fromObjectType", [pair.from.as_str()])
            .with("toObjectType", [pair.to.as_str()]);
            errors.push(StandardError::from(e));
            continue;
        }
        found.push((id, page));
    }
    // `PublicAssociationMultiWithLabel` of each record found, written without serde: a
    // 1,000-page answer spent more on escaping keys than on reading its rows.
    Ok(batch_written(
        &state.clock,
        started,
        !found.is_empty(),
        batch_pages_size(&found),
        |out| write_batch_pages(out, caller.family, &pair, &found),
        errors,
        declared(Operation::R6, caller.family),
    ))
}

/// The answer of R7/R8: 204 on the legacy family, a `BatchResponse` with 200 elsewhere (the
/// only code the dated documents declare, failed inputs in its `errors`).
fn void_batch(
    caller: &Caller,
    clock: &assocd_core::Clock,
    op: Operation,
    started: chrono::DateTime<chrono::Utc>,
    ok: usize,
    errors: Vec<StandardError>,
) -> Response {
    if caller.family.batch_bodies() {
        let results: Vec<Empty> = (0..ok).map(|_| Empty {}).collect();
        BatchResponse::finish(clock, started, results, errors, declared(op, caller.family))
    } else {
        no_content()
    }
}

/// R7: removes every type between `from` and each of its `to` records, both directions.
pub(super) async fn archive(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::R7)?;
    let pair = params.pair(0)?;
    let started = now(&state.clock);
    let inputs: Vec<MultiArchive> = parse_batch(&body, MAX_WRITE_INPUTS)?;
    let total: usize = inputs.iter().map(|i| i.to.len()).sum();
    if total > MAX_ARCHIVE_PAIRS {
        return Err(ApiError::invalid(format!(
            "Too many record pairs: {total} given across all `to` lists, at most {MAX_ARCHIVE_PAIRS} are allowed in one batch"
        )));
    }
    let mut reader = IdReader::default();
    let mut edits = Vec::with_capacity(total);
    for (i, input) in inputs.iter().enumerate() {
        let from = reader.read(&input.from.id, format!("inputs[{i}].from.id"), &pair.from);
        for (j, to) in input.to.iter().enumerate() {
            let to = reader.read(&to.id, format!("inputs[{i}].to[{j}].id"), &pair.to);
            edits.push(LinkEdit {
                from,
                to,
                op: EditOp::Clear,
            });
        }
    }
    reader.finish()?;
    state
        .store
        .write_associations(portal, &pair, &edits, false, &caller.source())
        .await?;
    Ok(void_batch(
        &caller,
        &state.clock,
        Operation::R7,
        started,
        inputs.len(),
        Vec::new(),
    ))
}

/// R8: removes the listed types (the default type removes everything). The legacy family
/// answers 204 and so cannot report per-input errors: there the batch is all-or-nothing.
pub(super) async fn archive_labels(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::R8)?;
    let pair = params.pair(0)?;
    let started = now(&state.clock);
    let inputs: Vec<MultiPost> = parse_batch(&body, MAX_WRITE_INPUTS)?;
    let edits = pair_edits(
        &pair,
        &inputs,
        |i| (&i.from, &i.to),
        |i| EditOp::Remove(types_of(i)),
    )?;
    let all_or_nothing = !caller.family.batch_bodies();
    let (ok, errors) = split(
        state
            .store
            .write_associations(portal, &pair, &edits, all_or_nothing, &caller.source())
            .await?,
    );
    Ok(void_batch(
        &caller,
        &state.clock,
        Operation::R8,
        started,
        ok.len(),
        errors,
    ))
}

/// R9: associates each pair with the default type. Only 200 is declared for it, so failed
/// inputs are reported in `errors` of a 200 answer.
pub(super) async fn associate_default(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::R9)?;
    let pair = params.pair(0)?;
    let started = now(&state.clock);
    let inputs: Vec<DefaultPost> = parse_batch(&body, MAX_WRITE_INPUTS)?;
    let edits = pair_edits(&pair, &inputs, |i| (&i.from, &i.to), |_| EditOp::AddDefault)?;
    let (ok, errors) = split(
        state
            .store
            .write_associations(portal, &pair, &edits, false, &caller.source())
            .await?,
    );
    let results: Vec<_> = ok.iter().flat_map(default_results).collect();
    Ok(BatchResponse::finish(
        &state.clock,
        started,
        results,
        errors,
        declared(Operation::R9, caller.family),
    ))
}
