"""Resident insurance payments (RULES.md section 5 and 11.1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from . import exemptions
from .candidates import Candidate, ResidentContext, choose
from .codes import (
    ActionKind,
    Category,
    InPeriodAfterYearStart,
    LatePremiumMode,
    RejectionCode,
    RepairPriceBasis,
    Treatment,
    VariableWaitBasis,
    WaitUnit,
    WarningCode,
)
from .coverage import (
    break_years,
    consecutive_years,
    continuity_before,
    continuity_start_year,
    interruption,
    resident_resumption,
)
from .dates import ONE_DAY, add_days, add_months, interval_or_none, month_of, year_end, year_start
from .errors import MalformedInput
from .facts import History, Person, ResidentPayment
from .profile import Profile, ResidentParams
from .result import Result, WaitDetail, rejected, sorted_warnings
from .switching import switch_into_resident

# Enum members bound once: attribute access on an Enum class is slow in Python 3.11.
_FULL_COST = LatePremiumMode.FULL_COST
_ORDINARY_PREMIUM = RepairPriceBasis.ORDINARY_PREMIUM
_ORDINARY = Treatment.ORDINARY
_YEAR_START = InPeriodAfterYearStart.YEAR_START
_NEXT_DAY = InPeriodAfterYearStart.NEXT_DAY
_EACH_BREAK_YEAR_AFTER_FIRST = VariableWaitBasis.EACH_BREAK_YEAR_AFTER_FIRST
_MONTHS = WaitUnit.MONTHS
_RESIDENT_PAYMENT = ActionKind.RESIDENT_PAYMENT
_WAITING_CARRIED_OVER = WarningCode.WAITING_CARRIED_OVER
_NO_BENEFIT_THIS_YEAR = WarningCode.NO_BENEFIT_THIS_YEAR
_REPAIR_LIMITED = WarningCode.REPAIR_LIMITED
_CONTINUITY_RESET = WarningCode.CONTINUITY_RESET

DAYS_PER_MONTH_FOR_MINIMUM = 30
"""RES-7 / decision 8: under DAYS, F counts as ``floor(F / 30)`` months for the long-break minimum."""

CandidateRule = Callable[[ResidentContext], Candidate | None]

SWITCH, BIRTH, EVENTS = "switch", "birth", "events"
"""The facts a candidate rule needs: L an employee month, a birth date, events."""

EXEMPTION_RULES: tuple[tuple[CandidateRule, str], ...] = (
    (switch_into_resident, SWITCH),
    (exemptions.newborn_from_birth, BIRTH),
    (exemptions.newborn_first_year, BIRTH),
    (exemptions.subsidized_newborn, BIRTH),
    (exemptions.veteran, EVENTS),
    (exemptions.medical_assistance, EVENTS),
    (exemptions.clergy, EVENTS),
    (exemptions.employee_short_gap, SWITCH),
    (exemptions.moved_or_returned, EVENTS),
)
"""6.7 candidates (2) to (10), in list order; (1) is the ordinary treatment."""


# --- RES-1 / RES-3 premiums --------------------------------------------------------------


def is_subsidized_newborn(res: ResidentParams, birth_date: date | None, year: int) -> bool:
    """RES-1: born on/after ``newborn_subsidy_born_from`` and ``Y - birth year < newborn_subsidy_natural_years``."""
    if birth_date is None or res.premium_newborn_subsidized is None:
        return False
    if res.newborn_subsidy_born_from is None or res.newborn_subsidy_natural_years is None:
        return False
    return birth_date >= res.newborn_subsidy_born_from and year - birth_date.year < res.newborn_subsidy_natural_years


def category_premium(res: ResidentParams, category: Category, subsidized_newborn: bool) -> Decimal:
    """RES-1: ``premium(category)``, capped by ``premium.newborn_subsidized`` for a subsidized newborn."""
    base = res.premium(category)
    if base is None:
        raise MalformedInput("person.category", f"category {category.value!r} is not offered by this profile")
    if subsidized_newborn and res.premium_newborn_subsidized is not None:
        return min(base, res.premium_newborn_subsidized)
    return base


def payment_premium(res: ResidentParams, own_premium: Decimal, late_premium: bool) -> Decimal:
    """RES-3: an ordinary late payer pays ``premium(category)`` (INDIVIDUAL) or plus ``resident.subsidy``
    (FULL_COST); everyone else pays ``premium(category)``."""
    if late_premium and res.late_premium_mode is _FULL_COST:
        return own_premium + res.subsidy
    return own_premium


def repair_price(res: ResidentParams, own_premium: Decimal) -> Decimal:
    """RES-7: price per repair year (ORDINARY_PREMIUM or OWN_PREMIUM)."""
    if res.repair_price_basis is _ORDINARY_PREMIUM:
        return res.premium_ordinary
    return own_premium


# --- RES-2, RES-5 to RES-8: the ordinary treatment -------------------------------------


def in_period_without_waiting(ctx: ResidentContext) -> Candidate:
    """RES-2: paid before Y-01-01 → Y-01-01; paid from Y-01-01 to cp_end → YEAR_START (retro for the
    days before the payment), NEXT_DAY or PAYMENT_DATE."""
    start = ctx.year_start
    if ctx.paid_on < start:
        return Candidate(_ORDINARY, benefits_from=start, reasons=("RES-2",))
    mode = ctx.resident.in_period_after_year_start
    if mode is _YEAR_START:
        retro_from, retro_to = interval_or_none(start, ctx.paid_on - ONE_DAY)
        return Candidate(_ORDINARY, benefits_from=start, retro_from=retro_from, retro_to=retro_to, reasons=("RES-2",))
    if mode is _NEXT_DAY:
        return Candidate(_ORDINARY, benefits_from=ctx.paid_on + ONE_DAY, reasons=("RES-2",))
    return Candidate(_ORDINARY, benefits_from=ctx.paid_on, reasons=("RES-2",))


def waiting_applies(ctx: ResidentContext) -> bool:
    """RES-5: F applies when the payment is late, or B >= 1 and ``wait_applies_in_period_with_break``."""
    return ctx.late or (ctx.breaks >= 1 and ctx.resident.wait_applies_in_period_with_break)


def variable_wait_months(res: ResidentParams, breaks: int) -> int:
    """RES-6: ``V = variable_wait_months_per_break_year * max(0, B - offset)``."""
    offset = 1 if res.variable_wait_basis is _EACH_BREAK_YEAR_AFTER_FIRST else 0
    return res.variable_wait_months_per_break_year * max(0, breaks - offset)


def fixed_wait_in_months(res: ResidentParams) -> int:
    """RES-7: F_m = F for MONTHS, ``floor(F / 30)`` for DAYS."""
    if res.fixed_wait_unit is _MONTHS:
        return res.fixed_wait
    return res.fixed_wait // DAYS_PER_MONTH_FOR_MINIMUM


def repair_limit(res: ResidentParams, breaks: int, variable: int) -> int:
    """RES-7: ``r_max = min(B, floor(V / rm))``; with B at or above the long-break threshold also
    ``r_max <= floor(max(0, F_m + V - long_break_min_total_wait_months) / rm)``."""
    rm = res.repair_months_per_year
    limit = min(breaks, variable // rm)
    if breaks >= res.long_break_threshold_years:
        floor_room = max(0, fixed_wait_in_months(res) + variable - res.long_break_min_total_wait_months)
        limit = min(limit, floor_room // rm)
    return limit


def waiting_anchor(ctx: ResidentContext) -> date:
    """RES-8: ``paid_on`` when late or paid on/after Y-01-01, else Y-01-01."""
    if ctx.late or ctx.paid_on >= ctx.year_start:
        return ctx.paid_on
    return ctx.year_start


def benefits_after_wait(res: ResidentParams, anchor: date, variable: int, repair_months: int) -> date:
    """RES-8 with DATE-4 (MONTHS: ``add_months(anchor, F + V - r*rm)``) or DATE-5
    (DAYS: ``add_months(anchor, V - r*rm) + F days``)."""
    if res.fixed_wait_unit is _MONTHS:
        return add_months(anchor, res.fixed_wait + variable - repair_months)
    return add_days(add_months(anchor, variable - repair_months), res.fixed_wait)


def with_waiting(ctx: ResidentContext) -> Candidate:
    """RES-5 to RES-8: fixed plus variable waiting, less repair, from the anchor."""
    res = ctx.resident
    variable = variable_wait_months(res, ctx.breaks)
    repair = min(ctx.repair_requested, repair_limit(res, ctx.breaks, variable)) if ctx.repair_requested else 0
    repair_months = repair * res.repair_months_per_year
    anchor = waiting_anchor(ctx)
    benefits_from = max(benefits_after_wait(res, anchor, variable, repair_months), ctx.year_start)
    waiting_start, waiting_end = interval_or_none(anchor, benefits_from - ONE_DAY)
    reasons: tuple[str, ...] = ("RES-3", "RES-5") if ctx.late else ("RES-5",)
    if variable:
        reasons += ("RES-6",)
    if ctx.repair_requested:
        reasons += ("RES-7",)
    reasons += ("RES-8", "DATE-4") if res.fixed_wait_unit is _MONTHS else ("RES-8", "DATE-5")
    return Candidate(
        _ORDINARY,
        benefits_from,
        reasons,
        waiting_start,
        waiting_end,
        None,
        None,
        repair,
        ctx.late,
        WaitDetail(res.fixed_wait, res.fixed_wait_unit, variable, repair_months),
    )


def ordinary(ctx: ResidentContext) -> Candidate:
    """6.7 candidate (1): RES-2, or RES-5 to RES-8 when a waiting period applies."""
    if waiting_applies(ctx):
        return with_waiting(ctx)
    return in_period_without_waiting(ctx)


# --- 11.1 ---------------------------------------------------------------------------------


def period_rejection(action: ResidentPayment, res: ResidentParams, history: History) -> RejectionCode | None:
    """RES-3 checks in order: already paid, period not open, period closed."""
    if action.year in history.index.resident_years:
        return RejectionCode.RES_ALREADY_PAID
    if action.paid_on < res.cp_start:
        return RejectionCode.RES_PERIOD_NOT_OPEN
    if action.paid_on > res.late_window_end:
        return RejectionCode.RES_PERIOD_CLOSED
    return None


def _check_input(action: ResidentPayment, person: Person, profile: Profile) -> Category:
    if profile.coverage_year != action.year:
        raise MalformedInput(
            "action.year", f"profile {profile.name!r} is for {profile.coverage_year}, not {action.year}"
        )
    if person.birth_date is not None and person.birth_date > action.paid_on:
        raise MalformedInput("person.birth_date", "birth date is after the resident payment")
    if person.category is None:
        raise MalformedInput("person.category", "required for a resident payment")
    base = profile.need_resident().premium(person.category)
    if base is None:
        raise MalformedInput("person.category", f"category {person.category.value!r} is not offered by this profile")
    return person.category


def build_context(action: ResidentPayment, person: Person, history: History, profile: Profile) -> ResidentContext:
    """11.1 step 2: R, L, gap, B, CM (section 4)."""
    res = profile.need_resident()
    emp = profile.need_employee()
    exm = profile.need_exemptions()
    index = history.index
    resumption = resident_resumption(action.year, month_of(action.paid_on))
    return ResidentContext(
        year=action.year,
        paid_on=action.paid_on,
        repair_requested=action.repair_years,
        person=person,
        resident=res,
        exemptions=exm,
        employee=emp,
        interruption=interruption(index, resumption),
        continuity=continuity_before(index.covered, resumption, emp.no_wait_max_gap, history.reset_floor(resumption)),
        breaks=break_years(
            index.covered_years,
            action.year,
            res.break_year_count_from,
            res.first_time_enrolee_has_break_years,
            None if person.birth_date is None else person.birth_date.year,
        ),
        late=action.paid_on > res.cp_end,
        subsidized_newborn=is_subsidized_newborn(res, person.birth_date, action.year),
        year_start=year_start(action.year),
    )


def candidates(ctx: ResidentContext) -> list[Candidate]:
    """6.7: the candidates whose conditions hold, in list order: (1) ordinary, (2) SW-1, (3) RES-9a,
    (4) RES-9b, (5) RES-9c, (6) RES-10, (7) RES-11 medical assistance, (8) RES-11 clergy, (9) RES-12,
    (10) RES-13.

    Rules whose facts are absent (L not an employee month, no birth date, no events) are not asked.
    """
    intr = ctx.interruption
    from_employee = intr.cross_scheme_for_resident and intr.last_is_employee
    with_birth = ctx.person.birth_date is not None
    with_events = bool(ctx.person.events)
    rules: list[CandidateRule] = []
    if from_employee:
        rules.append(switch_into_resident)
    if with_birth:
        rules += (exemptions.newborn_from_birth, exemptions.newborn_first_year, exemptions.subsidized_newborn)
    if with_events:
        rules += (exemptions.veteran, exemptions.medical_assistance, exemptions.clergy)
    if from_employee:
        rules.append(exemptions.employee_short_gap)
    if with_events:
        rules.append(exemptions.moved_or_returned)
    found = [ordinary(ctx)]
    for rule in rules:
        candidate = rule(ctx)
        if candidate is not None:
            found.append(candidate)
    return found


def is_disqualifying(ctx: ResidentContext) -> bool:
    """4.5: B >= 1, or L is cross-scheme and gap > grace."""
    intr = ctx.interruption
    if ctx.breaks >= 1:
        return True
    return intr.cross_scheme_for_resident and intr.gap is not None and intr.gap > ctx.employee.no_wait_max_gap


def carried_over(ctx: ResidentContext, history: History, chosen: Candidate) -> Candidate | None:
    """RES-8a carry-over: the history's year Y - 1 carries a later ``benefits_from``."""
    if not ctx.resident.waiting_carries_across_years:
        return None
    carried = history.index.resident_benefits_from.get(ctx.year - 1)
    if carried is None or carried <= chosen.benefits_from:
        return None
    waiting_start, waiting_end = interval_or_none(ctx.year_start, carried - ONE_DAY)
    return Candidate(
        treatment=chosen.treatment,
        benefits_from=carried,
        waiting_start=waiting_start,
        waiting_end=waiting_end,
        repair_years=chosen.repair_years,
        late_premium=chosen.late_premium,
        reasons=(*chosen.reasons, "RES-8a"),
        wait=chosen.wait,
    )


def evaluate_resident_payment(action: ResidentPayment, *, person: Person, history: History, profile: Profile) -> Result:
    """11.1: checks, section 4 quantities, candidates and choice (6.7), RES-8a, premium, n, warnings."""
    category = _check_input(action, person, profile)
    res = profile.need_resident()
    kind = _RESIDENT_PAYMENT
    code = period_rejection(action, res, history)
    if code is not None:
        return rejected(kind, code, ("RES-3",), as_of=action.paid_on)
    ctx = build_context(action, person, history, profile)
    own_premium = category_premium(res, category, ctx.subsidized_newborn)
    chosen = choose(candidates(ctx))
    warnings: list[WarningCode] = []
    carried = carried_over(ctx, history, chosen)
    if carried is not None:
        chosen = carried
        warnings.append(_WAITING_CARRIED_OVER)
    reasons = chosen.reasons
    last_day_of_year = year_end(action.year)
    if chosen.benefits_from > last_day_of_year:
        if not res.allow_payment_without_current_year_benefit:
            return rejected(kind, RejectionCode.WAIT_BEYOND_YEAR_END, (*reasons, "RES-8a"), as_of=action.paid_on)
        warnings.append(_NO_BENEFIT_THIS_YEAR)
        if "RES-8a" not in reasons:
            reasons = (*reasons, "RES-8a")
    if chosen.repair_years < action.repair_years:
        warnings.append(_REPAIR_LIMITED)
    disqualifying = is_disqualifying(ctx)
    if disqualifying and ctx.interruption.last_covered is not None:
        warnings.append(_CONTINUITY_RESET)
        reasons = (*reasons, "4.5")
    if ctx.subsidized_newborn and own_premium != res.premium(category):
        reasons = (*reasons, "RES-1")
    premium = payment_premium(res, own_premium, chosen.late_premium)
    parts: tuple[tuple[str, int, Decimal, str], ...] = (("RES_PREMIUM", 1, own_premium, "RES-1"),)
    if premium != own_premium:
        parts += (("RES_FULL_COST_SUBSIDY", 1, res.subsidy, "RES-3"),)
    if chosen.repair_years:
        price = repair_price(res, own_premium)
        parts += (("RES_REPAIR", chosen.repair_years, price, "RES-7"),)
        premium += chosen.repair_years * price
    start_year = continuity_start_year(disqualifying, ctx.interruption.resumption, ctx.continuity.start)
    # 4.6: participation years are the history's covered years plus Y itself.
    continuous = 1 + consecutive_years(history.index.covered_years, action.year - 1, start_year)
    intr = ctx.interruption
    return Result(
        action_kind=kind,
        accepted=True,
        gap_months=intr.gap if intr.cross_scheme_for_resident else None,
        break_years=ctx.breaks,
        repair_years_applied=chosen.repair_years,
        waiting_start=chosen.waiting_start,
        waiting_end=chosen.waiting_end,
        benefits_from=chosen.benefits_from,
        retro_from=chosen.retro_from,
        retro_to=chosen.retro_to,
        continuous_years=continuous,
        premium_due=premium,
        premium_parts=parts,
        warnings=sorted_warnings(warnings),
        reasons=reasons,
        treatment=chosen.treatment,
        as_of=action.paid_on,
        benefit_end=last_day_of_year,
        late=ctx.late,
        wait=chosen.wait,
    )


# --- RES-7b: repair paid later (product rule, not a scenario action) ----------------------------


class LaterRepair(NamedTuple):
    """RES-7b: the effect of a repair paid after the enrolment payment."""

    repair_years_applied: int
    """Repair years in force after this payment (earlier ones included)."""
    repair_years_charged: int
    """Years this payment buys (refused years are not charged)."""
    benefits_from: date
    waiting_end: date | None
    price: Decimal
    limited: bool
    """Fewer years than asked were accepted (REPAIR_LIMITED)."""


def repair_paid_later(
    result: Result, *, repair_years: int, paid_on: date, profile: Profile, category: Category = Category.ORDINARY
) -> LaterRepair | None:
    """RES-7b [D]: repair paid after the enrolment payment but before ``benefits_from`` recomputes
    ``benefits_from`` from the original anchor, never earlier than ``paid_on + 1 day``.

    Returns None when the repair cannot change anything: the result is not an ordinary payment with
    a waiting period of its own (exempt, no waiting, carried-over waiting), or benefits have started.
    """
    if repair_years < 0:
        raise MalformedInput("repair_years", f"negative number {repair_years}")
    wait = result.wait
    if (
        not result.accepted
        or wait is None
        or result.waiting_start is None
        or result.benefits_from is None
        or result.benefit_end is None
        or result.break_years is None
        or _WAITING_CARRIED_OVER in result.warnings
        or paid_on >= result.benefits_from
    ):
        return None
    res = profile.need_resident()
    already = result.repair_years_applied or 0
    limit = repair_limit(res, result.break_years, wait.variable_months)
    total = min(already + repair_years, limit)
    anchor = result.waiting_start
    benefits_from = max(
        benefits_after_wait(res, anchor, wait.variable_months, total * res.repair_months_per_year),
        year_start(result.benefit_end.year),
        paid_on + ONE_DAY,
    )
    waiting_end = interval_or_none(anchor, benefits_from - ONE_DAY)[1]
    charged = total - already
    own = res.premium(category)
    price = repair_price(res, res.premium_ordinary if own is None else own) * charged
    return LaterRepair(total, charged, benefits_from, waiting_end, price, charged < repair_years)
