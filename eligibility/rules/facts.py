"""Frozen input facts (RULES.md section 2): person, coverage history, claims, actions.

Months are DATE-7 integers (see ``dates.month_index``). Each ``History`` builds, once, a
``CoverageIndex`` of merged month intervals so that section 4 quantities are cheap to compute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from .codes import ActionKind, Category, EmployeeKind, EventKind, Frequency
from .dates import first_month_of_year, last_month_of_year, year_of_month
from .errors import MalformedInput

Interval = tuple[int, int]
"""An inclusive range of month integers."""


@dataclass(frozen=True, slots=True)
class Event:
    """A special-group fact (section 6), dated by ``date``."""

    kind: EventKind
    date: date


@dataclass(frozen=True, slots=True)
class Person:
    """The insured person (参保人)."""

    birth_date: date | None = None
    category: Category | None = None
    events: tuple[Event, ...] = ()

    def events_on_or_before(self, on: date) -> tuple[Event, ...]:
        """Section 2: an event dated after the payment date does not count for that payment."""
        return tuple(e for e in self.events if e.date <= on)


@dataclass(frozen=True, slots=True)
class ResidentYears:
    """A resident history entry: each year is 12 coverage months.

    ``benefits_from`` (only with exactly one year) is the first benefit day recorded for that
    year's payment, read only by the RES-8a carry-over.
    """

    years: tuple[int, ...]
    benefits_from: date | None = None

    def __post_init__(self) -> None:
        if not self.years:
            raise MalformedInput("years", "a resident entry needs at least one year")
        if self.benefits_from is not None and len(self.years) != 1:
            raise MalformedInput("benefits_from", "only allowed on an entry listing exactly one year")


@dataclass(frozen=True, slots=True)
class EmployeeSpan:
    """An employee history entry (unit or flexible), inclusive month range."""

    kind: EmployeeKind
    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise MalformedInput("from", "'from' is after 'to'")


@dataclass(frozen=True, slots=True)
class MilitarySpan:
    """Military service, inclusive month range; counts as covered months everywhere."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise MalformedInput("from", "'from' is after 'to'")


HistoryEntry = ResidentYears | EmployeeSpan | MilitarySpan


def merge_intervals(intervals: list[Interval]) -> tuple[Interval, ...]:
    """Sort and merge overlapping or adjacent month intervals."""
    if not intervals:
        return ()
    ordered = sorted(intervals)
    merged: list[list[int]] = [list(ordered[0])]
    for start, end in ordered[1:]:
        last = merged[-1]
        if start <= last[1] + 1:
            if end > last[1]:
                last[1] = end
        else:
            merged.append([start, end])
    return tuple((a, b) for a, b in merged)


def latest_before(intervals: tuple[Interval, ...], month: int) -> int | None:
    """The latest month of ``intervals`` strictly before ``month``, or None."""
    for start, end in reversed(intervals):
        if start < month:
            return end if end < month else month - 1
    return None


def contains(intervals: tuple[Interval, ...], month: int) -> bool:
    """True when ``month`` lies in one of ``intervals``."""
    for start, end in intervals:
        if start <= month <= end:
            return True
        if start > month:
            return False
    return False


def intersects(intervals: tuple[Interval, ...], first: int, last: int) -> bool:
    """True when any month of ``[first, last]`` lies in ``intervals``."""
    return any(start <= last and end >= first for start, end in intervals)


def years_of(intervals: tuple[Interval, ...]) -> frozenset[int]:
    """The calendar years that have at least one month in ``intervals``."""
    years: set[int] = set()
    for start, end in intervals:
        years.update(range(year_of_month(start), year_of_month(end) + 1))
    return frozenset(years)


class CoverageIndex(NamedTuple):
    """Merged month intervals of a history, by scheme."""

    covered: tuple[Interval, ...]
    resident: tuple[Interval, ...]
    employee: tuple[Interval, ...]
    work: tuple[Interval, ...]
    """Employee or military months."""
    resident_years: frozenset[int]
    covered_years: frozenset[int]
    resident_benefits_from: dict[int, date]

    @classmethod
    def build(cls, entries: tuple[HistoryEntry, ...]) -> CoverageIndex:
        """Index the entries of a history."""
        resident_years: set[int] = set()
        employee: list[Interval] = []
        military: list[Interval] = []
        benefits_from: dict[int, date] = {}
        for entry in entries:
            if isinstance(entry, ResidentYears):
                resident_years.update(entry.years)
                if entry.benefits_from is not None:
                    year = entry.years[0]
                    previous = benefits_from.get(year)
                    if previous is None or entry.benefits_from > previous:
                        benefits_from[year] = entry.benefits_from
            elif isinstance(entry, EmployeeSpan):
                employee.append((entry.first, entry.last))
            else:
                military.append((entry.first, entry.last))
        resident = merge_intervals([(first_month_of_year(y), last_month_of_year(y)) for y in resident_years])
        employee_merged = merge_intervals(employee)
        work = merge_intervals(employee + military)
        covered = merge_intervals(list(resident) + list(work))
        return cls(
            covered=covered,
            resident=resident,
            employee=employee_merged,
            work=work,
            resident_years=frozenset(resident_years),
            covered_years=years_of(covered),
            resident_benefits_from=benefits_from,
        )


@dataclass(frozen=True, slots=True)
class History:
    """What counted before the action (section 2). Overlapping entries are allowed."""

    entries: tuple[HistoryEntry, ...] = ()
    continuity_resets: tuple[int, ...] = ()
    """Resumption months of recorded actions that reset continuity (section 2, limitation [D]).

    A resident year is 12 coverage months, so an interruption found inside it (S27) is invisible
    to later evaluations; the product stores the reset and passes it here. Continuity never
    reaches back before the latest reset.
    """
    index: CoverageIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", CoverageIndex.build(self.entries))

    def reset_floor(self, resumption: int) -> int | None:
        """The latest stored continuity reset at or before ``resumption``, or None."""
        earlier = [month for month in self.continuity_resets if month <= resumption]
        return max(earlier) if earlier else None


@dataclass(frozen=True, slots=True)
class Claims:
    """Claim facts used only by the critical-illness incentives (section 9)."""

    zero_reimbursement_years: frozenset[int] = frozenset()
    ci_reward_used_years: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class ResidentPayment:
    """11.1: the person pays the resident premium for ``year`` on ``paid_on``."""

    year: int
    paid_on: date
    repair_years: int = 0
    kind: ActionKind = field(default=ActionKind.RESIDENT_PAYMENT, init=False)

    def __post_init__(self) -> None:
        if self.repair_years < 0:
            raise MalformedInput("repair_years", f"negative number {self.repair_years}")


@dataclass(frozen=True, slots=True)
class EmployeePayment:
    """11.2: a payment for employee months ``[cover_from, cover_to]`` made on ``paid_on``."""

    employee_kind: EmployeeKind
    paid_on: date
    cover_from: int
    cover_to: int
    frequency: Frequency = Frequency.ANNUAL
    kind: ActionKind = field(default=ActionKind.EMPLOYEE_PAYMENT, init=False)

    def __post_init__(self) -> None:
        if self.cover_from > self.cover_to:
            raise MalformedInput("cover_from", "cover_from is after cover_to")


@dataclass(frozen=True, slots=True)
class FlexibleEnrollment:
    """11.3: the person applies on ``on`` to enrol as a flexible worker for ``year``."""

    year: int
    on: date
    kind: ActionKind = field(default=ActionKind.FLEXIBLE_ENROLLMENT, init=False)


@dataclass(frozen=True, slots=True)
class CiCapRequest:
    """11.4: the critical-illness maximum payment for ``year``."""

    year: int
    kind: ActionKind = field(default=ActionKind.CI_CAP, init=False)


Action = ResidentPayment | EmployeePayment | FlexibleEnrollment | CiCapRequest
