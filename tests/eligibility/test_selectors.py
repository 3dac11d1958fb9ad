"""Loading facts in bulk: the SQL path reads what the ORM path reads; equal coverage is shared."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from eligibility import nightly
from eligibility.models import ClaimYear, EligibilitySnapshot
from eligibility.nightly import recompute_persons
from eligibility.selectors import bigint_array, facts_for_persons
from eligibility.snapshots import snapshots_write, stored_for_persons
from enrollment.models import MilitaryService
from payments.models import LedgerEntry
from tests.eligibility.test_nightly import AS_OF, one_by_one, population, stored
from tests.factories import PersonEventFactory, PersonFactory, RegionFactory

pytestmark = pytest.mark.django_db
D = dt.date


def resident_years(person, region, years, **extra):
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            person=person, region=region, scheme="resident", period=D(y, 1, 1), paid_on=D(y - 1, 11, 1), **extra
        )
        for y in years
    )


def test_the_sql_path_reads_exactly_what_the_orm_path_reads(nanchang, policies):
    persons = population(nanchang, 60)
    PersonEventFactory(person=persons[1], kind="veteran_discharge", date=D(2025, 4, 10))
    PersonEventFactory(person=persons[1], kind="medical_assistance", date=D(2024, 2, 1), evidence="低保证 No. 7")
    MilitaryService.objects.create(
        person=persons[2], start_date=D(2015, 9, 1), end_date=D(2019, 8, 31), evidence="退役证 No. 1"
    )
    ClaimYear.objects.create(person=persons[3], year=2024, reimbursed=Decimal("0.00"), ci_reward_used=False)
    ClaimYear.objects.create(person=persons[3], year=2025, reimbursed=Decimal("120.00"), ci_reward_used=True)
    resident_years(persons[4], nanchang, [2012, 2013], counts_for_continuity=False, kind="back_payment")
    resident_years(
        persons[5], nanchang, [2011], voided_at=timezone.now(), void_reason="退款：重复缴费"
    )  # a voided row counts for nothing
    ids = [person.pk for person in persons]

    through_sql = facts_for_persons(ids)
    through_orm = facts_for_persons(ids, use_orm=True)

    assert through_sql == through_orm
    assert through_sql[persons[2].pk].history.index.covered != ()
    assert through_sql[persons[3].pk].claims.zero_reimbursement_years == frozenset({2024})
    assert [event.kind for event in through_sql[persons[1].pk].person.events] == [
        "medical_assistance",
        "veteran_discharge",
    ]


def test_persons_with_the_same_ledger_share_one_coverage(nanchang, policies):
    fuzhou = RegionFactory(code="361000", name_zh="抚州市", name_en="Fuzhou")
    first, second, elsewhere, other_years = (
        PersonFactory(household_region=nanchang, born=D(1960, 5, 1)),
        PersonFactory(household_region=nanchang, born=D(1999, 8, 9)),
        PersonFactory(household_region=fuzhou),
        PersonFactory(household_region=nanchang),
    )
    for person in (first, second, elsewhere):
        resident_years(person, person.household_region, range(2018, 2027))
    resident_years(other_years, nanchang, range(2019, 2027))

    facts = facts_for_persons([first.pk, second.pk, elsewhere.pk, other_years.pk])

    assert facts[first.pk].coverage_key == facts[second.pk].coverage_key
    assert facts[first.pk].history is facts[second.pk].history
    assert facts[first.pk].person != facts[second.pk].person
    assert facts[elsewhere.pk].coverage_key != facts[first.pk].coverage_key  # another region's policy
    assert facts[other_years.pk].coverage_key != facts[first.pk].coverage_key


def test_a_person_with_a_recorded_decision_has_no_shared_coverage(nanchang, policies):
    persons = population(nanchang, 10)  # the first two get a 2026 decision
    facts = facts_for_persons([person.pk for person in persons])
    assert facts[persons[0].pk].grants and facts[persons[0].pk].coverage_key is None


def test_a_chunk_computes_one_status_per_shared_coverage_and_stores_it_for_each(nanchang, policies, monkeypatch):
    persons = [PersonFactory(household_region=nanchang, born=D(1950 + i, 1, 15)) for i in range(6)]
    for person in persons[:4]:
        resident_years(person, nanchang, range(2020, 2026))  # the same four ledgers
    resident_years(persons[4], nanchang, range(2024, 2027))
    calls = []
    real = nightly.snapshot_values

    def counting(*, facts, as_of, policies):
        calls.append(facts.person_id)
        return real(facts=facts, as_of=as_of, policies=policies)

    monkeypatch.setattr(nightly, "snapshot_values", counting)
    result = recompute_persons(person_ids=[person.pk for person in persons], as_of=AS_OF)

    assert (result.examined, len(calls)) == (6, 3)
    assert stored(persons) == one_by_one(persons, AS_OF)


def test_snapshots_are_inserted_then_replaced_only_where_given(nanchang, policies):
    persons = population(nanchang, 4)
    expected = one_by_one(persons, AS_OF)
    first_write = timezone.now()
    snapshots_write([(p.pk, expected[p.pk]) for p in persons], as_of=AS_OF, computed_at=first_write)
    assert stored_for_persons([p.pk for p in persons]) == expected

    later = AS_OF + dt.timedelta(days=300)
    changed = one_by_one(persons[:1], later)
    snapshots_write([(persons[0].pk, changed[persons[0].pk])], as_of=later, computed_at=timezone.now())

    rows = {s.person_id: s for s in EligibilitySnapshot.objects.filter(person__in=persons)}
    assert stored_for_persons([persons[0].pk]) == changed and rows[persons[0].pk].as_of == later
    assert all(rows[p.pk].computed_at == first_write and rows[p.pk].as_of == AS_OF for p in persons[1:])
    assert EligibilitySnapshot.objects.count() == 4


def test_ids_travel_as_one_array_literal():
    assert bigint_array([3, 1, 20]) == "{3,1,20}"
    assert bigint_array([]) == "{}"
    with pytest.raises(ValueError):
        bigint_array(["1); DROP TABLE x; --"])
