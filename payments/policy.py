"""Policy profiles in the database: validation, loading from profiles.json, and lookup.

The rules engine validates a profile completely (RULES.md section 12); the checks here come first
and phrase the mistakes clerks actually make (a window that ends before it starts, a negative
premium, an unknown option) in the user's language.
"""

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eligibility.rules import MalformedInput, Profile, build_profile
from eligibility.rules.profile import GROUPS
from enrollment.models import Region
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


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    skipped_regions: list[str]


def policy_profiles_load(*, profiles_path: Path | None = None, region_table_path: Path | None = None) -> LoadResult:
    """Load profiles.json into policy profiles for every region of the region table that exists.

    Idempotent: a second load finds the same rows and changes nothing. A profile serves a coverage
    year from 1 January of the year before (the centralized collection period starts then).
    """
    raw_profiles = json.loads((profiles_path or DATA / "profiles.json").read_text("utf-8"))["profiles"]
    table = json.loads((region_table_path or DATA / "region_profiles.json").read_text("utf-8"))["regions"]
    regions = {r.code: r for r in Region.objects.filter(code__in=list(table))}
    created = updated = 0
    with transaction.atomic():
        for code, years in table.items():
            region = regions.get(code)
            if region is None:
                continue
            for year_text, scopes in years.items():
                year = int(year_text)
                for scope, name in scopes.items():
                    raw = raw_profiles[name]
                    policy_profile_build(name=name, coverage_year=raw["coverage_year"], params=raw["params"])
                    values = {
                        "name": name,
                        "title": raw.get("title", ""),
                        "params": raw["params"],
                        "notes": "\n".join(raw.get("notes", [])),
                    }
                    row, was_created = PolicyProfile.objects.get_or_create(
                        region=region,
                        scope=scope,
                        coverage_year=year,
                        effective_from=datetime.date(year - 1, 1, 1),
                        defaults=values,
                    )
                    if was_created:
                        created += 1
                    elif any(getattr(row, k) != v for k, v in values.items()):
                        for key, value in values.items():
                            setattr(row, key, value)
                        row.save()
                        updated += 1
    return LoadResult(created=created, updated=updated, skipped_regions=sorted(set(table) - set(regions)))


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
        PolicyProfile.objects.filter(region__code=region_code, coverage_year=year, scope=scope).order_by(
            "effective_from"
        )
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
        PolicyProfile.objects.filter(region__code=region_code, scope=scope, coverage_year__lte=up_to_year)
        .order_by("-coverage_year", "-effective_from")
        .first()
    )
