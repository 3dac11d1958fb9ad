import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from enrollment.demo import REGIONS
from enrollment.identity import parse_id_number
from enrollment.models import Enrollment, FamilyRelation, Person, PersonEvent, Region, StaffRegion

pytestmark = pytest.mark.django_db


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
    assert_accounts_have_their_roles_and_regions()


def assert_ids_are_valid_and_match_the_stored_birth_dates():
    for person in Person.objects.all():
        parsed = parse_id_number(person.id_number, today=person.birth_date)
        assert (parsed.birth_date, parsed.gender) == (person.birth_date, person.gender)


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
