"""The clerk's person page: status in words, the coverage timeline, the quote / what-if panel and
"recompute now", through the test client as a clerk of the person's region."""

import datetime as dt
import re
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eligibility.models import BenefitDecision, EligibilitySnapshot
from eligibility.rules import ResidentPayment
from eligibility.services import decision_record, eligibility_evaluate, eligibility_recompute
from enrollment import admin_person
from payments.models import LedgerEntry, Payment
from tests.factories import TEST_PASSWORD, PersonFactory

pytestmark = pytest.mark.django_db
D = dt.date
DAY = D(2025, 6, 15)


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch):
    monkeypatch.setattr(admin_person, "page_day", lambda: DAY)


def login(client, user, language="en"):
    client.cookies["django_language"] = language
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def late_payer(nanchang, policies):
    """Resident years 2023 and 2024 on time, 2025 paid late on 1 March: waiting to 31 May."""
    person = PersonFactory(household_region=nanchang, name="王芳", born=D(1980, 5, 1))
    for year in (2023, 2024):
        LedgerEntry.objects.create(
            person=person, region=nanchang, scheme="resident", period=D(year, 1, 1), paid_on=D(year - 1, 11, 1)
        )
    action = ResidentPayment(year=2025, paid_on=D(2025, 3, 1))
    result, profile_name = eligibility_evaluate(person_id=person.pk, action=action)
    decision_record(person=person, action=action, result=result, profile_name=profile_name)
    eligibility_recompute(person_id=person.pk, as_of=D(2025, 4, 1))  # stored while still waiting
    return person


def page_url(person):
    return reverse("admin:enrollment_person_change", args=[person.pk])


def cell(body, scheme, strip, month):
    row = re.search(rf'data-scheme="{scheme}" data-strip="{strip}">(.*?)</div>', body, re.S)
    assert row, f"no {scheme} {strip} strip"
    found = re.search(rf'data-month="{month}" data-state="(\w+)"[^>]* title="([^"]*)"', row.group(1))
    assert found, f"no cell {month}"
    return found.group(1), found.group(2)


def test_the_page_shows_the_status_in_words_and_the_timeline(client, clerk, late_payer):
    response = login(client, clerk).get(page_url(late_payer))
    body = response.content.decode()

    assert response.status_code == 200
    assert 'id="status-badge" data-state="waiting"' in body
    assert "In the waiting period until 31 May 2025" in body or "In the waiting period until May 31, 2025" in body
    assert 'id="coverage-timeline"' in body and "css/timeline.css" in body
    assert cell(body, "resident", "contribution", "2025-02")[0] == "paid"
    assert cell(body, "resident", "benefit", "2025-02")[0] == "no_benefit"
    state, title = cell(body, "resident", "benefit", "2025-04")
    assert state == "waiting" and "RES-5" in title
    assert cell(body, "resident", "benefit", "2025-06")[0] == "covered"
    assert cell(body, "resident", "benefit", "2024-06")[0] == "covered"
    # The current month is marked, the legend is there.
    assert 'aria-current="date"' in body and "tl-legend" in body
    # Open cases are listed where the case model is installed (it is in this project).
    assert 'id="section-cases"' in body and "No open cases." in body


def test_the_page_lists_the_latest_ledger_rows_and_the_default_quote(client, clerk, late_payer):
    body = login(client, clerk).get(page_url(late_payer)).content.decode()

    ledger = body[body.index('id="section-ledger"') : body.index('id="section-payments"')]
    assert ledger.count("<tr") == 1 + 3  # heading + three resident years
    # Default question: the resident year not yet paid (2026), paid today: not open yet in June.
    assert 'id="quote-result" data-accepted="0"' in body and "RES_PERIOD_NOT_OPEN" in body
    assert 'name="year" value="2026"' in body


def test_the_quote_panel_answers_for_a_chosen_date(client, clerk, late_payer):
    url = reverse("admin:enrollment_person_quote", args=[late_payer.pk])
    body = (
        login(client, clerk)
        .get(url, {"kind": "resident_year", "year": "2026", "repair_years": "0", "paid_on": "2026-04-10"})
        .content.decode()
    )

    assert 'id="quote-result" data-accepted="1"' in body
    assert re.search(r'id="quote-amount">\d+\.\d\d<', body)
    # Paid late (after the collection period): a waiting period, benefits later.
    waiting = re.search(r'id="quote-waiting">([^<]*)<', body).group(1)
    assert "2026" in waiting
    assert "RES-5" in body
    record = re.search(r'id="quote-record-link" href="([^"]*)"', body).group(1)
    assert record.startswith(reverse("admin:payments_payment_record"))
    assert f"person={late_payer.pk}" in record and "year=2026" in record and "paid_at=2026-04-10T09" in record


def test_a_refused_what_if_says_why_and_offers_no_recording(client, clerk, late_payer):
    url = reverse("admin:enrollment_person_quote", args=[late_payer.pk])
    body = (
        login(client, clerk)
        .get(url, {"kind": "resident_year", "year": "2025", "paid_on": "2025-07-01"})
        .content.decode()
    )

    assert 'data-accepted="0"' in body and "RES_ALREADY_PAID" in body
    assert 'id="quote-record-link"' not in body


def test_a_year_without_a_published_policy_is_a_sentence_not_a_code(client, clerk, late_payer):
    # The year after the last one the data files give: no profile, published or not.
    url = reverse("admin:enrollment_person_quote", args=[late_payer.pk])
    body = (
        login(client, clerk)
        .get(url, {"kind": "resident_year", "year": "2099", "paid_on": "2025-07-01"})
        .content.decode()
    )

    assert "No resident insurance policy is configured for region 360100 in 2099." in body
    assert "NO_POLICY" not in body and 'id="quote-record-link"' not in body


def test_bad_what_if_input_gets_a_message_and_no_quote(client, clerk, late_payer):
    url = reverse("admin:enrollment_person_quote", args=[late_payer.pk])
    body = login(client, clerk).get(url, {"kind": "employee_months", "paid_on": "2025-07-01"}).content.decode()

    assert "Give the first and the last month covered." in body
    assert 'id="quote-result"' not in body


def test_recompute_now_changes_the_snapshot_and_records_nothing_else(client, clerk, late_payer):
    before = (Payment.objects.count(), LedgerEntry.objects.count(), BenefitDecision.objects.count())
    assert EligibilitySnapshot.objects.get(person=late_payer).state == "waiting"

    response = login(client, clerk).post(
        reverse("admin:enrollment_person_recompute", args=[late_payer.pk]), follow=True
    )

    snapshot = EligibilitySnapshot.objects.get(person=late_payer)
    assert snapshot.state == "covered" and snapshot.as_of == DAY
    assert (Payment.objects.count(), LedgerEntry.objects.count(), BenefitDecision.objects.count()) == before
    body = response.content.decode()
    assert "Status recomputed" in body and 'data-state="covered"' in body


def test_recompute_now_is_post_only_and_refused_outside_the_region(client, clerk, other_region_clerk, late_payer):
    url = reverse("admin:enrollment_person_recompute", args=[late_payer.pk])
    assert login(client, clerk).get(url).status_code == 405
    client.logout()

    response = login(client, other_region_clerk).post(url)

    assert response.status_code in (403, 404)
    assert EligibilitySnapshot.objects.get(person=late_payer).state == "waiting"


def test_the_page_is_refused_to_a_clerk_of_another_region(client, other_region_clerk, late_payer):
    response = login(client, other_region_clerk).get(page_url(late_payer))
    assert response.status_code in (302, 403, 404)
    assert "coverage-timeline" not in response.content.decode()


def test_chinese_is_the_default_language_of_the_page(client, clerk, late_payer):
    body = login(client, clerk, language="zh-hans").get(page_url(late_payer)).content.decode()

    assert 'lang="zh-hans"' in body
    assert "2025年5月31日" in body  # local dates in Chinese form
    assert "等待期" in body  # the decision's explanation, stored in Chinese
    assert 'data-state="waiting"' in body


def _employee_history(person, region, years):
    rows = [
        LedgerEntry(
            person=person, region=region, scheme="employee_unit", period=D(year, month, 1), paid_on=D(year, month, 1)
        )
        for year in range(2026 - years, 2026)
        for month in range(1, 13)
    ]
    LedgerEntry.objects.bulk_create(rows)


def _page_queries(client, person):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(page_url(person))
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    return len(queries), elapsed, response.content.decode()


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_history(client, clerk, nanchang, policies):
    one_year = PersonFactory(household_region=nanchang)
    ten_years = PersonFactory(household_region=nanchang)
    _employee_history(one_year, nanchang, 1)
    _employee_history(ten_years, nanchang, 10)
    login(client, clerk)
    _page_queries(client, one_year)  # warm caches (content types, sessions)

    short, _, _ = _page_queries(client, one_year)
    long, elapsed, body = _page_queries(client, ten_years)

    assert short == long
    assert elapsed < 2.0
    ledger = body[body.index('id="section-ledger"') : body.index('id="section-payments"')]
    assert ledger.count("<tr") == 1 + admin_person.LEDGER_ROWS
    assert cell(body, "employee_unit", "contribution", "2023-01")[0] == "paid"


def test_a_payment_the_regions_policy_does_not_offer_is_a_sentence_not_a_server_error(
    client, clerk, nanchang, policies
):
    # given: Nanchang's employee profile without its flexible-worker group (as Guiyang's is)
    from payments.models import PolicyProfile

    for row in PolicyProfile.objects.filter(region=nanchang, scope="employee"):
        row.params = {name: value for name, value in row.params.items() if not name.startswith("flexible.")}
        row.save()
    person = PersonFactory(household_region=nanchang)
    url = reverse("admin:enrollment_person_quote", args=[person.pk])

    # when
    response = login(client, clerk).get(
        url, {"kind": "employee_months", "cover_from": "2025-07", "cover_to": "2025-12", "paid_on": "2025-07-01"}
    )

    # then
    assert response.status_code == 200
    assert "has no parameters for flexible workers: this payment is not offered there" in response.content.decode()


def test_where_the_region_has_no_resident_insurance_the_default_question_is_flexible_months(
    client, clerk, roles, policies
):
    # given: a person of a region whose profiles set flexible workers only (the Hebei seed)
    from enrollment.models import StaffRegion
    from payments.policy_years import policy_profiles_load
    from tests.factories import RegionFactory

    baoding = RegionFactory(code="130600", name_zh="保定市", name_en="Baoding")
    policy_profiles_load()
    StaffRegion.objects.create(user=clerk, region=baoding)
    person = PersonFactory(household_region=baoding)

    # when
    body = login(client, clerk).get(reverse("admin:enrollment_person_change", args=[person.pk])).content.decode()

    # then: a flexible-worker quote, not a resident year the region has no policy for
    assert 'id="quote-result"' in body and "not configured" not in body
    assert re.search(r'<option value="employee_months" selected>', body)
