import datetime

import pytest
from django.core.management import call_command

from eligibility.models import EligibilitySnapshot
from eligibility.nightly import recompute_run_in_process, recompute_start
from enrollment.identity import parse_id_number
from enrollment.models import MilitaryService, Person, PersonEvent
from payments.models import LedgerEntry

pytestmark = pytest.mark.django_db


def test_generated_population_is_valid_varied_and_recomputable(nanchang, policies, capsys):
    call_command("generate_population", "--persons", "600", "--seed", "3")

    assert "600 persons" in capsys.readouterr().out
    persons = Person.objects.all()
    assert persons.count() == 600
    # Valid on the days the generated register is used (benchmarks run it as of Nov-Dec 2026):
    # no birth date still to come.
    for person in persons:
        parsed = parse_id_number(person.id_number, today=datetime.date(2026, 11, 1))
        assert (parsed.birth_date, parsed.gender) == (person.birth_date, person.gender)
    assert set(LedgerEntry.objects.values_list("scheme", flat=True)) == {
        "resident",
        "employee_unit",
        "employee_flexible",
    }
    assert PersonEvent.objects.filter(kind="veteran_discharge").count() == MilitaryService.objects.count() > 0

    run = recompute_run_in_process(
        recompute_start(as_of=datetime.date(2026, 3, 1), full=True, chunk_size=250, triggered_by="test")
    )
    assert run.persons_examined == 600 and run.persons_failed == 0
    states = set(EligibilitySnapshot.objects.values_list("state", flat=True))
    assert {"covered", "interrupted"} <= states


def test_no_generated_birth_date_is_still_to_come():
    import random

    from eligibility.population import _birth_date

    rng = random.Random(1)
    births = [_birth_date(rng) for _ in range(50_000)]
    assert max(births) <= datetime.date(2026, 10, 31)
    assert sum(birth.year == 2026 for birth in births) > 0
