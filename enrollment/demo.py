"""Demo data for the local quick start: the seeds' regions, a few hundred persons, staff accounts.

Everything is generated from a fixed seed and fixed dates, so the same persons (and ID numbers)
come out on every machine and every run; loading twice adds nothing the second time.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction
from django.utils import timezone

from enrollment.identity import build_id_number
from enrollment.models import (
    Enrollment,
    EnrollmentStatus,
    EventKind,
    Person,
    PremiumCategory,
    Region,
    RelationKind,
    Scheme,
    StaffRegion,
)
from enrollment.roles import ANALYST, CLERK, SUPERVISOR, roles_ensure
from enrollment.services import enrollment_create, family_relation_add, person_event_record, person_register

DEMO_PASSWORD = "demo-pass-2026"
DEMO_SEED = 20260101
# About 300 persons: most households are one adult, some a parent and newborn or a veteran and spouse.
DEMO_HOUSEHOLDS = 270
# The demo's "today" for validations: fixed, so that a load is the same whenever it runs.
DEMO_TODAY = datetime.date(2026, 11, 1)


@dataclass(frozen=True)
class DemoRegion:
    code: str
    name_zh: str
    name_en: str
    province: str
    province_en: str
    username: str
    # Area codes for demo ID numbers: districts of the city. Some (e.g. 361002) are newer than the
    # division table python-stdnum ships, so they show the "unknown area code" warning, as real ones do.
    area_codes: tuple[str, ...]
    weight: int


REGIONS: tuple[DemoRegion, ...] = (
    DemoRegion(
        "360100",
        "南昌市",
        "Nanchang",
        "江西省",
        "Jiangxi",
        "clerk_nanchang",
        ("360102", "360103", "360104", "360111", "360121"),
        40,
    ),
    DemoRegion(
        "361000", "抚州市", "Fuzhou", "江西省", "Jiangxi", "clerk_fuzhou", ("362502", "362522", "362524", "361002"), 15
    ),
    DemoRegion(
        "360700",
        "赣州市",
        "Ganzhou",
        "江西省",
        "Jiangxi",
        "clerk_ganzhou",
        ("362101", "362121", "362122", "360702"),
        15,
    ),
    DemoRegion("360500", "新余市", "Xinyu", "江西省", "Jiangxi", "clerk_xinyu", ("360502", "360521"), 8),
    DemoRegion(
        "360200", "景德镇市", "Jingdezhen", "江西省", "Jiangxi", "clerk_jingdezhen", ("360202", "360203", "360222"), 6
    ),
    DemoRegion(
        "361100", "上饶市", "Shangrao", "江西省", "Jiangxi", "clerk_shangrao", ("362301", "362322", "362323"), 6
    ),
    DemoRegion(
        "360400", "九江市", "Jiujiang", "江西省", "Jiangxi", "clerk_jiujiang", ("360402", "360403", "360424"), 6
    ),
    DemoRegion("520100", "贵阳市", "Guiyang", "贵州省", "Guizhou", "clerk_guiyang", ("520102", "520103", "520111"), 8),
    DemoRegion("130700", "张家口市", "Zhangjiakou", "河北省", "Hebei", "clerk_zhangjiakou", ("130702", "130703"), 3),
    DemoRegion("130600", "保定市", "Baoding", "河北省", "Hebei", "clerk_baoding", ("130602", "130603"), 3),
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖熊邱江尹雷龙黎毛邹万"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华辉鹏飞玲婷建国文斌宇浩欣怡子涵梓轩"
    "俊豪思雨嘉诗晨阳秀英志红春梅小龙海燕"
)
EMPLOYERS = (
    "江西铜业集团有限公司",
    "南昌市第一医院",
    "江铃汽车股份有限公司",
    "赣州稀土集团有限公司",
    "新余钢铁集团有限公司",
    "景德镇陶瓷大学",
    "抚州市城市建设投资有限公司",
    "贵阳银行股份有限公司",
)


@dataclass
class DemoResult:
    regions_created: int = 0
    persons_created: int = 0
    users_created: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.regions_created or self.persons_created or self.users_created)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    where: str


def demo_logins() -> list[DemoLogin]:
    logins = [DemoLogin("admin", "administrator (superuser)", "/admin/")]
    logins += [DemoLogin(r.username, f"clerk, {r.name_en} {r.code}", "/admin/") for r in REGIONS]
    logins += [
        DemoLogin("supervisor", "supervisor, all regions", "/admin/"),
        DemoLogin("analyst", "analyst, read-only", "/admin/"),
        DemoLogin("resident", "resident (self-service portal)", "/my/"),
    ]
    return logins


def _random_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def _random_birth(rng: random.Random, *, youngest: int, oldest: int) -> datetime.date:
    year = rng.randint(DEMO_TODAY.year - oldest, DEMO_TODAY.year - youngest)
    return datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))


class _PersonMaker:
    """Makes demo persons with valid ID numbers.

    Identity draws (birth date, name, phone, category) come from a generator of their own that is
    consumed the same way whether or not the person already exists, so a second load computes the
    very same ID numbers and finds them in place instead of creating near-copies.
    """

    def __init__(self, regions: dict[str, Region]) -> None:
        self.regions = regions
        self.created = 0

    def make(
        self,
        rng: random.Random,
        region: DemoRegion,
        birth: datetime.date,
        *,
        sequence: int,
        category: str = PremiumCategory.ORDINARY,
        name: str | None = None,
    ) -> tuple[Person, bool]:
        id_number = build_id_number(area_code=rng.choice(region.area_codes), birth_date=birth, sequence=sequence)
        name = name or _random_name(rng)
        phone = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"
        existing = Person.objects.filter(id_number=id_number).first()
        if existing is not None:
            return existing, False
        person = person_register(
            id_number=id_number,
            name=name,
            household_region=self.regions[region.code],
            phone=phone,
            category=category,
            today=DEMO_TODAY,
        )
        self.created += 1
        return person, True


def _history(rng: random.Random, person: Person, region: Region, story: str) -> None:
    """Enrolment histories of the kinds clerks meet every day."""
    birth = person.birth_date
    resident_from = datetime.date(max(birth.year, 2012), 1, 1)
    if story == "resident_with_break" and birth.year > 2017:
        story = "resident_continuous"  # too young to have had a break before 2023
    # Working life starts at 18, and early enough that every story's later steps fit before today.
    work_from_year = min(max(2010, birth.year + 18), 2022)
    if story == "resident_continuous":
        enrollment_create(person=person, scheme=Scheme.RESIDENT, region=region, start_date=resident_from)
    elif story == "resident_with_break":
        end_year = rng.randint(2019, 2022)
        enrollment_create(
            person=person,
            scheme=Scheme.RESIDENT,
            region=region,
            start_date=resident_from,
            end_date=datetime.date(max(end_year, resident_from.year), 12, 31),
            status=EnrollmentStatus.ENDED,
        )
        enrollment_create(person=person, scheme=Scheme.RESIDENT, region=region, start_date=datetime.date(2025, 3, 1))
    elif story == "unit_employee":
        enrollment_create(
            person=person,
            scheme=Scheme.EMPLOYEE_UNIT,
            region=region,
            start_date=datetime.date(rng.randint(work_from_year, 2024), rng.randint(1, 12), 1),
            employer_name=rng.choice(EMPLOYERS),
        )
    elif story == "unit_then_flexible":
        stop = datetime.date(2025, rng.randint(2, 9), 1) - datetime.timedelta(days=1)
        enrollment_create(
            person=person,
            scheme=Scheme.EMPLOYEE_UNIT,
            region=region,
            start_date=datetime.date(work_from_year, 1, 1),
            end_date=stop,
            status=EnrollmentStatus.ENDED,
            employer_name=rng.choice(EMPLOYERS),
        )
        enrollment_create(
            person=person,
            scheme=Scheme.EMPLOYEE_FLEXIBLE,
            region=region,
            start_date=stop + datetime.timedelta(days=1),
        )
    elif story == "flexible":
        enrollment_create(
            person=person,
            scheme=Scheme.EMPLOYEE_FLEXIBLE,
            region=region,
            start_date=datetime.date(rng.randint(max(2018, work_from_year), 2025), 1, 1),
        )
    elif story == "employee_to_resident":
        stop = datetime.date(2024, rng.randint(3, 11), 1) - datetime.timedelta(days=1)
        enrollment_create(
            person=person,
            scheme=Scheme.EMPLOYEE_UNIT,
            region=region,
            start_date=datetime.date(work_from_year, 3, 1),
            end_date=stop,
            status=EnrollmentStatus.ENDED,
            employer_name=rng.choice(EMPLOYERS),
        )
        enrollment_create(person=person, scheme=Scheme.RESIDENT, region=region, start_date=datetime.date(2025, 1, 1))
    elif story == "transferred_in":
        previous = Region.objects.exclude(pk=region.pk).order_by("code").first()
        assert previous is not None
        stop = datetime.date(2025, rng.randint(1, 6), 1) - datetime.timedelta(days=1)
        enrollment_create(
            person=person,
            scheme=Scheme.EMPLOYEE_UNIT,
            region=previous,
            start_date=datetime.date(work_from_year, 7, 1),
            end_date=stop,
            status=EnrollmentStatus.TRANSFERRED_OUT,
            employer_name=rng.choice(EMPLOYERS),
        )
        enrollment_create(
            person=person,
            scheme=Scheme.EMPLOYEE_UNIT,
            region=region,
            start_date=stop + datetime.timedelta(days=rng.randint(1, 60)),
            employer_name=rng.choice(EMPLOYERS),
        )


ADULT_STORIES = (
    ("resident_continuous", 35),
    ("resident_with_break", 12),
    ("unit_employee", 20),
    ("unit_then_flexible", 8),
    ("flexible", 10),
    ("employee_to_resident", 8),
    ("transferred_in", 5),
    ("never_enrolled", 2),
)
SINGLE_EVENTS = (
    (EventKind.MEDICAL_ASSISTANCE, "低保证 (minimum-living-allowance certificate)"),
    (EventKind.CLERGY, "宗教教职人员证"),
    (EventKind.MOVED_IN, "户口迁移证"),
    (EventKind.RETURNED_FROM_ABROAD, "护照出入境记录"),
    (EventKind.RELEASED_FROM_PRISON, "释放证明书"),
    (EventKind.GRADUATE_RETURNED, "毕业证书与户口迁入记录"),
)


def _slot(index: int, maker: _PersonMaker, regions: dict[str, Region]) -> None:
    """One household of the demo: a newborn and parent, a veteran and spouse, or one adult."""
    rng = random.Random(f"{DEMO_SEED}-{index}-identity")
    story_rng = random.Random(f"{DEMO_SEED}-{index}-story")
    sequence = 101 + (2 * index) % 898
    demo_region = rng.choices(REGIONS, weights=[r.weight for r in REGIONS])[0]
    region = regions[demo_region.code]
    roll = rng.random()
    if roll < 0.08:  # a newborn with a registered parent
        parent, parent_new = maker.make(rng, demo_region, _random_birth(rng, youngest=24, oldest=38), sequence=sequence)
        birth = datetime.date(rng.choice((2024, 2025, 2026)), rng.randint(1, 9), rng.randint(1, 28))
        child, child_new = maker.make(
            rng, demo_region, birth, sequence=sequence + 1, name=parent.name[0] + _random_name(rng)[1:]
        )
        if parent_new:
            _history(story_rng, parent, region, "resident_continuous")
        if child_new:
            family_relation_add(person=child, relative=parent, kind=RelationKind.PARENT)
            if story_rng.random() < 0.7:
                start = max(birth, datetime.date(birth.year, 1, 1))
                enrollment_create(person=child, scheme=Scheme.RESIDENT, region=region, start_date=start)
    elif roll < 0.13:  # a veteran and the veteran's spouse
        veteran, veteran_new = maker.make(
            rng, demo_region, _random_birth(rng, youngest=22, oldest=35), sequence=sequence
        )
        spouse, spouse_new = maker.make(
            rng, demo_region, _random_birth(rng, youngest=22, oldest=35), sequence=sequence + 1
        )
        discharge = datetime.date(rng.choice((2024, 2025, 2026)), rng.choice((3, 9, 10)), rng.randint(1, 28))
        if veteran_new:
            person_event_record(
                person=veteran,
                kind=EventKind.VETERAN_DISCHARGE,
                date=discharge,
                evidence="退役证 (discharge certificate)",
                today=DEMO_TODAY,
            )
            _history(story_rng, veteran, region, "resident_continuous")
        if spouse_new:
            family_relation_add(person=spouse, relative=veteran, kind=RelationKind.SPOUSE)
            person_event_record(
                person=spouse,
                kind=EventKind.VETERAN_FAMILY,
                date=discharge,
                related_person=veteran,
                evidence="结婚证与配偶退役证",
                today=DEMO_TODAY,
            )
    else:
        category = PremiumCategory.ORDINARY
        youngest, oldest = 18, 80
        category_roll = rng.random()
        if category_roll < 0.08:
            category, youngest, oldest = PremiumCategory.STUDENT, 18, 23
        elif category_roll < 0.16:
            category = PremiumCategory.FIXED_SUBSIDY
        elif category_roll < 0.19:
            category = PremiumCategory.FULL_SUBSIDY
        birth = _random_birth(rng, youngest=youngest, oldest=oldest)
        person, new = maker.make(rng, demo_region, birth, sequence=sequence, category=category)
        if not new:
            return
        stories, story_weights = zip(*ADULT_STORIES, strict=True)
        story = story_rng.choices(stories, weights=story_weights)[0]
        if story != "never_enrolled":
            _history(story_rng, person, region, story)
        if category == PremiumCategory.FIXED_SUBSIDY or story_rng.random() < 0.06:
            kind, evidence = (
                SINGLE_EVENTS[0] if category == PremiumCategory.FIXED_SUBSIDY else story_rng.choice(SINGLE_EVENTS)
            )
            event_date = DEMO_TODAY - datetime.timedelta(days=story_rng.randint(10, 700))
            person_event_record(person=person, kind=kind, date=event_date, evidence=evidence, today=DEMO_TODAY)


def _user(
    username: str, *, password_hash: str, staff: bool, superuser: bool = False, groups: tuple[str, ...] = ()
) -> tuple[AbstractUser, bool]:
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"is_staff": staff, "is_superuser": superuser, "password": password_hash},
    )
    if created:
        user.groups.set(Group.objects.filter(name__in=groups))
    return user, created


def _ledger_of_enrollments(person_ids: list[int]) -> None:
    """Paid periods for the demo enrolments, as history taken over from a previous system
    (ledger rows without decisions): resident years, employee months, up to the demo's today."""
    from payments.models import LedgerEntry

    rows = []
    for enrollment in Enrollment.objects.filter(person_id__in=person_ids):
        end = enrollment.end_date or DEMO_TODAY
        if enrollment.scheme == Scheme.RESIDENT:
            periods = [datetime.date(year, 1, 1) for year in range(enrollment.start_date.year, end.year + 1)]
        else:
            first = enrollment.start_date.year * 12 + enrollment.start_date.month - 1
            last = end.year * 12 + end.month - 1
            periods = [datetime.date(m // 12, m % 12 + 1, 1) for m in range(first, last + 1)]
        rows += [
            LedgerEntry(
                person_id=enrollment.person_id,
                scheme=enrollment.scheme,
                region_id=enrollment.region_id,
                period=period,
                paid_on=period - datetime.timedelta(days=20),
            )
            for period in periods
        ]
    # Enrolments of one person in one scheme never overlap, so no period repeats.
    LedgerEntry.objects.bulk_create(rows, batch_size=2000)


def demo_data_load() -> DemoResult:
    """Load the demo data once; a second call finds everything in place and changes nothing."""
    result = DemoResult()
    with transaction.atomic():
        roles_ensure()
        regions: dict[str, Region] = {}
        for demo_region in REGIONS:
            region, created = Region.objects.get_or_create(
                code=demo_region.code,
                defaults={
                    "name_zh": demo_region.name_zh,
                    "name_en": demo_region.name_en,
                    "province": demo_region.province,
                    "province_en": demo_region.province_en,
                },
            )
            regions[demo_region.code] = region
            result.regions_created += created
        # Imported here: payments depends on the register, not the other way round.
        from payments.policy_years import policy_profiles_load

        policy_profiles_load()
        maker = _PersonMaker(regions)
        before = set(Person.objects.values_list("pk", flat=True))
        for index in range(DEMO_HOUSEHOLDS):
            _slot(index, maker, regions)
        new_persons = sorted(set(Person.objects.values_list("pk", flat=True)) - before)
        _ledger_of_enrollments(new_persons)
        result.persons_created = maker.created

        # One hash for every demo account: hashing is deliberately slow, once is enough.
        password_hash = make_password(DEMO_PASSWORD)
        for username, staff, superuser, groups in (
            ("admin", True, True, ()),
            ("supervisor", True, False, (SUPERVISOR,)),
            ("analyst", True, False, (ANALYST,)),
            ("resident", False, False, ()),
        ):
            _, created = _user(username, password_hash=password_hash, staff=staff, superuser=superuser, groups=groups)
            if created:
                result.users_created.append(username)
        # The demo supervisor oversees every demo region (staff see only the regions they serve).
        supervisor = get_user_model().objects.get(username="supervisor")
        for region in regions.values():
            StaffRegion.objects.get_or_create(user=supervisor, region=region)
        for demo_region in REGIONS:
            clerk, created = _user(demo_region.username, password_hash=password_hash, staff=True, groups=(CLERK,))
            StaffRegion.objects.get_or_create(user=clerk, region=regions[demo_region.code])
            if created:
                result.users_created.append(demo_region.username)
        resident_user = get_user_model().objects.get(username="resident")
        if not Person.objects.filter(user=resident_user).exists():
            person = (
                Person.objects.filter(household_region__code="360100", user__isnull=True, enrollments__isnull=False)
                .order_by("id")
                .first()
            )
            if person is not None:
                person.user = resident_user
                person.save(update_fields=["user"])
    # Statuses as of today, so that the clerk screens show where each demo person stands.
    from eligibility.nightly import recompute_persons

    with transaction.atomic():
        recompute_persons(person_ids=list(Person.objects.values_list("pk", flat=True)), as_of=timezone.localdate())
    return result
