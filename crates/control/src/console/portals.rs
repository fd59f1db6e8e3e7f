//! The Portals page: every portal with its counts, a page at a time, each linking to its own
//! page.

use super::layout::{self, count};
use super::{Console, PREFIX};
use assocd_core::PortalId;
use axum::extract::Query;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

/// Portals per page.
const PAGE: usize = 50;

#[derive(Deserialize)]
pub(crate) struct Params {
    after: Option<PortalId>,
}

/// `GET /_assocd/console/portals?after=`.
pub(crate) async fn list(console: Console, Query(p): Query<Params>) -> Response {
    let store = &console.state.api.store;
    let mut portals = match store.portal_summaries(p.after, PAGE + 1).await {
        Ok(p) => p,
        Err(e) => return console.failed("/portals", e),
    };
    let next = (portals.len() > PAGE).then(|| {
        portals.truncate(PAGE);
        format!(
            "{PREFIX}/portals?after={}",
            portals.last().map_or(0, |p| p.portal_id)
        )
    });
    let waiting = console.events_waiting(&portals).await;
    let body = html! {
        p.note { "Every portal this server knows (tokens, the portal's own labels, limits, and associated record pairs). Open one to see its labels, limits and records." }
        @if portals.is_empty() {
            p.card { "No portals yet: create one with " code { "POST /_assocd/portals" } " or load a fixture." }
        } @else {
            table #portals {
                thead { tr {
                    th { "Portal" } th.num { "Tokens" } th.num { "Labels" } th.num { "Limits" }
                    th.num { "Associations" }
                    @if waiting.is_some() { th.num { "Events waiting" } }
                } }
                tbody {
                    @for (i, p) in portals.iter().enumerate() {
                        tr {
                            td { a.portal href={ (PREFIX) "/portals/" (p.portal_id) } { (p.portal_id) } }
                            td.num { (count(p.tokens)) }
                            td.num { (count(p.labels)) }
                            td.num { (count(p.limits)) }
                            td.num { (count(p.associations)) }
                            @if let Some(w) = &waiting { td.num { (count(w[i])) } }
                        }
                    }
                }
            }
        }
        (layout::next_link(next))
    };
    layout::page("/portals", "Portals", body)
}
