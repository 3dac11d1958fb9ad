"""Aggregates for reporting (issue 8, point 4): counts and sums computed by PostgreSQL.

Each selector runs one GROUP BY query (`values()` + `annotate()`, buckets as `Case`/`When`); Python
only reshapes the grouped rows (orders them, fills empty buckets with zero, adds up the totals).
`insured_persons_count` runs a second, plain aggregate for its distinct-person total.

Every selector is scoped to the caller's regions with `scope_queryset`, along the same paths as the
admin: enrolments, payments and snapshots follow the person's household region, cases their handling
region. The results are counts, not persons, so nothing here writes the personal-data access log.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import CharField, Count, Max, Min, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from eligibility.models import CoverageState, EligibilitySnapshot
from enrollment.models import (
    OPEN_CASE_STATES,
    RUNNING_CASE_STATES,
    Case,
    Enrollment,
    EnrollmentStatus,
)
from enrollment.scoping import scope_queryset
from payments.models import Payment, PaymentStatus

UNKNOWN = "unknown"
PERSON_REGION = "person__household_region"


@dataclass(frozen=True)
class Bucket:
    """A range of whole numbers; `high` None means no upper bound."""

    label: str
    low: int
    high: int | None


# Gap months as stored on the snapshot: the full calendar months between the last covered month and
# the month of `as_of` (rules/status.py), so "0" is a person in the first uncovered month.
GAP_BUCKETS = (
    Bucket("0", 0, 0),
    Bucket("1", 1, 1),
    Bucket("2", 2, 2),
    Bucket("3", 3, 3),
    Bucket("4-6", 4, 6),
    Bucket("7-12", 7, 12),
    Bucket(">12", 13, None),
)

# Continuous years and the critical-illness incentive (RULES.md INC-2, INC-4; JX parameters):
# no continuity increment up to `ci.threshold_years` (4), one `ci.continuity_increment` (3,000) per
# year beyond it, and the increase stops at `ci.max_increase_ratio` × `ci.base_cap` (60,000 = 20
# increments, reached in year 24). So: each year up to the threshold on its own (who will gain the
# increment soon), then the years of a growing increment, then those at the maximum.
CONTINUITY_BUCKETS = (
    Bucket("0", 0, 0),
    Bucket("1", 1, 1),
    Bucket("2", 2, 2),
    Bucket("3", 3, 3),
    Bucket("4", 4, 4),
    Bucket("5-9", 5, 9),
    Bucket("10-23", 10, 23),
    Bucket("24+", 24, None),
)


@dataclass
class Aggregate:
    """Grouped rows and their totals (what the API returns besides the parameters)."""

    rows: list[dict[str, Any]]
    totals: dict[str, Any] = field(default_factory=dict)


def _bucket_expression(field_name: str, buckets: tuple[Bucket, ...]) -> models.Case:
    whens = [When(**{f"{field_name}__isnull": True}, then=Value(UNKNOWN))]
    for bucket in buckets:
        if bucket.high is None:
            condition = Q(**{f"{field_name}__gte": bucket.low})
        else:
            condition = Q(**{f"{field_name}__gte": bucket.low, f"{field_name}__lte": bucket.high})
        whens.append(When(condition, then=Value(bucket.label)))
    return models.Case(*whens, default=Value(UNKNOWN), output_field=CharField())


def _snapshots(*, user: Any, region_code: str | None, scheme: str | None) -> QuerySet[EligibilitySnapshot]:
    snapshots = scope_queryset(user=user, queryset=EligibilitySnapshot.objects.all(), region_path=PERSON_REGION)
    if region_code is not None:
        snapshots = snapshots.filter(person__household_region__code=region_code)
    if scheme is not None:
        snapshots = snapshots.filter(scheme=scheme)
    return snapshots


def _as_of_range(rows: list[dict[str, Any]]) -> dict[str, datetime.date | None]:
    lows = [row["as_of_min"] for row in rows if row["as_of_min"] is not None]
    highs = [row["as_of_max"] for row in rows if row["as_of_max"] is not None]
    return {"snapshot_as_of_min": min(lows, default=None), "snapshot_as_of_max": max(highs, default=None)}


def _bucketed(
    grouped: list[dict[str, Any]], buckets: tuple[Bucket, ...], *, low_key: str, high_key: str
) -> list[dict[str, Any]]:
    """Every bucket in order, zero when no row fell into it, "unknown" (no value stored) last."""
    counts = {row["bucket"]: row["persons"] for row in grouped}
    rows = [
        {"bucket": bucket.label, low_key: bucket.low, high_key: bucket.high, "persons": counts.get(bucket.label, 0)}
        for bucket in buckets
    ]
    rows.append({"bucket": UNKNOWN, low_key: None, high_key: None, "persons": counts.get(UNKNOWN, 0)})
    return rows


def insured_persons_count(
    *, user: Any, on: datetime.date, region_code: str | None = None, scheme: str | None = None
) -> Aggregate:
    """Persons with an enrolment in force on `on`, by enrolment region × scheme × coverage status.

    In force: `start_date ≤ on` and (`end_date` empty or `end_date ≥ on`): the end date is the last
    day of the enrolment (an approval that ends one sets it to the day before the next starts).
    Suspended enrolments (resident cover suspended by employee cover, SW-3) are left out, so a
    person counts once per scheme that actually covers them. The enrolment status is today's, not
    the status on `on`: for a past day an enrolment suspended since then is missed; ended and
    transferred-out enrolments always carry their end date and are judged by it.

    The coverage status is the stored one (`EligibilitySnapshot.state`), which the nightly job
    computed as of `snapshot.as_of`, not as of `on`: recomputing every person on an arbitrary day
    would mean running the rules engine in Python per person, which an aggregate must not. Each row
    and the totals therefore give the earliest and latest `as_of` of the statuses they count; when
    `on` lies outside that range the statuses describe another day, and the analyst should read
    them as "status at the last recompute". Persons without a snapshot count as "unknown".

    A person enrolled in two schemes on `on` (e.g. unit employee and, not suspended, resident)
    appears in both rows; `totals.persons` counts each person once, `totals.enrolments` each row.
    """
    enrolments = scope_queryset(user=user, queryset=Enrollment.objects.all(), region_path=PERSON_REGION)
    enrolments = (
        enrolments.filter(start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .exclude(status=EnrollmentStatus.SUSPENDED)
    )
    if region_code is not None:
        enrolments = enrolments.filter(region__code=region_code)
    if scheme is not None:
        enrolments = enrolments.filter(scheme=scheme)
    grouped = list(
        enrolments.annotate(
            coverage_state=Coalesce("person__eligibility__state", Value(UNKNOWN), output_field=CharField())
        )
        .values("region__code", "scheme", "coverage_state")
        .annotate(
            persons=Count("person_id", distinct=True),
            as_of_min=Min("person__eligibility__as_of"),
            as_of_max=Max("person__eligibility__as_of"),
        )
        .order_by("region__code", "scheme", "coverage_state")
    )
    rows = [
        {
            "region": row["region__code"],
            "scheme": row["scheme"],
            "coverage_state": row["coverage_state"],
            "persons": row["persons"],
            "snapshot_as_of_min": row["as_of_min"],
            "snapshot_as_of_max": row["as_of_max"],
        }
        for row in grouped
    ]
    distinct = enrolments.aggregate(persons=Count("person_id", distinct=True))
    return Aggregate(
        rows=rows,
        totals={
            "persons": distinct["persons"],
            "enrolments": sum(row["persons"] for row in rows),
            **_as_of_range(grouped),
        },
    )


def payments_by_channel_month(
    *,
    user: Any,
    date_from: datetime.date,
    date_to: datetime.date,
    region_code: str | None = None,
    scheme: str | None = None,
) -> Aggregate:
    """Recorded (not reversed) payments paid on `date_from`..`date_to` (both included), by channel ×
    month of `paid_on` (the Asia/Shanghai day): how many and how much. `region` is the payer's
    household region, as everywhere payments are scoped."""
    payments = scope_queryset(
        user=user,
        queryset=Payment.objects.filter(status=PaymentStatus.RECORDED, paid_on__range=(date_from, date_to)),
        region_path=PERSON_REGION,
    )
    if region_code is not None:
        payments = payments.filter(person__household_region__code=region_code)
    if scheme is not None:
        payments = payments.filter(scheme=scheme)
    grouped = list(
        payments.annotate(month=TruncMonth("paid_on"))
        .values("month", "channel")
        .annotate(payments=Count("pk"), amount=Sum("amount"))
        .order_by("month", "channel")
    )
    rows = [
        {
            "month": row["month"].strftime("%Y-%m"),
            "channel": row["channel"],
            "payments": row["payments"],
            "amount": row["amount"],
        }
        for row in grouped
    ]
    return Aggregate(
        rows=rows,
        totals={
            "payments": sum(row["payments"] for row in rows),
            "amount": sum((row["amount"] for row in rows), Decimal("0.00")),
        },
    )


def interruptions_by_gap(*, user: Any, region_code: str | None = None, scheme: str | None = None) -> Aggregate:
    """Persons whose stored status is "interrupted", by the length of the gap (`gap_months`, months
    without cover before the month of the snapshot's `as_of`): 0, 1, 2, 3, 4-6, 7-12, >12, and
    "unknown" when no gap is stored. Every bucket is present. `scheme` is the scheme of the last
    cover (the snapshot's)."""
    grouped = list(
        _snapshots(user=user, region_code=region_code, scheme=scheme)
        .filter(state=CoverageState.INTERRUPTED)
        .annotate(bucket=_bucket_expression("gap_months", GAP_BUCKETS))
        .values("bucket")
        .annotate(persons=Count("pk"), as_of_min=Min("as_of"), as_of_max=Max("as_of"))
        .order_by("bucket")
    )
    rows = _bucketed(grouped, GAP_BUCKETS, low_key="min_months", high_key="max_months")
    return Aggregate(rows=rows, totals={"persons": sum(row["persons"] for row in rows), **_as_of_range(grouped)})


def waiting_periods_ending(
    *, user: Any, today: datetime.date, days: int, region_code: str | None = None, scheme: str | None = None
) -> Aggregate:
    """Persons in a waiting period (stored status "waiting") whose waiting period ends on a day from
    `today` to `today + days` (both included), per day and scheme. Only days with at least one
    person are listed; the totals give the count per scheme."""
    grouped = list(
        _snapshots(user=user, region_code=region_code, scheme=scheme)
        .filter(state=CoverageState.WAITING, waiting_end__range=(today, today + datetime.timedelta(days=days)))
        .values("waiting_end", "scheme")
        .annotate(persons=Count("pk"), as_of_min=Min("as_of"), as_of_max=Max("as_of"))
        .order_by("waiting_end", "scheme")
    )
    rows = [{"waiting_end": row["waiting_end"], "scheme": row["scheme"], "persons": row["persons"]} for row in grouped]
    by_scheme: dict[str, int] = {}
    for row in rows:
        by_scheme[row["scheme"]] = by_scheme.get(row["scheme"], 0) + row["persons"]
    return Aggregate(
        rows=rows,
        totals={"persons": sum(by_scheme.values()), "by_scheme": by_scheme, **_as_of_range(grouped)},
    )


def continuity_distribution(
    *, user: Any, region_code: str | None = None, scheme: str | None = None, state: str | None = None
) -> Aggregate:
    """Persons by continuous years (`continuous_years` of the stored status), in the buckets of
    `CONTINUITY_BUCKETS` (chosen for the critical-illness incentive), "unknown" when none is stored
    (e.g. never enrolled). Every bucket is present. `state` limits to one stored status."""
    snapshots = _snapshots(user=user, region_code=region_code, scheme=scheme)
    if state is not None:
        snapshots = snapshots.filter(state=state)
    grouped = list(
        snapshots.annotate(bucket=_bucket_expression("continuous_years", CONTINUITY_BUCKETS))
        .values("bucket")
        .annotate(persons=Count("pk"), as_of_min=Min("as_of"), as_of_max=Max("as_of"))
        .order_by("bucket")
    )
    rows = _bucketed(grouped, CONTINUITY_BUCKETS, low_key="min_years", high_key="max_years")
    return Aggregate(rows=rows, totals={"persons": sum(row["persons"] for row in rows), **_as_of_range(grouped)})


def overdue_condition(*, as_of: datetime.date) -> Q:
    """The admin's overdue queue (`enrollment.cases.cases_overdue`, `Case.is_overdue`): the deadline
    passed while the case was with the agency; waiting for the resident stops the clock."""
    return Q(state__in=RUNNING_CASE_STATES, due_on__lt=as_of)


def cases_by_kind_state(*, user: Any, today: datetime.date, region_code: str | None = None) -> Aggregate:
    """Cases by kind × state (only the combinations that occur), with how many are overdue on `today`."""
    cases = scope_queryset(user=user, queryset=Case.objects.all(), region_path="region")
    if region_code is not None:
        cases = cases.filter(region__code=region_code)
    grouped = list(
        cases.values("kind", "state")
        .annotate(cases=Count("pk"), overdue=Count("pk", filter=overdue_condition(as_of=today)))
        .order_by("kind", "state")
    )
    rows = [
        {"kind": row["kind"], "state": row["state"], "cases": row["cases"], "overdue": row["overdue"]}
        for row in grouped
    ]
    open_states = {str(state) for state in OPEN_CASE_STATES}
    return Aggregate(
        rows=rows,
        totals={
            "cases": sum(row["cases"] for row in rows),
            "open": sum(row["cases"] for row in rows if row["state"] in open_states),
            "overdue": sum(row["overdue"] for row in rows),
        },
    )
