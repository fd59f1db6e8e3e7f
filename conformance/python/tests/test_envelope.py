"""HubSpot's operating envelope with HubSpot's own client: its retries (a urllib3 `Retry`
handed to `HubSpot(retry=...)`) wait out real throttling and injected 503s by themselves.

The server of this module runs with `--rate-limits hubspot`; each test sets its portal's
limits and faults through the control plane (`/_assocd/`, the suite's admin token).
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from hubspot import HubSpot
from urllib3.util.retry import Retry

from conftest import start_server
from helpers import random_portal

@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    yield from start_server(
        tmp_path_factory.mktemp("assocd-envelope"),
        ["--rate-limits", "hubspot"],
        journal=False,
    )


def admin(server, method: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(server.base_url + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {server.admin_token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
        return r.status, (json.loads(text) if text else None)


def client_with(server, token: str, retry: Retry) -> HubSpot:
    return HubSpot(access_token=token, host=server.base_url, retry=retry)


def test_a_retry_on_429_waits_out_the_ten_secondly_limit(limited):
    portal = random_portal()
    token = limited.create_token(portal)
    status, body = admin(
        limited, "PUT", f"/_assocd/portals/{portal}/rate-limits",
        {"tier": "custom", "tenSecondly": 3, "daily": 1000},
    )
    assert status == 200 and body["tenSecondly"] == 3
    # urllib3 backs off 0, 2, 4, 8 s between tries: 14 s in all, past the 10 s window.
    retry = Retry(total=5, status_forcelist=(429,), backoff_factor=1)
    api = client_with(limited, token, retry).crm.associations.v4.schema.definitions_api
    started = time.monotonic()
    for _ in range(5):
        res = api.get_all("contacts", "companies")
        assert res.results
    elapsed = time.monotonic() - started
    assert elapsed >= 10, f"the loop crossed the limit without waiting ({elapsed:.1f} s)"
    _, journal = admin(limited, "GET", f"/_assocd/requests?portalId={portal}&status=429")
    refused = journal["results"]
    assert refused, "the server refused some calls with 429"
    assert all(e["responseBody"]["policyName"] == "TEN_SECONDLY_ROLLING" for e in refused)


def test_a_retry_on_503_gets_through_a_fault_that_fires_twice(limited):
    portal = random_portal()
    token = limited.create_token(portal)
    status, fault = admin(limited, "POST", "/_assocd/faults", {
        "match": {"operation": "S1", "portalId": portal},
        "action": {"status": 503},
        "times": 2,
    })
    assert status == 201
    retry = Retry(total=3, status_forcelist=(503,), backoff_factor=0.1)
    api = client_with(limited, token, retry).crm.associations.v4.schema.definitions_api
    res = api.get_all("contacts", "companies")
    assert res.results
    _, faults = admin(limited, "GET", "/_assocd/faults")
    assert all(f["id"] != fault["id"] for f in faults["results"]), "the fault fired twice and went"
    _, journal = admin(limited, "GET", f"/_assocd/requests?portalId={portal}&status=503")
    assert len(journal["results"]) == 2
