"""Aggregates (issue 8, point 4): every number checked against the hand-computed tables below.

The fixture: twelve registered persons with a status or an enrolment, in Nanchang (N1…N10) and
Fuzhou (F1…F5), plus their payments and cases. Today is fixed at 2026-12-02.

| person | region | enrolments in force on 2026-12-02 | status (as_of) | gap | cont. years | waiting end |
|---|---|---|---|---|---|---|
| N1 | 360100 | resident | covered (12-01) | | 9 | |
| N2 | 360100 | resident | waiting (12-01) | | 1 | 2026-12-10 |
| N3 | 360100 | employee_flexible | waiting (12-01) | | 2 | 2026-12-02 |
| N4 | 360100 | resident | interrupted (11-30) | 3 | 3 | |
| N5 | 360100 | employee_unit + resident (both active) | covered (12-01) | | 24 | |
| N6 | 360100 | none: resident ended 2026-06-30 | interrupted (12-01) | 12 | 3 | |
| N7 | 360100 | none: resident from 2027-01-01 | — | | | |
| N8 | 360100 | resident | — | | | |
| N9 | 360100 | resident | waiting (12-01) | | 1 | 2026-12-01 |
| N10 | 360100 | none: resident suspended | covered (12-01) | | 4 | |
| F1 | 361000 | resident | covered (12-01) | | 23 | |
| F2 | 361000 | resident | interrupted (12-01) | — | — | |
| F3 | 361000 | employee_flexible | waiting (12-01) | | 5 | 2027-01-01 |
| F4 | 361000 | resident | interrupted (10-01) | — | 0 | |
| F5 | 361000 | employee_flexible | interrupted (12-01) | 4 | 6 | |
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from eligibility import reports
from eligibility.api import aggregates
from eligibility.models import BenefitDecision, EligibilitySnapshot
from enrollment.api.auth import ApiPrincipal
from enrollment.cases import cases_overdue
from enrollment.models import ApiClient, Case, PersonAccess, Scheme
from payments.models import Payment
from tests.factories import EnrollmentFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 2)
SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = "/api/v1/aggregates/"
ENDPOINTS = ["insured-persons", "payments-by-channel-month", "interruptions", "waiting-ending", "continuity", "cases"]
RES, FLEX, UNIT = Scheme.RESIDENT, Scheme.EMPLOYEE_FLEXIBLE, Scheme.EMPLOYEE_UNIT
NC, FZ = "360100", "361000"

_references = itertools.count(1)


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def snapshot(person, state, *, as_of="2026-12-01", scheme=RES, gap=None, years=None, waiting_end=None):
    return EligibilitySnapshot.objects.create(
        person=person,
        as_of=d(as_of),
        state=state,
        scheme=scheme,
        gap_months=gap,
        continuous_years=years,
        waiting_end=None if waiting_end is None else d(waiting_end),
        waiting_start=None if waiting_end is None else d(waiting_end) - datetime.timedelta(days=90),
        rules_version="test",
        computed_at=timezone.now(),
    )


def pay(person, channel, amount, paid_on, *, scheme=RES, reversed_=False):
    paid = d(paid_on)
    decision = BenefitDecision.objects.create(
        person=person,
        action_kind="resident_payment" if scheme == RES else "employee_payment",
        scheme=scheme,
        paid_on=paid,
        profile_name="test",
        rules_version="test",
    )
    return Payment.objects.create(
        person=person,
        channel=channel,
        reference=f"ref-{next(_references)}",
        kind="resident_year" if scheme == RES else "employee_months",
        scheme=scheme,
        amount=Decimal(amount),
        paid_at=datetime.datetime(paid.year, paid.month, paid.day, 10, tzinfo=SHANGHAI),
        paid_on=paid,
        decision=decision,
        status="reversed" if reversed_ else "recorded",
        reversed_at=timezone.now() if reversed_ else None,
    )


def case(person, region, kind, state, *, due_on=None):
    submitted = None if state == "draft" else timezone.now()
    return Case.objects.create(
        person=person,
        region=region,
        kind=kind,
        state=state,
        due_on=None if due_on is None else d(due_on),
        submitted_at=submitted,
        closed_at=timezone.now() if state == "closed" else None,
        decision_reason="",
    )


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr(aggregates, "_today", lambda: TODAY)


@pytest.fixture
def world(nanchang, fuzhou):
    def person(region, *enrolments):
        who = PersonFactory(household_region=region)
        for scheme, start, end, status in enrolments:
            EnrollmentFactory(
                person=who,
                region=region,
                scheme=scheme,
                start_date=d(start),
                end_date=None if end is None else d(end),
                status=status,
                employer_name="洪都机械厂" if scheme == UNIT else "",
            )
        return who

    p = {
        "N1": person(nanchang, (RES, "2020-01-01", None, "active")),
        "N2": person(nanchang, (RES, "2025-01-01", None, "active")),
        "N3": person(nanchang, (FLEX, "2024-03-01", None, "active")),
        "N4": person(nanchang, (RES, "2019-01-01", None, "active")),
        "N5": person(nanchang, (UNIT, "2018-05-01", None, "active"), (RES, "2015-01-01", None, "active")),
        "N6": person(nanchang, (RES, "2021-01-01", "2026-06-30", "ended")),
        "N7": person(nanchang, (RES, "2027-01-01", None, "active")),
        "N8": person(nanchang, (RES, "2026-01-01", None, "active")),
        "N9": person(nanchang, (RES, "2025-06-01", None, "active")),
        "N10": person(nanchang, (RES, "2020-01-01", None, "suspended")),
        "F1": person(fuzhou, (RES, "2021-01-01", None, "active")),
        "F2": person(fuzhou, (RES, "2022-01-01", None, "active")),
        "F3": person(fuzhou, (FLEX, "2023-01-01", None, "active")),
        "F4": person(fuzhou, (RES, "2020-01-01", None, "active")),
        "F5": person(fuzhou, (FLEX, "2020-01-01", None, "active")),
    }
    snapshot(p["N1"], "covered", years=9)
    snapshot(p["N2"], "waiting", years=1, waiting_end="2026-12-10")
    snapshot(p["N3"], "waiting", scheme=FLEX, years=2, waiting_end="2026-12-02")
    snapshot(p["N4"], "interrupted", as_of="2026-11-30", gap=3, years=3)
    snapshot(p["N5"], "covered", scheme=UNIT, years=24)
    snapshot(p["N6"], "interrupted", gap=12, years=3)
    snapshot(p["N9"], "waiting", years=1, waiting_end="2026-12-01")
    snapshot(p["N10"], "covered", years=4)
    snapshot(p["F1"], "covered", years=23)
    snapshot(p["F2"], "interrupted", gap=None, years=None)
    snapshot(p["F3"], "waiting", scheme=FLEX, years=5, waiting_end="2027-01-01")
    snapshot(p["F4"], "interrupted", as_of="2026-10-01", gap=None, years=0)
    snapshot(p["F5"], "interrupted", scheme=FLEX, gap=4, years=6)

    pay(p["N1"], "tax_wechat", "400.00", "2026-01-15")
    pay(p["N2"], "tax_wechat", "380.50", "2026-01-31")
    pay(p["N4"], "alipay_ganfutong", "400.00", "2026-01-20")
    pay(p["N3"], "bank_counter", "523.80", "2026-03-01", scheme=FLEX)
    pay(p["F1"], "tax_wechat", "400.00", "2026-01-05")
    pay(p["F3"], "bank_counter", "610.25", "2026-03-31", scheme=FLEX)
    pay(p["F3"], "bank_counter", "610.25", "2026-04-01", scheme=FLEX)
    pay(p["N5"], "tax_wechat", "400.00", "2026-02-10", reversed_=True)
    pay(p["N1"], "tax_wechat", "380.00", "2025-12-31")

    case(p["N1"], nanchang, "resident_enrolment", "submitted", due_on="2026-11-30")
    case(p["N2"], nanchang, "resident_enrolment", "in_review", due_on="2026-12-02")
    case(p["N3"], nanchang, "back_payment", "needs_information", due_on="2026-11-01")
    case(p["N4"], nanchang, "back_payment", "in_review", due_on="2026-11-15")
    case(p["N5"], nanchang, "correction", "draft")
    case(p["N6"], nanchang, "resident_enrolment", "approved", due_on="2026-10-01")
    case(p["F1"], fuzhou, "resident_enrolment", "submitted", due_on="2026-12-01")
    case(p["F2"], fuzhou, "back_payment", "submitted")
    case(p["F3"], fuzhou, "correction", "closed")
    return p


def get(api, token, name, **params):
    return api.as_token(token).get(BASE + name, params, HTTP_ACCEPT_LANGUAGE="en")


def ok(api, token, name, **params):
    response = get(api, token, name, **params)
    assert response.status_code == 200, response.content
    return response.json()


def insured_row(region, scheme, state, persons, low, high=None):
    return {
        "region": region,
        "scheme": scheme,
        "coverage_state": state,
        "persons": persons,
        "snapshot_as_of_min": low,
        "snapshot_as_of_max": low if high is None else high,
    }


# --- insured persons ------------------------------------------------------------------------------


def test_insured_persons_today_by_region_scheme_and_stored_status(api, reporting_token, world):
    body = ok(api, reporting_token, "insured-persons")
    assert body["parameters"] == {"on": "2026-12-02", "region": None, "scheme": None}
    assert body["rows"] == [
        insured_row(NC, FLEX, "waiting", 1, "2026-12-01"),
        insured_row(NC, UNIT, "covered", 1, "2026-12-01"),
        insured_row(NC, RES, "covered", 2, "2026-12-01"),  # N1, and N5 in both schemes
        insured_row(NC, RES, "interrupted", 1, "2026-11-30"),
        insured_row(NC, RES, "unknown", 1, None),  # N8 has no status yet
        insured_row(NC, RES, "waiting", 2, "2026-12-01"),
        insured_row(FZ, FLEX, "interrupted", 1, "2026-12-01"),
        insured_row(FZ, FLEX, "waiting", 1, "2026-12-01"),
        insured_row(FZ, RES, "covered", 1, "2026-12-01"),
        insured_row(FZ, RES, "interrupted", 2, "2026-10-01", "2026-12-01"),
    ]
    # N6 (ended), N7 (not started), N10 (suspended) are not counted; N5 is one person in two rows.
    assert body["totals"] == {
        "persons": 12,
        "enrolments": 13,
        "snapshot_as_of_min": "2026-10-01",
        "snapshot_as_of_max": "2026-12-01",
    }


def test_the_end_date_is_the_last_day_in_force(api, reporting_token, world):
    last_day = ok(api, reporting_token, "insured-persons", on="2026-06-30", region=NC, scheme=RES)
    assert last_day["parameters"] == {"on": "2026-06-30", "region": NC, "scheme": RES}
    assert last_day["rows"] == [
        insured_row(NC, RES, "covered", 2, "2026-12-01"),
        insured_row(NC, RES, "interrupted", 2, "2026-11-30", "2026-12-01"),  # N4 and N6 (its last day)
        insured_row(NC, RES, "unknown", 1, None),
        insured_row(NC, RES, "waiting", 2, "2026-12-01"),
    ]
    assert last_day["totals"]["persons"] == 7
    day_after = ok(api, reporting_token, "insured-persons", on="2026-07-01", region=NC, scheme=RES)
    assert [row["persons"] for row in day_after["rows"]] == [2, 1, 1, 2]


def test_an_enrolment_counts_from_its_start_day(api, reporting_token, world):
    before = ok(api, reporting_token, "insured-persons", on="2026-12-31", region=NC, scheme=RES)
    first_day = ok(api, reporting_token, "insured-persons", on="2027-01-01", region=NC, scheme=RES)
    assert first_day["totals"]["persons"] == before["totals"]["persons"] + 1  # N7
    assert {"coverage_state": "unknown", "persons": 2} in [
        {"coverage_state": row["coverage_state"], "persons": row["persons"]} for row in first_day["rows"]
    ]


def test_insured_persons_of_a_nanchang_token(api, nanchang_token, world):
    body = ok(api, nanchang_token, "insured-persons")
    assert [(row["region"], row["scheme"], row["coverage_state"], row["persons"]) for row in body["rows"]] == [
        (NC, FLEX, "waiting", 1),
        (NC, UNIT, "covered", 1),
        (NC, RES, "covered", 2),
        (NC, RES, "interrupted", 1),
        (NC, RES, "unknown", 1),
        (NC, RES, "waiting", 2),
    ]
    assert body["totals"] == {
        "persons": 7,
        "enrolments": 8,
        "snapshot_as_of_min": "2026-11-30",
        "snapshot_as_of_max": "2026-12-01",
    }


# --- payments -------------------------------------------------------------------------------------


def test_payments_of_this_year_by_channel_and_month(api, reporting_token, world):
    body = ok(api, reporting_token, "payments-by-channel-month")
    assert body["parameters"] == {"from": "2026-01-01", "to": "2026-12-31", "region": None, "scheme": None}
    # The reversed payment of N5 and N1's payment of 2025-12-31 are not counted.
    assert body["rows"] == [
        {"month": "2026-01", "channel": "alipay_ganfutong", "payments": 1, "amount": "400.00"},
        {"month": "2026-01", "channel": "tax_wechat", "payments": 3, "amount": "1180.50"},
        {"month": "2026-03", "channel": "bank_counter", "payments": 2, "amount": "1134.05"},
        {"month": "2026-04", "channel": "bank_counter", "payments": 1, "amount": "610.25"},
    ]
    assert body["totals"] == {"payments": 7, "amount": "3324.80"}


def test_payments_between_months(api, reporting_token, world):
    body = ok(api, reporting_token, "payments-by-channel-month", **{"from": "2025-12", "to": "2026-01"})
    assert body["parameters"]["from"] == "2025-12-01"
    assert body["parameters"]["to"] == "2026-01-31"
    assert body["rows"] == [
        {"month": "2025-12", "channel": "tax_wechat", "payments": 1, "amount": "380.00"},
        {"month": "2026-01", "channel": "alipay_ganfutong", "payments": 1, "amount": "400.00"},
        {"month": "2026-01", "channel": "tax_wechat", "payments": 3, "amount": "1180.50"},
    ]
    assert body["totals"] == {"payments": 5, "amount": "1960.50"}


def test_payments_between_days_of_one_scheme(api, reporting_token, world):
    month = ok(api, reporting_token, "payments-by-channel-month", scheme=FLEX, **{"from": "2026-03", "to": "2026-03"})
    assert month["rows"] == [{"month": "2026-03", "channel": "bank_counter", "payments": 2, "amount": "1134.05"}]
    days = ok(
        api, reporting_token, "payments-by-channel-month", scheme=FLEX, **{"from": "2026-03-01", "to": "2026-03-30"}
    )
    assert days["rows"] == [{"month": "2026-03", "channel": "bank_counter", "payments": 1, "amount": "523.80"}]
    assert days["totals"] == {"payments": 1, "amount": "523.80"}


def test_payments_of_a_nanchang_token(api, nanchang_token, world):
    body = ok(api, nanchang_token, "payments-by-channel-month")
    assert body["rows"] == [
        {"month": "2026-01", "channel": "alipay_ganfutong", "payments": 1, "amount": "400.00"},
        {"month": "2026-01", "channel": "tax_wechat", "payments": 2, "amount": "780.50"},
        {"month": "2026-03", "channel": "bank_counter", "payments": 1, "amount": "523.80"},
    ]
    assert body["totals"] == {"payments": 4, "amount": "1704.30"}


def test_december_ends_on_the_31st(api, reporting_token, world):
    body = ok(api, reporting_token, "payments-by-channel-month", **{"from": "2025-12", "to": "2025-12"})
    assert body["parameters"]["to"] == "2025-12-31"
    assert body["totals"] == {"payments": 1, "amount": "380.00"}


# --- interruptions --------------------------------------------------------------------------------


def gaps(*counts):
    labels = [("0", 0, 0), ("1", 1, 1), ("2", 2, 2), ("3", 3, 3), ("4-6", 4, 6), ("7-12", 7, 12), (">12", 13, None)]
    rows = [{"bucket": b, "min_months": lo, "max_months": hi} for b, lo, hi in labels]
    rows.append({"bucket": "unknown", "min_months": None, "max_months": None})
    return [{**row, "persons": count} for row, count in zip(rows, counts, strict=True)]


def test_interruptions_by_gap_length(api, reporting_token, world):
    body = ok(api, reporting_token, "interruptions")
    # N4 3, F5 4, N6 12; F2 and F4 have no gap stored (unknown); nobody at 0, 1, 2 or over 12.
    assert body["rows"] == gaps(0, 0, 0, 1, 1, 1, 0, 2)
    assert body["totals"] == {"persons": 5, "snapshot_as_of_min": "2026-10-01", "snapshot_as_of_max": "2026-12-01"}


def test_interruptions_of_a_scheme_and_of_a_nanchang_token(api, reporting_token, nanchang_token, world):
    assert ok(api, reporting_token, "interruptions", scheme=FLEX)["rows"] == gaps(0, 0, 0, 0, 1, 0, 0, 0)
    body = ok(api, nanchang_token, "interruptions")
    assert body["rows"] == gaps(0, 0, 0, 1, 0, 1, 0, 0)
    assert body["totals"] == {"persons": 2, "snapshot_as_of_min": "2026-11-30", "snapshot_as_of_max": "2026-12-01"}


def test_a_gap_of_thirteen_months_is_over_twelve(api, reporting_token, world):
    EligibilitySnapshot.objects.filter(person=world["F2"]).update(gap_months=13)
    EligibilitySnapshot.objects.filter(person=world["F4"]).update(gap_months=0)
    assert ok(api, reporting_token, "interruptions")["rows"] == gaps(1, 0, 0, 1, 1, 1, 1, 0)


def test_no_interruptions_lists_every_bucket_at_zero(api, reporting_token, nanchang):
    body = ok(api, reporting_token, "interruptions")
    assert body["rows"] == gaps(0, 0, 0, 0, 0, 0, 0, 0)
    assert body["totals"] == {"persons": 0, "snapshot_as_of_min": None, "snapshot_as_of_max": None}


# --- waiting periods ------------------------------------------------------------------------------


def test_waiting_periods_ending_in_the_next_30_days(api, reporting_token, world):
    body = ok(api, reporting_token, "waiting-ending")
    assert body["parameters"] == {
        "days": 30,
        "today": "2026-12-02",
        "until": "2027-01-01",
        "region": None,
        "scheme": None,
    }
    # N9's ended yesterday; N3's ends today and F3's on the 30th day: both included.
    assert body["rows"] == [
        {"waiting_end": "2026-12-02", "scheme": FLEX, "persons": 1},
        {"waiting_end": "2026-12-10", "scheme": RES, "persons": 1},
        {"waiting_end": "2027-01-01", "scheme": FLEX, "persons": 1},
    ]
    assert body["totals"] == {
        "persons": 3,
        "by_scheme": {FLEX: 2, RES: 1},
        "snapshot_as_of_min": "2026-12-01",
        "snapshot_as_of_max": "2026-12-01",
    }


def test_waiting_periods_ending_in_fewer_days_and_for_nanchang(api, reporting_token, nanchang_token, world):
    body = ok(api, reporting_token, "waiting-ending", days=29)
    assert body["parameters"]["until"] == "2026-12-31"
    assert [row["waiting_end"] for row in body["rows"]] == ["2026-12-02", "2026-12-10"]
    assert ok(api, reporting_token, "waiting-ending", days=1)["totals"]["by_scheme"] == {FLEX: 1}
    nc = ok(api, nanchang_token, "waiting-ending", days=366)
    assert nc["totals"]["persons"] == 2
    assert nc["totals"]["by_scheme"] == {FLEX: 1, RES: 1}
    assert ok(api, reporting_token, "waiting-ending", scheme=RES)["totals"]["persons"] == 1


# --- continuity -----------------------------------------------------------------------------------


def continuity(*counts):
    labels = [(str(n), n, n) for n in range(5)] + [("5-9", 5, 9), ("10-23", 10, 23), ("24+", 24, None)]
    rows = [{"bucket": b, "min_years": lo, "max_years": hi} for b, lo, hi in labels]
    rows.append({"bucket": "unknown", "min_years": None, "max_years": None})
    return [{**row, "persons": count} for row, count in zip(rows, counts, strict=True)]


def test_continuity_distribution(api, reporting_token, world):
    body = ok(api, reporting_token, "continuity")
    # 0: F4; 1: N2 N9; 2: N3; 3: N4 N6; 4: N10; 5-9: F3 F5 N1; 10-23: F1; 24+: N5; unknown: F2.
    assert body["rows"] == continuity(1, 2, 1, 2, 1, 3, 1, 1, 1)
    assert body["totals"] == {"persons": 13, "snapshot_as_of_min": "2026-10-01", "snapshot_as_of_max": "2026-12-01"}
    assert body["parameters"] == {"region": None, "scheme": None, "state": None}


def test_continuity_of_covered_persons_and_of_nanchang(api, reporting_token, nanchang_token, world):
    assert ok(api, reporting_token, "continuity", state="covered")["rows"] == continuity(0, 0, 0, 0, 1, 1, 1, 1, 0)
    assert ok(api, nanchang_token, "continuity")["rows"] == continuity(0, 2, 1, 2, 1, 1, 0, 1, 0)
    assert ok(api, reporting_token, "continuity", region=FZ)["rows"] == continuity(1, 0, 0, 0, 0, 2, 1, 0, 1)


# --- cases ----------------------------------------------------------------------------------------


def test_cases_by_kind_and_state_with_overdue_counts(api, reporting_token, world, analyst):
    body = ok(api, reporting_token, "cases")
    assert body["parameters"] == {"region": None, "today": "2026-12-02"}
    # Overdue: N1's and F1's submitted cases and N4's in review; N2's is due today, N3's waits for the
    # resident, N6's is approved, F2's has no due day.
    assert body["rows"] == [
        {"kind": "back_payment", "state": "in_review", "cases": 1, "overdue": 1},
        {"kind": "back_payment", "state": "needs_information", "cases": 1, "overdue": 0},
        {"kind": "back_payment", "state": "submitted", "cases": 1, "overdue": 0},
        {"kind": "correction", "state": "closed", "cases": 1, "overdue": 0},
        {"kind": "correction", "state": "draft", "cases": 1, "overdue": 0},
        {"kind": "resident_enrolment", "state": "approved", "cases": 1, "overdue": 0},
        {"kind": "resident_enrolment", "state": "in_review", "cases": 1, "overdue": 0},
        {"kind": "resident_enrolment", "state": "submitted", "cases": 2, "overdue": 2},
    ]
    assert body["totals"] == {"cases": 9, "open": 7, "overdue": 3}
    # The same definition as the clerks' overdue queue.
    assert cases_overdue(user=analyst, as_of=TODAY).count() == body["totals"]["overdue"]


def test_cases_of_a_nanchang_token(api, nanchang_token, world):
    body = ok(api, nanchang_token, "cases")
    assert body["rows"] == [
        {"kind": "back_payment", "state": "in_review", "cases": 1, "overdue": 1},
        {"kind": "back_payment", "state": "needs_information", "cases": 1, "overdue": 0},
        {"kind": "correction", "state": "draft", "cases": 1, "overdue": 0},
        {"kind": "resident_enrolment", "state": "approved", "cases": 1, "overdue": 0},
        {"kind": "resident_enrolment", "state": "in_review", "cases": 1, "overdue": 0},
        {"kind": "resident_enrolment", "state": "submitted", "cases": 1, "overdue": 1},
    ]
    assert body["totals"] == {"cases": 6, "open": 5, "overdue": 2}


def test_cases_of_one_region(api, reporting_token, world):
    body = ok(api, reporting_token, "cases", region=FZ)
    assert body["totals"] == {"cases": 3, "open": 2, "overdue": 1}


# --- access, scopes, regions ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_token_is_required(api, name):
    response = api.get(BASE + name)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_hospital_token_lacks_the_scope(api, hospital_token, name):
    response = get(api, hospital_token, name)
    assert response.status_code == 403
    assert response.json()["message"] == "This client lacks the scope reporting:read."


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_region_the_client_does_not_serve_is_refused(api, nanchang_token, world, name):
    response = get(api, nanchang_token, name, region=FZ)
    assert response.status_code == 403
    assert response.json()["message"] == "This client does not serve the region 361000."


def test_a_staff_session_is_scoped_like_the_admin(api, clerk, world):
    api.force_login(clerk)
    response = api.get(BASE + "interruptions")
    assert response.status_code == 200
    assert response.json()["rows"] == gaps(0, 0, 0, 1, 0, 1, 0, 0)


def test_aggregates_write_no_access_log(api, reporting_token, world):
    for name in ENDPOINTS:
        ok(api, reporting_token, name)
    assert not PersonAccess.objects.exists()


# --- bad parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "code", "field"),
    [
        ("insured-persons", {"on": "2025-02-30"}, "invalid_date", "on"),
        ("insured-persons", {"on": "yesterday"}, "invalid_date", "on"),
        ("insured-persons", {"scheme": "private"}, "invalid_choice", "scheme"),
        ("insured-persons", {"region": "36010"}, "invalid_region", "region"),
        ("insured-persons", {"region": "999999"}, "unknown_region", "region"),
        ("insured-persons", {"region": "360100\n"}, "invalid_region", "region"),
        ("insured-persons", {"page_size": "10"}, "unknown_filter", "unknown"),
        ("payments-by-channel-month", {"from": "2026-13"}, "invalid_date", "from"),
        ("payments-by-channel-month", {"to": "2026-00"}, "invalid_date", "to"),
        ("payments-by-channel-month", {"from": "0000-01"}, "invalid_date", "from"),
        ("payments-by-channel-month", {"from": "2026-1"}, "invalid_date", "from"),
        ("payments-by-channel-month", {"from": "2026-02-30"}, "invalid_date", "from"),
        ("payments-by-channel-month", {"from": "2026-05", "to": "2026-04"}, "invalid_period", "to"),
        ("payments-by-channel-month", {"from": "2026-04-02", "to": "2026-04-01"}, "invalid_period", "to"),
        ("payments-by-channel-month", {"month": "2026-04"}, "unknown_filter", "unknown"),
        ("interruptions", {"gap": "3"}, "unknown_filter", "unknown"),
        ("waiting-ending", {"days": "0"}, "invalid_days", "days"),
        ("waiting-ending", {"days": "10000"}, "invalid_days", "days"),
        ("waiting-ending", {"days": "367"}, "invalid_days", "days"),
        ("waiting-ending", {"days": "ten"}, "invalid_days", "days"),
        ("waiting-ending", {"days": ""}, "invalid_days", "days"),
        ("continuity", {"state": "asleep"}, "invalid_choice", "state"),
        ("cases", {"scheme": RES}, "unknown_filter", "unknown"),
    ],
)
def test_bad_parameters_are_400_with_the_error_shape(api, reporting_token, nanchang, name, params, code, field):
    response = get(api, reporting_token, name, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert list(body["details"]) == [field]
    assert body["message"].startswith(f"{field}: ")


def test_the_messages_say_what_to_do(api, reporting_token, nanchang):
    days = get(api, reporting_token, "waiting-ending", days="0").json()
    assert days["message"] == "days: Give the number of days as a whole number from 1 to 366."
    unknown = get(api, reporting_token, "interruptions", gap="3").json()
    assert unknown["message"] == "unknown: Unknown parameter: gap. This aggregate accepts: region, scheme."
    region = get(api, reporting_token, "cases", region="999999").json()
    assert region["message"] == "region: No region has the code 999999."


def test_a_parameter_given_twice_is_refused(api, reporting_token, nanchang):
    response = api.as_token(reporting_token).get(BASE + "interruptions?scheme=resident&scheme=employee_unit")
    assert response.status_code == 400
    assert response.json()["code"] == "repeated_parameter"


# --- queries --------------------------------------------------------------------------------------


@pytest.fixture
def nanchang_principal(world, nanchang, issue_token):
    issue_token(["reporting:read"], regions=[nanchang], name="nc principal")
    principal = ApiPrincipal(ApiClient.objects.get(name="nc principal"))
    assert principal.regions == {nanchang.pk}  # read once, as the first scoped query of a request does
    return principal


@pytest.mark.parametrize(
    ("selector", "kwargs", "queries"),
    [
        (reports.insured_persons_count, {"on": TODAY}, 2),
        (reports.payments_by_channel_month, {"date_from": d("2026-01-01"), "date_to": d("2026-12-31")}, 1),
        (reports.interruptions_by_gap, {}, 1),
        (reports.waiting_periods_ending, {"today": TODAY, "days": 30}, 1),
        (reports.continuity_distribution, {}, 1),
        (reports.cases_by_kind_state, {"today": TODAY}, 1),
    ],
)
def test_each_aggregate_is_one_grouped_query(django_assert_num_queries, nanchang_principal, selector, kwargs, queries):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    for user in (superuser, nanchang_principal):
        with django_assert_num_queries(queries):
            result = selector(user=user, **kwargs)
        assert result.rows


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_request_costs_a_bounded_number_of_queries(api, reporting_token, world, django_assert_max_num_queries, name):
    ok(api, reporting_token, name)  # the first use of a token writes last_used_at
    with django_assert_max_num_queries(5):
        ok(api, reporting_token, name, region=NC)


# --- schema ---------------------------------------------------------------------------------------


def test_the_schema_documents_every_aggregate(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for name in ENDPOINTS:
        operation = schema["paths"][f"/api/v1/aggregates/{name}"]["get"]
        assert operation["tags"] == ["aggregates"]
        assert {"200", "400", "401", "403"} <= set(operation["responses"])
    insured = schema["components"]["schemas"]["InsuredPersons"]
    assert set(insured["properties"]) == {"parameters", "rows", "totals"}
    payments_parameters = schema["components"]["schemas"]["PaymentsParameters"]
    assert {"from", "to"} <= set(payments_parameters["properties"])
