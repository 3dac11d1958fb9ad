"""The clerk's register screens: finding persons, and bad input refused with a clear message."""

import datetime

import pytest
from django.urls import reverse

from enrollment.models import Enrollment, Person
from tests.factories import TEST_PASSWORD, PersonFactory, make_id_number

pytestmark = pytest.mark.django_db

INLINE_PREFIXES = ["enrollments", "events", "military_services", "relations"]


def login(client, user, language="zh-hans"):
    client.cookies["django_language"] = language
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def person_form(region, **overrides):
    data = {
        "id_number": make_id_number(),
        "name": "王小明",
        "phone": "13812345678",
        "household_region": region.pk,
        "category": "ordinary",
        "user": "",
    }
    for prefix in INLINE_PREFIXES:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(overrides)
    return data


def test_login_page_is_served(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("admin:enrollment_person_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_clerk_sees_the_person_list_and_finds_a_person_by_id_number(client, clerk, nanchang):
    wanted = PersonFactory(household_region=nanchang, name="陈静")
    PersonFactory(household_region=nanchang, name="刘洋")
    login(client, clerk)

    listing = client.get(reverse("admin:enrollment_person_changelist"))
    found = client.get(reverse("admin:enrollment_person_changelist"), {"q": wanted.id_number.lower()})

    assert listing.status_code == 200
    assert "陈静" in listing.content.decode() and "刘洋" in listing.content.decode()
    assert found.status_code == 200
    assert "陈静" in found.content.decode() and "刘洋" not in found.content.decode()


def test_clerk_finds_a_person_by_the_start_of_the_name(client, clerk, nanchang):
    PersonFactory(household_region=nanchang, name="陈静")
    PersonFactory(household_region=nanchang, name="刘洋")
    login(client, clerk)

    found = client.get(reverse("admin:enrollment_person_changelist"), {"q": "刘"})

    assert "刘洋" in found.content.decode() and "陈静" not in found.content.decode()


def test_clerk_adds_a_person_and_the_id_fills_birth_date_and_gender(client, clerk, nanchang):
    login(client, clerk)
    id_number = make_id_number(birth_date=datetime.date(1979, 12, 31))

    response = client.post(reverse("admin:enrollment_person_add"), person_form(nanchang, id_number=id_number))

    assert response.status_code == 302, response.content.decode()[:2000]
    person = Person.objects.get(id_number=id_number)
    assert person.birth_date == datetime.date(1979, 12, 31)
    assert person.history.first().history_user == clerk


def test_wrong_check_digit_is_refused_in_chinese_and_nothing_saved(client, clerk, nanchang):
    login(client, clerk)
    good = make_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")

    response = client.post(reverse("admin:enrollment_person_add"), person_form(nanchang, id_number=bad))

    assert response.status_code == 200
    assert "校验位" in response.content.decode()
    assert Person.objects.count() == 0


def test_wrong_check_digit_is_refused_in_english_when_english_is_chosen(client, clerk, nanchang):
    login(client, clerk, language="en")
    good = make_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")

    response = client.post(reverse("admin:enrollment_person_add"), person_form(nanchang, id_number=bad))

    assert response.status_code == 200
    assert "check digit" in response.content.decode()
    assert Person.objects.count() == 0


def test_fifteen_digit_id_is_refused_with_its_own_message(client, clerk, nanchang):
    login(client, clerk)
    response = client.post(reverse("admin:enrollment_person_add"), person_form(nanchang, id_number="360102900307123"))
    assert "15位" in response.content.decode()
    assert Person.objects.count() == 0


def test_enrolment_ending_before_it_starts_is_refused_in_chinese_and_nothing_saved(client, clerk, nanchang):
    person = PersonFactory(household_region=nanchang)
    login(client, clerk)

    response = client.post(
        reverse("admin:enrollment_enrollment_add"),
        {
            "person": person.pk,
            "scheme": "resident",
            "region": nanchang.pk,
            "start_date": "2025-03-01",
            "end_date": "2025-02-28",
            "status": "active",
            "employer_name": "",
            "note": "",
        },
    )

    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert Enrollment.objects.count() == 0


def test_overlapping_enrolment_in_the_person_form_is_refused(client, clerk, nanchang):
    person = PersonFactory(household_region=nanchang)
    login(client, clerk)
    data = person_form(nanchang, id_number=person.id_number, name=person.name)
    data.update(
        {
            "enrollments-TOTAL_FORMS": "2",
            "enrollments-0-scheme": "resident",
            "enrollments-0-region": nanchang.pk,
            "enrollments-0-start_date": "2020-01-01",
            "enrollments-0-end_date": "2023-12-31",
            "enrollments-0-status": "ended",
            "enrollments-0-employer_name": "",
            "enrollments-1-scheme": "resident",
            "enrollments-1-region": nanchang.pk,
            "enrollments-1-start_date": "2023-06-01",
            "enrollments-1-end_date": "",
            "enrollments-1-status": "active",
            "enrollments-1-employer_name": "",
        }
    )

    response = client.post(reverse("admin:enrollment_person_change", args=[person.pk]), data)

    assert response.status_code == 200
    assert "重叠" in response.content.decode()
    assert Enrollment.objects.count() == 0


def test_analyst_can_read_but_not_add(client, analyst, nanchang):
    PersonFactory(household_region=nanchang)
    login(client, analyst)

    assert client.get(reverse("admin:enrollment_person_changelist")).status_code == 200
    assert client.get(reverse("admin:enrollment_person_add")).status_code == 403


def test_person_history_is_visible(client, clerk, nanchang):
    person = PersonFactory(household_region=nanchang)
    login(client, clerk)
    data = person_form(nanchang, id_number=person.id_number, name="改名后")
    client.post(reverse("admin:enrollment_person_change", args=[person.pk]), data)

    response = client.get(reverse("admin:enrollment_person_history", args=[person.pk]))

    assert response.status_code == 200
    assert "改名后" in response.content.decode()


def test_recording_a_parent_younger_than_the_child_is_refused(client, clerk, nanchang):
    child = PersonFactory(household_region=nanchang, born=datetime.date(2025, 5, 5))
    too_young = PersonFactory(household_region=nanchang, born=datetime.date(2025, 6, 1))
    login(client, clerk)

    response = client.post(
        reverse("admin:enrollment_familyrelation_add"),
        {"person": child.pk, "kind": "parent", "relative": too_young.pk},
    )

    assert response.status_code == 200
    assert "父母的出生日期必须早于子女" in response.content.decode()
    assert not child.relations.exists()


def test_enrolment_list_is_searched_by_the_persons_id_number(client, clerk, nanchang):
    from tests.factories import EnrollmentFactory

    wanted = EnrollmentFactory(person=PersonFactory(household_region=nanchang, name="周敏"), region=nanchang)
    EnrollmentFactory(person=PersonFactory(household_region=nanchang, name="吴刚"), region=nanchang)
    login(client, clerk)

    response = client.get(reverse("admin:enrollment_enrollment_changelist"), {"q": wanted.person.id_number})

    body = response.content.decode()
    assert "周敏" in body and "吴刚" not in body


def test_history_revert_is_disabled_for_everyone(client, analyst, nanchang):
    person = PersonFactory(household_region=nanchang, name="原名")
    person.name = "改过"
    person.save()
    first = person.history.earliest()
    login(client, analyst)

    response = client.post(
        reverse("admin:enrollment_person_simple_history", args=[person.pk, first.history_id]), {"name": "原名"}
    )

    person.refresh_from_db()
    assert response.status_code in (403, 404)
    assert person.name == "改过"
