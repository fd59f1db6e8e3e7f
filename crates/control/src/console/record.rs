//! A record's page: its associations grouped by object type and label, each linking to the
//! other record's page (so a person walks the graph by clicking), and the picture of the record
//! and its neighbours. Reads a page per linked type through the same store call as R1.

use super::graph::{self, Neighbour};
use super::layout::{self, count, enc, type_name};
use super::usage::record_href;
use super::{Console, PREFIX};
use assocd_core::records::parse_record_id;
use assocd_core::{ObjectType, Pair, PortalId, RecordId};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Neighbours per type on the record's page, and per page when one type is opened.
const PER_TYPE: usize = 25;
const TYPE_PAGE: usize = 200;

#[derive(Deserialize)]
pub(crate) struct Find {
    #[serde(rename = "type", default)]
    object_type: String,
    #[serde(default)]
    id: String,
}

/// `GET /_assocd/console/portals/{portalId}/records?type=&id=`: the form's answer, redirected
/// to the record's own page.
pub(crate) async fn find(Path(portal): Path<PortalId>, Query(f): Query<Find>) -> Response {
    match (
        ObjectType::parse(f.object_type.trim()),
        parse_record_id(f.id.trim()),
    ) {
        (Ok(t), Some(id)) => Redirect::to(&record_href(portal, &t, id)).into_response(),
        _ => layout::problem(
            StatusCode::BAD_REQUEST,
            "/portals",
            &format!(
                "'{}' '{}' is not an object type and a record id (e.g. contacts 101).",
                f.object_type, f.id
            ),
        ),
    }
}

#[derive(Deserialize)]
pub(crate) struct Params {
    to: Option<String>,
    after: Option<RecordId>,
}

/// `GET /_assocd/console/portals/{portalId}/records/{objectType}/{recordId}?to=&after=`.
pub(crate) async fn show(
    console: Console,
    Path((portal, object_type, id)): Path<(PortalId, String, String)>,
    Query(p): Query<Params>,
) -> Response {
    let (Ok(object_type), Some(id)) = (ObjectType::parse(&object_type), parse_record_id(&id))
    else {
        return layout::problem(StatusCode::NOT_FOUND, "/portals", "No such record.");
    };
    match render(&console, portal, &object_type, id, p).await {
        Ok(r) => r,
        Err(e) => console.failed("/portals", e),
    }
}

/// One linked type's page: neighbours and the labels linking to each, and where it goes on.
struct Section {
    to: ObjectType,
    rows: Vec<(RecordId, Vec<String>)>,
    next: Option<RecordId>,
}

async fn render(
    console: &Console,
    portal: PortalId,
    object_type: &ObjectType,
    id: RecordId,
    p: Params,
) -> assocd_core::Result<Response> {
    let store = &console.state.api.store;
    let linked = store.linked_types(portal, object_type, id).await?;
    let only = p.to.as_deref().and_then(|t| ObjectType::parse(t).ok());
    let mut sections = Vec::new();
    for to in &linked {
        if only.as_ref().is_some_and(|o| o != to) {
            continue;
        }
        let (after, size) = match only {
            Some(_) => (p.after, TYPE_PAGE),
            None => (None, PER_TYPE),
        };
        let pair = Pair::new(object_type.clone(), to.clone());
        let page = store
            .list_associations(portal, &pair, id, after, size)
            .await?;
        let rows = page
            .results
            .into_iter()
            .map(|r| {
                let labels = r
                    .types
                    .into_iter()
                    .map(|t| t.label.unwrap_or_default())
                    .collect();
                (r.to_id, labels)
            })
            .collect();
        sections.push(Section {
            to: to.clone(),
            rows,
            next: page.next_after,
        });
    }
    let neighbours: Vec<Neighbour> = sections
        .iter()
        .flat_map(|s| {
            s.rows.iter().map(|(to_id, labels)| Neighbour {
                object_type: s.to.clone(),
                id: *to_id,
                labels: labels.iter().filter(|l| !l.is_empty()).cloned().collect(),
                href: record_href(portal, &s.to, *to_id),
            })
        })
        .take(graph::MAX_NODES + 1)
        .collect();
    let more = sections.iter().any(|s| s.next.is_some());
    let here = record_href(portal, object_type, id);
    let title = format!("{} {id}", type_name(object_type));
    let body = html! {
        p {
            a href={ (PREFIX) "/portals/" (portal) } { "← Portal " (portal) }
            span.muted { " · object type " code { (object_type.as_str()) } " · record " code { (id) } }
        }
        form.filters method="get" action={ (PREFIX) "/portals/" (portal) "/records" } {
            label { "Object type" input name="type" value=(object_type.as_str()) size="14" required; }
            label { "Record id" input name="id" value=(id) inputmode="numeric" size="12" required; }
            button type="submit" { "Open record" }
        }
        @if linked.is_empty() {
            p.card #no-associations { "This record has no associations." }
        } @else {
            (graph::draw((object_type, id), &neighbours, &linked, more))
            @if only.is_some() { p { a href=(here) { "All object types" } } }
            @for s in &sections { (section_view(portal, &here, s, only.is_some())) }
        }
    };
    Ok(layout::page("/portals", &title, body))
}

/// One object type's neighbours, grouped by label (a neighbour linked by two labels shows in
/// both groups).
fn section_view(portal: PortalId, here: &str, s: &Section, opened: bool) -> Markup {
    let mut groups: BTreeMap<String, Vec<RecordId>> = BTreeMap::new();
    for (to_id, labels) in &s.rows {
        for l in labels {
            groups.entry(l.clone()).or_default().push(*to_id);
        }
    }
    let name = type_name(&s.to);
    let next = s
        .next
        .map(|after| format!("{here}?to={}&after={after}", enc(s.to.as_str())));
    html! {
        section.linked data-type=(s.to.as_str()) {
            h2 { (name) " " span.muted { "(" (s.to.as_str()) ")" } }
            @for (label, ids) in &groups {
                div.group {
                    strong { @if label.is_empty() { "Unlabeled" } @else { (label) } }
                    span.muted { " · " (count(ids.len() as i64)) }
                    ul { @for to_id in ids {
                        li { a.neighbour href=(record_href(portal, &s.to, *to_id)) { (name) " " (to_id) } }
                    } }
                }
            }
            @if let Some(href) = next {
                p.paging { a.next href=(href) { @if opened { "Next page →" } @else { "More " (name) " →" } } }
            }
        }
    }
}
