"""The hospitals' eligibility check: is a patient covered on a service date, and why?

Nothing here decides eligibility (see `eligibility/rules/`): the answer is the stored status when it
is known to hold on the judged day, otherwise the rules engine's status for that day, computed the
way the nightly run computes the stored one (`snapshot_values`), so both give the same answer.

- The judged day is the service date, or for an inpatient stay the admission date (RES-8b with
  `resident.inpatient_anchor = ADMISSION_DATE`, the only value RULES.md names): a stay admitted in
  the waiting period is self-paid as a whole, whatever day the service falls on.
- The fast path (the stored status still holds on the judged day, as it does for most persons on
  most days: see `stored_status_holds`) costs one query: the person with the stored status and
  whether a recompute is pending for them. Any other day is evaluated by the rules engine.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from eligibility.explanations import status_sentence
from eligibility.models import CoverageState, RecomputeRequest
from eligibility.rules.status import RULES_VERSION
from eligibility.selectors import person_facts
from eligibility.services import status_values
from eligibility.snapshots import JSON_FIELDS, SNAPSHOT_FIELDS, SNAPSHOT_TABLE, PolicyIndex, SnapshotValues
from enrollment.access_log import person_access_record
from enrollment.models import ApiClient, Person, PersonAccess

# The bounds of a service or admission date a hospital may ask about. Before 1990 there was no
# basic medical insurance to be covered by (the employee scheme dates from 1998), and the rules
# know nothing about payments more than a coverage year ahead: a date outside is a typing error.
EARLIEST_SERVICE_DATE = datetime.date(1990, 1, 1)
MAX_DAYS_AHEAD = 366


class Source(StrEnum):
    SNAPSHOT = "snapshot"
    RULES = "rules"


@dataclass(frozen=True)
class CheckAnswer:
    person_id: int
    covered: bool
    service_date: datetime.date
    judged_on: datetime.date
    inpatient: bool
    values: SnapshotValues
    reasons: tuple[str, ...]
    source: Source
    as_of: datetime.date | None
    """The day of the stored status (None when the person has none yet)."""

    @property
    def state(self) -> str:
        return self.values.state

    @property
    def scheme(self) -> str | None:
        return self.values.scheme or None

    @property
    def ci_cap(self) -> Decimal | None:
        return self.values.ci_cap

    @property
    def explanation(self) -> str:
        return check_explanation(self)


@dataclass(frozen=True)
class StoredStatus:
    person_id: int
    pending: bool
    """Whether a recompute request is waiting for the person (facts changed since `as_of`)."""
    as_of: datetime.date | None
    values: SnapshotValues | None


def service_date_bounds(*, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last service (or admission) date the check answers for."""
    return EARLIEST_SERVICE_DATE, today + datetime.timedelta(days=MAX_DAYS_AHEAD)


PERSON_TABLE = Person._meta.db_table
REQUEST_TABLE = RecomputeRequest._meta.db_table
STORED_SQL = (
    f"SELECT p.id, EXISTS(SELECT 1 FROM {REQUEST_TABLE} r WHERE r.person_id = p.id), s.as_of, "
    f"{', '.join('s.' + name for name in SNAPSHOT_FIELDS)} "
    f"FROM {PERSON_TABLE} p LEFT JOIN {SNAPSHOT_TABLE} s ON s.person_id = p.id WHERE p.id_number = %s"
)
JSON_POSITIONS = [SNAPSHOT_FIELDS.index(name) for name in JSON_FIELDS]


@dataclass(frozen=True)
class AccessEntry:
    """Who is reading, for the personal-data access log (`enrollment.access_log`)."""

    action: str
    channel: str
    user_id: int | None = None
    api_client_id: int | None = None


ACCESS_TABLE = PersonAccess._meta.db_table
ACCESS_INSERT = (
    f"INSERT INTO {ACCESS_TABLE} (at, person_id, channel, user_id, api_client_id, action) "
    "SELECT %s, found.id, %s, %s, %s, %s FROM found"
)


def check_person_find(
    *, id_number: str, regions: frozenset[int] | None, access: AccessEntry | None = None
) -> StoredStatus | None:
    """The person with this (normalised, valid) ID number in the given regions (None: every region),
    with the stored status and whether a recompute is pending, in one query; None when not found.
    With `access`, the access-log row of a person found is written by the same statement (on
    PostgreSQL, a data-modifying WITH): one round trip for the hospitals' whole question.

    Plain SQL: this is the hospitals' hot path, and building the equivalent ORM query (a join, an
    EXISTS) cost several times the query itself.
    """
    sql, params = STORED_SQL, [id_number]
    if regions is not None:
        if not regions:
            return None
        ordered = sorted(regions)
        sql += f" AND p.household_region_id IN ({', '.join(['%s'] * len(ordered))})"
        params += ordered
    logged_here = access is not None and connection.vendor == "postgresql"
    if logged_here:
        assert access is not None
        sql = f"WITH found AS ({sql}), logged AS ({ACCESS_INSERT}) SELECT * FROM found"
        params += [timezone.now(), access.channel, access.user_id, access.api_client_id, access.action[:60]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if access is not None and not logged_here:
        person_access_record(
            person_ids=[row[0]],
            action=access.action,
            channel=access.channel,
            user=None if access.user_id is None else get_user_model()(pk=access.user_id),
            api_client=None if access.api_client_id is None else ApiClient(pk=access.api_client_id),
        )
    person_id, pending, as_of, *stored = row
    values = None
    if as_of is not None:
        for position in JSON_POSITIONS:
            if isinstance(stored[position], str):
                stored[position] = json.loads(stored[position])
        values = SnapshotValues(*stored)
    return StoredStatus(person_id=person_id, pending=bool(pending), as_of=as_of, values=values)


def stored_status_holds(*, stored: StoredStatus, day: datetime.date) -> bool:
    """Whether the stored status is the rules' status on `day` (then no evaluation is needed).

    A recompute writes the snapshot only when its values change, so `as_of` is the day they last
    changed and they hold until `next_change_on`, the first day the status may change by itself
    (a waiting or benefit period ends, a gap passes the grace months, a new year begins). The one
    value that moves between those days is an interrupted person's gap, which grows every month:
    for them the stored status holds within its own month only. Nothing about the person may have
    changed since (no pending recompute request), under the current rules.
    """
    values = stored.values
    if values is None or stored.as_of is None or stored.pending or values.rules_version != RULES_VERSION:
        return False
    if not stored.as_of <= day or (values.next_change_on is not None and day >= values.next_change_on):
        return False
    if values.state == CoverageState.INTERRUPTED:
        return (day.year, day.month) == (stored.as_of.year, stored.as_of.month)
    return True


def eligibility_check(
    *,
    id_number: str,
    service_date: datetime.date,
    inpatient: bool,
    admission_date: datetime.date | None = None,
    regions: frozenset[int] | None,
    access: AccessEntry | None = None,
) -> CheckAnswer | None:
    """Is the person with this ID number covered for a service on `service_date`?

    `id_number` is already validated and normalised (`enrollment.identity.parse_id_number`). For an
    inpatient stay the admission date (default: the service date) is judged (RES-8b). Returns None
    when no such person is registered in `regions` (None: every region). With `access`, a person
    found is written to the access log (whatever the answer).
    """
    found = check_person_find(id_number=id_number, regions=regions, access=access)
    if found is None:
        return None
    judged_on = (admission_date or service_date) if inpatient else service_date
    if stored_status_holds(stored=found, day=judged_on):
        assert found.values is not None
        values, source = found.values, Source.SNAPSHOT
    else:
        values, source = check_values(person_id=found.person_id, day=judged_on), Source.RULES
    reasons = tuple(values.reasons) + (("RES-8b",) if inpatient else ())
    return CheckAnswer(
        person_id=found.person_id,
        covered=values.state == CoverageState.COVERED,
        service_date=service_date,
        judged_on=judged_on,
        inpatient=inpatient,
        values=values,
        reasons=reasons,
        source=source,
        as_of=found.as_of,
    )


def check_values(*, person_id: int, day: datetime.date) -> SnapshotValues:
    """The rules' status of the person on `day`, as the nightly run would store it."""
    _status, values = status_values(facts=person_facts(person_id=person_id), as_of=day, policies=PolicyIndex.load())
    return values


def _day(value: datetime.date | None) -> str:
    return "" if value is None else date_format(value, "DATE_FORMAT")


def _in_retro_window(values: SnapshotValues, day: datetime.date) -> bool:
    in_retro = values.retro_from is not None and values.retro_to is not None
    in_period = values.benefits_from is not None and values.benefits_from <= day
    return in_retro and values.retro_from <= day <= values.retro_to and not in_period  # type: ignore[operator]


def check_explanation(answer: CheckAnswer) -> str:
    """The answer in a few sentences, in the active language: the verdict, the day judged, where the
    person stands that day (the clerk's status sentence) and, for a stay admitted in the waiting
    period, why the whole stay is self-paid."""
    values, judged = answer.values, answer.judged_on
    parts = [
        (_("Covered on %(day)s.") if answer.covered else _("Not covered on %(day)s."))
        % {"day": _day(answer.service_date)}
    ]
    if answer.inpatient:
        parts.append(_("Inpatient stay: the admission date, %(day)s, decides (RES-8b).") % {"day": _day(judged)})
    if answer.covered and _in_retro_window(values, judged):
        parts.append(
            _("%(day)s lies in the retroactive window from %(start)s to %(end)s.")
            % {"day": _day(judged), "start": _day(values.retro_from), "end": _day(values.retro_to)}
        )
    parts.append(status_sentence(values))  # type: ignore[arg-type]
    if answer.inpatient and values.state == CoverageState.WAITING:
        parts.append(_("A stay admitted during the waiting period is self-paid as a whole."))
    return " ".join(parts)
