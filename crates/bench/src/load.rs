//! The load generator: N keep-alive HTTP/1.1 connections (one hyper client connection each) on
//! the bench's single-threaded runtime, each sending its next request as soon as the previous
//! answer's body has arrived, for a bounded time. One thread, like `wrk -t1`, so the server
//! under test keeps the other core.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// One request of a scenario. Cloning one is cheap (reference counts), so a scenario with a
/// fixed request costs the generator nothing to build.
#[derive(Clone)]
pub struct Req {
    pub method: Method,
    pub uri: Uri,
    pub body: Bytes,
    pub auth: HeaderValue,
}

/// The `Authorization` header of a token.
pub fn bearer(token: &str) -> HeaderValue {
    HeaderValue::try_from(format!("Bearer {token}")).expect("a token is header-safe")
}

impl Req {
    pub fn get(path: impl Into<String>, auth: &HeaderValue) -> Req {
        Req {
            method: Method::GET,
            uri: uri(path.into()),
            body: Bytes::new(),
            auth: auth.clone(),
        }
    }

    pub fn post(path: impl Into<String>, body: impl Into<Bytes>, auth: &HeaderValue) -> Req {
        Req {
            method: Method::POST,
            uri: uri(path.into()),
            body: body.into(),
            auth: auth.clone(),
        }
    }
}

fn uri(path: String) -> Uri {
    Uri::try_from(path).expect("scenario paths are valid")
}

/// Makes request number `seq` (counted across all connections) of a scenario.
pub type MakeReq = Arc<dyn Fn(u64) -> Req + Send + Sync>;

/// What one (scenario, concurrency) run measured.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub concurrency: usize,
    pub requests: u64,
    pub elapsed: Duration,
    /// Answers whose status was not the expected one (5xx included).
    pub errors: u64,
    pub server_errors: u64,
    /// Transport failures (connect, reset): also errors.
    pub io_errors: u64,
    /// The first unexpected status seen, with the start of its body, for the report.
    pub first_error: Option<String>,
    /// Requests still unanswered well after the window closed (dropped, not counted).
    pub abandoned: u64,
    /// Sorted latencies in nanoseconds.
    latencies: Vec<u64>,
}

impl Stats {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Latency at quantile `q` (0..=1), in microseconds.
    pub fn quantile_us(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)] as f64 / 1000.0
    }

    pub fn p50(&self) -> f64 {
        self.quantile_us(0.50)
    }

    pub fn p99(&self) -> f64 {
        self.quantile_us(0.99)
    }

    pub fn p999(&self) -> f64 {
        self.quantile_us(0.999)
    }

    pub fn all_errors(&self) -> u64 {
        self.errors + self.io_errors
    }
}

/// Sends one request on a fresh connection and returns its status and body; for probes and
/// setup calls.
pub async fn once(addr: SocketAddr, req: Req) -> anyhow::Result<(u16, Bytes)> {
    let mut sender = connect(addr).await?;
    send(&mut sender, &host(addr), &req).await
}

fn host(addr: SocketAddr) -> HeaderValue {
    HeaderValue::try_from(addr.to_string()).expect("an address is header-safe")
}

static JSON: HeaderValue = HeaderValue::from_static("application/json");

type Sender = http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn send(sender: &mut Sender, host: &HeaderValue, req: &Req) -> anyhow::Result<(u16, Bytes)> {
    sender.ready().await?;
    let mut r = Request::new(Full::new(req.body.clone()));
    *r.method_mut() = req.method.clone();
    *r.uri_mut() = req.uri.clone();
    let h = r.headers_mut();
    h.insert(hyper::header::HOST, host.clone());
    h.insert(hyper::header::AUTHORIZATION, req.auth.clone());
    if !req.body.is_empty() {
        h.insert(hyper::header::CONTENT_TYPE, JSON.clone());
    }
    let res = sender.send_request(r).await?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// Drives `make` from `concurrency` connections for `warmup` (not recorded) then `duration`.
/// `ok` says whether a status is the expected answer.
pub async fn run(
    addr: SocketAddr,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    make: MakeReq,
    ok: fn(u16) -> bool,
) -> Stats {
    let seq = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let start = Instant::now() + warmup;
    let end = start + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (make, seq) = (make.clone(), seq.clone());
        tasks.push(tokio::spawn(async move {
            worker(addr, start, end, make, seq, ok).await
        }));
    }
    let mut total = Stats {
        concurrency,
        ..Stats::default()
    };
    for t in tasks {
        let Ok(s) = t.await else { continue };
        total.requests += s.requests;
        total.errors += s.errors;
        total.server_errors += s.server_errors;
        total.io_errors += s.io_errors;
        total.abandoned += s.abandoned;
        if total.first_error.is_none() {
            total.first_error = s.first_error;
        }
        total.latencies.extend(s.latencies);
    }
    total.elapsed = duration;
    total.latencies.sort_unstable();
    total
}

async fn worker(
    addr: SocketAddr,
    start: Instant,
    end: Instant,
    make: MakeReq,
    seq: Arc<std::sync::atomic::AtomicU64>,
    ok: fn(u16) -> bool,
) -> Stats {
    let mut s = Stats {
        latencies: Vec::with_capacity(1 << 14),
        ..Stats::default()
    };
    let host = host(addr);
    let mut sender: Option<Sender> = None;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let conn = match sender.as_mut() {
            Some(c) => c,
            None => match connect(addr).await {
                Ok(c) => sender.insert(c),
                Err(e) => {
                    s.io_errors += 1;
                    s.first_error.get_or_insert_with(|| format!("connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let req = make(seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let t0 = Instant::now();
        // An answer later than this is abandoned (the connection is dropped), so one slow
        // request cannot hold the run open long after its window.
        let give_up = end + (end - start).max(Duration::from_secs(1));
        let result = match tokio::time::timeout_at(give_up.into(), send(conn, &host, &req)).await {
            Ok(r) => r,
            Err(_) => {
                s.abandoned += 1;
                break;
            }
        };
        let t1 = Instant::now();
        // Like wrk: every answer that arrives inside the window counts, with its full latency.
        let counted = t1 >= start && t1 <= end;
        match result {
            Ok((status, body)) => {
                if counted {
                    s.requests += 1;
                    s.latencies.push((t1 - t0).as_nanos() as u64);
                    if !ok(status) {
                        s.errors += 1;
                        if status >= 500 {
                            s.server_errors += 1;
                        }
                        s.first_error
                            .get_or_insert_with(|| describe(&req, status, &body));
                    }
                }
            }
            Err(e) => {
                sender = None;
                if counted {
                    s.io_errors += 1;
                    s.first_error
                        .get_or_insert_with(|| format!("{} {}: {e}", req.method, req.uri));
                }
            }
        }
    }
    s
}

fn describe(req: &Req, status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    format!("{} {} -> {status} {text}", req.method, req.uri)
}

/// A small deterministic generator (splitmix64), so runs pick the same records.
pub fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `assocd-bench load`: loads one URL with GET and prints req/s and latency.
pub fn load_url(
    url: &str,
    concurrency: usize,
    duration: f64,
    token: &str,
    ids: Option<u64>,
) -> anyhow::Result<()> {
    let uri: hyper::Uri = url.replace("{id}", "1").parse()?;
    let auth = uri
        .authority()
        .ok_or_else(|| anyhow::anyhow!("{url}: no host:port"))?;
    let addr: std::net::SocketAddr = auth.as_str().parse()?;
    let auth_header = bearer(token);
    let make: MakeReq = match ids {
        Some(n) => {
            let start = url.find(auth.as_str()).unwrap_or(0) + auth.as_str().len();
            let path = url[start..].to_string();
            Arc::new(move |seq| {
                let id = 1 + mix(seq) % n.max(1);
                Req::get(path.replace("{id}", &id.to_string()), &auth_header)
            })
        }
        None => {
            let req = Req::get(
                uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"),
                &auth_header,
            );
            Arc::new(move |_| req.clone())
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let d = Duration::from_secs_f64(duration);
    let s = rt.block_on(run(addr, concurrency, Duration::ZERO, d, make, |s| s < 500));
    println!(
        "{:.0} req/s, p50 {}, p99 {}, p99.9 {}, errors {}",
        s.rps(),
        crate::report::us(s.p50()),
        crate::report::us(s.p99()),
        crate::report::us(s.p999()),
        s.all_errors()
    );
    Ok(())
}
