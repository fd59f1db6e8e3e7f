"""Batch associations between records (R5-R9) through `batch_api`.

See test_records.py for notes on the client."""

from __future__ import annotations

import json
import pytest

from hubspot.crm.associations.v4 import ApiException
from hubspot.crm.associations.v4.models import (
    BatchInputPublicAssociationMultiArchive,
    BatchResponseLabelsBetweenObjectPair,
    BatchResponseLabelsBetweenObjectPairWithErrors,
    BatchResponsePublicAssociationMultiWithLabel,
    BatchResponsePublicAssociationMultiWithLabelWithErrors,
    BatchResponsePublicDefaultAssociation,
    PublicAssociationMultiArchive,
)
from helpers import error_body

from records_support import (
    assert_batch_times,
    assert_errors,
    basic,
    batch,
    BIG,
    COMPANY_TO_CONTACT,
    COMPANY_TO_CONTACT_PRIMARY,
    COMPANY_TO_DEAL,
    CONTACT_TO_COMPANY,
    CONTACT_TO_COMPANY_PRIMARY,
    create_label,
    DEAL_TO_COMPANY,
    default_post,
    default_tuples,
    fetch,
    HS,
    linked,
    multi_post,
    oid,
    spec,
    types_of,
    US,
)


def test_batch_create_returns_labels_per_input(client):
    label, inverse, fwd_type, inv_type = create_label(client, "deals", "companies")
    resp, status, _ = batch(client).create_with_http_info(
        "deals", "companies",
        multi_post([
            (BIG, BIG + 1, [(US, fwd_type)]),
            (BIG, BIG + 2, []),
            (BIG + 3, BIG + 1, [(HS, 5)]),  # deal -> company Primary
        ]),
    )
    assert status == 201
    assert isinstance(resp, BatchResponseLabelsBetweenObjectPair)
    assert resp.status == "COMPLETE"
    assert_batch_times(resp)
    got = sorted((r.from_object_type_id, r.from_object_id, r.to_object_type_id, r.to_object_id, tuple(r.labels)) for r in resp.results)
    assert got == sorted([
        ("0-3", str(BIG), "0-2", str(BIG + 1), (label,)),
        ("0-3", str(BIG), "0-2", str(BIG + 2), ()),
        ("0-3", str(BIG + 3), "0-2", str(BIG + 1), ("Primary",)),
    ])
    assert linked(client, "companies", BIG + 1, "deals") == {
        BIG: {(HS, COMPANY_TO_DEAL, None), (US, inv_type, inverse)},
        BIG + 3: {(HS, COMPANY_TO_DEAL, None), (HS, 6, "Primary")},
    }


def test_batch_create_with_an_invalid_type_is_207(client):
    resp, status, _ = batch(client).create_with_http_info(
        "deals", "companies",
        multi_post([(1, 2, [(HS, 5)]), (1, 3, [(HS, CONTACT_TO_COMPANY_PRIMARY)])]),  # typeId 1 is contact -> company
    )
    assert status == 207
    assert isinstance(resp, BatchResponseLabelsBetweenObjectPairWithErrors)
    assert resp.status == "COMPLETE"
    assert [(r.from_object_id, r.to_object_id, r.labels) for r in resp.results] == [("1", "2", ["Primary"])]
    (e,) = assert_errors(resp, 1)
    assert e.category == "VALIDATION_ERROR"
    assert e.message == "One or more associations are invalid"
    assert linked(client, "deals", 1, "companies") == {2: {(HS, DEAL_TO_COMPANY, None), (HS, 5, "Primary")}}

    # Nothing valid: CANCELED.
    resp, status, _ = batch(client).create_with_http_info("deals", "companies", multi_post([(1, 3, [(HS, CONTACT_TO_COMPANY_PRIMARY)])]))
    assert status == 207 and resp.status == "CANCELED" and resp.results == []
    assert_errors(resp, 1)
    assert set(linked(client, "deals", 1, "companies")) == {2}


def test_batch_get_page_reads_several_ids(client):
    label, _, fwd_type, _ = create_label(client, "contacts", "companies")
    batch(client).create(
        "contacts", "companies",
        multi_post([
            (1, 10, [(US, fwd_type)]),
            (1, 11, []),
            (2, 10, [(HS, CONTACT_TO_COMPANY_PRIMARY)]),
            (BIG, BIG + 1, []),
        ]),
    )
    resp, status, _ = batch(client).get_page_with_http_info("contacts", "companies", fetch([1, 2, BIG]))
    assert status == 200
    assert isinstance(resp, BatchResponsePublicAssociationMultiWithLabel)
    assert resp.status == "COMPLETE"
    assert_batch_times(resp)
    by_from = {r._from.id: r for r in resp.results}
    assert sorted(by_from) == sorted(["1", "2", str(BIG)])
    assert {r.to_object_id: types_of(r) for r in by_from["1"].to} == {
        "10": {(HS, CONTACT_TO_COMPANY, None), (US, fwd_type, label)},
        "11": {(HS, CONTACT_TO_COMPANY, None)},
    }
    assert {r.to_object_id: types_of(r) for r in by_from["2"].to} == {
        "10": {(HS, CONTACT_TO_COMPANY, None), (HS, CONTACT_TO_COMPANY_PRIMARY, "Primary")},
    }
    assert [r.to_object_id for r in by_from[str(BIG)].to] == [str(BIG + 1)]
    assert all(r.paging is None for r in resp.results)

    # From the other side.
    resp = batch(client).get_page("companies", "contacts", fetch([10]))
    assert [(r._from.id, sorted(t.to_object_id for t in r.to)) for r in resp.results] == [("10", ["1", "2"])]


def test_batch_get_page_reports_unassociated_ids_with_207(client):
    batch(client).create_default("contacts", "companies", default_post([(1, 2)]))
    resp, status, _ = batch(client).get_page_with_http_info("contacts", "companies", fetch([1, 777]))
    assert status == 207
    assert isinstance(resp, BatchResponsePublicAssociationMultiWithLabelWithErrors)
    assert [(r._from.id, [t.to_object_id for t in r.to]) for r in resp.results] == [("1", ["2"])]
    (e,) = assert_errors(resp, 1)
    assert "777" in json.dumps(e.context) or "777" in e.message, e


def test_batch_get_page_pages_each_input_with_after(client):
    batch(client).create("contacts", "companies", multi_post([(1, c, []) for c in range(1, 502)]))
    batch(client).create_default("contacts", "companies", default_post([(2, 9)]))
    resp = batch(client).get_page("contacts", "companies", fetch([1, 2]))
    by_from = {r._from.id: r for r in resp.results}
    assert [int(t.to_object_id) for t in by_from["1"].to] == list(range(1, 501))
    after = by_from["1"].paging.next.after
    assert after
    assert by_from["2"].paging is None
    resp = batch(client).get_page("contacts", "companies", fetch([(1, after)]))
    assert [(r._from.id, [t.to_object_id for t in r.to]) for r in resp.results] == [("1", ["501"])]
    assert resp.results[0].paging is None


# ---------------------------------------------------------------- R7 / R8 / R9


def test_batch_archive_removes_every_type_in_both_directions(client):
    label, _, fwd_type, _ = create_label(client, "contacts", "companies")
    for co in (1, 2, 3):
        basic(client).create("contacts", "100", "companies", str(co), [spec(US, fwd_type), spec(HS, CONTACT_TO_COMPANY_PRIMARY)])
    body = BatchInputPublicAssociationMultiArchive(
        inputs=[PublicAssociationMultiArchive(_from=oid(100), to=[oid(1), oid(2), oid(404)])]
    )
    data, status, _ = batch(client).archive_with_http_info("contacts", "companies", body)
    assert (data, status) == (None, 204)
    assert set(linked(client, "contacts", 100, "companies")) == {3}
    assert linked(client, "companies", 1, "contacts") == {}
    assert linked(client, "companies", 2, "contacts") == {}
    assert batch(client).archive("contacts", "companies", body) is None


def test_batch_archive_labels_removes_only_listed_types(client):
    label, inverse, fwd_type, inv_type = create_label(client, "contacts", "companies")
    for co in (1, 2):
        basic(client).create("contacts", "10", "companies", str(co), [spec(US, fwd_type), spec(HS, CONTACT_TO_COMPANY_PRIMARY)])

    data, status, _ = batch(client).archive_labels_with_http_info(
        "contacts", "companies", multi_post([(10, 1, [(US, fwd_type)])])
    )
    assert (data, status) == (None, 204)
    after = linked(client, "contacts", 10, "companies")
    assert after[1] == {(HS, CONTACT_TO_COMPANY, None), (HS, CONTACT_TO_COMPANY_PRIMARY, "Primary")}
    assert after[2] == {(HS, CONTACT_TO_COMPANY, None), (HS, CONTACT_TO_COMPANY_PRIMARY, "Primary"), (US, fwd_type, label)}
    assert linked(client, "companies", 1, "contacts") == {10: {(HS, COMPANY_TO_CONTACT, None), (HS, COMPANY_TO_CONTACT_PRIMARY, "Primary")}}

    # Removing the unlabeled type removes everything between the pair.
    assert batch(client).archive_labels("contacts", "companies", multi_post([(10, 2, [(HS, CONTACT_TO_COMPANY)])])) is None
    assert set(linked(client, "contacts", 10, "companies")) == {1}
    assert linked(client, "companies", 2, "contacts") == {}


def test_batch_archive_labels_with_an_invalid_type_is_400_and_removes_nothing(client):
    basic(client).create("contacts", "10", "companies", "1", [spec(HS, CONTACT_TO_COMPANY_PRIMARY)])
    with pytest.raises(ApiException) as ei:
        batch(client).archive_labels(
            "contacts", "companies",
            multi_post([(10, 1, [(HS, CONTACT_TO_COMPANY_PRIMARY)]), (10, 1, [(HS, DEAL_TO_COMPANY)])]),
        )
    assert ei.value.status == 400
    assert error_body(ei.value)["category"] == "VALIDATION_ERROR"
    assert linked(client, "contacts", 10, "companies") == {1: {(HS, CONTACT_TO_COMPANY, None), (HS, CONTACT_TO_COMPANY_PRIMARY, "Primary")}}


def test_batch_create_default_writes_both_directions(client):
    resp, status, _ = batch(client).create_default_with_http_info("deals", "companies", default_post([(1, 2), (1, BIG)]))
    assert status == 200
    assert isinstance(resp, BatchResponsePublicDefaultAssociation)
    assert resp.status == "COMPLETE"
    assert_batch_times(resp)
    assert sorted(default_tuples(resp)) == sorted([
        ("1", "2", HS, DEAL_TO_COMPANY),
        ("2", "1", HS, COMPANY_TO_DEAL),
        ("1", str(BIG), HS, DEAL_TO_COMPANY),
        (str(BIG), "1", HS, COMPANY_TO_DEAL),
    ])
    assert linked(client, "deals", 1, "companies") == {2: {(HS, DEAL_TO_COMPANY, None)}, BIG: {(HS, DEAL_TO_COMPANY, None)}}
    assert linked(client, "companies", BIG, "deals") == {1: {(HS, COMPANY_TO_DEAL, None)}}


# ---------------------------------------------------------------- limits on writes
