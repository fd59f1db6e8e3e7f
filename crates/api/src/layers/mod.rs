//! Cross-cutting layers around the HubSpot routes, each in its own file and each added only
//! when its feature is on (a layer that is off costs nothing: it is not in the stack).
//!
//! Order, outermost first (see `crate::router`):
//! 1. `metrics`: counts and times every request (when metrics are on);
//! 2. `access_log`: gives the request its correlation id and logs one line per request
//!    (unless `--access-log off`);
//! 3. `journal`: records request and answer (when `--journal-size` > 0);
//! 4. `crate::middleware::headers`: the correlation id header and HubSpot's JSON content type;
//! 5. `context`: classifies the request (operation, family) into a shared `RequestMeta`;
//! 6. `auth`: resolves the bearer token once, for the layers below and the handlers;
//! 7. `rate_limit`: HubSpot's rate limits (when `--rate-limits hubspot`);
//! 8. `faults`: injected faults (when the control plane is on);
//! 9. the routes.
//!
//! Layers outside `context` read the `RequestMeta` from the answer's extensions, where
//! `context` puts it on the way out; `auth` fills in the portal once the token is known.

pub mod access_log;
pub mod auth;
pub mod context;
pub mod faults;
pub mod journal;
pub mod metrics;
pub mod rate_limit;

pub use context::RequestMeta;
