//! A portal's page: its counts, its own labels per object pair (paired labels as pairs), any
//! pair's full label list (built-in and own), its limits with usage bars, and its rate-limit
//! state.

use super::layout::{self, count, type_name};
use super::{usage, Console, PREFIX};
use assocd_core::{builtin, AssocType, Category, ObjectType, Pair, PortalId, TypeId, UserLabel};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Label rows (directions) per page.
const LABELS_PAGE: usize = 60;
/// Limits per page (each draws a usage aggregate).
const LIMITS_PAGE: usize = 10;
/// Tokens whose rate-limit allowance is shown.
const TOKENS_SHOWN: usize = 10;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Params {
    labels_after: Option<TypeId>,
    limits_page: Option<usize>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /_assocd/console/portals/{portalId}`.
pub(crate) async fn show(
    console: Console,
    Path(portal): Path<PortalId>,
    Query(p): Query<Params>,
) -> Response {
    match render(&console, portal, p).await {
        Ok(r) => r,
        Err(e) => console.failed("/portals", e),
    }
}

async fn render(console: &Console, portal: PortalId, p: Params) -> assocd_core::Result<Response> {
    let store = &console.state.api.store;
    let Some(summary) = store
        .portal_summaries(Some(portal - 1), 1)
        .await?
        .into_iter()
        .find(|s| s.portal_id == portal)
    else {
        return Ok(layout::problem(
            StatusCode::NOT_FOUND,
            "/portals",
            &format!("No portal {portal} exists."),
        ));
    };
    let mut labels = store
        .portal_labels(portal, p.labels_after, LABELS_PAGE + 1)
        .await?;
    let labels_next = (labels.len() > LABELS_PAGE).then(|| {
        labels.truncate(LABELS_PAGE);
        let last = labels.last().map_or(0, |l| l.type_id);
        format!("{PREFIX}/portals/{portal}?labelsAfter={last}#labels")
    });
    let explored = explored_pair(&p, &labels);
    let explorer = match &explored {
        Ok(pair) => Ok((pair.clone(), store.list_labels(portal, pair).await?)),
        Err(m) => Err(m.clone()),
    };
    let limits = usage::section(console, portal, p.limits_page.unwrap_or(0), LIMITS_PAGE).await?;
    let rate = rate_limits(console, portal).await?;
    let waiting = console.events_waiting(std::slice::from_ref(&summary)).await;
    let title = format!("Portal {portal}");
    let body = html! {
        p.counts {
            span.pill { (count(summary.tokens)) " tokens" } " "
            span.pill { (count(summary.labels)) " labels" } " "
            span.pill { (count(summary.limits)) " limits" } " "
            span.pill { (count(summary.associations)) " associations" }
            @if let Some(w) = waiting { " " span.pill { (count(w[0])) " events waiting" } }
        }
        form.filters method="get" action={ (PREFIX) "/portals/" (portal) "/records" } {
            label { "Object type" input name="type" value="contacts" size="14" required; }
            label { "Record id" input name="id" inputmode="numeric" size="12" required; }
            button type="submit" { "Open record" }
        }
        h2 #labels { "Labels" }
        (own_labels(&labels))
        (layout::next_link(labels_next))
        h3 { "All types of one direction (built-in and the portal's own)" }
        (explorer_view(portal, &p, explorer))
        h2 #limits { "Limits and usage" }
        (limits)
        h2 #rate-limits { "Rate limits" }
        (rate)
    };
    Ok(layout::page("/portals", &title, body))
}

/// The pair the explorer lists: the one asked for, else the first of the portal's own labels,
/// else contacts → companies.
fn explored_pair(p: &Params, labels: &[UserLabel]) -> Result<Pair, String> {
    match (p.from.as_deref(), p.to.as_deref()) {
        (Some(f), Some(t)) => match (ObjectType::parse(f.trim()), ObjectType::parse(t.trim())) {
            (Ok(f), Ok(t)) => Ok(Pair::new(f, t)),
            (Err(e), _) | (_, Err(e)) => Err(format!("'{}' is not an object type", e.0)),
        },
        _ => Ok(labels.first().map(|l| l.pair.clone()).unwrap_or_else(|| {
            Pair::new(
                ObjectType::from_stored("0-1"),
                ObjectType::from_stored("0-2"),
            )
        })),
    }
}

/// The portal's own labels grouped by object pair; a label's two directions on one line.
fn own_labels(rows: &[UserLabel]) -> Markup {
    let by_id: BTreeMap<TypeId, &UserLabel> = rows.iter().map(|l| (l.type_id, l)).collect();
    type Row<'a> = (&'a UserLabel, Option<&'a UserLabel>);
    let mut groups: BTreeMap<(String, String), Vec<Row>> = BTreeMap::new();
    for l in rows {
        let inverse = by_id.get(&l.inverse_type_id).copied();
        // A pair shows once, from the row with the smaller id (or alone when its other
        // direction is on another page).
        if inverse.is_some_and(|i| i.type_id < l.type_id) {
            continue;
        }
        let inverse = inverse.filter(|i| i.type_id != l.type_id);
        let key = (type_name(&l.pair.from), type_name(&l.pair.to));
        groups.entry(key).or_default().push((l, inverse));
    }
    html! {
        @if groups.is_empty() {
            p.muted { "The portal has no labels of its own." }
        } @else {
            table.pairs #own-labels {
                thead { tr { th { "Objects" } th { "Label (type id)" } th { "Paired with (type id)" } th { "Name" } } }
                tbody {
                    @for ((from, to), list) in &groups {
                        @for (l, inverse) in list {
                            tr {
                                td { (from) " → " (to) }
                                td { (label_text(&l.label)) " " span.muted { "(" (l.type_id) ")" } }
                                td {
                                    @if let Some(i) = inverse {
                                        (label_text(&i.label)) " " span.muted { "(" (i.type_id) ", " (type_name(&i.pair.from)) " → " (type_name(&i.pair.to)) ")" }
                                    } @else if l.inverse_type_id == l.type_id {
                                        span.muted { "same type both ways" }
                                    } @else {
                                        span.muted { "(" (l.inverse_type_id) ")" }
                                    }
                                }
                                td.mono { (l.name) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn label_text(label: &Option<String>) -> Markup {
    html! {
        @match label {
            Some(l) => (l),
            None => span.muted { "unlabeled" },
        }
    }
}

fn explorer_view(
    portal: PortalId,
    p: &Params,
    listed: Result<(Pair, Vec<UserLabel>), String>,
) -> Markup {
    let (from, to) = match &listed {
        Ok((pair, _)) => (pair.from.as_str().to_string(), pair.to.as_str().to_string()),
        Err(_) => (
            p.from.clone().unwrap_or_default(),
            p.to.clone().unwrap_or_default(),
        ),
    };
    html! {
        form.filters method="get" action={ (PREFIX) "/portals/" (portal) "#explorer" } #explorer {
            label { "From" input name="from" value=(from) size="14"; }
            label { "To" input name="to" value=(to) size="14"; }
            button.quiet type="submit" { "List types" }
        }
        @match listed {
            Err(m) => p.error { (m) },
            Ok((pair, own)) => {
                @let types: Vec<AssocType> = builtin::for_pair(&pair).iter().map(|t| t.as_assoc_type())
                    .chain(own.iter().map(|l| AssocType { category: Category::UserDefined, type_id: l.type_id, label: l.label.clone() }))
                    .collect();
                @if types.is_empty() {
                    p.muted { "No association types from " (type_name(&pair.from)) " to " (type_name(&pair.to)) "." }
                } @else {
                    table #pair-types {
                        thead { tr { th { "Category" } th.num { "Type id" } th { "Label" } } }
                        tbody { @for t in &types {
                            tr { td.mono { (t.category.as_str()) } td.num { (t.type_id) } td { (label_text(&t.label)) } }
                        } }
                    }
                }
            }
        }
    }
}

async fn rate_limits(console: &Console, portal: PortalId) -> assocd_core::Result<Markup> {
    let state = &console.state;
    let (_, own) = state.api.store.rate_limits_of(portal).await?;
    let eff = crate::rate_limits::effective(state, portal, own);
    let limiter = state.api.rate_limits.as_ref();
    let tokens = match limiter {
        Some(_) => state.api.store.portal_tokens(portal, TOKENS_SHOWN).await?,
        None => Vec::new(),
    };
    let setting = own.unwrap_or_else(|| {
        limiter.map_or(
            assocd_core::rate_limit::RateLimitSetting::of_tier(assocd_core::rate_limit::Tier::Off),
            |l| l.default_setting(),
        )
    });
    let remaining: Vec<_> = match (limiter, setting.limits()) {
        (Some(l), Some(limits)) => tokens
            .iter()
            .map(|t| (t.id.clone(), l.remaining(&t.id, portal, limits)))
            .collect(),
        _ => Vec::new(),
    };
    Ok(html! {
        table #rate {
            tbody {
                tr { th { "Tier" } td { (eff.tier) " " span.muted { "(" (if eff.source == "portal" { "the portal's own setting" } else { "the server's default" }) ")" } } }
                tr { th { "Enforced" } td { @if eff.enforced { "yes (" code { "--rate-limits hubspot" } ")" } @else { "no: this server runs without " code { "--rate-limits" } } } }
                tr { th { "Per token per 10 s" } td { (eff.ten_secondly.map_or("no limit".to_string(), |n| count(n as i64))) } }
                tr { th { "Per day" } td {
                    (eff.daily.map_or("no limit".to_string(), |n| count(n as i64)))
                    @if let Some((_, r)) = remaining.first() { @if let Some(d) = r.daily { " · " (count(d as i64)) " left today" } }
                } }
            }
        }
        @if !remaining.is_empty() {
            h3 { "Remaining now, per token" }
            table #rate-tokens {
                thead { tr { th { "Token id" } th.num { "Calls left in this 10 s window" } } }
                tbody { @for (id, r) in &remaining { tr { td.mono { (id) } td.num { (count(r.ten_secondly as i64)) } } } }
            }
        }
        p.note { "Set a portal's tier with " code { "PUT /_assocd/portals/" (portal) "/rate-limits" } "." }
    })
}
