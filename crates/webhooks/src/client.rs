//! The outgoing HTTP client: one connection pool for every target, a total timeout per request
//! (HubSpot: a response slower than 5 s is a failure), no redirects followed (a 3xx is a
//! failure like any other non-2xx). Plain `http://` only: this build has no TLS, so an
//! `https://` target fails every attempt with a clear error.

use std::time::Duration;

const USER_AGENT: &str = concat!(
    "HubSpot Connect 2.0 (http://dev.hubspot.com/) - assocd/",
    env!("CARGO_PKG_VERSION")
);

/// Why no status came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Timeout,
    Connect(String),
    Other(String),
}

impl Failure {
    pub fn message(&self, timeout: Duration) -> String {
        match self {
            Failure::Timeout => format!("no answer within {} s", timeout.as_secs_f64()),
            Failure::Connect(e) => format!("connection failed: {e}"),
            Failure::Other(e) => e.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub timeout: Duration,
}

impl Client {
    pub fn new(timeout: Duration) -> Client {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .unwrap_or_default();
        Client { http, timeout }
    }

    /// POSTs `body` (JSON) with `headers`; the status, or why none came.
    pub async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        headers: &[(&'static str, String)],
    ) -> Result<u16, Failure> {
        if url.starts_with("https://") {
            return Err(Failure::Other(
                "https:// targets are not supported by this build (no TLS); use http://".into(),
            ));
        }
        let mut req = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let res = req.send().await.map_err(classify)?;
        let status = res.status().as_u16();
        // Read the answer so the connection goes back to the pool.
        let _ = res.bytes().await;
        Ok(status)
    }
}

fn classify(e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        Failure::Timeout
    } else if e.is_connect() {
        Failure::Connect(source_text(&e))
    } else {
        Failure::Other(source_text(&e))
    }
}

/// The innermost cause, which names what actually went wrong ("Connection refused").
fn source_text(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
