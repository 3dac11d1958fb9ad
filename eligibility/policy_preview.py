"""What publishing a draft policy profile would change, before it is published.

For a sample of the region's persons the statuses and reminders are computed twice on the same
facts and day: under the published profiles, and under the published profiles with the draft
added (as if it were published). The difference is what publishing would change; the draft's own
year is also quoted for each person (premium, benefit start, end of the waiting period).
Nothing is written.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count

from eligibility.models import CoverageState, NotificationKind
from eligibility.reminders import ReminderDraft, reminders_due
from eligibility.rules import MalformedInput
from eligibility.selectors import PersonFacts, facts_for_persons
from eligibility.snapshots import PolicyIndex, snapshot_values
from enrollment.models import Person
from payments.models import PolicyProfile, PolicyScope
from payments.policy import profile_of
from payments.services import PaymentRefused, PaymentRequest, premium_quote_under

# Enough persons to show what moves in a region, few enough to answer within a page load
# (about 2 ms per person for two statuses, two reminder sets and a quote).
DEFAULT_SAMPLE_SIZE = 300
SHOWN_ROWS = 25


@dataclass(frozen=True)
class PreviewRow:
    person: Person
    premium: Decimal | None
    benefits_from: datetime.date | None
    waiting_end: datetime.date | None
    refusal: str
    state_now: str
    state_after: str
    reminders_now: list[str]
    reminders_after: list[str]

    @property
    def changes(self) -> bool:
        return self.state_now != self.state_after or self.reminders_now != self.reminders_after


@dataclass
class Preview:
    as_of: datetime.date
    pay_on: datetime.date
    persons_in_region: int
    sample_size: int
    rows: list[PreviewRow] = field(default_factory=list)
    statuses_changed: int = 0
    reminders_changed: int = 0
    status_moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    reminder_moves: Counter[tuple[str, int]] = field(default_factory=Counter)

    # Lists for the template: Django looks a dotted name up as a key first, and a Counter answers 0.
    @property
    def status_move_list(self) -> list[tuple[str, str, int]]:
        return [(before, after, count) for (before, after), count in self.status_moves.most_common()]

    @property
    def reminder_move_list(self) -> list[tuple[str, int, int]]:
        return [(kind, delta, count) for (kind, delta), count in self.reminder_moves.most_common()]


def _reminder_labels(drafts: list[ReminderDraft]) -> list[str]:
    return sorted(f"{NotificationKind(d.kind).label} {d.subject_on.isoformat()}" for d in drafts)


def _state_label(state: str) -> str:
    return str(CoverageState(state).label) if state in CoverageState.values else state


def preview_pay_day(*, row: PolicyProfile, as_of: datetime.date) -> datetime.date:
    """The day the draft's year is quoted on: today, but within the year's collection windows."""
    resident = profile_of(row).resident
    if resident is None:
        return max(as_of, datetime.date(row.coverage_year, 1, 1))
    return min(max(as_of, resident.cp_start), resident.late_window_end)


def _quote(
    person: Person, row: PolicyProfile, pay_on: datetime.date, facts: PersonFacts
) -> tuple[Decimal | None, datetime.date | None, datetime.date | None, str]:
    if row.scope == PolicyScope.RESIDENT:
        request = PaymentRequest.resident_year(row.coverage_year)
    else:
        # A flexible worker's year from the month they would pay in (EMP-1: to December).
        first_month = pay_on.month if pay_on.year == row.coverage_year else 1
        request = PaymentRequest.employee_months(
            datetime.date(row.coverage_year, first_month, 1), datetime.date(row.coverage_year, 12, 1)
        )
    try:
        quote = premium_quote_under(person=person, request=request, on=pay_on, policy_row=row, facts=facts)
    except (PaymentRefused, MalformedInput) as refusal:
        return None, None, None, str(refusal)
    if not quote.accepted:
        return None, None, None, quote.explanation
    return quote.amount, quote.result.benefits_from, quote.result.waiting_end, ""


def policy_preview(*, row: PolicyProfile, as_of: datetime.date, sample_size: int = DEFAULT_SAMPLE_SIZE) -> Preview:
    """Statuses, reminders and the year's quote of a sample of the region's persons, now and under `row`."""
    published = list(PolicyProfile.objects.published().select_related("region"))
    now = PolicyIndex(published)
    after = PolicyIndex([*published, row])
    persons = list(
        Person.objects.filter(household_region_id=row.region_id)
        .select_related("household_region")
        .order_by("pk")[:sample_size]
    )
    total = Person.objects.filter(household_region_id=row.region_id).aggregate(n=Count("pk"))["n"]
    pay_on = preview_pay_day(row=row, as_of=as_of)
    preview = Preview(as_of=as_of, pay_on=pay_on, persons_in_region=total, sample_size=len(persons))
    facts_by_person = facts_for_persons([person.pk for person in persons])
    for person in persons:
        facts = facts_by_person.get(person.pk)
        if facts is None:
            continue
        status_now, values_now = snapshot_values(facts=facts, as_of=as_of, policies=now)
        status_after, values_after = snapshot_values(facts=facts, as_of=as_of, policies=after)
        reminders_now = reminders_due(facts=facts, status=status_now, as_of=as_of, policies=now)
        reminders_after = reminders_due(facts=facts, status=status_after, as_of=as_of, policies=after)
        premium, benefits_from, waiting_end, refusal = _quote(person, row, pay_on, facts)
        preview_row = PreviewRow(
            person=person,
            premium=premium,
            benefits_from=benefits_from,
            waiting_end=waiting_end,
            refusal=refusal,
            state_now=_state_label(values_now.state),
            state_after=_state_label(values_after.state),
            reminders_now=_reminder_labels(reminders_now),
            reminders_after=_reminder_labels(reminders_after),
        )
        if values_now != values_after:
            preview.statuses_changed += 1
            preview.status_moves[(preview_row.state_now, preview_row.state_after)] += 1
        if preview_row.reminders_now != preview_row.reminders_after:
            preview.reminders_changed += 1
            kinds_now = Counter(d.kind for d in reminders_now)
            kinds_after = Counter(d.kind for d in reminders_after)
            for kind in set(kinds_now) | set(kinds_after):
                if kinds_after[kind] != kinds_now[kind]:
                    move = (str(NotificationKind(kind).label), kinds_after[kind] - kinds_now[kind])
                    preview.reminder_moves[move] += 1
        if len(preview.rows) < SHOWN_ROWS or (preview_row.changes and len(preview.rows) < 2 * SHOWN_ROWS):
            preview.rows.append(preview_row)
    return preview
