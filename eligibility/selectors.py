"""Load what the rules need about persons from the database, in a fixed number of queries.

`facts_for_persons` reads any number of persons with six queries (persons, events, ledger,
military service, claims, decisions) and turns the rows into the rules engine's frozen inputs.
The single-person services and the nightly chunks use the same function.

On PostgreSQL the rows are read with plain SQL: the person ids travel as one array parameter
(`= ANY(%s)`), and the ledger comes back already grouped per person, scheme and decision with its
months as an integer array, so a chunk of thousands of persons reads a few thousand rows instead
of tens of thousands of ORM rows. Other databases (the embedded SQLite of `make run`) use the ORM
and group the ledger in Python. Both give the same rows to `_assemble` (a test compares them).
"""

import datetime
import json
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import cache
from itertools import groupby

from django.db import connection

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
from eligibility.rules.dates import MONTHS_PER_YEAR, first_day, month_index, month_of
from eligibility.rules.facts import Interval, merge_intervals
from eligibility.rules.status import CoverageScheme, Grant
from enrollment.models import MilitaryService, PersonEvent, Region, Scheme
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
    coverage_key: Hashable | None = None
    """Equal for persons of one region whose ledger, military service and claims are the same and
    who have no recorded decision: their history, claims and grants are then equal too (the same
    objects), so a status computed from those alone can be computed once for all of them."""


def _runs(months: Iterable[int]) -> list[Interval]:
    """Consecutive runs of month integers (in any order, repeats allowed)."""
    ordered = sorted(set(months))
    if not ordered:
        return []
    runs: list[Interval] = []
    start = previous = ordered[0]
    for month in ordered:
        if month > previous + 1:
            runs.append((start, previous))
            start = month
        previous = month
    runs.append((start, previous))
    return runs


@dataclass(frozen=True)
class DecisionRow:
    """The columns of a benefit decision that make a grant (not its explanation texts)."""

    pk: int
    person_id: int
    scheme: str
    coverage_year: int | None
    cover_from: datetime.date | None
    paid_on: datetime.date
    benefits_from: datetime.date | None
    benefit_end: datetime.date | None
    waiting_start: datetime.date | None
    waiting_end: datetime.date | None
    retro_from: datetime.date | None
    retro_to: datetime.date | None
    gap_months: int | None
    break_years: int | None
    continuous_years: int | None
    continuity_reset: bool
    reasons: list[str]
    warnings: list[str]


DECISION_COLUMNS = [f.name for f in fields(DecisionRow)]
# A ledger group: person, scheme, counts for continuity, decision (or None), its months.
LedgerGroup = tuple[int, str, bool, int | None, list[int]]


@dataclass
class _Rows:
    persons: list[tuple[int, datetime.date, str, str]]
    events: list[tuple[int, str, datetime.date]]
    ledger: Iterable[LedgerGroup]
    military: list[tuple[int, datetime.date, datetime.date]]
    claims: list[tuple[int, int, Decimal, bool]]
    decisions: list[DecisionRow]


def facts_for_persons(person_ids: Iterable[int], *, use_orm: bool = False) -> dict[int, PersonFacts]:
    """The facts of the given persons (those that exist), by person id.

    `use_orm` forces the portable path on PostgreSQL too (the tests compare both).
    """
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    if connection.vendor == "postgresql" and not use_orm:
        return _assemble(_rows_postgresql(ids))
    return _assemble(_rows_orm(ids))


def _rows_orm(ids: list[int]) -> _Rows:
    ledger_rows = (
        LedgerEntry.objects.filter(person_id__in=ids, voided_at__isnull=True, period__isnull=False)
        .order_by("person_id", "scheme", "counts_for_continuity", "decision_id", "period")
        .values_list("person_id", "scheme", "counts_for_continuity", "decision_id", "period")
    )
    ledger: list[LedgerGroup] = []
    for key, rows in groupby(ledger_rows, key=lambda row: row[:4]):
        person_id, scheme, counts, decision_id = key
        ledger.append((person_id, scheme, counts, decision_id, [month_of(row[4]) for row in rows]))
    decisions = BenefitDecision.objects.filter(person_id__in=ids, voided_at__isnull=True).order_by("paid_on", "pk")
    return _Rows(
        persons=list(
            PersonRow.objects.filter(pk__in=ids).values_list("pk", "birth_date", "category", "household_region__code")
        ),
        events=list(PersonEvent.objects.filter(person_id__in=ids).values_list("person_id", "kind", "date")),
        ledger=ledger,
        military=list(
            MilitaryService.objects.filter(person_id__in=ids).values_list("person_id", "start_date", "end_date")
        ),
        claims=list(
            ClaimYear.objects.filter(person_id__in=ids).values_list("person_id", "year", "reimbursed", "ci_reward_used")
        ),
        decisions=[DecisionRow(*row) for row in decisions.values_list(*DECISION_COLUMNS)],
    )


DAY_ZERO = datetime.date(2000, 1, 1)
_MONTH_OF_DAY = {
    (datetime.date(year, month, 1) - DAY_ZERO).days: month_index(year, month)
    for year in range(1900, 2201)
    for month in range(1, 13)
}


def months_of_day_numbers(days: list[int]) -> list[int]:
    """The DATE-7 months of the dates `days` after DAY_ZERO (ledger periods are first days)."""
    try:
        return list(map(_MONTH_OF_DAY.__getitem__, days))
    except KeyError:  # a first day outside 1900-2200: compute those one by one
        return [month_of(DAY_ZERO + datetime.timedelta(days=day)) for day in days]


def bigint_array(ids: Iterable[int]) -> str:
    """PostgreSQL array text of integer ids, for `= ANY(%s::bigint[])`: psycopg's list adapter
    spends milliseconds on a few thousand ids, this a fraction of one."""
    return "{" + ",".join(str(int(value)) for value in ids) + "}"


def _rows_postgresql(ids: list[int]) -> _Rows:
    person, region, event = PersonRow._meta.db_table, Region._meta.db_table, PersonEvent._meta.db_table
    ledger, military = LedgerEntry._meta.db_table, MilitaryService._meta.db_table
    claim, decision = ClaimYear._meta.db_table, BenefitDecision._meta.db_table
    decision_columns = ", ".join("id" if name == "pk" else name for name in DECISION_COLUMNS)
    id_array = bigint_array(ids)
    with connection.cursor() as cursor:

        def rows(sql: str) -> list[tuple]:
            cursor.execute(sql, [id_array])
            return cursor.fetchall()

        return _Rows(
            persons=rows(
                f"SELECT p.id, p.birth_date, p.category, r.code FROM {person} p "
                f"LEFT JOIN {region} r ON r.id = p.household_region_id WHERE p.id = ANY(%s::bigint[])"
            ),
            events=rows(f"SELECT person_id, kind, date FROM {event} WHERE person_id = ANY(%s::bigint[])"),
            # Periods as day numbers (an integer subtraction; date_part costs a microsecond a
            # row), turned into DATE-7 months by `_assemble`.
            ledger=[
                (person_id, scheme, counts, decision_id, months_of_day_numbers(days))
                for person_id, scheme, counts, decision_id, days in rows(
                    "SELECT person_id, scheme, counts_for_continuity, decision_id, "
                    f"array_agg(period - DATE '{DAY_ZERO.isoformat()}') FROM {ledger} "
                    "WHERE person_id = ANY(%s::bigint[]) AND voided_at IS NULL AND period IS NOT NULL "
                    "GROUP BY person_id, scheme, counts_for_continuity, decision_id"
                )
            ],
            military=rows(
                f"SELECT person_id, start_date, end_date FROM {military} WHERE person_id = ANY(%s::bigint[])"
            ),
            claims=rows(
                f"SELECT person_id, year, reimbursed, ci_reward_used FROM {claim} WHERE person_id = ANY(%s::bigint[])"
            ),
            decisions=[
                DecisionRow(*row[:-2], reasons=json.loads(row[-2]), warnings=json.loads(row[-1]))
                for row in rows(
                    f"SELECT {decision_columns} FROM {decision} "
                    "WHERE person_id = ANY(%s::bigint[]) AND voided_at IS NULL ORDER BY paid_on, id"
                )
            ],
        )


def _assemble(rows: _Rows) -> dict[int, PersonFacts]:
    events: dict[int, list[Event]] = defaultdict(list)
    for person_id, kind, date in rows.events:
        events[person_id].append(Event(kind=EventKind(kind), date=date))
    ledger: dict[int, list[tuple[str, bool, int | None, tuple[int, ...]]]] = defaultdict(list)
    for person_id, scheme, counts, decision_id, months in rows.ledger:
        ledger[person_id].append((scheme, counts, decision_id, tuple(sorted(months))))
    military: dict[int, list[Interval]] = defaultdict(list)
    for person_id, start, end in rows.military:
        military[person_id].append((month_of(start), month_of(end)))
    zero_years: dict[int, set[int]] = defaultdict(set)
    reward_years: dict[int, set[int]] = defaultdict(set)
    for person_id, year, reimbursed, reward_used in rows.claims:
        if reimbursed == ZERO:
            zero_years[person_id].add(year)
        if reward_used:
            reward_years[person_id].add(year)
    decisions: dict[int, list[DecisionRow]] = defaultdict(list)
    for decision in rows.decisions:
        decisions[decision.person_id].append(decision)

    # Many persons share a history (a resident who paid every year since 2010): build it once.
    shared: dict[Hashable, tuple[History, Claims, tuple[Grant, ...]]] = {}
    facts: dict[int, PersonFacts] = {}
    for person_id, birth_date, category, region_code in rows.persons:
        groups = sorted(ledger.get(person_id, ()), key=lambda group: (group[0], group[1], group[2] or 0))
        person_decisions = decisions.get(person_id, [])
        spans = tuple(sorted(military.get(person_id, ())))
        zero, rewards = frozenset(zero_years.get(person_id, ())), frozenset(reward_years.get(person_id, ()))
        key: Hashable | None = None
        if not person_decisions:
            key = (
                region_code,
                tuple((scheme, counts, decision_id is None, months) for scheme, counts, decision_id, months in groups),
                spans,
                zero,
                rewards,
            )
        coverage = shared.get(key) if key is not None else None
        if coverage is None:
            coverage = _coverage(groups, spans, zero, rewards, person_decisions)
            if key is not None:
                shared[key] = coverage
        history, claims, grants = coverage
        facts[person_id] = PersonFacts(
            person_id=person_id,
            region_code=region_code,
            person=Person(
                birth_date=birth_date,
                category=Category(category),
                events=tuple(sorted(events.get(person_id, []), key=lambda e: e.date)),
            ),
            history=history,
            claims=claims,
            grants=grants,
            coverage_key=key,
        )
    return facts


def _coverage(
    groups: list[tuple[str, bool, int | None, tuple[int, ...]]],
    military: tuple[Interval, ...],
    zero_years: frozenset[int],
    reward_years: frozenset[int],
    decisions: list[DecisionRow],
) -> tuple[History, Claims, tuple[Grant, ...]]:
    """One person's history, claims and grants from their ledger groups, service and decisions."""
    resident_years: set[int] = set()
    employee_months: dict[str, list[int]] = defaultdict(list)
    decision_months: dict[int, list[int]] = defaultdict(list)
    # Periods recorded without a decision (history taken over from the previous system, or
    # entered by a clerk) are covered with benefits over the period itself: nothing else is known.
    undecided_years: set[int] = set()
    undecided_months: dict[str, list[int]] = defaultdict(list)
    for scheme, counts, decision_id, months in groups:
        resident = scheme == Scheme.RESIDENT
        if decision_id is not None:
            decision_months[decision_id] += months
        elif counts and resident:
            undecided_years.update(month // MONTHS_PER_YEAR for month in months)
        elif counts:
            undecided_months[scheme] += months
        if not counts:
            continue  # back-paid after a long gap: cumulative years only (RULES.md section 2)
        if resident:
            resident_years.update(month // MONTHS_PER_YEAR for month in months)
        else:
            employee_months[scheme] += months

    grants: list[Grant] = []
    resets: list[int] = []
    resident_benefits_from: dict[int, datetime.date] = {}
    for decision in decisions:
        grants.append(_grant(decision, decision_months.get(decision.pk, [])))
        if decision.continuity_reset:
            resets.append(_resumption_month(decision))
        year, benefits_from = decision.coverage_year, decision.benefits_from
        # RES-8a reads a year's benefit start only when it is later than 1 January.
        if decision.scheme == Scheme.RESIDENT and year and benefits_from and benefits_from > datetime.date(year, 1, 1):
            resident_benefits_from[year] = benefits_from
    grants += [_recorded_year(year) for year in sorted(undecided_years)]
    for scheme, months in undecided_months.items():
        grants += [_recorded_months(scheme, run) for run in _runs(months)]

    entries: list[ResidentYears | EmployeeSpan | MilitarySpan] = []
    years = sorted(resident_years)
    plain_years = tuple(y for y in years if y not in resident_benefits_from)
    if plain_years:
        entries.append(ResidentYears(years=plain_years))
    entries += [
        ResidentYears(years=(y,), benefits_from=resident_benefits_from[y]) for y in years if y in resident_benefits_from
    ]
    for scheme, kind in EMPLOYEE_KIND_OF_SCHEME.items():
        entries += [
            EmployeeSpan(kind=kind, first=first, last=last) for first, last in _runs(employee_months.get(scheme, []))
        ]
    entries += [MilitarySpan(first=first, last=last) for first, last in military]
    history = History(entries=tuple(entries), continuity_resets=tuple(resets))
    claims = Claims(zero_reimbursement_years=zero_years, ci_reward_used_years=reward_years)
    return history, claims, tuple(grants)


@cache
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


@cache
def _recorded_months(scheme: str, run: Interval) -> Grant:
    return Grant(
        scheme=CoverageScheme.EMPLOYEE,
        scheme_detail=scheme,
        paid_on=first_day(run[0]),
        months=(run,),
        benefits_from=first_day(run[0]),
        reasons=("RECORDED",),
    )


def _resumption_month(decision: DecisionRow) -> int:
    """4.1: the first month the decision's payment made covered."""
    if decision.coverage_year is not None:
        return max(month_of(decision.paid_on), month_index(decision.coverage_year, 1))
    assert decision.cover_from is not None
    return max(month_of(decision.paid_on), month_of(decision.cover_from))


def _grant(decision: DecisionRow, months: list[int]) -> Grant:
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
