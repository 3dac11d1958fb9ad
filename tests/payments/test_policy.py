import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from payments.models import PolicyProfile
from payments.policy import (
    NoPolicy,
    policy_profile_build,
    policy_row_for,
    policy_tiers_check,
    profile_of,
)
from payments.policy_years import policy_profiles_load

pytestmark = pytest.mark.django_db
PROFILES = json.loads(
    (Path(__file__).resolve().parents[2] / "eligibility" / "data" / "profiles.json").read_text("utf-8")
)["profiles"]


def params(name: str, **changes) -> dict:
    values = copy.deepcopy(PROFILES[name]["params"])
    values.update(changes)
    return values


def messages(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def test_loading_twice_creates_the_rows_once(nanchang, fuzhou):
    first = policy_profiles_load()
    second = policy_profiles_load()

    assert first.created == 12 and first.updated == 0  # two regions x three years x two scopes
    assert (second.created, second.updated) == (0, 0)
    assert PolicyProfile.objects.count() == 12
    # Loaded profiles are published through the same checks as a supervisor's, and so in force.
    assert set(PolicyProfile.objects.values_list("status", flat=True)) == {"published"}
    assert "520100" in first.skipped_regions  # regions that do not exist are reported, not invented


def test_the_profile_in_force_is_found_by_region_year_and_scope(policies):
    row = policy_row_for(region_code="360100", year=2026, scope="employee", on=dt.date(2025, 12, 20))
    assert row.name == "NC-2026"
    assert profile_of(row).flexible.rate == profile_of(row).flexible.rate  # built once, cached


def test_a_change_during_the_year_applies_from_its_start_day(policies, nanchang):
    original = policy_row_for(region_code="360100", year=2026, scope="resident")
    PolicyProfile.objects.create(
        region=nanchang,
        scope="resident",
        coverage_year=2026,
        effective_from=dt.date(2026, 7, 1),
        name="JX-2026b",
        params=params("JX-2026", **{"resident.subsidy": "720.00"}),
        status="published",
        published_at=dt.datetime(2026, 6, 20, tzinfo=dt.UTC),
    )
    before = policy_row_for(region_code="360100", year=2026, scope="resident", on=dt.date(2026, 6, 30))
    after = policy_row_for(region_code="360100", year=2026, scope="resident", on=dt.date(2026, 7, 1))
    assert before == original and after.name == "JX-2026b"


def test_no_policy_is_a_clear_error(policies):
    with translation.override("zh-hans"), pytest.raises(NoPolicy) as info:
        policy_row_for(region_code="360100", year=2031, scope="resident")
    assert "2031" in str(info.value) and "360100" in str(info.value)


@pytest.mark.parametrize(
    ("changes", "zh", "en"),
    [
        ({"resident.cp_end": "2024-09-01"}, "早于", "is before"),
        ({"resident.premium.ordinary": "-400.00"}, "不能为负数", "cannot be negative"),
        ({"resident.late_premium_mode": "HALF_COST"}, "不是", "is not one of"),
        ({"resident.no_such_parameter": 1}, "未知参数", "Unknown parameter"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(changes, zh, en):
    bad = params("JX-2025", **changes)
    for language, expected in (("zh-hans", zh), ("en", en)):
        with translation.override(language), pytest.raises(ValidationError) as info:
            policy_profile_build(name="JX-2025", coverage_year=2025, params=bad)
        assert expected in messages(info.value)


def test_a_missing_parameter_is_refused_by_the_rules_builder():
    incomplete = params("JX-2025")
    del incomplete["resident.subsidy"]
    with translation.override("en"), pytest.raises(ValidationError) as info:
        policy_profile_build(name="JX-2025", coverage_year=2025, params=incomplete)
    assert "resident.subsidy" in messages(info.value)


def test_rate_tiers_must_include_the_profile_rate():
    profile = policy_profile_build(name="S2-FLEX-2025", coverage_year=2025, params=params("S2-FLEX-2025"))
    assert [str(r) for r in policy_tiers_check(profile=profile, tiers=["0.045", "0.065"])] == ["0.045", "0.065"]
    with pytest.raises(ValidationError):
        policy_tiers_check(profile=profile, tiers=["0.065"])
    with pytest.raises(ValidationError):
        policy_tiers_check(profile=profile, tiers=["1.5", "0.045"])
