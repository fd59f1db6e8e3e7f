#!/usr/bin/env python3
"""Builds docs/coverage.md: one row per operation and path family of HubSpot's association
documents (../shared/hubspot-openapi/associations-*.json), OAuth documents (oauth-*.json) and the
webhooks management document (webhooks-v3.json), plus the /crm/v4 schema family the
official clients call (it has no document of its own), with:

- served: the operation is in assocd's own /openapi.json (target/coverage/assocd-openapi.json,
  saved by the Schemathesis run);
- black-box: the operation's key is in the smoke list of crates/server/tests/api/families.rs,
  whose test sends every row a valid request and checks the family's success code;
- Python / Node: HubSpot's official client suites got a 2xx from it (target/coverage/python.json,
  node-*.json: the requests their servers answered, from assocd's request journal);
- Schemathesis: the run from that document (or from assocd's own, for the /crm/v4 schema family)
  got a 2xx from it (target/coverage/schemathesis.json);
- deviations: the exclusion rules of conformance/schemathesis/deviations.py that apply to it.

Usage: scripts/coverage.py [--check]   (--check: exit 1 when docs/coverage.md is stale)
Run scripts/conformance.sh and scripts/schemathesis.sh first (scripts/test.sh does). Stdlib only.
"""

from __future__ import annotations

import difflib
import glob
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO.parent / "shared" / "hubspot-openapi"
RUNS = REPO / "target" / "coverage"
OUT = REPO / "docs" / "coverage.md"
sys.path.insert(0, str(REPO / "conformance" / "schemathesis"))
import deviations  # noqa: E402  (no third-party import at module level)

ORDER = ["S1", "S2", "S3", "S4", "C1", "C2", "C3", "C4", "C5",
         "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "U1", "Q1"]
NAMES = {
    "S1": "list labels", "S2": "create label", "S3": "rename label", "S4": "delete label",
    "C1": "read all limits", "C2": "read a pair's limits", "C3": "create limits",
    "C4": "update limits", "C5": "purge limits", "R1": "list a record's associations",
    "R2": "associate with labels", "R3": "remove associations", "R4": "associate (default)",
    "R5": "batch create", "R6": "batch read", "R7": "batch archive", "R8": "batch archive labels",
    "R9": "batch associate (default)", "U1": "high-usage report", "Q1": "search records",
}
FAMILIES = ["v4", "v4-alt", "2025-09", "2026-03", "2026-09"]


def key_of(method: str, t: str) -> str:
    """The operation key of `method template` (the same rules as families.rs)."""
    if t.endswith("/labels"):
        return {"GET": "S1", "POST": "S2"}.get(method, "S3")
    if t.endswith("/labels/{associationTypeId}"):
        return "S4"
    if t.endswith("/definitions/configurations/all"):
        return "C1"
    if "/definitions/configurations/" in t:
        return {"create": "C3", "update": "C4", "purge": "C5"}.get(t.rsplit("/", 1)[1], "C2")
    if "/associations/default/" in t:
        return "R4"
    if t.endswith("/associations/{toObjectType}"):
        return "R1"
    if method == "PUT" and t.endswith("/{toObjectId}"):
        return "R2"
    if method == "DELETE":
        return "R3"
    for suffix, key in [("/batch/create", "R5"), ("/batch/read", "R6"), ("/batch/labels/archive", "R8"),
                        ("/batch/archive", "R7"), ("/batch/associate/default", "R9"), ("/search", "Q1")]:
        if t.endswith(suffix):
            return key
    if "/usage/high-usage-report/" in t:
        return "U1"
    raise SystemExit(f"coverage: no operation key for {method} {t}")


def family_of(t: str) -> str:
    if t.startswith("/crm/v4/"):
        return "v4"
    if t.startswith("/crm/associations/v4/"):
        return "v4-alt"
    return t.split("/")[3]


def methods(item: dict):
    return [(m.upper(), op) for m, op in item.items() if m in ("get", "put", "post", "delete", "patch")]


def resolve(doc: dict, schema, seen=frozenset()):
    """Every (property name, declared type) reachable from `schema` in `doc`."""
    out = set()
    if not isinstance(schema, dict):
        return out
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[1]
        if name in seen:
            return out
        return resolve(doc, doc["components"]["schemas"].get(name, {}), seen | {name})
    for name, prop in (schema.get("properties") or {}).items():
        out.add((name, prop.get("type")))
        out |= resolve(doc, prop, seen)
    for k in ("items", "additionalProperties"):
        out |= resolve(doc, schema.get(k), seen)
    return out


def rows() -> list[dict]:
    out = []
    for path in sorted(DOCS.glob("associations-*.json")):
        doc = json.loads(path.read_text())
        for template, item in doc["paths"].items():
            for method, op in methods(item):
                codes = sorted(c for c in op["responses"] if c.isdigit())
                props = set()
                for c in codes:
                    for media in (op["responses"][c].get("content") or {}).values():
                        props |= resolve(doc, media.get("schema"))
                row = {"doc": path.name, "method": method, "template": template, "codes": codes, "props": props}
                out.append(row)
                if template.startswith("/crm/associations/v4/"):
                    alias = dict(row, doc="(none: the clients' path)",
                                 template="/crm/v4/associations" + template[len("/crm/associations/v4"):])
                    out.append(alias)
    for r in out:
        r["key"], r["family"] = key_of(r["method"], r["template"]), family_of(r["template"])
    out.sort(key=lambda r: (FAMILIES.index(r["family"]), ORDER.index(r["key"])))
    return out


def matches(template: str, path: str) -> int:
    """How many literal segments of `template` match `path` (-1: no match)."""
    t, p = template.split("/"), path.split("?")[0].split("/")
    if len(t) != len(p):
        return -1
    literal = 0
    for a, b in zip(t, p):
        if a.startswith("{") and a.endswith("}"):
            if not b:
                return -1
        elif a != b:
            return -1
        else:
            literal += 1
    return literal


def succeeded(entries, templates) -> set[tuple[str, str]]:
    """(method, template) of every entry answered 2xx, each path matched to its most literal
    template (`/definitions/configurations/all` is not a `{from}/{to}` pair)."""
    by_method = {}
    for m, t in templates:
        by_method.setdefault(m, []).append(t)
    hit = set()
    for method, path, status in entries:
        if not 200 <= status < 300:
            continue
        scored = [(matches(t, path), t) for t in by_method.get(method, [])]
        scored = [s for s in scored if s[0] >= 0]
        if scored:
            hit.add((method, max(scored)[1]))
    return hit


def load(name: str):
    files = sorted(glob.glob(str(RUNS / name)))
    if not files:
        raise SystemExit(f"coverage: {RUNS / name} is missing: run scripts/conformance.sh and "
                         "scripts/schemathesis.sh first (scripts/test.sh does)")
    return [e for f in files for e in json.loads(Path(f).read_text())]


def smoke_keys() -> set[str]:
    text = (REPO / "crates/server/tests/api/families.rs").read_text()
    m = re.search(r"const SMOKE: \[&str; \d+\] = \[(.*?)\];", text, re.S)
    return set(re.findall(r'"(\w\d)"', m.group(1))) if m else set()


def deviations_of(row) -> list[str]:
    notes = []
    for rule in deviations.RULES:
        if (isinstance(rule, deviations.FieldKind) and (rule.field, rule.declared) in row["props"]
                and rule.applies_to(row["template"])):
            notes.append(f"`{rule.field}` {rule.kind}")
        if isinstance(rule, deviations.StatusBody) and (rule.method, rule.path) == (row["method"], row["template"]):
            notes.append(f"{rule.status} (document: {', '.join(c for c in row['codes'])})")
    return notes


OAUTH_VERSIONS = ["v1", "v3", "2026-03", "2026-09"]


def oauth_rows() -> list[dict]:
    """One row per operation of HubSpot's OAuth documents (`oauth-*.json`)."""
    out = []
    for path in sorted(DOCS.glob("oauth-*.json")):
        doc = json.loads(path.read_text())
        for template, item in doc["paths"].items():
            for method, op in methods(item):
                codes = sorted(c for c in op["responses"] if c.isdigit())
                out.append({"doc": path.name, "method": method, "template": template, "codes": codes})
    out.sort(key=lambda r: (OAUTH_VERSIONS.index(r["template"].split("/")[2]), r["template"], r["method"]))
    return out


def render_oauth(served, python_entries, node_entries) -> tuple[str, list[dict]]:
    rows_ = oauth_rows()
    templates = {(r["method"], r["template"]) for r in rows_}
    python = succeeded(python_entries, templates)
    node = succeeded(node_entries, templates)
    yes = lambda b: "yes" if b else "–"  # noqa: E731
    lines, counts = [], {"served": 0, "Python": 0, "Node": 0}
    for r in rows_:
        k = (r["method"], r["template"])
        cells = {"served": k in served, "Python": k in python, "Node": k in node}
        for c, v in cells.items():
            counts[c] += v
        r["served"] = cells["served"]
        lines.append(f"| {r['template'].split('/')[2]} | `{r['method']} {r['template']}` | {', '.join(r['codes']) or '–'} | "
                     + " | ".join(yes(v) for v in cells.values()) + " |")
    n = len(rows_)
    head = f"""
## OAuth operations

One row per operation of HubSpot's OAuth documents (`../shared/hubspot-openapi/oauth-*.json`):
{n} rows. Served: {counts['served']} of {n}. `GET /oauth/authorize` (HubSpot serves it on
app.hubspot.com, in no document) is served too. The black-box tests (`crates/server/tests/api/oauth`,
SQLite and PostgreSQL) call every row. Python: {counts['Python']} rows, Node: {counts['Node']} rows
(HubSpot's clients call only the v1 paths; `conformance/*/…oauth…`).

| version | method and path | codes | served | Python | Node |
|---|---|---|---|---|---|
"""
    return head + "\n".join(lines) + "\n", rows_


def render_webhooks(served, python_entries, node_entries, st_entries) -> tuple[str, list[dict]]:
    """One row per operation of HubSpot's webhooks management document (`webhooks-v3.json`)."""
    path = DOCS / "webhooks-v3.json"
    doc = json.loads(path.read_text())
    rows_ = []
    for template, item in doc["paths"].items():
        for method, op in methods(item):
            codes = sorted(c for c in op["responses"] if c.isdigit())
            props = set()
            for c in codes:
                for media in (op["responses"][c].get("content") or {}).values():
                    props |= resolve(doc, media.get("schema"))
            rows_.append({"doc": path.name, "method": method, "template": template, "codes": codes, "props": props})
    templates = {(r["method"], r["template"]) for r in rows_}
    python = succeeded(python_entries, templates)
    node = succeeded(node_entries, templates)
    st = {(m, t) for d, m, t, status, _ in st_entries if d == path.name and 200 <= status < 300}
    yes = lambda b: "yes" if b else "–"  # noqa: E731
    lines, counts = [], {"served": 0, "Python": 0, "Node": 0, "Schemathesis": 0}
    for r in rows_:
        k = (r["method"], r["template"])
        cells = {"served": k in served, "Python": k in python, "Node": k in node, "Schemathesis": k in st}
        for c, v in cells.items():
            counts[c] += v
        r["served"] = cells["served"]
        lines.append(f"| `{r['method']} {r['template']}` | {', '.join(r['codes']) or '–'} | "
                     + " | ".join(yes(v) for v in cells.values())
                     + f" | {'; '.join(deviations_of(r)) or '–'} |")
    n = len(rows_)
    head = f"""
## Webhooks management operations

One row per operation of HubSpot's webhooks management document
(`../shared/hubspot-openapi/webhooks-v3.json`, authenticated by an app's developer key as
`hapikey`): {n} rows. Served: {counts['served']} of {n}. The black-box tests
(`crates/server/tests/api/webhooks/management.rs`, SQLite and PostgreSQL) call every row.
Python: {counts['Python']} rows (HubSpot's Python client, `conformance/python/tests/test_webhooks_management.py`),
Node: {counts['Node']} rows, Schemathesis: {counts['Schemathesis']} rows (the run from this document).

| method and path | codes | served | Python | Node | Schemathesis | deviations |
|---|---|---|---|---|---|---|
"""
    return head + "\n".join(lines) + "\n", rows_


def render() -> tuple[str, list[dict]]:
    all_rows = rows()
    templates = {(r["method"], r["template"]) for r in all_rows}
    own = json.loads((RUNS / "assocd-openapi.json").read_text())
    served = {(m, t) for t, item in own["paths"].items() for m, _ in methods(item)}
    python_entries = [tuple(e) for e in load("python*.json")]
    node_entries = [tuple(e) for e in load("node-*.json")]
    python = succeeded(python_entries, templates)
    node = succeeded(node_entries, templates)
    st = {(m, t) for _, m, t, status, _ in load("schemathesis.json") if 200 <= status < 300}
    smoke = smoke_keys()
    yes = lambda b: "yes" if b else "–"  # noqa: E731
    lines = []
    counts = {"served": 0, "black-box": 0, "Python": 0, "Node": 0, "Schemathesis": 0}
    for r in all_rows:
        k = (r["method"], r["template"])
        cells = {"served": k in served, "black-box": r["key"] in smoke and k in served,
                 "Python": k in python, "Node": k in node, "Schemathesis": k in st}
        for c, v in cells.items():
            counts[c] += v
        r["served"] = cells["served"]
        success = ", ".join(r["codes"])
        lines.append(f"| {r['key']} {NAMES[r['key']]} | {r['family']} | `{r['method']} {r['template']}` | {success} | "
                     + " | ".join(yes(v) for v in cells.values())
                     + f" | {'; '.join(deviations_of(r)) or '–'} |")
    n = len(all_rows)
    head = f"""# Coverage: HubSpot's association, OAuth and webhooks operations in assocd

Generated by `scripts/coverage.py` from HubSpot's documents (`../shared/hubspot-openapi/associations-*.json`)
and the runs of the test suites; CI fails when this file is stale (`scripts/coverage.py --check`
in `scripts/test.sh`). Regenerate after `scripts/test.sh` (or `scripts/conformance.sh` and
`scripts/schemathesis.sh`) with `scripts/coverage.py`.

One row per operation and path family: {n} rows, {n - 9} from the documents and 9 of the `/crm/v4`
schema family, which has no document of its own (the official clients call it; its codes are those
of the `/crm/associations/v4` document). Served: {counts['served']} of {n}.

| column | meaning |
|---|---|
| codes | success codes the family's document declares (assocd answers them; see docs/compat.md) |
| served | in assocd's own `/openapi.json` |
| black-box | a valid request answered with the family's code (`crates/server/tests/api/families.rs`), on SQLite and PostgreSQL ({counts['black-box']} rows) |
| Python | the Python suite (`conformance/python`, HubSpot's Python client) got a 2xx ({counts['Python']} rows: the clients call `/crm/v4`) |
| Node | the Node suite (`conformance/node`, HubSpot's Node client; on the seed path its generated `LimitsApi`, and a raw request for purge) got a 2xx ({counts['Node']} rows) |
| Schemathesis | the run from the family's document (`/crm/v4` schema: from assocd's own) got a 2xx ({counts['Schemathesis']} rows) |
| deviations | where assocd answers otherwise on purpose, excluded by a rule of `conformance/schemathesis/deviations.py` (docs/compat.md) |

| operation | family | method and path | codes | served | black-box | Python | Node | Schemathesis | deviations |
|---|---|---|---|---|---|---|---|---|---|
"""
    oauth_text, oauth = render_oauth(served, python_entries, node_entries)
    hooks_text, hooks = render_webhooks(served, python_entries, node_entries, load("schemathesis.json"))
    return head + "\n".join(lines) + "\n" + oauth_text + hooks_text, all_rows + oauth + hooks


def main() -> int:
    text, all_rows = render()
    unserved = [f"{r['method']} {r['template']}" for r in all_rows if not r["served"]]
    if unserved:
        print("coverage: not served:\n  " + "\n  ".join(unserved), file=sys.stderr)
    if "--check" in sys.argv[1:]:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            diff = difflib.unified_diff(current.splitlines(), text.splitlines(), "docs/coverage.md", "generated", lineterm="")
            print("\n".join(list(diff)[:60]))
            print("coverage: docs/coverage.md is stale; run scripts/coverage.py", file=sys.stderr)
            return 1
        print(f"coverage: docs/coverage.md is up to date ({len(all_rows)} rows)")
        return 1 if unserved else 0
    OUT.write_text(text)
    print(f"coverage: wrote {OUT.relative_to(REPO)} ({len(all_rows)} rows)")
    return 1 if unserved else 0


if __name__ == "__main__":
    sys.exit(main())
