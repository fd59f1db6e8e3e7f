"""Fixtures that run a real assocd process and hand out HubSpot client objects.

The suite talks to the server only through HubSpot's official Python client
(`hubspot-api-client`), exactly as a HubSpot integration would, with the
client's `host` pointed at the local server.

Environment:
  ASSOCD_BIN                 path of the assocd binary (default <repo>/target/debug/assocd)
  ASSOCD_TEST_DATABASE_URL   database URL to use instead of a fresh SQLite file
  CONFORMANCE_LOG_DIR        keep the server's log here (python-assocd.log) and append every
                             token the suite uses to tokens.txt, for scripts/conformance.sh's
                             check that no token reaches a log
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from hubspot import HubSpot

from helpers import random_portal

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 30.0


def assocd_bin() -> Path:
    return Path(os.environ.get("ASSOCD_BIN") or REPO / "target" / "debug" / "assocd")


def database_url(tmpdir: Path) -> str:
    """SQLite in `tmpdir` unless the caller injects another database."""
    injected = os.environ.get("ASSOCD_TEST_DATABASE_URL")
    if injected:
        return injected
    return f"sqlite://{Path(tmpdir) / 'assocd.sqlite'}"


def log_dir() -> Path | None:
    d = os.environ.get("CONFORMANCE_LOG_DIR")
    if not d:
        return None
    Path(d).mkdir(parents=True, exist_ok=True)
    return Path(d)


def remember_token(token: str) -> None:
    """Notes a token the suite used, for the log check (when CONFORMANCE_LOG_DIR is set)."""
    d = log_dir()
    if d is not None:
        with open(d / "tokens.txt", "a", encoding="utf-8") as f:
            f.write(token + "\n")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base_url: str
    database: str
    token: str
    portal: int
    log: Path
    admin_token: str

    def admin(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        """A control-plane call (`/_assocd/...`) with the admin token: (status, JSON body)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.admin_token}")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, (json.loads(raw) if raw else None)

    def create_token(self, portal: int, scopes: list[str] | None = None) -> str:
        """`assocd token create`; the new token is the last line of stdout."""
        cmd = [str(assocd_bin()), "token", "create", "--portal", str(portal), "--database", self.database]
        for s in scopes or []:
            cmd += ["--scope", s]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        lines = [l.strip() for l in out.stdout.splitlines() if l.strip()]
        if not lines:
            raise RuntimeError(f"{' '.join(cmd)} printed no token:\n{out.stderr}")
        remember_token(lines[-1])
        return lines[-1]

    def client(self, token: str) -> HubSpot:
        return make_client(self.base_url, token)


def make_client(base_url: str, token: str) -> HubSpot:
    # HubSpot(**kwargs) copies every keyword onto each API's Configuration
    # (discovery_base._default_api_factory does setattr(configuration, key, value)),
    # and Configuration.host's setter replaces the https://api.hubapi.com base path.
    return HubSpot(access_token=token, host=base_url)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def save_journal(base: str, admin: str, name: str = "python.json") -> None:
    """Leaves the requests the server answered (method, path, status) in target/coverage for
    docs/coverage.md (scripts/coverage.py), read from the control plane's request journal."""
    req = urllib.request.Request(base + "/_assocd/requests?limit=1000000",
                                 headers={"Authorization": f"Bearer {admin}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        entries = [[e["method"], e["path"], e["status"]] for e in json.loads(r.read())["results"]]
    out = REPO / "target" / "coverage"
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(entries))


def start_server(tmp: Path, extra: list[str] | None = None, journal: bool = True,
                 journal_name: str = "python.json"):
    """Starts `assocd serve` on a free port (plus `extra` flags); a generator that yields the
    `Server` and stops the process when resumed. `journal`: leave its requests for
    docs/coverage.md, in target/coverage/`journal_name`."""
    binary = assocd_bin()
    if not binary.is_file():
        pytest.fail(f"assocd binary not found at {binary} (build it, or set ASSOCD_BIN)", pytrace=False)
    db = database_url(tmp)
    port = free_port()
    token = "conformance-" + secrets.token_hex(16)
    admin = "admin-" + secrets.token_hex(16)
    remember_token(token)
    remember_token(admin)
    portal = random_portal()
    log = (log_dir() or tmp) / "python-assocd.log"
    cmd = [
        str(binary), "serve",
        "--listen", f"127.0.0.1:{port}",
        "--database", db,
        "--bootstrap-token", token,
        "--portal", str(portal),
        "--admin-token", admin,
        "--journal-size", "1000000",
        "--log-format", "json",
        *(extra or []),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSOCD_")}
    env.setdefault("RUST_LOG", "info")
    with open(log, "wb") as logf:
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not _healthy(base):
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            pytest.fail(
                f"assocd did not become healthy at {base} (exit={proc.returncode}); command: {' '.join(cmd)}\n"
                f"--- log ---\n{log.read_text(errors='replace')}",
                pytrace=False,
            )
        time.sleep(0.1)
    try:
        yield Server(base_url=base, database=db, token=token, portal=portal, log=log, admin_token=admin)
        if journal:
            save_journal(base, admin, journal_name)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    yield from start_server(tmp_path_factory.mktemp("assocd"))


@pytest.fixture
def portal(server) -> tuple[int, str]:
    """A fresh portal (empty data) and an all-scopes token for it."""
    p = random_portal()
    return p, server.create_token(p)


@pytest.fixture
def client(server, portal) -> HubSpot:
    return server.client(portal[1])
