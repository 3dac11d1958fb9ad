"""Policy profiles in the database: validation and lookup (loading and the yearly workflow: `policy_years`).

The rules engine validates a profile completely (RULES.md section 12); the checks here come first
and phrase the mistakes clerks actually make (a window that ends before it starts, a negative
premium, an unknown option) in the user's language.
"""

import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from eligibility.rules import MalformedInput, Profile, build_profile
from eligibility.rules.profile import GROUPS
from payments.models import PolicyProfile, PolicyScope

DATA = Path(__file__).resolve().parent.parent / "eligibility" / "data"
WINDOWS = [
    ("resident.cp_start", "resident.cp_end"),
    ("resident.cp_end", "resident.late_window_end"),
    ("flexible.backpay_window_start", "flexible.backpay_window_end"),
]


def policy_params_check(params: Any) -> None:
    """Raise ValidationError listing the clerk-level mistakes in a parameter set (translated)."""
    if not isinstance(params, dict):
        raise ValidationError(_("The parameters must be an object of dotted names and values."))
    errors: list[str] = []
    for name, value in params.items():
        group, _dot, key = str(name).partition(".")
        if group not in GROUPS or key not in GROUPS[group]:
            errors.append(_("Unknown parameter %(name)s.") % {"name": name})
            continue
        choices = GROUPS[group][key].choices
        if choices and value not in choices:
            errors.append(
                _("%(name)s: %(value)s is not one of %(choices)s.")
                % {"name": name, "value": value, "choices": ", ".join(choices)}
            )
        if isinstance(value, int | float | str) and not isinstance(value, bool) and choices is None:
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                number = None
            if number is not None and number < 0:
                errors.append(_("%(name)s cannot be negative (%(value)s).") % {"name": name, "value": value})
    for start_name, end_name in WINDOWS:
        start, end = params.get(start_name), params.get(end_name)
        if isinstance(start, str) and isinstance(end, str) and end < start:
            errors.append(
                _("%(end_name)s (%(end)s) is before %(start_name)s (%(start)s).")
                % {"end_name": end_name, "end": end, "start_name": start_name, "start": start}
            )
    if errors:
        raise ValidationError(errors)


def policy_profile_build(*, name: str, coverage_year: int, params: Any) -> Profile:
    """Validate a parameter set completely and return the rules' profile; ValidationError if not."""
    policy_params_check(params)
    try:
        return build_profile(name, {"coverage_year": coverage_year, "params": params})
    except MalformedInput as error:
        raise ValidationError(_("The parameters are not a valid policy: %(problem)s") % {"problem": error}) from None


def policy_tiers_check(*, profile: Profile, tiers: Any) -> list[Decimal]:
    if tiers in (None, []):
        return []
    if not isinstance(tiers, list):
        raise ValidationError(_("Rate tiers must be a list of rates."))
    try:
        rates = [Decimal(str(t)) for t in tiers]
    except InvalidOperation:
        raise ValidationError(_("Rate tiers must be a list of rates.")) from None
    if profile.flexible is None:
        raise ValidationError(_("Rate tiers need the flexible-worker parameters."))
    if any(rate <= 0 or rate >= 1 for rate in rates):
        raise ValidationError(_("A rate tier must be between 0 and 1."))
    if profile.flexible.rate not in rates:
        raise ValidationError(_("The rate tiers must include the profile's own rate (flexible.rate)."))
    return rates


_built: dict[tuple[int, datetime.datetime], Profile] = {}


def profile_of(row: PolicyProfile) -> Profile:
    """The rules' profile of a stored row, built once per version of the row."""
    key = (row.pk, row.updated_at)
    if key not in _built:
        _built[key] = build_profile(row.name, {"coverage_year": row.coverage_year, "params": row.params})
    return _built[key]


class NoPolicy(LookupError):
    """No policy is configured for that region, year and scope; the message says which."""


def policy_row_in_force(rows: list[PolicyProfile], on: datetime.date | None) -> PolicyProfile:
    """Among one region's, year's and scope's rows (ordered by `effective_from`), the one in force
    on a day: the latest started, or the first when none has started yet."""
    started = [row for row in rows if on is None or row.effective_from <= on]
    return (started or rows)[-1]


def policy_row_for(*, region_code: str, year: int, scope: str, on: datetime.date | None = None) -> PolicyProfile:
    """The row in force for a region, coverage year and scope on a day (the latest started one)."""
    rows = list(
        PolicyProfile.objects.published()
        .filter(region__code=region_code, coverage_year=year, scope=scope)
        .order_by("effective_from")
    )
    if not rows:
        raise NoPolicy(
            _("No %(scope)s policy is configured for region %(region)s in %(year)s.")
            % {"scope": PolicyScope(scope).label, "region": region_code, "year": year}
        )
    return policy_row_in_force(rows, on)


def latest_policy_row(*, region_code: str, up_to_year: int, scope: str) -> PolicyProfile | None:
    """The newest row of a scope for a year or earlier (critical-illness parameters stay until replaced)."""
    return (
        PolicyProfile.objects.published()
        .filter(region__code=region_code, scope=scope, coverage_year__lte=up_to_year)
        .order_by("-coverage_year", "-effective_from")
        .first()
    )
