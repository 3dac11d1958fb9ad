"""The public scenarios (tests/scenarios/public.json) through the pure engine, per FORMAT.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eligibility.rules import OUTPUT_KEYS, ProfileBook
from eligibility.rules.scenarios import mismatches, parse_scenario

REPO_ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = json.loads((REPO_ROOT / "tests" / "scenarios" / "public.json").read_text(encoding="utf-8"))
BOOK = ProfileBook.from_file(REPO_ROOT / "eligibility" / "data" / "profiles.json")


def test_there_are_32_public_scenarios() -> None:
    assert len(SCENARIOS) == 32


@pytest.mark.parametrize("raw", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_public_scenario(raw: dict[str, Any]) -> None:
    # given
    scenario = parse_scenario(raw, BOOK)
    # when
    actual = scenario.evaluate().to_output_dict()
    # then
    assert list(actual) == list(OUTPUT_KEYS)
    assert scenario.expect is not None
    assert mismatches(scenario.expect, actual) == []
    assert sorted(actual["warnings"]) == sorted(raw["expect"]["warnings"])  # exact, not only a subset


def test_project_copies_match_the_shared_folder() -> None:
    shared = Path("/work/shared/rules")
    if not shared.exists():
        pytest.skip("shared folder not mounted")
    assert json.loads((shared / "profiles.json").read_text()) == json.loads(
        (REPO_ROOT / "eligibility" / "data" / "profiles.json").read_text()
    )
    assert json.loads((shared / "scenarios" / "public.json").read_text()) == SCENARIOS
