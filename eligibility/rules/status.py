"""A person's status on a day, from the decisions already taken (CLM-1, SW-4, section 4.2).

Each accepted payment was evaluated when it was recorded; its result (a ``Grant``) says from when
the fund pays, until when, the waiting period and any retroactive window. The status on day D
reads those grants and the covered months only: it evaluates no rule again, so the nightly job
can compute it for millions of persons. ``next_change_on`` is the first later day on which the
status may change by itself (a waiting period ends, a benefit period ends, a gap passes the grace
months, a new year begins).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from .dates import add_days, first_day, last_day, month_of, year_start
from .facts import Interval

RULES_VERSION = "1"
"""The version of RULES.md this engine implements; stored with every decision and snapshot."""


class CoverageScheme(StrEnum):
    RESIDENT = "resident"
    EMPLOYEE = "employee"


class State(StrEnum):
    COVERED = "covered"
    WAITING = "waiting"
    INTERRUPTED = "interrupted"
    NOT_ENROLLED = "not_enrolled"


@dataclass(frozen=True, slots=True)
class Grant:
    """One accepted, recorded decision and the months its payment covers."""

    scheme: CoverageScheme
    scheme_detail: str
    """The stored scheme name (resident, employee_unit, employee_flexible)."""
    paid_on: date
    months: tuple[Interval, ...]
    benefits_from: date | None
    benefit_end: date | None = None
    waiting_start: date | None = None
    waiting_end: date | None = None
    retro_from: date | None = None
    retro_to: date | None = None
    gap_months: int | None = None
    break_years: int | None = None
    continuous_years: int | None = None
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def last_benefit_day(self) -> date | None:
        """Resident: the year's end; employee: the last day of the last month paid."""
        if self.benefit_end is not None:
            return self.benefit_end
        if not self.months:
            return None
        return last_day(self.months[-1][1])

    def pays_on(self, day: date) -> bool:
        """CLM-1: inside the benefit period, or inside the approved retroactive window."""
        end = self.last_benefit_day
        in_period = self.benefits_from is not None and end is not None and self.benefits_from <= day <= end
        in_retro = self.retro_from is not None and self.retro_to is not None and self.retro_from <= day <= self.retro_to
        return in_period or in_retro

    def waits_on(self, day: date) -> bool:
        return (
            self.waiting_start is not None
            and self.waiting_end is not None
            and (self.waiting_start <= day <= self.waiting_end)
        )


@dataclass(frozen=True, slots=True)
class Status:
    as_of: date
    state: State
    scheme: str | None
    grant: Grant | None
    gap_months: int | None
    next_change_on: date | None
    reasons: tuple[str, ...]


def _latest_covered_month(covered: tuple[Interval, ...], month: int) -> int | None:
    latest: int | None = None
    for start, end in covered:
        if start > month:
            break
        latest = min(end, month)
    return latest


def status_on(
    day: date,
    *,
    grants: tuple[Grant, ...],
    covered: tuple[Interval, ...],
    grace_months: int,
) -> Status:
    """The status on ``day``. ``covered`` holds every covered month (any scheme, military included).

    SW-4: when two schemes pay on the same day, employee insurance takes precedence.
    """
    paying = [g for g in grants if g.pays_on(day)]
    boundaries = _boundaries(day, grants)
    if paying:
        chosen = max(paying, key=lambda g: (g.scheme == CoverageScheme.EMPLOYEE, g.paid_on))
        return Status(
            as_of=day,
            state=State.COVERED,
            scheme=chosen.scheme_detail,
            grant=chosen,
            gap_months=chosen.gap_months,
            next_change_on=_next(day, boundaries),
            reasons=(*chosen.reasons, "CLM-1"),
        )
    waiting = [g for g in grants if g.waits_on(day)]
    if waiting:
        chosen = max(waiting, key=lambda g: g.paid_on)
        return Status(
            as_of=day,
            state=State.WAITING,
            scheme=chosen.scheme_detail,
            grant=chosen,
            gap_months=chosen.gap_months,
            next_change_on=_next(day, boundaries),
            reasons=chosen.reasons,
        )
    month = month_of(day)
    latest = _latest_covered_month(covered, month)
    upcoming = min(
        (g for g in grants if g.benefits_from is not None and g.benefits_from > day),
        key=lambda g: g.benefits_from or day,
        default=None,
    )
    if latest is None:
        return Status(
            as_of=day,
            state=State.NOT_ENROLLED,
            scheme=None if upcoming is None else upcoming.scheme_detail,
            grant=upcoming,
            gap_months=None,
            next_change_on=_next(day, boundaries),
            reasons=(),
        )
    gap = max(0, month - latest - 1)
    # The day a payment would first meet a gap longer than the grace months (4.2, 4.5).
    boundaries.add(first_day(latest + grace_months + 2))
    previous = max((g for g in grants if g.paid_on <= day), key=lambda g: g.paid_on, default=None)
    return Status(
        as_of=day,
        state=State.INTERRUPTED,
        scheme=None if previous is None else previous.scheme_detail,
        grant=upcoming or previous,
        gap_months=gap,
        next_change_on=_next(day, boundaries),
        reasons=("4.2",),
    )


def _boundaries(day: date, grants: tuple[Grant, ...]) -> set[date]:
    found = {year_start(day.year + 1)}
    for grant in grants:
        end = grant.last_benefit_day
        for boundary in (
            grant.benefits_from,
            grant.waiting_start,
            None if grant.waiting_end is None else add_days(grant.waiting_end, 1),
            None if end is None else end + timedelta(days=1),
        ):
            if boundary is not None:
                found.add(boundary)
    return found


def _next(day: date, boundaries: set[date]) -> date | None:
    later = [b for b in boundaries if b > day]
    return min(later) if later else None
