import datetime
import random
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from eligibility.models import EligibilitySnapshot
from eligibility.nightly import recompute_run_in_process, recompute_start
from eligibility.population import _birth_date
from enrollment.identity import parse_id_number
from enrollment.models import MilitaryService, Person, PersonEvent
from payments.models import LedgerEntry, PolicyProfile

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_generated_population_is_valid_varied_and_recomputable(nanchang, policies, capsys):
    # given: a day in the latest year the profiles cover (the population's histories lead up to it)
    latest = PolicyProfile.objects.published().filter(region=nanchang).order_by("-coverage_year")[0].coverage_year
    as_of = datetime.date(latest, 3, 1)

    # when
    call_command("generate_population", "--persons", "600", "--seed", "3", "--as-of", as_of.isoformat())

    # then
    assert "600 persons" in capsys.readouterr().out
    persons = Person.objects.all()
    assert persons.count() == 600
    # Valid on the day the register is seen: no birth date still to come.
    for person in persons:
        parsed = parse_id_number(person.id_number, today=as_of)
        assert (parsed.birth_date, parsed.gender) == (person.birth_date, person.gender)
    assert set(LedgerEntry.objects.values_list("scheme", flat=True)) == {
        "resident",
        "employee_unit",
        "employee_flexible",
    }
    # Resident histories run up to the year of `as_of`, no further.
    resident_years = {p.year for p in LedgerEntry.objects.filter(scheme="resident").values_list("period", flat=True)}
    assert max(resident_years) == latest
    assert PersonEvent.objects.filter(kind="veteran_discharge").count() == MilitaryService.objects.count() > 0
    assert not PersonEvent.objects.filter(date__gt=as_of).exists()

    run = recompute_run_in_process(recompute_start(as_of=as_of, full=True, chunk_size=250, triggered_by="test"))
    assert run.persons_examined == 600 and run.persons_failed == 0
    states = set(EligibilitySnapshot.objects.values_list("state", flat=True))
    assert {"covered", "interrupted"} <= states


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2031, 1, 5, 10, tzinfo=SHANGHAI), tick=False)
def test_without_as_of_the_population_is_generated_as_of_today(nanchang):
    call_command("generate_population", "--persons", "200", "--seed", "5")

    assert Person.objects.filter(birth_date__gt=datetime.date(2031, 1, 5)).count() == 0
    assert Person.objects.filter(birth_date__year__gte=2030).exists()
    periods = LedgerEntry.objects.filter(scheme="resident").values_list("period", flat=True)
    assert max(periods) == datetime.date(2031, 1, 1)


@pytest.mark.parametrize(
    "as_of",
    [datetime.date(2027, 1, 5), datetime.date(2026, 11, 1), datetime.date(2028, 2, 29), datetime.date(2030, 12, 31)],
)
def test_no_generated_birth_date_is_still_to_come(as_of):
    rng = random.Random(1)
    births = [_birth_date(rng, as_of) for _ in range(50_000)]
    assert max(births) <= as_of
    # Newborns exist, and so do the oldest (86 in the year of `as_of`).
    assert sum(birth > as_of - datetime.timedelta(days=365) for birth in births) > 0
    assert min(births).year == as_of.year - 86
