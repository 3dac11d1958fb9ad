"""Load what the rules need about persons from the database, in a fixed number of queries.

`facts_for_persons` reads any number of persons with six queries (persons, events, ledger,
military service, claims, decisions) and turns the rows into the rules engine's frozen inputs.
The single-person services and the nightly chunks use the same function.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from eligibility.models import BenefitDecision, ClaimYear
from eligibility.rules import (
    Category,
    Claims,
    EmployeeKind,
    EmployeeSpan,
    Event,
    EventKind,
    History,
    MilitarySpan,
    Person,
    ResidentYears,
)
from eligibility.rules.dates import first_day, month_index, month_of
from eligibility.rules.facts import Interval, merge_intervals
from eligibility.rules.status import CoverageScheme, Grant
from enrollment.models import MilitaryService, PersonEvent, Scheme
from enrollment.models import Person as PersonRow
from payments.models import LedgerEntry

EMPLOYEE_KIND_OF_SCHEME = {Scheme.EMPLOYEE_UNIT: EmployeeKind.UNIT, Scheme.EMPLOYEE_FLEXIBLE: EmployeeKind.FLEXIBLE}
ZERO = 0


@dataclass(frozen=True)
class PersonFacts:
    person_id: int
    region_code: str
    person: Person
    history: History
    claims: Claims
    grants: tuple[Grant, ...]


def _runs(months: list[int]) -> list[Interval]:
    """Consecutive runs of sorted month integers."""
    runs: list[Interval] = []
    for month in sorted(set(months)):
        if runs and month == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def facts_for_persons(person_ids: Iterable[int]) -> dict[int, PersonFacts]:
    ids = list(person_ids)
    persons = PersonRow.objects.filter(pk__in=ids).values_list("pk", "birth_date", "category", "household_region__code")
    events: dict[int, list[Event]] = defaultdict(list)
    for person_id, kind, date in PersonEvent.objects.filter(person_id__in=ids).values_list("person_id", "kind", "date"):
        events[person_id].append(Event(kind=EventKind(kind), date=date))

    ledger = LedgerEntry.objects.filter(person_id__in=ids, voided_at__isnull=True, period__isnull=False).values_list(
        "person_id", "scheme", "period", "counts_for_continuity", "decision_id"
    )
    resident_years: dict[int, set[int]] = defaultdict(set)
    employee_months: dict[tuple[int, str], list[int]] = defaultdict(list)
    decision_months: dict[int, list[int]] = defaultdict(list)
    # Periods recorded without a decision (history taken over from the previous system, or
    # entered by a clerk) are covered with benefits over the period itself: nothing else is known.
    undecided_years: dict[int, list[int]] = defaultdict(list)
    undecided_months: dict[tuple[int, str], list[int]] = defaultdict(list)
    for person_id, scheme, period, counts, decision_id in ledger:
        month = month_of(period)
        if decision_id is not None:
            decision_months[decision_id].append(month)
        elif counts and scheme == Scheme.RESIDENT:
            undecided_years[person_id].append(period.year)
        elif counts:
            undecided_months[(person_id, scheme)].append(month)
        if not counts:
            continue  # back-paid after a long gap: cumulative years only (RULES.md section 2)
        if scheme == Scheme.RESIDENT:
            resident_years[person_id].add(period.year)
        else:
            employee_months[(person_id, scheme)].append(month)

    military: dict[int, list[MilitarySpan]] = defaultdict(list)
    for person_id, start, end in MilitaryService.objects.filter(person_id__in=ids).values_list(
        "person_id", "start_date", "end_date"
    ):
        military[person_id].append(MilitarySpan(first=month_of(start), last=month_of(end)))

    zero_years: dict[int, set[int]] = defaultdict(set)
    reward_years: dict[int, set[int]] = defaultdict(set)
    for person_id, year, reimbursed, reward_used in ClaimYear.objects.filter(person_id__in=ids).values_list(
        "person_id", "year", "reimbursed", "ci_reward_used"
    ):
        if reimbursed == ZERO:
            zero_years[person_id].add(year)
        if reward_used:
            reward_years[person_id].add(year)

    grants: dict[int, list[Grant]] = defaultdict(list)
    resets: dict[int, list[int]] = defaultdict(list)
    resident_benefits_from: dict[tuple[int, int], datetime.date] = {}
    for decision in BenefitDecision.objects.filter(person_id__in=ids, voided_at__isnull=True).order_by("paid_on", "pk"):
        grants[decision.person_id].append(_grant(decision, decision_months.get(decision.pk, [])))
        if decision.continuity_reset:
            resets[decision.person_id].append(_resumption_month(decision))
        year, benefits_from = decision.coverage_year, decision.benefits_from
        # RES-8a reads a year's benefit start only when it is later than 1 January.
        if decision.scheme == Scheme.RESIDENT and year and benefits_from and benefits_from > datetime.date(year, 1, 1):
            resident_benefits_from[(decision.person_id, year)] = benefits_from

    for person_id, years in undecided_years.items():
        grants[person_id] += [_recorded_year(year) for year in years]
    for (person_id, scheme), months in undecided_months.items():
        grants[person_id] += [_recorded_months(scheme, run) for run in _runs(months)]

    facts: dict[int, PersonFacts] = {}
    for person_id, birth_date, category, region_code in persons:
        entries: list[ResidentYears | EmployeeSpan | MilitarySpan] = []
        years = sorted(resident_years.get(person_id, ()))
        plain_years = tuple(y for y in years if (person_id, y) not in resident_benefits_from)
        if plain_years:
            entries.append(ResidentYears(years=plain_years))
        entries += [
            ResidentYears(years=(y,), benefits_from=resident_benefits_from[(person_id, y)])
            for y in years
            if (person_id, y) in resident_benefits_from
        ]
        for scheme, kind in EMPLOYEE_KIND_OF_SCHEME.items():
            entries += [
                EmployeeSpan(kind=kind, first=first, last=last)
                for first, last in _runs(employee_months.get((person_id, scheme), []))
            ]
        entries += military.get(person_id, [])
        facts[person_id] = PersonFacts(
            person_id=person_id,
            region_code=region_code,
            person=Person(
                birth_date=birth_date,
                category=Category(category),
                events=tuple(sorted(events.get(person_id, []), key=lambda e: e.date)),
            ),
            history=History(entries=tuple(entries), continuity_resets=tuple(resets.get(person_id, ()))),
            claims=Claims(
                zero_reimbursement_years=frozenset(zero_years.get(person_id, ())),
                ci_reward_used_years=frozenset(reward_years.get(person_id, ())),
            ),
            grants=tuple(grants.get(person_id, [])),
        )
    return facts


def _recorded_year(year: int) -> Grant:
    return Grant(
        scheme=CoverageScheme.RESIDENT,
        scheme_detail=Scheme.RESIDENT,
        paid_on=datetime.date(year - 1, 12, 31),
        months=((month_index(year, 1), month_index(year, 12)),),
        benefits_from=datetime.date(year, 1, 1),
        benefit_end=datetime.date(year, 12, 31),
        reasons=("RECORDED",),
    )


def _recorded_months(scheme: str, run: Interval) -> Grant:
    return Grant(
        scheme=CoverageScheme.EMPLOYEE,
        scheme_detail=scheme,
        paid_on=first_day(run[0]),
        months=(run,),
        benefits_from=first_day(run[0]),
        reasons=("RECORDED",),
    )


def _resumption_month(decision: BenefitDecision) -> int:
    """4.1: the first month the decision's payment made covered."""
    if decision.coverage_year is not None:
        return max(month_of(decision.paid_on), month_index(decision.coverage_year, 1))
    assert decision.cover_from is not None
    return max(month_of(decision.paid_on), month_of(decision.cover_from))


def _grant(decision: BenefitDecision, months: list[int]) -> Grant:
    return Grant(
        scheme=CoverageScheme.RESIDENT if decision.scheme == Scheme.RESIDENT else CoverageScheme.EMPLOYEE,
        scheme_detail=decision.scheme,
        paid_on=decision.paid_on,
        months=tuple(merge_intervals(_runs(months))),
        benefits_from=decision.benefits_from,
        benefit_end=decision.benefit_end,
        waiting_start=decision.waiting_start,
        waiting_end=decision.waiting_end,
        retro_from=decision.retro_from,
        retro_to=decision.retro_to,
        gap_months=decision.gap_months,
        break_years=decision.break_years,
        continuous_years=decision.continuous_years,
        reasons=tuple(decision.reasons),
        warnings=tuple(decision.warnings),
    )


def person_facts(*, person_id: int) -> PersonFacts:
    return facts_for_persons([person_id])[person_id]
