#!/usr/bin/env python3
"""Drives a real assocd with Schemathesis from HubSpot's own OpenAPI documents.

Starts assocd on a free port (fresh SQLite file unless ASSOCD_TEST_DATABASE_URL is set),
creates a fixture of real data through the API (labels, limits, associations between records),
then runs `st run` once per association document of ../shared/hubspot-openapi/, once from the
webhooks management document (webhooks-v3.json: the app's developer key as `hapikey`) and once against
assocd's own /openapi.json (no exclusions there), with a fixed seed and a bounded number of
cases per operation. Prints the figures of each run and a closing line
`schemathesis: N passed, M failed` counting documents.

Usage: run.py [--bin PATH] [--max-examples N] [--seed N] [--only NAME] [--report-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import deviations  # noqa: E402
import oauth_recipes  # noqa: E402

REPO = HERE.parents[1]
DOCS = REPO.parent / "shared" / "hubspot-openapi"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, token: str, method: str, path: str, body=None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def seed(base: str, token: str) -> dict:
    """Real data for the run: labels, a limit, and associations among a pool of records."""
    types = ["contacts", "companies", "deals", "tickets", "0-1", "0-2", "0-3"]
    records = [str(n) for n in range(101, 113)]
    linked = records[:6]
    type_ids = [1, 2, 3, 4, 279, 280, 341, 342]

    def ok(status, body, what):
        if status >= 300:
            raise SystemExit(f"fixture: {what} answered {status}: {body}")
        return body

    for n, (f, t) in enumerate([("contacts", "companies"), ("deals", "contacts")]):
        created = ok(*call(base, token, "POST", f"/crm/v4/associations/{f}/{t}/labels",
                           {"label": f"Fixture {n}", "inverseLabel": f"Fixture {n} inverse", "name": f"fixture_{n}"}),
                     "label create")
        type_ids += [r["typeId"] for r in created["results"]]
    ok(*call(base, token, "POST", "/crm/v4/associations/definitions/configurations/deals/contacts/batch/create",
             {"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "maxToObjectIds": 40}]}), "limit create")
    for f, t in [("contacts", "companies"), ("deals", "contacts"), ("contacts", "deals"), ("tickets", "contacts")]:
        inputs = [{"from": {"id": a}, "to": {"id": b}} for a in linked for b in linked if a != b]
        ok(*call(base, token, "POST", f"/crm/v4/associations/{f}/{t}/batch/associate/default", {"inputs": inputs}),
           "associate default")
    return {"objectTypes": types, "recordIds": records, "linkedIds": linked, "typeIds": sorted(set(type_ids)),
            "userIds": [1, 2, 3]}


#: The app whose developer key reaches the webhooks management operations of assocd's own
#: document (loaded as a fixture at start).
APP_ID, APP_KEY = 61, "schemathesis-dev-" + secrets.token_hex(8)


def app_fixture(tmp: Path, portal: int) -> Path:
    doc = {"apps": [{"appId": APP_ID, "clientSecret": oauth_recipes.CLIENT_SECRET, "developerApiKey": APP_KEY,
                     "portals": [portal], "clientId": oauth_recipes.CLIENT_ID,
                     "redirectUris": [oauth_recipes.REDIRECT], "scopes": oauth_recipes.SCOPE.split(),
                     "webhooks": {"targetUrl": "http://127.0.0.1:9/schemathesis", "maxConcurrentRequests": 2,
                                  "subscriptions": [{"eventType": "contact.associationChange"},
                                                    {"eventType": "deal.associationChange"},
                                                    {"eventType": "object.associationChange", "objectTypeId": "0-5"}]}}]}
    path = tmp / "apps.json"
    path.write_text(json.dumps(doc))
    return path


def app_ids(base: str, portal: int) -> dict:
    """What the webhooks operations need (the app, its key, its subscriptions' ids) and what
    the OAuth operations need (tokens of the app in `portal`)."""
    with urllib.request.urlopen(f"{base}/webhooks/v3/{APP_ID}/subscriptions?hapikey={APP_KEY}", timeout=30) as r:
        subscriptions = [int(s["id"]) for s in json.loads(r.read())["results"]]
    oauth = {"portal": portal, **oauth_recipes.tokens(base, portal)}
    return {"appId": APP_ID, "developerApiKey": APP_KEY, "subscriptionIds": subscriptions, "oauth": oauth}


def start(binary: Path, tmp: Path, token: str, portal: int) -> tuple[subprocess.Popen, str, str]:
    port = free_port()
    db = os.environ.get("ASSOCD_TEST_DATABASE_URL") or f"sqlite://{tmp / 'assocd.sqlite'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSOCD_")}
    env.setdefault("RUST_LOG", "warn")
    log = open(tmp / "assocd.log", "wb")
    proc = subprocess.Popen(
        [str(binary), "serve", "--listen", f"127.0.0.1:{port}", "--database", db,
         "--bootstrap-token", token, "--portal", str(portal), "--fixtures", str(app_fixture(tmp, portal))],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return proc, base, db
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"assocd did not start:\n{(tmp / 'assocd.log').read_text(errors='replace')}")
            time.sleep(0.1)


def portal_token(binary: Path, db: str, portal: int) -> str:
    """A fresh portal for one document's run (`assocd token create`, all scopes)."""
    out = subprocess.run([str(binary), "token", "create", "--portal", str(portal), "--database", db],
                         capture_output=True, text=True, timeout=60, check=True)
    return [line.strip() for line in out.stdout.splitlines() if line.strip()][-1]


def run_one(st: Path, location: str, base: str, token: str, args, env: dict, cwd: Path) -> dict:
    cmd = [str(st), "run", location, "--url", base, "-H", f"Authorization: Bearer {token}",
           "--checks", CHECKS, "--seed", str(args.seed), "--max-examples", str(args.max_examples),
           "--phases", "examples,coverage,fuzzing", "--workers", "1", "--no-shrink",
           "--suppress-health-check", "all", "--warnings", "off"]
    started = time.monotonic()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd)
    text = out.stdout
    figure = lambda pattern: int(m.group(1)) if (m := re.search(pattern, text)) else 0
    return {"rc": out.returncode, "stdout": text, "stderr": out.stderr,
            "seconds": time.monotonic() - started,
            "operations": figure(r"Tested: (\d+)"), "cases": figure(r"(\d+) generated"),
            "failures": figure(r"found (\d+) unique failure")}


def operations_of(document: dict) -> list[tuple[str, str]]:
    return [(m.upper(), p) for p, item in document["paths"].items() for m in item
            if m in ("get", "put", "post", "delete", "patch")]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.environ.get("ASSOCD_BIN") or str(REPO / "target" / "debug" / "assocd"))
    p.add_argument("--max-examples", type=int, default=20)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--only", default=None)
    p.add_argument("--out", default=str(REPO / "target" / "coverage"),
                   help="where the answers seen per operation are written (docs/coverage.md reads them)")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    st = Path(sys.executable).parent / "st"
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    docs = sorted(DOCS.glob("associations-*.json")) + [DOCS / "webhooks-v3.json"]
    targets = [(d.name, d) for d in docs] + [("assocd /openapi.json", None)]
    if args.only:
        targets = [t for t in targets if args.only in t[0]]
    token = "schemathesis-" + secrets.token_hex(8)
    tmp = Path(tempfile.mkdtemp(prefix="assocd-st-"))
    proc, base, db = start(Path(args.bin), tmp, token, 7141)
    failed = passed = 0
    rows, seen = [], []
    started = time.monotonic()
    try:
        with urllib.request.urlopen(base + "/openapi.json", timeout=30) as r:
            own = json.loads(r.read())
        (out_dir / "assocd-openapi.json").write_text(json.dumps(own, indent=1))
        for n, (name, path) in enumerate(targets):
            # Each document gets a fresh portal with the same fixture.
            token = portal_token(Path(args.bin), db, 7200 + n)
            (tmp / "fixture.json").write_text(json.dumps({**seed(base, token), **app_ids(base, 7141)}))
            tally = tmp / "tally.json"
            tally.unlink(missing_ok=True)
            env = dict(os.environ, SCHEMATHESIS_HOOKS="hooks", ASSOCD_FIXTURE=str(tmp / "fixture.json"),
                       ASSOCD_TALLY=str(tally), ASSOCD_BASE=base, ASSOCD_TOKEN=token, PYTHONPATH=str(HERE), NO_COLOR="1", COLUMNS="200")
            if path is None:
                env["ASSOCD_DEVIATIONS"] = "none"
            r = run_one(st, str(path) if path else base + "/openapi.json", base, token, args, env, tmp)
            document = json.loads(path.read_text()) if path else own
            t = json.loads(tally.read_text()) if tally.exists() else {"answers": [], "excluded": {}}
            # A redirect is the success of `GET /oauth/authorize`.
            ok_ops = {(m, p) for m, p, status, _ in t["answers"]
                      if 200 <= status < 300 or (p == "/oauth/authorize" and status == 302)}
            unreached = [f"{m} {p}" for m, p in operations_of(document) if (m, p) not in ok_ops]
            excluded = {deviations.RULES[int(i)].compat + f" ({deviations.RULES[int(i)].describe()})": n
                        for i, n in t["excluded"].items()}
            ok = r["rc"] == 0 and not unreached
            passed += ok
            failed += not ok
            rows.append((name, r, excluded, unreached, ok))
            seen += [[name, m, p, status, n] for m, p, status, n in t["answers"]]
            print(f"--- {name}: {r['operations']} operations, {r['cases']} cases, {r['failures']} failures, "
                  f"{len(excluded) and sum(excluded.values())} excluded by rules, {r['seconds']:.1f}s"
                  + ("" if ok else f"  FAILED (exit {r['rc']})"), flush=True)
            for rule, n in excluded.items():
                print(f"      excluded {n}: {rule}")
            for op in unreached:
                print(f"      no 2xx answer from {op} (requests do not reach the handler)")
            if args.verbose or r["rc"] != 0:
                print(r["stdout"][-30000:])
                print(r["stderr"][-5000:])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    (out_dir / "schemathesis.json").write_text(json.dumps(seen))
    total = sum(r["cases"] for _, r, *_ in rows)
    print(f"schemathesis run: {len(rows)} documents, {total} cases, seed {args.seed}, "
          f"{time.monotonic() - started:.0f}s")
    print(f"schemathesis: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
