//! The real `assocd` binary as a child process: for CLI, restart and crash tests.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_assocd")
}

/// A running `assocd serve`.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// Lines the server printed on stdout before it listened.
    pub banner: Vec<String>,
}

impl Server {
    /// Starts `assocd serve` on a free port with `extra` arguments, waiting until it listens.
    pub fn start(database: &str, extra: &[&str]) -> Server {
        Server::start_logged(database, extra, &[], None)
    }

    /// `start` with extra environment variables and stderr (the log) written to `log`.
    // The child is killed and reaped by `Drop for Server` (or just above on early failure).
    #[allow(clippy::zombie_processes)]
    pub fn start_logged(
        database: &str,
        extra: &[&str],
        env: &[(&str, &str)],
        log: Option<&std::path::Path>,
    ) -> Server {
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("create the log file")),
            None => Stdio::null(),
        };
        let mut child = Command::new(bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start assocd");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut banner = Vec::new();
        loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).unwrap_or(0);
            if n == 0 || Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("assocd exited before listening: {banner:?}");
            }
            if let Some(addr) = line.trim().strip_prefix("assocd listening on http://") {
                let addr = addr.parse().expect("address");
                // Keep draining stdout so the child never blocks on a full pipe.
                std::thread::spawn(move || for _ in reader.lines() {});
                return Server {
                    child,
                    addr,
                    banner,
                };
            }
            banner.push(line.trim().to_string());
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `kill -9`: no chance to flush or shut down.
    pub fn kill9(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("send SIGTERM");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "assocd did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `assocd <args>` to completion and returns stdout (panics on failure).
pub fn run(args: &[&str]) -> String {
    let out = Command::new(bin()).args(args).output().expect("run assocd");
    assert!(
        out.status.success(),
        "assocd {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}
