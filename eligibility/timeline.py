"""The coverage timeline of the clerk's person page: per scheme, month by month, what was paid and
what the fund pays.

Nothing here decides eligibility. Each row has two strips:

- **contribution** (缴费), from the ledger as loaded into the facts: a month paid on time or in
  advance, back-paid (补缴, EMP-5 / SW-1: it counts for continuity), back-paid after a long gap
  (it counts for cumulative years only, RULES.md section 2, EMP-6 `ALLOWED_NO_BENEFIT`), a military
  service month (counted as covered everywhere), a month covered in another scheme, a gap (no
  scheme covers it, 4.2), not yet enrolled, or a future month not paid;
- **benefit** (待遇), from the decisions the rules took when each payment was recorded (the same
  grants `rules.status.status_on` reads): covered, covered without waiting thanks to a special-group
  exemption (section 6, RES-9a to RES-13), a retroactive window (CLM-1: services before the payment
  date that may be claimed), a waiting period, a paid month without benefit (late resident payment
  before its waiting period, back pay without benefit, a year with `NO_BENEFIT_THIS_YEAR`), not
  covered, or a future month nothing is known about.

Repair payments (修复, RES-7) buy no month, so they have no state of their own.

A resident premium pays a calendar year, but the year is shown month by month so that the rows of
all schemes line up. When the state changes inside a month (a waiting period ending on the 13th),
the cell shows the state of most of its days and its tooltip lists every part with its dates.

`timeline_build` is pure (facts and day in, dataclasses out); `coverage_timeline` loads the facts.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from django.utils.formats import date_format
from django.utils.translation import get_language, gettext, gettext_noop

from eligibility.rules.dates import (
    MONTHS_PER_YEAR,
    add_days,
    first_day,
    first_month_of_year,
    last_day,
    last_month_of_year,
    month_of,
)
from eligibility.rules.facts import Interval, MilitarySpan, contains, latest_before
from eligibility.rules.status import Grant
from eligibility.selectors import PersonFacts
from enrollment.models import Scheme


# A timeline has a few hundred cells, each with a label and a tooltip: translating and formatting
# the same few texts and dates again for each one was most of the time of the build.
@lru_cache(maxsize=1024)
def _translated(message: str, language: str | None) -> str:
    return gettext(message)


def _(message: str) -> str:
    """gettext, memoized per language (the name `_` keeps it visible to makemessages)."""
    return _translated(message, get_language())


@lru_cache(maxsize=4096)
def _formatted(value: datetime.date, form: str, language: str | None) -> str:
    return date_format(value, form)


def _day(value: datetime.date) -> str:
    return _formatted(value, "DATE_FORMAT", get_language())


def _month_text(month: int) -> str:
    return _formatted(first_day(month), "YEAR_MONTH_FORMAT", get_language())


DEFAULT_YEARS = 3
GRACE_WITHOUT_PROFILE = 3
MILITARY = "military"
# Section 6: rules that exempt a resident payment from every waiting period.
EXEMPTION_RULES = frozenset({"RES-9a", "RES-9b", "RES-9c", "RES-10", "RES-11", "RES-12", "RES-13"})
ROW_ORDER = (Scheme.RESIDENT, Scheme.EMPLOYEE_UNIT, Scheme.EMPLOYEE_FLEXIBLE, MILITARY)


class Contribution(StrEnum):
    PAID = "paid"
    BACK_PAID = "back_paid"
    BACK_PAID_CUMULATIVE = "back_paid_cumulative"
    MILITARY = "military"
    ELSEWHERE = "elsewhere"
    GAP = "gap"
    NOT_ENROLLED = "not_enrolled"
    FUTURE = "future"


class Benefit(StrEnum):
    COVERED = "covered"
    EXEMPT = "exempt"
    RETROACTIVE = "retroactive"
    WAITING = "waiting"
    NO_BENEFIT = "no_benefit"
    NOT_COVERED = "not_covered"
    FUTURE = "future"


CONTRIBUTION_LABELS = {
    Contribution.PAID: gettext_noop("paid"),
    Contribution.BACK_PAID: gettext_noop("back-paid"),
    Contribution.BACK_PAID_CUMULATIVE: gettext_noop("back-paid, cumulative years only"),
    Contribution.MILITARY: gettext_noop("military service"),
    Contribution.ELSEWHERE: gettext_noop("covered in another scheme"),
    Contribution.GAP: gettext_noop("gap"),
    Contribution.NOT_ENROLLED: gettext_noop("not enrolled"),
    Contribution.FUTURE: gettext_noop("future"),
}
BENEFIT_LABELS = {
    Benefit.COVERED: gettext_noop("covered"),
    Benefit.EXEMPT: gettext_noop("covered, exempt from waiting"),
    Benefit.RETROACTIVE: gettext_noop("retroactive"),
    Benefit.WAITING: gettext_noop("waiting period"),
    Benefit.NO_BENEFIT: gettext_noop("paid, no benefit"),
    Benefit.NOT_COVERED: gettext_noop("not covered"),
    Benefit.FUTURE: gettext_noop("future"),
}
# One or two characters printed in each cell, so that the bar reads without colour (print,
# colour-blind readers); the legend explains them.
CONTRIBUTION_MARKS = {
    Contribution.PAID: "●",
    Contribution.BACK_PAID: "◐",
    Contribution.BACK_PAID_CUMULATIVE: "◌",
    Contribution.MILITARY: "★",
    Contribution.ELSEWHERE: "·",
    Contribution.GAP: "✕",
    Contribution.NOT_ENROLLED: "",
    Contribution.FUTURE: "",
}
BENEFIT_MARKS = {
    Benefit.COVERED: "✓",
    Benefit.EXEMPT: "E",
    Benefit.RETROACTIVE: "R",
    Benefit.WAITING: "W",
    Benefit.NO_BENEFIT: "–",
    Benefit.NOT_COVERED: "",
    Benefit.FUTURE: "",
}
ROW_LABELS = {
    Scheme.RESIDENT: gettext_noop("resident insurance"),
    Scheme.EMPLOYEE_UNIT: gettext_noop("employee insurance (unit)"),
    Scheme.EMPLOYEE_FLEXIBLE: gettext_noop("employee insurance (flexible worker)"),
    MILITARY: gettext_noop("military service"),
}
# Short words for the rule IDs the decisions carry (RULES.md), for the tooltips.
RULE_WORDS = {
    "RECORDED": gettext_noop("period recorded without a decision (taken over or entered by a clerk)"),
    "RES-1": gettext_noop("premium by category"),
    "RES-2": gettext_noop("paid in the collection period, no waiting"),
    "RES-3": gettext_noop("late payment"),
    "RES-5": gettext_noop("fixed waiting period"),
    "RES-6": gettext_noop("variable waiting period for break years"),
    "RES-7": gettext_noop("repair shortens the waiting period"),
    "RES-8": gettext_noop("start of benefits after waiting"),
    "RES-8a": gettext_noop("year end and carried-over waiting"),
    "RES-9a": gettext_noop("newborn, covered from birth"),
    "RES-9b": gettext_noop("newborn before the first birthday"),
    "RES-9c": gettext_noop("subsidized newborn"),
    "RES-10": gettext_noop("veteran or veteran's family"),
    "RES-11": gettext_noop("medical-assistance recipient or religious personnel"),
    "RES-12": gettext_noop("short interruption of employee insurance"),
    "RES-13": gettext_noop("moved in, returned, released or graduate returned"),
    "SW-1": gettext_noop("switch of scheme after two continuous years"),
    "SW-3": gettext_noop("resident cover suspended by employee cover"),
    "EMP-5": gettext_noop("short gap: back pay allowed, no waiting"),
    "EMP-6": gettext_noop("long gap or first enrolment: waiting period"),
    "EMP-7": gettext_noop("outside the back-payment window"),
    "4.2": gettext_noop("interruption"),
    "4.5": gettext_noop("continuity reset"),
}


@dataclass(frozen=True)
class Segment:
    """A run of days of one month in one state."""

    start: datetime.date
    end: datetime.date
    state: str
    grant: Grant | None


@dataclass(frozen=True)
class Cell:
    month: int
    """DATE-7 month integer."""
    state: str
    label: str
    mark: str
    tooltip: str
    rules: tuple[str, ...] = ()
    partial: bool = False
    """The state changes inside the month (see the tooltip for the dates)."""
    future: bool = False
    current: bool = False

    @property
    def year(self) -> int:
        return self.month // MONTHS_PER_YEAR

    @property
    def month_number(self) -> int:
        return self.month % MONTHS_PER_YEAR + 1

    @property
    def iso(self) -> str:
        return f"{self.year:04d}-{self.month_number:02d}"


@dataclass(frozen=True)
class Row:
    scheme: str
    label: str
    contribution: tuple[Cell, ...]
    benefit: tuple[Cell, ...] | None
    """None for military service (it pays no benefit of its own)."""


@dataclass(frozen=True)
class MonthHeading:
    month: int
    label: str
    current: bool


@dataclass(frozen=True)
class LegendItem:
    strip: str
    state: str
    label: str
    mark: str


@dataclass(frozen=True)
class Timeline:
    as_of: datetime.date
    years: tuple[int, ...]
    months: tuple[MonthHeading, ...]
    rows: tuple[Row, ...]
    legend: tuple[LegendItem, ...]

    def cell(self, scheme: str, strip: str, iso_month: str) -> Cell:
        """The cell of a row's strip for month "YYYY-MM" (for tests and callers)."""
        row = next(r for r in self.rows if r.scheme == scheme)
        cells = row.contribution if strip == "contribution" else row.benefit
        assert cells is not None
        return next(c for c in cells if c.iso == iso_month)


def _rules_text(rules: Iterable[str]) -> str:
    words = [f"{rule} {_(RULE_WORDS[rule])}" if rule in RULE_WORDS else rule for rule in rules]
    return "; ".join(words)


def _with_rules(text: str, rules: tuple[str, ...]) -> str:
    return f"{text} ({_rules_text(rules)})" if rules else text


def _overlaps(grant: Grant, first: datetime.date, last: datetime.date) -> bool:
    starts = [d for d in (grant.retro_from, grant.waiting_start, grant.benefits_from) if d is not None]
    if grant.months:
        starts.append(first_day(grant.months[0][0]))
    ends = [d for d in (grant.retro_to, grant.waiting_end, grant.last_benefit_day) if d is not None]
    if grant.months:
        last_month = grant.months[-1][1]
        if grant.scheme_detail == Scheme.RESIDENT:  # one ledger row, 1 January, buys the year
            last_month = last_month_of_year(last_month // MONTHS_PER_YEAR)
        ends.append(last_day(last_month))
    return bool(starts and ends) and min(starts) <= last and max(ends) >= first


def _phase_on(grant: Grant, day: datetime.date) -> str | None:
    """What a grant says about a day: the retroactive window first (the days before the payment are
    claimed afterwards, even where the benefit period also reaches back to them), then the benefit
    period, then the waiting period (CLM-1, DATE-4 to DATE-6)."""
    if grant.retro_from is not None and grant.retro_to is not None and grant.retro_from <= day <= grant.retro_to:
        return Benefit.RETROACTIVE
    end = grant.last_benefit_day
    if grant.benefits_from is not None and end is not None and grant.benefits_from <= day <= end:
        return Benefit.EXEMPT if EXEMPTION_RULES.intersection(grant.reasons) else Benefit.COVERED
    if grant.waits_on(day):
        return Benefit.WAITING
    return None


_PHASE_RANK = {Benefit.RETROACTIVE: 3, Benefit.COVERED: 2, Benefit.EXEMPT: 2, Benefit.WAITING: 1}


def _month_segments(month: int, grants: list[Grant], *, paid: bool, future: bool) -> list[Segment]:
    first, last = first_day(month), last_day(month)
    relevant = [g for g in grants if _overlaps(g, first, last)]
    fallback = Benefit.NO_BENEFIT if paid else (Benefit.FUTURE if future else Benefit.NOT_COVERED)
    # The state can only change on a grant's boundary days: evaluate once per stretch between them.
    cuts = {first}
    for grant in relevant:
        end = grant.last_benefit_day
        for boundary in (
            grant.retro_from,
            None if grant.retro_to is None else add_days(grant.retro_to, 1),
            grant.benefits_from,
            None if end is None else add_days(end, 1),
            grant.waiting_start,
            None if grant.waiting_end is None else add_days(grant.waiting_end, 1),
        ):
            if boundary is not None and first < boundary <= last:
                cuts.add(boundary)
    starts = sorted(cuts)
    segments: list[Segment] = []
    for position, day in enumerate(starts):
        stretch_end = add_days(starts[position + 1], -1) if position + 1 < len(starts) else last
        state, chosen = fallback, None
        best = 0
        for grant in relevant:
            phase = _phase_on(grant, day)
            if phase is not None and _PHASE_RANK[phase] > best:
                state, chosen, best = phase, grant, _PHASE_RANK[phase]
        if segments and segments[-1].state == state and segments[-1].grant is chosen:
            segments[-1] = Segment(segments[-1].start, stretch_end, state, chosen)
        else:
            segments.append(Segment(day, stretch_end, state, chosen))
    return segments


def _main_segment_state(segments: list[Segment]) -> str:
    """The state of most days of the month; on a tie, the later one (what the month turns into)."""
    days: dict[str, int] = {}
    for segment in segments:
        days[segment.state] = days.get(segment.state, 0) + (segment.end - segment.start).days + 1
    best = max(days.values())
    return next(s.state for s in reversed(segments) if days[s.state] == best)


def _segment_text(segment: Segment, *, whole_month: bool) -> str:
    label = _(BENEFIT_LABELS[Benefit(segment.state)])
    grant = segment.grant
    if whole_month:
        text = label
    else:
        text = _("%(state)s %(start)s to %(end)s") % {
            "state": label,
            "start": _day(segment.start),
            "end": _day(segment.end),
        }
    if grant is None:
        return text
    if segment.state == Benefit.WAITING and grant.benefits_from is not None:
        text += _("; benefits from %(day)s") % {"day": _day(grant.benefits_from)}
    elif segment.state == Benefit.RETROACTIVE and grant.retro_to is not None:
        text += _("; services may be claimed back, payment received on %(day)s") % {"day": _day(grant.paid_on)}
    return _with_rules(text, grant.reasons)


def _benefit_cell(month: int, grants: list[Grant], *, paid_grant: Grant | None, as_of: datetime.date) -> Cell:
    current_month = month_of(as_of)
    future = month > current_month
    segments = _month_segments(month, grants, paid=paid_grant is not None, future=future)
    state = _main_segment_state(segments)
    whole = len(segments) == 1
    parts = [_segment_text(s, whole_month=whole) for s in segments]
    rules: list[str] = []
    for segment in segments:
        if segment.grant is not None:
            rules += [r for r in segment.grant.reasons if r not in rules]
    if whole and segments[0].grant is None and paid_grant is not None:
        # Paid but the fund pays nothing this month: say why from the payment's own decision.
        if month < month_of(paid_grant.paid_on) and paid_grant.months and "RECORDED" not in paid_grant.reasons:
            text = _("Paid on %(day)s: months before the payment carry no benefit") % {"day": _day(paid_grant.paid_on)}
        else:
            text = _(BENEFIT_LABELS[Benefit.NO_BENEFIT])
        parts = [_with_rules(text, paid_grant.reasons)]
        rules = list(paid_grant.reasons)
    return Cell(
        month=month,
        state=state,
        label=_(BENEFIT_LABELS[Benefit(state)]),
        mark=BENEFIT_MARKS[Benefit(state)],
        tooltip=f"{_month_text(month)}: " + " · ".join(parts),
        rules=tuple(rules),
        partial=not whole,
        future=future,
        current=month == current_month,
    )


def _gap_run(month: int, covered: tuple[Interval, ...], current_month: int) -> tuple[int, int, bool]:
    """The run of uncovered months around `month`: first, last, and whether it is still open (no
    later covered month; it then counts the whole months before the current one, as 4.2 does)."""
    before = latest_before(covered, month)
    start = (before + 1) if before is not None else month
    after = min((first for first, _last in covered if first > month), default=None)
    if after is None:
        return start, current_month - 1, True
    return start, after - 1, False


def _contribution_cell(
    month: int,
    *,
    scheme: str,
    paid_grant: Grant | None,
    military: tuple[Interval, ...],
    covered: tuple[Interval, ...],
    first_covered: int | None,
    grace_months: int,
    as_of: datetime.date,
) -> Cell:
    current_month = month_of(as_of)
    future = month > current_month
    rules: tuple[str, ...] = ()
    if scheme == MILITARY:
        if contains(military, month):
            state, text = Contribution.MILITARY, _("Military service: counts as a covered month in every scheme")
        else:
            state, text = _uncovered(month, covered, first_covered, current_month, grace_months)
    elif paid_grant is not None:
        state, text, rules = _paid_state(month, paid_grant, covered)
    elif contains(covered, month):
        state, text = Contribution.ELSEWHERE, _(CONTRIBUTION_LABELS[Contribution.ELSEWHERE])
    else:
        state, text = _uncovered(month, covered, first_covered, current_month, grace_months)
        if state == Contribution.GAP:
            rules = ("4.2",)
    return Cell(
        month=month,
        state=state,
        label=_(CONTRIBUTION_LABELS[state]),
        mark=CONTRIBUTION_MARKS[state],
        tooltip=f"{_month_text(month)}: {_with_rules(text, rules)}",
        rules=rules,
        future=future,
        current=month == current_month,
    )


def _paid_state(month: int, grant: Grant, covered: tuple[Interval, ...]) -> tuple[Contribution, str, tuple[str, ...]]:
    if "RECORDED" in grant.reasons:
        return Contribution.PAID, _("Paid (recorded period)"), grant.reasons
    paid_on = _day(grant.paid_on)
    back_paid = grant.scheme_detail != Scheme.RESIDENT and month < month_of(grant.paid_on)
    if back_paid and not contains(covered, month):
        return (
            Contribution.BACK_PAID_CUMULATIVE,
            _("Back-paid on %(day)s after a long gap: counts for cumulative years only, not for continuity")
            % {"day": paid_on},
            grant.reasons,
        )
    if back_paid:
        return Contribution.BACK_PAID, _("Back-paid on %(day)s") % {"day": paid_on}, grant.reasons
    if grant.scheme_detail == Scheme.RESIDENT:
        text = _("Resident premium for %(year)s paid on %(day)s") % {"year": month // MONTHS_PER_YEAR, "day": paid_on}
    else:
        text = _("Paid on %(day)s") % {"day": paid_on}
    return Contribution.PAID, text, grant.reasons


def _uncovered(
    month: int, covered: tuple[Interval, ...], first_covered: int | None, current_month: int, grace_months: int
) -> tuple[Contribution, str]:
    if month > current_month:
        return Contribution.FUTURE, _("Future month, not paid")
    if first_covered is None or month < first_covered:
        return Contribution.NOT_ENROLLED, _("No coverage yet in any scheme")
    start, end, open_run = _gap_run(month, covered, current_month)
    length = max(0, end - start + 1)
    if open_run:
        text = _("Interrupted since %(start)s: %(n)s whole months without cover in any scheme so far") % {
            "start": _month_text(start),
            "n": length,
        }
    else:
        text = _("Gap of %(n)s months without cover in any scheme (%(start)s to %(end)s)") % {
            "n": length,
            "start": _month_text(start),
            "end": _month_text(end),
        }
    if length > grace_months:
        text += "; " + _("more than %(grace)s months: continuity is interrupted (断保)") % {"grace": grace_months}
    return Contribution.GAP, text


def _paid_grant_of_month(grants: list[Grant], month: int) -> Grant | None:
    """The grant whose payment bought the month (the latest, should two of one scheme overlap)."""
    found = None
    for grant in grants:
        if _buys(grant, month) and (found is None or grant.paid_on >= found.paid_on):
            found = grant
    return found


def _buys(grant: Grant, month: int) -> bool:
    """Whether the grant's payment bought the month. A resident premium buys its whole year (the
    ledger keeps one row per year, dated 1 January: RULES.md section 1, coverage month)."""
    if grant.scheme_detail == Scheme.RESIDENT:
        year = month // MONTHS_PER_YEAR
        return any(start // MONTHS_PER_YEAR <= year <= end // MONTHS_PER_YEAR for start, end in grant.months)
    return contains(grant.months, month)


def _row_schemes(facts: PersonFacts, military: tuple[Interval, ...], extra: Iterable[str]) -> list[str]:
    present = {g.scheme_detail for g in facts.grants} | set(extra)
    if military:
        present.add(MILITARY)
    if not present:
        present.add(Scheme.RESIDENT)
    return [scheme for scheme in ROW_ORDER if scheme in present]


def _legend() -> tuple[LegendItem, ...]:
    items = [
        LegendItem("contribution", state.value, _(CONTRIBUTION_LABELS[state]), CONTRIBUTION_MARKS[state])
        for state in Contribution
    ]
    items += [LegendItem("benefit", state.value, _(BENEFIT_LABELS[state]), BENEFIT_MARKS[state]) for state in Benefit]
    return tuple(items)


def timeline_build(
    *,
    facts: PersonFacts,
    as_of: datetime.date,
    years: int = DEFAULT_YEARS,
    grace_months: int = GRACE_WITHOUT_PROFILE,
    schemes: Iterable[str] = (),
) -> Timeline:
    """The timeline from January of `as_of.year - (years - 1)` to December of `as_of.year`.

    `schemes` adds rows for schemes the person is enrolled in without any payment yet;
    `grace_months` is `employee.no_wait_max_gap` of the person's region (the gap tooltip says when
    a gap interrupts continuity).
    """
    if years < 1:
        raise ValueError("years must be at least 1")
    first_year = as_of.year - (years - 1)
    first, last = first_month_of_year(first_year), last_month_of_year(as_of.year)
    window_start, window_end = first_day(first), last_day(last)
    index = facts.history.index
    covered = index.covered
    first_covered = covered[0][0] if covered else None
    military = tuple((entry.first, entry.last) for entry in facts.history.entries if isinstance(entry, MilitarySpan))
    # Only the grants that touch the window are read month by month: a person with ten years of
    # monthly payments costs the same as one with three.
    in_window = [g for g in facts.grants if _overlaps(g, window_start, window_end)]
    rows = []
    for scheme in _row_schemes(facts, military, schemes):
        grants = [g for g in in_window if g.scheme_detail == scheme]
        contribution, benefit = [], []
        for month in range(first, last + 1):
            paid_grant = _paid_grant_of_month(grants, month)
            contribution.append(
                _contribution_cell(
                    month,
                    scheme=scheme,
                    paid_grant=paid_grant,
                    military=military,
                    covered=covered,
                    first_covered=first_covered,
                    grace_months=grace_months,
                    as_of=as_of,
                )
            )
            if scheme != MILITARY:
                benefit.append(_benefit_cell(month, grants, paid_grant=paid_grant, as_of=as_of))
        rows.append(
            Row(
                scheme=scheme,
                label=_(ROW_LABELS[scheme]) if scheme in ROW_LABELS else scheme,
                contribution=tuple(contribution),
                benefit=None if scheme == MILITARY else tuple(benefit),
            )
        )
    current = month_of(as_of)
    headings = tuple(
        MonthHeading(month=m, label=str(m % MONTHS_PER_YEAR + 1), current=m == current) for m in range(first, last + 1)
    )
    return Timeline(
        as_of=as_of,
        years=tuple(range(first_year, as_of.year + 1)),
        months=headings,
        rows=tuple(rows),
        legend=_legend(),
    )


def coverage_timeline(
    *,
    person_id: int,
    as_of: datetime.date,
    years: int = DEFAULT_YEARS,
    facts: PersonFacts | None = None,
    schemes: Iterable[str] = (),
) -> Timeline:
    """Load the person's facts (six queries, `selectors.facts_for_persons`) and the grace months of
    the region (one query), and build the timeline."""
    from eligibility.selectors import person_facts
    from eligibility.snapshots import PolicyIndex, grace_months

    facts = facts or person_facts(person_id=person_id)
    grace = grace_months(facts=facts, as_of=as_of, policies=PolicyIndex.load())
    return timeline_build(facts=facts, as_of=as_of, years=years, grace_months=grace, schemes=schemes)
