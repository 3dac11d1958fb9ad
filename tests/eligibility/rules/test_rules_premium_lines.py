"""Premium lines: every accepted payment's premium is itemised, and the items add up to it exactly."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from eligibility.rules.profile import ProfileBook
from eligibility.rules.scenarios import parse_scenario

BOOK = ProfileBook.from_file()
SCENARIOS = [
    s
    for name in ("public.json", "reviewed.json")
    for s in json.loads((Path(__file__).resolve().parents[2] / "scenarios" / name).read_text("utf-8"))
    if s["action"]["kind"] in {"resident_payment", "employee_payment"}
]


@pytest.mark.parametrize("raw", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_lines_add_up_to_the_premium(raw):
    result = parse_scenario(raw, BOOK).evaluate()
    if result.premium_due is None:
        assert result.premium_lines == ()
        return
    assert sum((line.amount for line in result.premium_lines), Decimal(0)) == result.premium_due
    assert all(line.amount == line.unit_amount * line.quantity for line in result.premium_lines)


def test_guizhou_late_payer_sees_the_full_cost_subsidy_as_its_own_line():
    s36 = next(s for s in SCENARIOS if s["id"] == "S36")
    lines = parse_scenario(s36, BOOK).evaluate().premium_lines
    assert [(line.code, line.amount) for line in lines] == [
        ("RES_PREMIUM", Decimal("400.00")),
        ("RES_FULL_COST_SUBSIDY", Decimal("670.00")),
    ]
