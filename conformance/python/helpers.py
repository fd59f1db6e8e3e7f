"""Small helpers shared by the conformance tests."""

from __future__ import annotations

import json
import random
import secrets


def error_body(exc) -> dict:
    """The parsed JSON body of an ApiException, asserting HubSpot's error shape."""
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    assert body, f"error response without body (status {exc.status})"
    data = json.loads(body)
    assert data.get("status") == "error", data
    assert isinstance(data.get("message"), str) and data["message"], data
    assert isinstance(data.get("correlationId"), str) and data["correlationId"], data
    return data


def unique(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def random_portal() -> int:
    """Random portal ids keep tests and runs apart, even on a shared (PostgreSQL) database."""
    return random.randint(10_000_000, 2_000_000_000)
