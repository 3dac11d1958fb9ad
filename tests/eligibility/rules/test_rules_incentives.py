"""Critical-illness cap: INC-1 to INC-5 and 11.4 (JX-2026, base cap 300,000)."""

from __future__ import annotations

from typing import Any

import pytest

from eligibility.rules import MalformedInput
from eligibility.rules.testing import employee_span, resident_years, scenario_output


def cap(history: list[Any], year: int = 2026, claims: dict[str, Any] | None = None, **parts: Any) -> dict[str, Any]:
    parts.setdefault("profile", "JX-2026")
    return scenario_output({"kind": "ci_cap", "year": year}, history=history, claims=claims, **parts)


@pytest.mark.parametrize(
    ("first_year", "expected_cap", "continuous"),
    [
        (2026, "300000.00", 1),
        (2023, "300000.00", 4),  # threshold 4: nothing yet
        (2022, "303000.00", 5),  # the first increase comes in the 5th continuous year
        (2021, "306000.00", 6),
        (2000, "360000.00", 27),  # 23 x 3,000 = 69,000, capped at 20 % = 60,000
    ],
)
def test_continuity_increment_and_ratio_cap(first_year: int, expected_cap: str, continuous: int) -> None:
    o = cap([resident_years(*range(first_year, 2027))])
    assert (o["ci_cap"], o["continuous_years"]) == (expected_cap, continuous)
    assert all(o[k] is None for k in ("benefits_from", "premium_due", "break_years", "gap_months"))


def test_years_before_2025_not_counted() -> None:
    o = cap([resident_years(*range(2018, 2027))], params={"ci.count_years_before_2025": False})
    assert (o["ci_cap"], o["continuous_years"]) == ("300000.00", 9)


def test_employee_years() -> None:
    history = [employee_span("2015-01", "2024-12"), resident_years(2025, 2026)]
    assert cap(history)["ci_cap"] == "324000.00"  # 12 years: 8 x 3,000
    o = cap(history, params={"ci.employee_years_count": False})
    assert (o["ci_cap"], o["continuous_years"]) == ("300000.00", 12)


@pytest.mark.parametrize(
    ("reset", "expected"),
    [(True, "303000.00"), (False, "306000.00")],
)
def test_zero_claim_credit_and_breaks(reset: bool, expected: str) -> None:
    history = [resident_years(2018, 2019, 2020, 2023, 2024, 2025, 2026)]
    claims = {"zero_reimbursement_years": [2019, 2024], "ci_reward_used_years": []}
    o = cap(history, claims=claims, params={"ci.zero_reset_on_break": reset})
    assert (o["ci_cap"], o["continuous_years"]) == (expected, 4)


def test_zero_claim_years_must_be_participation_years_before_y() -> None:
    claims = {"zero_reimbursement_years": [2020, 2026, 2027], "ci_reward_used_years": []}
    assert cap([resident_years(2023, 2024, 2025, 2026)], claims=claims)["ci_cap"] == "300000.00"


def test_reward_use_clears_earlier_zero_claim_years() -> None:
    history = [resident_years(*range(2022, 2028))]
    claims = {"zero_reimbursement_years": [2023, 2024, 2026], "ci_reward_used_years": [2025, 2027]}
    # Y = 2027: only 2026 is after the latest use before 2027 (2025); C = 2 x 3,000
    assert cap(history, 2027, claims)["ci_cap"] == "309000.00"


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([resident_years(2020, 2021, 2022, 2026)], "295000.00"),  # re-enrolment year after a break
        ([resident_years(2026)], "300000.00"),  # first ever: no break
        ([resident_years(2020, 2021, 2022, 2025, 2026)], "300000.00"),  # second year after the break
    ],
)
def test_break_reduction(history: list[Any], expected: str) -> None:
    assert cap(history, params={"ci.break_reduction": "5000.00"})["ci_cap"] == expected


@pytest.mark.parametrize(
    ("employment_to", "continuous", "expected"),
    [("2025-09", 6, "306000.00"), ("2025-08", 1, "300000.00")],  # gap 3 keeps the run, gap 4 breaks it
)
def test_gap_before_the_resident_year(employment_to: str, continuous: int, expected: str) -> None:
    o = cap([employee_span("2021-01", employment_to), resident_years(2026)])
    assert (o["continuous_years"], o["ci_cap"]) == (continuous, expected)


def test_not_enrolled_in_year() -> None:
    o = cap([employee_span("2020-01", "2026-12")])
    assert (o["accepted"], o["rejection_code"], o["ci_cap"], o["continuous_years"]) == (
        False,
        "NOT_ENROLLED_IN_YEAR",
        None,
        None,
    )


def test_profile_year_may_be_earlier_but_not_later() -> None:
    assert cap([resident_years(2025, 2026, 2027)], 2027)["accepted"] is True
    with pytest.raises(MalformedInput, match="action.year"):
        cap([resident_years(2025)], 2025)


@pytest.mark.parametrize(
    "claims",
    [
        {"zero_reimbursement_years": 2024},
        {"zero_reimbursement_years": ["2024"]},
        {"ci_reward_used_years": [2024.5]},
        [2024],
    ],
)
def test_claims_that_are_not_lists_of_years_are_malformed(claims: Any) -> None:
    with pytest.raises(MalformedInput, match="claims"):
        cap([resident_years(2026)], claims=claims)


def test_ci_cap_needs_the_ci_group() -> None:
    with pytest.raises(MalformedInput, match="ci group"):
        cap([resident_years(2025)], 2025, profile="GZ-2025")
