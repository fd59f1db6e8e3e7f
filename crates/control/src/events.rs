//! `/_assocd/events`: the feed of association change events (every one kept, delivered,
//! failed or never subscribed to), in dispatch order, with their delivery attempts. It works
//! without any app, so a team can consume changes without a webhook receiver.

use crate::ControlState;
use assocd_api::wire::{json, timestamp};
use assocd_api::ApiError;
use assocd_core::events::{DeliveryAttempt, EventFilter, FeedCursor, FeedEntry};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// One delivery attempt of an event.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliveryView {
    app_id: i64,
    subscription_id: i64,
    /// When the attempt ended.
    at: String,
    /// The target's HTTP status; null when no answer came (connection error, timeout).
    status: Option<u16>,
    attempt_number: i64,
    error: Option<String>,
    /// Where this delivery stands now: `PENDING` (a retry is due), `DELIVERED` or `FAILED`.
    state: String,
}

/// An event as HubSpot's `object.associationChange` payload names its fields (without the
/// subscription's), plus its deliveries.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventView {
    event_id: i64,
    portal_id: i64,
    /// Epoch milliseconds.
    occurred_at: i64,
    change_source: String,
    source_id: Option<String>,
    association_type: String,
    from_object_type_id: String,
    from_object_id: i64,
    to_object_type_id: String,
    to_object_id: i64,
    association_type_id: i64,
    association_category: String,
    association_removed: bool,
    is_primary_association: bool,
    deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NextPage {
    after: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Paging {
    next: NextPage,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EventList {
    results: Vec<EventView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

fn delivery_view(d: DeliveryAttempt) -> DeliveryView {
    DeliveryView {
        app_id: d.app_id,
        subscription_id: d.subscription_id,
        at: chrono::DateTime::from_timestamp_millis(d.at)
            .map(timestamp)
            .unwrap_or_default(),
        status: d.status,
        attempt_number: d.attempt_number,
        error: d.error,
        state: d.state,
    }
}

fn event_view(entry: FeedEntry) -> EventView {
    let e = entry.event;
    EventView {
        event_id: e.event_id,
        portal_id: e.portal_id,
        occurred_at: e.occurred_at,
        association_type: e.association_type(),
        is_primary_association: e.is_primary(),
        change_source: e.change_source,
        source_id: e.source_id,
        from_object_type_id: e.from_type.to_string(),
        from_object_id: e.from_id,
        to_object_type_id: e.to_type.to_string(),
        to_object_id: e.to_id,
        association_type_id: i64::from(e.key.type_id),
        association_category: e.key.category.as_str().to_string(),
        association_removed: e.removed,
        deliveries: entry.deliveries.into_iter().map(delivery_view).collect(),
    }
}

fn bad(name: &str, raw: &str) -> ApiError {
    ApiError::invalid(format!("{name}: '{raw}' is not valid"))
}

#[utoipa::path(get, path = "/_assocd/events", tag = "events",
    params(("portalId" = Option<i64>, Query, description = "only this portal's events"),
           ("after" = Option<String>, Query, description = "paging.next.after of the previous page"),
           ("limit" = Option<usize>, Query, description = "1 to 1000, default 100")),
    responses((status = 200, body = EventList), (status = 400, description = "Bad parameter")),
    security(("admin" = [])))]
pub(crate) async fn list(
    State(state): State<ControlState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) =
        query.map_err(|e| ApiError::invalid(format!("Invalid query: {}", e.body_text())))?;
    let arg = |name: &str| q.get(name).map(String::as_str);
    let portal = match arg("portalId") {
        None => None,
        Some(raw) => Some(crate::portals::portal_param(raw)?),
    };
    let after = match arg("after") {
        None | Some("") => None,
        Some(raw) => Some(FeedCursor::from_text(raw).ok_or_else(|| bad("after", raw))?),
    };
    let limit = match arg("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad("limit", raw))?,
    };
    let page = state
        .api
        .store
        .list_events(&EventFilter {
            portal,
            after,
            limit,
        })
        .await?;
    let body = EventList {
        results: page.results.into_iter().map(event_view).collect(),
        paging: page.next.map(|c| Paging {
            next: NextPage { after: c.to_text() },
        }),
    };
    Ok(json(StatusCode::OK, &body))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Redelivery {
    event_id: i64,
    /// Deliveries queued (one per app; none when no app receives the event).
    deliveries: usize,
}

#[utoipa::path(post, path = "/_assocd/events/{eventId}/redeliver", tag = "events",
    params(("eventId" = i64, Path)),
    responses((status = 202, body = Redelivery, description = "Queued again for the subscriptions it went out for (or, if it never did, those it matches now), from attemptNumber 0"),
              (status = 404, description = "No such event is kept")),
    security(("admin" = [])))]
pub(crate) async fn redeliver(
    State(state): State<ControlState>,
    params: assocd_api::extract::Params,
) -> Result<Response, ApiError> {
    let raw = params.get(0);
    let event_id = raw
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| bad("eventId", raw))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    match state.api.store.redeliver(event_id, now).await? {
        Some(deliveries) => Ok(json(
            StatusCode::ACCEPTED,
            &Redelivery {
                event_id,
                deliveries,
            },
        )),
        None => Err(assocd_core::Error::not_found(format!(
            "No event {event_id} is kept (unknown, or past the retention period)"
        ))
        .with("eventId", [event_id.to_string()])
        .into()),
    }
}
