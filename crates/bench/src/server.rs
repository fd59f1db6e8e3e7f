//! Child processes under test (assocd, the axum ceiling): start on a chosen port, wait for the
//! first successful answer, read resident memory, stop by PID.

use anyhow::{bail, Context};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server process.
pub struct Server {
    pub addr: SocketAddr,
    child: Child,
    /// Wall time from spawn to the first answer the readiness probe accepted.
    pub startup: Duration,
}

/// A free port on 127.0.0.1 (bound then released; the child binds it right after).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The probe that decides a server is up: a request on a new connection that answers `want`.
#[derive(Clone)]
pub struct Probe {
    pub path: String,
    pub token: Option<String>,
    pub want: u16,
}

impl Server {
    /// Spawns `cmd` (which must listen on `addr`) and polls `probe` every 0.5 ms until it
    /// answers, for at most `timeout`. Output goes to `log`.
    pub fn start(
        mut cmd: Command,
        addr: SocketAddr,
        probe: &Probe,
        log: &Path,
        timeout: Duration,
    ) -> anyhow::Result<Server> {
        let out = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        let t0 = Instant::now();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {cmd:?}"))?;
        loop {
            if let Ok(status) = probe_once(addr, probe) {
                if status == probe.want {
                    let startup = t0.elapsed();
                    return Ok(Server {
                        addr,
                        child,
                        startup,
                    });
                }
            }
            if let Some(st) = child.try_wait()? {
                bail!(
                    "{cmd:?} exited with {st} before answering; log: {}",
                    tail(log)
                );
            }
            if t0.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "{cmd:?} did not answer within {timeout:?}; log: {}",
                    tail(log)
                );
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in bytes (VmRSS of /proc/<pid>/status).
    pub fn rss(&self) -> Option<u64> {
        rss_of(self.pid())
    }

    /// SIGTERM (graceful shutdown), then SIGKILL after 15 s.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let pid = self.pid().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(15) {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// VmRSS of a process, in bytes.
/// CPU time the process has used so far, in nanoseconds: the sum of its threads' run time
/// (`/proc/<pid>/task/*/schedstat`, first field). Threads that already ended are not counted;
/// a server's workers live as long as it does.
pub fn cpu_ns(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

pub fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// One blocking HTTP/1.1 request with `Connection: close`; returns the status code.
fn probe_once(addr: SocketAddr, probe: &Probe) -> anyhow::Result<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(200))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    let auth = probe
        .token
        .as_ref()
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n",
        probe.path
    )?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head)?;
    let text = std::str::from_utf8(&head)?;
    Ok(text.get(9..12).unwrap_or("0").parse()?)
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut start = text.len().saturating_sub(600);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

/// The assocd binary beside this one (both live in `target/release`), brought up to date with
/// `cargo build --release -p assocd` in `repo` (a no-op when it is current). When cargo fails
/// (another change in progress does not compile) an existing binary is used, with a warning.
pub fn assocd_binary(repo: &Path) -> anyhow::Result<PathBuf> {
    let path = std::env::current_exe()?.with_file_name("assocd");
    let built = Command::new("cargo")
        .args(["build", "--release", "-p", "assocd"])
        .current_dir(repo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !built {
        if !path.exists() {
            bail!(
                "cargo build --release -p assocd failed and {} does not exist",
                path.display()
            );
        }
        note!(
            "cargo build --release -p assocd failed; using the existing {}",
            path.display()
        );
    }
    Ok(path)
}

/// The command that starts assocd on `database`, listening on `addr`.
pub fn assocd_command(bin: &Path, database: &str, addr: SocketAddr, token: &str) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args([
        "serve",
        "--listen",
        &addr.to_string(),
        "--database",
        database,
        "--bootstrap-token",
        token,
    ]);
    cmd
}

/// Samples a process's VmRSS every 50 ms on a thread of its own and keeps the largest value.
pub struct RssSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: std::thread::JoinHandle<u64>,
}

impl RssSampler {
    pub fn start(pid: u32) -> RssSampler {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut max = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                max = max.max(rss_of(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(50));
            }
            max
        });
        RssSampler { stop, handle }
    }

    /// Stops sampling; the largest VmRSS seen, in bytes.
    pub fn finish(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.handle.join().unwrap_or(0)
    }
}
