"""The public scenarios through the database: facts stored as rows, evaluated by the services.

For every scenario the person, events, history (as ledger rows and military service) and claims
are written to PostgreSQL; `eligibility_evaluate` must give exactly the runner's output. Each
accepted payment is then recorded, and the status recomputed on the payment day must carry the
same dates and counts.
"""

import datetime
import json
from pathlib import Path

import pytest

from eligibility.models import BenefitDecision, ClaimYear, EligibilitySnapshot
from eligibility.rules import CiCapRequest, EmployeeSpan, MilitarySpan, ResidentYears
from eligibility.rules.dates import first_day, last_day, month_of
from eligibility.rules.profile import ProfileBook
from eligibility.rules.scenarios import parse_scenario
from eligibility.services import decision_record, eligibility_covered_on, eligibility_evaluate, eligibility_recompute
from enrollment.models import MilitaryService, PersonEvent, Scheme
from payments.models import LedgerEntry
from payments.policy_years import policy_profiles_load
from tests.factories import PersonFactory, RegionFactory, make_id_number

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
# public.json: the worked cases of RULES.md; reviewed.json: 147 cases written from RULES.md by an
# independent reviewer, expected values computed by hand (docs/scenarios-reviewed-worksheet.md).
SCENARIOS = [
    scenario
    for name in ("public.json", "reviewed.json")
    for scenario in json.loads((SCENARIO_DIR / name).read_text("utf-8"))
]
BOOK = ProfileBook.from_file()
REGION_OF_PROFILE = {"JX": "360100", "NC": "360100", "GZ": "520100", "S2": "130700"}

pytestmark = pytest.mark.django_db


def store_facts(raw: dict, scenario) -> int:
    region_code = REGION_OF_PROFILE[str(raw.get("profile", "JX"))[:2]]
    region = RegionFactory(code=region_code, name_zh=region_code, name_en=region_code)
    policy_profiles_load()
    birth = scenario.person.birth_date or datetime.date(1980, 5, 1)
    person = PersonFactory(
        id_number=make_id_number(birth_date=birth),
        household_region=region,
        category=scenario.person.category.value if scenario.person.category else "ordinary",
    )
    for event in scenario.person.events:
        PersonEvent.objects.create(person=person, kind=event.kind.value, date=event.date, evidence="scenario")
    rows = []
    for entry in scenario.history.entries:
        if isinstance(entry, ResidentYears):
            decision = None
            if entry.benefits_from is not None:
                # A year whose benefits started late was decided when it was paid: keep that decision.
                decision = BenefitDecision.objects.create(
                    person=person,
                    action_kind="resident_payment",
                    scheme=Scheme.RESIDENT,
                    coverage_year=entry.years[0],
                    paid_on=entry.benefits_from,
                    profile_name="history",
                    benefits_from=entry.benefits_from,
                    benefit_end=datetime.date(entry.years[0], 12, 31),
                    rules_version="1",
                )
            rows += [
                LedgerEntry(
                    person=person,
                    region=region,
                    scheme=Scheme.RESIDENT,
                    period=datetime.date(year, 1, 1),
                    paid_on=datetime.date(year - 1, 12, 1),
                    decision=decision,
                )
                for year in entry.years
            ]
        elif isinstance(entry, EmployeeSpan):
            scheme = Scheme.EMPLOYEE_UNIT if entry.kind.value == "unit" else Scheme.EMPLOYEE_FLEXIBLE
            rows += [
                LedgerEntry(
                    person=person, region=region, scheme=scheme, period=first_day(month), paid_on=first_day(month)
                )
                for month in range(entry.first, entry.last + 1)
            ]
        elif isinstance(entry, MilitarySpan):
            MilitaryService.objects.create(
                person=person, start_date=first_day(entry.first), end_date=last_day(entry.last), evidence="scenario"
            )
    # Overlapping history entries are allowed by the format; the ledger holds a period once.
    unique = {(row.scheme == Scheme.RESIDENT, row.period): row for row in rows}
    LedgerEntry.objects.bulk_create(unique.values())
    years = scenario.claims.zero_reimbursement_years | scenario.claims.ci_reward_used_years
    for year in years:
        ClaimYear.objects.create(
            person=person,
            year=year,
            reimbursed="0.00" if year in scenario.claims.zero_reimbursement_years else "1200.00",
            ci_reward_used=year in scenario.claims.ci_reward_used_years,
        )
    return person.pk


@pytest.mark.parametrize("raw", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario_gives_the_same_answer_from_database_rows(raw):
    # given
    scenario = parse_scenario(raw, BOOK)
    expected = scenario.evaluate()
    person_id = store_facts(raw, scenario)

    # when
    result, _ = eligibility_evaluate(person_id=person_id, action=scenario.action, profile=scenario.profile)

    # then
    assert result.to_output_dict() == expected.to_output_dict()
    assert result.reasons == expected.reasons


PAYMENTS = [s for s in SCENARIOS if s["action"]["kind"] in {"resident_payment", "employee_payment"}]


@pytest.mark.parametrize("raw", PAYMENTS, ids=[s["id"] for s in PAYMENTS])
def test_recorded_payment_gives_a_status_with_the_runners_dates(raw):
    # given
    scenario = parse_scenario(raw, BOOK)
    person_id = store_facts(raw, scenario)
    result, profile_name = eligibility_evaluate(person_id=person_id, action=scenario.action, profile=scenario.profile)
    if not result.accepted:
        assert not BenefitDecision.objects.filter(person_id=person_id, profile_name=profile_name).exists()
        return
    person = PersonFactory._meta.model.objects.get(pk=person_id)

    # when
    decision = decision_record(person=person, action=scenario.action, result=result, profile_name=profile_name)
    paid_on = scenario.action.paid_on
    snapshot, written = eligibility_recompute(person_id=person_id, as_of=paid_on)

    # then: the stored decision carries the runner's answer ...
    output = result.to_output_dict()
    for key in ("benefits_from", "waiting_start", "waiting_end", "retro_from", "retro_to"):
        value = getattr(decision, key)
        assert (None if value is None else value.isoformat()) == output[key], key
    assert (decision.break_years, decision.continuous_years) == (output["break_years"], output["continuous_years"])
    # ... the status follows it: covered from the benefit start, and in a waiting period the fund
    # pays only under an earlier cover (resident benefits run on during an employee wait, SW-3) ...
    # (employee benefits last while contributions do: to the end of the last month paid)
    last_day_paid = result.benefit_end or (decision.cover_to and last_day(month_of(decision.cover_to)))
    if result.benefits_from is not None and last_day_paid and result.benefits_from <= last_day_paid:
        on_start = eligibility_covered_on(person_id=person_id, service_date=result.benefits_from)
        assert on_start.covered
    if result.waiting_end is not None:
        waiting = eligibility_covered_on(person_id=person_id, service_date=result.waiting_end)
        new_grant_pays = waiting.covered and waiting.status.grant.paid_on == paid_on
        assert waiting.state == "waiting" or (waiting.covered and not new_grant_pays)
    # ... and the stored status is written once, with a next change after the day.
    assert written
    assert snapshot.next_change_on is not None and snapshot.next_change_on > paid_on
    assert eligibility_recompute(person_id=person_id, as_of=paid_on)[1] is False
    assert EligibilitySnapshot.objects.filter(person_id=person_id).count() == 1


CI_CAPS = [s for s in SCENARIOS if s["action"]["kind"] == "ci_cap" and not s.get("params")]


@pytest.mark.parametrize("raw", CI_CAPS, ids=[s["id"] for s in CI_CAPS])
def test_status_carries_the_critical_illness_cap(raw):
    scenario = parse_scenario(raw, BOOK)
    assert isinstance(scenario.action, CiCapRequest)
    person_id = store_facts(raw, scenario)

    snapshot, _ = eligibility_recompute(person_id=person_id, as_of=datetime.date(scenario.action.year, 6, 30))

    assert snapshot.ci_cap == scenario.evaluate().ci_cap
