"""Policy profiles (RULES.md section 12): typed, validated, no hidden defaults.

A profile configures whole parameter groups (``resident``, ``exemptions``, ``employee``,
``flexible``, ``ci``). ``null`` is an explicit value ("none", "not offered", "off") and only
allowed where section 12 gives it a meaning. ``params`` overrides single parameters by dotted name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, TypeVar, cast

from .codes import (
    BackpayLongGap,
    Category,
    InpatientAnchor,
    InPeriodAfterYearStart,
    LatePremiumMode,
    PaymentFrequencyRule,
    RepairPriceBasis,
    VariableWaitBasis,
    WaitGranularity,
    WaitUnit,
)
from .dates import parse_date, year_end
from .errors import MalformedInput

DEFAULT_PROFILES_PATH = Path(__file__).resolve().parent.parent / "data" / "profiles.json"

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True, slots=True)
class ResidentParams:
    """``resident.*``."""

    cp_start: date
    cp_end: date
    late_window_end: date
    in_period_after_year_start: InPeriodAfterYearStart
    premium_ordinary: Decimal
    premium_fixed_subsidy: Decimal | None
    premium_full_subsidy: Decimal | None
    premium_student: Decimal | None
    premium_newborn_subsidized: Decimal | None
    newborn_subsidy_born_from: date | None
    newborn_subsidy_natural_years: int | None
    subsidy: Decimal
    late_premium_mode: LatePremiumMode
    fixed_wait: int
    fixed_wait_unit: WaitUnit
    wait_applies_in_period_with_break: bool
    variable_wait_basis: VariableWaitBasis
    variable_wait_months_per_break_year: int
    repair_months_per_year: int
    repair_price_basis: RepairPriceBasis
    long_break_threshold_years: int
    long_break_min_total_wait_months: int
    break_year_count_from: int | None
    first_time_enrolee_has_break_years: bool
    waiting_carries_across_years: bool
    allow_payment_without_current_year_benefit: bool
    inpatient_anchor: InpatientAnchor

    def premium(self, category: Category) -> Decimal | None:
        """``resident.premium.<category>``; None = not offered."""
        value: Decimal | None = getattr(self, "premium_" + category)
        return value


@dataclass(frozen=True, slots=True)
class ExemptionParams:
    """``exemptions.*`` (section 6)."""

    newborn_from_birth_days: int | None
    newborn_next_day_months: int | None
    subsidized_newborn_no_wait: bool
    veteran_window_months: int | None
    medical_assistance: bool
    clergy: bool
    event_window_days: int | None
    employee_gap_max_months: int | None
    employee_gap_min_continuous_months: int


@dataclass(frozen=True, slots=True)
class EmployeeParams:
    """``employee.*``."""

    no_wait_max_gap: int
    wait_after_long_gap_months: int
    wait_granularity: WaitGranularity
    backpay_long_gap: BackpayLongGap
    switch_min_continuous_months: int


@dataclass(frozen=True, slots=True)
class FlexibleParams:
    """``flexible.*``."""

    payment_frequency: PaymentFrequencyRule
    block_if_resident_paid_same_year: bool
    contribution_base: Decimal
    rate: Decimal
    large_amount_monthly: Decimal
    backpay_window_start: date | None
    backpay_window_end: date | None


@dataclass(frozen=True, slots=True)
class CiParams:
    """``ci.*`` (section 9)."""

    base_cap: Decimal
    continuity_increment: Decimal
    zero_claim_increment: Decimal
    threshold_years: int
    max_increase_ratio: Decimal
    count_years_before_2025: bool
    employee_years_count: bool
    zero_reset_on_break: bool
    break_reduction: Decimal


@dataclass(frozen=True, slots=True)
class Profile:
    """A named, validated set of parameters for one pooling area and coverage year."""

    name: str
    coverage_year: int
    resident: ResidentParams | None
    exemptions: ExemptionParams | None
    employee: EmployeeParams | None
    flexible: FlexibleParams | None
    ci: CiParams | None

    def need_resident(self) -> ResidentParams:
        """The resident group, or malformed (section 12: an action needing an absent group)."""
        return _need(self.resident, "resident", self.name)

    def need_exemptions(self) -> ExemptionParams:
        """The exemptions group, or malformed."""
        return _need(self.exemptions, "exemptions", self.name)

    def need_employee(self) -> EmployeeParams:
        """The employee group, or malformed."""
        return _need(self.employee, "employee", self.name)

    def need_flexible(self) -> FlexibleParams:
        """The flexible group, or malformed."""
        return _need(self.flexible, "flexible", self.name)

    def need_ci(self) -> CiParams:
        """The ci group, or malformed."""
        return _need(self.ci, "ci", self.name)


T = TypeVar("T")


def _need(group: T | None, name: str, profile: str) -> T:
    if group is None:
        raise MalformedInput("profile", f"profile {profile!r} does not configure the {name} group")
    return group


# --- parameter specification -------------------------------------------------------------

Parser = Callable[[object, str], object]


def _int(value: object, where: str) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedInput(where, f"expected a whole number, got {value!r}")
    if value < 0:
        raise MalformedInput(where, f"negative number {value!r}")
    return value


def _decimal(value: object, where: str) -> object:
    # Decimals are strings (section 12); whole and float JSON numbers are accepted leniently.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MalformedInput(where, f"expected a decimal string, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise MalformedInput(where, f"invalid decimal {value!r}") from None
    if not number.is_finite():
        raise MalformedInput(where, f"invalid decimal {value!r}")
    if number < 0:
        raise MalformedInput(where, f"negative number {value!r}")
    return number


def _bool(value: object, where: str) -> object:
    if not isinstance(value, bool):
        raise MalformedInput(where, f"expected true or false, got {value!r}")
    return value


def _date(value: object, where: str) -> object:
    return parse_date(value, where)


def _values(enum_type: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum_type)


def _enum(enum_type: type[StrEnum]) -> Parser:
    def parse(value: object, where: str) -> object:
        if not isinstance(value, str):
            raise MalformedInput(where, f"expected one of {[e.value for e in enum_type]}, got {value!r}")
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(e.value for e in enum_type)
            raise MalformedInput(where, f"unknown value {value!r} (expected {allowed})") from None

    return parse


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of section 12: its parser and whether null is a documented value."""

    parse: Parser
    nullable: bool = False
    choices: tuple[str, ...] | None = None
    """The allowed values of an enum parameter (for forms and messages), else None."""


GROUPS: dict[str, dict[str, ParamSpec]] = {
    "resident": {
        "cp_start": ParamSpec(_date),
        "cp_end": ParamSpec(_date),
        "late_window_end": ParamSpec(_date),
        "in_period_after_year_start": ParamSpec(_enum(InPeriodAfterYearStart), choices=_values(InPeriodAfterYearStart)),
        "premium.ordinary": ParamSpec(_decimal),
        "premium.fixed_subsidy": ParamSpec(_decimal, nullable=True),
        "premium.full_subsidy": ParamSpec(_decimal, nullable=True),
        "premium.student": ParamSpec(_decimal, nullable=True),
        "premium.newborn_subsidized": ParamSpec(_decimal, nullable=True),
        "newborn_subsidy_born_from": ParamSpec(_date, nullable=True),
        "newborn_subsidy_natural_years": ParamSpec(_int, nullable=True),
        "subsidy": ParamSpec(_decimal),
        "late_premium_mode": ParamSpec(_enum(LatePremiumMode), choices=_values(LatePremiumMode)),
        "fixed_wait": ParamSpec(_int),
        "fixed_wait_unit": ParamSpec(_enum(WaitUnit), choices=_values(WaitUnit)),
        "wait_applies_in_period_with_break": ParamSpec(_bool),
        "variable_wait_basis": ParamSpec(_enum(VariableWaitBasis), choices=_values(VariableWaitBasis)),
        "variable_wait_months_per_break_year": ParamSpec(_int),
        "repair_months_per_year": ParamSpec(_int),
        "repair_price_basis": ParamSpec(_enum(RepairPriceBasis), choices=_values(RepairPriceBasis)),
        "long_break_threshold_years": ParamSpec(_int),
        "long_break_min_total_wait_months": ParamSpec(_int),
        "break_year_count_from": ParamSpec(_int, nullable=True),
        "first_time_enrolee_has_break_years": ParamSpec(_bool),
        "waiting_carries_across_years": ParamSpec(_bool),
        "allow_payment_without_current_year_benefit": ParamSpec(_bool),
        "inpatient_anchor": ParamSpec(_enum(InpatientAnchor), choices=_values(InpatientAnchor)),
    },
    "exemptions": {
        "newborn_from_birth_days": ParamSpec(_int, nullable=True),
        "newborn_next_day_months": ParamSpec(_int, nullable=True),
        "subsidized_newborn_no_wait": ParamSpec(_bool),
        "veteran_window_months": ParamSpec(_int, nullable=True),
        "medical_assistance": ParamSpec(_bool),
        "clergy": ParamSpec(_bool),
        "event_window_days": ParamSpec(_int, nullable=True),
        "employee_gap_max_months": ParamSpec(_int, nullable=True),
        "employee_gap_min_continuous_months": ParamSpec(_int),
    },
    "employee": {
        "no_wait_max_gap": ParamSpec(_int),
        "wait_after_long_gap_months": ParamSpec(_int),
        "wait_granularity": ParamSpec(_enum(WaitGranularity), choices=_values(WaitGranularity)),
        "backpay_long_gap": ParamSpec(_enum(BackpayLongGap), choices=_values(BackpayLongGap)),
        "switch_min_continuous_months": ParamSpec(_int),
    },
    "flexible": {
        "payment_frequency": ParamSpec(_enum(PaymentFrequencyRule), choices=_values(PaymentFrequencyRule)),
        "block_if_resident_paid_same_year": ParamSpec(_bool),
        "contribution_base": ParamSpec(_decimal),
        "rate": ParamSpec(_decimal),
        "large_amount_monthly": ParamSpec(_decimal),
        "backpay_window_start": ParamSpec(_date, nullable=True),
        "backpay_window_end": ParamSpec(_date, nullable=True),
    },
    "ci": {
        "base_cap": ParamSpec(_decimal),
        "continuity_increment": ParamSpec(_decimal),
        "zero_claim_increment": ParamSpec(_decimal),
        "threshold_years": ParamSpec(_int),
        "max_increase_ratio": ParamSpec(_decimal),
        "count_years_before_2025": ParamSpec(_bool),
        "employee_years_count": ParamSpec(_bool),
        "zero_reset_on_break": ParamSpec(_bool),
        "break_reduction": ParamSpec(_decimal),
    },
}

PARAMETER_NAMES: frozenset[str] = frozenset(f"{group}.{key}" for group, keys in GROUPS.items() for key in keys)
"""Every dotted parameter name of section 12."""


def _split(name: str) -> tuple[str, str]:
    group, _, key = name.partition(".")
    return group, key


def _field_name(key: str) -> str:
    return key.replace(".", "_")


# --- building and validation -------------------------------------------------------------


def load_profiles_file(path: str | Path | None = None) -> dict[str, Any]:
    """Read a ``profiles.json`` file; return its ``profiles`` mapping (raw, unvalidated)."""
    file = Path(path) if path is not None else DEFAULT_PROFILES_PATH
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MalformedInput("profiles", f"cannot read {str(file)!r}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedInput("profiles", f"{str(file)!r} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
        raise MalformedInput("profiles", f"{str(file)!r} has no 'profiles' object")
    return cast(dict[str, Any], data["profiles"])


def build_profile(
    name: str,
    raw: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    *,
    field: str = "profile",
) -> Profile:
    """Validate a raw profile entry (plus ``params`` overrides) into a typed ``Profile``.

    Section 12: whole groups, no hidden defaults, enums, non-negative numbers, consistency;
    an unknown parameter name is malformed (also in overrides).
    """
    if not isinstance(raw, Mapping):
        raise MalformedInput(field, f"profile {name!r} is not an object")
    coverage_year = raw.get("coverage_year")
    if isinstance(coverage_year, bool) or not isinstance(coverage_year, int):
        raise MalformedInput(f"{field}.coverage_year", f"expected a year, got {coverage_year!r}")
    params = raw.get("params")
    if not isinstance(params, Mapping):
        raise MalformedInput(f"{field}.params", f"profile {name!r} has no params object")
    merged: dict[str, object] = dict(params)
    for key in params:
        if key not in PARAMETER_NAMES:
            raise MalformedInput(f"{field}.params.{key}", "unknown parameter")
    if overrides is not None:
        if not isinstance(overrides, Mapping):
            raise MalformedInput("params", "expected an object of dotted parameter names")
        for key, value in overrides.items():
            if key not in PARAMETER_NAMES:
                raise MalformedInput(f"params.{key}", "unknown parameter")
            merged[key] = value
    groups = {group: _build_group(group, merged, field, overrides or {}) for group in GROUPS}
    profile = Profile(
        name=name,
        coverage_year=coverage_year,
        resident=cast(ResidentParams | None, groups["resident"]),
        exemptions=cast(ExemptionParams | None, groups["exemptions"]),
        employee=cast(EmployeeParams | None, groups["employee"]),
        flexible=cast(FlexibleParams | None, groups["flexible"]),
        ci=cast(CiParams | None, groups["ci"]),
    )
    _check_consistency(profile, field)
    return profile


_GROUP_TYPES: dict[str, type[Any]] = {
    "resident": ResidentParams,
    "exemptions": ExemptionParams,
    "employee": EmployeeParams,
    "flexible": FlexibleParams,
    "ci": CiParams,
}


def _where(name: str, field: str, overrides: Mapping[str, Any]) -> str:
    return f"params.{name}" if name in overrides else f"{field}.params.{name}"


def _build_group(group: str, merged: Mapping[str, object], field: str, overrides: Mapping[str, Any]) -> object:
    specs = GROUPS[group]
    present = [key for key in specs if f"{group}.{key}" in merged]
    if not present:
        return None
    missing = [key for key in specs if f"{group}.{key}" not in merged]
    if missing:
        raise MalformedInput(f"{field}.params.{group}.{missing[0]}", f"missing parameter of the {group} group")
    values: dict[str, object] = {}
    for key, spec in specs.items():
        name = f"{group}.{key}"
        value = merged[name]
        where = _where(name, field, overrides)
        if value is None:
            if not spec.nullable:
                raise MalformedInput(where, "null is not allowed for this parameter")
            values[_field_name(key)] = None
        else:
            values[_field_name(key)] = spec.parse(value, where)
    return _GROUP_TYPES[group](**values)


def _check_consistency(profile: Profile, field: str) -> None:
    """Section 12 consistency rules."""
    where = f"{field}.params"
    res = profile.resident
    if res is not None:
        if not res.cp_start <= res.cp_end <= res.late_window_end <= year_end(profile.coverage_year):
            raise MalformedInput(
                f"{where}.resident.cp_start",
                "inconsistent profile: need cp_start <= cp_end <= late_window_end <= 12-31 of the coverage year",
            )
        trio = (res.premium_newborn_subsidized, res.newborn_subsidy_born_from, res.newborn_subsidy_natural_years)
        if any(v is None for v in trio) and any(v is not None for v in trio):
            raise MalformedInput(
                f"{where}.resident.premium.newborn_subsidized",
                "inconsistent profile: the newborn-subsidy parameters must be all null or all set",
            )
        if res.first_time_enrolee_has_break_years and res.break_year_count_from is None:
            raise MalformedInput(
                f"{where}.resident.first_time_enrolee_has_break_years",
                "inconsistent profile: needs resident.break_year_count_from",
            )
        if res.repair_months_per_year < 1:
            raise MalformedInput(f"{where}.resident.repair_months_per_year", "must be at least 1")
    flex = profile.flexible
    if flex is not None:
        start, end = flex.backpay_window_start, flex.backpay_window_end
        if (start is None) != (end is None) or (start is not None and end is not None and start > end):
            raise MalformedInput(
                f"{where}.flexible.backpay_window_start",
                "inconsistent profile: the back-payment window must be both null or an ordered pair",
            )


class ProfileBook:
    """The profiles of one ``profiles.json`` file, validated on first use and cached by name."""

    def __init__(self, raw_profiles: Mapping[str, Any]) -> None:
        self._raw = dict(raw_profiles)
        self._cache: dict[str, Profile] = {}

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> ProfileBook:
        """Load a ``profiles.json`` file (default: the project's copy)."""
        return cls(load_profiles_file(path))

    def names(self) -> list[str]:
        """The profile names in the file."""
        return list(self._raw)

    def get(self, name: str, overrides: Mapping[str, Any] | None = None) -> Profile:
        """The named profile with optional ``params`` overrides (section 12)."""
        if name not in self._raw:
            raise MalformedInput("profile", f"unknown profile {name!r}")
        if overrides:
            return build_profile(name, self._raw[name], overrides)
        if name not in self._cache:
            self._cache[name] = build_profile(name, self._raw[name])
        return self._cache[name]


def enum_value(enum_type: type[E], value: object, where: str) -> E:
    """Parse an enum value or raise ``MalformedInput`` (unknown enum value, 11.6)."""
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(str(e.value) for e in enum_type)
        raise MalformedInput(where, f"unknown value {value!r} (expected {allowed})") from None
