//! The one place that turns errors into HTTP answers, always in HubSpot's error body.

use assocd_core::rate_window::Policy;
use assocd_core::{Error, ErrorKind, PortalId};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const SCOPES_LINK: &str = "https://developers.hubspot.com/scopes";

/// Every failure a handler can answer with.
#[derive(Debug)]
pub enum ApiError {
    /// A domain or storage error (status chosen from its kind).
    Domain(Error),
    /// No token, a malformed header, or an unknown/revoked token.
    Unauthenticated,
    /// An OAuth access token past its expiry: 401 `EXPIRED_AUTHENTICATION` with HubSpot's
    /// message (how long ago) and the `expire time` in the context.
    Expired { expired_at_ms: i64, now_ms: i64 },
    /// A refused credential outside HubSpot's API (the control plane's admin token), with
    /// its own message; 401 `INVALID_AUTHENTICATION`.
    Unauthorized(String),
    /// The token has none of the scopes the operation accepts.
    MissingScopes(Vec<String>),
    /// Bad input detected while parsing, with per-field details.
    Invalid {
        message: String,
        details: Vec<ErrorDetail>,
        context: BTreeMap<String, Vec<String>>,
    },
    /// Unknown route.
    NotFound,
    /// Known route, wrong method.
    MethodNotAllowed,
    /// Body over the size limit.
    PayloadTooLarge,
    /// A panic was caught (logged where it happened).
    Internal,
    /// A rate limit of the portal (or of the token) is reached: 429 with HubSpot's rate-limit
    /// body, whose `policyName` and `message` the official clients' retry logic reads.
    RateLimited { policy: Policy, portal: PortalId },
    /// An injected fault's status (500, 502, 503 or 504; 429 is `RateLimited`).
    Fault(u16),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::Domain(e)
    }
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::Invalid {
            message: message.into(),
            details: Vec::new(),
            context: BTreeMap::new(),
        }
    }

    /// A 400 naming the request field that is wrong: `context.field` and one `INVALID_FIELD`
    /// detail `in` that field.
    pub fn field(field: &str, message: String) -> Self {
        ApiError::Invalid {
            details: vec![ErrorDetail {
                message: message.clone(),
                in_: Some(field.to_string()),
                code: Some("INVALID_FIELD".into()),
                context: Default::default(),
            }],
            context: BTreeMap::from([("field".into(), vec![field.to_string()])]),
            message,
        }
    }
}

/// HubSpot's `ErrorDetail`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErrorDetail {
    pub message: String,
    #[serde(rename = "in", skip_serializing_if = "Option::is_none")]
    pub in_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, Vec<String>>,
}

/// HubSpot's top-level `Error` body (plus the `status: "error"` the live API sends).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub status: &'static str,
    pub message: String,
    pub correlation_id: String,
    pub category: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_category: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub links: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorDetail>,
}

/// HubSpot's 429 body, fields in the order HubSpot sends them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitBody {
    pub status: &'static str,
    pub message: &'static str,
    pub error_type: &'static str,
    pub correlation_id: String,
    pub policy_name: &'static str,
    pub group_name: String,
    pub category: &'static str,
}

impl RateLimitBody {
    pub fn new(policy: Policy, portal: PortalId) -> Self {
        let (message, group) = match policy {
            Policy::TenSecondly => (
                "You have reached your ten_secondly_rolling limit.",
                "api-calls-ten-secondly",
            ),
            Policy::Daily => ("You have reached your daily limit.", "api-calls-daily"),
            Policy::Secondly => ("You have reached your secondly limit.", "secondly"),
        };
        RateLimitBody {
            status: "error",
            message,
            error_type: "RATE_LIMIT",
            correlation_id: new_correlation_id(),
            policy_name: policy.name(),
            group_name: format!("publicapi:hapikey-{group}:{portal}"),
            category: "RATE_LIMITS",
        }
    }
}

/// The correlation id of an answer, for the middleware that sets the header.
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

tokio::task_local! {
    /// The correlation id of the request being served (set by `layers::access_log`), so that
    /// the answer's header and error body, and every log line written while serving it, carry
    /// the same id.
    static REQUEST_CORRELATION_ID: Arc<str>;
}

/// A fresh correlation id.
pub fn fresh_correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The correlation id of the request being served, or a fresh one outside a request scope.
pub fn new_correlation_id() -> String {
    REQUEST_CORRELATION_ID
        .try_with(|id| id.to_string())
        .unwrap_or_else(|_| fresh_correlation_id())
}

/// The correlation id of the request being served, if any (for log formatters).
pub fn current_correlation_id() -> Option<Arc<str>> {
    REQUEST_CORRELATION_ID.try_with(|id| id.clone()).ok()
}

/// Runs `fut` (one request) with `id` as its correlation id.
pub async fn with_correlation_id<F: std::future::Future>(id: Arc<str>, fut: F) -> F::Output {
    REQUEST_CORRELATION_ID.scope(id, fut).await
}

/// HTTP status and HubSpot category of a domain error kind.
pub fn status_of(kind: ErrorKind) -> (StatusCode, &'static str) {
    match kind {
        ErrorKind::Validation => (StatusCode::BAD_REQUEST, "VALIDATION_ERROR"),
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND"),
        ErrorKind::Conflict => (StatusCode::CONFLICT, "OBJECT_ALREADY_EXISTS"),
        ErrorKind::TooManyTypes => (
            StatusCode::from_u16(437).expect("437 is a valid status"),
            "VALIDATION_ERROR",
        ),
        ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
        ErrorKind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
    }
}

impl ApiError {
    fn parts(self) -> (StatusCode, ErrorBody) {
        let body = |category, message: String| ErrorBody {
            status: "error",
            message,
            correlation_id: new_correlation_id(),
            category,
            sub_category: None,
            context: BTreeMap::new(),
            links: BTreeMap::new(),
            errors: Vec::new(),
        };
        match self {
            ApiError::Domain(e) => {
                let (status, category) = status_of(e.kind);
                let message = if e.kind == ErrorKind::Internal {
                    "internal error".to_string()
                } else {
                    e.message
                };
                let mut b = body(category, message);
                if e.kind != ErrorKind::Internal {
                    b.context = e.context;
                }
                (status, b)
            }
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                body(
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview".into(),
                ),
            ),
            ApiError::Expired { expired_at_ms, now_ms } => {
                let mut b = body(
                    "EXPIRED_AUTHENTICATION",
                    assocd_core::oauth::expired_message(expired_at_ms, now_ms),
                );
                let at = chrono::DateTime::from_timestamp_millis(expired_at_ms)
                    .map(crate::wire::timestamp)
                    .unwrap_or_default();
                b.context.insert("expire time".into(), vec![at]);
                (StatusCode::UNAUTHORIZED, b)
            }
            ApiError::Unauthorized(message) => (
                StatusCode::UNAUTHORIZED,
                body("INVALID_AUTHENTICATION", message),
            ),
            ApiError::MissingScopes(scopes) => {
                let mut b = body(
                    "MISSING_SCOPES",
                    format!("This app hasn't been granted all required scopes to make this call. Read more about required scopes here: {SCOPES_LINK}."),
                );
                b.errors.push(ErrorDetail {
                    message: "One or more of the following scopes are required.".into(),
                    in_: None,
                    code: None,
                    context: BTreeMap::from([("requiredGranularScopes".to_string(), scopes)]),
                });
                b.links.insert("scopes".into(), SCOPES_LINK.into());
                (StatusCode::FORBIDDEN, b)
            }
            ApiError::Invalid { message, details, context } => {
                let mut b = body("VALIDATION_ERROR", message);
                b.errors = details;
                b.context = context;
                (StatusCode::BAD_REQUEST, b)
            }
            ApiError::NotFound => (StatusCode::NOT_FOUND, body("OBJECT_NOT_FOUND", "Resource not found".into())),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                body("VALIDATION_ERROR", "HTTP method not allowed for this resource".into()),
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                body("VALIDATION_ERROR", "The request body is larger than this server accepts".into()),
            ),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, body("INTERNAL_ERROR", "internal error".into())),
            ApiError::Fault(code) => {
                let (status, category, message) = match code {
                    502 => (StatusCode::BAD_GATEWAY, "BAD_GATEWAY", "Bad gateway: the service behind HubSpot's gateway sent no valid answer"),
                    503 => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable; try again shortly"),
                    504 => (StatusCode::GATEWAY_TIMEOUT, "GATEWAY_TIMEOUT", "Gateway timeout: the service behind HubSpot's gateway did not answer in time"),
                    _ => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "internal error"),
                };
                (status, body(category, message.into()))
            }
            // Answered with its own body in `into_response`; this arm is not reached.
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, body("RATE_LIMITS", "rate limited".into())),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, id, bytes) = match self {
            ApiError::RateLimited { policy, portal } => {
                let body = RateLimitBody::new(policy, portal);
                let id = body.correlation_id.clone();
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    id,
                    crate::wire::json_bytes(&body),
                )
            }
            other => {
                let (status, body) = other.parts();
                let id = body.correlation_id.clone();
                log_server_error(status, &body);
                (status, id, crate::wire::json_bytes(&body))
            }
        };
        let mut response = (status, bytes).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static(crate::wire::JSON_UTF8),
        );
        response.extensions_mut().insert(CorrelationId(id));
        response
    }
}

/// Every 5xx answer is logged once, here, with the correlation id its client sees (a 503 is a
/// warning: the database is away or busy and the client should retry; a 500 is an error). The
/// cause, when there is one, was logged where it happened, inside the request's span.
fn log_server_error(status: StatusCode, body: &ErrorBody) {
    if status == StatusCode::SERVICE_UNAVAILABLE {
        tracing::warn!(
            correlation_id = %body.correlation_id,
            status = status.as_u16(),
            category = body.category,
            message = %body.message,
            "answered 503"
        );
    } else if status.is_server_error() {
        tracing::error!(
            correlation_id = %body.correlation_id,
            status = status.as_u16(),
            category = body.category,
            message = %body.message,
            "answered with a server error"
        );
    }
}
