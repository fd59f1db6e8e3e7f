"""/metrics read with Prometheus' own text parser (`prometheus_client.parser`) before and after
known traffic sent through HubSpot's client: every counter and histogram count moves by exactly
the traffic sent. Also the access log of the same traffic (one JSON line per request).

Runs on whatever backend the suite runs on (scripts/conformance.sh: SQLite, then PostgreSQL).
"""

from __future__ import annotations

import collections
import json
import os
import secrets
import urllib.error
import urllib.request

import pytest
from hubspot.crm.associations.v4.schema import ApiException
from prometheus_client.parser import text_string_to_metric_families

from conftest import remember_token

# Every metric assocd exports (crates/server/src/metrics.rs CATALOG): each is listed with its
# HELP text from the start, whether or not anything was recorded yet.
EXPORTED = {
    "assocd_http_requests_total": "counter",
    "assocd_http_request_duration_seconds": "histogram",
    "assocd_store_call_duration_seconds": "histogram",
    "assocd_db_pool_connections": "gauge",
    "assocd_db_pool_waiting": "gauge",
    "assocd_sqlite_group_commit_batch_size": "histogram",
    "assocd_rate_limit_refusals_total": "counter",
    "assocd_faults_injected_total": "counter",
    "assocd_webhook_outbox_depth": "gauge",
    "assocd_webhook_deliveries_total": "counter",
    "assocd_webhook_delivery_delay_seconds": "histogram",
    "assocd_build_info": "gauge",
}

LABELS = "/crm/v4/associations/contacts/companies/labels"


def scrape(server):
    """{family name: family} and {(sample name, sorted labels): value}."""
    with urllib.request.urlopen(server.base_url + "/metrics", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode("utf-8")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {}
    for f in families.values():
        for s in f.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return families, samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def delta(before, after, name, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def raw_get(server, path, token=None) -> int:
    req = urllib.request.Request(server.base_url + path)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def access_lines(server) -> list[dict]:
    out = []
    for line in server.log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("target") == "assocd::access":
            out.append(entry)
    return out


def test_every_metric_is_exported_with_help_and_type(server):
    families, samples = scrape(server)
    for name, kind in EXPORTED.items():
        # The parser names a counter family without its `_total` suffix.
        key = name[: -len("_total")] if kind == "counter" else name
        assert key in families, f"{name} missing from /metrics"
        assert families[key].type == kind, (name, families[key].type)
        assert families[key].documentation, f"{name} has no HELP text"
    db = os.environ.get("ASSOCD_TEST_DATABASE_URL", "")
    backend = "postgres" if db.startswith("postgres") else "sqlite"
    infos = [s for s in families["assocd_build_info"].samples]
    assert [s.labels["backend"] for s in infos] == [backend]
    assert infos[0].value == 1
    size = value(samples, "assocd_db_pool_connections", state="size")
    assert size >= 1
    assert value(samples, "assocd_db_pool_connections", state="in_use") + value(
        samples, "assocd_db_pool_connections", state="idle"
    ) == size
    assert value(samples, "assocd_db_pool_connections", state="max") >= size


def test_counters_and_histograms_move_by_exactly_the_traffic_sent(server, client, portal):
    _, token = portal
    schema = client.crm.associations.v4.schema.definitions_api
    basic = client.crm.associations.v4.basic_api
    # Warm the token cache, so the store calls counted below are the requests' own.
    schema.get_all("contacts", "companies")
    _, before = scrape(server)
    lines_before = len(access_lines(server))

    for _ in range(3):
        schema.get_all("contacts", "companies")  # S1, legacy, 200
    for _ in range(2):
        basic.get_page("contacts", "1", "companies")  # R1, legacy, 200
    assert raw_get(server, "/crm/associations/2026-03/contacts/companies/labels", token) == 200
    assert raw_get(server, "/crm/v4/no/such/route", token) == 404
    bad = "pat-invalid-" + secrets.token_hex(12)
    remember_token(bad)
    with pytest.raises(ApiException) as refused:
        server.client(bad).crm.associations.v4.schema.definitions_api.get_all(
            "contacts", "companies"
        )
    assert refused.value.status == 401

    _, after = scrape(server)
    sent = {
        ("S1", "legacy", "200"): 3,
        ("R1", "legacy", "200"): 2,
        ("S1", "2026-03", "200"): 1,
        ("unknown", "unknown", "404"): 1,
        ("S1", "legacy", "401"): 1,
    }
    for (op, family, status), n in sent.items():
        got = delta(before, after, "assocd_http_requests_total",
                    operation=op, family=family, status=status)
        assert got == n, (op, family, status, got)
    total = sum(
        v - before.get(k, 0.0)
        for k, v in after.items()
        if k[0] == "assocd_http_requests_total"
    )
    assert total == sum(sent.values())

    per_operation = collections.Counter()
    for (op, _, _), n in sent.items():
        per_operation[op] += n
    for op, n in per_operation.items():
        count = delta(before, after, "assocd_http_request_duration_seconds_count", operation=op)
        assert count == n, (op, count)
        inf = delta(before, after, "assocd_http_request_duration_seconds_bucket",
                    operation=op, le="+Inf")
        assert inf == n, (op, inf)
        assert delta(before, after, "assocd_http_request_duration_seconds_sum", operation=op) > 0

    # Store calls: one labels read per answered S1 (the 401 never reaches the store), one page
    # read per R1.
    for kind, n in {"list_labels": 4, "list_associations": 2}.items():
        count = delta(before, after, "assocd_store_call_duration_seconds_count", kind=kind)
        assert count == n, (kind, count)

    # The access log: one line per request, the same operations, families and statuses.
    new = access_lines(server)[lines_before:]
    logged = collections.Counter((e["operation"], e["family"], str(e["status"])) for e in new)
    assert logged == collections.Counter(sent)


def test_association_writes_show_in_store_and_group_commit_metrics(server, client):
    from hubspot.crm.associations.v4.models import (
        BatchInputPublicDefaultAssociationMultiPost,
        PublicDefaultAssociationMultiPost,
        PublicObjectId,
    )

    _, before = scrape(server)
    batch = client.crm.associations.v4.batch_api
    for i in range(2):
        batch.create_default(
            "contacts",
            "companies",
            BatchInputPublicDefaultAssociationMultiPost(
                inputs=[
                    PublicDefaultAssociationMultiPost(
                        _from=PublicObjectId(id=str(100 + i)), to=PublicObjectId(id="7")
                    )
                ]
            ),
        )
    _, after = scrape(server)
    writes = delta(before, after, "assocd_store_call_duration_seconds_count",
                   kind="write_associations")
    assert writes == 2
    groups = delta(before, after, "assocd_sqlite_group_commit_batch_size_count")
    batches = delta(before, after, "assocd_sqlite_group_commit_batch_size_sum")
    # Sent one after the other: each batch is its own group (on both backends).
    assert (groups, batches) == (2, 2)
