"""Issue 16, part b: a test per finding of the security review (2, 4, 5, 6, 7, 9, 11 and the "also
found" items), each written before its fix and seen failing."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from enrollment.models import FamilyRelation, RelationKind
from enrollment.portal.access import persons_of
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2031, 3, 10)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def pinned(day: datetime.date = TODAY):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(10), tzinfo=SHANGHAI), tick=False)


# --- finding 4: acting for another person only for minors -----------------------------------------


def test_finding_4_a_relation_to_an_adult_gives_no_access_to_the_adults_pages(client, resident_account, nanchang):
    # given a clerk recorded the resident as the parent of an adult (born 1964)
    adult = PersonFactory(household_region=nanchang, name="成年人", born=datetime.date(1964, 5, 1))
    FamilyRelation.objects.create(person=adult, relative=resident_account, kind=RelationKind.PARENT)
    with pinned():
        client.force_login(resident_account.user)
        # when the resident opens the adult's pages, then they are as unknown as anyone else's
        assert client.get(reverse("portal:dashboard"), {"person": adult.pk}, **EN).status_code == 404
        assert client.get(reverse("portal:payments"), {"person": adult.pk}, **EN).status_code == 404
        assert adult not in persons_of(resident_account.user)
        # and no application can be made for them
        choices = client.get(reverse("portal:application_new"), **EN).content.decode()
        assert adult.name not in choices


@pytest.mark.parametrize(
    ("born", "acts_for"),
    [
        (datetime.date(2013, 3, 11), True),  # 18 tomorrow: still a minor today
        (datetime.date(2013, 3, 10), False),  # 18 today
        (datetime.date(2012, 12, 31), False),
    ],
)
def test_finding_4_a_guardian_acts_for_a_child_only_while_under_18(resident_account, nanchang, born, acts_for):
    child = PersonFactory(household_region=nanchang, name="王小宝", born=born)
    FamilyRelation.objects.create(person=child, relative=resident_account, kind=RelationKind.GUARDIAN)
    with pinned():
        assert (child in persons_of(resident_account.user)) is acts_for
