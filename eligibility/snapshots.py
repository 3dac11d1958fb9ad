"""The values of a person's stored status, computed from loaded facts and an in-memory policy index.

Both the single-person service and the nightly chunks compute statuses here; neither reads the
database per person: the facts come from `selectors.facts_for_persons`, the policies from one
`PolicyIndex` loaded per chunk.
"""

import datetime
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, fields
from decimal import Decimal

from eligibility.rules import CiCapRequest, Profile, evaluate
from eligibility.rules.status import RULES_VERSION, Status, status_on
from eligibility.selectors import PersonFacts
from payments.models import PolicyProfile, PolicyScope
from payments.policy import profile_of

# Regions without any configured profile still get a status; RULES.md's national grace is 3 months.
GRACE_WITHOUT_PROFILE = 3


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
        return cls(list(PolicyProfile.objects.select_related("region")))

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
    result = evaluate(
        CiCapRequest(year=year), person=facts.person, history=facts.history, claims=facts.claims, profile=profile
    )
    return result.ci_cap


def snapshot_values(
    *, facts: PersonFacts, as_of: datetime.date, policies: PolicyIndex
) -> tuple[Status, SnapshotValues]:
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
