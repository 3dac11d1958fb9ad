"""Reminders: which persons should be told to act, and when (computed with each status).

`reminders_due` is pure: it reads the facts already loaded for the status, the status and the
in-memory policy index, and returns drafts, each scheduled for a day (`send_on`) that may lie in
the future. Scheduling ahead is what lets the incremental nightly run find everyone in time: it
recomputes a person only when marked or when the status may change by itself, and a reminder due
months later (a collection period opening in October) is created at a recompute long before.

`reminders_replace` makes the stored reminders of the recomputed persons equal to the drafts, in a
fixed number of statements for a whole chunk: open (pending or failed, not yet sent) reminders
that are no longer drafted are cancelled (kept, with status cancelled: the person paid, the
payment was reversed, the deadline passed), drafts not stored yet are inserted, identical ones
are left alone. A unique key (person, kind, subject day) over the reminders that are not
cancelled makes a second run insert nothing, and a reminder already sent is never sent again.

Rules used (RULES.md): 4.2/4.5 and EMP-5/EMP-6 (an interruption of more than
`employee.no_wait_max_gap` months resets continuity and brings a waiting period), EMP-7 (the
calendar back-payment window of flexible workers), RES-3/RES-5 (the centralized period, late
payment until `resident.late_window_end` with a waiting period), RES-4 (a year not paid by then
cannot be paid: a break year, RES-6), DATE-4..6 (the waiting periods of the grants).
"""

import datetime
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from eligibility.models import OPEN_NOTIFICATION_STATUSES, Notification, NotificationKind, NotificationStatus
from eligibility.rules.dates import first_day, format_month, last_day, month_index, month_of
from eligibility.rules.facts import contains
from eligibility.rules.status import State, Status
from eligibility.selectors import PersonFacts, bigint_array
from eligibility.snapshots import PolicyIndex, grace_months
from payments.models import PolicyScope

# How long before its subject day each reminder is sent. Product choices, not rule parameters.
GAP_LEAD = datetime.timedelta(days=30)
WAITING_LEAD = datetime.timedelta(days=7)
CLOSING_LEAD = datetime.timedelta(days=15)
ONE_DAY = datetime.timedelta(days=1)

Params = dict[str, str | int]


@dataclass(frozen=True)
class ReminderDraft:
    """A reminder as the rules see it today; `subject_on` is the deadline or day it is about."""

    person_id: int
    kind: NotificationKind
    subject_on: datetime.date
    send_on: datetime.date
    expires_on: datetime.date
    params: Params = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, str, datetime.date]:
        return (self.person_id, self.kind.value, self.subject_on)

    @property
    def fingerprint(self) -> str:
        """Identifies the whole content: a stored reminder with the same fingerprint is left alone."""
        days = [day.isoformat() for day in (self.subject_on, self.send_on, self.expires_on)]
        text = json.dumps([self.person_id, self.kind.value, *days, self.params], sort_keys=True)
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _employee_gap(
    *, facts: PersonFacts, status: Status, as_of: datetime.date, policies: PolicyIndex
) -> list[ReminderDraft]:
    """Employee contributions stopped: pay before the gap passes the grace months (4.2, 4.5, EMP-5/6),
    or, where a calendar back-payment window applies (EMP-7), before it closes."""
    if status.state != State.INTERRUPTED:
        return []
    index = facts.history.index
    month = month_of(as_of)
    if not index.covered or index.covered[-1][1] >= month:
        return []  # the current month is covered: nothing has lapsed
    last = index.covered[-1][1]
    if not contains(index.employee, last) or contains(index.resident, last):
        return []  # resident persons get the collection reminders instead
    grace = grace_months(facts=facts, as_of=as_of, policies=policies)
    # A payment in month R meets gap R - L - 1; it stays within the grace up to month L + grace + 1.
    deadline = last_day(last + grace + 1)
    params: Params = {"last_month": format_month(last), "grace": grace}
    windows = _backpay_windows(facts=facts, as_of=as_of, policies=policies)
    if windows is None:
        return [
            ReminderDraft(
                person_id=facts.person_id,
                kind=NotificationKind.GAP_DEADLINE,
                subject_on=deadline,
                send_on=deadline - GAP_LEAD,
                expires_on=deadline,
                params={**params, "deadline": deadline.isoformat(), "after": (deadline + ONE_DAY).isoformat()},
            )
        ]
    # EMP-7: outside the window any gap counts as a long one; inside it the grace still applies.
    for start, end in windows:
        subject = min(end, deadline)
        if start <= subject and as_of <= subject:
            return [
                ReminderDraft(
                    person_id=facts.person_id,
                    kind=NotificationKind.BACKPAY_WINDOW_CLOSES,
                    subject_on=subject,
                    send_on=max(start, subject - CLOSING_LEAD),
                    expires_on=subject,
                    params={**params, "deadline": subject.isoformat()},
                )
            ]
    return []


def _backpay_windows(
    *, facts: PersonFacts, as_of: datetime.date, policies: PolicyIndex
) -> list[tuple[datetime.date, datetime.date]] | None:
    """The EMP-7 windows of this year's and next year's profiles; None when none is in force now."""
    found: list[tuple[datetime.date, datetime.date]] = []
    for year in (as_of.year, as_of.year + 1):
        profile = policies.latest(region_code=facts.region_code, up_to_year=year, scope=PolicyScope.EMPLOYEE)
        if profile is None or (year > as_of.year and profile.coverage_year != year):
            continue
        flexible = profile.flexible
        if flexible is None or flexible.backpay_window_start is None or flexible.backpay_window_end is None:
            if year == as_of.year:
                return None
            continue
        found.append((flexible.backpay_window_start, flexible.backpay_window_end))
    return sorted(set(found)) if found else None


def _waiting_ends(*, facts: PersonFacts) -> list[ReminderDraft]:
    """A waiting period ends: benefits start the next day (DATE-4..6, CLM-1)."""
    drafts = []
    for grant in facts.grants:
        if grant.waiting_end is None or grant.benefits_from is None:
            continue
        start = grant.waiting_start or grant.waiting_end
        drafts.append(
            ReminderDraft(
                person_id=facts.person_id,
                kind=NotificationKind.WAITING_ENDS,
                subject_on=grant.waiting_end,
                send_on=max(start, grant.waiting_end - WAITING_LEAD),
                expires_on=grant.waiting_end,
                params={"waiting_end": grant.waiting_end.isoformat(), "benefits_from": grant.benefits_from.isoformat()},
            )
        )
    return drafts


def _resident_years(*, facts: PersonFacts, as_of: datetime.date, policies: PolicyIndex) -> list[ReminderDraft]:
    """A resident insured the year before who has not paid the year: the collection period opens,
    it closes (RES-3: later payments are late, RES-5: with a waiting period), and the last day the
    year can be paid at all (RES-3, RES-4: afterwards a break year, RES-6)."""
    index = facts.history.index
    drafts: list[ReminderDraft] = []
    for year in (as_of.year, as_of.year + 1):
        if year - 1 not in index.resident_years or year in index.covered_years:
            continue
        profile = policies.latest(region_code=facts.region_code, up_to_year=year, scope=PolicyScope.RESIDENT)
        if profile is None or profile.coverage_year != year or profile.resident is None:
            continue  # the year's parameters are not loaded yet: nothing to announce
        resident = profile.resident
        params: Params = {
            "year": year,
            "start": resident.cp_start.isoformat(),
            "end": resident.cp_end.isoformat(),
            "late_end": resident.late_window_end.isoformat(),
        }
        closes_send_on = max(resident.cp_start, resident.cp_end - CLOSING_LEAD)
        # (kind, subject day, send day, expiry day)
        schedule = [(NotificationKind.COLLECTION_CLOSES, resident.cp_end, closes_send_on, resident.cp_end)]
        if resident.cp_start < closes_send_on:
            # Not sent any more once the closing reminder is due: one message at a time.
            opens = (NotificationKind.COLLECTION_OPENS, resident.cp_start, resident.cp_start, closes_send_on - ONE_DAY)
            schedule.insert(0, opens)
        if resident.late_window_end > resident.cp_end:
            late_send_on = max(resident.cp_end + ONE_DAY, resident.late_window_end - CLOSING_LEAD)
            schedule.append(
                (NotificationKind.LATE_WINDOW_CLOSES, resident.late_window_end, late_send_on, resident.late_window_end)
            )
        drafts += [ReminderDraft(facts.person_id, *item, params=params) for item in schedule]
    return drafts


def reminders_due(
    *, facts: PersonFacts, status: Status, as_of: datetime.date, policies: PolicyIndex
) -> list[ReminderDraft]:
    """The reminders the person's situation calls for on `as_of` (pure: no database query).

    Each is scheduled for its `send_on`, possibly in the future; one whose `expires_on` has passed
    is not drafted (the recompute then cancels it if it was still pending).
    """
    drafts = [
        *_employee_gap(facts=facts, status=status, as_of=as_of, policies=policies),
        *_waiting_ends(facts=facts),
        *_resident_years(facts=facts, as_of=as_of, policies=policies),
    ]
    unique: dict[tuple[int, str, datetime.date], ReminderDraft] = {}
    for draft in drafts:
        if as_of <= draft.expires_on and draft.send_on <= draft.expires_on:
            unique.setdefault(draft.key, draft)
    return list(unique.values())


# --- storing ---------------------------------------------------------------------------------


def reminders_replace(*, person_ids: list[int], drafts: list[ReminderDraft], as_of: datetime.date) -> int:
    """Make the open reminders of `person_ids` equal to `drafts`; returns the number inserted.

    Call inside a transaction (the chunk's, or the single-person recompute's). Two statements on
    PostgreSQL whatever the number of persons and drafts: cancel the open reminders whose content
    is no longer drafted, then insert the drafts, skipping those whose (person, kind, subject day)
    is already alive (identical, sent, or unreachable). Sent reminders are never touched.
    """
    if not person_ids:
        return 0
    current: dict[tuple[int, str, datetime.date], ReminderDraft] = {}
    for draft in drafts:
        if draft.expires_on >= as_of:
            current.setdefault(draft.key, draft)
    now = timezone.now()
    # Content that changed (a new send day) is cancelled here and inserted again below.
    if _insert_with_unnest():
        _cancel_postgresql(person_ids, [draft.fingerprint for draft in current.values()], now=now)
        return _insert_postgresql(current.values(), now=now)
    Notification.objects.filter(person_id__in=person_ids, status__in=OPEN_NOTIFICATION_STATUSES).exclude(
        fingerprint__in=[draft.fingerprint for draft in current.values()]
    ).update(status=NotificationStatus.CANCELLED, cancelled_at=now, retry_at=None)
    alive = Notification.objects.filter(person_id__in=person_ids).exclude(status=NotificationStatus.CANCELLED)
    before = alive.count()
    Notification.objects.bulk_create([_row(draft) for draft in current.values()], ignore_conflicts=True)
    return alive.count() - before


def _insert_with_unnest() -> bool:
    """PostgreSQL inserts from arrays in one statement; other databases (the SQLite demo) use the ORM."""
    return connection.vendor == "postgresql"


def _cancel_postgresql(person_ids: list[int], keep_fingerprints: list[str], *, now: datetime.datetime) -> None:
    """The ORM's cancel with the ids as one array parameter: a chunk's ten thousand ids as IN-list
    parameters cost more to send and plan than the update itself."""
    q = connection.ops.quote_name
    sql = (
        f"UPDATE {q(Notification._meta.db_table)} SET status = %s, cancelled_at = %s, retry_at = NULL "
        "WHERE person_id = ANY(%s::bigint[]) AND status = ANY(%s::varchar[]) "
        "AND NOT (fingerprint = ANY(%s::varchar[]))"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                NotificationStatus.CANCELLED.value,
                now,
                bigint_array(person_ids),
                [str(status) for status in OPEN_NOTIFICATION_STATUSES],
                keep_fingerprints,
            ],
        )


def _row(draft: ReminderDraft) -> Notification:
    return Notification(
        person_id=draft.person_id,
        kind=draft.kind,
        subject_on=draft.subject_on,
        send_on=draft.send_on,
        expires_on=draft.expires_on,
        params=draft.params,
        fingerprint=draft.fingerprint,
    )


def _insert_postgresql(drafts: Iterable[ReminderDraft], *, now: datetime.datetime) -> int:
    """One INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING, even for no drafts (so a
    chunk's statement count does not depend on its data); returns the rows inserted."""
    rows = list(drafts)
    meta = Notification._meta
    q = connection.ops.quote_name
    columns = [meta.get_field(name).column for name in ("person", "kind", "subject_on", "send_on", "expires_on")]
    sql = (
        f"INSERT INTO {q(meta.db_table)} ({', '.join(q(c) for c in columns)}, {q('params')}, {q('fingerprint')}, "
        f"{q('status')}, {q('channels')}, {q('attempts')}, {q('last_error')}, {q('sent_text')}, {q('created_at')}) "
        "SELECT d.person_id, d.kind, d.subject_on, d.send_on, d.expires_on, d.params::jsonb, d.fingerprint, "
        "%s, '', 0, '', '', %s "
        "FROM unnest(%s::bigint[], %s::varchar[], %s::date[], %s::date[], %s::date[], %s::text[], %s::varchar[]) "
        "AS d(person_id, kind, subject_on, send_on, expires_on, params, fingerprint) "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                NotificationStatus.PENDING.value,
                now,
                [r.person_id for r in rows],
                [r.kind.value for r in rows],
                [r.subject_on for r in rows],
                [r.send_on for r in rows],
                [r.expires_on for r in rows],
                [json.dumps(r.params, sort_keys=True) for r in rows],
                [r.fingerprint for r in rows],
            ],
        )
        return max(cursor.rowcount, 0)


# --- texts -----------------------------------------------------------------------------------

DATE_PARAMS = {"deadline", "after", "waiting_end", "benefits_from", "start", "end", "late_end"}
MONTH_PARAMS = {"last_month"}


def _formatted(params: Params) -> dict[str, str | int]:
    values: dict[str, str | int] = {}
    for name, value in params.items():
        if name in DATE_PARAMS:
            values[name] = date_format(datetime.date.fromisoformat(str(value)), "DATE_FORMAT")
        elif name in MONTH_PARAMS:
            year, month = (int(part) for part in str(value).split("-"))
            values[name] = date_format(first_day(month_index(year, month)), "YEAR_MONTH_FORMAT")
        else:
            values[name] = value
    return values


def _texts(kind: str, params: Params) -> tuple[str, str]:
    p = _formatted(params)
    if kind == NotificationKind.GAP_DEADLINE:
        return (
            _("Pay by %(deadline)s to keep your cover continuous") % p,
            _(
                "Your employee medical insurance contributions stopped after %(last_month)s. Pay by %(deadline)s "
                "(continue employee insurance, or enrol in resident insurance) to keep your continuous years and "
                "avoid a waiting period. From %(after)s the interruption is longer than %(grace)s months: your "
                "continuous years start again from zero, and resuming employee insurance comes with a waiting period."
            )
            % p,
        )
    if kind == NotificationKind.BACKPAY_WINDOW_CLOSES:
        return (
            _("The back-payment period ends on %(deadline)s") % p,
            _(
                "Your employee medical insurance contributions stopped after %(last_month)s. The missed months can be "
                "paid back until %(deadline)s. A later payment is treated as an interruption of more than %(grace)s "
                "months: your continuous years start again from zero, and resuming employee insurance comes with a "
                "waiting period."
            )
            % p,
        )
    if kind == NotificationKind.WAITING_ENDS:
        return (
            _("Your waiting period ends on %(waiting_end)s") % p,
            _(
                "Your waiting period ends on %(waiting_end)s. From %(benefits_from)s the fund pays your medical costs "
                "under the rules; care received before that day, and hospital stays admitted before it, are not "
                "reimbursed."
            )
            % p,
        )
    if kind == NotificationKind.COLLECTION_OPENS:
        return (
            _("%(year)s resident medical insurance: the collection period is open") % p,
            _(
                "The collection period for %(year)s urban-rural resident medical insurance runs from %(start)s to "
                "%(end)s. Pay within it to keep your cover continuous without a waiting period. If you pay after "
                "%(end)s, a waiting period applies before the fund pays (special groups excepted)."
            )
            % p,
        )
    if kind == NotificationKind.COLLECTION_CLOSES:
        title = _("Pay your %(year)s resident medical insurance by %(end)s") % p
        if params.get("late_end") == params.get("end"):
            return title, _(
                "You have not yet paid urban-rural resident medical insurance for %(year)s. The collection period "
                "ends on %(end)s; after that day %(year)s can no longer be paid and becomes a break year."
            ) % p
        return title, _(
            "You have not yet paid urban-rural resident medical insurance for %(year)s. The collection period ends "
            "on %(end)s. If you pay later (until %(late_end)s at the latest), a waiting period applies before the "
            "fund pays (special groups excepted)."
        ) % p
    if kind == NotificationKind.LATE_WINDOW_CLOSES:
        return (
            _("Last day to pay %(year)s resident medical insurance: %(late_end)s") % p,
            _(
                "You have not paid urban-rural resident medical insurance for %(year)s. It can still be paid until "
                "%(late_end)s, with a waiting period before the fund pays. After that day %(year)s can no longer be "
                "paid: it becomes a break year, your continuous years start again from zero, and enrolling later "
                "comes with a longer waiting period."
            )
            % p,
        )
    raise ValueError(f"unknown reminder kind {kind!r}")


def reminder_text(notification: Notification, language: str | None = None) -> tuple[str, str]:
    """The title and text of a reminder in `language` (the active language when None)."""
    params: Params = dict(notification.params)
    if language is None:
        return _texts(notification.kind, params)
    with override(language):
        return _texts(notification.kind, params)
