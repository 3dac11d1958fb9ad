"""Employee insurance and flexible workers (RULES.md section 7, SW-1/SW-3/SW-5, 11.2 and 11.3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from .codes import (
    ActionKind,
    BackpayLongGap,
    EmployeeKind,
    Frequency,
    PaymentFrequencyRule,
    RejectionCode,
    Treatment,
    WaitGranularity,
    WarningCode,
)
from .coverage import (
    Continuity,
    Interruption,
    consecutive_years,
    continuity_before,
    continuity_start_year,
    interruption,
)
from .dates import (
    ONE_DAY,
    add_months,
    first_day,
    interval_or_none,
    is_december,
    month_of,
    year_end,
    year_of_month,
)
from .errors import MalformedInput
from .facts import EmployeePayment, FlexibleEnrollment, History, intersects
from .profile import EmployeeParams, FlexibleParams, Profile
from .result import Result, round_money, sorted_warnings
from .result import rejected as _rejected
from .switching import has_two_years

# Enum members bound once: attribute access on an Enum class is slow in Python 3.11.
_ANNUAL_ONLY = PaymentFrequencyRule.ANNUAL_ONLY
_MONTHLY = Frequency.MONTHLY
_NOT_ALLOWED = BackpayLongGap.NOT_ALLOWED
_MONTH = WaitGranularity.MONTH
_FLEXIBLE = EmployeeKind.FLEXIBLE
_EMPLOYEE_PAYMENT = ActionKind.EMPLOYEE_PAYMENT
_SW_1 = Treatment.SW_1
_EMP_5 = Treatment.EMP_5
_EMP_6 = Treatment.EMP_6
_BACKPAY_NO_BENEFIT = WarningCode.BACKPAY_NO_BENEFIT
_CONTINUITY_RESET = WarningCode.CONTINUITY_RESET
_RESIDENT_SUSPENDED = WarningCode.RESIDENT_SUSPENDED


class EmployeeContext(NamedTuple):
    """Section 4 quantities of an employee payment."""

    resumption: int
    interruption: Interruption
    continuity: Continuity
    window_applied: bool
    """EMP-7 applied (paid outside the calendar back-payment window with gap >= 1)."""
    gap_within_grace: bool
    """L exists and ``gap <= employee.no_wait_max_gap``."""
    short_gap: bool
    """EMP-5 applies."""

    @property
    def disqualifying(self) -> bool:
        """4.5: no L at all, or gap > grace, or EMP-7 applied."""
        return not self.gap_within_grace or self.window_applied


def flexible_monthly_premium(flex: FlexibleParams) -> Decimal:
    """EMP-4: ``round_half_up(contribution_base * rate, 2) + large_amount_monthly``."""
    return round_money(flex.contribution_base * flex.rate) + flex.large_amount_monthly


def frequency_rejection(action: EmployeePayment, flex: FlexibleParams | None) -> RejectionCode | None:
    """EMP-1: ANNUAL_ONLY refuses monthly payments, then payments whose cover_to is not December."""
    if flex is None or flex.payment_frequency is not _ANNUAL_ONLY:
        return None
    if action.frequency is _MONTHLY:
        return RejectionCode.FLEX_MONTHLY_NOT_ALLOWED
    if not is_december(action.cover_to):
        return RejectionCode.FLEX_PARTIAL_YEAR_NOT_ALLOWED
    return None


def resident_paid_same_year(flex: FlexibleParams | None, year: int, history: History) -> bool:
    """EMP-3: with ``block_if_resident_paid_same_year``, Y is in the resident history."""
    return flex is not None and flex.block_if_resident_paid_same_year and year in history.index.resident_years


def cover_overlaps(action: EmployeePayment, intr: Interruption, history: History) -> bool:
    """EMP-8: back-paid months must lie after L; months R..cover_to must not be employee/military months."""
    if intr.last_covered is not None and action.cover_from <= intr.last_covered:
        return True
    return intersects(history.index.work, intr.resumption, action.cover_to)


def window_applies(action: EmployeePayment, flex: FlexibleParams | None, gap: int | None) -> bool:
    """EMP-7: a flexible payment with gap >= 1 paid outside the inclusive calendar window."""
    if flex is None or flex.backpay_window_start is None or flex.backpay_window_end is None:
        return False
    if gap is None or gap < 1:
        return False
    return not flex.backpay_window_start <= action.paid_on <= flex.backpay_window_end


def build_context(
    action: EmployeePayment, intr: Interruption, history: History, emp: EmployeeParams, flex: FlexibleParams | None
) -> EmployeeContext:
    """4.1 to 4.5 and the EMP-5 test."""
    continuity = continuity_before(
        history.index.covered, intr.resumption, emp.no_wait_max_gap, history.reset_floor(intr.resumption)
    )
    window = window_applies(action, flex, intr.gap)
    grace_ok = intr.gap is not None and intr.gap <= emp.no_wait_max_gap
    switch_ok = not intr.switching_into_employee or has_two_years(continuity, emp)
    short = grace_ok and not window and switch_ok
    return EmployeeContext(
        resumption=intr.resumption,
        interruption=intr,
        continuity=continuity,
        window_applied=window,
        gap_within_grace=grace_ok,
        short_gap=short,
    )


def backpay_rejection(ctx: EmployeeContext, emp: EmployeeParams) -> RejectionCode | None:
    """EMP-6 back pay: no L → BACKPAY_NOT_ALLOWED; EMP-7 → BACKPAY_WINDOW_CLOSED;
    NOT_ALLOWED region → BACKPAY_NOT_ALLOWED; ALLOWED_NO_BENEFIT → accepted (warning)."""
    if ctx.interruption.last_covered is None:
        return RejectionCode.BACKPAY_NOT_ALLOWED
    if ctx.window_applied:
        return RejectionCode.BACKPAY_WINDOW_CLOSED
    if emp.backpay_long_gap is _NOT_ALLOWED:
        return RejectionCode.BACKPAY_NOT_ALLOWED
    return None


def long_gap_benefits_from(emp: EmployeeParams, anchor: date, resumption: int) -> date:
    """DATE-6: MONTH → first day of (R + W); DAY → ``add_months(anchor, W)``."""
    wait = emp.wait_after_long_gap_months
    if emp.wait_granularity is _MONTH:
        return first_day(resumption + wait)
    return add_months(anchor, wait)


def participation_years(action: EmployeePayment, ctx: EmployeeContext, history: History) -> set[int]:
    """4.6: history years, the years of the months paid from R, and of back-paid months under EMP-5/SW-1."""
    first_paid = action.cover_from if ctx.short_gap else ctx.resumption
    years = set(history.index.covered_years)
    years.update(range(year_of_month(first_paid), year_of_month(action.cover_to) + 1))
    return years


def _check_input(action: EmployeePayment, profile: Profile) -> None:
    year = year_of_month(action.cover_to)
    if profile.coverage_year != year:
        raise MalformedInput("action.cover_to", f"profile {profile.name!r} is for {profile.coverage_year}, not {year}")


def evaluate_employee_payment(action: EmployeePayment, *, history: History, profile: Profile) -> Result:
    """11.2: EMP-1, EMP-3, EMP-8, then EMP-5 (or SW-1) / EMP-6 with the back-pay rejections."""
    _check_input(action, profile)
    emp = profile.need_employee()
    flexible = action.employee_kind is _FLEXIBLE
    flex = profile.need_flexible() if flexible else None
    kind = _EMPLOYEE_PAYMENT

    def rejected(code: RejectionCode, *reasons: str) -> Result:
        return _rejected(kind, code, reasons, as_of=action.paid_on)

    code = frequency_rejection(action, flex)
    if code is not None:
        return rejected(code, "EMP-1")
    if resident_paid_same_year(flex, year_of_month(action.cover_to), history):
        return rejected(RejectionCode.RESIDENT_PAID_SAME_YEAR, "EMP-3")
    paid_month = month_of(action.paid_on)
    if action.cover_to < paid_month:
        return rejected(RejectionCode.COVER_RANGE_INVALID, "EMP-8")
    intr = interruption(history.index, max(paid_month, action.cover_from))
    if cover_overlaps(action, intr, history):
        return rejected(RejectionCode.COVER_OVERLAPS_HISTORY, "EMP-8")
    ctx = build_context(action, intr, history, emp, flex)
    backpay = ctx.resumption - action.cover_from
    warnings: list[WarningCode] = []
    if ctx.short_gap:
        treatment = _SW_1 if intr.switching_into_employee else _EMP_5
        reasons: tuple[str, ...] = ("SW-1", "EMP-5") if intr.switching_into_employee else ("EMP-5",)
        benefits_from = first_day(ctx.resumption)
        retro_from, retro_to = interval_or_none(first_day(action.cover_from), action.paid_on - ONE_DAY)
        waiting_start: date | None = None
        waiting_end: date | None = None
    else:
        reasons = ("EMP-7", "EMP-6") if ctx.window_applied else ("EMP-6",)
        if backpay > 0:
            code = backpay_rejection(ctx, emp)
            if code is not None:
                return rejected(code, *reasons)
            warnings.append(_BACKPAY_NO_BENEFIT)
        treatment = _EMP_6
        anchor = max(action.paid_on, first_day(ctx.resumption))
        benefits_from = long_gap_benefits_from(emp, anchor, ctx.resumption)
        waiting_start, waiting_end = interval_or_none(anchor, benefits_from - ONE_DAY)
        retro_from = retro_to = None
        reasons = (*reasons, "DATE-6")
    if ctx.disqualifying and intr.last_covered is not None:
        warnings.append(_CONTINUITY_RESET)
        reasons = (*reasons, "4.5")
    if year_of_month(action.cover_to) in history.index.resident_years:
        warnings.append(_RESIDENT_SUSPENDED)
        reasons = (*reasons, "SW-3")
    start_year = continuity_start_year(ctx.disqualifying, ctx.resumption, ctx.continuity.start)
    months = action.cover_to - action.cover_from + 1
    premium = None if flex is None else flexible_monthly_premium(flex) * months
    parts: tuple[tuple[str, int, Decimal, str], ...] = ()
    if flex is not None:
        monthly = flexible_monthly_premium(flex)
        if backpay:
            parts += (("FLEX_BACKPAY_MONTHS", backpay, monthly, "EMP-4"),)
        if months - backpay:
            parts += (("FLEX_MONTHS", months - backpay, monthly, "EMP-4"),)
    return Result(
        action_kind=kind,
        accepted=True,
        gap_months=intr.gap,
        waiting_start=waiting_start,
        waiting_end=waiting_end,
        benefits_from=benefits_from,
        retro_from=retro_from,
        retro_to=retro_to,
        backpay_months=backpay,
        continuous_years=consecutive_years(
            participation_years(action, ctx, history), year_of_month(action.cover_to), start_year
        ),
        premium_due=premium,
        premium_parts=parts,
        warnings=sorted_warnings(warnings),
        reasons=reasons,
        treatment=treatment,
        as_of=action.paid_on,
    )


def evaluate_flexible_enrollment(action: FlexibleEnrollment, *, history: History, profile: Profile) -> Result:
    """11.3: ``on`` after Y-12-31 → ENROLMENT_YEAR_ENDED; then EMP-3."""
    if profile.coverage_year != action.year:
        raise MalformedInput(
            "action.year", f"profile {profile.name!r} is for {profile.coverage_year}, not {action.year}"
        )
    flex = profile.need_flexible()
    kind = ActionKind.FLEXIBLE_ENROLLMENT
    if action.on > year_end(action.year):
        return _rejected(kind, RejectionCode.ENROLMENT_YEAR_ENDED, ("11.3",), as_of=action.on)
    if resident_paid_same_year(flex, action.year, history):
        return _rejected(kind, RejectionCode.RESIDENT_PAID_SAME_YEAR, ("EMP-3",), as_of=action.on)
    return Result(
        action_kind=kind,
        accepted=True,
        reasons=("EMP-3",) if flex.block_if_resident_paid_same_year else ("11.3",),
        treatment=Treatment.FLEXIBLE_ENROLMENT,
        as_of=action.on,
    )
