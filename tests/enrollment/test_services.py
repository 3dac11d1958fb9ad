import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from enrollment.models import Enrollment, Person, PersonEvent
from enrollment.selectors import person_get_by_id_number, person_search
from enrollment.services import (
    enrollment_create,
    family_relation_add,
    person_event_record,
    person_register,
)
from tests.factories import EnrollmentFactory, PersonFactory, make_id_number

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 23)


def test_register_stores_birth_date_and_gender_from_the_id(nanchang):
    # given
    id_number = make_id_number(birth_date=datetime.date(1988, 2, 29)).lower()

    # when
    person = person_register(id_number=id_number, name=" 李四 ", household_region=nanchang, today=TODAY)

    # then
    person.refresh_from_db()
    assert person.id_number == id_number.upper()
    assert person.birth_date == datetime.date(1988, 2, 29)
    assert person.gender in {"male", "female"}
    assert person.name == "李四"
    assert person.history.count() == 1


def test_register_with_a_bad_id_saves_nothing(nanchang):
    with pytest.raises(ValidationError) as info:
        person_register(id_number="360102199003071232", name="王五", household_region=nanchang, today=TODAY)

    assert "id_number" in info.value.message_dict
    assert Person.objects.count() == 0


def test_register_refuses_a_duplicate_id(nanchang):
    existing = PersonFactory(household_region=nanchang)
    with pytest.raises(ValidationError) as info:
        person_register(id_number=existing.id_number, name="重复", household_region=nanchang, today=TODAY)
    assert "id_number" in info.value.message_dict
    assert Person.objects.count() == 1


def test_register_refuses_a_bad_phone(nanchang):
    with pytest.raises(ValidationError) as info:
        person_register(id_number=make_id_number(), name="赵六", household_region=nanchang, phone="12345", today=TODAY)
    assert "phone" in info.value.message_dict
    assert Person.objects.count() == 0


def test_enrollment_overlap_is_refused_with_a_message_and_nothing_saved(nanchang):
    first = EnrollmentFactory(
        region=nanchang, start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2024, 6, 30)
    )

    with translation.override("en"), pytest.raises(ValidationError) as info:
        enrollment_create(
            person=first.person, scheme=first.scheme, region=nanchang, start_date=datetime.date(2024, 6, 1)
        )

    assert "overlaps another enrolment" in info.value.messages[0]
    assert Enrollment.objects.count() == 1


def test_enrollment_end_before_start_is_refused(nanchang):
    person = PersonFactory(household_region=nanchang)
    with pytest.raises(ValidationError):
        enrollment_create(
            person=person,
            scheme="resident",
            region=nanchang,
            start_date=datetime.date(2025, 3, 1),
            end_date=datetime.date(2025, 2, 1),
        )
    assert Enrollment.objects.count() == 0


def test_unit_enrolment_keeps_the_employer_and_other_schemes_drop_it(nanchang):
    person = PersonFactory(household_region=nanchang)
    unit = enrollment_create(
        person=person,
        scheme="employee_unit",
        region=nanchang,
        start_date=datetime.date(2020, 1, 1),
        employer_name="江铃汽车",
    )
    flexible = enrollment_create(
        person=person,
        scheme="employee_flexible",
        region=nanchang,
        start_date=datetime.date(2020, 1, 1),
        employer_name="ignored",
    )
    assert unit.employer_name == "江铃汽车"
    assert flexible.employer_name == ""


def test_event_in_the_future_is_refused(nanchang):
    person = PersonFactory(household_region=nanchang)
    with pytest.raises(ValidationError) as info:
        person_event_record(
            person=person, kind="moved_in", date=TODAY + datetime.timedelta(days=1), evidence="户口迁移证", today=TODAY
        )
    assert "date" in info.value.message_dict
    assert PersonEvent.objects.count() == 0


def test_event_before_birth_is_refused(nanchang):
    person = PersonFactory(household_region=nanchang, born=datetime.date(2000, 1, 1))
    with pytest.raises(ValidationError):
        person_event_record(
            person=person, kind="moved_in", date=datetime.date(1999, 12, 31), evidence="户口迁移证", today=TODAY
        )


def test_event_of_unknown_kind_is_refused(nanchang):
    person = PersonFactory(household_region=nanchang)
    with pytest.raises(ValidationError) as info:
        person_event_record(person=person, kind="birth", date=TODAY, evidence="x", today=TODAY)
    assert "kind" in info.value.message_dict


def test_veteran_family_event_links_the_veteran(nanchang):
    veteran, spouse = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)
    event = person_event_record(
        person=spouse,
        kind="veteran_family",
        date=datetime.date(2025, 4, 10),
        evidence="结婚证",
        related_person=veteran,
        today=TODAY,
    )
    assert event.related_person == veteran


def test_parent_must_be_older_than_child(nanchang):
    parent = PersonFactory(household_region=nanchang, born=datetime.date(1995, 1, 1))
    child = PersonFactory(household_region=nanchang, born=datetime.date(2025, 5, 5))

    family_relation_add(person=child, relative=parent, kind="parent")
    with pytest.raises(ValidationError):
        family_relation_add(person=parent, relative=child, kind="parent")


def test_search_by_whole_id_prefix_and_name(nanchang):
    zhang = PersonFactory(household_region=nanchang, name="张伟")
    PersonFactory(household_region=nanchang, name="李伟")

    assert list(person_search(query=zhang.id_number.lower())) == [zhang]
    assert zhang in person_search(query=zhang.id_number[:10])
    assert list(person_search(query="张")) == [zhang]
    assert list(person_search(query="伟")) == []  # names match from their start
    assert person_get_by_id_number(id_number=f" {zhang.id_number} ") == zhang
