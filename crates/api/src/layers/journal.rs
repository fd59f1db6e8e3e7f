//! The request journal: the last `--journal-size` requests to the HubSpot API (never the
//! control plane), in memory, per process, for a test to ask what its code really sent. Bodies
//! are kept as the bytes that went over the wire, shared with the request and answer when they
//! fit (no copy), cut at `MAX_BODY` otherwise; they are decoded only when the journal is read.
//! The `Authorization` header is never recorded, nor anything else from the headers.

use super::RequestMeta;
use crate::error::ApiError;
use assocd_core::scopes::Operation;
use assocd_core::{Clock, PortalId};
use axum::body::HttpBody;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Longest body kept per entry.
pub const MAX_BODY: usize = 64 * 1024;

/// One recorded request and its answer. The URI and the request body are copies: as the
/// request carried them they are slices of the connection's read buffer, and an entry holding
/// one kept that whole buffer (8 KiB or more) alive: a full journal pinned about 17 MiB after a
/// burst of connections (docs/benchmarks.md, "Memory under a connection flood").
#[derive(Debug, Clone)]
pub struct Entry {
    /// Increases by one per recorded request in this process.
    pub id: u64,
    pub at_ms: i64,
    pub portal_id: Option<PortalId>,
    pub method: Method,
    pub uri: Uri,
    pub operation: Option<Operation>,
    pub status: u16,
    pub duration_micros: u64,
    pub correlation_id: Option<HeaderValue>,
    pub request_body: Captured,
    pub response_body: Captured,
}

impl Entry {
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_ref().and_then(|v| v.to_str().ok())
    }
}

/// A recorded body: at most `MAX_BODY` bytes, and whether more were cut off.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    pub bytes: Bytes,
    pub truncated: bool,
}

impl Captured {
    fn keep(bytes: &Bytes) -> Captured {
        if bytes.len() <= MAX_BODY {
            // A copy: the body may be a slice of a larger buffer (see `Entry`).
            Captured {
                bytes: Bytes::copy_from_slice(bytes),
                truncated: false,
            }
        } else {
            // A copy, so the cut does not keep the whole buffer alive.
            Captured {
                bytes: Bytes::copy_from_slice(&bytes[..MAX_BODY]),
                truncated: true,
            }
        }
    }
}

/// What a reader asks for: every filter optional, newest first, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub portal_id: Option<PortalId>,
    pub operation: Option<Operation>,
    pub status: Option<u16>,
    /// Only entries older than this id (the next page of a reader going back in time).
    pub before: Option<u64>,
    pub limit: usize,
}

/// The ring of entries.
pub struct Journal {
    capacity: usize,
    clock: Clock,
    /// Largest request body read (the server's body limit).
    body_limit: usize,
    inner: Mutex<Ring>,
}

#[derive(Default)]
struct Ring {
    next_id: u64,
    entries: VecDeque<Entry>,
}

impl Journal {
    pub fn new(capacity: usize, clock: Clock, body_limit: usize) -> Self {
        Journal {
            capacity,
            clock,
            body_limit,
            inner: Mutex::new(Ring::default()),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn push(&self, mut entry: Entry) {
        let mut ring = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        ring.next_id += 1;
        entry.id = ring.next_id;
        if ring.entries.len() == self.capacity {
            ring.entries.pop_front();
        }
        ring.entries.push_back(entry);
    }

    /// Matching entries, newest first.
    pub fn read(&self, filter: &Filter) -> Vec<Entry> {
        let ring = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        ring.entries
            .iter()
            .rev()
            .filter(|e| filter.portal_id.is_none() || e.portal_id == filter.portal_id)
            .filter(|e| filter.operation.is_none() || e.operation == filter.operation)
            .filter(|e| filter.status.is_none_or(|s| e.status == s))
            .filter(|e| filter.before.is_none_or(|b| e.id < b))
            .take(filter.limit)
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .clear();
    }
}

static CORRELATION: axum::http::HeaderName =
    axum::http::HeaderName::from_static("x-hubspot-correlation-id");

/// The layer: reads the request body (the handlers read it whole anyway), runs the request,
/// reads the answer's body (one buffer for every answer assocd makes) and records both.
pub async fn layer(State(journal): State<Arc<Journal>>, req: Request, next: Next) -> Response {
    let at_ms = journal.clock.now_ms();
    let started = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let uri = match parts.uri.path_and_query() {
        Some(pq) => Uri::from_maybe_shared(Bytes::copy_from_slice(pq.as_str().as_bytes()))
            .unwrap_or_else(|_| parts.uri.clone()),
        None => parts.uri.clone(),
    };
    let (request_bytes, res) = if body.size_hint().exact() == Some(0) {
        // Nothing to read (GET, DELETE): the request goes on as it came.
        (
            Bytes::new(),
            next.run(Request::from_parts(parts, body)).await,
        )
    } else {
        match axum::body::to_bytes(body, journal.body_limit).await {
            Ok(bytes) => {
                let req = Request::from_parts(parts, Body::from(bytes.clone()));
                (bytes, next.run(req).await)
            }
            // Over the body limit (or a broken upload): the answer the handler would have given.
            Err(_) => {
                let mut res = ApiError::PayloadTooLarge.into_response();
                crate::middleware::set_correlation_header(&mut res);
                (Bytes::new(), res)
            }
        }
    };
    let (res_parts, res_body) = res.into_parts();
    let response_bytes = read_answer(res_body).await;
    let meta = res_parts.extensions.get::<Arc<RequestMeta>>();
    // OAuth forms and answers carry secrets: only their redacted path and status are kept.
    let secret = crate::oauth::carries_secrets(uri.path());
    let uri = if secret {
        let path = crate::oauth::redacted_path(uri.path());
        Uri::try_from(path.as_ref()).unwrap_or_default()
    } else {
        uri
    };
    let kept = |b: &Bytes| {
        if secret {
            Captured::default()
        } else {
            Captured::keep(b)
        }
    };
    journal.push(Entry {
        id: 0,
        at_ms,
        portal_id: meta.and_then(|m| m.portal()),
        method,
        uri,
        operation: meta.and_then(|m| m.operation),
        status: res_parts.status.as_u16(),
        duration_micros: started.elapsed().as_micros() as u64,
        correlation_id: res_parts.headers.get(&CORRELATION).cloned(),
        request_body: kept(&request_bytes),
        response_body: kept(&response_bytes),
    });
    Response::from_parts(res_parts, Body::from(response_bytes))
}

/// An answer's body. assocd's answers are one buffer (one frame), taken as it is; anything
/// longer is collected.
async fn read_answer(mut body: Body) -> Bytes {
    use http_body_util::BodyExt;
    let first = match body.frame().await {
        Some(Ok(frame)) => frame.into_data().unwrap_or_default(),
        _ => return Bytes::new(),
    };
    if body.is_end_stream() {
        return first;
    }
    let rest = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let mut all = Vec::with_capacity(first.len() + rest.len());
    all.extend_from_slice(&first);
    all.extend_from_slice(&rest);
    Bytes::from(all)
}
