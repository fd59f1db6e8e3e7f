//! The picture of a record and its neighbours: an SVG drawn here, the record in the middle,
//! its neighbours on a circle around it (coloured by object type, each a link to its own
//! page), every edge captioned with its labels.

use super::layout::type_name;
use assocd_core::{ObjectType, RecordId};
use maud::{html, Markup};

/// Most neighbours drawn; the rest are counted in a caption.
pub(crate) const MAX_NODES: usize = 24;
const W: f64 = 640.0;
const H: f64 = 440.0;
const PALETTE: [&str; 8] = [
    "#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#9d755d", "#eeca3b",
];

/// One neighbour to draw.
pub(crate) struct Neighbour {
    pub object_type: ObjectType,
    pub id: RecordId,
    pub labels: Vec<String>,
    pub href: String,
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// The picture: `center` and its `neighbours` (at most `MAX_NODES` are drawn); `types` gives
/// each object type its colour; `more` neighbours exist beyond those given.
pub(crate) fn draw(
    center: (&ObjectType, RecordId),
    neighbours: &[Neighbour],
    types: &[ObjectType],
    more: bool,
) -> Markup {
    let colour = |t: &ObjectType| {
        let i = types.iter().position(|x| x == t).unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    };
    let (cx, cy) = (W / 2.0, H / 2.0 - 10.0);
    let shown = &neighbours[..neighbours.len().min(MAX_NODES)];
    let n = shown.len().max(1) as f64;
    let radius = if shown.len() <= 6 { 130.0 } else { 165.0 };
    let at = |i: usize| {
        let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n;
        (cx + radius * a.cos(), cy + radius * 0.9 * a.sin())
    };
    let hidden = neighbours.len() - shown.len();
    let caption = format!("{} {} and its neighbours", type_name(center.0), center.1);
    html! {
        svg.graph #graph xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 440" role="img" aria-label=(caption) {
            @for (i, nb) in shown.iter().enumerate() {
                @let (x, y) = at(i);
                line.edge x1=(fmt(cx)) y1=(fmt(cy)) x2=(fmt(x)) y2=(fmt(y)) {}
                @if !nb.labels.is_empty() {
                    // Captions sit nearer the neighbour than the middle, where edges crowd.
                    text.edgelabel x=(fmt(cx + (x - cx) * 0.62)) y=(fmt(cy + (y - cy) * 0.62 - 3.0)) text-anchor="middle" {
                        (short(&nb.labels.join(", "), 22))
                    }
                }
            }
            @for (i, nb) in shown.iter().enumerate() {
                @let (x, y) = at(i);
                a.node href=(nb.href) {
                    title { (type_name(&nb.object_type)) " " (nb.id) }
                    circle cx=(fmt(x)) cy=(fmt(y)) r="15" fill=(colour(&nb.object_type)) stroke="#fff" stroke-width="2" {}
                    text x=(fmt(x)) y=(fmt(y + 28.0)) text-anchor="middle" { (short(&type_name(&nb.object_type), 12)) " " (nb.id) }
                }
            }
            circle cx=(fmt(cx)) cy=(fmt(cy)) r="26" fill=(colour(center.0)) stroke="#1d2733" stroke-width="3" {}
            text x=(fmt(cx)) y=(fmt(cy + 42.0)) text-anchor="middle" font-weight="700" { (type_name(center.0)) " " (center.1) }
            @if hidden > 0 || more {
                text x="12" y="428" { "Showing " (shown.len()) " neighbours; more are listed below." }
            }
            @for (i, t) in types.iter().enumerate() {
                circle cx=(fmt(W - 130.0)) cy=(fmt(16.0 + 16.0 * i as f64)) r="5" fill=(colour(t)) {}
                text x=(fmt(W - 120.0)) y=(fmt(20.0 + 16.0 * i as f64)) { (type_name(t)) }
            }
        }
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}
