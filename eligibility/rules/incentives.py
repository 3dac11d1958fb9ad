"""Critical-illness incentives (RULES.md section 9, INC-1 to INC-5, and 11.4)."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from .codes import ActionKind, RejectionCode, Treatment
from .coverage import consecutive_years, continuity_before
from .dates import first_month_of_year, year_of_month
from .errors import MalformedInput
from .facts import CiCapRequest, Claims, History, Interval
from .profile import CiParams, Profile
from .result import Result, rejected

INCENTIVE_FIRST_COUNTED_YEAR = 2025
"""INC-1: the year named by ``ci.count_years_before_2025`` (part of the parameter's definition)."""


class CountedRun(NamedTuple):
    """INC-1: the run of consecutive participation years ending at Y and its counted years."""

    run: tuple[int, ...]
    participation: frozenset[int]
    """Participation years of INC-1's months (years after Y are never looked at)."""
    counted_years: int
    months_before_start: bool
    """INC-1's months include months before the run's continuity start."""


def is_counted(ci: CiParams, year: int) -> bool:
    """INC-1: years before 2025 count only with ``ci.count_years_before_2025``."""
    return ci.count_years_before_2025 or year >= INCENTIVE_FIRST_COUNTED_YEAR


def counted_run(
    ci: CiParams,
    intervals: tuple[Interval, ...],
    covered_years: frozenset[int],
    year: int,
    grace: int,
    floor: int | None = None,
) -> CountedRun:
    """INC-1: covered months up to Y-12, continuity start as in 4.3 (and after any stored reset
    ``floor``), the run ending at Y."""
    end = first_month_of_year(year + 1)
    continuity = continuity_before(intervals, end, grace, floor)
    start = continuity.start if continuity.start is not None else end
    length = consecutive_years(covered_years, year, year_of_month(start))
    run = tuple(range(year - length + 1, year + 1))
    return CountedRun(
        run=run,
        participation=covered_years,
        counted_years=sum(1 for y in run if is_counted(ci, y)),
        months_before_start=bool(intervals) and intervals[0][0] < start,
    )


def continuity_increment(ci: CiParams, counted_years: int) -> Decimal:
    """INC-2: ``C = ci.continuity_increment * max(0, n_ci - ci.threshold_years)``."""
    return ci.continuity_increment * max(0, counted_years - ci.threshold_years)


def zero_claim_years(ci: CiParams, run: CountedRun, claims: Claims, year: int) -> int:
    """INC-3: zero-reimbursement years before Y that are counted participation years, after the
    latest reward use before Y, and (with ``ci.zero_reset_on_break``) inside the run."""
    used_before = [u for u in claims.ci_reward_used_years if u < year]
    last_used = max(used_before) if used_before else None
    count = 0
    for y in claims.zero_reimbursement_years:
        if y >= year or y not in run.participation or not is_counted(ci, y):
            continue
        if last_used is not None and y <= last_used:
            continue
        if ci.zero_reset_on_break and y not in run.run:
            continue
        count += 1
    return count


def capped(ci: CiParams, increase: Decimal, run: CountedRun) -> Decimal:
    """INC-4: ``base_cap + min(C + Z, max_increase_ratio * base_cap) - reduction``; the break reduction
    only in the re-enrolment year (a one-year run with earlier months)."""
    reduction = ci.break_reduction if len(run.run) == 1 and run.months_before_start else Decimal(0)
    return ci.base_cap + min(increase, ci.max_increase_ratio * ci.base_cap) - reduction


def evaluate_ci_cap(action: CiCapRequest, *, history: History, claims: Claims, profile: Profile) -> Result:
    """11.4: the critical-illness cap of year Y and the general continuous years."""
    if profile.coverage_year > action.year:
        raise MalformedInput(
            "action.year", f"profile {profile.name!r} is for {profile.coverage_year}, later than {action.year}"
        )
    ci = profile.need_ci()
    grace = profile.need_employee().no_wait_max_gap
    kind = ActionKind.CI_CAP
    index = history.index
    if action.year not in index.resident_years:
        return rejected(kind, RejectionCode.NOT_ENROLLED_IN_YEAR, ("11.4",))
    floor = history.reset_floor(first_month_of_year(action.year + 1))
    general = counted_run(ci, index.covered, index.covered_years, action.year, grace, floor)
    if ci.employee_years_count:
        run = general
    else:
        run = counted_run(ci, index.resident, index.resident_years, action.year, grace, floor)
    increase = continuity_increment(ci, run.counted_years)
    increase += ci.zero_claim_increment * zero_claim_years(ci, run, claims, action.year)
    reasons = ["INC-1", "INC-2", "INC-3", "INC-4"]
    if len(general.run) == 1 and general.months_before_start:
        reasons.append("INC-5")
    return Result(
        action_kind=kind,
        accepted=True,
        continuous_years=len(general.run),
        ci_cap=capped(ci, increase, run),
        reasons=tuple(reasons),
        treatment=Treatment.CI_CAP,
    )
