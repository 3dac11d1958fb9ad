"""Derived quantities of RULES.md section 4: R, L, gap, S_h, CM, break years B, continuous years n."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from .dates import first_month_of_year, year_of_month
from .facts import CoverageIndex, Interval, contains, latest_before


class Continuity(NamedTuple):
    """4.3: the history's continuity start ``S_h`` and ``CM`` measured to ``R``."""

    start: int | None
    """S_h, or None when no covered month lies before R."""
    covered_months: int
    """CM."""


class Interruption(NamedTuple):
    """4.1 and 4.2: resumption month R, last covered month L, gap."""

    resumption: int
    last_covered: int | None
    gap: int | None
    last_is_resident: bool
    last_is_employee: bool
    """L is an employee month (unit or flexible)."""
    last_is_work: bool
    """L is an employee or military month."""

    @property
    def cross_scheme_for_resident(self) -> bool:
        """4.2: for a resident payment, L is not a resident month."""
        return self.last_covered is not None and not self.last_is_resident

    @property
    def switching_into_employee(self) -> bool:
        """4.2: for an employee payment, L is a resident month and not an employee or military month."""
        return self.last_covered is not None and self.last_is_resident and not self.last_is_work


def interruption(index: CoverageIndex, resumption: int) -> Interruption:
    """4.2: L = the latest history month before R (any scheme); ``gap = R - L - 1``."""
    last = latest_before(index.covered, resumption)
    if last is None:
        return Interruption(resumption, None, None, False, False, False)
    return Interruption(
        resumption,
        last,
        resumption - last - 1,
        year_of_month(last) in index.resident_years,
        contains(index.employee, last),
        contains(index.work, last),
    )


def continuity_before(
    intervals: tuple[Interval, ...], resumption: int, grace: int, floor: int | None = None
) -> Continuity:
    """4.3: S_h = first covered month after the last run of more than ``grace`` uncovered months
    (among the covered months before R); CM = covered months from S_h to R - 1.

    ``floor`` is a stored continuity reset (``History.reset_floor``): no month before it counts.
    """
    start: int | None = None
    covered = 0
    previous_start: int | None = None
    for first, last in reversed(intervals):
        if first >= resumption:
            continue
        last = min(last, resumption - 1)
        if floor is not None:
            if last < floor:
                break
            first = max(first, floor)
        if previous_start is not None and previous_start - last - 1 > grace:
            break
        covered += last - first + 1
        start = first
        previous_start = first
    return Continuity(start, covered)


def break_years(
    covered_years: Collection[int],
    year: int,
    count_from: int | None,
    first_time_has_breaks: bool,
    birth_year: int | None,
) -> int:
    """4.4: the unbroken run of years without any covered month counted back from Y - 1.

    Stops at the first covered year and at ``count_from`` when set. A first-time enrolee (no
    covered month before Y) has none unless ``first_time_has_breaks``; then the run goes back to
    ``count_from`` and not before the year of birth.
    """
    first_time = not covered_years or min(covered_years) >= year
    if first_time:
        if not first_time_has_breaks or count_from is None:
            return 0
        floor = count_from if birth_year is None else max(count_from, birth_year)
        return max(0, year - floor)
    count = 0
    y = year - 1
    while y not in covered_years and (count_from is None or y >= count_from):
        count += 1
        y -= 1
    return count


def consecutive_years(participation: Collection[int], end_year: int, start_year: int) -> int:
    """4.6: consecutive participation years ending at ``end_year``, not earlier than ``start_year``."""
    count = 0
    y = end_year
    while y >= start_year and y in participation:
        count += 1
        y -= 1
    return count


def continuity_start_year(disqualifying: bool, resumption: int, history_start: int | None) -> int:
    """4.6: the year of the continuity start (R when disqualifying or without history, else S_h)."""
    if disqualifying or history_start is None:
        return year_of_month(resumption)
    return year_of_month(history_start)


def resident_resumption(year: int, paid_month: int) -> int:
    """4.1: ``R = max(month(paid_on), Y-01)`` for a resident payment."""
    return max(paid_month, first_month_of_year(year))
