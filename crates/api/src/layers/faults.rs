//! Fault injection (the control plane's `/_assocd/faults`): calls to HubSpot's API that match a
//! live fault are delayed, answered with a 5xx or 429, or dropped without an answer, before
//! the handler runs (`before`, nothing written) or after it committed (`after`, the write is
//! there although the client sees a failure). Faults live in this process only. In the stack
//! whenever the control plane is on; with no live fault it costs one atomic load.
//!
//! Matching: a fault's conditions (operation, method, path prefix, portal) must all hold; the
//! first live fault, in creation order, that matches and whose draw succeeds fires, and only
//! that one. `probability` draws from a generator seeded by `seed` (SplitMix64), so the same
//! faults and the same calls fire the same way on every run; a draw that misses does not use
//! up one of `times`. A fault whose `times` reaches 0 is removed.

use super::RequestMeta;
use crate::conn::ConnInfo;
use crate::error::ApiError;
use assocd_core::rate_window::Policy;
use assocd_core::scopes::Operation;
use assocd_core::PortalId;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Statuses a fault may answer.
pub const STATUSES: [u16; 5] = [429, 500, 502, 503, 504];

/// Which calls a fault applies to (every condition given must hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Match {
    pub operation: Option<Operation>,
    pub method: Option<Method>,
    pub path_prefix: Option<String>,
    pub portal_id: Option<PortalId>,
}

/// What a fault does: wait, then answer a status or drop the connection (or serve the call).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Action {
    pub status: Option<u16>,
    pub latency_ms: Option<u64>,
    pub drop_connection: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Phase {
    /// Before the handler: nothing is written.
    #[default]
    Before,
    /// After the handler committed: the client sees the fault, the write stays.
    After,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Before => "before",
            Phase::After => "after",
        }
    }
}

/// A fault as created.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    pub matcher: Match,
    pub action: Action,
    pub phase: Phase,
    /// 0.0 to 1.0.
    pub probability: f64,
    /// Firings left (`None`: until removed).
    pub times: Option<u64>,
    pub seed: u64,
}

/// A live fault as listed.
#[derive(Debug, Clone)]
pub struct LiveFault {
    pub id: u64,
    pub spec: FaultSpec,
    /// Firings left, counting down.
    pub times_left: Option<u64>,
    pub fired: u64,
    rng: u64,
}

/// SplitMix64: a tiny generator whose sequence depends on the seed only.
fn next_draw(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The live faults of this process.
#[derive(Default)]
pub struct Faults {
    live: Mutex<Vec<LiveFault>>,
    count: AtomicUsize,
    next_id: AtomicU64,
}

impl Faults {
    fn with<T>(&self, f: impl FnOnce(&mut Vec<LiveFault>) -> T) -> T {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let out = f(&mut live);
        self.count.store(live.len(), Ordering::Release);
        out
    }

    /// Adds a fault; returns its id.
    pub fn add(&self, spec: FaultSpec) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        self.with(|live| {
            live.push(LiveFault {
                id,
                times_left: spec.times,
                fired: 0,
                rng: spec.seed,
                spec,
            })
        });
        id
    }

    pub fn list(&self) -> Vec<LiveFault> {
        self.with(|live| live.clone())
    }

    /// Removes one fault; false when there is no such live fault.
    pub fn remove(&self, id: u64) -> bool {
        self.with(|live| {
            let before = live.len();
            live.retain(|f| f.id != id);
            live.len() != before
        })
    }

    pub fn clear(&self) {
        self.with(Vec::clear);
    }

    /// The fault that fires for this call, if any (its count and `times` updated).
    fn draw(
        &self,
        method: &Method,
        path: &str,
        operation: Option<Operation>,
        portal: Option<PortalId>,
    ) -> Option<(Action, Phase)> {
        self.with(|live| {
            let mut fired = None;
            for (i, f) in live.iter_mut().enumerate() {
                let m = &f.spec.matcher;
                let matches = m.operation.is_none_or(|o| operation == Some(o))
                    && m.method.as_ref().is_none_or(|x| x == method)
                    && m.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
                    && m.portal_id.is_none_or(|p| portal == Some(p));
                if !matches {
                    continue;
                }
                if f.spec.probability < 1.0 && next_draw(&mut f.rng) >= f.spec.probability {
                    continue;
                }
                f.fired += 1;
                if let Some(left) = f.times_left.as_mut() {
                    *left = left.saturating_sub(1);
                }
                fired = Some((i, f.spec.action.clone(), f.spec.phase));
                break;
            }
            let (i, action, phase) = fired?;
            if live[i].times_left == Some(0) {
                live.remove(i);
            }
            Some((action, phase))
        })
    }
}

fn kind(action: &Action) -> &'static str {
    match (action.drop_connection, action.status) {
        (true, _) => "drop_connection",
        (false, Some(429)) => "429",
        (false, Some(500)) => "500",
        (false, Some(502)) => "502",
        (false, Some(503)) => "503",
        (false, Some(504)) => "504",
        _ => "latency",
    }
}

/// The answer that replaces the call's (`None`: serve the call's own answer).
fn outcome(action: &Action, conn: Option<&ConnInfo>, portal: Option<PortalId>) -> Option<Response> {
    if action.drop_connection {
        match conn {
            Some(c) => c.drop_connection(),
            None => tracing::warn!("dropConnection fault on a connection that cannot be dropped"),
        }
        return Some(ApiError::Fault(503).into_response());
    }
    match action.status? {
        429 => Some(
            ApiError::RateLimited {
                policy: Policy::TenSecondly,
                portal: portal.unwrap_or(0),
            }
            .into_response(),
        ),
        code => Some(ApiError::Fault(code).into_response()),
    }
}

pub async fn layer(State(faults): State<Arc<Faults>>, req: Request, next: Next) -> Response {
    if faults.count.load(Ordering::Acquire) == 0 {
        return next.run(req).await;
    }
    let meta = req.extensions().get::<Arc<RequestMeta>>();
    let operation = meta.and_then(|m| m.operation);
    let portal = meta.and_then(|m| m.portal());
    let Some((action, phase)) = faults.draw(req.method(), req.uri().path(), operation, portal)
    else {
        return next.run(req).await;
    };
    metrics::counter!("assocd_faults_injected_total", "kind" => kind(&action)).increment(1);
    let conn = req
        .extensions()
        .get::<ConnectInfo<ConnInfo>>()
        .map(|c| c.0.clone());
    let latency = Duration::from_millis(action.latency_ms.unwrap_or(0));
    match phase {
        Phase::Before => {
            tokio::time::sleep(latency).await;
            match outcome(&action, conn.as_ref(), portal) {
                Some(res) => res,
                None => next.run(req).await,
            }
        }
        Phase::After => {
            let res = next.run(req).await;
            tokio::time::sleep(latency).await;
            outcome(&action, conn.as_ref(), portal).unwrap_or(res)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(probability: f64, times: Option<u64>, seed: u64) -> FaultSpec {
        FaultSpec {
            matcher: Match {
                path_prefix: Some("/crm/v4".into()),
                ..Default::default()
            },
            action: Action {
                status: Some(503),
                ..Default::default()
            },
            phase: Phase::Before,
            probability,
            times,
            seed,
        }
    }

    fn fires(f: &Faults, path: &str) -> bool {
        f.draw(&Method::GET, path, None, Some(1)).is_some()
    }

    #[test]
    fn times_counts_down_and_the_fault_goes_at_zero() {
        let f = Faults::default();
        f.add(spec(1.0, Some(2), 0));
        assert!(!fires(&f, "/crm/objects/2026-03/x"));
        assert!(fires(&f, "/crm/v4/x"));
        assert_eq!(f.list()[0].times_left, Some(1));
        assert!(fires(&f, "/crm/v4/x"));
        assert!(f.list().is_empty());
        assert!(!fires(&f, "/crm/v4/x"));
    }

    #[test]
    fn a_seed_repeats_the_same_draws() {
        let run = |seed| {
            let f = Faults::default();
            f.add(spec(0.3, None, seed));
            (0..200).map(|_| fires(&f, "/crm/v4/x")).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let hits = run(7).iter().filter(|h| **h).count();
        assert!((30..90).contains(&hits), "about 30% fire: {hits}");
    }
}
