"""Fault: two clerks act on the same thing at the same moment.

Two threads, each with its own database connection, wait at a barrier so that both have loaded the
case (or the record screen's form) before either writes. Exactly one approval (one payment) takes
effect; the other clerk gets a clear message, never a 500.
"""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from enrollment import cases
from enrollment.models import Case, CaseKind, CaseState, CaseTransition, Enrollment
from enrollment.roles import CLERK, SUPERVISOR, roles_ensure
from payments.models import LedgerEntry, Payment
from payments.policy_years import policy_profiles_load
from tests.factories import TEST_PASSWORD, PersonFactory, RegionFactory, StaffRegionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def run_together(*targets):
    """Run the callables in threads released together; returns their results or exceptions."""
    barrier = threading.Barrier(len(targets))
    results: list[object] = [None] * len(targets)

    def runner(index, target):
        try:
            barrier.wait()
            results[index] = target()
        except Exception as error:  # noqa: BLE001 - returned and asserted by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def office(monkeypatch):
    """Nanchang with two supervisors and a resident-enrolment case in review, every document verified."""
    moment = dt.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(dt.UTC))
    region = RegionFactory(code="360100", name_zh="南昌市", name_en="Nanchang")
    roles = roles_ensure()
    for group in (roles[CLERK], roles[SUPERVISOR]):
        codenames = ["view_case", "add_case", "change_case"] + (["approve_case"] if group == roles[SUPERVISOR] else [])
        group.permissions.add(*Permission.objects.filter(content_type__app_label="enrollment", codename__in=codenames))
    clerk = UserFactory(username="clerk_nc", is_staff=True, groups=[roles[CLERK]])
    supervisors = [UserFactory(username=f"supervisor_{i}", is_staff=True, groups=[roles[SUPERVISOR]]) for i in (1, 2)]
    for user in (clerk, *supervisors):
        StaffRegionFactory(user=user, region=region)
    person = PersonFactory(household_region=region)
    case = cases.case_open(
        person=person,
        region=region,
        kind=CaseKind.RESIDENT_ENROLMENT,
        details={"start_date": "2026-01-01"},
        by=clerk,
    )
    for document in case.documents.filter(required=True):
        cases.case_document_receive(document=document, by=clerk)
        cases.case_document_verify(document=document, by=clerk)
    cases.case_submit(case=case, by=clerk)
    cases.case_start_review(case=case, by=clerk)
    return {"region": region, "clerk": clerk, "supervisors": supervisors, "case": case, "person": person}


def test_two_supervisors_approving_one_case_at_once_approve_it_once(office, monkeypatch):
    first, second = office["supervisors"]
    # Each clerk's screen loaded the case before either pressed "approve".
    loaded = [Case.objects.get(pk=office["case"].pk) for _ in range(2)]
    calls = []
    create = cases.enrollment_create

    def counted_create(**kwargs):
        calls.append(kwargs["person"].pk)
        return create(**kwargs)

    monkeypatch.setattr(cases, "enrollment_create", counted_create)  # the register's service approval calls

    def approve(case, by):
        with translation.override("en"):
            return cases.case_approve(case=case, by=by)

    results = run_together(lambda: approve(loaded[0], first), lambda: approve(loaded[1], second))

    approved = [r for r in results if isinstance(r, Case)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(approved) == 1 and len(refused) == 1, results
    assert refused[0].messages == ["A case that is approved cannot be moved with “Approve”."]
    assert calls == [office["person"].pk]
    assert Enrollment.objects.filter(person=office["person"]).count() == 1
    assert CaseTransition.objects.filter(case=office["case"], action="approve").count() == 1
    assert Case.objects.get(pk=office["case"].pk).state == CaseState.APPROVED


def move(client, case, action):
    return client.post(reverse("admin:enrollment_case_move", args=[case.pk]), {"action": action, "reason": ""})


def signed_in(user):
    client = Client()
    client.cookies["django_language"] = "en"
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def test_two_supervisors_pressing_approve_in_the_admin_at_once_see_one_success_and_one_message(office):
    clients = [signed_in(user) for user in office["supervisors"]]
    case = office["case"]

    responses = run_together(*(lambda c=c: move(c, case, "approve") for c in clients))

    assert all(getattr(r, "status_code", None) == 302 for r in responses), responses
    said = sorted(" ".join(str(m) for m in get_messages(r.wsgi_request)) for r in responses)
    assert sum("is now approved" in text for text in said) == 1
    assert sum("A case that is approved cannot be moved with “Approve”." in text for text in said) == 1
    assert CaseTransition.objects.filter(case=case, action="approve").count() == 1
    assert Enrollment.objects.filter(person=office["person"]).count() == 1

    # The second clerk opening the case afterwards and pressing approve again: the message, not a 500.
    late = move(clients[1], case, "approve")
    assert late.status_code == 302
    assert any("cannot be moved" in str(m) for m in get_messages(late.wsgi_request))


def test_two_clerks_recording_one_reference_on_the_screen_at_once_see_one_payment(office):
    policy_profiles_load()
    clerk = office["clerk"]
    other = UserFactory(username="clerk_nc_2", is_staff=True, groups=list(clerk.groups.all()))
    StaffRegionFactory(user=other, region=office["region"])
    person = office["person"]
    data = {
        "person": person.pk,
        "kind": "resident_year",
        "year": "2025",
        "repair_years": "0",
        "employee_kind": "flexible",
        "frequency": "annual",
        "channel": "clerk_counter",
        "reference": "CTR-SAME-1",
        "amount": "400.00",
        "paid_at": "2024-11-10T10:00",
        "_record": "1",
    }
    clients = [signed_in(clerk), signed_in(other)]

    responses = run_together(*(lambda c=c: c.post(reverse("admin:payments_payment_record"), data) for c in clients))

    payment = Payment.objects.get()
    target = reverse("admin:payments_payment_change", args=[payment.pk])
    assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {target}
    said = sorted(" ".join(str(m) for m in get_messages(r.wsgi_request)) for r in responses)
    assert sum("Payment recorded" in text for text in said) == 1
    assert sum("This reference is already recorded; here is the existing payment" in text for text in said) == 1
    assert LedgerEntry.objects.filter(person=person).count() == 1
