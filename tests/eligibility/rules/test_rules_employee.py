"""Employee and flexible payments: EMP-1 to EMP-8, SW-1/SW-3, 11.2 and 11.3 (fixed dates)."""

from __future__ import annotations

from typing import Any

import pytest

from eligibility.rules import MalformedInput
from eligibility.rules.testing import (
    employee,
    employee_span,
    military_span,
    resident_years,
    scenario_output,
    scenario_result,
)


def out(action: dict[str, Any], profile: str = "NC-2025", **parts: Any) -> dict[str, Any]:
    parts.setdefault("person", {"birth_date": "1980-01-01", "category": "ordinary"})
    return scenario_output(action, profile=profile, **parts)


def dates(o: dict[str, Any]) -> tuple[Any, ...]:
    return o["waiting_start"], o["waiting_end"], o["benefits_from"], o["retro_from"], o["retro_to"]


# --- EMP-1, EMP-3, EMP-8 rejections, in order ----------------------------------------------------


@pytest.mark.parametrize(
    ("action", "history", "profile", "params", "code"),
    [
        (
            employee("2025-07-10", "2025-07", "2025-07", frequency="monthly"),
            [],
            "NC-2025",
            {},
            "FLEX_MONTHLY_NOT_ALLOWED",
        ),
        (employee("2025-07-10", "2025-07", "2025-11"), [], "NC-2025", {}, "FLEX_PARTIAL_YEAR_NOT_ALLOWED"),
        (
            employee("2025-07-10", "2025-07", "2025-11", frequency="monthly"),
            [],
            "NC-2025",
            {},
            "FLEX_MONTHLY_NOT_ALLOWED",
        ),
        (
            employee("2025-07-10", "2025-07", "2025-12"),
            [resident_years(2025)],
            "NC-2025",
            {},
            "RESIDENT_PAID_SAME_YEAR",
        ),
        (employee("2025-07-20", "2025-05", "2025-06", kind="unit"), [], "NC-2025", {}, "COVER_RANGE_INVALID"),
        (
            employee("2025-07-10", "2025-06", "2025-12"),
            [employee_span("2020-01", "2025-06")],
            "NC-2025",
            {},
            "COVER_OVERLAPS_HISTORY",
        ),
        (
            employee("2025-07-10", "2025-07", "2025-12"),
            [employee_span("2020-01", "2025-12")],
            "NC-2025",
            {},
            "COVER_OVERLAPS_HISTORY",
        ),
        (
            employee("2025-07-10", "2025-07", "2025-12"),
            [military_span("2025-10", "2025-12")],
            "NC-2025",
            {},
            "COVER_OVERLAPS_HISTORY",
        ),
        (
            employee("2025-07-10", "2025-05", "2025-12"),
            [resident_years(2025)],
            "S2-FLEX-2025",
            {},
            "COVER_OVERLAPS_HISTORY",
        ),
        (employee("2025-07-10", "2025-06", "2025-12"), [], "NC-2025", {}, "BACKPAY_NOT_ALLOWED"),
    ],
)
def test_rejections(
    action: dict[str, Any], history: list[Any], profile: str, params: dict[str, Any], code: str
) -> None:
    o = out(action, profile, history=history, params=params)
    assert (o["accepted"], o["rejection_code"]) == (False, code)
    assert all(v is None for k, v in o.items() if k not in ("accepted", "rejection_code", "warnings"))
    assert o["warnings"] == []


def test_any_frequency_allows_monthly_and_partial_years() -> None:
    o = out(
        employee("2025-07-10", "2025-07", "2025-07", frequency="monthly"),
        history=[employee_span("2020-01", "2025-06")],
        params={"flexible.payment_frequency": "ANY"},
    )
    assert (o["accepted"], o["benefits_from"], o["premium_due"]) == (True, "2025-07-01", "420.60")


def test_unit_payments_are_never_checked_for_frequency() -> None:
    o = out(
        employee("2025-07-10", "2025-07", "2025-07", kind="unit", frequency="monthly"),
        history=[employee_span("2020-01", "2025-06")],
    )
    assert (o["accepted"], o["premium_due"]) == (True, None)


def test_resident_overlap_from_r_on_is_allowed_and_suspends_resident_cover() -> None:
    o = out(employee("2025-07-10", "2025-07", "2025-12"), "S2-FLEX-2025", history=[resident_years(2023, 2024, 2025)])
    assert o["accepted"] is True
    assert o["gap_months"] == 0
    assert o["benefits_from"] == "2025-07-01"  # switching with CM >= 24: SW-1 / EMP-5
    assert o["warnings"] == ["RESIDENT_SUSPENDED"]


def test_unit_enrolment_in_a_resident_paid_year() -> None:
    r = scenario_result(
        employee("2026-05-10", "2026-05", "2026-05", kind="unit", frequency="monthly"),
        profile="NC-2026",
        history=[resident_years(2026)],
    )
    o = r.to_output_dict()
    # switching with CM = 4 < 24 and gap 0: waits (EMP-6) but keeps continuity
    assert (o["gap_months"], o["benefits_from"], o["continuous_years"]) == (0, "2026-08-01", 1)
    assert o["warnings"] == ["RESIDENT_SUSPENDED"]
    assert "SW-3" in r.reasons


def test_next_year_flexible_payment_after_a_resident_year_is_allowed() -> None:
    o = out(employee("2025-12-10", "2026-01", "2026-12"), "NC-2026", history=[resident_years(2023, 2024, 2025)])
    assert (o["accepted"], o["gap_months"], o["benefits_from"], o["continuous_years"]) == (True, 0, "2026-01-01", 4)


# --- EMP-5 / EMP-6 ---------------------------------------------------------------------------------


def test_gap_three_is_a_short_gap() -> None:
    o = out(employee("2025-07-10", "2025-04", "2025-12"), history=[employee_span("2019-01", "2025-03")])
    assert dates(o) == (None, None, "2025-07-01", "2025-04-01", "2025-07-09")
    assert (o["gap_months"], o["backpay_months"], o["continuous_years"], o["warnings"]) == (3, 3, 7, [])
    assert o["premium_due"] == "3785.40"


def test_gap_four_back_paid_without_benefit() -> None:
    o = out(employee("2025-07-10", "2025-03", "2025-12"), history=[employee_span("2019-01", "2025-02")])
    assert dates(o) == ("2025-07-10", "2025-09-30", "2025-10-01", None, None)
    assert (o["gap_months"], o["backpay_months"], o["continuous_years"]) == (4, 4, 1)
    assert o["warnings"] == ["BACKPAY_NO_BENEFIT", "CONTINUITY_RESET"]
    assert o["premium_due"] == "4206.00"  # back-paid months cost the same monthly premium


def test_gap_four_in_a_not_allowed_region() -> None:
    history = [employee_span("2019-01", "2024-10")]
    o = out(employee("2025-03-10", "2025-02", "2025-12"), "S2-FLEX-2025", history=history)
    assert o["rejection_code"] == "BACKPAY_NOT_ALLOWED"
    o = out(employee("2025-03-10", "2025-03", "2025-12"), "S2-FLEX-2025", history=history)
    assert dates(o) == ("2025-03-10", "2025-05-31", "2025-06-01", None, None)
    assert (o["gap_months"], o["backpay_months"], o["warnings"]) == (4, 0, ["CONTINUITY_RESET"])


@pytest.mark.parametrize(
    ("granularity", "benefits_from", "waiting_end"),
    [("MONTH", "2025-11-01", "2025-10-31"), ("DAY", "2025-11-05", "2025-11-04")],
)
def test_wait_granularity(granularity: str, benefits_from: str, waiting_end: str) -> None:
    o = out(
        employee("2025-08-05", "2025-08", "2025-12"),
        history=[employee_span("2019-01", "2024-12")],
        params={"employee.wait_granularity": granularity},
    )
    assert (o["waiting_start"], o["waiting_end"], o["benefits_from"]) == ("2025-08-05", waiting_end, benefits_from)


def test_wait_after_long_gap_months_parameter() -> None:
    o = out(
        employee("2025-08-05", "2025-08", "2025-12"),
        history=[employee_span("2019-01", "2024-12")],
        params={"employee.wait_after_long_gap_months": 6},
    )
    assert o["benefits_from"] == "2026-02-01"


def test_advance_payment_waits_from_the_first_day_of_r() -> None:
    o = out(employee("2025-12-15", "2026-01", "2026-12"), "NC-2026", history=[employee_span("2019-01", "2025-06")])
    assert dates(o) == ("2026-01-01", "2026-03-31", "2026-04-01", None, None)
    assert o["gap_months"] == 6


def test_first_enrolment() -> None:
    o = out(employee("2025-07-20", "2025-07", "2025-12"))
    assert dates(o) == ("2025-07-20", "2025-09-30", "2025-10-01", None, None)
    assert (o["gap_months"], o["backpay_months"], o["continuous_years"], o["warnings"]) == (None, 0, 1, [])


@pytest.mark.parametrize(
    ("history", "treatment", "benefits_from", "warnings", "continuous"),
    [
        ([resident_years(2023, 2024)], "SW-1", "2025-02-01", [], 3),  # CM = 24
        (
            [resident_years(2024), military_span("2023-02", "2023-12")],
            "EMP-6",
            "2025-05-01",
            ["BACKPAY_NO_BENEFIT"],
            3,
        ),  # CM = 23: waits, keeps continuity
    ],
)
def test_switching_from_resident_needs_two_years(
    history: list[Any], treatment: str, benefits_from: str, warnings: list[str], continuous: int
) -> None:
    r = scenario_result(employee("2025-02-10", "2025-01", "2025-02", kind="unit"), profile="NC-2025", history=history)
    o = r.to_output_dict()
    assert (r.treatment, o["benefits_from"], o["warnings"], o["continuous_years"]) == (
        treatment,
        benefits_from,
        warnings,
        continuous,
    )
    assert (o["gap_months"], o["backpay_months"]) == (1, 1)


def test_military_l_is_not_switching() -> None:
    r = scenario_result(
        employee("2025-03-10", "2025-03", "2025-12"), profile="NC-2025", history=[military_span("2024-01", "2025-01")]
    )
    assert (r.treatment, r.to_output_dict()["benefits_from"]) == ("EMP-5", "2025-03-01")


# --- EMP-7 calendar back-payment window (S2-FLEX-2025: 2025-01-01 to 2025-03-31) ---------------------


@pytest.mark.parametrize(
    ("paid_on", "cover_from", "history_to", "code", "benefits_from", "warnings"),
    [
        ("2025-03-31", "2025-02", "2025-01", None, "2025-03-01", []),
        ("2025-04-01", "2025-02", "2025-01", "BACKPAY_WINDOW_CLOSED", None, []),
        ("2025-04-01", "2025-04", "2025-01", None, "2025-07-01", ["CONTINUITY_RESET"]),
        ("2025-04-01", "2025-04", "2025-03", None, "2025-04-01", []),  # gap 0: the window does not matter
        ("2025-01-01", "2025-01", "2024-11", None, "2025-01-01", []),  # first day of the window
        ("2024-12-31", "2025-01", "2024-11", None, "2025-04-01", ["CONTINUITY_RESET"]),  # day before it
    ],
)
def test_backpay_window(
    paid_on: str, cover_from: str, history_to: str, code: str | None, benefits_from: str | None, warnings: list[str]
) -> None:
    o = out(employee(paid_on, cover_from, "2025-12"), "S2-FLEX-2025", history=[employee_span("2020-01", history_to)])
    assert (o["rejection_code"], o["benefits_from"], o["warnings"]) == (code, benefits_from, warnings)


def test_backpay_window_applies_to_flexible_payments_only() -> None:
    o = out(
        employee("2025-04-01", "2025-04", "2025-12", kind="unit"),
        "S2-FLEX-2025",
        history=[employee_span("2020-01", "2025-01")],
    )
    assert (o["benefits_from"], o["warnings"]) == ("2025-04-01", [])


def test_backpay_window_null_means_none() -> None:
    params = {"flexible.backpay_window_start": None, "flexible.backpay_window_end": None}
    o = out(
        employee("2025-04-01", "2025-02", "2025-12"),
        "S2-FLEX-2025",
        history=[employee_span("2020-01", "2025-01")],
        params=params,
    )
    assert (o["benefits_from"], o["retro_from"], o["backpay_months"]) == ("2025-04-01", "2025-02-01", 2)


# --- EMP-4 premium -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "premium"),
    [
        ({}, "2523.60"),  # 6 x 420.60
        ({"flexible.contribution_base": "1000.05", "flexible.rate": "0.1"}, "690.06"),  # 100.005 -> 100.01 (+15) x 6
        ({"flexible.large_amount_monthly": "0.00"}, "2433.60"),
    ],
)
def test_flexible_premium(params: dict[str, Any], premium: str) -> None:
    o = out(employee("2025-07-20", "2025-07", "2025-12"), history=[employee_span("2018-01", "2025-06")], params=params)
    assert o["premium_due"] == premium


# --- 11.3 flexible enrolment --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "year", "on", "history", "code"),
    [
        ("NC-2025", 2025, "2025-12-31", [], None),
        ("NC-2025", 2025, "2026-01-01", [], "ENROLMENT_YEAR_ENDED"),
        ("NC-2026", 2026, "2026-05-10", [resident_years(2026)], "RESIDENT_PAID_SAME_YEAR"),
        ("NC-2026", 2026, "2025-12-10", [resident_years(2025)], None),  # next year is allowed
    ],
)
def test_flexible_enrollment(profile: str, year: int, on: str, history: list[Any], code: str | None) -> None:
    o = out({"kind": "flexible_enrollment", "year": year, "on": on}, profile, history=history)
    assert (o["accepted"], o["rejection_code"]) == (code is None, code)
    assert all(v is None for k, v in o.items() if k not in ("accepted", "rejection_code", "warnings"))


def test_flexible_enrollment_without_the_block() -> None:
    o = out(
        {"kind": "flexible_enrollment", "year": 2025, "on": "2025-05-10"},
        "S2-FLEX-2025",
        history=[resident_years(2025)],
    )
    assert o["accepted"] is True


# --- malformed -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "profile", "field"),
    [
        (employee("2025-07-20", "2025-07", "2025-12"), "JX-2025", "profile"),  # no flexible group
        (employee("2025-07-20", "2025-08", "2025-07"), "NC-2025", "action.cover_from"),
        (employee("2025-07-20", "2026-01", "2026-12"), "NC-2025", "action.cover_to"),
        (employee("2025-07-20", "2025-07", "2025-12", kind="casual"), "NC-2025", "action.employee_kind"),
        (employee("2025-07-20", "2025-07", "2025-12", frequency="weekly"), "NC-2025", "action.frequency"),
        ({"kind": "flexible_enrollment", "year": 2026, "on": "2026-01-01"}, "NC-2025", "action.year"),
    ],
)
def test_malformed_employee_input(action: dict[str, Any], profile: str, field: str) -> None:
    with pytest.raises(MalformedInput, match=field.replace(".", r"\.")):
        out(action, profile)
