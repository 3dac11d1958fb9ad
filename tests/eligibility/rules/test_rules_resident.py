"""Resident payments: RES-1 to RES-8b, section 4 quantities, 6.7 choice, 11.1 outputs (fixed dates)."""

from __future__ import annotations

from typing import Any

import pytest

from eligibility.rules import MalformedInput
from eligibility.rules.testing import (
    employee_span,
    military_span,
    resident,
    resident_years,
    scenario_output,
    scenario_result,
)

ADULT = {"birth_date": "1980-05-01", "category": "ordinary"}


def out(action: dict[str, Any], **parts: Any) -> dict[str, Any]:
    parts.setdefault("person", ADULT)
    return scenario_output(action, **parts)


def dates(o: dict[str, Any]) -> tuple[Any, ...]:
    return o["waiting_start"], o["waiting_end"], o["benefits_from"], o["retro_from"], o["retro_to"]


# --- RES-3 periods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paid_on", "code"),
    [
        ("2024-09-14", "RES_PERIOD_NOT_OPEN"),
        ("2024-09-15", None),
        ("2025-12-31", None),
        ("2026-01-01", "RES_PERIOD_CLOSED"),
    ],
)
def test_payment_period_edges(paid_on: str, code: str | None) -> None:
    o = out(resident(2025, paid_on), history=[resident_years(2024)])
    assert o["rejection_code"] == code
    assert o["accepted"] is (code is None)


def test_already_paid_is_checked_first_and_nulls_every_other_key() -> None:
    o = out(resident(2025, "2024-09-01"), history=[resident_years(2024, 2025)])
    assert o["rejection_code"] == "RES_ALREADY_PAID"
    assert all(v is None for k, v in o.items() if k not in ("accepted", "rejection_code", "warnings"))
    assert o["warnings"] == []


# --- RES-2 and the centralized period end -----------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "paid_on", "expected"),
    [
        ("YEAR_START", "2025-01-20", (None, None, "2025-01-01", "2025-01-01", "2025-01-19")),
        ("YEAR_START", "2025-01-01", (None, None, "2025-01-01", None, None)),
        ("YEAR_START", "2025-02-28", (None, None, "2025-01-01", "2025-01-01", "2025-02-27")),
        ("NEXT_DAY", "2025-01-20", (None, None, "2025-01-21", None, None)),
        ("NEXT_DAY", "2024-12-20", (None, None, "2025-01-01", None, None)),
        ("PAYMENT_DATE", "2025-01-20", (None, None, "2025-01-20", None, None)),
        ("PAYMENT_DATE", "2024-10-01", (None, None, "2025-01-01", None, None)),
    ],
)
def test_in_period_payment_without_waiting(mode: str, paid_on: str, expected: tuple[Any, ...]) -> None:
    o = out(
        resident(2025, paid_on),
        history=[resident_years(2024)],
        params={"resident.in_period_after_year_start": mode},
    )
    assert dates(o) == expected
    assert o["continuous_years"] == 2


def test_day_after_cp_end_is_late_with_fixed_waiting() -> None:
    o = out(resident(2025, "2025-03-01"), history=[resident_years(2024)])
    assert dates(o) == ("2025-03-01", "2025-05-31", "2025-06-01", None, None)
    assert o["continuous_years"] == 2  # a late payment does not reset continuity


# --- 4.4 break years, RES-5(b), RES-6 -----------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "params", "person", "expected"),
    [
        ([resident_years(2024)], {}, ADULT, 0),
        ([resident_years(2023)], {}, ADULT, 1),
        ([resident_years(2017, 2018, 2019)], {}, ADULT, 5),
        ([resident_years(2020), military_span("2022-01", "2022-03")], {}, ADULT, 2),
        ([employee_span("2010-01", "2023-06")], {}, ADULT, 1),
        ([resident_years(2015)], {"resident.break_year_count_from": 2023}, ADULT, 2),
        ([], {}, ADULT, 0),
        (
            [],
            {"resident.break_year_count_from": 2022, "resident.first_time_enrolee_has_break_years": True},
            ADULT,
            3,
        ),
        (
            [],
            {"resident.break_year_count_from": 2020, "resident.first_time_enrolee_has_break_years": True},
            {"birth_date": "2023-05-01", "category": "ordinary"},
            2,
        ),
    ],
)
def test_break_years(history: list[Any], params: dict[str, Any], person: dict[str, Any], expected: int) -> None:
    o = out(resident(2025, "2025-03-10"), history=history, params=params, person=person)
    assert o["break_years"] == expected


def test_first_time_break_years_need_a_count_from() -> None:
    with pytest.raises(MalformedInput, match="first_time_enrolee_has_break_years"):
        out(resident(2025, "2025-03-10"), params={"resident.first_time_enrolee_has_break_years": True})


def test_first_time_enrolee_with_break_years_waits_but_has_no_continuity_reset_warning() -> None:
    o = out(
        resident(2025, "2024-11-10"),
        params={"resident.break_year_count_from": 2023, "resident.first_time_enrolee_has_break_years": True},
    )
    assert o["break_years"] == 2
    assert dates(o)[:3] == ("2025-01-01", "2025-05-31", "2025-06-01")  # 3 + 2 months from 01-01
    assert o["warnings"] == []


def test_in_period_with_a_break_waits_from_year_start() -> None:
    o = out(resident(2025, "2024-11-20"), history=[resident_years(2023)])
    assert dates(o) == ("2025-01-01", "2025-04-30", "2025-05-01", None, None)
    assert o["warnings"] == ["CONTINUITY_RESET"]
    assert o["continuous_years"] == 1


def test_in_period_with_a_break_when_waiting_does_not_apply_in_period() -> None:
    o = out(
        resident(2025, "2024-11-20"),
        history=[resident_years(2023)],
        params={"resident.wait_applies_in_period_with_break": False},
    )
    assert dates(o) == (None, None, "2025-01-01", None, None)
    assert o["warnings"] == ["CONTINUITY_RESET"]
    assert o["continuous_years"] == 1


@pytest.mark.parametrize(
    ("basis", "history", "benefits_from"),
    [
        ("EACH_BREAK_YEAR", [resident_years(2023)], "2025-07-01"),
        ("EACH_BREAK_YEAR_AFTER_FIRST", [resident_years(2023)], "2025-06-01"),
        ("EACH_BREAK_YEAR_AFTER_FIRST", [resident_years(2022)], "2025-07-01"),
    ],
)
def test_variable_wait_basis(basis: str, history: list[Any], benefits_from: str) -> None:
    o = out(resident(2025, "2025-03-01"), history=history, params={"resident.variable_wait_basis": basis})
    assert o["benefits_from"] == benefits_from


def test_variable_wait_months_per_break_year() -> None:
    o = out(
        resident(2025, "2025-03-01"),
        history=[resident_years(2022)],
        params={"resident.variable_wait_months_per_break_year": 2},
    )
    assert o["benefits_from"] == "2025-10-01"  # 3 + 2 x 2


# --- RES-7 repair --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history_years", "asked", "applied", "benefits_from", "premium", "warnings"),
    [
        ((2019, 2020, 2021), 3, 3, "2025-07-01", "1600.00", ["CONTINUITY_RESET"]),  # B = 3: no floor
        ((2018, 2019, 2020), 4, 1, "2025-10-01", "800.00", ["CONTINUITY_RESET", "REPAIR_LIMITED"]),  # B = 4: 7 -> 6
        ((2018, 2019, 2020), 1, 1, "2025-10-01", "800.00", ["CONTINUITY_RESET"]),
        ((2017, 2018, 2019), 5, 2, "2025-10-01", "1200.00", ["CONTINUITY_RESET", "REPAIR_LIMITED"]),  # B = 5
        ((2016, 2017, 2018), 6, 3, "2025-10-01", "1600.00", ["CONTINUITY_RESET", "REPAIR_LIMITED"]),  # B = 6
        ((2021, 2022), 5, 2, "2025-07-01", "1200.00", ["CONTINUITY_RESET", "REPAIR_LIMITED"]),  # r <= B
        ((2023, 2024), 2, 0, "2025-07-01", "400.00", ["REPAIR_LIMITED"]),  # B = 0: nothing to repair
    ],
)
def test_repair(
    history_years: tuple[int, ...], asked: int, applied: int, benefits_from: str, premium: str, warnings: list[str]
) -> None:
    o = out(resident(2025, "2025-04-01", asked), history=[resident_years(*history_years)])
    assert o["repair_years_applied"] == applied
    assert o["benefits_from"] == benefits_from
    assert o["premium_due"] == premium
    assert o["warnings"] == warnings


def test_repair_floor_with_each_break_year_after_first() -> None:
    # B = 4 -> V = 3; F + V = 6 = the floor: r_max 0
    o = out(
        resident(2025, "2025-04-01", 4),
        history=[resident_years(2018, 2019, 2020)],
        params={"resident.variable_wait_basis": "EACH_BREAK_YEAR_AFTER_FIRST"},
    )
    assert (o["repair_years_applied"], o["benefits_from"]) == (0, "2025-10-01")
    assert "REPAIR_LIMITED" in o["warnings"]


@pytest.mark.parametrize(("basis", "premium"), [("ORDINARY_PREMIUM", "880.00"), ("OWN_PREMIUM", "240.00")])
def test_repair_price_basis(basis: str, premium: str) -> None:
    o = out(
        resident(2025, "2025-04-01", 2),
        person={"birth_date": "1970-01-01", "category": "fixed_subsidy"},
        history=[resident_years(2020, 2021, 2022)],
        params={"resident.repair_price_basis": basis},
    )
    assert o["repair_years_applied"] == 2
    assert o["premium_due"] == premium


def test_repair_months_per_year() -> None:
    o = out(
        resident(2025, "2025-04-01", 2),
        history=[resident_years(2020, 2021, 2022)],
        params={"resident.variable_wait_months_per_break_year": 2, "resident.repair_months_per_year": 2},
    )
    # V = 4, r_max = min(2, 4 // 2) = 2 -> W = 3 + 4 - 4 = 3
    assert (o["repair_years_applied"], o["benefits_from"]) == (2, "2025-07-01")


def test_repair_refused_when_an_exemption_applies() -> None:
    o = out(
        resident(2025, "2025-08-15", 2),
        history=[resident_years(2020, 2021, 2022)],
        person={**ADULT, "events": [{"kind": "returned_from_abroad", "date": "2025-07-01"}]},
    )
    assert (o["repair_years_applied"], o["benefits_from"], o["premium_due"]) == (0, "2025-08-16", "400.00")
    assert o["warnings"] == ["CONTINUITY_RESET", "REPAIR_LIMITED"]


# --- DATE-5 days (Guizhou) and RES-3 FULL_COST ------------------------------------------------------


def test_days_waiting_with_variable_months_and_long_break_floor() -> None:
    # GZ: F = 90 days (F_m = 3), B = 4, V = 4, r_max = min(4, floor(3 + 4 - 6)) = 1
    o = out(resident(2025, "2025-04-15", 4), profile="GZ-2025", history=[resident_years(2018, 2019, 2020)])
    assert o["repair_years_applied"] == 1
    assert o["benefits_from"] == "2025-10-13"  # add_months(04-15, 3) = 07-15, + 90 days
    assert o["waiting_end"] == "2025-10-12"
    assert o["premium_due"] == "1470.00"  # 400 + 670 late, + 1 x 400


@pytest.mark.parametrize(
    ("profile", "paid_on", "mode", "premium"),
    [
        ("GZ-2025", "2025-04-15", "FULL_COST", "1070.00"),
        ("GZ-2025", "2025-04-15", "INDIVIDUAL", "400.00"),
        ("GZ-2025", "2025-02-10", "FULL_COST", "400.00"),  # in period: never the full cost
        ("JX-2025", "2025-04-15", "FULL_COST", "1070.00"),
        ("JX-2025", "2025-04-15", "INDIVIDUAL", "400.00"),
    ],
)
def test_late_premium_mode(profile: str, paid_on: str, mode: str, premium: str) -> None:
    o = out(
        resident(2025, paid_on),
        profile=profile,
        history=[resident_years(2024)],
        params={"resident.late_premium_mode": mode},
    )
    assert o["premium_due"] == premium


def test_exempt_late_payer_never_pays_full_cost() -> None:
    # Guizhou newborns pay 400, not 1,070 [S2]
    o = out(
        resident(2025, "2025-04-01"), profile="GZ-2025", person={"birth_date": "2025-03-01", "category": "ordinary"}
    )
    assert (o["benefits_from"], o["retro_from"], o["retro_to"], o["premium_due"]) == (
        "2025-03-01",
        "2025-03-01",
        "2025-03-31",
        "400.00",
    )


# --- RES-8a year end and carry-over ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paid_on", "allow", "code", "benefits_from", "warnings"),
    [
        ("2025-09-30", True, None, "2025-12-30", []),
        ("2025-10-01", True, None, "2026-01-01", ["NO_BENEFIT_THIS_YEAR"]),
        ("2025-12-31", True, None, "2026-03-31", ["NO_BENEFIT_THIS_YEAR"]),
        ("2025-09-30", False, None, "2025-12-30", []),
        ("2025-10-01", False, "WAIT_BEYOND_YEAR_END", None, []),
    ],
)
def test_year_end(paid_on: str, allow: bool, code: str | None, benefits_from: str | None, warnings: list[str]) -> None:
    o = out(
        resident(2025, paid_on),
        history=[resident_years(2024)],
        params={"resident.allow_payment_without_current_year_benefit": allow},
    )
    assert (o["rejection_code"], o["benefits_from"], o["warnings"]) == (code, benefits_from, warnings)
    if code is None and warnings:
        assert o["waiting_start"] == paid_on
        assert o["continuous_years"] == 2  # the premium still counts for continuity


def test_rejected_year_end_has_every_other_key_null() -> None:
    o = out(
        resident(2025, "2025-11-01"),
        history=[resident_years(2024)],
        params={"resident.allow_payment_without_current_year_benefit": False},
    )
    assert o["accepted"] is False
    assert all(v is None for k, v in o.items() if k not in ("accepted", "rejection_code", "warnings"))


@pytest.mark.parametrize(
    ("carries", "paid_on", "expected", "warnings"),
    [
        (True, "2025-11-20", ("2026-01-01", "2026-01-14", "2026-01-15", None, None), ["WAITING_CARRIED_OVER"]),
        (False, "2025-11-20", (None, None, "2026-01-01", None, None), []),
        (True, "2026-01-10", ("2026-01-01", "2026-01-14", "2026-01-15", None, None), ["WAITING_CARRIED_OVER"]),
        (True, "2026-03-01", ("2026-03-01", "2026-05-31", "2026-06-01", None, None), []),  # own later date wins
    ],
)
def test_carry_over(carries: bool, paid_on: str, expected: tuple[Any, ...], warnings: list[str]) -> None:
    o = out(
        resident(2026, paid_on),
        profile="JX-2026",
        history=[resident_years(2024), resident_years(2025, benefits_from="2026-01-15")],
        params={"resident.waiting_carries_across_years": carries},
    )
    assert dates(o) == expected
    assert o["warnings"] == warnings


def test_carry_over_then_year_end() -> None:
    o = out(
        resident(2026, "2025-11-20"),
        profile="JX-2026",
        history=[resident_years(2025, benefits_from="2027-02-01")],
    )
    assert o["benefits_from"] == "2027-02-01"
    assert o["warnings"] == ["NO_BENEFIT_THIS_YEAR", "WAITING_CARRIED_OVER"]


def test_benefits_from_on_a_multi_year_entry_is_malformed() -> None:
    with pytest.raises(MalformedInput, match=r"history\[0\]\.benefits_from"):
        out(
            resident(2026, "2025-11-20"),
            profile="JX-2026",
            history=[resident_years(2024, 2025, benefits_from="2026-01-15")],
        )


# --- Section 6: special groups -------------------------------------------------------------------------


def newborn(birth: str) -> dict[str, Any]:
    return {"birth_date": birth, "category": "ordinary"}


@pytest.mark.parametrize(
    ("birth", "paid_on", "treatment", "expected"),
    [
        ("2025-01-01", "2025-04-01", "RES-9a", (None, None, "2025-01-01", "2025-01-01", "2025-03-31")),  # day 90
        ("2025-01-01", "2025-04-02", "RES-9b", (None, None, "2025-04-03", None, None)),  # day 91
        ("2024-03-10", "2025-03-10", "RES-9b", (None, None, "2025-03-11", None, None)),  # first birthday
        ("2024-03-10", "2025-03-11", "ordinary", ("2025-03-11", "2025-06-10", "2025-06-11", None, None)),
        ("2025-05-20", "2025-05-20", "RES-9a", (None, None, "2025-05-20", None, None)),  # paid on the birth day
        ("2024-12-01", "2025-02-20", "ordinary", (None, None, "2025-01-01", "2025-01-01", "2025-02-19")),  # tie
    ],
)
def test_newborn_windows(birth: str, paid_on: str, treatment: str, expected: tuple[Any, ...]) -> None:
    r = scenario_result(resident(2025, paid_on), person=newborn(birth))
    o = r.to_output_dict()
    assert (r.treatment, dates(o)) == (treatment, expected)
    assert o["premium_due"] == "0.00"


def test_first_birthday_of_a_29_february_child() -> None:
    params = {"resident.cp_end": "2025-01-31"}
    r = scenario_result(resident(2025, "2025-02-28"), person=newborn("2024-02-29"), params=params)
    assert (r.treatment, r.to_output_dict()["benefits_from"]) == ("RES-9b", "2025-03-01")
    r = scenario_result(resident(2025, "2025-03-01"), person=newborn("2024-02-29"), params=params)
    assert (r.treatment, r.to_output_dict()["benefits_from"]) == ("ordinary", "2025-06-01")


@pytest.mark.parametrize(
    ("birth", "flag", "treatment", "premium"),
    [
        ("2024-06-01", True, "RES-9c", "0.00"),
        ("2024-06-01", False, "ordinary", "0.00"),
        ("2024-01-01", True, "RES-9c", "0.00"),  # born on the subsidy date
        ("2023-12-31", True, "ordinary", "400.00"),  # born before it
    ],
)
def test_subsidized_newborn(birth: str, flag: bool, treatment: str, premium: str) -> None:
    r = scenario_result(
        resident(2026, "2026-03-20"),
        profile="JX-2026",
        person=newborn(birth),
        params={"exemptions.subsidized_newborn_no_wait": flag},
    )
    assert (r.treatment, r.to_output_dict()["premium_due"]) == (treatment, premium)


def test_subsidy_natural_years_count_the_birth_year() -> None:
    # 2026 - 2023 = 3, not < 3: no subsidy in the fourth natural year
    params = {"resident.newborn_subsidy_born_from": "2023-01-01"}
    r = scenario_result(resident(2026, "2026-03-20"), profile="JX-2026", person=newborn("2023-06-01"), params=params)
    assert (r.treatment, r.to_output_dict()["premium_due"]) == ("ordinary", "400.00")


@pytest.mark.parametrize(
    ("events", "paid_on", "treatment"),
    [
        ([{"kind": "veteran_discharge", "date": "2025-04-10"}], "2025-07-10", "RES-10"),
        ([{"kind": "veteran_discharge", "date": "2025-04-10"}], "2025-07-11", "ordinary"),
        ([{"kind": "veteran_family", "date": "2025-04-10"}], "2025-07-10", "RES-10"),
        ([{"kind": "veteran_discharge", "date": "2025-06-01"}], "2025-05-20", "ordinary"),  # event after payment
        ([{"kind": "medical_assistance", "date": "2025-05-20"}], "2025-05-20", "RES-11-medical_assistance"),
        ([{"kind": "medical_assistance", "date": "2025-05-21"}], "2025-05-20", "ordinary"),
        ([{"kind": "clergy", "date": "2010-01-01"}], "2025-11-20", "RES-11-clergy"),
        ([{"kind": "moved_in", "date": "2025-07-01"}], "2025-09-29", "RES-13"),
        ([{"kind": "moved_in", "date": "2025-07-01"}], "2025-09-30", "ordinary"),
        ([{"kind": "released_from_prison", "date": "2025-07-01"}], "2025-08-01", "RES-13"),
        ([{"kind": "graduate_returned", "date": "2025-07-01"}], "2025-08-01", "RES-13"),
        ([{"kind": "returned_from_abroad", "date": "2025-07-01"}], "2025-08-01", "RES-13"),
    ],
)
def test_event_exemptions(events: list[dict[str, str]], paid_on: str, treatment: str) -> None:
    r = scenario_result(resident(2025, paid_on), person={**ADULT, "events": events}, history=[resident_years(2024)])
    assert r.treatment == treatment
    o = r.to_output_dict()
    if treatment != "ordinary":
        assert (o["waiting_start"], o["benefits_from"]) == (None, f"2025-{paid_on[5:7]}-{int(paid_on[8:]) + 1:02d}")


@pytest.mark.parametrize(
    ("param", "value", "events"),
    [
        ("exemptions.veteran_window_months", None, [{"kind": "veteran_discharge", "date": "2025-04-10"}]),
        ("exemptions.medical_assistance", False, [{"kind": "medical_assistance", "date": "2025-04-10"}]),
        ("exemptions.clergy", False, [{"kind": "clergy", "date": "2025-04-10"}]),
        ("exemptions.event_window_days", None, [{"kind": "moved_in", "date": "2025-04-10"}]),
    ],
)
def test_switched_off_exemptions(param: str, value: Any, events: list[dict[str, str]]) -> None:
    r = scenario_result(
        resident(2025, "2025-05-20"),
        person={**ADULT, "events": events},
        history=[resident_years(2024)],
        params={param: value},
    )
    assert r.treatment == "ordinary"


def test_newborn_exemptions_switched_off() -> None:
    params = {"exemptions.newborn_from_birth_days": None, "exemptions.newborn_next_day_months": None}
    r = scenario_result(resident(2025, "2025-03-01"), person=newborn("2025-01-01"), params=params)
    assert (r.treatment, r.to_output_dict()["benefits_from"]) == ("ordinary", "2025-06-01")


def test_category_alone_never_exempts() -> None:
    o = out(
        resident(2025, "2025-03-15"),
        person={"birth_date": "1960-03-03", "category": "fixed_subsidy"},
        history=[resident_years(2024)],
    )
    assert (o["benefits_from"], o["premium_due"]) == ("2025-06-15", "80.00")


def test_exempt_person_with_break_years_still_resets_continuity() -> None:
    o = out(
        resident(2025, "2025-05-20"),
        history=[resident_years(2020)],
        person={**ADULT, "events": [{"kind": "clergy", "date": "2020-01-01"}]},
    )
    assert (o["break_years"], o["benefits_from"], o["continuous_years"]) == (4, "2025-05-21", 1)
    assert o["warnings"] == ["CONTINUITY_RESET"]


# --- Switching into resident insurance: SW-1, RES-12 -----------------------------------------------------


@pytest.mark.parametrize(
    ("employment", "treatment", "benefits_from", "retro"),
    [
        (("2023-05", "2025-04"), "SW-1", "2025-06-01", ("2025-05-01", "2025-06-09")),  # CM = 24
        (("2023-06", "2025-04"), "RES-12", "2025-06-11", (None, None)),  # CM = 23
        (("2020-01", "2025-02"), "SW-1", "2025-06-01", ("2025-03-01", "2025-06-09")),  # gap 3
        (("2024-09", "2025-02"), "RES-12", "2025-06-11", (None, None)),  # gap 3, CM 6
        (("2020-01", "2025-01"), "ordinary", "2025-09-10", (None, None)),  # gap 4
    ],
)
def test_employee_to_resident(
    employment: tuple[str, str], treatment: str, benefits_from: str, retro: tuple[Any, Any]
) -> None:
    r = scenario_result(resident(2025, "2025-06-10"), person=ADULT, history=[employee_span(*employment)])
    o = r.to_output_dict()
    assert (r.treatment, o["benefits_from"], (o["retro_from"], o["retro_to"])) == (treatment, benefits_from, retro)


def test_gap_four_into_resident_resets_continuity_without_waiting_in_period() -> None:
    o = out(resident(2025, "2024-12-10"), history=[employee_span("2020-01", "2024-08")])
    assert (o["gap_months"], o["benefits_from"], o["waiting_start"]) == (4, "2025-01-01", None)
    assert (o["continuous_years"], o["warnings"]) == (1, ["CONTINUITY_RESET"])


def test_sw1_retro_is_clipped_to_the_coverage_year() -> None:
    r = scenario_result(
        resident(2026, "2026-01-20"), profile="JX-2026", person=ADULT, history=[employee_span("2020-01", "2025-11")]
    )
    o = r.to_output_dict()
    assert (r.treatment, o["benefits_from"], o["retro_from"], o["retro_to"]) == (
        "SW-1",
        "2026-01-01",
        "2026-01-01",
        "2026-01-19",
    )


def test_res12_minimum_continuous_months_and_off_switch() -> None:
    history = [employee_span("2024-09", "2025-04")]
    r = scenario_result(
        resident(2025, "2025-06-10"),
        person=ADULT,
        history=history,
        params={"exemptions.employee_gap_min_continuous_months": 9},
    )
    assert r.treatment == "ordinary"
    r = scenario_result(
        resident(2025, "2025-06-10"), person=ADULT, history=history, params={"exemptions.employee_gap_max_months": None}
    )
    assert r.treatment == "ordinary"


def test_military_counts_as_cover_but_is_not_an_employee_switch() -> None:
    r = scenario_result(resident(2025, "2025-03-10"), person=ADULT, history=[military_span("2019-09", "2025-01")])
    o = r.to_output_dict()
    assert (r.treatment, o["gap_months"], o["break_years"], o["continuous_years"]) == ("ordinary", 1, 0, 7)
    assert o["warnings"] == []


# --- 11.1 outputs and malformed input ---------------------------------------------------------------------


def test_gap_months_is_null_for_a_resident_l() -> None:
    assert out(resident(2025, "2025-06-10"), history=[resident_years(2024)])["gap_months"] is None


def test_reasons_name_the_deciding_rules() -> None:
    r = scenario_result(resident(2025, "2025-03-01"), person=ADULT, history=[resident_years(2020, 2021, 2022)])
    assert r.reasons == ("RES-3", "RES-5", "RES-6", "RES-8", "DATE-4", "4.5")
    r = scenario_result(
        resident(2025, "2025-05-20"), person={**ADULT, "events": [{"kind": "veteran_discharge", "date": "2025-04-10"}]}
    )
    assert r.reasons == ("RES-10",)


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ({"person": {"birth_date": "1990-01-01", "category": "student"}}, "person.category"),
        ({"person": {"birth_date": "1990-01-01"}}, "person.category"),
        ({"person": {"birth_date": "1990-01-01", "category": "veteran"}}, "person.category"),
        ({"person": {"birth_date": "2025-06-01", "category": "ordinary"}}, "person.birth_date"),
        ({"profile": "JX-2026"}, "action.year"),
        ({"profile": "NC-2025"}, "profile"),
    ],
)
def test_malformed_resident_input(parts: dict[str, Any], field: str) -> None:
    parts.setdefault("person", ADULT)
    with pytest.raises(MalformedInput, match=field.replace(".", r"\.")):
        scenario_output(resident(2025, "2025-03-01"), **parts)


def test_negative_repair_years_is_malformed() -> None:
    with pytest.raises(MalformedInput, match="action.repair_years"):
        out(resident(2025, "2025-03-01", -1))


# --- RES-7b repair paid later -------------------------------------------------------------------------


def test_repair_paid_later_recomputes_from_the_original_anchor() -> None:
    from datetime import date

    from eligibility.rules.resident import repair_paid_later
    from eligibility.rules.testing import default_book

    profile = default_book().get("JX-2025")
    # S03: late payment 2025-03-01, B = 2, waiting to 2025-07-31, benefits from 2025-08-01
    result = scenario_result(resident(2025, "2025-03-01"), person=ADULT, history=[resident_years(2020, 2021, 2022)])
    later = repair_paid_later(result, repair_years=2, paid_on=date(2025, 4, 10), profile=profile)
    assert later is not None
    assert (later.repair_years_applied, later.benefits_from, later.waiting_end) == (
        2,
        date(2025, 6, 1),
        date(2025, 5, 31),
    )
    assert (later.price, later.limited) == (800, False)
    # never earlier than the repair payment date + 1 day
    later = repair_paid_later(result, repair_years=3, paid_on=date(2025, 6, 10), profile=profile)
    assert later is not None
    assert (later.repair_years_applied, later.benefits_from, later.limited) == (2, date(2025, 6, 11), True)
    # after benefits started: nothing to repair
    assert repair_paid_later(result, repair_years=1, paid_on=date(2025, 8, 1), profile=profile) is None
