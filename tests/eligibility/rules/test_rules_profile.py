"""Section 12: profiles are data, validated as whole groups with no hidden defaults."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from eligibility.rules import MalformedInput, ProfileBook, build_profile
from eligibility.rules.codes import InPeriodAfterYearStart, WaitUnit
from eligibility.rules.profile import GROUPS, PARAMETER_NAMES

PROFILES_PATH = Path(__file__).resolve().parents[3] / "eligibility" / "data" / "profiles.json"
RAW = json.loads(PROFILES_PATH.read_text(encoding="utf-8"))["profiles"]


@pytest.mark.parametrize("name", list(RAW))
def test_every_shipped_profile_is_valid(name: str) -> None:
    profile = ProfileBook.from_file(PROFILES_PATH).get(name)
    assert profile.coverage_year == RAW[name]["coverage_year"]


def test_typed_values() -> None:
    jx = ProfileBook.from_file(PROFILES_PATH).get("JX-2025")
    assert jx.resident is not None and jx.flexible is None
    assert jx.resident.premium_ordinary == Decimal("400.00")
    assert jx.resident.premium_student is None
    assert jx.resident.in_period_after_year_start is InPeriodAfterYearStart.YEAR_START
    gz = ProfileBook.from_file(PROFILES_PATH).get("GZ-2025")
    assert gz.resident is not None and gz.resident.fixed_wait_unit is WaitUnit.DAYS and gz.ci is None


def test_there_are_54_parameters_in_five_groups() -> None:
    assert set(GROUPS) == {"resident", "exemptions", "employee", "flexible", "ci"}
    assert len(PARAMETER_NAMES) == 27 + 9 + 5 + 7 + 9


def with_params(name: str, **changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(RAW[name])
    for key, value in changes.items():
        dotted = key.replace("__", ".")
        if value is ...:
            del raw["params"][dotted]
        else:
            raw["params"][dotted] = value
    return raw


@pytest.mark.parametrize(
    ("name", "changes", "field"),
    [
        ("JX-2025", {"resident__nonsense": 1}, "resident.nonsense"),
        ("JX-2025", {"resident__fixed_wait": ...}, "resident.fixed_wait"),  # a group must be whole
        ("JX-2025", {"resident__fixed_wait_unit": "WEEKS"}, "resident.fixed_wait_unit"),
        ("JX-2025", {"resident__fixed_wait": -1}, "resident.fixed_wait"),
        ("JX-2025", {"resident__fixed_wait": "3"}, "resident.fixed_wait"),
        ("JX-2025", {"resident__fixed_wait": None}, "resident.fixed_wait"),  # null is never a default
        ("JX-2025", {"resident__subsidy": "-670.00"}, "resident.subsidy"),
        ("JX-2025", {"resident__subsidy": "abc"}, "resident.subsidy"),
        ("JX-2025", {"resident__cp_start": "2025-02-30"}, "resident.cp_start"),
        ("JX-2025", {"resident__cp_end": "2024-09-01"}, "resident.cp_start"),  # cp_start <= cp_end
        ("JX-2025", {"resident__late_window_end": "2026-01-31"}, "resident.cp_start"),  # <= 12-31 of the year
        ("JX-2025", {"resident__newborn_subsidy_born_from": None}, "newborn_subsidized"),  # the trio
        ("JX-2025", {"resident__first_time_enrolee_has_break_years": True}, "first_time_enrolee_has_break_years"),
        ("JX-2025", {"resident__repair_months_per_year": 0}, "repair_months_per_year"),
        ("JX-2025", {"resident__wait_applies_in_period_with_break": "yes"}, "wait_applies_in_period_with_break"),
        ("JX-2025", {"resident__inpatient_anchor": "DISCHARGE_DATE"}, "inpatient_anchor"),
        ("JX-2025", {"flexible__rate": "0.065"}, "flexible"),  # a partial group
        ("S2-FLEX-2025", {"flexible__backpay_window_end": None}, "backpay_window_start"),
        ("S2-FLEX-2025", {"flexible__backpay_window_end": "2024-12-31"}, "backpay_window_start"),
        ("NC-2025", {"flexible__payment_frequency": "MONTHLY"}, "payment_frequency"),
        ("NC-2025", {"employee__backpay_long_gap": "SOMETIMES"}, "backpay_long_gap"),
    ],
)
def test_invalid_profiles(name: str, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedInput) as caught:
        build_profile(name, with_params(name, **changes))
    assert field in str(caught.value)


def test_overrides_by_dotted_name_are_validated_like_the_profile() -> None:
    book = ProfileBook.from_file(PROFILES_PATH)
    assert book.get("JX-2025", {"resident.fixed_wait": 6}).need_resident().fixed_wait == 6
    with pytest.raises(MalformedInput, match=r"params\.resident\.no_such"):
        book.get("JX-2025", {"resident.no_such": 1})
    with pytest.raises(MalformedInput, match=r"params\.resident\.cp_end"):
        book.get("JX-2025", {"resident.cp_end": "2025-13-01"})
    with pytest.raises(MalformedInput, match="inconsistent"):
        book.get("JX-2025", {"resident.cp_end": "2026-03-01"})
    with pytest.raises(MalformedInput, match="unknown profile 'XX-2025'"):
        book.get("XX-2025")


def test_an_absent_group_is_malformed_only_when_needed() -> None:
    profile = ProfileBook.from_file(PROFILES_PATH).get("JX-2025")
    with pytest.raises(MalformedInput, match="flexible group"):
        profile.need_flexible()


def test_inline_profile_needs_coverage_year_and_params() -> None:
    with pytest.raises(MalformedInput, match="coverage_year"):
        build_profile("inline", {"params": {}})
    with pytest.raises(MalformedInput, match="params"):
        build_profile("inline", {"coverage_year": 2025})
    inline = build_profile("inline", {"coverage_year": 2025, "params": with_params("NC-2025")["params"]})
    assert inline.resident is None and inline.flexible is not None
