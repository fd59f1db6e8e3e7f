//! A webhook receiver in the test process: a real HTTP server on a free port that records every
//! request (headers, raw body, events) and answers as a test scripts it.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    /// Answer 200 after this long (longer than 5 s: a timeout for assocd).
    After(Duration),
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub events: Vec<Value>,
    /// When it arrived (the replicas tests time takeovers by it).
    #[allow(dead_code)]
    pub at: Instant,
}

#[derive(Default)]
struct Inner {
    requests: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<Answer>>,
    /// Every request not scripted waits this long, then answers 200.
    delay: Mutex<Duration>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
}

async fn hook(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    inner.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let events = serde_json::from_slice::<Vec<Value>>(&body).unwrap_or_default();
    inner.requests.lock().unwrap().push(Received {
        headers,
        body: body.to_vec(),
        events,
        at: Instant::now(),
    });
    let scripted = inner.script.lock().unwrap().pop_front();
    let delay = *inner.delay.lock().unwrap();
    let status = match scripted {
        Some(Answer::Status(s)) => StatusCode::from_u16(s).unwrap(),
        Some(Answer::After(d)) => {
            tokio::time::sleep(d).await;
            StatusCode::OK
        }
        None => {
            tokio::time::sleep(delay).await;
            StatusCode::OK
        }
    };
    inner.in_flight.fetch_sub(1, Ordering::SeqCst);
    status
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Inner::default());
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, inner }
    }

    /// The next requests get these answers, in order; later ones 200.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.inner.script.lock().unwrap().extend(answers);
    }

    pub fn delay_every_request(&self, d: Duration) {
        *self.inner.delay.lock().unwrap() = d;
    }

    pub fn requests(&self) -> Vec<Received> {
        self.inner.requests.lock().unwrap().clone()
    }

    pub fn events(&self) -> Vec<Value> {
        self.requests().into_iter().flat_map(|r| r.events).collect()
    }

    pub fn max_in_flight(&self) -> usize {
        self.inner.max_in_flight.load(Ordering::SeqCst)
    }

    /// Every event received once at least `n` arrived; panics after `within`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let events = self.events();
            if events.len() >= n {
                return events;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver got {} event(s), expected {n}: {events:#?}",
                events.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A port nothing listens on (connections to it are refused).
pub fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/hook")
}
