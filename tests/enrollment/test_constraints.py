"""Each database constraint of the register refuses bad rows on its own, whatever code writes them."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from enrollment.models import Enrollment, FamilyRelation, Person, PersonEvent, Region, StaffRegion
from tests.factories import (
    EnrollmentFactory,
    PersonEventFactory,
    PersonFactory,
    RegionFactory,
    StaffRegionFactory,
    UserFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db


def assert_refused(create, constraint_name: str) -> None:
    with pytest.raises(IntegrityError) as info, transaction.atomic():
        create()
    assert constraint_name in str(info.value)


def person_row(region, **overrides):
    values = {
        "id_number": make_id_number(),
        "name": "张三",
        "gender": "male",
        "birth_date": datetime.date(1990, 3, 7),
        "household_region": region,
        "category": "ordinary",
    }
    values.update(overrides)
    return Person.objects.create(**values)


@pytest.mark.parametrize("code", ["36010", "36010A", "     "])
def test_region_code_is_six_digits(code):
    assert_refused(
        lambda: Region.objects.create(code=code, name_zh="x", name_en="x", province="x", province_en="x"),
        "region_code_six_digits",
    )


def test_region_code_is_unique(nanchang):
    assert_refused(
        lambda: RegionFactory._meta.model.objects.create(
            code="360100", name_zh="x", name_en="x", province="x", province_en="x"
        ),
        "code",
    )


@pytest.mark.parametrize("id_number", ["36010219900307123", "36010219900307123x", "A60102199003071236"])
def test_person_id_number_shape(nanchang, id_number):
    assert_refused(lambda: person_row(nanchang, id_number=id_number), "person_id_number_shape")


def test_person_id_number_is_unique(nanchang):
    existing = PersonFactory(household_region=nanchang)
    assert_refused(lambda: person_row(nanchang, id_number=existing.id_number), "id_number")


def test_person_gender_is_a_known_value(nanchang):
    assert_refused(lambda: person_row(nanchang, gender="other"), "person_gender_valid")


def test_person_category_is_a_known_value(nanchang):
    assert_refused(lambda: person_row(nanchang, category="vip"), "person_category_valid")


@pytest.mark.parametrize("phone", ["1234", "23812345678", "1381234567a"])
def test_person_phone_is_a_mobile_number_or_empty(nanchang, phone):
    assert_refused(lambda: person_row(nanchang, phone=phone), "person_phone_shape")


def test_person_name_is_not_empty(nanchang):
    assert_refused(lambda: person_row(nanchang, name=""), "person_name_not_empty")


def test_family_relation_once_per_pair(nanchang):
    child, mother = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)
    FamilyRelation.objects.create(person=child, relative=mother, kind="parent")
    assert_refused(
        lambda: FamilyRelation.objects.create(person=child, relative=mother, kind="guardian"), "family_relation_once"
    )


def test_family_relation_not_with_oneself(nanchang):
    person = PersonFactory(household_region=nanchang)
    assert_refused(
        lambda: FamilyRelation.objects.create(person=person, relative=person, kind="spouse"),
        "family_relation_not_self",
    )


def test_family_relation_kind_is_known(nanchang):
    a, b = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)
    assert_refused(lambda: FamilyRelation.objects.create(person=a, relative=b, kind="cousin"), "family_kind_valid")


def test_event_recorded_once_per_kind_and_date():
    event = PersonEventFactory()
    assert_refused(
        lambda: PersonEvent.objects.create(person=event.person, kind=event.kind, date=event.date, evidence="again"),
        "person_event_once",
    )


def test_event_kind_is_known():
    person = PersonFactory()
    assert_refused(
        lambda: PersonEvent.objects.create(person=person, kind="birth", date=datetime.date(2025, 1, 1), evidence="x"),
        "person_event_kind_valid",
    )


def test_event_related_person_is_someone_else():
    person = PersonFactory()
    assert_refused(
        lambda: PersonEvent.objects.create(
            person=person, kind="veteran_family", date=datetime.date(2025, 1, 1), evidence="x", related_person=person
        ),
        "person_event_related_not_self",
    )


def test_event_needs_evidence():
    person = PersonFactory()
    assert_refused(
        lambda: PersonEvent.objects.create(person=person, kind="clergy", date=datetime.date(2025, 1, 1), evidence=""),
        "person_event_evidence_given",
    )


def test_enrollment_end_not_before_start():
    assert_refused(
        lambda: EnrollmentFactory(start_date=datetime.date(2025, 3, 1), end_date=datetime.date(2025, 2, 28)),
        "enrollment_end_not_before_start",
    )


def test_enrollment_may_end_on_its_start_day():
    enrollment = EnrollmentFactory(start_date=datetime.date(2025, 3, 1), end_date=datetime.date(2025, 3, 1))
    assert enrollment.pk


def test_enrollment_one_open_per_person_and_scheme():
    first = EnrollmentFactory(start_date=datetime.date(2020, 1, 1))
    assert_refused(
        # Two open enrolments are refused by the partial unique index (before any overlap check).
        lambda: Enrollment.objects.create(
            person=first.person, scheme=first.scheme, region=first.region, start_date=datetime.date(2030, 1, 1)
        ),
        "enrollment_one_open_per_scheme",
    )


def test_enrollment_open_in_two_schemes_is_allowed():
    first = EnrollmentFactory(scheme="resident")
    second = EnrollmentFactory(person=first.person, scheme="employee_flexible")
    assert second.pk


def test_enrollment_periods_in_one_scheme_do_not_overlap():
    first = EnrollmentFactory(start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2022, 12, 31))
    assert_refused(
        lambda: Enrollment.objects.create(
            person=first.person,
            scheme=first.scheme,
            region=first.region,
            start_date=datetime.date(2022, 12, 31),
            end_date=datetime.date(2023, 6, 30),
        ),
        "enrollment_no_overlap_in_scheme",
    )


def test_enrollment_periods_that_touch_without_overlap_are_allowed():
    first = EnrollmentFactory(start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2022, 12, 31))
    later = EnrollmentFactory(person=first.person, start_date=datetime.date(2023, 1, 1))
    assert later.pk


def test_enrollment_employer_required_for_unit_employees():
    assert_refused(
        lambda: EnrollmentFactory(scheme="employee_unit", employer_name=""), "enrollment_employer_for_unit_only"
    )


def test_enrollment_employer_refused_for_other_schemes():
    assert_refused(
        lambda: EnrollmentFactory(scheme="resident", employer_name="某公司"), "enrollment_employer_for_unit_only"
    )


@pytest.mark.parametrize("status", ["ended", "transferred_out"])
def test_enrollment_closed_status_needs_an_end_date(status):
    assert_refused(lambda: EnrollmentFactory(status=status, end_date=None), "enrollment_closed_has_end")


def test_enrollment_scheme_is_known():
    assert_refused(lambda: EnrollmentFactory(scheme="private"), "enrollment_scheme_valid")


def test_enrollment_status_is_known():
    assert_refused(lambda: EnrollmentFactory(status="paused"), "enrollment_status_valid")


def test_staff_region_once_per_user_and_region(nanchang):
    user = UserFactory()
    StaffRegionFactory(user=user, region=nanchang)
    assert_refused(lambda: StaffRegion.objects.create(user=user, region=nanchang), "staff_region_once")
