import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from eligibility.models import EligibilitySnapshot
from enrollment.demo import REGIONS
from enrollment.identity import parse_id_number
from enrollment.models import Enrollment, FamilyRelation, Person, PersonEvent, Region, StaffRegion
from payments.models import PolicyProfile
from payments.policy import policy_row_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def development_configuration(settings):
    # The demo loader refuses a production configuration (DEBUG off), as `make run` never is.
    settings.DEBUG = True


def test_the_demo_loader_refuses_a_production_configuration(settings):
    # given DEBUG off, as in production (issue 16: a demo admin with the published password there)
    settings.DEBUG = False
    # when / then
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo_data")
    assert not get_user_model().objects.exists() and not Person.objects.exists()


def counts() -> dict[str, int]:
    return {
        "regions": Region.objects.count(),
        "persons": Person.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "events": PersonEvent.objects.count(),
        "relations": FamilyRelation.objects.count(),
        "users": get_user_model().objects.count(),
        "staff_regions": StaffRegion.objects.count(),
    }


def test_demo_data_is_realistic_valid_and_loading_twice_adds_nothing(capsys):
    # One test, because a load takes seconds: it checks the data, the accounts and idempotence.
    # The demo counts its stories back from today, so this holds on any day (see the pinned test below).
    # when
    call_command("load_demo_data")
    first = counts()
    call_command("load_demo_data")
    second = counts()

    # then
    output = capsys.readouterr().out
    assert first == second
    assert "already loaded" in output and "clerk_nanchang" in output and "demo-pass-2026" in output
    assert first["regions"] == len(REGIONS)
    assert 250 <= first["persons"] <= 400
    assert first["events"] > 20 and first["relations"] > 10 and first["enrollments"] > first["persons"] * 0.8
    assert set(Enrollment.objects.values_list("scheme", flat=True)) == {
        "resident",
        "employee_unit",
        "employee_flexible",
    }
    assert len(set(PersonEvent.objects.values_list("kind", flat=True))) >= 6
    assert_ids_are_valid_and_match_the_stored_birth_dates()
    # Enrolments come with paid periods, and every person has a status, most of them covered.
    from eligibility.models import EligibilitySnapshot
    from payments.models import LedgerEntry

    assert LedgerEntry.objects.count() > first["enrollments"]
    assert EligibilitySnapshot.objects.count() == first["persons"]
    assert EligibilitySnapshot.objects.filter(state="covered").count() > first["persons"] // 2
    assert_the_register_shows_every_kind_of_status()
    assert_every_region_has_the_policy_years_it_needs(timezone.localdate())
    assert_accounts_have_their_roles_and_regions()


SHANGHAI = ZoneInfo("Asia/Shanghai")


@time_machine.travel(datetime.datetime(2031, 9, 20, 10, tzinfo=SHANGHAI), tick=False)
def test_a_demo_loaded_past_the_data_files_rolls_the_policy_years_over_for_itself(capsys):
    # given: a day years after the last profile of the data files, in the autumn (next year is needed too)
    today = datetime.date(2031, 9, 20)

    # when
    call_command("load_demo_data")
    persons = Person.objects.count()
    call_command("load_demo_data")

    # then: the years the register needs are published, each saying it is the demo's roll-over
    output = capsys.readouterr().out
    assert "rolled the latest published profiles over" in output and "already loaded" in output
    assert Person.objects.count() == persons
    assert_every_region_has_the_policy_years_it_needs(today)
    for year in (2031, 2032):
        rows = PolicyProfile.objects.published().filter(coverage_year=year)
        assert rows.exists() and all(row.rolled_over_from and "load_demo_data" in row.notes for row in rows)
    # and the stories are as current as on any other day
    assert not Person.objects.filter(birth_date__gt=today).exists()
    assert not PersonEvent.objects.filter(date__gt=today).exists()
    assert EligibilitySnapshot.objects.filter(state="covered").count() > persons // 2
    assert_the_register_shows_every_kind_of_status()


def assert_ids_are_valid_and_match_the_stored_birth_dates():
    for person in Person.objects.all():
        parsed = parse_id_number(person.id_number, today=person.birth_date)
        assert (parsed.birth_date, parsed.gender) == (person.birth_date, person.gender)


def assert_the_register_shows_every_kind_of_status():
    # Current residents and employees, a first enrolment in its waiting period, payers who stopped.
    states = set(EligibilitySnapshot.objects.values_list("state", flat=True))
    assert {"covered", "waiting", "interrupted", "not_enrolled"} <= states


def assert_every_region_has_the_policy_years_it_needs(today):
    # No NO_POLICY anywhere: this year's profile (and from September next year's) serves today.
    years = [today.year, today.year + 1] if today.month >= 9 else [today.year]
    for region in Region.objects.all():
        scopes = set(PolicyProfile.objects.published().filter(region=region).values_list("scope", flat=True))
        assert scopes, region
        for scope in scopes:
            for year in years:
                assert policy_row_for(region_code=region.code, year=year, scope=scope, on=today).coverage_year == year


def assert_accounts_have_their_roles_and_regions():
    users = get_user_model().objects
    for region in REGIONS:
        clerk = users.get(username=region.username)
        assert clerk.is_staff and not clerk.is_superuser
        assert list(clerk.groups.values_list("name", flat=True)) == ["clerk"]
        assert list(StaffRegion.objects.filter(user=clerk).values_list("region__code", flat=True)) == [region.code]
    assert users.get(username="analyst").groups.get().name == "analyst"
    # The supervisor serves every demo region, so the scoped screens show them the whole register.
    from enrollment.scoping import persons_queryset

    supervisor = users.get(username="supervisor")
    assert set(StaffRegion.objects.filter(user=supervisor).values_list("region__code", flat=True)) == {
        region.code for region in REGIONS
    }
    assert persons_queryset(user=supervisor).count() == Person.objects.count()
    resident = users.get(username="resident")
    assert not resident.is_staff
    assert resident.insured_person.enrollments.exists()
