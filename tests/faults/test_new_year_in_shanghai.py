"""Fault: the clock and the time zone at the turn of the year.

The server's process runs in UTC (TZ=UTC), Django in Asia/Shanghai with USE_TZ. Two seconds apart,
2025-12-31 23:59:59 and 2026-01-01 00:00:01 in Shanghai are 15:59:59 and 16:00:01 UTC, the same
UTC day. DATE-1 makes every date the Shanghai date: the payment date, the ledger, the rules'
decision (RES-2/RES-3/RES-8a), the receipt, and "today" of the nightly run.
"""

import datetime as dt
import os
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from eligibility.models import RecomputeRun
from eligibility.tasks import nightly_recompute
from payments.models import LedgerEntry
from payments.services import PaymentRefused, PaymentRequest, payment_record
from tests.factories import TEST_PASSWORD, PersonFactory

pytestmark = pytest.mark.django_db

LAST_SECOND_UTC = dt.datetime(2025, 12, 31, 15, 59, 59, tzinfo=dt.UTC)  # 2025-12-31 23:59:59 in Shanghai
FIRST_SECOND_UTC = dt.datetime(2025, 12, 31, 16, 0, 1, tzinfo=dt.UTC)  # 2026-01-01 00:00:01 in Shanghai


@pytest.fixture(autouse=True)
def process_in_utc():
    """The server's own clock and zone are UTC; only Django's settings say Shanghai."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    assert time.strftime("%Z") == "UTC"
    assert (settings.TIME_ZONE, settings.USE_TZ) == ("Asia/Shanghai", True)
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def pay(person, *, year, paid_at, reference):
    return payment_record(
        person=person,
        request=PaymentRequest.resident_year(year),
        channel="tax_wechat",
        reference=reference,
        amount=Decimal("400.00"),
        paid_at=paid_at,
    ).payment


def test_a_payment_for_the_new_year_on_new_years_eve_is_in_time_and_on_new_years_day_starts_a_day_later(
    nanchang, policies
):
    eve, day = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)

    on_eve = pay(eve, year=2026, paid_at=LAST_SECOND_UTC, reference="NY-EVE")
    on_day = pay(day, year=2026, paid_at=FIRST_SECOND_UTC, reference="NY-DAY")

    assert (on_eve.paid_on, on_day.paid_on) == (dt.date(2025, 12, 31), dt.date(2026, 1, 1))
    ledger = dict(LedgerEntry.objects.filter(period=dt.date(2026, 1, 1)).values_list("person_id", "paid_on"))
    assert ledger == {eve.pk: dt.date(2025, 12, 31), day.pk: dt.date(2026, 1, 1)}
    # RES-2: paid before 2026-01-01 → from 01-01; paid in the period from 01-01 under JX-2026's
    # NEXT_DAY → from the day after the payment.
    assert on_eve.decision.benefits_from == dt.date(2026, 1, 1)
    assert on_day.decision.benefits_from == dt.date(2026, 1, 2)
    assert on_eve.decision.waiting_start is None and on_day.decision.waiting_start is None


def test_the_last_day_to_pay_2025_ends_at_midnight_in_shanghai_not_in_utc(nanchang, policies):
    late, too_late = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)

    # RES-3: JX-2025's late window ends 2025-12-31; RES-5/RES-8: a late payment waits 3 months from
    # the payment day, so it buys continuity but no benefit in 2025 (RES-8a, allowed by the profile).
    accepted = pay(late, year=2025, paid_at=LAST_SECOND_UTC, reference="NY-LATE")
    assert accepted.paid_on == dt.date(2025, 12, 31)
    assert accepted.decision.waiting_start == dt.date(2025, 12, 31)
    assert accepted.decision.benefits_from == dt.date(2026, 3, 31)
    assert "NO_BENEFIT_THIS_YEAR" in accepted.decision.warnings

    # Two seconds later it is 2026 in Shanghai, though still 2025-12-31 in UTC: the year is closed.
    with pytest.raises(PaymentRefused) as refusal:
        pay(too_late, year=2025, paid_at=FIRST_SECOND_UTC, reference="NY-TOO-LATE")
    assert refusal.value.code == "RES_PERIOD_CLOSED"
    assert not LedgerEntry.objects.filter(person=too_late).exists()


def test_the_receipts_print_the_shanghai_time_and_dates(nanchang, policies, clerk):
    eve, day = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)
    payments = [
        pay(eve, year=2026, paid_at=LAST_SECOND_UTC, reference="NY-R1"),
        pay(day, year=2026, paid_at=FIRST_SECOND_UTC, reference="NY-R2"),
    ]
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    assert client.login(username=clerk.username, password=TEST_PASSWORD)

    pages = [client.get(reverse("payments:receipt", args=[p.pk])).content.decode() for p in payments]

    assert "2025-12-31 23:59" in pages[0] and "2026-01-01 00:00" in pages[1]
    assert "2026年1月1日" in pages[0] and "2026年1月2日" in pages[1]  # benefits from


def test_the_clerk_types_the_shanghai_time_on_the_record_screen(nanchang, policies, clerk):
    person = PersonFactory(household_region=nanchang)
    client = Client()
    assert client.login(username=clerk.username, password=TEST_PASSWORD)
    data = {
        "person": person.pk,
        "kind": "resident_year",
        "year": "2026",
        "repair_years": "0",
        "employee_kind": "flexible",
        "frequency": "annual",
        "channel": "clerk_counter",
        "reference": "CTR-NY-1",
        "amount": "400.00",
        "paid_at": "2026-01-01T00:00:01",
        "_record": "1",
    }

    response = client.post(reverse("admin:payments_payment_record"), data)

    assert response.status_code == 302
    payment = person.payments.get()
    assert payment.paid_at == FIRST_SECOND_UTC and payment.paid_on == dt.date(2026, 1, 1)


def test_today_of_the_nightly_run_is_the_shanghai_date(monkeypatch, nanchang, policies):
    server_clock = dt.datetime(2025, 12, 31, 16, 30, tzinfo=dt.UTC)  # 00:30 on 1 January in Shanghai
    monkeypatch.setattr(timezone, "now", lambda: server_clock)
    PersonFactory(household_region=nanchang)
    assert timezone.localdate() == dt.date(2026, 1, 1)

    call_command("recompute_eligibility", "--in-process", stdout=open(os.devnull, "w"))  # noqa: SIM115
    nightly_recompute()  # the 02:00 schedule's task (in-process without a broker)

    runs = list(RecomputeRun.objects.order_by("pk").values_list("triggered_by", "as_of", "status"))
    assert runs == [("command", dt.date(2026, 1, 1), "finished"), ("celery", dt.date(2026, 1, 1), "finished")]
