//! The page shell every console page shares (head, navigation, sign-out), the headers every
//! console answer carries, and small view helpers.

use super::PREFIX;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

/// Where the console's pages may load from: this server only, no inline script or style.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The sections in the navigation bar: (path below the prefix, title).
const NAV: [(&str, &str); 4] = [
    ("/portals", "Portals"),
    ("/requests", "Requests"),
    ("/events", "Events"),
    ("/faults", "Faults"),
];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · assocd" }
            link rel="icon" type="image/svg+xml" href={ (PREFIX) "/assets/icon.svg" };
            link rel="stylesheet" href={ (PREFIX) "/assets/console.css" };
            script src={ (PREFIX) "/assets/console.js" } defer {}
        }
    }
}

/// An HTML answer with the console's headers: never cached, never framed, this server only.
pub(crate) fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut res = (status, markup.into_string()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// A page without navigation (the sign-in page).
pub(crate) fn bare(status: StatusCode, title: &str, body: Markup) -> Response {
    respond(
        status,
        html! {
            (DOCTYPE)
            html lang="en" {
                (head(title))
                body.bare { main { (body) } }
            }
        },
    )
}

/// A console page: navigation (`section` marked current), a title and the body.
pub(crate) fn page(section: &str, title: &str, body: Markup) -> Response {
    page_with(StatusCode::OK, section, title, body)
}

pub(crate) fn page_with(status: StatusCode, section: &str, title: &str, body: Markup) -> Response {
    respond(
        status,
        html! {
            (DOCTYPE)
            html lang="en" {
                (head(title))
                body {
                    header.top {
                        a.brand href={ (PREFIX) "/portals" } { "assocd" }
                        nav {
                            @for (path, name) in NAV {
                                @if path == section {
                                    a.current href={ (PREFIX) (path) } aria-current="page" { (name) }
                                } @else {
                                    a href={ (PREFIX) (path) } { (name) }
                                }
                            }
                        }
                        form.signout method="post" action={ (PREFIX) "/sign-out" } {
                            button type="submit" { "Sign out" }
                        }
                    }
                    main {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        },
    )
}

/// A page that says what went wrong (unknown portal, bad input).
pub(crate) fn problem(status: StatusCode, section: &str, message: &str) -> Response {
    page_with(
        status,
        section,
        status.canonical_reason().unwrap_or("Error"),
        html! { p.error role="alert" { (message) } },
    )
}

/// A link to the next page, when there is one.
pub(crate) fn next_link(href: Option<String>) -> Markup {
    html! {
        @if let Some(href) = href {
            p.paging { a.next href=(href) { "Next page →" } }
        }
    }
}

/// Epoch milliseconds as `2026-01-01 12:00:00.000` (UTC).
pub(crate) fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
        .unwrap_or_default()
}

/// A number with thin spaces between thousands (1 000 000).
pub(crate) fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Text for a URL query value.
pub(crate) fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An object type as people read it: `contact`, `deal`, or a custom object's id (`2-123`).
pub(crate) fn type_name(t: &assocd_core::ObjectType) -> String {
    if t.is_custom() {
        t.as_str().to_string()
    } else {
        t.display_name().to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_group_thousands() {
        assert_eq!(super::count(1_000_000), "1\u{202f}000\u{202f}000");
        assert_eq!(super::count(999), "999");
        assert_eq!(super::enc("a b/c"), "a%20b%2Fc");
    }
}
