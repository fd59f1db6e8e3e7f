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

from hubspot.crm.associations.v4.models import (
    BatchResponsePublicDefaultAssociation,
    LabelsBetweenObjectPair,
)

from records_support import (
    assert_batch_times,
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
    default_tuples,
    HS,
    linked,
    multi_post,
    page,
    spec,
    types_of,
    US,
)


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
