"""The personal-data access log on the clerk's side: opening a person's page records who opened it."""

import pytest
from django.urls import reverse

from enrollment.access_log import person_access_record
from enrollment.models import AccessChannel, PersonAccess
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_opening_the_person_page_records_the_clerk(client, clerk, nanchang):
    person = PersonFactory(household_region=nanchang)
    client.force_login(clerk)
    assert client.get(reverse("admin:enrollment_person_change", args=[person.pk])).status_code == 200
    access = PersonAccess.objects.get()
    assert (access.person, access.user, access.channel, access.action) == (
        person,
        clerk,
        AccessChannel.ADMIN,
        "admin:person.page",
    )


def test_a_refused_page_records_nothing(client, other_region_clerk, nanchang):
    person = PersonFactory(household_region=nanchang)
    client.force_login(other_region_clerk)
    assert client.get(reverse("admin:enrollment_person_change", args=[person.pk])).status_code == 403
    assert not PersonAccess.objects.exists()


def test_the_list_of_persons_is_not_a_full_record_and_records_nothing(client, clerk, nanchang):
    PersonFactory(household_region=nanchang)
    client.force_login(clerk)
    assert client.get(reverse("admin:enrollment_person_changelist")).status_code == 200
    assert not PersonAccess.objects.exists()


def test_an_access_needs_someone_who_made_it(nanchang):
    person = PersonFactory(household_region=nanchang)
    with pytest.raises(ValueError):
        person_access_record(person_ids=[person.pk], action="x")
    assert not PersonAccess.objects.exists()


def test_one_row_per_distinct_person(clerk, nanchang):
    first, second = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)
    written = person_access_record(person_ids=[first.pk, second.pk, first.pk], action="api:persons.list", user=clerk)
    assert written == 2
    assert set(PersonAccess.objects.values_list("person_id", flat=True)) == {first.pk, second.pk}
