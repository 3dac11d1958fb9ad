"""The coverage timeline, computed from facts without the database.

Each case builds a person's story the way the product records it: recorded periods, and payments
evaluated by the rules engine (the grant stored with each decision), then reads the month cells.
"""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.utils import translation

from eligibility.rules import (
    Category,
    Claims,
    EmployeeKind,
    EmployeePayment,
    EmployeeSpan,
    Event,
    EventKind,
    History,
    MilitarySpan,
    Person,
    ResidentPayment,
    ResidentYears,
    WarningCode,
    evaluate,
)
from eligibility.rules.dates import first_day, last_day, month_index, month_of
from eligibility.rules.facts import merge_intervals
from eligibility.rules.status import CoverageScheme, Grant
from eligibility.rules.testing import default_book
from eligibility.selectors import PersonFacts
from eligibility.timeline import Benefit, Contribution, timeline_build

D = dt.date
SCHEME_OF_KIND = {EmployeeKind.FLEXIBLE: "employee_flexible", EmployeeKind.UNIT: "employee_unit"}


def m(text: str) -> int:
    year, month = text.split("-")
    return month_index(int(year), int(month))


@dataclass
class Story:
    """A person's periods and decisions, kept as the selector would load them."""

    person: Person = field(default_factory=lambda: Person(birth_date=D(1980, 1, 1), category=Category.ORDINARY))
    entries: list = field(default_factory=list)
    grants: list = field(default_factory=list)
    resets: list = field(default_factory=list)

    def history(self) -> History:
        return History(entries=tuple(self.entries), continuity_resets=tuple(self.resets))

    def recorded_years(self, *years: int) -> "Story":
        self.entries.append(ResidentYears(years=years))
        for year in years:
            self.grants.append(
                Grant(
                    scheme=CoverageScheme.RESIDENT,
                    scheme_detail="resident",
                    paid_on=D(year - 1, 12, 31),
                    months=((month_index(year, 1), month_index(year, 12)),),
                    benefits_from=D(year, 1, 1),
                    benefit_end=D(year, 12, 31),
                    reasons=("RECORDED",),
                )
            )
        return self

    def recorded_months(self, first: str, last: str, kind: EmployeeKind = EmployeeKind.UNIT) -> "Story":
        self.entries.append(EmployeeSpan(kind=kind, first=m(first), last=m(last)))
        self.grants.append(
            Grant(
                scheme=CoverageScheme.EMPLOYEE,
                scheme_detail=SCHEME_OF_KIND[kind],
                paid_on=first_day(m(first)),
                months=((m(first), m(last)),),
                benefits_from=first_day(m(first)),
                reasons=("RECORDED",),
            )
        )
        return self

    def served(self, first: str, last: str) -> "Story":
        self.entries.append(MilitarySpan(first=m(first), last=m(last)))
        return self

    def pay(self, action, profile: str):
        result = evaluate(
            action, person=self.person, history=self.history(), claims=Claims(), profile=default_book().get(profile)
        )
        assert result.accepted, result.rejection_code
        if isinstance(action, ResidentPayment):
            # The ledger keeps one row per resident year, dated 1 January: the decision's months.
            months = [(month_index(action.year, 1), month_index(action.year, 1))]
            late_start = result.benefits_from is not None and result.benefits_from > D(action.year, 1, 1)
            self.entries.append(
                ResidentYears(years=(action.year,), benefits_from=result.benefits_from if late_start else None)
            )
            scheme, detail, resumption = (
                CoverageScheme.RESIDENT,
                "resident",
                max(month_of(action.paid_on), months[0][0]),
            )
        else:
            months = [(action.cover_from, action.cover_to)]
            resumption = max(month_of(action.paid_on), action.cover_from)
            counted_from = resumption if WarningCode.BACKPAY_NO_BENEFIT in result.warnings else action.cover_from
            self.entries.append(EmployeeSpan(kind=action.employee_kind, first=counted_from, last=action.cover_to))
            scheme, detail = CoverageScheme.EMPLOYEE, SCHEME_OF_KIND[action.employee_kind]
        if WarningCode.CONTINUITY_RESET in result.warnings:
            self.resets.append(resumption)
        self.grants.append(
            Grant(
                scheme=scheme,
                scheme_detail=detail,
                paid_on=action.paid_on,
                months=merge_intervals(months),
                benefits_from=result.benefits_from,
                benefit_end=result.benefit_end,
                waiting_start=result.waiting_start,
                waiting_end=result.waiting_end,
                retro_from=result.retro_from,
                retro_to=result.retro_to,
                gap_months=result.gap_months,
                break_years=result.break_years,
                continuous_years=result.continuous_years,
                reasons=tuple(result.reasons),
                warnings=tuple(w.value for w in result.warnings),
            )
        )
        return result

    def facts(self) -> PersonFacts:
        return PersonFacts(
            person_id=1,
            region_code="360100",
            person=self.person,
            history=self.history(),
            claims=Claims(),
            grants=tuple(self.grants),
        )


def continuous_payer() -> Story:
    story = Story().recorded_years(2023, 2024)
    story.pay(ResidentPayment(year=2025, paid_on=D(2024, 11, 10)), "JX-2025")
    return story


def gap_then_waiting() -> Story:
    """Unit employee until December 2024, nothing January to April 2025, flexible worker from May."""
    story = Story().recorded_months("2023-01", "2024-12")
    story.pay(
        EmployeePayment(
            employee_kind=EmployeeKind.FLEXIBLE, paid_on=D(2025, 5, 10), cover_from=m("2025-05"), cover_to=m("2025-12")
        ),
        "NC-2025",
    )
    return story


def short_gap_back_paid() -> Story:
    """Flexible worker through 2024, two months missed, paid in March with the two months back."""
    story = Story().recorded_months("2023-01", "2024-12", kind=EmployeeKind.FLEXIBLE)
    story.pay(
        EmployeePayment(
            employee_kind=EmployeeKind.FLEXIBLE, paid_on=D(2025, 3, 5), cover_from=m("2025-01"), cover_to=m("2025-12")
        ),
        "NC-2025",
    )
    return story


def long_gap_back_paid() -> Story:
    """Five months missed, then back-paid: the months count for cumulative years only (EMP-6)."""
    story = Story().recorded_months("2023-01", "2024-07", kind=EmployeeKind.FLEXIBLE)
    story.pay(
        EmployeePayment(
            employee_kind=EmployeeKind.FLEXIBLE, paid_on=D(2025, 1, 6), cover_from=m("2024-08"), cover_to=m("2025-12")
        ),
        "NC-2025",
    )
    return story


def newborn() -> Story:
    story = Story(person=Person(birth_date=D(2025, 2, 10), category=Category.ORDINARY))
    story.pay(ResidentPayment(year=2025, paid_on=D(2025, 3, 1)), "JX-2025")
    return story


def veteran() -> Story:
    person = Person(
        birth_date=D(1998, 6, 1),
        category=Category.ORDINARY,
        events=(Event(kind=EventKind.VETERAN_DISCHARGE, date=D(2025, 4, 10)),),
    )
    story = Story(person=person).recorded_years(2023).served("2023-09", "2025-04")
    story.pay(ResidentPayment(year=2025, paid_on=D(2025, 5, 20)), "JX-2025")
    return story


def late_resident() -> Story:
    story = Story().recorded_years(2023, 2024)
    story.pay(ResidentPayment(year=2025, paid_on=D(2025, 3, 1)), "JX-2025")
    return story


def paid_in_january() -> Story:
    story = Story().recorded_years(2023, 2024)
    story.pay(ResidentPayment(year=2025, paid_on=D(2025, 1, 20)), "JX-2025")
    return story


def half_year_flexible() -> Story:
    return Story().recorded_months("2025-01", "2025-06", kind=EmployeeKind.FLEXIBLE)


AS_OF = D(2025, 6, 15)

CASES = [
    # (story, scheme, month, contribution, benefit, rule in the cell)
    (continuous_payer, "resident", "2023-05", Contribution.PAID, Benefit.COVERED, "RECORDED"),
    (continuous_payer, "resident", "2025-03", Contribution.PAID, Benefit.COVERED, "RES-2"),
    (gap_then_waiting, "employee_unit", "2025-02", Contribution.GAP, Benefit.NOT_COVERED, "4.2"),
    (gap_then_waiting, "employee_flexible", "2025-02", Contribution.GAP, Benefit.NOT_COVERED, "4.2"),
    (gap_then_waiting, "employee_flexible", "2025-05", Contribution.PAID, Benefit.WAITING, "EMP-6"),
    (gap_then_waiting, "employee_flexible", "2025-07", Contribution.PAID, Benefit.WAITING, "EMP-6"),
    (gap_then_waiting, "employee_unit", "2025-06", Contribution.ELSEWHERE, Benefit.NOT_COVERED, None),
    (short_gap_back_paid, "employee_flexible", "2025-01", Contribution.BACK_PAID, Benefit.RETROACTIVE, "EMP-5"),
    (short_gap_back_paid, "employee_flexible", "2025-03", Contribution.PAID, Benefit.COVERED, "EMP-5"),
    (
        long_gap_back_paid,
        "employee_flexible",
        "2024-10",
        Contribution.BACK_PAID_CUMULATIVE,
        Benefit.NO_BENEFIT,
        "EMP-6",
    ),
    (long_gap_back_paid, "employee_flexible", "2025-02", Contribution.PAID, Benefit.WAITING, "EMP-6"),
    (newborn, "resident", "2025-02", Contribution.PAID, Benefit.RETROACTIVE, "RES-9a"),
    (newborn, "resident", "2025-04", Contribution.PAID, Benefit.EXEMPT, "RES-9a"),
    (newborn, "resident", "2024-06", Contribution.NOT_ENROLLED, Benefit.NOT_COVERED, None),
    (veteran, "resident", "2025-04", Contribution.PAID, Benefit.NO_BENEFIT, "RES-10"),
    (veteran, "resident", "2025-06", Contribution.PAID, Benefit.EXEMPT, "RES-10"),
    (veteran, "resident", "2024-03", Contribution.ELSEWHERE, Benefit.NOT_COVERED, None),
    (late_resident, "resident", "2025-02", Contribution.PAID, Benefit.NO_BENEFIT, "RES-5"),
    (late_resident, "resident", "2025-04", Contribution.PAID, Benefit.WAITING, "RES-5"),
    (late_resident, "resident", "2025-06", Contribution.PAID, Benefit.COVERED, "RES-8"),
    (paid_in_january, "resident", "2025-01", Contribution.PAID, Benefit.RETROACTIVE, "RES-2"),
    (paid_in_january, "resident", "2025-02", Contribution.PAID, Benefit.COVERED, "RES-2"),
    (half_year_flexible, "employee_flexible", "2025-06", Contribution.PAID, Benefit.COVERED, "RECORDED"),
    (half_year_flexible, "employee_flexible", "2025-08", Contribution.FUTURE, Benefit.FUTURE, None),
    (half_year_flexible, "employee_flexible", "2024-08", Contribution.NOT_ENROLLED, Benefit.NOT_COVERED, None),
]


@pytest.mark.parametrize(("story", "scheme", "month", "contribution", "benefit", "rule"), CASES)
def test_month_states(story, scheme, month, contribution, benefit, rule):
    timeline = timeline_build(facts=story().facts(), as_of=AS_OF, years=3)

    paid = timeline.cell(scheme, "contribution", month)
    benefit_cell = timeline.cell(scheme, "benefit", month)
    assert (paid.state, benefit_cell.state) == (contribution.value, benefit.value)
    if rule is not None:
        assert rule in paid.rules + benefit_cell.rules
        assert rule in paid.tooltip + benefit_cell.tooltip


def test_the_window_runs_from_january_to_december_with_the_current_month_marked():
    timeline = timeline_build(facts=continuous_payer().facts(), as_of=AS_OF, years=3)

    assert timeline.years == (2023, 2024, 2025)
    assert len(timeline.months) == 36
    assert [h.month for h in timeline.months if h.current] == [m("2025-06")]
    row = timeline.rows[0]
    assert len(row.contribution) == len(row.benefit) == 36
    assert [c.iso for c in row.benefit if c.current] == ["2025-06"]
    # Months after the current one are marked as the future even when already paid for.
    assert timeline.cell("resident", "benefit", "2025-09").future
    assert not timeline.cell("resident", "benefit", "2025-06").future


def test_a_month_whose_state_changes_inside_shows_most_days_and_lists_every_part():
    with translation.override("en"):
        timeline = timeline_build(facts=gap_then_waiting().facts(), as_of=AS_OF, years=1)
    may = timeline.cell("employee_flexible", "benefit", "2025-05")

    # Paid on 10 May: 1-9 May paid without benefit, 10-31 May waiting (DATE-6).
    assert may.partial and may.state == Benefit.WAITING
    assert "paid, no benefit" in may.tooltip and "waiting period" in may.tooltip
    assert "benefits from" in may.tooltip and "EMP-6" in may.tooltip
    august = timeline.cell("employee_flexible", "benefit", "2025-08")
    assert august.state == Benefit.COVERED and not august.partial


def test_a_gap_longer_than_the_grace_months_says_it_interrupts_continuity():
    with translation.override("en"):
        long_gap = timeline_build(facts=gap_then_waiting().facts(), as_of=AS_OF, years=1, grace_months=3)
        short = timeline_build(facts=gap_then_waiting().facts(), as_of=AS_OF, years=1, grace_months=4)

    tooltip = long_gap.cell("employee_unit", "contribution", "2025-01").tooltip
    assert "Gap of 4 months" in tooltip and "continuity is interrupted" in tooltip
    assert "continuity is interrupted" not in short.cell("employee_unit", "contribution", "2025-01").tooltip


def test_an_open_gap_runs_to_the_current_month_and_later_months_are_future():
    story = Story().recorded_months("2024-01", "2025-02")
    with translation.override("en"):
        timeline = timeline_build(facts=story.facts(), as_of=AS_OF, years=2)
    assert timeline.cell("employee_unit", "contribution", "2025-03").state == Contribution.GAP
    assert (
        "Interrupted since March 2025: 3 whole months"
        in timeline.cell("employee_unit", "contribution", "2025-05").tooltip
    )
    assert timeline.cell("employee_unit", "contribution", "2025-06").state == Contribution.GAP
    assert timeline.cell("employee_unit", "contribution", "2025-07").state == Contribution.FUTURE


def test_military_service_is_a_row_of_its_own_without_a_benefit_strip():
    timeline = timeline_build(facts=veteran().facts(), as_of=AS_OF, years=3)

    assert [row.scheme for row in timeline.rows] == ["resident", "military"]
    military = timeline.rows[1]
    assert military.benefit is None
    assert timeline.cell("military", "contribution", "2024-01").state == Contribution.MILITARY
    assert timeline.cell("military", "contribution", "2025-08").state == Contribution.FUTURE


def test_a_person_without_any_period_gets_an_empty_resident_row_or_the_enrolled_schemes():
    timeline = timeline_build(facts=Story().facts(), as_of=AS_OF, years=1, schemes=["employee_flexible"])

    assert [row.scheme for row in timeline.rows] == ["employee_flexible"]
    empty = timeline_build(facts=Story().facts(), as_of=AS_OF, years=1)
    assert [row.scheme for row in empty.rows] == ["resident"]
    assert {c.state for c in empty.rows[0].contribution if not c.future} == {Contribution.NOT_ENROLLED}


def test_only_grants_of_the_window_are_read_for_ten_years_of_monthly_payments():
    story = Story()
    for year in range(2016, 2026):
        for month in range(1, 13):
            story.recorded_months(f"{year}-{month:02d}", f"{year}-{month:02d}")
    timeline = timeline_build(facts=story.facts(), as_of=AS_OF, years=3)

    assert timeline.years == (2023, 2024, 2025)
    assert timeline.cell("employee_unit", "contribution", "2023-01").state == Contribution.PAID
    assert timeline.cell("employee_unit", "benefit", "2025-06").state == Benefit.COVERED


def test_labels_and_tooltips_follow_the_active_language():
    with translation.override("en"):
        english = timeline_build(facts=late_resident().facts(), as_of=AS_OF, years=1)
    with translation.override("zh-hans"):
        chinese = timeline_build(facts=late_resident().facts(), as_of=AS_OF, years=1)

    assert english.cell("resident", "benefit", "2025-04").label == "waiting period"
    assert "RES-5 fixed waiting period" in english.cell("resident", "benefit", "2025-04").tooltip
    assert english.legend and {item.strip for item in english.legend} == {"contribution", "benefit"}
    assert chinese.cell("resident", "benefit", "2025-04").tooltip.startswith("2025")


def test_years_must_be_positive():
    with pytest.raises(ValueError):
        timeline_build(facts=Story().facts(), as_of=AS_OF, years=0)


def test_month_helpers_agree():
    assert first_day(m("2025-02")) == D(2025, 2, 1) and last_day(m("2025-02")) == D(2025, 2, 28)
