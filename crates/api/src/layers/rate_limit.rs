//! HubSpot's rate limits on the HubSpot API (only in the stack with `--rate-limits hubspot`):
//! counts each authenticated call against its token's ten-secondly window and its portal's
//! daily one, and answers 429 with HubSpot's body once one is reached. Admitted answers carry
//! HubSpot's `X-HubSpot-RateLimit-*` headers with the numbers left after the call; refused
//! ones carry them too, with what is left (nothing written, nothing counted).
//!
//! Counting: every admitted call counts, whatever it answers (a 4xx, a 5xx, an injected fault:
//! the faults layer sits inside this one). Refused calls do not count. Calls without a usable
//! token are not counted (they answer 401 as before). CRM search calls follow HubSpot's own
//! limit instead: 5 per second per token, refused with the `SECONDLY` body, no headers, and
//! not counted in the ten-secondly or daily windows. OAuth access tokens count under the
//! `oauth` tier (`RateLimiter::limits_for`): 110 per 10 s, no daily cap, no daily headers.

use super::auth::Authenticated;
use super::RequestMeta;
use crate::error::ApiError;
use crate::rate_limits::RateLimiter;
use assocd_core::rate_limit::{Limits, INTERVAL_MS};
use assocd_core::rate_window::{FastMap, Policy, Remaining, Verdict};
use assocd_core::scopes::Operation;
use assocd_core::store::Store;
use assocd_core::PortalId;
use axum::extract::Request;
use axum::http::{Extensions, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

static INTERVAL: HeaderName = HeaderName::from_static("x-hubspot-ratelimit-interval-milliseconds");
/// `INTERVAL_MS` as the header's text.
const INTERVAL_TEXT: &str = "10000";
const _: () = assert!(INTERVAL_MS == 10_000);

static MAX: HeaderName = HeaderName::from_static("x-hubspot-ratelimit-max");
static REMAINING: HeaderName = HeaderName::from_static("x-hubspot-ratelimit-remaining");
static DAILY: HeaderName = HeaderName::from_static("x-hubspot-ratelimit-daily");
static DAILY_REMAINING: HeaderName = HeaderName::from_static("x-hubspot-ratelimit-daily-remaining");

/// Whether a request is a CRM search (`POST /crm/objects/{version}/{objectType}/search`).
fn is_search(ext: &Extensions) -> bool {
    ext.get::<Arc<RequestMeta>>()
        .is_some_and(|m| m.operation == Some(Operation::Q1))
}

/// A limit as a header value that clones and drops without touching a reference count: each
/// distinct number is formatted once and kept for the life of the process. Limits are the
/// tiers' numbers and the few custom ones operators set; past `KEPT` distinct numbers, values
/// are formatted per call instead.
fn kept_value(n: u64) -> HeaderValue {
    const KEPT: usize = 1024;
    static VALUES: Mutex<Option<FastMap<u64, &'static str>>> = Mutex::new(None);
    let mut values = VALUES.lock().unwrap_or_else(|p| p.into_inner());
    let values = values.get_or_insert_with(FastMap::default);
    if let Some(text) = values.get(&n) {
        return HeaderValue::from_static(text);
    }
    if values.len() >= KEPT {
        return HeaderValue::from(n);
    }
    let text: &'static str = Box::leak(n.to_string().into_boxed_str());
    values.insert(n, text);
    HeaderValue::from_static(text)
}

/// The two limits as header values, for the limits last seen on this thread: they only change
/// with a portal's setting, so most calls copy them instead of formatting them again.
fn limit_values(limits: Limits) -> (HeaderValue, Option<HeaderValue>) {
    thread_local! {
        static LAST: RefCell<Option<(Limits, HeaderValue, Option<HeaderValue>)>> =
            const { RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((l, max, daily)) if *l == limits => (max.clone(), daily.clone()),
        _ => {
            let max = kept_value(limits.ten_secondly);
            let daily = limits.daily.map(kept_value);
            *last = Some((limits, max.clone(), daily.clone()));
            (max, daily)
        }
    })
}

/// Sets HubSpot's rate-limit headers: the interval, the ten-secondly maximum and what is left
/// of it, and, when the portal has a daily cap (every tier but `oauth`), the daily ones.
pub fn set_headers(res: &mut Response, limits: Limits, left: Remaining) {
    let (max, daily) = limit_values(limits);
    let h = res.headers_mut();
    h.reserve(5);
    h.insert(INTERVAL.clone(), HeaderValue::from_static(INTERVAL_TEXT));
    h.insert(MAX.clone(), max);
    h.insert(REMAINING.clone(), HeaderValue::from(left.ten_secondly));
    if let (Some(daily), Some(daily_left)) = (daily, left.daily) {
        h.insert(DAILY.clone(), daily);
        h.insert(DAILY_REMAINING.clone(), HeaderValue::from(daily_left));
    }
}

fn refuse(policy: Policy, portal: i64) -> Response {
    metrics::counter!("assocd_rate_limit_refusals_total", "policy" => policy.name()).increment(1);
    ApiError::RateLimited { policy, portal }.into_response()
}

/// What the layer needs: the limiter and the store its exchanges go through.
pub struct Limiting {
    pub limiter: Arc<RateLimiter>,
    pub store: Arc<dyn Store>,
}

/// The layer (a tower layer of its own rather than `from_fn`: no boxed clone of the services
/// below per call, which was a measurable part of what limits that are never reached cost).
/// Its state is one `Arc`: every `from_fn` layer above clones the services below it on each
/// call, and under load each clone is a reference count that both cores write.
#[derive(Clone)]
pub struct RateLimitLayer(pub Arc<Limiting>);

impl<S> tower::Layer<S> for RateLimitLayer {
    type Service = RateLimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimitService {
            inner,
            limiting: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RateLimitService<S> {
    inner: S,
    limiting: Arc<Limiting>,
}

impl<S> tower::Service<Request> for RateLimitService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // The service that was polled ready serves this call; its clone waits for the next.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(limit(self.limiting.clone(), req, inner))
    }
}

/// What the layer does with a call.
enum Decision {
    /// No limits apply (no usable token, limits off for the portal, or a search within its
    /// own limit): served without headers.
    Serve,
    Admitted(Limits, Remaining),
    Refused(Policy, PortalId, Option<(Limits, Remaining)>),
}

/// Counts the call; reads its token from the request's extensions in place (no clone of the
/// token's shared record per call).
async fn decide(limiting: &Limiting, ext: &Extensions) -> Decision {
    let limiter = &limiting.limiter;
    let Some(Authenticated(token)) = ext.get::<Authenticated>() else {
        return Decision::Serve;
    };
    let portal = token.portal_id;
    if is_search(ext) {
        if limiter.setting(portal).0.limits().is_some() && !limiter.admit_search(&token.id) {
            return Decision::Refused(Policy::Secondly, portal, None);
        }
        return Decision::Serve;
    }
    let oauth = token.oauth.is_some();
    let mut verdict = limiter.admit(&token.id, portal, oauth);
    if let Some((_, Verdict::Exchange(..))) = verdict {
        limiter.exchange_now(limiting.store.as_ref()).await;
        verdict = limiter.admit_after_exchange(&token.id, portal, oauth);
    }
    match verdict {
        None => Decision::Serve,
        Some((limits, Verdict::Admitted(left))) => Decision::Admitted(limits, left),
        Some((limits, Verdict::Refused(policy, left) | Verdict::Exchange(policy, left))) => {
            Decision::Refused(policy, portal, Some((limits, left)))
        }
    }
}

async fn limit<S>(
    limiting: Arc<Limiting>,
    req: Request,
    mut inner: S,
) -> Result<Response, Infallible>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    match decide(&limiting, req.extensions()).await {
        Decision::Serve => inner.call(req).await,
        Decision::Admitted(limits, left) => {
            let mut res = inner.call(req).await?;
            set_headers(&mut res, limits, left);
            Ok(res)
        }
        Decision::Refused(policy, portal, headers) => {
            let mut res = refuse(policy, portal);
            if let Some((limits, left)) = headers {
                set_headers(&mut res, limits, left);
            }
            Ok(res)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(res: &Response, name: &HeaderName) -> Option<String> {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }

    #[test]
    fn headers_follow_the_limits_of_each_call_not_the_last_cached_ones() {
        let starter = Limits {
            ten_secondly: 100,
            daily: Some(250_000),
        };
        let oauth = Limits {
            ten_secondly: 110,
            daily: None,
        };
        let calls = [
            (starter, Some(249_990)),
            (starter, Some(249_989)),
            (oauth, None),
            (starter, Some(249_988)),
        ];
        for (limits, daily_left) in calls {
            let mut res = Response::new(axum::body::Body::empty());
            let left = Remaining {
                ten_secondly: 7,
                daily: daily_left,
            };
            set_headers(&mut res, limits, left);
            assert_eq!(header(&res, &INTERVAL).as_deref(), Some("10000"));
            assert_eq!(header(&res, &MAX), Some(limits.ten_secondly.to_string()));
            assert_eq!(header(&res, &REMAINING).as_deref(), Some("7"));
            assert_eq!(header(&res, &DAILY), limits.daily.map(|d| d.to_string()));
            assert_eq!(
                header(&res, &DAILY_REMAINING),
                daily_left.map(|d| d.to_string())
            );
        }
    }
}
