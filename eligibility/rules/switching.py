"""Switching between employee and resident insurance (RULES.md section 8)."""

from __future__ import annotations

from .candidates import Candidate, ResidentContext
from .codes import Treatment
from .coverage import Continuity, Interruption
from .dates import ONE_DAY, first_day, interval_or_none
from .profile import EmployeeParams

# Enum members bound once: attribute access on an Enum class is slow in Python 3.11.
_SW_1 = Treatment.SW_1


def has_two_years(continuity: Continuity, employee: EmployeeParams) -> bool:
    """4.3: "continuously enrolled 2 years or more" = ``CM >= employee.switch_min_continuous_months``."""
    return continuity.covered_months >= employee.switch_min_continuous_months


def switch_into_resident(ctx: ResidentContext) -> Candidate | None:
    """SW-1 into resident insurance: L cross-scheme and an employee month, gap within the grace,
    CM of 2 years. ``benefits_from = max(first day of R, Y-01-01)``,
    ``retro = [max(first day of L + 1, Y-01-01), paid_on - 1]``."""
    intr: Interruption = ctx.interruption
    if intr.last_covered is None or intr.gap is None:
        return None
    if not (intr.cross_scheme_for_resident and intr.last_is_employee):
        return None
    if intr.gap > ctx.employee.no_wait_max_gap or not has_two_years(ctx.continuity, ctx.employee):
        return None
    benefits_from = max(first_day(intr.resumption), ctx.year_start)
    retro_start = max(first_day(intr.last_covered + 1), ctx.year_start)
    retro_from, retro_to = interval_or_none(retro_start, ctx.paid_on - ONE_DAY)
    return Candidate(
        treatment=_SW_1,
        benefits_from=benefits_from,
        retro_from=retro_from,
        retro_to=retro_to,
        reasons=("SW-1",),
    )
