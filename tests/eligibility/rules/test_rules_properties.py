"""Hypothesis property tests of invariants of the rules engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.rules import (
    Category,
    EmployeeKind,
    EmployeePayment,
    EmployeeSpan,
    Event,
    EventKind,
    History,
    MilitarySpan,
    Person,
    Profile,
    ResidentPayment,
    ResidentYears,
    Result,
    Treatment,
    WarningCode,
    add_months,
    evaluate,
)
from eligibility.rules.dates import month_index
from eligibility.rules.resident import fixed_wait_in_months
from eligibility.rules.testing import default_book

YEAR = 2025
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def profiles() -> st.SearchStrategy[Profile]:
    names = st.sampled_from(["JX-2025", "GZ-2025"])
    basis = st.sampled_from(["EACH_BREAK_YEAR", "EACH_BREAK_YEAR_AFTER_FIRST"])
    mode = st.sampled_from(["YEAR_START", "NEXT_DAY", "PAYMENT_DATE"])
    allow = st.booleans()
    return st.builds(
        lambda name, b, m, a: default_book().get(
            name,
            {
                "resident.variable_wait_basis": b,
                "resident.in_period_after_year_start": m,
                "resident.allow_payment_without_current_year_benefit": a,
            },
        ),
        names,
        basis,
        mode,
        allow,
    )


def days(start: date, end: date) -> st.SearchStrategy[date]:
    return st.integers(0, (end - start).days).map(lambda n: start + timedelta(days=n))


paid_dates = days(date(2024, 9, 23), date(2025, 12, 31))
event_kinds = st.sampled_from(list(EventKind))


@st.composite
def histories(draw: st.DrawFn, *, carry: bool = True) -> History:
    entries: list[ResidentYears | EmployeeSpan | MilitarySpan] = []
    years = draw(st.lists(st.integers(2010, 2024), max_size=10, unique=True))
    if years:
        entries.append(ResidentYears(tuple(sorted(years))))
    if carry and draw(st.booleans()) and 2024 not in years:
        entries.append(ResidentYears((2024,), draw(days(date(2025, 1, 2), date(2025, 12, 31)))))
    if draw(st.booleans()):
        last = draw(st.integers(month_index(2022, 1), month_index(2025, 6)))
        entries.append(EmployeeSpan(EmployeeKind.UNIT, last - draw(st.integers(0, 60)), last))
    if draw(st.integers(0, 4)) == 0:
        last = draw(st.integers(month_index(2015, 1), month_index(2025, 3)))
        entries.append(MilitarySpan(last - draw(st.integers(0, 36)), last))
    return History(tuple(entries))


@st.composite
def people(draw: st.DrawFn, paid_on: date) -> Person:
    if draw(st.integers(0, 3)) == 0:
        birth = paid_on - timedelta(days=draw(st.integers(0, 800)))
    else:
        birth = date(draw(st.integers(1950, 2005)), draw(st.integers(1, 12)), draw(st.integers(1, 28)))
    events = tuple(
        Event(kind, paid_on - timedelta(days=offset))
        for kind, offset in draw(st.lists(st.tuples(event_kinds, st.integers(-30, 200)), max_size=2))
    )
    return Person(birth_date=birth, category=Category.ORDINARY, events=events)


@st.composite
def resident_cases(draw: st.DrawFn) -> tuple[ResidentPayment, Person, History, Profile]:
    paid_on = draw(paid_dates)
    action = ResidentPayment(year=YEAR, paid_on=paid_on, repair_years=draw(st.integers(0, 6)))
    return action, draw(people(paid_on)), draw(histories()), draw(profiles())


def run(action: ResidentPayment | EmployeePayment, person: Person, history: History, profile: Profile) -> Result:
    return evaluate(action, person=person, history=history, claims=None, profile=profile)


@SETTINGS
@given(resident_cases())
def test_evaluation_is_deterministic(case: tuple[ResidentPayment, Person, History, Profile]) -> None:
    first, second = run(*case), run(*case)
    assert first == second
    assert first.to_output_dict() == second.to_output_dict()


@SETTINGS
@given(resident_cases())
def test_intervals_are_whole_and_ordered(case: tuple[ResidentPayment, Person, History, Profile]) -> None:
    result = run(*case)
    for start, end in ((result.waiting_start, result.waiting_end), (result.retro_from, result.retro_to)):
        assert (start is None) == (end is None)
        if start is not None and end is not None:
            assert start <= end  # waiting never ends before it starts
    if result.waiting_end is not None and result.benefits_from is not None:
        assert result.waiting_end < result.benefits_from
    if result.accepted:
        assert result.benefits_from is not None and result.benefits_from >= date(YEAR, 1, 1)
        assert result.warnings == tuple(sorted(result.warnings))
    else:
        assert result.warnings == () and result.benefits_from is None


@SETTINGS
@given(resident_cases())
def test_benefits_before_payment_only_when_granted(case: tuple[ResidentPayment, Person, History, Profile]) -> None:
    action = case[0]
    result = run(*case)
    if not result.accepted or result.benefits_from is None or result.benefits_from >= action.paid_on:
        return
    in_period_rule = result.treatment is Treatment.ORDINARY and result.wait is None and not result.late
    carried = WarningCode.WAITING_CARRIED_OVER in result.warnings
    granted = result.retro_from is not None and result.retro_to == action.paid_on - timedelta(days=1)
    assert granted or in_period_rule or carried, result


@SETTINGS
@given(
    paid_on=paid_dates,
    last_year=st.integers(2012, 2024),
    length=st.integers(1, 6),
    repair=st.integers(0, 6),
    profile=profiles(),
)
def test_more_break_years_never_give_an_earlier_benefit_date(
    paid_on: date, last_year: int, length: int, repair: int, profile: Profile
) -> None:
    person = Person(date(1970, 1, 1), Category.ORDINARY)
    action = ResidentPayment(YEAR, paid_on, repair)
    fewer = run(action, person, History((ResidentYears(tuple(range(last_year - length, last_year + 1))),)), profile)
    more = run(action, person, History((ResidentYears(tuple(range(last_year - length, last_year))),)), profile)
    if fewer.accepted and more.accepted:
        assert more.break_years is not None and fewer.break_years is not None
        assert more.break_years == fewer.break_years + 1
        assert fewer.benefits_from is not None and more.benefits_from is not None
        assert more.benefits_from >= fewer.benefits_from
    if fewer.rejection_code is not None:
        assert not more.accepted  # WAIT_BEYOND_YEAR_END only gets more likely


@SETTINGS
@given(resident_cases())
def test_repair_never_goes_below_the_long_break_floor(case: tuple[ResidentPayment, Person, History, Profile]) -> None:
    _, _, _, profile = case
    result = run(*case)
    res = profile.need_resident()
    if not result.accepted or result.wait is None or result.break_years is None:
        return
    if result.break_years < res.long_break_threshold_years:
        return
    wait = result.wait
    full = fixed_wait_in_months(res) + wait.variable_months
    assert full - wait.repair_months >= min(full, res.long_break_min_total_wait_months)
    if WarningCode.WAITING_CARRIED_OVER not in result.warnings and result.waiting_start is not None:
        floor = min(res.long_break_min_total_wait_months, full)
        if res.fixed_wait_unit == "MONTHS":
            assert result.benefits_from is not None
            assert result.benefits_from >= add_months(result.waiting_start, floor)


@SETTINGS
@given(resident_cases(), event_kinds, st.integers(0, 120))
def test_an_exemption_never_makes_anyone_worse_off(
    case: tuple[ResidentPayment, Person, History, Profile], kind: EventKind, days_before: int
) -> None:
    action, person, history, profile = case
    without = run(action, replace(person, events=()), history, profile)
    exempt = replace(person, events=(Event(kind, action.paid_on - timedelta(days=days_before)),))
    with_event = run(action, exempt, history, profile)
    if without.accepted:
        assert with_event.accepted
        assert with_event.first_covered_day is not None and without.first_covered_day is not None
        assert with_event.first_covered_day <= without.first_covered_day


@st.composite
def employee_cases(draw: st.DrawFn) -> tuple[EmployeePayment, Person, History, Profile]:
    profile = default_book().get(draw(st.sampled_from(["NC-2025", "S2-FLEX-2025"])))
    paid_on = draw(days(date(2025, 1, 1), date(2025, 12, 31)))
    paid_month = month_index(paid_on.year, paid_on.month)
    cover_from = paid_month - draw(st.integers(0, 6))
    kind = draw(st.sampled_from(list(EmployeeKind)))
    action = EmployeePayment(kind, paid_on, cover_from, month_index(2025, 12))
    return action, Person(), draw(histories(carry=False)), profile


@SETTINGS
@given(employee_cases())
def test_employee_payment_invariants(case: tuple[EmployeePayment, Person, History, Profile]) -> None:
    action = case[0]
    result = run(*case)
    assert result == run(*case)
    if not result.accepted:
        return
    assert result.benefits_from is not None
    if result.waiting_start is not None and result.waiting_end is not None:
        assert result.waiting_start <= result.waiting_end < result.benefits_from
    if result.benefits_from < action.paid_on:
        assert result.retro_from is not None and result.retro_from <= result.benefits_from
    assert result.backpay_months is not None and result.backpay_months >= 0
    assert result.continuous_years is not None and result.continuous_years >= 1
