"""Valid requests for each operation, built from the run's fixture, so that every operation of
every document is also exercised on its success path (random bodies alone rarely are: a label
rename needs a label of that pair, a search needs an association filter). hooks.py replaces
about half of the generated cases with one of these; the others stay as Schemathesis made them.
"""

from __future__ import annotations

import json
import os
import random
import re
import urllib.error
import urllib.request
import uuid

HS, US = "HUBSPOT_DEFINED", "USER_DEFINED"
# Built-in types valid per direction (crates/core/data/builtin_types.tsv).
PAIR_TYPES = {
    ("contacts", "companies"): [279, 1],
    ("companies", "contacts"): [280],
    ("deals", "contacts"): [3],
    ("contacts", "deals"): [4],
    ("tickets", "contacts"): [16],
}


def _pair(rng: random.Random) -> tuple[str, str]:
    return rng.choice(sorted(PAIR_TYPES))


def _ids(rng: random.Random, fixture: dict) -> tuple[str, str]:
    a, b = rng.sample(fixture["linkedIds"], 2)
    return a, b


def _limit_input(rng, pair, fixture, with_max=True):
    type_id = rng.choice(PAIR_TYPES[pair])
    item = {"category": HS, "typeId": type_id}
    if with_max:
        item["maxToObjectIds"] = rng.randint(20, 60)
    return item


def fresh_label(pair: tuple[str, str], n: int) -> int | None:
    """Creates a label on `pair` through the legacy path (run.py passes the server and token)
    and returns its forward type id: a rename or delete case gets a label of its own (the
    fixture's labels may already be gone, deleted by generated cases)."""
    req = urllib.request.Request(
        f"{os.environ['ASSOCD_BASE']}/crm/v4/associations/{pair[0]}/{pair[1]}/labels",
        # Names are unique in a portal: the seeded n repeats from one document's run to the next.
        data=json.dumps({"label": f"Doomed {n}", "name": f"doomed_{uuid.uuid4().hex}"}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {os.environ['ASSOCD_TOKEN']}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())["results"][0]["typeId"]
    except urllib.error.HTTPError:  # e.g. the pair's label cap (437): keep the generated case
        return None


def fresh_subscription(fixture: dict) -> int | None:
    """A subscription of the run's app for a delete case (the fixture's stay for the others)."""
    req = urllib.request.Request(
        f"{os.environ['ASSOCD_BASE']}/webhooks/v3/{fixture['appId']}/subscriptions?hapikey={fixture['developerApiKey']}",
        data=json.dumps({"eventType": "contact.propertyChange", "propertyName": f"p_{uuid.uuid4().hex}"}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return int(json.loads(r.read())["id"])
    except urllib.error.HTTPError:  # e.g. the app's 1000 subscriptions: keep the generated case
        return None


def webhooks_request(method: str, path: str, rng: random.Random, fixture: dict):
    """Valid requests of the webhooks management API (the run's app and subscriptions)."""
    params = {"appId": fixture["appId"]}
    if path.endswith("/settings"):
        body = {"targetUrl": "http://127.0.0.1:9/schemathesis", "throttling": {"maxConcurrentRequests": rng.randint(1, 10)}}
        return params, body if method == "PUT" else None
    if path.endswith("/subscriptions"):
        if method == "POST":
            return params, {"eventType": "ticket.propertyChange", "propertyName": f"p_{uuid.uuid4().hex}",
                            "active": rng.random() < 0.5}
        return params, None
    if path.endswith("/batch/update"):
        ids = fixture["subscriptionIds"]
        return params, {"inputs": [{"id": rng.choice(ids), "active": True}]}
    if method == "DELETE":
        sub = fresh_subscription(fixture)
        return None if sub is None else ({**params, "subscriptionId": sub}, None)
    params["subscriptionId"] = rng.choice(fixture["subscriptionIds"])
    return params, ({"active": True} if method == "PATCH" else None)


def request(method: str, path: str, rng: random.Random, fixture: dict):
    """(path parameters, body) of a valid request for `method path`, or None."""
    def pair_params(pair):
        return {"fromObjectType": pair[0], "toObjectType": pair[1]}

    if path.startswith("/webhooks/"):
        return webhooks_request(method, path, rng, fixture)

    if path.endswith("/labels"):
        if method == "PUT":
            pair = _pair(rng)
            type_id = fresh_label(pair, rng.randint(1, 10**9))
            if type_id is None:
                return None
            return pair_params(pair), {"associationTypeId": type_id, "label": f"Renamed {rng.randint(1, 999)}"}
        if method == "POST":
            n = rng.randint(1, 10**9)
            name = f"run_{uuid.uuid4().hex}"
            return pair_params(_pair(rng)), {"label": f"Run {n}", "name": name, "inverseLabel": f"Run {n} inverse"}
        return pair_params(_pair(rng)), None
    if re.search(r"/labels/\{associationTypeId\}$", path):
        pair = _pair(rng)
        params = pair_params(pair)
        params["associationTypeId"] = fresh_label(pair, rng.randint(1, 10**9))
        return None if params["associationTypeId"] is None else (params, None)
    if "/definitions/configurations/" in path:
        if path.endswith("/all"):
            return {}, None
        pair = _pair(rng)
        if path.endswith("/batch/create") or path.endswith("/batch/update"):
            return pair_params(pair), {"inputs": [_limit_input(rng, pair, fixture)]}
        if path.endswith("/batch/purge"):
            return pair_params(pair), {"inputs": [_limit_input(rng, pair, fixture, with_max=False)]}
        return pair_params(pair), None
    if path.endswith("/search"):
        target = rng.choice(["company", "contacts", "0-3"])
        ids = rng.sample(fixture["linkedIds"], 2)
        f = ({"propertyName": f"associations.{target}", "operator": "EQ", "value": ids[0]}
             if rng.random() < 0.5 else
             {"propertyName": f"associations.{target}", "operator": "IN", "values": ids})
        return {"objectType": rng.choice(["contacts", "companies"])}, {"filterGroups": [{"filters": [f]}], "limit": rng.randint(1, 20)}
    if "/usage/high-usage-report/" in path:
        return {"userId": rng.randint(1, 5)}, None
    pair = _pair(rng)
    a, b = _ids(rng, fixture)
    if "/associations/default/" in path:
        return {"fromObjectType": pair[0], "fromObjectId": a, "toObjectType": pair[1], "toObjectId": b}, None
    if re.search(r"/\{objectType\}/\{objectId\}/associations/\{toObjectType\}$", path):
        return {"objectType": pair[0], "objectId": a, "toObjectType": pair[1]}, None
    if re.search(r"/associations/\{toObjectType\}/\{toObjectId\}$", path):
        params = {"objectType": pair[0], "objectId": a, "toObjectType": pair[1], "toObjectId": b}
        if method == "PUT":
            types = [] if rng.random() < 0.5 else [{"associationCategory": HS, "associationTypeId": PAIR_TYPES[pair][-1]}]
            return params, types
        return params, None
    batch = {"from": {"id": a}, "to": {"id": b}}
    if path.endswith("/batch/create"):
        return pair_params(pair), {"inputs": [dict(batch, types=[])]}
    if path.endswith("/batch/read"):
        return pair_params(pair), {"inputs": [{"id": a}]}
    if path.endswith("/batch/archive"):
        return pair_params(pair), {"inputs": [{"from": {"id": a}, "to": [{"id": b}]}]}
    if path.endswith("/batch/labels/archive"):
        spec = {"associationCategory": HS, "associationTypeId": PAIR_TYPES[pair][-1]}
        return pair_params(pair), {"inputs": [dict(batch, types=[spec])]}
    if path.endswith("/batch/associate/default"):
        return pair_params(pair), {"inputs": [batch]}
    return None
