"""The result of an evaluation (RULES.md section 11; FORMAT.md output keys)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from .codes import ActionKind, RejectionCode, Treatment, WaitUnit, WarningCode

CENT = Decimal("0.01")

OUTPUT_KEYS: tuple[str, ...] = (
    "accepted",
    "rejection_code",
    "gap_months",
    "break_years",
    "repair_years_applied",
    "waiting_start",
    "waiting_end",
    "benefits_from",
    "retro_from",
    "retro_to",
    "backpay_months",
    "continuous_years",
    "premium_due",
    "ci_cap",
    "warnings",
)
"""FORMAT.md: every key of ``actual``, in order."""

OutputValue = bool | int | str | list[str] | None

_set_attribute = object.__setattr__


def round_money(amount: Decimal) -> Decimal:
    """Money to two places, ROUND_HALF_UP."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class WaitDetail(NamedTuple):
    """How a waiting period was made up (for explanations): F, its unit, V, repair months."""

    fixed: int
    fixed_unit: WaitUnit
    variable_months: int
    repair_months: int


class PremiumLine(NamedTuple):
    """One line of ``premium_due``: the lines of a result add up to it exactly."""

    code: str
    """RES_PREMIUM, RES_FULL_COST_SUBSIDY, RES_REPAIR, FLEX_MONTHS or FLEX_BACKPAY_MONTHS."""
    quantity: int
    unit_amount: Decimal
    amount: Decimal
    rule: str


@dataclass(frozen=True, init=False)
class Result:
    """An evaluated action.

    ``reasons`` are the rule IDs that decided the result, in order; ``treatment`` names the
    chosen treatment (6.7 candidate, EMP-5/EMP-6, ...). ``as_of`` is the payment/application
    date. The output keys of FORMAT.md come from ``to_output_dict()``.

    Frozen. ``__init__`` is written out (keyword-only) and stores all fields in one step: the
    generated frozen ``__init__`` sets fields one by one, which dominated the evaluation time.
    """

    action_kind: ActionKind
    accepted: bool
    rejection_code: RejectionCode | None = None
    gap_months: int | None = None
    break_years: int | None = None
    repair_years_applied: int | None = None
    waiting_start: date | None = None
    waiting_end: date | None = None
    benefits_from: date | None = None
    retro_from: date | None = None
    retro_to: date | None = None
    backpay_months: int | None = None
    continuous_years: int | None = None
    premium_due: Decimal | None = None
    ci_cap: Decimal | None = None
    warnings: tuple[WarningCode, ...] = ()
    reasons: tuple[str, ...] = ()
    treatment: Treatment | None = None
    as_of: date | None = None
    benefit_end: date | None = None
    """Last day of the benefit period when bounded (resident: Y-12-31); None = open-ended."""
    late: bool = False
    """A resident payment after ``resident.cp_end``."""
    wait: WaitDetail | None = None
    premium_parts: tuple[tuple[str, int, Decimal, str], ...] = ()
    """(code, quantity, unit amount, rule) of each premium line; ``premium_lines`` builds the lines
    when asked (most evaluations never itemise, and building them costs time in the nightly job)."""

    def __init__(
        self,
        *,
        action_kind: ActionKind,
        accepted: bool,
        rejection_code: RejectionCode | None = None,
        gap_months: int | None = None,
        break_years: int | None = None,
        repair_years_applied: int | None = None,
        waiting_start: date | None = None,
        waiting_end: date | None = None,
        benefits_from: date | None = None,
        retro_from: date | None = None,
        retro_to: date | None = None,
        backpay_months: int | None = None,
        continuous_years: int | None = None,
        premium_due: Decimal | None = None,
        ci_cap: Decimal | None = None,
        warnings: tuple[WarningCode, ...] = (),
        reasons: tuple[str, ...] = (),
        treatment: Treatment | None = None,
        as_of: date | None = None,
        benefit_end: date | None = None,
        late: bool = False,
        wait: WaitDetail | None = None,
        premium_parts: tuple[tuple[str, int, Decimal, str], ...] = (),
    ) -> None:
        _set_attribute(
            self,
            "__dict__",
            {
                "action_kind": action_kind,
                "accepted": accepted,
                "rejection_code": rejection_code,
                "gap_months": gap_months,
                "break_years": break_years,
                "repair_years_applied": repair_years_applied,
                "waiting_start": waiting_start,
                "waiting_end": waiting_end,
                "benefits_from": benefits_from,
                "retro_from": retro_from,
                "retro_to": retro_to,
                "backpay_months": backpay_months,
                "continuous_years": continuous_years,
                "premium_due": premium_due,
                "ci_cap": ci_cap,
                "warnings": warnings,
                "reasons": reasons,
                "treatment": treatment,
                "as_of": as_of,
                "benefit_end": benefit_end,
                "late": late,
                "wait": wait,
                "premium_parts": premium_parts,
            },
        )

    @property
    def premium_lines(self) -> tuple[PremiumLine, ...]:
        """The itemised premium: the lines add up to ``premium_due`` exactly."""
        return tuple(
            PremiumLine(code, quantity, unit, unit * quantity, rule)
            for code, quantity, unit, rule in self.premium_parts
        )

    @property
    def first_covered_day(self) -> date | None:
        """6.7: the earlier of ``retro_from`` and ``benefits_from``."""
        if self.retro_from is not None and self.benefits_from is not None:
            return min(self.retro_from, self.benefits_from)
        return self.benefits_from

    def to_output_dict(self) -> dict[str, OutputValue]:
        """Exactly FORMAT.md's ``actual`` keys: ISO dates, money with two places, sorted warnings."""
        return {
            "accepted": self.accepted,
            "rejection_code": None if self.rejection_code is None else self.rejection_code.value,
            "gap_months": self.gap_months,
            "break_years": self.break_years,
            "repair_years_applied": self.repair_years_applied,
            "waiting_start": _iso(self.waiting_start),
            "waiting_end": _iso(self.waiting_end),
            "benefits_from": _iso(self.benefits_from),
            "retro_from": _iso(self.retro_from),
            "retro_to": _iso(self.retro_to),
            "backpay_months": self.backpay_months,
            "continuous_years": self.continuous_years,
            "premium_due": _money(self.premium_due),
            "ci_cap": _money(self.ci_cap),
            "warnings": sorted(w.value for w in self.warnings),
        }


def rejected(kind: ActionKind, code: RejectionCode, reasons: tuple[str, ...], *, as_of: date | None = None) -> Result:
    """Section 11: a rejected action has its code, every other key null and no warnings."""
    return Result(action_kind=kind, accepted=False, rejection_code=code, reasons=reasons, as_of=as_of)


def sorted_warnings(warnings: list[WarningCode]) -> tuple[WarningCode, ...]:
    """Warnings as a sorted tuple without duplicates."""
    if not warnings:
        return ()
    return tuple(sorted(set(warnings))) if len(warnings) > 1 else (warnings[0],)


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(round_money(amount))
