//! Signing in to the console: the admin token, typed once into the sign-in form, is exchanged
//! for a session cookie (`HttpOnly`, `SameSite=Strict`, path `/_assocd/console`). The cookie
//! holds an expiry and its HMAC under the admin token's hash, never the token: it works on every
//! replica that has the same admin token, and a changed admin token ends every session.
//! Tokens never appear in URLs; the form posts them.

use super::{layout, PREFIX};
use crate::access::AdminToken;
use crate::ControlState;
use assocd_api::ApiError;
use axum::extract::rejection::FormRejection;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use std::sync::Arc;

/// The session cookie's name.
pub const COOKIE: &str = "assocd_console";
/// How long a session lasts.
const SESSION_MS: i64 = 12 * 3600 * 1000;

fn system_ms() -> i64 {
    assocd_api::rate_limits::system_ms()
}

/// A cookie value for a session that ends at `expires_ms`: `v1.<expires>.<hex HMAC>`.
fn session_value(admin: &AdminToken, expires_ms: i64) -> String {
    let body = format!("v1.{expires_ms}");
    format!("{body}.{}", hex::encode(admin.sign(body.as_bytes())))
}

/// Whether `value` is a session cookie signed for this admin token and not yet expired.
fn valid(admin: &AdminToken, value: &str) -> bool {
    let Some((body, mac)) = value.rsplit_once('.') else {
        return false;
    };
    let Some(expires) = body.strip_prefix("v1.").and_then(|e| e.parse::<i64>().ok()) else {
        return false;
    };
    let Ok(mac) = hex::decode(mac) else {
        return false;
    };
    use subtle::ConstantTimeEq;
    let signed: bool = admin.sign(body.as_bytes()).ct_eq(&mac).into();
    signed && expires > system_ms()
}

/// The session cookie's value in a request, if any.
fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

fn set_cookie(value: &str, max_age_s: i64) -> HeaderValue {
    let cookie =
        format!("{COOKIE}={value}; Path={PREFIX}; HttpOnly; SameSite=Strict; Max-Age={max_age_s}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether a form post came from this server's own pages: a browser sends `Origin` on every
/// POST, and it must name the host the request went to (the cookie's `SameSite=Strict`
/// already keeps other sites' posts from carrying a session; this is the second lock).
fn same_origin(req_headers: &HeaderMap) -> bool {
    let Some(origin) = req_headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let host = req_headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}

/// The guard of every console page and action but the sign-in page and the assets: without a
/// valid session, a page redirects to the sign-in page and an action is refused.
pub(crate) async fn guard(
    State(admin): State<Option<Arc<AdminToken>>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(admin) = admin else {
        return ApiError::NotFound.into_response();
    };
    let signed_in = cookie(req.headers()).is_some_and(|v| valid(&admin, v));
    if req.method() == Method::POST && !same_origin(req.headers()) {
        return (StatusCode::FORBIDDEN, "cross-site form post refused").into_response();
    }
    match (signed_in, req.method() == Method::GET) {
        (true, _) => next.run(req).await,
        (false, true) => Redirect::to(PREFIX).into_response(),
        (false, false) => (StatusCode::UNAUTHORIZED, "sign in first").into_response(),
    }
}

fn sign_in_page(status: StatusCode, refused: bool) -> Response {
    let body = html! {
        section.signin {
            h1 { "assocd console" }
            p { "Sign in with this server's admin token (" code { "--admin-token" } ")." }
            @if refused {
                p.error #refused role="alert" { "That is not this server's admin token." }
            }
            form method="post" action={ (PREFIX) "/sign-in" } {
                label for="token" { "Admin token" }
                input #token type="password" name="token" autocomplete="current-password" required autofocus;
                button type="submit" { "Sign in" }
            }
        }
    };
    layout::bare(status, "Sign in", body)
}

/// `GET /_assocd/console`: the sign-in page, or the portals when already signed in.
pub(crate) async fn start(State(state): State<ControlState>, headers: HeaderMap) -> Response {
    let Some(admin) = &state.admin else {
        return ApiError::NotFound.into_response();
    };
    if cookie(&headers).is_some_and(|v| valid(admin, v)) {
        return Redirect::to(&format!("{PREFIX}/portals")).into_response();
    }
    sign_in_page(StatusCode::OK, false)
}

#[derive(Deserialize)]
pub(crate) struct SignIn {
    #[serde(default)]
    token: String,
}

/// `POST /_assocd/console/sign-in`: a session cookie for the admin token, else the form again
/// with 401.
pub(crate) async fn sign_in(
    State(state): State<ControlState>,
    headers: HeaderMap,
    form: Result<Form<SignIn>, FormRejection>,
) -> Response {
    let Some(admin) = &state.admin else {
        return ApiError::NotFound.into_response();
    };
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-site form post refused").into_response();
    }
    let token = form.map(|Form(f)| f.token).unwrap_or_default();
    if token.is_empty() || !admin.matches(&token) {
        return sign_in_page(StatusCode::UNAUTHORIZED, true);
    }
    let value = session_value(admin, system_ms() + SESSION_MS);
    let mut res = Redirect::to(&format!("{PREFIX}/portals")).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&value, SESSION_MS / 1000));
    res
}

/// `POST /_assocd/console/sign-out`: the cookie is cleared.
pub(crate) async fn sign_out() -> Response {
    let mut res = Redirect::to(PREFIX).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, set_cookie("", 0));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_valid_only_with_its_signature_and_before_it_expires() {
        let admin = AdminToken::new("secret");
        let later = system_ms() + 60_000;
        let value = session_value(&admin, later);
        assert!(valid(&admin, &value));
        assert!(!valid(&AdminToken::new("other"), &value));
        assert!(!valid(&admin, &session_value(&admin, system_ms() - 1)));
        let forged = value.replace(&later.to_string(), &(later + 1).to_string());
        assert!(!valid(&admin, &forged));
        assert!(!valid(&admin, "secret"));
        assert!(!valid(&admin, ""));
    }

    #[test]
    fn the_cookie_is_read_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; assocd_console=v1.5.ab; b=2"),
        );
        assert_eq!(cookie(&h), Some("v1.5.ab"));
    }
}
