"""Special groups exempt from waiting periods (RULES.md section 6, RES-9a to RES-13).

Each function returns the candidate of its rule when the rule's conditions hold, else None.
Windows follow DATE-3 and require ``event date <= paid_on <= deadline``; events dated after the
payment do not count (section 2). A null window (or a false flag) switches a rule off.
"""

from __future__ import annotations

from .candidates import Candidate, ResidentContext, next_day_candidate
from .codes import MOVE_EVENTS, VETERAN_EVENTS, EventKind, Treatment
from .dates import ONE_DAY, interval_or_none, within_days, within_months

MEDICAL_ASSISTANCE_EVENTS = frozenset({EventKind.MEDICAL_ASSISTANCE})
CLERGY_EVENTS = frozenset({EventKind.CLERGY})

# Enum members bound once: attribute access on an Enum class is slow in Python 3.11.
_RES_9A = Treatment.RES_9A
_RES_9B = Treatment.RES_9B
_RES_9C = Treatment.RES_9C
_RES_10 = Treatment.RES_10
_RES_11_MEDICAL_ASSISTANCE = Treatment.RES_11_MEDICAL_ASSISTANCE
_RES_11_CLERGY = Treatment.RES_11_CLERGY
_RES_12 = Treatment.RES_12
_RES_13 = Treatment.RES_13


def newborn_from_birth(ctx: ResidentContext) -> Candidate | None:
    """RES-9a: paid within ``birth + exemptions.newborn_from_birth_days``: covered from birth.

    ``benefits_from = max(birth_date, Y-01-01)``; ``retro = [that date, paid_on - 1]`` when not empty.
    """
    days = ctx.exemptions.newborn_from_birth_days
    birth = ctx.person.birth_date
    if days is None or birth is None:
        return None
    if not within_days(birth, days, ctx.paid_on):
        return None
    start = max(birth, ctx.year_start)
    retro_from, retro_to = interval_or_none(start, ctx.paid_on - ONE_DAY)
    return Candidate(
        treatment=_RES_9A,
        benefits_from=start,
        retro_from=retro_from,
        retro_to=retro_to,
        reasons=("RES-9a",),
    )


def newborn_first_year(ctx: ResidentContext) -> Candidate | None:
    """RES-9b: paid up to ``add_months(birth, exemptions.newborn_next_day_months)``: next day."""
    months = ctx.exemptions.newborn_next_day_months
    birth = ctx.person.birth_date
    if months is None or birth is None:
        return None
    if not within_months(birth, months, ctx.paid_on):
        return None
    return next_day_candidate(_RES_9B, "RES-9b", ctx)


def subsidized_newborn(ctx: ResidentContext) -> Candidate | None:
    """RES-9c: a subsidized newborn (RES-1) in its subsidy years, when
    ``exemptions.subsidized_newborn_no_wait``: next day."""
    birth = ctx.person.birth_date
    if not ctx.exemptions.subsidized_newborn_no_wait or not ctx.subsidized_newborn or birth is None:
        return None
    if birth > ctx.paid_on:
        return None
    return next_day_candidate(_RES_9C, "RES-9c", ctx)


def _has_event(ctx: ResidentContext, kinds: frozenset[EventKind]) -> bool:
    """An event of these kinds dated on or before the payment (section 2)."""
    return any(e.kind in kinds and e.date <= ctx.paid_on for e in ctx.person.events)


def veteran(ctx: ResidentContext) -> Candidate | None:
    """RES-10: veteran or family, paid within ``add_months(discharge, exemptions.veteran_window_months)``."""
    months = ctx.exemptions.veteran_window_months
    if months is None:
        return None
    for event in ctx.person.events:
        if event.kind in VETERAN_EVENTS and within_months(event.date, months, ctx.paid_on):
            return next_day_candidate(_RES_10, "RES-10", ctx)
    return None


def medical_assistance(ctx: ResidentContext) -> Candidate | None:
    """RES-11: medical-assistance recipient, any payment on/after the event date: next day."""
    if not ctx.exemptions.medical_assistance or not _has_event(ctx, MEDICAL_ASSISTANCE_EVENTS):
        return None
    return next_day_candidate(_RES_11_MEDICAL_ASSISTANCE, "RES-11", ctx)


def clergy(ctx: ResidentContext) -> Candidate | None:
    """RES-11: religious personnel, any payment on/after the event date: next day."""
    if not ctx.exemptions.clergy or not _has_event(ctx, CLERGY_EVENTS):
        return None
    return next_day_candidate(_RES_11_CLERGY, "RES-11", ctx)


def employee_short_gap(ctx: ResidentContext) -> Candidate | None:
    """RES-12: L is cross-scheme and an employee month, ``gap <= exemptions.employee_gap_max_months``
    and ``CM >= exemptions.employee_gap_min_continuous_months``: next day, no retro."""
    max_gap = ctx.exemptions.employee_gap_max_months
    intr = ctx.interruption
    if max_gap is None or intr.gap is None:
        return None
    if not (intr.cross_scheme_for_resident and intr.last_is_employee):
        return None
    if intr.gap > max_gap or ctx.continuity.covered_months < ctx.exemptions.employee_gap_min_continuous_months:
        return None
    return next_day_candidate(_RES_12, "RES-12", ctx)


def moved_or_returned(ctx: ResidentContext) -> Candidate | None:
    """RES-13: moved in, returned from abroad, released, graduate returned; paid within
    ``event + exemptions.event_window_days``: next day."""
    days = ctx.exemptions.event_window_days
    if days is None:
        return None
    for event in ctx.person.events:
        if event.kind in MOVE_EVENTS and within_days(event.date, days, ctx.paid_on):
            return next_day_candidate(_RES_13, "RES-13", ctx)
    return None
