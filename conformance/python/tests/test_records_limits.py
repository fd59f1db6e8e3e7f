"""Limits on associations, reports, validation and portal isolation for records.

See test_records.py for notes on the client."""

from __future__ import annotations

import json
import time
import pytest

from hubspot.crm.associations.v4 import ApiException
from hubspot.crm.associations.v4.models import (
    BatchResponseLabelsBetweenObjectPairWithErrors,
)
from helpers import (
    error_body,
    random_portal,
)

from records_support import (
    assert_errors,
    basic,
    batch,
    COMPANY_TO_CONTACT,
    CONTACT_TO_COMPANY,
    CONTACT_TO_COMPANY_PRIMARY,
    create_label,
    default_post,
    default_tuples,
    HS,
    linked,
    multi_post,
    page,
    purge_limit,
    set_limit,
    spec,
    US,
)


def test_a_limit_refuses_associations_over_it_and_purge_lifts_it(client):
    set_limit(client, "contacts", "companies", HS, CONTACT_TO_COMPANY, 2)
    basic(client).create_default("contacts", "1", "companies", "10")
    basic(client).create("contacts", "1", "companies", "11", [])

    # Single calls: 400 with HubSpot's error body.
    with pytest.raises(ApiException) as ei:
        basic(client).create_default("contacts", "1", "companies", "12")
    assert ei.value.status == 400
    body = error_body(ei.value)
    assert body["category"] == "VALIDATION_ERROR"
    assert "2" in body["message"], body
    with pytest.raises(ApiException) as ei:
        basic(client).create("contacts", "1", "companies", "12", [spec(HS, CONTACT_TO_COMPANY_PRIMARY)])
    assert ei.value.status == 400
    assert error_body(ei.value)["category"] == "VALIDATION_ERROR"

    # Batch create: the input over the limit fails, the other applies (207).
    resp, status, _ = batch(client).create_with_http_info("contacts", "companies", multi_post([(1, 12, []), (2, 12, [])]))
    assert status == 207
    assert isinstance(resp, BatchResponseLabelsBetweenObjectPairWithErrors)
    assert resp.status == "COMPLETE"
    assert [(r.from_object_id, r.to_object_id) for r in resp.results] == [("2", "12")]
    (e,) = assert_errors(resp, 1)
    assert e.category == "VALIDATION_ERROR"

    # Batch associate default: declared 200 only, failures in `errors`.
    resp, status, _ = batch(client).create_default_with_http_info("contacts", "companies", default_post([(1, 13)]))
    assert status == 200
    assert resp.results == []
    assert resp.num_errors == 1 and len(resp.errors) == 1

    assert set(linked(client, "contacts", 1, "companies")) == {10, 11}
    assert linked(client, "companies", 12, "contacts") == {2: {(HS, COMPANY_TO_CONTACT, None)}}

    # Re-associating an existing pair does not count twice.
    basic(client).create_default("contacts", "1", "companies", "10")

    purge_limit(client, "contacts", "companies", HS, CONTACT_TO_COMPANY)
    resp = basic(client).create_default("contacts", "1", "companies", "12")
    assert default_tuples(resp)[0] == ("1", "12", HS, CONTACT_TO_COMPANY)
    resp, status, _ = batch(client).create_with_http_info("contacts", "companies", multi_post([(1, 13, [])]))
    assert status == 201
    assert set(linked(client, "contacts", 1, "companies")) == {10, 11, 12, 13}


def test_a_label_limit_counts_only_that_label(client):
    label, _, fwd_type, _ = create_label(client, "contacts", "companies")
    set_limit(client, "contacts", "companies", US, fwd_type, 1)
    assert basic(client).create("contacts", "1", "companies", "2", [spec(US, fwd_type)]).labels == [label]
    with pytest.raises(ApiException) as ei:
        basic(client).create("contacts", "1", "companies", "3", [spec(US, fwd_type)])
    assert ei.value.status == 400
    assert error_body(ei.value)["category"] == "VALIDATION_ERROR"
    assert basic(client).create("contacts", "1", "companies", "3", []).labels == []
    assert linked(client, "contacts", 1, "companies") == {
        2: {(HS, CONTACT_TO_COMPANY, None), (US, fwd_type, label)},
        3: {(HS, CONTACT_TO_COMPANY, None)},
    }


def test_the_reverse_direction_limit_is_enforced(client):
    set_limit(client, "companies", "contacts", HS, COMPANY_TO_CONTACT, 1)
    basic(client).create_default("contacts", "1", "companies", "50")
    with pytest.raises(ApiException) as ei:
        basic(client).create_default("contacts", "2", "companies", "50")
    assert ei.value.status == 400
    assert error_body(ei.value)["category"] == "VALIDATION_ERROR"
    assert linked(client, "contacts", 2, "companies") == {}


# ---------------------------------------------------------------- U1


def test_report_request_returns_user_id_and_enqueue_time(client):
    user_id = 77406147
    before = int(time.time() * 1000)
    # The client types enqueueTime as a date-time string; read the raw answer.
    raw = client.crm.associations.v4.report_api.request(user_id, _preload_content=False)
    after = int(time.time() * 1000)
    assert raw.status == 200
    body = json.loads(raw.data)
    assert body["userId"] == user_id
    assert isinstance(body["userEmail"], str) and body["userEmail"]
    t = body["enqueueTime"]
    assert set(t) >= {"value", "dateOnly", "timeZoneShift"}, t
    assert before - 5_000 <= t["value"] <= after + 5_000, (before, t, after)
    assert t["dateOnly"] is False and t["timeZoneShift"] == 0


def test_report_request_typed_call_cannot_parse_hubspots_datetime_object(client):
    """hubspot-api-client 12.0.0 declares `enqueue_time: datetime` and hands HubSpot's DateTime
    object to dateutil, which raises TypeError: the live API breaks this call the same way."""
    with pytest.raises(TypeError):
        client.crm.associations.v4.report_api.request(5)


# ---------------------------------------------------------------- errors, portals


def test_a_type_of_another_direction_is_a_validation_error(client):
    with pytest.raises(ApiException) as ei:
        basic(client).create("deals", "38374264688", "companies", "5", [spec(HS, CONTACT_TO_COMPANY_PRIMARY)])
    assert ei.value.status == 400
    body = error_body(ei.value)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"] == "One or more associations are invalid"
    assert linked(client, "deals", 38374264688, "companies") == {}


def test_unknown_object_type_and_malformed_id_are_400(client):
    with pytest.raises(ApiException) as ei:
        basic(client).get_page("dea", "1", "companies")
    assert ei.value.status == 400
    assert error_body(ei.value)["message"] == "Unable to infer object type from: dea"
    with pytest.raises(ApiException) as ei:
        basic(client).create_default("contacts", "abc", "companies", "1")
    assert ei.value.status == 400
    assert error_body(ei.value)["category"] == "VALIDATION_ERROR"
    with pytest.raises(ApiException) as ei:
        batch(client).create_default("contacts", "companies", default_post([("x1", 2)]))
    assert ei.value.status == 400
    assert error_body(ei.value)["category"] == "VALIDATION_ERROR"


def test_associations_are_isolated_between_portals(server, client):
    basic(client).create_default("contacts", "1", "companies", "2")
    other = server.client(server.create_token(random_portal()))
    assert page(other, "contacts", 1, "companies").results == []
    assert basic(other).archive("contacts", "1", "companies", "2") is None
    assert set(linked(client, "contacts", 1, "companies")) == {2}
