"""The resident's "my coverage" pages: dashboard, payments and the "what if I pay" calculator,
through the test client as the resident (and as a parent acting for a child)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eligibility.models import Notification, NotificationKind, NotificationStatus
from eligibility.rules import ResidentPayment
from eligibility.rules.dates import first_day, month_index
from eligibility.services import decision_record, eligibility_evaluate
from enrollment.models import FamilyRelation, RelationKind
from enrollment.portal import coverage_views
from payments.models import Channel, LedgerEntry
from payments.services import PaymentRequest, payment_record
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def day(monkeypatch):
    """Set the portal's day (Asia/Shanghai today in production)."""

    def set_day(value: dt.date) -> None:
        monkeypatch.setattr(coverage_views, "portal_day", lambda: value)

    set_day(D(2025, 6, 15))
    return set_day


def signed_in(client, user, language="en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def resident_years(person, region, years):
    for year in years:
        LedgerEntry.objects.create(
            person=person, region=region, scheme="resident", period=D(year, 1, 1), paid_on=D(year - 1, 11, 1)
        )


def flexible_months(person, region, first, last):
    LedgerEntry.objects.bulk_create(
        LedgerEntry(person=person, region=region, scheme="employee_flexible", period=first_day(m), paid_on=first_day(m))
        for m in range(month_index(*first), month_index(*last) + 1)
    )


@pytest.fixture
def late_payer(resident, nanchang, policies):
    """The signed-in resident: years 2023 and 2024 on time, 2025 paid late on 1 March (waiting to 31 May)."""
    resident_years(resident, nanchang, [2023, 2024])
    action = ResidentPayment(year=2025, paid_on=D(2025, 3, 1))
    result, profile_name = eligibility_evaluate(person_id=resident.pk, action=action)
    decision_record(person=resident, action=action, result=result, profile_name=profile_name)
    return resident


@pytest.fixture
def flexible_worker(resident, nanchang, policies):
    """The signed-in resident: flexible-worker months January to June 2025, nothing after."""
    flexible_months(resident, nanchang, (2025, 1), (2025, 6))
    return resident


def dashboard(client, **query):
    return client.get(reverse("portal:dashboard"), query)


def status_of(body):
    found = re.search(r'id="status" class="status (status-\w+)" data-state="(\w+)"', body)
    assert found, "no status block"
    return found.group(1), found.group(2)


def sentence_of(body):
    return re.search(r'id="status-sentence">([^<]*)<', body).group(1)


# --- dashboard ------------------------------------------------------------------------------------


def test_a_covered_resident_reads_covered_in_green_with_the_figures(client, late_payer, day):
    body = dashboard(signed_in(client, late_payer.user)).content.decode()

    assert status_of(body) == ("status-covered", "covered")
    assert "Covered by" in sentence_of(body) and "2025" in sentence_of(body)
    assert 'id="warnings"' not in body
    assert re.search(r'id="fact-continuous">\d+<', body)
    assert "css/portal.css" in body and 'name="csrfmiddlewaretoken"' in body  # logout and language forms


def test_a_waiting_resident_reads_until_when(client, late_payer, day):
    day(D(2025, 4, 15))
    body = dashboard(signed_in(client, late_payer.user)).content.decode()

    assert status_of(body) == ("status-waiting", "waiting")
    assert "In the waiting period until" in sentence_of(body) and "2025" in sentence_of(body)
    waiting = re.search(r'id="fact-waiting">([^<]*)<', body).group(1)
    assert "2025" in waiting and "to" in waiting


def test_an_interrupted_worker_sees_the_deadline_first(client, flexible_worker, day):
    day(D(2025, 8, 10))
    body = dashboard(signed_in(client, flexible_worker.user)).content.decode()

    assert status_of(body)[0] == "status-interrupted"
    assert "Payments interrupted: 1 whole months" in sentence_of(body)
    # The warning comes before the status, names the deadline and links to the calculator.
    assert body.index('id="warnings"') < body.index('id="status"')
    warning = body[body.index('id="warnings"') : body.index('id="status"')]
    assert 'data-kind="gap_deadline"' in warning
    assert "Pay by Oct. 31, 2025" in warning and "stopped after June 2025" in warning
    assert reverse("portal:calculator") in warning


def test_a_person_never_enrolled_reads_not_enrolled_in_grey(client, resident, policies, day):
    body = dashboard(signed_in(client, resident.user)).content.decode()

    assert status_of(body) == ("status-not_enrolled", "not_enrolled")
    assert sentence_of(body) == "Not enrolled."


def test_the_dashboard_is_chinese_by_default(client, late_payer, day):
    client.force_login(late_payer.user)
    body = dashboard(client).content.decode()

    assert '<html lang="zh-hans">' in body
    assert "自2025年6月1日起享受" in sentence_of(body)


def test_the_timeline_shows_every_month_with_the_current_year_open(client, late_payer, day):
    body = dashboard(signed_in(client, late_payer.user)).content.decode()

    assert 'id="coverage-timeline"' in body
    assert re.search(r'<details class="ptl-year" data-year="2025" open>', body)
    assert re.search(r'<details class="ptl-year" data-year="2024">', body)

    def cell(month, strip):
        block = re.search(rf'data-month="{month}"[^>]*>(.*?)</li>', body, re.S).group(1)
        return re.search(rf'data-strip="{strip}" data-state="(\w+)"', block).group(1)

    assert cell("2025-02", "contribution") == "paid"
    assert cell("2025-04", "benefit") == "waiting"
    assert cell("2025-06", "benefit") == "covered"
    assert re.search(r'data-month="2025-06" aria-current="date"', body)


def test_the_dashboard_reads_a_fixed_number_of_queries(client, resident, nanchang, policies, day):
    client = signed_in(client, resident.user)
    resident_years(resident, nanchang, [2023])
    with CaptureQueriesContext(connection) as short:
        assert dashboard(client).status_code == 200
    flexible_months(resident, nanchang, (2024, 1), (2025, 5))
    with CaptureQueriesContext(connection) as long:
        assert dashboard(client).status_code == 200
    assert len(long) == len(short) <= 16


# --- payments -------------------------------------------------------------------------------------


@pytest.fixture
def paid_resident(resident, nanchang, policies):
    resident_years(resident, nanchang, [2024])
    outcome = payment_record(
        person=resident,
        request=PaymentRequest.resident_year(2025),
        channel=Channel.TAX_WECHAT,
        reference="WX-PORTAL-1",
        amount=quote_amount(resident, 2025, D(2024, 11, 20)),
        paid_at=dt.datetime(2024, 11, 20, 9, 0, tzinfo=dt.UTC),
    )
    return resident, outcome.payment


def quote_amount(person, year, on):
    from payments.services import premium_quote

    return premium_quote(person=person, request=PaymentRequest.resident_year(year), on=on).amount


def test_payments_lists_payments_with_receipt_links_and_the_ledger(client, paid_resident, day):
    person, payment = paid_resident
    body = signed_in(client, person.user).get(reverse("portal:payments")).content.decode()

    assert f'data-payment="{payment.pk}"' in body
    assert reverse("payments:receipt", args=[payment.pk]) in body
    ledger = body[body.index('id="section-ledger"') :]
    assert 'data-period="2024-01"' in ledger and 'data-period="2025-01"' in ledger
    # The receipt link really opens for this resident.
    assert client.get(reverse("payments:receipt", args=[payment.pk])).status_code == 200


def test_payments_lists_the_reminders_but_not_cancelled_ones(client, resident, policies, day):
    common = {"person": resident, "send_on": D(2025, 6, 1), "expires_on": D(2025, 7, 31), "fingerprint": "x"}
    Notification.objects.create(
        kind=NotificationKind.WAITING_ENDS,
        subject_on=D(2025, 7, 31),
        params={"waiting_end": "2025-07-31", "benefits_from": "2025-08-01"},
        status=NotificationStatus.SENT,
        **common,
    )
    Notification.objects.create(
        kind=NotificationKind.WAITING_ENDS,
        subject_on=D(2025, 6, 30),
        params={"waiting_end": "2025-06-30", "benefits_from": "2025-07-01"},
        status=NotificationStatus.CANCELLED,
        **common,
    )
    body = signed_in(client, resident.user).get(reverse("portal:payments")).content.decode()

    reminders = body[body.index('id="section-reminders"') : body.index('id="section-ledger"')]
    assert reminders.count('data-kind="waiting_ends"') == 1
    assert "Your waiting period ends on July 31, 2025" in reminders


# --- calculator -----------------------------------------------------------------------------------


def calc(client, **query):
    return client.get(reverse("portal:calculator"), query).content.decode()


def amount_of(body):
    return re.search(r'class="amount quote-amount">¥([\d.]+)<', body).group(1)


def test_calculator_resident_year_on_time_and_late(client, late_payer, policies, day):
    client = signed_in(client, late_payer.user)

    on_time = calc(client, action="resident_year", year="2026", paid_on="2025-11-10")
    late = calc(client, action="resident_year", year="2026", paid_on="2026-04-10")

    assert 'data-accepted="1"' in on_time
    assert amount_of(on_time) == str(quote_amount(late_payer, 2026, D(2025, 11, 10)))
    assert re.search(r'class="quote-waiting">no waiting period<', on_time)
    assert re.search(r'class="quote-benefits">[^<]*2026', on_time)
    waiting = re.search(r'class="quote-waiting">([^<]*)<', late).group(1)
    assert "2026" in waiting  # paid after the collection period: a waiting period


def test_calculator_flexible_annual_and_mid_year(client, flexible_worker, day):
    client = signed_in(client, flexible_worker.user)
    day(D(2025, 8, 10))

    annual = calc(client, action="flexible_annual", year="2026", paid_on="2025-12-20")
    mid_year = calc(client, action="flexible_mid_year", paid_on="2025-08-10")

    assert 'data-accepted="1"' in annual and "×" in annual  # itemised monthly lines
    assert 'data-accepted="1"' in mid_year
    # EMP-2: from the month after the last paid one (July) to December.
    assert "Months 2025-07 to 2025-12" in mid_year


def test_calculator_back_payment(client, flexible_worker, day):
    body = calc(
        signed_in(client, flexible_worker.user),
        action="back_payment",
        cover_from="2025-07",
        paid_on="2025-09-10",
    )

    assert "Months 2025-07 to 2025-12" in body  # to December when left empty (EMP-2)
    assert 'data-accepted="1"' in body
    assert re.search(r'class="quote-continuous">\d+<', body)


def test_calculator_repair_compares_with_and_without(client, resident, nanchang, policies, day):
    resident_years(resident, nanchang, [2021, 2022])  # 2023 and 2024 unpaid: break years
    body = calc(signed_in(client, resident.user), action="repair", year="2025", repair_years="2", paid_on="2025-06-15")

    assert 'id="repair-compare"' in body
    without = body[body.index('id="compare-without"') : body.index('id="compare-with"')]
    with_repair = body[body.index('id="compare-with"') :]
    assert 'data-accepted="1"' in without
    assert "data-accepted" in with_repair


def test_calculator_bad_date_is_refused_keeping_the_input(client, resident, policies, day):
    body = calc(signed_in(client, resident.user), action="resident_year", year="2026", paid_on="15/11/2025")

    assert "Enter the date as YYYY-MM-DD" in body
    assert 'value="15/11/2025"' in body and 'value="2026"' in body
    assert 'id="calculator-result"' not in body


def test_calculator_bad_date_message_in_chinese(client, resident, policies, day):
    client.force_login(resident.user)
    body = calc(client, action="resident_year", year="2026", paid_on="2025-13-40")

    assert 'value="2025-13-40"' in body and 'id="calculator-result"' not in body
    assert "errorlist" in body


def test_calculator_missing_months_for_back_payment(client, resident, policies, day):
    body = calc(signed_in(client, resident.user), action="back_payment", paid_on="2025-06-15", cover_to="2025-12")

    assert "Give the first missed month." in body and 'value="2025-12"' in body
    assert 'id="calculator-result"' not in body


# --- who may see what -----------------------------------------------------------------------------

PAGES = ["portal:dashboard", "portal:payments", "portal:calculator"]


@pytest.mark.parametrize("name", PAGES)
def test_another_persons_id_is_not_found(client, resident, other_resident, policies, day, name):
    response = signed_in(client, resident.user).get(reverse(name), {"person": other_resident.pk})
    assert response.status_code == 404
    assert signed_in(client, resident.user).get(reverse(name), {"person": "abc"}).status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("portal:login"))


@pytest.mark.parametrize("name", PAGES)
def test_a_parent_can_switch_to_their_child(client, resident, nanchang, policies, day, name):
    child = PersonFactory(household_region=nanchang, name="小明", born=D(2018, 2, 3))
    FamilyRelation.objects.create(person=child, relative=resident, kind=RelationKind.PARENT)
    client = signed_in(client, resident.user)

    body = client.get(reverse(name), {"person": child.pk}).content.decode()

    assert "小明" in body and f'data-person="{child.pk}"' in body
    assert f'data-person="{resident.pk}"' in body
