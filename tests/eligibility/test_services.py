import datetime as dt

import pytest

from eligibility.models import EligibilitySnapshot
from eligibility.rules import EmployeeKind, EmployeePayment, ResidentPayment
from eligibility.rules.dates import month_index
from eligibility.selectors import facts_for_persons
from eligibility.services import (
    decision_record,
    eligibility_covered_on,
    eligibility_evaluate,
    eligibility_recompute,
)
from payments.models import LedgerEntry
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def late_payer(nanchang, policies):
    """Paid 2023 and 2024 on time, then 2025 late on 1 March: waiting to 31 May (seed S2 example)."""
    person = PersonFactory(household_region=nanchang, born=D(1980, 5, 1))
    for year in (2023, 2024):
        LedgerEntry.objects.create(
            person=person, region=nanchang, scheme="resident", period=D(year, 1, 1), paid_on=D(year - 1, 11, 1)
        )
    action = ResidentPayment(year=2025, paid_on=D(2025, 3, 1))
    result, profile_name = eligibility_evaluate(person_id=person.pk, action=action)
    decision_record(person=person, action=action, result=result, profile_name=profile_name)
    return person


def test_profile_in_force_is_found_from_the_region_and_year(late_payer):
    result, profile_name = eligibility_evaluate(
        person_id=late_payer.pk, action=ResidentPayment(year=2026, paid_on=D(2025, 11, 1))
    )
    assert profile_name == "JX-2026"
    assert result.accepted and result.benefits_from == D(2026, 1, 1)


def test_recorded_payment_writes_the_year_to_the_ledger_with_its_decision(late_payer):
    entry = LedgerEntry.objects.get(person=late_payer, period=D(2025, 1, 1))
    assert entry.decision.benefits_from == D(2025, 6, 1)
    assert entry.decision.reasons and entry.amount_due == 400


@pytest.mark.parametrize(
    ("service_date", "admission_date", "covered", "reason"),
    [
        (D(2025, 6, 10), None, True, "CLM-1"),
        (D(2025, 5, 31), None, False, None),
        # Admitted during the waiting period: the whole stay is self-paid (RES-8b).
        (D(2025, 6, 10), D(2025, 5, 20), False, "RES-8b"),
        (D(2025, 6, 10), D(2025, 6, 1), True, "RES-8b"),
        (D(2026, 3, 1), None, False, "4.2"),
    ],
)
def test_covered_on_any_day_with_reasons(late_payer, service_date, admission_date, covered, reason):
    answer = eligibility_covered_on(person_id=late_payer.pk, service_date=service_date, admission_date=admission_date)
    assert answer.covered is covered
    if reason:
        assert reason in answer.reasons


def test_recompute_writes_only_when_the_status_changes(late_payer):
    first, written_first = eligibility_recompute(person_id=late_payer.pk, as_of=D(2025, 4, 1))
    _, written_again = eligibility_recompute(person_id=late_payer.pk, as_of=D(2025, 4, 2))
    changed, written_later = eligibility_recompute(person_id=late_payer.pk, as_of=D(2025, 6, 1))

    assert (written_first, written_again, written_later) == (True, False, True)
    assert first.state == "waiting" and first.waiting_end == D(2025, 5, 31) and first.next_change_on == D(2025, 6, 1)
    assert changed.state == "covered" and changed.next_change_on == D(2026, 1, 1)
    assert EligibilitySnapshot.objects.count() == 1


def test_recompute_reads_a_person_in_a_fixed_number_of_queries(nanchang, policies):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(months: int) -> int:
        person = PersonFactory(household_region=nanchang)
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                person=person,
                region=nanchang,
                scheme="employee_flexible",
                period=D(2023 + m // 12, m % 12 + 1, 1),
                paid_on=D(2023, 1, 5),
            )
            for m in range(months)
        )
        with CaptureQueriesContext(connection) as captured:
            eligibility_recompute(person_id=person.pk, as_of=D(2025, 2, 1))
        return len(captured)

    few, many = queries_for(1), queries_for(24)
    assert few == many <= 12


def test_facts_of_many_persons_load_in_six_queries(nanchang, django_assert_num_queries):
    persons = [PersonFactory(household_region=nanchang) for _ in range(5)]
    with django_assert_num_queries(6):
        facts = facts_for_persons([p.pk for p in persons])
    assert set(facts) == {p.pk for p in persons}


def test_back_paid_months_after_a_long_gap_count_for_cumulative_years_only(nanchang, policies):
    person = PersonFactory(household_region=nanchang)
    for month in range(1, 4):
        LedgerEntry.objects.create(
            person=person, region=nanchang, scheme="employee_flexible", period=D(2025, month, 1), paid_on=D(2025, 1, 5)
        )
    # Stopped after March; pays from August with back pay from April: gap of four months (Nanchang allows it).
    action = EmployeePayment(
        employee_kind=EmployeeKind.FLEXIBLE,
        paid_on=D(2025, 8, 5),
        cover_from=month_index(2025, 4),
        cover_to=month_index(2025, 12),
    )
    result, profile_name = eligibility_evaluate(person_id=person.pk, action=action)
    decision_record(person=person, action=action, result=result, profile_name=profile_name)

    back_paid = LedgerEntry.objects.filter(person=person, kind="back_payment")
    assert back_paid.count() == 4 and not back_paid.filter(counts_for_continuity=True).exists()
    assert "BACKPAY_NO_BENEFIT" in result.warnings


def test_a_stored_continuity_reset_is_honoured_by_later_evaluations(nanchang, policies):
    # given: unit employee 2020-01 to 2025-01, then resident 2025 paid on 10 June (gap 4: reset, S27)
    person = PersonFactory(household_region=nanchang, born=D(1985, 3, 3))
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            person=person,
            region=nanchang,
            scheme="employee_unit",
            period=D(2020 + m // 12, m % 12 + 1, 1),
            paid_on=D(2020, 1, 1),
        )
        for m in range(61)
    )
    june = ResidentPayment(year=2025, paid_on=D(2025, 6, 10))
    result, profile_name = eligibility_evaluate(person_id=person.pk, action=june)
    assert "CONTINUITY_RESET" in result.warnings
    decision_record(person=person, action=june, result=result, profile_name=profile_name)

    # when: the 2026 premium is paid in the period; the 2025 year now hides the interruption
    next_year, _ = eligibility_evaluate(person_id=person.pk, action=ResidentPayment(year=2026, paid_on=D(2025, 11, 1)))

    # then: continuity counts from the reset (2025, 2026), not from 2020
    assert next_year.continuous_years == 2


def test_a_recorded_decision_keeps_its_explanation_in_both_languages(late_payer):
    decision = late_payer.benefit_decisions.get()
    assert "2025年6月1日" in decision.explanation_in("zh-hans")
    assert "1 June 2025" in decision.explanation_in("en")


def test_periods_recorded_without_a_decision_are_covered_over_the_period(nanchang, policies):
    # History taken over from the previous system has ledger rows but no decision of ours.
    person = PersonFactory(household_region=nanchang)
    LedgerEntry.objects.create(
        person=person, region=nanchang, scheme="resident", period=D(2025, 1, 1), paid_on=D(2024, 12, 1)
    )
    for month in (3, 4):
        LedgerEntry.objects.create(
            person=person, region=nanchang, scheme="employee_unit", period=D(2026, month, 1), paid_on=D(2026, month, 5)
        )

    assert eligibility_covered_on(person_id=person.pk, service_date=D(2025, 6, 1)).covered
    january = eligibility_covered_on(person_id=person.pk, service_date=D(2026, 1, 15))
    assert not january.covered and january.state == "interrupted"
    april = eligibility_covered_on(person_id=person.pk, service_date=D(2026, 4, 30))
    assert april.covered and april.scheme == "employee_unit" and "RECORDED" in april.reasons
