"""Associations between records (R1-R9, U1) through `client.crm.associations.v4`
(`basic_api`, `batch_api`, `report_api`), with labels and limits set up through
`client.crm.associations.v4.schema`.

Every test runs in a fresh portal, so no record is associated with anything at first.
Notes on the client (hubspot-api-client 12.0.0):
- `toObjectId`/`fromObjectId` are typed `str`; assocd sends JSON numbers (as the live API
  does) and the client's primitive deserializer turns them into digit strings.
- `basic_api.archive`, `batch_api.archive` and `batch_api.archive_labels` have an empty
  `response_types_map`: they return None, so the tests use `*_with_http_info` to see the 204.
- `ReportCreationResponse.enqueue_time` is typed `datetime`, but HubSpot (and assocd) send
  HubSpot's DateTime object; see `test_report_request_*`.
"""

from __future__ import annotations

import json
import time

import pytest
from hubspot.crm.associations.v4 import ApiException
from hubspot.crm.associations.v4.models import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    BatchResponseLabelsBetweenObjectPair,
    BatchResponseLabelsBetweenObjectPairWithErrors,
    BatchResponsePublicAssociationMultiWithLabel,
    BatchResponsePublicAssociationMultiWithLabelWithErrors,
    BatchResponsePublicDefaultAssociation,
    CollectionResponseMultiAssociatedObjectWithLabelForwardPaging,
    LabelsBetweenObjectPair,
    PublicAssociationMultiArchive,
    PublicAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
    PublicObjectId,
    StandardError,
)
from hubspot.crm.associations.v4.schema.models import (
    BatchInputPublicAssociationDefinitionConfigurationCreateRequest,
    BatchInputPublicAssociationSpec,
    PublicAssociationDefinitionConfigurationCreateRequest,
    PublicAssociationDefinitionCreateRequest,
    PublicAssociationSpec,
)

from helpers import error_body, random_portal, unique

HS = "HUBSPOT_DEFINED"
US = "USER_DEFINED"
# HUBSPOT_DEFINED types (research notes §10)
CONTACT_TO_COMPANY = 279
COMPANY_TO_CONTACT = 280
CONTACT_TO_COMPANY_PRIMARY = 1
COMPANY_TO_CONTACT_PRIMARY = 2
DEAL_TO_COMPANY = 341
COMPANY_TO_DEAL = 342
DEAL_TO_CONTACT = 3
CONTACT_TO_DEAL = 4

# Record ids beyond 2^31, as HubSpot's are.
BIG = 38_056_537_805


# ---------------------------------------------------------------- helpers


def basic(client):
    return client.crm.associations.v4.basic_api


def batch(client):
    return client.crm.associations.v4.batch_api


def spec(category, type_id) -> AssociationSpec:
    return AssociationSpec(association_category=category, association_type_id=type_id)


def oid(i) -> PublicObjectId:
    return PublicObjectId(id=str(i))


def multi_post(inputs) -> BatchInputPublicAssociationMultiPost:
    """inputs: (from id, to id, [(category, typeId)])"""
    return BatchInputPublicAssociationMultiPost(
        inputs=[PublicAssociationMultiPost(_from=oid(f), to=oid(t), types=[spec(c, i) for c, i in types]) for f, t, types in inputs]
    )


def default_post(inputs) -> BatchInputPublicDefaultAssociationMultiPost:
    return BatchInputPublicDefaultAssociationMultiPost(
        inputs=[PublicDefaultAssociationMultiPost(_from=oid(f), to=oid(t)) for f, t in inputs]
    )


def fetch(inputs) -> BatchInputPublicFetchAssociationsBatchRequest:
    """inputs: ids, or (id, after) tuples."""
    out = []
    for i in inputs:
        if isinstance(i, tuple):
            out.append(PublicFetchAssociationsBatchRequest(id=str(i[0]), after=i[1]))
        else:
            out.append(PublicFetchAssociationsBatchRequest(id=str(i)))
    return BatchInputPublicFetchAssociationsBatchRequest(inputs=out)


def types_of(item) -> set[tuple]:
    return {(t.category, t.type_id, t.label) for t in item.association_types}


def page(client, from_type, from_id, to_type, **kw):
    resp, status, _ = basic(client).get_page_with_http_info(from_type, str(from_id), to_type, **kw)
    assert status == 200
    assert isinstance(resp, CollectionResponseMultiAssociatedObjectWithLabelForwardPaging)
    return resp


def linked(client, from_type, from_id, to_type) -> dict[int, set[tuple]]:
    """Every associated record (all pages) -> its set of (category, typeId, label)."""
    out: dict[int, set[tuple]] = {}
    after = None
    while True:
        kw = {"after": after} if after else {}
        resp = page(client, from_type, from_id, to_type, **kw)
        for r in resp.results:
            assert isinstance(r.to_object_id, str) and r.to_object_id.isdigit(), r
            assert int(r.to_object_id) not in out, f"{r.to_object_id} listed twice"
            out[int(r.to_object_id)] = types_of(r)
        if resp.paging is None:
            return out
        after = resp.paging.next.after


def create_label(client, from_type="contacts", to_type="companies"):
    """A paired USER_DEFINED label; returns (label, inverse label, forward typeId, inverse typeId)."""
    label, inverse = unique("Manager"), unique("Employee")
    resp = client.crm.associations.v4.schema.definitions_api.create(
        from_type, to_type, PublicAssociationDefinitionCreateRequest(name=unique("mgr"), label=label, inverse_label=inverse)
    )
    by_label = {r.label: r.type_id for r in resp.results}
    return label, inverse, by_label[label], by_label[inverse]


def set_limit(client, from_type, to_type, category, type_id, maximum):
    resp, status, _ = client.crm.associations.v4.schema.definition_configurations_api.batch_create_with_http_info(
        from_type, to_type,
        BatchInputPublicAssociationDefinitionConfigurationCreateRequest(
            inputs=[PublicAssociationDefinitionConfigurationCreateRequest(category=category, type_id=type_id, max_to_object_ids=maximum)]
        ),
    )
    assert status == 201 and resp.status == "COMPLETE", resp


def purge_limit(client, from_type, to_type, category, type_id):
    data, status, _ = client.crm.associations.v4.schema.definition_configurations_api.batch_remove_with_http_info(
        from_type, to_type, BatchInputPublicAssociationSpec(inputs=[PublicAssociationSpec(category=category, type_id=type_id)])
    )
    assert (data, status) == (None, 204)


def assert_batch_times(resp):
    assert resp.started_at is not None and resp.completed_at is not None
    assert resp.started_at <= resp.completed_at
    assert resp.started_at.tzinfo is not None


def assert_errors(resp, n):
    assert resp.num_errors == n, resp
    assert len(resp.errors) == n, resp
    for e in resp.errors:
        assert isinstance(e, StandardError)
        assert e.status and e.category and e.message, e
    return resp.errors


def default_tuples(resp):
    return [(r._from.id, r.to.id, r.association_spec.association_category, r.association_spec.association_type_id) for r in resp.results]


# ---------------------------------------------------------------- R4 / R1 / R3


def test_create_default_writes_both_directions_and_get_page_reads_them(client):
    deal, company = BIG, BIG + 1
    resp, status, _ = basic(client).create_default_with_http_info("deals", str(deal), "companies", str(company))
    assert status == 200
    assert isinstance(resp, BatchResponsePublicDefaultAssociation)
    assert resp.status == "COMPLETE"
    assert_batch_times(resp)
    assert default_tuples(resp) == [
        (str(deal), str(company), HS, DEAL_TO_COMPANY),
        (str(company), str(deal), HS, COMPANY_TO_DEAL),
    ]

    fwd = page(client, "deals", deal, "companies")
    assert [r.to_object_id for r in fwd.results] == [str(company)]
    assert types_of(fwd.results[0]) == {(HS, DEAL_TO_COMPANY, None)}
    assert fwd.paging is None
    back = page(client, "0-2", company, "0-3")
    assert [r.to_object_id for r in back.results] == [str(deal)]
    assert types_of(back.results[0]) == {(HS, COMPANY_TO_DEAL, None)}

    # Idempotent.
    again = basic(client).create_default("deals", str(deal), "companies", str(company))
    assert default_tuples(again) == default_tuples(resp)
    assert linked(client, "deals", deal, "companies") == {company: {(HS, DEAL_TO_COMPANY, None)}}


def test_create_with_user_label_is_seen_from_both_sides(client):
    label, inverse, fwd_type, inv_type = create_label(client, "contacts", "companies")
    contact, company = BIG + 10, BIG + 11
    resp, status, _ = basic(client).create_with_http_info(
        "contacts", str(contact), "companies", str(company),
        [spec(US, fwd_type), spec(HS, CONTACT_TO_COMPANY_PRIMARY)],
    )
    assert status == 201
    assert isinstance(resp, LabelsBetweenObjectPair)
    assert (resp.from_object_type_id, resp.from_object_id, resp.to_object_type_id, resp.to_object_id) == (
        "0-1", str(contact), "0-2", str(company),
    )
    assert sorted(resp.labels) == sorted([label, "Primary"])

    assert linked(client, "contacts", contact, "companies") == {
        company: {(HS, CONTACT_TO_COMPANY, None), (HS, CONTACT_TO_COMPANY_PRIMARY, "Primary"), (US, fwd_type, label)}
    }
    assert linked(client, "companies", company, "contacts") == {
        contact: {(HS, COMPANY_TO_CONTACT, None), (HS, COMPANY_TO_CONTACT_PRIMARY, "Primary"), (US, inv_type, inverse)}
    }


def test_create_body_is_the_complete_label_set(client):
    label, inverse, fwd_type, inv_type = create_label(client, "contacts", "companies")
    contact, company = 101, 202
    basic(client).create("contacts", str(contact), "companies", str(company), [spec(US, fwd_type), spec(HS, CONTACT_TO_COMPANY_PRIMARY)])

    # Only the label: Primary is removed, the unlabeled type stays, in both directions.
    resp = basic(client).create("contacts", str(contact), "companies", str(company), [spec(US, fwd_type)])
    assert resp.labels == [label]
    assert linked(client, "contacts", contact, "companies") == {company: {(HS, CONTACT_TO_COMPANY, None), (US, fwd_type, label)}}
    assert linked(client, "companies", company, "contacts") == {contact: {(HS, COMPANY_TO_CONTACT, None), (US, inv_type, inverse)}}

    # An empty set keeps only the unlabeled type.
    resp, status, _ = basic(client).create_with_http_info("contacts", str(contact), "companies", str(company), [])
    assert status == 201 and resp.labels == []
    assert linked(client, "contacts", contact, "companies") == {company: {(HS, CONTACT_TO_COMPANY, None)}}
    assert linked(client, "companies", company, "contacts") == {contact: {(HS, COMPANY_TO_CONTACT, None)}}


def test_create_with_the_inverse_label_from_the_other_side(client):
    label, inverse, fwd_type, inv_type = create_label(client, "contacts", "companies")
    resp = basic(client).create("companies", "7", "contacts", "8", [spec(US, inv_type)])
    assert (resp.from_object_type_id, resp.from_object_id, resp.to_object_type_id, resp.to_object_id) == ("0-2", "7", "0-1", "8")
    assert resp.labels == [inverse]
    assert linked(client, "contacts", 8, "companies") == {7: {(HS, CONTACT_TO_COMPANY, None), (US, fwd_type, label)}}


def test_deleting_a_label_strips_it_from_associations(client):
    label, inverse, fwd_type, inv_type = create_label(client, "contacts", "companies")
    basic(client).create("contacts", "1", "companies", "2", [spec(US, fwd_type)])
    client.crm.associations.v4.schema.definitions_api.remove("contacts", "companies", fwd_type)
    assert linked(client, "contacts", 1, "companies") == {2: {(HS, CONTACT_TO_COMPANY, None)}}
    assert linked(client, "companies", 2, "contacts") == {1: {(HS, COMPANY_TO_CONTACT, None)}}


def test_archive_removes_every_type_in_both_directions(client):
    label, _, fwd_type, _ = create_label(client, "contacts", "companies")
    basic(client).create("contacts", "1", "companies", "2", [spec(US, fwd_type), spec(HS, CONTACT_TO_COMPANY_PRIMARY)])
    basic(client).create_default("contacts", "1", "companies", "3")

    assert basic(client).archive("contacts", "1", "companies", "2") is None
    assert linked(client, "contacts", 1, "companies") == {3: {(HS, CONTACT_TO_COMPANY, None)}}
    assert linked(client, "companies", 2, "contacts") == {}

    data, status, _ = basic(client).archive_with_http_info("contacts", "1", "companies", "3")
    assert (data, status) == (None, 204)
    resp = page(client, "contacts", 1, "companies")
    assert resp.results == [] and resp.paging is None
    # Archiving what is not there succeeds too.
    data, status, _ = basic(client).archive_with_http_info("contacts", "1", "companies", "3")
    assert (data, status) == (None, 204)


# ---------------------------------------------------------------- R1 paging


def test_get_page_pages_with_after_and_limit(client):
    companies = [BIG, 5, 900, BIG + 7, 17, 3, 2_000_000]
    resp, status, _ = batch(client).create_with_http_info(
        "contacts", "companies", multi_post([(1, c, []) for c in companies])
    )
    assert status == 201 and resp.status == "COMPLETE"
    assert sorted(int(r.to_object_id) for r in resp.results) == sorted(companies)

    seen, pages, after = [], 0, None
    while True:
        kw = {"limit": 3}
        if after:
            kw["after"] = after
        resp = page(client, "contacts", 1, "companies", **kw)
        pages += 1
        assert len(resp.results) <= 3
        seen += [int(r.to_object_id) for r in resp.results]
        if resp.paging is None:
            break
        assert resp.paging.next.after, resp.paging
        assert resp.paging.next.after != after
        after = resp.paging.next.after
    assert pages == 3
    assert seen == sorted(companies), "stable order by associated id"

    # Exactly `limit` results: no paging.
    resp = page(client, "contacts", 1, "companies", limit=7)
    assert len(resp.results) == 7 and resp.paging is None


def test_get_page_default_limit_is_500(client):
    n = 501
    resp, status, _ = batch(client).create_with_http_info("contacts", "companies", multi_post([(1, c, []) for c in range(1, n + 1)]))
    assert status == 201 and len(resp.results) == n

    first = page(client, "contacts", 1, "companies")
    assert len(first.results) == 500
    assert [int(r.to_object_id) for r in first.results] == list(range(1, 501))
    assert first.paging is not None and first.paging.next.after
    second = page(client, "contacts", 1, "companies", after=first.paging.next.after)
    assert [int(r.to_object_id) for r in second.results] == [501]
    assert types_of(second.results[0]) == {(HS, CONTACT_TO_COMPANY, None)}
    assert second.paging is None
    # Above 500 is capped, not refused.
    assert len(page(client, "contacts", 1, "companies", limit=1000).results) == 500


def test_get_page_of_a_record_without_associations(client):
    resp = page(client, "contacts", 424242, "companies")
    assert resp.results == [] and resp.paging is None


# ---------------------------------------------------------------- R5 / R6


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
