//! What a request is, known before any handler runs: its operation (`S1`…`U1`, or none for an
//! unknown route) and path family, classified from the method and path against the routes of
//! the OpenAPI document, and, once the token is resolved, its portal. Shared through one
//! `Arc<RequestMeta>` in the request's extensions and, on the way out, in the answer's.

use crate::openapi;
use crate::Family;
use assocd_core::scopes::Operation;
use assocd_core::PortalId;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Instant;

/// One request's classification, shared by the layers and the handler.
#[derive(Debug)]
pub struct RequestMeta {
    pub operation: Option<Operation>,
    pub family: Option<Family>,
    /// When the request reached the envelope.
    pub started: Instant,
    portal: OnceLock<PortalId>,
}

impl RequestMeta {
    pub fn new(operation: Option<Operation>, family: Option<Family>) -> Self {
        RequestMeta {
            operation,
            family,
            started: Instant::now(),
            portal: OnceLock::new(),
        }
    }

    /// The caller's portal, once its token was accepted.
    pub fn portal(&self) -> Option<PortalId> {
        self.portal.get().copied()
    }

    pub(crate) fn set_portal(&self, portal: PortalId) {
        let _ = self.portal.set(portal);
    }
}

type Routes = matchit::Router<HashMap<Method, (Operation, Family)>>;

/// Every served route of the OpenAPI document, by path template and method.
static ROUTES: LazyLock<Routes> = LazyLock::new(|| {
    let mut by_path: HashMap<String, HashMap<Method, (Operation, Family)>> = HashMap::new();
    for (path, method, op, family) in openapi::operations() {
        by_path
            .entry(path)
            .or_default()
            .insert(method, (op, family));
    }
    let mut router = Routes::new();
    for (path, methods) in by_path {
        // The document's templates are the router's own; a clash would be a bug in the table.
        if let Err(e) = router.insert(path.clone(), methods) {
            tracing::error!(%path, error = %e, "route left out of request classification");
        }
    }
    router
});

/// The operation and family of `method path`; `None` for anything that is not a route of
/// HubSpot's API (including a known path with the wrong method).
pub fn classify(method: &Method, path: &str) -> Option<(Operation, Family)> {
    ROUTES
        .at(path)
        .ok()
        .and_then(|m| m.value.get(method).copied())
}

/// The layer: puts a fresh `RequestMeta` on the request and the same one on the answer.
pub async fn layer(mut req: Request, next: Next) -> Response {
    let (operation, family) = match classify(req.method(), req.uri().path()) {
        Some((op, family)) => (Some(op), Some(family)),
        None => (None, None),
    };
    let meta = Arc::new(RequestMeta::new(operation, family));
    req.extensions_mut().insert(meta.clone());
    let mut res = next.run(req).await;
    res.extensions_mut().insert(meta);
    res
}
