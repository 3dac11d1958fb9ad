"""Is a service date payable? (RULES.md CLM-1 and RES-8b; product rules, not scenario actions.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .codes import ClaimReason, InpatientAnchor
from .result import Result


@dataclass(frozen=True, slots=True)
class CoveragePeriod:
    """The evaluated coverage of one payment: benefit period and approved retro window."""

    benefits_from: date | None
    benefit_end: date | None = None
    """Resident: Y-12-31; employee: None while contributions continue."""
    retro_from: date | None = None
    retro_to: date | None = None
    waiting_start: date | None = None
    waiting_end: date | None = None

    @classmethod
    def from_result(cls, result: Result) -> CoveragePeriod:
        """The period an accepted result grants (a rejected one grants nothing)."""
        if not result.accepted:
            return cls(benefits_from=None)
        return cls(
            benefits_from=result.benefits_from,
            benefit_end=result.benefit_end,
            retro_from=result.retro_from,
            retro_to=result.retro_to,
            waiting_start=result.waiting_start,
            waiting_end=result.waiting_end,
        )


@dataclass(frozen=True, slots=True)
class ClaimDecision:
    """Payable or not, with the rule IDs and reason codes that decided it."""

    payable: bool
    reasons: tuple[str, ...]


def _judge(day: date, period: CoveragePeriod) -> tuple[bool, ClaimReason]:
    if period.retro_from is not None and period.retro_to is not None and period.retro_from <= day <= period.retro_to:
        return True, ClaimReason.IN_RETRO_WINDOW
    if period.benefits_from is None:
        return False, ClaimReason.NO_BENEFITS
    if day < period.benefits_from:
        in_waiting = (
            period.waiting_start is not None
            and period.waiting_end is not None
            and period.waiting_start <= day <= period.waiting_end
        )
        return False, ClaimReason.IN_WAITING_PERIOD if in_waiting else ClaimReason.BEFORE_BENEFITS
    if period.benefit_end is not None and day > period.benefit_end:
        return False, ClaimReason.AFTER_BENEFIT_END
    return True, ClaimReason.IN_BENEFIT_PERIOD


def is_payable(
    service_date: date,
    *,
    period: CoveragePeriod,
    admission_date: date | None = None,
    inpatient_anchor: InpatientAnchor = InpatientAnchor.ADMISSION_DATE,
) -> ClaimDecision:
    """CLM-1: ``benefits_from <= s <= benefit end`` or s in an approved retro window.

    RES-8b: for a hospital stay (``admission_date`` given) under ADMISSION_DATE, s is the admission
    date: a stay admitted during the waiting period is self-paid as a whole.
    """
    if admission_date is not None and inpatient_anchor is InpatientAnchor.ADMISSION_DATE:
        payable, reason = _judge(admission_date, period)
        if not payable and reason is ClaimReason.IN_WAITING_PERIOD:
            return ClaimDecision(False, ("CLM-1", "RES-8b", ClaimReason.ADMITTED_BEFORE_BENEFITS.value, reason.value))
        return ClaimDecision(payable, ("CLM-1", "RES-8b", reason.value))
    payable, reason = _judge(service_date, period)
    return ClaimDecision(payable, ("CLM-1", reason.value))
