//! The Events page: the feed of association change events (the same store read as
//! `GET /_assocd/events`), in dispatch order, each with its delivery attempts and their
//! results, and a button that queues the event again (as `POST /_assocd/events/{id}/redeliver`).

use super::layout::{self, count, enc, type_name};
use super::usage::record_href;
use super::{Console, PREFIX};
use assocd_core::events::{DeliveryAttempt, EventFilter, FeedCursor, FeedEntry};
use assocd_core::PortalId;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

/// Events per page.
const PAGE: usize = 50;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Params {
    #[serde(default)]
    portal_id: String,
    #[serde(default)]
    after: String,
    /// Set after a redelivery: the event and how many deliveries were queued.
    redelivered: Option<i64>,
    queued: Option<usize>,
}

fn attempt(d: &DeliveryAttempt) -> Markup {
    let class = match d.state.as_str() {
        "DELIVERED" => "pill s2",
        "FAILED" => "pill s5",
        _ => "pill s4",
    };
    html! {
        li.attempt {
            span class=(class) { (d.state) } " "
            "app " (d.app_id) " · subscription " (d.subscription_id) " · attempt " (d.attempt_number)
            " · " (d.status.map_or("no answer".to_string(), |s| format!("HTTP {s}")))
            " · " span.muted { (layout::time(d.at)) }
            @if let Some(e) = &d.error { " · " span.error { (e) } }
        }
    }
}

fn row(e: &FeedEntry, p: &Params) -> Markup {
    let ev = &e.event;
    html! {
        tr.event data-id=(ev.event_id) #{ "event-" (ev.event_id) } {
            td.num.mono { (ev.event_id) }
            td { (layout::time(ev.occurred_at)) }
            td.num { a href={ (PREFIX) "/portals/" (ev.portal_id) } { (ev.portal_id) } }
            td {
                a href=(record_href(ev.portal_id, &ev.from_type, ev.from_id)) { (type_name(&ev.from_type)) " " (ev.from_id) }
                @if ev.removed { " ✕ " } @else { " → " }
                a href=(record_href(ev.portal_id, &ev.to_type, ev.to_id)) { (type_name(&ev.to_type)) " " (ev.to_id) }
                div.note { (ev.association_type()) " · " (ev.key.category.as_str()) " " (ev.key.type_id)
                    @if ev.removed { " · removed" } " · " (ev.change_source) }
            }
            td {
                @if e.deliveries.is_empty() {
                    span.muted { "no delivery" }
                } @else {
                    ul.attempts { @for d in &e.deliveries { (attempt(d)) } }
                }
            }
            td { form.inline method="post" action={ (PREFIX) "/events/" (ev.event_id) "/redeliver" } {
                input type="hidden" name="portalId" value=(p.portal_id);
                input type="hidden" name="after" value=(p.after);
                button.quiet.redeliver type="submit" { "Redeliver" }
            } }
        }
    }
}

/// `GET /_assocd/console/events?portalId=&after=`.
pub(crate) async fn list(console: Console, Query(p): Query<Params>) -> Response {
    let portal: Option<PortalId> = match p.portal_id.trim() {
        "" => None,
        raw => match raw.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                return layout::problem(
                    StatusCode::BAD_REQUEST,
                    "/events",
                    &format!("'{raw}' is not a portal id."),
                )
            }
        },
    };
    let after = FeedCursor::from_text(p.after.trim());
    let page = match console
        .state
        .api
        .store
        .list_events(&EventFilter {
            portal,
            after,
            limit: PAGE,
        })
        .await
    {
        Ok(page) => page,
        Err(e) => return console.failed("/events", e),
    };
    let next = page.next.map(|c| {
        format!(
            "{PREFIX}/events?portalId={}&after={}",
            enc(p.portal_id.trim()),
            enc(&c.to_text())
        )
    });
    let body = html! {
        form.filters #event-filters method="get" action={ (PREFIX) "/events" } {
            label { "Portal" input name="portalId" value=(p.portal_id) size="10" inputmode="numeric"; }
            button type="submit" { "Filter" }
            a href={ (PREFIX) "/events" } { "All portals" }
        }
        @if let Some(id) = p.redelivered {
            p.card #redelivered role="status" {
                "Event " (id) " queued again: " (count(p.queued.unwrap_or(0) as i64)) " deliver"
                @if p.queued == Some(1) { "y" } @else { "ies" } "."
            }
        }
        p.note { "Every association change event kept, in dispatch order (oldest first), with each delivery's attempts; the same feed as " code { "GET /_assocd/events" } "." }
        @if page.results.is_empty() {
            p.card #no-events { "No events." }
        } @else {
            table #events {
                thead { tr { th.num { "Event" } th { "Occurred (UTC)" } th.num { "Portal" } th { "Change" } th { "Deliveries" } th {} } }
                tbody { @for e in &page.results { (row(e, &p)) } }
            }
        }
        (layout::next_link(next))
    };
    layout::page("/events", "Events", body)
}

/// Which page of the feed a redeliver button was on, to go back to it.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Back {
    #[serde(default)]
    portal_id: String,
    #[serde(default)]
    after: String,
}

/// `POST /_assocd/console/events/{eventId}/redeliver`: queues the event again and goes back to
/// the feed's page, saying how many deliveries were queued.
pub(crate) async fn redeliver(
    console: Console,
    Path(event_id): Path<i64>,
    back: Result<Form<Back>, FormRejection>,
) -> Response {
    let Back { portal_id, after } = back.map(|Form(b)| b).unwrap_or_default();
    let now = assocd_api::rate_limits::system_ms();
    match console.state.api.store.redeliver(event_id, now).await {
        Ok(Some(n)) => Redirect::to(&format!(
            "{PREFIX}/events?portalId={}&after={}&redelivered={event_id}&queued={n}#event-{event_id}",
            enc(&portal_id),
            enc(&after)
        ))
        .into_response(),
        Ok(None) => layout::problem(
            StatusCode::NOT_FOUND,
            "/events",
            &format!("No event {event_id} is kept (unknown, or past the retention period)."),
        ),
        Err(e) => console.failed("/events", e),
    }
}
