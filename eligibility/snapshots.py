"""The values of a person's stored status, computed from loaded facts and an in-memory policy index.

Both the single-person service and the nightly chunks compute statuses here; neither reads the
database per person: the facts come from `selectors.facts_for_persons`, the policies from one
`PolicyIndex` loaded per chunk.
"""

import datetime
import json
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db import connection

from eligibility.models import EligibilitySnapshot
from eligibility.rules import CiCapRequest, Person, Profile, evaluate
from eligibility.rules.status import RULES_VERSION, Status, status_on
from eligibility.selectors import PersonFacts, bigint_array
from payments.models import PolicyProfile, PolicyScope
from payments.policy import profile_of

# Regions without any configured profile still get a status; RULES.md's national grace is 3 months.
GRACE_WITHOUT_PROFILE = 3
ANY_PERSON = Person()


class PolicyIndex:
    """Every policy row, indexed by region and scope: lookups without queries."""

    def __init__(self, rows: list[PolicyProfile]) -> None:
        by_key: dict[tuple[str, str], list[tuple[int, datetime.date, PolicyProfile]]] = defaultdict(list)
        for row in rows:
            by_key[(row.region.code, row.scope)].append((row.coverage_year, row.effective_from, row))
        self._rows = {key: sorted(value, key=lambda item: (item[0], item[1])) for key, value in by_key.items()}
        self._keys = {key: [(year, start) for year, start, _ in value] for key, value in self._rows.items()}
        self._latest: dict[tuple[str, str, int], Profile | None] = {}

    @classmethod
    def load(cls) -> "PolicyIndex":
        return cls(list(PolicyProfile.objects.published().select_related("region")))

    def latest(self, *, region_code: str, up_to_year: int, scope: str) -> Profile | None:
        """The newest profile of a scope for a year or earlier (critical-illness parameters stay until replaced)."""
        key = (region_code, scope, up_to_year)
        if key not in self._latest:
            rows = self._rows.get((region_code, scope), [])
            position = bisect_right(self._keys.get((region_code, scope), []), (up_to_year, datetime.date.max))
            self._latest[key] = profile_of(rows[position - 1][2]) if position else None
        return self._latest[key]


@dataclass(frozen=True)
class SnapshotValues:
    """The stored status, as plain values (compared to decide whether anything changed)."""

    state: str
    scheme: str
    benefits_from: datetime.date | None
    benefit_end: datetime.date | None
    waiting_start: datetime.date | None
    waiting_end: datetime.date | None
    retro_from: datetime.date | None
    retro_to: datetime.date | None
    gap_months: int | None
    break_years: int | None
    continuous_years: int | None
    ci_cap: Decimal | None
    reasons: list[str]
    warnings: list[str]
    next_change_on: datetime.date | None
    rules_version: str


SNAPSHOT_FIELDS = [field.name for field in fields(SnapshotValues)]


def grace_months(*, facts: PersonFacts, as_of: datetime.date, policies: PolicyIndex) -> int:
    for scope in (PolicyScope.EMPLOYEE, PolicyScope.RESIDENT):
        profile = policies.latest(region_code=facts.region_code, up_to_year=as_of.year, scope=scope)
        if profile is not None and profile.employee is not None:
            return profile.employee.no_wait_max_gap
    return GRACE_WITHOUT_PROFILE


def ci_cap(*, facts: PersonFacts, year: int, policies: PolicyIndex) -> Decimal | None:
    """The critical-illness cap of the year, for a person with a resident premium for it (11.4)."""
    if year not in facts.history.index.resident_years:
        return None
    profile = policies.latest(region_code=facts.region_code, up_to_year=year, scope=PolicyScope.RESIDENT)
    if profile is None or profile.ci is None or profile.employee is None:
        return None
    # The cap reads history and claims only (rules.incentives), never the person: the nightly run
    # relies on it to compute one status for all persons with the same coverage_key.
    result = evaluate(
        CiCapRequest(year=year), person=ANY_PERSON, history=facts.history, claims=facts.claims, profile=profile
    )
    return result.ci_cap


def snapshot_values(
    *, facts: PersonFacts, as_of: datetime.date, policies: PolicyIndex
) -> tuple[Status, SnapshotValues]:
    """The status on `as_of`: a function of the region, grants, history and claims (the facts'
    `coverage_key`), not of the person's birth date, category or events."""
    status = status_on(
        as_of,
        grants=facts.grants,
        covered=facts.history.index.covered,
        grace_months=grace_months(facts=facts, as_of=as_of, policies=policies),
    )
    grant = status.grant
    values = SnapshotValues(
        state=status.state.value,
        scheme=status.scheme or "",
        benefits_from=None if grant is None else grant.benefits_from,
        benefit_end=None if grant is None else grant.last_benefit_day,
        waiting_start=None if grant is None else grant.waiting_start,
        waiting_end=None if grant is None else grant.waiting_end,
        retro_from=None if grant is None else grant.retro_from,
        retro_to=None if grant is None else grant.retro_to,
        gap_months=status.gap_months,
        break_years=None if grant is None else grant.break_years,
        continuous_years=None if grant is None else grant.continuous_years,
        ci_cap=ci_cap(facts=facts, year=as_of.year, policies=policies),
        reasons=list(status.reasons),
        warnings=[] if grant is None else list(grant.warnings),
        next_change_on=status.next_change_on,
        rules_version=RULES_VERSION,
    )
    return status, values


def stored_values(snapshot: object) -> SnapshotValues:
    return SnapshotValues(**{name: getattr(snapshot, name) for name in SNAPSHOT_FIELDS})


SNAPSHOT_TABLE = EligibilitySnapshot._meta.db_table
JSON_FIELDS = ("reasons", "warnings")


def stored_for_persons(person_ids: list[int]) -> dict[int, SnapshotValues]:
    """The stored statuses of the given persons (those that have one), by person id."""
    if connection.vendor != "postgresql":
        rows = EligibilitySnapshot.objects.filter(person_id__in=person_ids).values_list("person_id", *SNAPSHOT_FIELDS)
        return {row[0]: SnapshotValues(*row[1:]) for row in rows}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT person_id, {', '.join(SNAPSHOT_FIELDS)} FROM {SNAPSHOT_TABLE} WHERE person_id = ANY(%s::bigint[])",
            [bigint_array(person_ids)],
        )
        json_positions = [SNAPSHOT_FIELDS.index(name) for name in JSON_FIELDS]
        stored = {}
        for person_id, *values in cursor.fetchall():
            for position in json_positions:
                values[position] = json.loads(values[position])
            stored[person_id] = SnapshotValues(*values)
        return stored


def snapshots_write(
    changed: list[tuple[int, SnapshotValues]], *, as_of: datetime.date, computed_at: datetime.datetime
) -> None:
    """Insert or replace the given statuses (call inside a transaction).

    On PostgreSQL the rows go through COPY into a temporary table and one INSERT … ON CONFLICT:
    the ORM's bulk_create spends most of a nightly chunk's time preparing parameters.
    """
    if not changed:
        return
    if connection.vendor != "postgresql":
        EligibilitySnapshot.objects.bulk_create(
            [
                EligibilitySnapshot(person_id=person_id, as_of=as_of, computed_at=computed_at, **values.__dict__)
                for person_id, values in changed
            ],
            update_conflicts=True,
            unique_fields=["person"],
            update_fields=[*SNAPSHOT_FIELDS, "as_of", "computed_at"],
        )
        return
    columns = ["person_id", "as_of", "computed_at", *SNAPSHOT_FIELDS]
    json_positions = {3 + SNAPSHOT_FIELDS.index(name) for name in JSON_FIELDS}
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS snapshot_incoming (LIKE {SNAPSHOT_TABLE}) ON COMMIT DELETE ROWS"
        )
        json_texts: dict[tuple[str, ...], str] = {}  # a few distinct lists of rule IDs per chunk
        with cursor.copy(f"COPY snapshot_incoming ({', '.join(columns)}) FROM STDIN") as copy:
            for person_id, values in changed:
                row = [person_id, as_of, computed_at, *astuple_shallow(values)]
                for position in json_positions:
                    items = tuple(row[position])
                    text = json_texts.get(items)
                    if text is None:
                        text = json_texts[items] = json.dumps(list(items))
                    row[position] = text
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {SNAPSHOT_TABLE} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM snapshot_incoming "
            f"ON CONFLICT (person_id) DO UPDATE SET {updates}"
        )
        cursor.execute("DELETE FROM snapshot_incoming")


def astuple_shallow(values: SnapshotValues) -> list[object]:
    return [getattr(values, name) for name in SNAPSHOT_FIELDS]
