//! Shared by the process-level tests (`replicas`, `dump`): the real `assocd` binary started as
//! a child process, fresh PostgreSQL databases, and a throwaway PostgreSQL server of our own
//! for tests that stop and start the database.
#![allow(dead_code)]

use reqwest::Method;
use serde_json::Value;
use sqlx::Connection;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_assocd");
pub const TOKEN: &str = "pat-replica-test";
pub const PORTAL: i64 = 4242;

/// The PostgreSQL server to create test databases on: `ASSOCD_TEST_DATABASE_URL` (when it is a
/// PostgreSQL URL), else `ASSOCD_TEST_POSTGRES_URL`, else the usual local one. `None` (with the
/// reason printed) when none answers: the caller skips.
pub async fn postgres_admin_url() -> Option<String> {
    let candidates = [
        std::env::var("ASSOCD_TEST_DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres")),
        std::env::var("ASSOCD_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty()),
        Some("postgres://postgres@127.0.0.1:5432/postgres".to_string()),
    ];
    for url in candidates.into_iter().flatten() {
        let connect = sqlx::PgConnection::connect(&url);
        if let Ok(Ok(conn)) = tokio::time::timeout(Duration::from_secs(5), connect).await {
            let _ = conn.close().await;
            return Some(url);
        }
    }
    eprintln!("SKIPPED: no PostgreSQL server answers (set ASSOCD_TEST_POSTGRES_URL or run scripts/ensure-postgres.sh)");
    None
}

/// Creates a fresh database on the server of `admin_url` and returns its URL.
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    let name = format!("assocd_proc_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or_else(|| admin_url.to_string());
    format!("{base}/{name}")
}

/// Runs `assocd ARGS` to completion with `stdin` as its input.
pub fn run_assocd(args: &[&str], stdin: Option<&Path>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env("RUST_LOG", "warn");
    cmd.stdin(match stdin {
        Some(p) => Stdio::from(std::fs::File::open(p).expect("open stdin file")),
        None => Stdio::null(),
    });
    cmd.output().expect("run assocd")
}

/// Like `run_assocd` but asserts success and returns stdout.
pub fn assocd_ok(args: &[&str], stdin: Option<&Path>) -> String {
    let out = run_assocd(args, stdin);
    assert!(
        out.status.success(),
        "assocd {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// A running `assocd serve`, killed when dropped. Its log goes to a file, shown by `log()`.
pub struct Server {
    child: Child,
    pub base: String,
    log_path: PathBuf,
    _log_dir: tempfile::TempDir,
    pub client: reqwest::Client,
}

impl Server {
    /// Starts `assocd serve` on a free port with the test token for `PORTAL`, plus `extra` flags,
    /// and waits until it listens.
    pub fn start(database: &str, extra: &[&str]) -> Server {
        Self::try_start(database, extra)
            .unwrap_or_else(|log| panic!("assocd serve did not start:\n{log}"))
    }

    /// `start`, returning the log instead of panicking when the server exits early.
    pub fn try_start(database: &str, extra: &[&str]) -> Result<Server, String> {
        let log_dir = tempfile::tempdir().expect("temp dir");
        let log_path = log_dir.path().join("assocd.log");
        let log = std::fs::File::create(&log_path).expect("log file");
        let portal = PORTAL.to_string();
        let mut args = vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database,
            "--bootstrap-token",
            TOKEN,
            "--portal",
            &portal,
        ];
        args.extend_from_slice(extra);
        let mut child = Command::new(BIN)
            .args(&args)
            .env(
                "RUST_LOG",
                std::env::var("ASSOCD_TEST_SERVER_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn assocd");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("assocd listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(std::fs::read_to_string(&log_path).unwrap_or_default());
            }
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        Ok(Server {
            child,
            base,
            log_path,
            _log_dir: log_dir,
            client,
        })
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// One request with the test token; the status and the JSON body (`Null` when empty).
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.call_as(TOKEN, method, path, body).await
    }

    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The directory holding `initdb` and `pg_ctl`: on PATH or under /usr/lib/postgresql.
fn postgres_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A PostgreSQL server of this test alone (initdb in a temporary folder, a free port), so it
/// can be stopped and started without disturbing anyone. Stopped and removed when dropped.
pub struct ThrowawayPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// The OS user that runs it when we are root (initdb refuses root).
    user: Option<String>,
    pub port: u16,
}

impl ThrowawayPostgres {
    /// Creates and starts one; `Err(reason)` when this machine cannot (the caller skips).
    pub fn start_new() -> Result<ThrowawayPostgres, String> {
        let bin =
            postgres_bin_dir().ok_or("no initdb/pg_ctl on PATH or under /usr/lib/postgresql")?;
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0\n"))
            .unwrap_or(false);
        let user = if is_root {
            let exists = Command::new("id")
                .arg("postgres")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if !exists.is_ok_and(|s| s.success()) {
                return Err(
                    "running as root and there is no `postgres` user to run initdb as".into(),
                );
            }
            Some("postgres".to_string())
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("assocd-pg-test")
            .tempdir()
            .map_err(|e| e.to_string())?;
        if let Some(u) = &user {
            let ok = Command::new("chown")
                .arg(u)
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err(format!("cannot chown {} to {u}", dir.path().display()));
            }
        }
        let pg = ThrowawayPostgres {
            dir,
            bin,
            user,
            port: free_port(),
        };
        let data = pg.data_dir();
        let init = pg
            .command("initdb")
            .args([
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if !init.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&init.stderr)
            ));
        }
        pg.start()
            .map_err(|e| format!("the throwaway server did not start: {e}"))?;
        Ok(pg)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        match &self.user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        }
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the server (again) on the same port and data.
    pub fn start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        let out = self
            .command("pg_ctl")
            .args([
                "-D",
                self.data_dir().to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ])
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            ))
        }
    }

    /// Stops the server like a crash would (`immediate`: no shutdown checkpoint; the next start
    /// recovers from the write-ahead log).
    pub fn stop(&self) {
        let out = self
            .command("pg_ctl")
            .args([
                "-D",
                self.data_dir().to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .output()
            .expect("run pg_ctl stop");
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args([
                "-D",
                self.data_dir().to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Polls `check` until it returns true or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = Instant::now() + within;
    while Instant::now() < until {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}
