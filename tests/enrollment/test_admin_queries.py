"""The list pages of the clerk workspace cost the same number of queries for 3 rows as for 30 (no
query per row), and never count a whole table to draw a page (enrollment/scoping.py)."""

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from eligibility.models import ClaimYear, EligibilitySnapshot, Notification
from enrollment.models import Case, FamilyRelation, Person
from enrollment.scoping import LargeTablePaginator
from payments.models import ImportBatch
from payments.services import PaymentRequest, payment_record
from tests.factories import EnrollmentFactory, PersonEventFactory, PersonFactory

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))

LISTS = [
    "enrollment:person",
    "enrollment:personevent",
    "enrollment:enrollment",
    "enrollment:familyrelation",
    "enrollment:case",
    "payments:payment",
    "payments:ledgerentry",
    "payments:importbatch",
    "payments:policyprofile",
    "eligibility:eligibilitysnapshot",
    "eligibility:benefitdecision",
    "eligibility:notification",
    "eligibility:claimyear",
]
# A list page is a handful of queries (session, user, regions, count, rows, filters); a query per row
# would show as a difference between 3 and 30 rows, a sudden jump above this as a regression.
MAX_QUERIES = 16


def _add_rows(count, region, uploader, start):
    for number in range(start, start + count):
        person = PersonFactory(household_region=region, name=f"列表{number}")
        relative = PersonFactory(household_region=region, name=f"亲属{number}")
        PersonEventFactory(person=person, related_person=relative, recorded_by=uploader)
        EnrollmentFactory(person=person, region=region)
        FamilyRelation.objects.create(person=person, relative=relative, kind="parent")
        payment_record(
            person=person,
            request=PaymentRequest.resident_year(2025),
            channel="tax_wechat",
            reference=f"Q-{number}",
            amount=Decimal("400.00"),
            paid_at=dt.datetime(2024, 11, 10, 9, 30, tzinfo=SHANGHAI),
            recorded_by=uploader,
        )
        EligibilitySnapshot.objects.create(
            person=person, as_of=dt.date(2026, 1, 1), state="covered", rules_version="t", computed_at=timezone.now()
        )
        Notification.objects.create(
            person=person,
            kind="gap_deadline",
            subject_on=dt.date(2026, 3, 31),
            send_on=dt.date(2026, 3, 1),
            expires_on=dt.date(2026, 3, 31),
            fingerprint=f"q{number}",
            params={"deadline": "2026-03-31", "last_month": "2025-12", "after": "2026-04-01", "grace": 3},
        )
        ClaimYear.objects.create(person=person, year=2025, reimbursed=Decimal("1.00"))
        content = f"file {number}".encode()
        ImportBatch.objects.create(
            file_name=f"f{number}.csv",
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_by=uploader,
            started_at=timezone.now(),
        )
        Case.objects.create(region=region, person=person, kind="resident_enrolment", opened_by=uploader)


def _query_counts(client):
    counts = {}
    for name in LISTS:
        app, model = name.split(":")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(f"admin:{app}_{model}_changelist"))
        assert response.status_code == 200, name
        counts[name] = len(queries)
    return counts


@pytest.mark.parametrize("actor", ["clerk", "administrator"])
def test_list_pages_cost_the_same_queries_for_3_and_30_rows(client, actor, request, nanchang, policies):
    user = request.getfixturevalue(actor)
    client.force_login(user)
    client.get(reverse("admin:index"))  # warm the per-process caches (content types, ...)

    _add_rows(3, nanchang, user, 0)
    with_3 = _query_counts(client)
    _add_rows(27, nanchang, user, 3)
    with_30 = _query_counts(client)

    assert with_3 == with_30
    assert max(with_30.values()) <= MAX_QUERIES, with_30


def test_a_list_page_never_counts_the_whole_table(client, clerk, administrator, nanchang):
    for _ in range(3):
        PersonFactory(household_region=nanchang)
    for user in (clerk, administrator):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("admin:enrollment_person_changelist"))
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
        # the capped count: COUNT over a LIMITed subquery, never a bare COUNT(*) of the table
        assert counts and all("LIMIT" in sql.upper() for sql in counts), counts


def test_the_paginator_caps_a_filtered_count(nanchang, monkeypatch):
    for _ in range(8):
        PersonFactory(household_region=nanchang)
    monkeypatch.setattr(LargeTablePaginator, "COUNT_CAP", 5)
    assert LargeTablePaginator(Person.objects.filter(household_region=nanchang).order_by("pk"), 2).count == 5
    monkeypatch.setattr(LargeTablePaginator, "COUNT_CAP", 100)
    assert LargeTablePaginator(Person.objects.filter(household_region=nanchang).order_by("pk"), 2).count == 8


def test_the_paginator_estimates_an_unfiltered_large_table(nanchang, monkeypatch):
    for _ in range(4):
        PersonFactory(household_region=nanchang)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Person._meta.db_table}")
    monkeypatch.setattr(LargeTablePaginator, "ESTIMATE_ABOVE", 1)
    with CaptureQueriesContext(connection) as queries:
        count = LargeTablePaginator(Person.objects.order_by("pk"), 2).count
    assert count == 4  # the planner's figure (exact right after ANALYZE on a small table)
    assert "reltuples" in queries[0]["sql"] and len(queries) == 1
    # below the threshold the exact (capped) count is used
    monkeypatch.setattr(LargeTablePaginator, "ESTIMATE_ABOVE", 100)
    Person.objects.filter(pk=Person.objects.first().pk).update(name="改")
    assert LargeTablePaginator(Person.objects.order_by("pk"), 2).count == 4
