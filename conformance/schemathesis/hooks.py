"""Schemathesis hooks for the assocd run (loaded through SCHEMATHESIS_HOOKS by run.py).

1. Requests reach the handlers: path parameters are drawn from the object types, record ids,
   label ids and user ids of the fixture that run.py created before the run, and bodies name
   real association types and records most of the time (the rest stays as Schemathesis made it,
   so refusals are exercised too).
2. Known deviations (deviations.py, each one documented in docs/compat.md) are excluded one by
   one: a failure is dropped only when a rule matches it exactly. With ASSOCD_DEVIATIONS=none
   (the run against assocd's own /openapi.json) nothing is excluded.
"""

from __future__ import annotations

import atexit
import json
import os
import random
from collections import Counter

import schemathesis
from hypothesis import strategies as st

import deviations
import oauth_recipes
import recipes

FIXTURE = json.loads(open(os.environ["ASSOCD_FIXTURE"], encoding="utf-8").read())
RULES = [] if os.environ.get("ASSOCD_DEVIATIONS") == "none" else deviations.RULES

OBJECT_TYPE_PARAMS = {"objectType", "fromObjectType", "toObjectType"}
RECORD_ID_PARAMS = {"objectId", "fromObjectId", "toObjectId"}


def _param_strategy(name: str):
    if name in OBJECT_TYPE_PARAMS:
        return st.sampled_from(FIXTURE["objectTypes"])
    if name in RECORD_ID_PARAMS:
        return st.sampled_from(FIXTURE["recordIds"])
    if name == "associationTypeId":
        return st.sampled_from(FIXTURE["typeIds"])
    if name == "userId":
        return st.sampled_from(FIXTURE["userIds"])
    if name == "appId":
        return st.just(FIXTURE["appId"])
    if name == "subscriptionId":
        return st.sampled_from(FIXTURE["subscriptionIds"])
    return None


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    """Four cases in five name real types and records; the fifth keeps what was generated."""
    if not path_parameters:
        return st.just(path_parameters)
    real = {}
    for name, value in path_parameters.items():
        strategy = _param_strategy(name)
        real[name] = strategy if strategy is not None else st.just(value)
    return st.sampled_from([True, True, True, True, False]).flatmap(
        lambda use_real: st.fixed_dictionaries(real) if use_real else st.just(path_parameters)
    )


def _real_body(value):
    """A strategy that rewrites the fields naming types and records with real ones."""
    if isinstance(value, dict):
        parts = {}
        for key, item in value.items():
            if key in ("typeId", "associationTypeId") and isinstance(item, int):
                parts[key] = st.sampled_from(FIXTURE["typeIds"])
            elif key in ("category", "associationCategory") and isinstance(item, str):
                parts[key] = st.sampled_from(["HUBSPOT_DEFINED", "USER_DEFINED"])
            elif key == "id" and isinstance(item, (str, int)):
                parts[key] = st.sampled_from(FIXTURE["recordIds"])
            elif key == "maxToObjectIds" and isinstance(item, int):
                parts[key] = st.integers(min_value=1, max_value=50)
            else:
                parts[key] = _real_body(item)
        return st.fixed_dictionaries(parts)
    if isinstance(value, list):
        return st.tuples(*(_real_body(v) for v in value)).map(list)
    return st.just(value)


@schemathesis.hook
def flatmap_body(context, body):
    """Four bodies in five name real types and records."""
    return st.sampled_from([True, True, True, True, False]).flatmap(
        lambda use_real: _real_body(body) if use_real else st.just(body)
    )


@schemathesis.hook
def flatmap_case(context, case):
    """Half of the cases become a valid request of the operation (recipes.py)."""
    def apply(seed: int):
        rng = random.Random(seed)
        if case.operation.path.startswith("/webhooks/"):
            # The webhooks management API authenticates by the app's developer key.
            case.query = {**(case.query or {}), "hapikey": FIXTURE["developerApiKey"]}
        if rng.random() < 0.5:
            return case
        if case.operation.path.startswith("/oauth/"):
            made = oauth_recipes.request(case.operation.method.upper(), case.operation.path, rng, FIXTURE)
            if made is None:
                return case
            params, query, body = made
            if params:
                case.path_parameters = {**(case.path_parameters or {}), **params}
            if query is not None:
                case.query = query
            if body is not None:
                case.body = body
            return case
        made = recipes.request(case.operation.method.upper(), case.operation.path, rng, FIXTURE)
        if made is None:
            return case
        params, body = made
        if params:
            case.path_parameters = {**(case.path_parameters or {}), **params}
        if body is not None:
            case.body = body
        return case

    return st.integers(min_value=0, max_value=2**32).map(apply)


#: (method, path template, status) -> answers seen; rule index -> failures it excluded.
ANSWERS: Counter = Counter()
EXCLUDED: Counter = Counter()


@schemathesis.hook
def after_call(context, case, response):
    ANSWERS[(case.operation.method.upper(), case.operation.path, response.status_code)] += 1


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keeps a failure unless one deviation rule matches it exactly."""
    for i, rule in enumerate(RULES):
        if rule.matches(failure, case, response):
            EXCLUDED[i] += 1
            return False
    return True


@atexit.register
def _write_tally():
    """What this run saw, for run.py: answers per operation and status, exclusions per rule."""
    out = os.environ.get("ASSOCD_TALLY")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "answers": [[m, p, s, n] for (m, p, s), n in sorted(ANSWERS.items())],
                    "excluded": {str(i): n for i, n in sorted(EXCLUDED.items())},
                },
                f,
            )
