//! Limits and how full their records are: per limit, how many records are at 80% or more of
//! it and bars for the fullest ones (the high-usage report, drawn), and the paged list of every
//! record at 80% or more. Bars are SVG drawn here.

use super::layout::{self, count, enc, type_name};
use super::{Console, PREFIX};
use assocd_core::records::{high_usage_threshold, HIGH_USAGE_PERCENT};
use assocd_core::{Category, Limit, ObjectType, Pair, PortalId, RecordId, TypeId};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

/// Records per page of the high-usage list.
const RECORDS_PAGE: usize = 100;
/// Fullest records drawn per limit.
const FULLEST: usize = 5;
/// The drawn width of a bar's track (its caption follows it).
const BAR_W: f64 = 340.0;

/// A horizontal bar: `used` of `max`, a dashed mark at 80%, the caption after it.
pub(crate) fn bar(used: i64, max: i64, caption: &str) -> Markup {
    let max = max.max(1);
    let share = (used as f64 / max as f64).clamp(0.0, 1.0);
    let class = if used >= max {
        "fill full"
    } else if used >= high_usage_threshold(max) {
        "fill high"
    } else {
        "fill"
    };
    let mark = BAR_W * HIGH_USAGE_PERCENT as f64 / 100.0;
    html! {
        svg.bar xmlns="http://www.w3.org/2000/svg" viewBox="0 0 560 18" role="img" aria-label=(caption) {
            rect.track x="0" y="0" width=(BAR_W) height="18" rx="3" {}
            rect class=(class) x="0" y="0" width=(format!("{:.1}", BAR_W * share)) height="18" rx="3" {}
            line.mark x1=(mark) y1="0" x2=(mark) y2="18" {}
            text x=(BAR_W + 10.0) y="13" { (caption) }
        }
    }
}

fn limit_title(l: &Limit) -> String {
    let label = l.label.clone().unwrap_or_else(|| "unlabeled".into());
    format!(
        "{} → {} · {} {} ({label})",
        type_name(&l.pair.from),
        type_name(&l.pair.to),
        l.category.as_str(),
        l.type_id
    )
}

fn usage_href(portal: PortalId, l: &Limit) -> String {
    format!(
        "{PREFIX}/portals/{portal}/usage?from={}&to={}&category={}&typeId={}",
        enc(l.pair.from.as_str()),
        enc(l.pair.to.as_str()),
        l.category.as_str(),
        l.type_id
    )
}

pub(crate) fn record_href(portal: PortalId, t: &ObjectType, id: RecordId) -> String {
    format!("{PREFIX}/portals/{portal}/records/{}/{id}", enc(t.as_str()))
}

/// The limits section of a portal's page: `per_page` limits of page `page`, each with its
/// usage.
pub(crate) async fn section(
    console: &Console,
    portal: PortalId,
    page: usize,
    per_page: usize,
) -> assocd_core::Result<Markup> {
    let store = &console.state.api.store;
    let limits = store.list_limits(portal, None).await?;
    let shown: Vec<&Limit> = limits.iter().skip(page * per_page).take(per_page).collect();
    let mut cards = Vec::with_capacity(shown.len());
    for l in &shown {
        let usage = store.limit_usage(portal, l, FULLEST).await?;
        cards.push(html! {
            div.card.limit {
                strong { (limit_title(l)) } " · at most " (count(l.max_to_object_ids)) " per record"
                p {
                    a.usage href=(usage_href(portal, l)) {
                        (count(usage.at_or_above)) " record" @if usage.at_or_above != 1 { "s" }
                        " at 80% or more"
                    }
                    span.muted { " (" (count(high_usage_threshold(l.max_to_object_ids))) " or more of " (count(l.max_to_object_ids)) ")" }
                }
                @if usage.fullest.is_empty() {
                    p.muted { "No record has an association of this type yet." }
                } @else {
                    @for (id, n) in &usage.fullest {
                        a href=(record_href(portal, &l.pair.from, *id)) {
                            (bar(*n, l.max_to_object_ids, &format!("{} {id}: {} of {}", type_name(&l.pair.from), count(*n), count(l.max_to_object_ids))))
                        }
                    }
                }
            }
        });
    }
    let next = (limits.len() > (page + 1) * per_page)
        .then(|| format!("{PREFIX}/portals/{portal}?limitsPage={}#limits", page + 1));
    Ok(html! {
        @if limits.is_empty() {
            p.muted { "No limits: HubSpot's default of no limit applies to every type." }
        } @else {
            div #limit-usage { @for c in &cards { (c) } }
            (layout::next_link(next))
        }
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Params {
    from: String,
    to: String,
    category: String,
    type_id: TypeId,
    after: Option<RecordId>,
}

/// `GET /_assocd/console/portals/{portalId}/usage?from=&to=&category=&typeId=&after=`: the
/// records at 80% or more of one limit, a page at a time.
pub(crate) async fn records(
    console: Console,
    Path(portal): Path<PortalId>,
    Query(p): Query<Params>,
) -> Response {
    let store = &console.state.api.store;
    let (Ok(from), Ok(to), Some(category)) = (
        ObjectType::parse(&p.from),
        ObjectType::parse(&p.to),
        Category::parse(&p.category),
    ) else {
        return layout::problem(StatusCode::BAD_REQUEST, "/portals", "Not a limit.");
    };
    let pair = Pair::new(from, to);
    let limit = match store.list_limits(portal, Some(&pair)).await {
        Ok(ls) => ls
            .into_iter()
            .find(|l| l.category == category && l.type_id == p.type_id),
        Err(e) => return console.failed("/portals", e),
    };
    let Some(limit) = limit else {
        return layout::problem(
            StatusCode::NOT_FOUND,
            "/portals",
            "The portal has no such limit.",
        );
    };
    let threshold = high_usage_threshold(limit.max_to_object_ids);
    let mut rows = match store
        .records_at_usage(portal, &limit, threshold, p.after, RECORDS_PAGE + 1)
        .await
    {
        Ok(r) => r,
        Err(e) => return console.failed("/portals", e),
    };
    let next = (rows.len() > RECORDS_PAGE).then(|| {
        rows.truncate(RECORDS_PAGE);
        let last = rows.last().map_or(0, |r| r.0);
        format!("{}&after={last}", usage_href(portal, &limit))
    });
    let body = html! {
        p { a href={ (PREFIX) "/portals/" (portal) "#limits" } { "← Portal " (portal) } }
        p { (limit_title(&limit)) ": records with " (count(threshold)) " or more of " (count(limit.max_to_object_ids)) ", by record id." }
        @if rows.is_empty() {
            p.muted { "No record is at 80% or more of this limit." }
        } @else {
            table #usage-records {
                thead { tr { th { "Record" } th.num { "Associations" } th { "Usage" } } }
                tbody { @for (id, n) in &rows {
                    tr {
                        td { a href=(record_href(portal, &limit.pair.from, *id)) { (type_name(&limit.pair.from)) " " (id) } }
                        td.num { (count(*n)) }
                        td { (bar(*n, limit.max_to_object_ids, &format!("{}%", n * 100 / limit.max_to_object_ids.max(1)))) }
                    }
                } }
            }
        }
        (layout::next_link(next))
    };
    layout::page("/portals", &format!("Portal {portal}: high usage"), body)
}
