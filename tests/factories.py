import datetime
import itertools

import factory
from django.contrib.auth import get_user_model

from enrollment.identity import build_id_number, parse_id_number
from enrollment.models import Enrollment, Person, PersonEvent, Region, Scheme, StaffRegion
from payments.models import PolicyProfile
from payments.policy_years import policy_publish, policy_rollover

TEST_PASSWORD = "test-pass-2026"
_sequence = itertools.count(101)


def make_id_number(*, birth_date: datetime.date = datetime.date(1990, 3, 7), area_code: str = "360102") -> str:
    """A valid, unused-in-this-run ID number (sequence numbers 101-998 cycle)."""
    return build_id_number(area_code=area_code, birth_date=birth_date, sequence=101 + next(_sequence) % 898)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(extracted)
        if create:
            self.save()


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = "360100"
    name_zh = "南昌市"
    name_en = "Nanchang"
    province = "江西省"
    province_en = "Jiangxi"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    class Params:
        born = datetime.date(1990, 3, 7)

    id_number = factory.LazyAttribute(lambda o: make_id_number(birth_date=o.born))
    name = factory.Sequence(lambda n: f"测试{n}")
    household_region = factory.SubFactory(RegionFactory)
    birth_date = factory.LazyAttribute(lambda o: parse_id_number(o.id_number, today=datetime.date.max).birth_date)
    gender = factory.LazyAttribute(lambda o: parse_id_number(o.id_number, today=datetime.date.max).gender)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    person = factory.SubFactory(PersonFactory)
    scheme = Scheme.RESIDENT
    region = factory.SubFactory(RegionFactory)
    start_date = datetime.date(2020, 1, 1)


class PersonEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonEvent

    person = factory.SubFactory(PersonFactory)
    kind = "veteran_discharge"
    date = datetime.date(2025, 4, 10)
    evidence = "退役证 No. 2025-0001"


class StaffRegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffRegion

    user = factory.SubFactory(UserFactory)
    region = factory.SubFactory(RegionFactory)


# --- cases (appended by the cases issue) ---
from enrollment.models import Case, CaseDocument, CaseKind  # noqa: E402


class CaseFactory(factory.django.DjangoModelFactory):
    """A draft case written directly (tests of the services open cases through `case_open`)."""

    class Meta:
        model = Case

    person = factory.SubFactory(PersonFactory)
    region = factory.SubFactory(RegionFactory)
    kind = CaseKind.RESIDENT_ENROLMENT
    details = factory.LazyFunction(lambda: {"start_date": "2026-01-01"})


class CaseDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseDocument

    case = factory.SubFactory(CaseFactory)
    code = "id_card"
    required = True


def policy_years_through(year: int) -> list[PolicyProfile]:
    """Published profiles up to `year` for every region and scope that has one: where the data files
    stop short, the latest year is rolled over and published, year by year. Returns the rows made."""
    made: list[PolicyProfile] = []
    while True:
        latest: dict[tuple[int, str], PolicyProfile] = {}
        for row in PolicyProfile.objects.published().order_by("coverage_year"):
            latest[(row.region_id, row.scope)] = row
        sources = [row for row in latest.values() if row.coverage_year < year]
        if not sources:
            return made
        created = policy_rollover(sources=sources, actor=None).created
        assert created, f"nothing to roll over to {year}"
        for row in created:
            policy_publish(row=row, actor=None, warnings_accepted=True)
        made += created
