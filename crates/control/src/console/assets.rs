//! The console's static files, compiled into the binary: one stylesheet, one small script
//! (the journal's auto-refresh), the icon. Nothing is fetched from anywhere else.

use crate::ControlState;
use assocd_api::ApiError;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

const FILES: [(&str, &str, &str); 3] = [
    (
        "console.css",
        "text/css; charset=utf-8",
        include_str!("assets/console.css"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/console.js"),
    ),
    ("icon.svg", "image/svg+xml", include_str!("assets/icon.svg")),
];

/// `GET /_assocd/console/assets/{name}` (404, like the whole console, without an admin token).
pub(crate) async fn serve(State(state): State<ControlState>, Path(name): Path<String>) -> Response {
    let found = FILES.iter().find(|(n, _, _)| *n == name);
    let Some((_, kind, text)) = found.filter(|_| state.admin.is_some()) else {
        return ApiError::NotFound.into_response();
    };
    let mut res = (*text).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}
