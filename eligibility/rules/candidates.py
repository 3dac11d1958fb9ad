"""Resident treatment candidates and the context they are judged in (RULES.md 6.7)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from .codes import Treatment
from .coverage import Continuity, Interruption
from .dates import ONE_DAY
from .facts import Person
from .profile import EmployeeParams, ExemptionParams, ResidentParams
from .result import WaitDetail


class ResidentContext(NamedTuple):
    """Everything a resident payment for year Y is judged on (11.1 steps 1-2)."""

    year: int
    paid_on: date
    repair_requested: int
    person: Person
    resident: ResidentParams
    exemptions: ExemptionParams
    employee: EmployeeParams
    interruption: Interruption
    continuity: Continuity
    breaks: int
    late: bool
    """RES-3: paid after ``resident.cp_end``."""
    subsidized_newborn: bool
    """RES-1: born on/after the subsidy date and Y within the subsidy's natural years."""
    year_start: date
    """Y-01-01."""

    @property
    def next_day(self) -> date:
        """Section 6: benefit start "next day" = ``max(paid_on + 1 day, Y-01-01)``."""
        return max(self.paid_on + ONE_DAY, self.year_start)


class Candidate(NamedTuple):
    """One treatment of 6.7 with the dates it gives."""

    treatment: Treatment
    benefits_from: date
    reasons: tuple[str, ...]
    waiting_start: date | None = None
    waiting_end: date | None = None
    retro_from: date | None = None
    retro_to: date | None = None
    repair_years: int = 0
    late_premium: bool = False
    wait: WaitDetail | None = None

    @property
    def first_covered_day(self) -> date:
        """6.7: the earlier of ``retro_from`` (if any) and ``benefits_from``."""
        if self.retro_from is not None and self.retro_from < self.benefits_from:
            return self.retro_from
        return self.benefits_from


def next_day_candidate(treatment: Treatment, rule_id: str, ctx: ResidentContext) -> Candidate:
    """A no-waiting candidate whose benefits start the next day (section 6)."""
    return Candidate(treatment=treatment, benefits_from=ctx.next_day, reasons=(rule_id,))


def choose(candidates: list[Candidate]) -> Candidate:
    """6.7: the earliest first covered day wins; on a tie, the earlier in the list."""
    best = candidates[0]
    for candidate in candidates[1:]:
        if candidate.first_covered_day < best.first_covered_day:
            best = candidate
    return best
