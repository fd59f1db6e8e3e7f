//! Q1: `POST /crm/objects/{v}/{objectType}/search` on the families whose documents have it,
//! answering records by association (`assocd_core::search` has the rules).

use crate::error::ApiError;
use crate::extract::{Caller, Params, RawBody};
use crate::records::wire::{NextPage, Paging};
use crate::wire::{json, parse};
use crate::AppState;
use assocd_core::scopes::Operation;
use assocd_core::search::{self, FilterIn, SearchIn, SortIn, ID_PROPERTY};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `PublicObjectSearchRequest` (`properties` is accepted and ignored: a result carries
/// `hs_object_id` only).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchRequest {
    #[serde(default)]
    filter_groups: Vec<FilterGroup>,
    #[serde(default)]
    sorts: Vec<Sort>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    properties: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct FilterGroup {
    #[serde(default)]
    filters: Vec<Filter>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    property_name: String,
    operator: String,
    #[serde(default)]
    value: Option<serde_json::Value>,
    #[serde(default)]
    values: Option<Vec<serde_json::Value>>,
}

/// A sort: `"hs_object_id"` / `"-hs_object_id"` (the documents' string form) or
/// `{"propertyName", "direction"}` (the form HubSpot's guides use).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Sort {
    Name(String),
    Rule {
        #[serde(rename = "propertyName")]
        property_name: String,
        #[serde(default)]
        direction: Option<String>,
    },
}

/// A filter value as text: ids may come as JSON strings or numbers.
fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Sort {
    fn read(self) -> Result<SortIn, ApiError> {
        Ok(match self {
            Sort::Name(name) => match name.strip_prefix('-') {
                Some(rest) => SortIn {
                    property_name: rest.to_string(),
                    descending: true,
                },
                None => SortIn {
                    property_name: name,
                    descending: false,
                },
            },
            Sort::Rule {
                property_name,
                direction,
            } => {
                let descending = match direction.as_deref() {
                    None | Some("ASCENDING") => false,
                    Some("DESCENDING") => true,
                    Some(other) => {
                        return Err(ApiError::invalid(format!(
                            "Invalid sort direction '{other}': ASCENDING or DESCENDING"
                        )))
                    }
                };
                SortIn {
                    property_name,
                    descending,
                }
            }
        })
    }
}

/// `SimplePublicObject`: assocd knows a record only by its id.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SimplePublicObject {
    id: String,
    properties: BTreeMap<&'static str, String>,
    created_at: &'static str,
    updated_at: &'static str,
    archived: bool,
}

/// assocd keeps no record timestamps: the Unix epoch stands for "unknown".
const UNKNOWN_TIME: &str = "1970-01-01T00:00:00.000Z";

/// `CollectionResponseWithTotalSimplePublicObject`.
#[derive(Debug, Serialize)]
struct SearchResponse {
    total: u64,
    results: Vec<SimplePublicObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

pub(super) async fn search(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::Q1)?;
    let object_type = params.object_type(0)?;
    let request: SearchRequest = parse(&body)?;
    let input = SearchIn {
        groups: request
            .filter_groups
            .into_iter()
            .map(|g| {
                g.filters
                    .into_iter()
                    .map(|f| FilterIn {
                        property_name: f.property_name,
                        operator: f.operator,
                        value: f.value.as_ref().map(text),
                        values: f.values.map(|vs| vs.iter().map(text).collect()),
                    })
                    .collect()
            })
            .collect(),
        sorts: request
            .sorts
            .into_iter()
            .map(Sort::read)
            .collect::<Result<_, _>>()?,
        limit: request.limit,
        after: request.after,
        query: request.query,
    };
    let query = search::plan(&input)?;
    let page = state
        .store
        .search_records(portal, &object_type, &query)
        .await?;
    let paging = query.next_after(&page).map(|after| Paging {
        next: NextPage { after, link: None },
    });
    let results = page
        .ids
        .iter()
        .map(|id| SimplePublicObject {
            id: id.to_string(),
            properties: BTreeMap::from([(ID_PROPERTY, id.to_string())]),
            created_at: UNKNOWN_TIME,
            updated_at: UNKNOWN_TIME,
            archived: false,
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &SearchResponse {
            total: page.total,
            results,
            paging,
        },
    ))
}
