"""Policy years as a workflow: roll over, check, compare with last year, publish.

Each autumn a region's next coverage year is prepared from this year's profile: a roll-over makes
a draft with every window of the year's calendar moved one year on and the amounts kept; the
supervisor edits what the new notice changes, reads the findings (errors block, warnings ask for a
second look) and the differences from last year, and publishes. Only published profiles are used
by quotes, payments, statuses and reminders (`PolicyProfile.objects.published()`).
"""

import calendar
import datetime
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Region
from enrollment.selectors import work_calendar_missing_years
from payments.models import PolicyProfile, PolicyStatus
from payments.policy import DATA, policy_profile_build
from payments.policy_parameters import PARAMETERS, Kind

# Amounts that are a price or a cap: zero would mean "free" or "no cover", never a real standard.
MUST_BE_POSITIVE = ("resident.premium.ordinary", "flexible.contribution_base", "ci.base_cap")
# Shares: a rate of 1 or more would charge the whole base (or more).
SHARES = ("flexible.rate", "ci.max_increase_ratio", "ci.break_reduction")


class PolicyYearRefused(Exception):
    """A roll-over or publication cannot be done; `messages` say why, naming the parameters."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def date_one_year_on(day: datetime.date) -> datetime.date:
    """The same day a year later; the last day of a month stays the last day (28 Feb -> 29 Feb in a
    leap year, 29 Feb -> 28 Feb after it), because windows are set to month ends."""
    year = day.year + 1
    last = calendar.monthrange(year, day.month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return datetime.date(year, day.month, last)
    return datetime.date(year, day.month, min(day.day, last))


def params_rolled_over(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with every window of the coverage year moved one year on; amounts kept."""
    rolled = dict(params)
    for name, value in params.items():
        parameter = PARAMETERS.get(name)
        if parameter is not None and parameter.moves_with_year and isinstance(value, str):
            rolled[name] = date_one_year_on(datetime.date.fromisoformat(value)).isoformat()
    return rolled


def _next_year_text(text: str, year: int) -> str:
    return re.sub(rf"(?<!\d){year}(?!\d)", str(year + 1), text)


def rolled_over_name(name: str, year: int) -> str:
    renamed = _next_year_text(name, year)
    return renamed if renamed != name else f"{name}-{year + 1}"[:40]


@dataclass
class Findings:
    """What the checks found in a profile: errors block publishing, warnings ask for a second look."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _label(name: str) -> str:
    parameter = PARAMETERS.get(name)
    return f"{parameter.label} ({name})" if parameter is not None else name


def _date(params: dict[str, Any], name: str) -> datetime.date | None:
    value = params.get(name)
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _year_windows(*, year: int, effective_from: datetime.date | None, params: dict[str, Any]) -> list[str]:
    """Every window lies where its coverage year requires (RULES.md section 12)."""
    errors: list[str] = []
    year_start, year_end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    previous_start = datetime.date(year - 1, 1, 1)

    def outside(name: str, low: datetime.date, high: datetime.date, where: str) -> None:
        day = _date(params, name)
        if day is not None and not low <= day <= high:
            errors.append(
                _("%(parameter)s is %(day)s, but for coverage year %(year)s it must lie %(where)s.")
                % {"parameter": _label(name), "day": day.isoformat(), "year": year, "where": where}
            )

    between = _("between %(low)s and %(high)s")
    outside(
        "resident.cp_start",
        previous_start,
        year_end,
        between % {"low": previous_start.isoformat(), "high": year_end.isoformat()},
    )
    outside(
        "resident.cp_end",
        year_start,
        year_end,
        _("in %(year)s (the collection period ends on or after 1 January of the year)") % {"year": year},
    )
    outside("resident.late_window_end", year_start, year_end, _("in %(year)s") % {"year": year})
    outside("flexible.backpay_window_start", year_start, year_end, _("in %(year)s") % {"year": year})
    outside("flexible.backpay_window_end", year_start, year_end, _("in %(year)s") % {"year": year})
    born_from = _date(params, "resident.newborn_subsidy_born_from")
    if born_from is not None and born_from > year_end:
        errors.append(
            _("%(parameter)s is %(day)s, after the end of coverage year %(year)s.")
            % {"parameter": _label("resident.newborn_subsidy_born_from"), "day": born_from.isoformat(), "year": year}
        )
    count_from = params.get("resident.break_year_count_from")
    if isinstance(count_from, int) and not isinstance(count_from, bool) and count_from > year:
        errors.append(
            _("%(parameter)s is %(value)s, after coverage year %(year)s.")
            % {"parameter": _label("resident.break_year_count_from"), "value": count_from, "year": year}
        )
    if effective_from is not None and not previous_start <= effective_from <= year_end:
        errors.append(
            _(
                "The profile takes effect on %(day)s, but for coverage year %(year)s it must be between "
                "%(low)s and %(high)s."
            )
            % {
                "day": effective_from.isoformat(),
                "year": year,
                "low": previous_start.isoformat(),
                "high": year_end.isoformat(),
            }
        )
    for first, then in (
        ("resident.cp_start", "resident.cp_end"),
        ("resident.cp_end", "resident.late_window_end"),
        ("flexible.backpay_window_start", "flexible.backpay_window_end"),
    ):
        start, end = _date(params, first), _date(params, then)
        if start is not None and end is not None and end < start:
            errors.append(
                _("%(then)s (%(end)s) is before %(first)s (%(start)s).")
                % {"then": _label(then), "end": end.isoformat(), "first": _label(first), "start": start.isoformat()}
            )
    return errors


def _amounts_and_rates(params: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    for name in MUST_BE_POSITIVE:
        number = _number(params.get(name))
        if name in params and (number is None or number <= 0):
            errors.append(_("%(parameter)s must be more than 0.") % {"parameter": _label(name)})
    for name in SHARES:
        number = _number(params.get(name))
        if name in params and (number is None or not 0 <= number < 1):
            errors.append(
                _("%(parameter)s is a share and must be at least 0 and less than 1 (e.g. 0.065), not %(value)s.")
                % {"parameter": _label(name), "value": params.get(name)}
            )
    if "flexible.rate" in params and _number(params.get("flexible.rate")) == 0:
        errors.append(_("%(parameter)s must be more than 0.") % {"parameter": _label("flexible.rate")})
    return errors


def _changes_from_last_year(params: dict[str, Any], previous: dict[str, Any], share: Decimal) -> list[str]:
    warnings: list[str] = []
    for name, value in params.items():
        parameter = PARAMETERS.get(name)
        if parameter is None or parameter.kind not in (Kind.AMOUNT, Kind.RATE, Kind.COUNT):
            continue
        old, new = _number(previous.get(name)), _number(value)
        if old is None or new is None or old == new:
            continue
        if old == 0 or abs(new - old) / abs(old) > share:
            warnings.append(
                _("%(parameter)s changes from %(old)s to %(new)s, more than %(share)s%% of last year's value.")
                % {"parameter": _label(name), "old": previous.get(name), "new": value, "share": int(share * 100)}
            )
    return warnings


def policy_year_findings(
    *,
    coverage_year: int,
    effective_from: datetime.date | None,
    params: dict[str, Any],
    previous_params: dict[str, Any] | None,
) -> Findings:
    """Check a parameter set against its coverage year before it may be published.

    Errors: windows outside the year they belong to or out of order, amounts that must be positive,
    shares out of range. Warnings: a number that moved by more than `POLICY_CHANGE_WARNING_SHARE`
    of last year's value (a typing slip as often as a new policy).
    """
    findings = Findings()
    findings.errors.extend(_year_windows(year=coverage_year, effective_from=effective_from, params=params))
    findings.errors.extend(_amounts_and_rates(params))
    if previous_params:
        share = Decimal(str(settings.POLICY_CHANGE_WARNING_SHARE))
        findings.warnings.extend(_changes_from_last_year(params, previous_params, share))
    return findings


def previous_year_row(row: PolicyProfile) -> PolicyProfile | None:
    """The published profile of the same region and scope for the year before (the latest in force)."""
    return (
        PolicyProfile.objects.published()
        .filter(region_id=row.region_id, scope=row.scope, coverage_year=row.coverage_year - 1)
        .order_by("-effective_from")
        .first()
    )


def policy_row_findings(row: PolicyProfile) -> Findings:
    previous = previous_year_row(row)
    return policy_year_findings(
        coverage_year=row.coverage_year,
        effective_from=row.effective_from,
        params=row.params,
        previous_params=None if previous is None else previous.params,
    )


class Change:
    """How a parameter differs from last year's."""

    SAME = "same"
    MOVED = "moved"  # a window moved exactly one year on, as a roll-over does
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class DiffLine:
    name: str
    label: str
    old: Any
    new: Any
    change: str

    @property
    def is_change(self) -> bool:
        return self.change in (Change.CHANGED, Change.ADDED, Change.REMOVED)


def policy_diff(*, row: PolicyProfile, previous: PolicyProfile | None) -> list[DiffLine]:
    """Each parameter of `row` against last year's published profile: the same, moved one year on
    (windows), changed, added or removed; parameters in the order of section 12."""
    old_params = {} if previous is None else previous.params
    lines: list[DiffLine] = []
    names = [name for name in PARAMETERS if name in row.params or name in old_params]
    for name in names:
        old, new = old_params.get(name, _MISSING), row.params.get(name, _MISSING)
        if old is _MISSING:
            change = Change.ADDED
        elif new is _MISSING:
            change = Change.REMOVED
        elif old == new or _number(old) is not None and _number(old) == _number(new) and old is not None:
            change = Change.SAME
        elif PARAMETERS[name].moves_with_year and isinstance(old, str) and isinstance(new, str):
            moved = date_one_year_on(datetime.date.fromisoformat(old)).isoformat()
            change = Change.MOVED if moved == new else Change.CHANGED
        else:
            change = Change.CHANGED
        lines.append(
            DiffLine(
                name=name,
                label=str(PARAMETERS[name].label),
                old=None if old is _MISSING else old,
                new=None if new is _MISSING else new,
                change=change,
            )
        )
    return lines


_MISSING = object()


@dataclass(frozen=True)
class RolloverResult:
    created: list[PolicyProfile]
    skipped: list[str]


def policy_rollover(*, sources: list[PolicyProfile], actor: AbstractBaseUser | None) -> RolloverResult:
    """Next year's drafts of the given profiles: windows moved one year on, amounts kept, notes saying so.

    A region and scope that already has a profile for the next year is skipped (and named); a
    source that is itself a draft is refused, since nobody has checked it yet.
    """
    created: list[PolicyProfile] = []
    skipped: list[str] = []
    today = timezone.localdate()
    who = getattr(actor, "username", "") or _("the system")
    with transaction.atomic():
        for source in sources:
            year = source.coverage_year + 1
            label = f"{source.name} · {source.region.code}"
            if not source.is_published:
                skipped.append(_("%(profile)s is a draft: publish it before rolling it over.") % {"profile": label})
                continue
            if PolicyProfile.objects.filter(
                region_id=source.region_id, scope=source.scope, coverage_year=year
            ).exists():
                skipped.append(
                    _("%(profile)s: the region already has a %(scope)s profile for %(year)s.")
                    % {"profile": label, "scope": source.get_scope_display(), "year": year}
                )
                continue
            note = _(
                "Rolled over from %(source)s (%(year)s) by %(who)s on %(day)s: the collection and back-payment "
                "windows moved one year on; every other value is last year's until a published notice changes it."
            ) % {"source": source.name, "year": source.coverage_year, "who": who, "day": today.isoformat()}
            try:
                with transaction.atomic():
                    row = PolicyProfile.objects.create(
                        region=source.region,
                        scope=source.scope,
                        coverage_year=year,
                        effective_from=date_one_year_on(source.effective_from),
                        name=rolled_over_name(source.name, source.coverage_year),
                        title=_next_year_text(source.title, source.coverage_year),
                        params=params_rolled_over(source.params),
                        flexible_rate_tiers=list(source.flexible_rate_tiers),
                        notes="\n".join(part for part in (note, source.notes) if part),
                        status=PolicyStatus.DRAFT,
                        rolled_over_from=source,
                    )
            except IntegrityError:
                skipped.append(
                    _("%(profile)s: the region already has a %(scope)s profile for %(year)s.")
                    % {"profile": label, "scope": source.get_scope_display(), "year": year}
                )
                continue
            created.append(row)
    return RolloverResult(created=created, skipped=skipped)


def policy_publish(*, row: PolicyProfile, actor: AbstractBaseUser | None, warnings_accepted: bool = False) -> Findings:
    """Publish a draft after checking it completely; refused (PolicyYearRefused) with the errors, or
    with the warnings when they were not accepted. The caller starts the full recompute."""
    with transaction.atomic():
        locked = PolicyProfile.objects.select_for_update().get(pk=row.pk)
        if locked.is_published:
            raise PolicyYearRefused([_("This profile is already published.")])
        try:
            policy_profile_build(name=locked.name, coverage_year=locked.coverage_year, params=locked.params)
        except ValidationError as error:
            raise PolicyYearRefused(list(error.messages)) from None
        findings = policy_row_findings(locked)
        if findings.errors:
            raise PolicyYearRefused(findings.errors)
        if findings.warnings and not warnings_accepted:
            raise PolicyYearRefused(
                [_("Confirm that you have checked the warnings before publishing."), *findings.warnings]
            )
        locked.status = PolicyStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = actor if getattr(actor, "pk", None) else None
        # simple_history reads these (outside a request it knows no user).
        locked._change_reason = "published"  # type: ignore[attr-defined]
        locked._history_user = locked.published_by  # type: ignore[attr-defined]
        locked.save()
    row.refresh_from_db()
    return findings


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    skipped_regions: list[str]


# RULES.md's profiles (an exact copy of the shared rules), then the agency's later years.
PROFILE_FILES = (DATA / "profiles.json", DATA / "profiles_rolled_over.json")


def policy_profiles_load(
    *, profiles_paths: list[Path] | None = None, region_table_path: Path | None = None
) -> LoadResult:
    """Load the profiles files into policy profiles for every region of the region table that exists.

    A new row is created as a draft and published through the same checks as a supervisor's
    (`policy_publish`); the files are reviewed, so warnings are accepted. Idempotent: a second
    load finds the same rows and changes nothing. A profile serves a coverage year from 1 January
    of the year before (the centralized collection period starts then). One transaction: a file
    with one bad profile loads nothing.
    """
    raw_profiles: dict[str, Any] = {}
    for path in profiles_paths or PROFILE_FILES:
        raw_profiles.update(json.loads(Path(path).read_text("utf-8"))["profiles"])
    table = json.loads((region_table_path or DATA / "region_profiles.json").read_text("utf-8"))["regions"]
    regions = {r.code: r for r in Region.objects.filter(code__in=list(table))}
    created = updated = 0
    with transaction.atomic():
        # Years in order: a year's warnings compare it with the year before, published first.
        entries = sorted(
            (
                (code, int(year), scope, name)
                for code, years in table.items()
                for year, scopes in years.items()
                for scope, name in scopes.items()
            ),
            key=lambda entry: (entry[1], entry[0], entry[2]),
        )
        for code, year, scope, name in entries:
            region = regions.get(code)
            if region is None:
                continue
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
                try:
                    policy_publish(row=row, actor=None, warnings_accepted=True)
                except PolicyYearRefused as refusal:
                    raise ValidationError(
                        [f"{name} ({code}, {year}): {message}" for message in refusal.messages]
                    ) from None
                created += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(row, key, value)
                row.save()
                updated += 1
    return LoadResult(created=created, updated=updated, skipped_regions=sorted(set(table) - set(regions)))


@dataclass(frozen=True)
class YearReadiness:
    """What the product lacks for the coming year (and, late, for the current one).

    `warn` is on from `YEAR_END_WARNINGS_FROM` (1 September) to the year's end: next year's
    collection period opens in the autumn, and the work calendar's holidays are published then.
    """

    as_of: datetime.date
    next_year: int
    warn: bool
    regions_without_next_year: list[Region]
    regions_without_this_year: list[Region]
    calendar_missing_years: list[int]

    @property
    def messages(self) -> list[str]:
        texts: list[str] = []
        if self.regions_without_this_year:
            texts.append(
                _("No published policy profile for %(year)s (the current year): %(regions)s.")
                % {"year": self.as_of.year, "regions": ", ".join(map(str, self.regions_without_this_year))}
            )
        if self.warn and self.regions_without_next_year:
            texts.append(
                _("No published policy profile for %(year)s yet: %(regions)s. Roll this year over and publish it.")
                % {"year": self.next_year, "regions": ", ".join(map(str, self.regions_without_next_year))}
            )
        for year in self.calendar_missing_years:
            texts.append(
                _("The work calendar has no holidays for %(year)s: case deadlines in %(year)s count weekends only.")
                % {"year": year}
            )
        return texts


def _warnings_start(year: int) -> datetime.date:
    month, day = (int(part) for part in str(settings.YEAR_END_WARNINGS_FROM).split("-"))
    return datetime.date(year, month, day)


def year_readiness(*, as_of: datetime.date) -> YearReadiness:
    """Regions with a profile in force that lack next year's (from 1 September), regions that lack
    the current year's, and years the work calendar lacks (the current one, and next from 1 September).

    A region counts when it had a published profile of the scope the year before: a region that
    never had one is not the policy years' business.
    """
    warn = as_of >= _warnings_start(as_of.year)
    published = PolicyProfile.objects.published()
    years_by_key: dict[tuple[int, str], set[int]] = {}
    for region_id, scope, year in published.values_list("region_id", "scope", "coverage_year").distinct():
        years_by_key.setdefault((region_id, scope), set()).add(year)
    lacking_next: set[int] = set()
    lacking_this: set[int] = set()
    for (region_id, _scope), years in years_by_key.items():
        if as_of.year in years and as_of.year + 1 not in years:
            lacking_next.add(region_id)
        if as_of.year - 1 in years and as_of.year not in years:
            lacking_this.add(region_id)
    regions = Region.objects.in_bulk(lacking_next | lacking_this)
    calendar_years = [as_of.year, as_of.year + 1] if warn else [as_of.year]
    return YearReadiness(
        as_of=as_of,
        next_year=as_of.year + 1,
        warn=warn,
        regions_without_next_year=sorted((regions[pk] for pk in lacking_next), key=lambda r: r.code),
        regions_without_this_year=sorted((regions[pk] for pk in lacking_this), key=lambda r: r.code),
        calendar_missing_years=work_calendar_missing_years(years=calendar_years),
    )
