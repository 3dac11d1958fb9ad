"""CLM-1 and RES-8b: is a service date payable?"""

from __future__ import annotations

from datetime import date

import pytest

from eligibility.rules import CoveragePeriod, is_payable
from eligibility.rules.testing import employee, employee_span, resident, resident_years, scenario_result

ADULT = {"birth_date": "1980-05-01", "category": "ordinary"}


def late_payment_period() -> CoveragePeriod:
    # S02: waiting 2025-03-01 to 2025-05-31, benefits from 2025-06-01
    return CoveragePeriod.from_result(
        scenario_result(resident(2025, "2025-03-01"), person=ADULT, history=[resident_years(2023, 2024)])
    )


@pytest.mark.parametrize(
    ("service", "payable", "reason"),
    [
        (date(2025, 5, 31), False, "IN_WAITING_PERIOD"),
        (date(2025, 6, 1), True, "IN_BENEFIT_PERIOD"),
        (date(2025, 12, 31), True, "IN_BENEFIT_PERIOD"),
        (date(2026, 1, 1), False, "AFTER_BENEFIT_END"),
        (date(2025, 2, 1), False, "BEFORE_BENEFITS"),
    ],
)
def test_service_dates(service: date, payable: bool, reason: str) -> None:
    decision = is_payable(service, period=late_payment_period())
    assert decision.payable is payable
    assert decision.reasons == ("CLM-1", reason)


def test_stay_admitted_during_waiting_is_self_paid_as_a_whole() -> None:
    decision = is_payable(date(2025, 6, 5), period=late_payment_period(), admission_date=date(2025, 5, 30))
    assert decision.payable is False
    assert "RES-8b" in decision.reasons
    assert is_payable(date(2025, 6, 5), period=late_payment_period(), admission_date=date(2025, 6, 1)).payable


def test_retro_window_is_payable() -> None:
    period = CoveragePeriod.from_result(
        scenario_result(resident(2025, "2025-01-20"), person=ADULT, history=[resident_years(2024)])
    )
    assert is_payable(date(2025, 1, 10), period=period).reasons == ("CLM-1", "IN_RETRO_WINDOW")


def test_employee_cover_is_open_ended_and_back_pay_retro_counts() -> None:
    result = scenario_result(
        employee("2025-06-18", "2025-04", "2025-12"), profile="NC-2025", history=[employee_span("2019-01", "2025-03")]
    )
    period = CoveragePeriod.from_result(result)
    assert is_payable(date(2025, 4, 15), period=period).payable  # back-paid gap month (retro)
    assert is_payable(date(2027, 4, 15), period=period).payable


def test_rejected_result_covers_nothing() -> None:
    result = scenario_result(resident(2025, "2026-01-05"), person=ADULT)
    assert is_payable(date(2025, 6, 1), period=CoveragePeriod.from_result(result)).reasons == ("CLM-1", "NO_BENEFITS")
