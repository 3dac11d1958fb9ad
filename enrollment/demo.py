"""Demo data for the local quick start: the seeds' regions, a few hundred persons, staff accounts.

Everything is generated from a fixed seed, and every date of the stories is counted back from the
day of the load (`today`): whenever `make run` is started, the register shows current residents,
waiting periods, interruptions and people back after a break, and the policy years the register
needs are there (rolled over for the demo when the data files stop short). Loading twice adds
nothing the second time, on the same day or a year later.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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

if TYPE_CHECKING:
    from payments.services import PaymentRequest

DEMO_PASSWORD = "demo-pass-2026"
DEMO_SEED = 20260101
# About 300 persons: most households are one adult, some a parent and newborn or a veteran and spouse.
DEMO_HOUSEHOLDS = 270
# How far back the register's histories go: the years a previous system handed over.
HISTORY_YEARS = 14


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
    profiles_rolled_over: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.regions_created or self.persons_created or self.users_created or self.profiles_rolled_over)


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


def _past(day: datetime.date, today: datetime.date) -> datetime.date:
    """`day`, or the same day a year earlier when it is still to come."""
    return day if day <= today else day.replace(year=day.year - 1)


def _random_birth(rng: random.Random, *, today: datetime.date, youngest: int, oldest: int) -> datetime.date:
    year = rng.randint(today.year - oldest, today.year - youngest)
    return _past(datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)), today)


class _PersonMaker:
    """Makes demo persons with valid ID numbers.

    Identity draws (birth date, name, phone, category) come from a generator of their own that is
    consumed the same way whether or not the person already exists, so a second load computes the
    very same ID numbers and finds them in place instead of creating near-copies.
    """

    def __init__(self, regions: dict[str, Region], today: datetime.date) -> None:
        self.regions = regions
        self.today = today
        self.created = 0
        # The last period taken over for persons whose payments stopped before today (see _history).
        self.paid_through: dict[int, datetime.date] = {}

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
            today=self.today,
        )
        self.created += 1
        return person, True


def _months_before(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


RESIDENT_STORIES = frozenset(
    {"resident_continuous", "resident_with_break", "employee_to_resident", "transferred_in", "resident_lapsed"}
)


def _resident_insurance_offered(region: Region) -> bool:
    from payments.models import PolicyProfile, PolicyScope

    return PolicyProfile.objects.published().filter(region=region, scope=PolicyScope.RESIDENT).exists()


def work_from_year_of(birth: datetime.date, year: int) -> int:
    """The first year of a demo working life: at 18, and early enough for every story's later steps."""
    return min(max(year - HISTORY_YEARS - 2, birth.year + 18), year - 4)


def _history(
    rng: random.Random, person: Person, region: Region, story: str, *, today: datetime.date
) -> datetime.date | None:
    """Enrolment histories of the kinds clerks meet every day, counted back from `today`'s year.

    Returns the last period the person's taken-over ledger covers when it stops before today (a
    payer who stopped; None: paid up to today), or a day before every enrolment when nothing is
    taken over (the payment was recorded here, through the payments service).
    """
    birth = person.birth_date
    year = today.year
    resident_from = datetime.date(max(birth.year, year - HISTORY_YEARS), 1, 1)
    if story == "resident_with_break" and birth.year > year - 9:
        story = "resident_continuous"  # too young for a break that ended four years ago
    if story in ("flexible_lapsed", "flexible_new") and birth.year + 18 > year - 1:
        story = "resident_continuous"
    if story in RESIDENT_STORIES and not _resident_insurance_offered(region):
        # The agency keeps no resident-insurance parameters for this region (Hebei: only the seed's
        # flexible-worker figures), so its demo persons are employees: no screen asks for a policy it lacks.
        story = "unit_employee" if birth.year + 18 <= work_from_year_of(birth, year) else "none"
    first_payment = _first_payment_quote(person, today=today) if story == "flexible_new" else None
    if story == "flexible_new" and first_payment is None:
        story = "flexible"  # the region's profile has no flexible workers (or no profile quotes it)
    # Working life starts at 18, and early enough that every story's later steps fit before today.
    work_from_year = work_from_year_of(birth, year)
    if story == "resident_continuous":
        enrollment_create(person=person, scheme=Scheme.RESIDENT, region=region, start_date=resident_from)
    elif story == "resident_with_break":
        end_year = rng.randint(year - 7, year - 4)
        enrollment_create(
            person=person,
            scheme=Scheme.RESIDENT,
            region=region,
            start_date=resident_from,
            end_date=datetime.date(max(end_year, resident_from.year), 12, 31),
            status=EnrollmentStatus.ENDED,
        )
        # Back since March last year.
        enrollment_create(
            person=person, scheme=Scheme.RESIDENT, region=region, start_date=datetime.date(year - 1, 3, 1)
        )
    elif story == "unit_employee":
        enrollment_create(
            person=person,
            scheme=Scheme.EMPLOYEE_UNIT,
            region=region,
            start_date=datetime.date(rng.randint(work_from_year, year - 2), rng.randint(1, 12), 1),
            employer_name=rng.choice(EMPLOYERS),
        )
    elif story == "unit_then_flexible":
        stop = datetime.date(year - 1, rng.randint(2, 9), 1) - datetime.timedelta(days=1)
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
            start_date=datetime.date(rng.randint(max(year - 8, work_from_year), year - 1), 1, 1),
        )
    elif story == "employee_to_resident":
        stop = datetime.date(year - 2, rng.randint(3, 11), 1) - datetime.timedelta(days=1)
        enrollment_create(
            person=person,
            scheme=Scheme.EMPLOYEE_UNIT,
            region=region,
            start_date=datetime.date(work_from_year, 3, 1),
            end_date=stop,
            status=EnrollmentStatus.ENDED,
            employer_name=rng.choice(EMPLOYERS),
        )
        enrollment_create(
            person=person, scheme=Scheme.RESIDENT, region=region, start_date=datetime.date(year - 1, 1, 1)
        )
    elif story == "transferred_in":
        previous = Region.objects.exclude(pk=region.pk).order_by("code").first()
        assert previous is not None
        stop = datetime.date(year - 1, rng.randint(1, 6), 1) - datetime.timedelta(days=1)
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
    elif story == "resident_lapsed":
        # Paid every year up to last year, not this one: the clerk sees the gap and the late window.
        enrollment_create(person=person, scheme=Scheme.RESIDENT, region=region, start_date=resident_from)
        return datetime.date(year - 1, 1, 1)
    elif story == "flexible_lapsed":
        # A flexible worker who stopped paying a few months ago: cover interrupted.
        enrollment_create(
            person=person,
            scheme=Scheme.EMPLOYEE_FLEXIBLE,
            region=region,
            start_date=datetime.date(rng.randint(max(year - 8, work_from_year), year - 2), 1, 1),
        )
        return _months_before(today, rng.randint(2, 5))
    elif story == "flexible_new":
        # A first flexible-worker enrolment paid today at the counter: the waiting period (EMP-6).
        assert first_payment is not None
        start = today.replace(day=1)
        enrollment_create(person=person, scheme=Scheme.EMPLOYEE_FLEXIBLE, region=region, start_date=start)
        _first_payment_record(person, first_payment, today=today)
        return start - datetime.timedelta(days=1)
    return None


def _first_payment_quote(person: Person, *, today: datetime.date) -> tuple["PaymentRequest", Decimal] | None:
    """A first flexible-worker payment from this month to December and its amount, or None when the
    region's published profile does not quote one."""
    from eligibility.rules.errors import MalformedInput
    from payments.services import PaymentRefused, PaymentRequest, premium_quote

    request = PaymentRequest.employee_months(today.replace(day=1), datetime.date(today.year, 12, 1))
    try:
        amount = premium_quote(person=person, request=request, on=today).amount
    except (MalformedInput, PaymentRefused):
        return None
    return None if amount is None else (request, amount)


def _first_payment_record(
    person: Person, first_payment: tuple["PaymentRequest", Decimal], *, today: datetime.date
) -> None:
    """The payment recorded through the payments service: a decision with the rules' waiting period."""
    from payments.models import Channel
    from payments.services import payment_record

    request, amount = first_payment
    paid_at = timezone.now()
    if timezone.localtime(paid_at).date() != today:
        paid_at = datetime.datetime.combine(today, datetime.time(10), tzinfo=timezone.get_current_timezone())
    payment_record(
        person=person,
        request=request,
        channel=Channel.CLERK_COUNTER,
        reference=f"DEMO-{person.id_number}",
        amount=amount,
        paid_at=paid_at,
    )


ADULT_STORIES = (
    ("resident_continuous", 35),
    ("resident_with_break", 12),
    ("unit_employee", 20),
    ("unit_then_flexible", 8),
    ("flexible", 10),
    ("flexible_lapsed", 4),
    ("flexible_new", 5),
    ("resident_lapsed", 4),
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
    today = maker.today
    rng = random.Random(f"{DEMO_SEED}-{index}-identity")
    story_rng = random.Random(f"{DEMO_SEED}-{index}-story")
    sequence = 101 + (2 * index) % 898
    demo_region = rng.choices(REGIONS, weights=[r.weight for r in REGIONS])[0]
    region = regions[demo_region.code]
    roll = rng.random()
    if roll < 0.08:  # a newborn with a registered parent
        parent, parent_new = maker.make(
            rng, demo_region, _random_birth(rng, today=today, youngest=24, oldest=38), sequence=sequence
        )
        born_in = rng.choice((today.year - 2, today.year - 1, today.year))
        birth = _past(datetime.date(born_in, rng.randint(1, 9), rng.randint(1, 28)), today)
        child, child_new = maker.make(
            rng, demo_region, birth, sequence=sequence + 1, name=parent.name[0] + _random_name(rng)[1:]
        )
        if parent_new:
            _history(story_rng, parent, region, "resident_continuous", today=today)
        if child_new:
            family_relation_add(person=child, relative=parent, kind=RelationKind.PARENT)
            if story_rng.random() < 0.7 and _resident_insurance_offered(region):
                start = max(birth, datetime.date(birth.year, 1, 1))
                enrollment_create(person=child, scheme=Scheme.RESIDENT, region=region, start_date=start)
    elif roll < 0.13:  # a veteran and the veteran's spouse
        veteran, veteran_new = maker.make(
            rng, demo_region, _random_birth(rng, today=today, youngest=22, oldest=35), sequence=sequence
        )
        spouse, spouse_new = maker.make(
            rng, demo_region, _random_birth(rng, today=today, youngest=22, oldest=35), sequence=sequence + 1
        )
        discharged_in = rng.choice((today.year - 2, today.year - 1, today.year))
        discharge = _past(datetime.date(discharged_in, rng.choice((3, 9, 10)), rng.randint(1, 28)), today)
        if veteran_new:
            person_event_record(
                person=veteran,
                kind=EventKind.VETERAN_DISCHARGE,
                date=discharge,
                evidence="退役证 (discharge certificate)",
                today=today,
            )
            _history(story_rng, veteran, region, "resident_continuous", today=today)
        if spouse_new:
            family_relation_add(person=spouse, relative=veteran, kind=RelationKind.SPOUSE)
            person_event_record(
                person=spouse,
                kind=EventKind.VETERAN_FAMILY,
                date=discharge,
                related_person=veteran,
                evidence="结婚证与配偶退役证",
                today=today,
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
        birth = _random_birth(rng, today=today, youngest=youngest, oldest=oldest)
        person, new = maker.make(rng, demo_region, birth, sequence=sequence, category=category)
        if not new:
            return
        stories, story_weights = zip(*ADULT_STORIES, strict=True)
        story = story_rng.choices(stories, weights=story_weights)[0]
        if story != "never_enrolled":
            paid_through = _history(story_rng, person, region, story, today=today)
            if paid_through is not None:
                maker.paid_through[person.pk] = paid_through
        if category == PremiumCategory.FIXED_SUBSIDY or story_rng.random() < 0.06:
            kind, evidence = (
                SINGLE_EVENTS[0] if category == PremiumCategory.FIXED_SUBSIDY else story_rng.choice(SINGLE_EVENTS)
            )
            event_date = today - datetime.timedelta(days=story_rng.randint(10, 700))
            person_event_record(person=person, kind=kind, date=event_date, evidence=evidence, today=today)


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


def _ledger_of_enrollments(
    person_ids: list[int], *, today: datetime.date, paid_through: dict[int, datetime.date]
) -> None:
    """Paid periods for the demo enrolments, as history taken over from a previous system
    (ledger rows without decisions): resident years, employee months, up to today or to the last
    period of a person who stopped paying."""
    from payments.models import LedgerEntry

    rows = []
    for enrollment in Enrollment.objects.filter(person_id__in=person_ids):
        end = min(enrollment.end_date or today, paid_through.get(enrollment.person_id, today))
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


def _demo_loaded() -> bool:
    """The demo's households are in place: the last step of a load links the demo resident's account
    to a person. A load on a later day (or year) would draw other birth dates, hence other persons."""
    return Person.objects.filter(user__username="resident").exists()


def demo_policy_years(*, today: datetime.date) -> list[str]:
    """Policy profiles for the years the demo needs, when the data files stop short of them.

    The current year, and from `YEAR_END_WARNINGS_FROM` (1 September) next year too: where a
    region's latest published profile is older, it is rolled over year by year and published with
    its warnings accepted, the notes saying that this is the demo's roll-over and no published
    notice. Returns the names of the profiles made.
    """
    from payments.models import PolicyProfile
    from payments.policy_years import policy_publish, policy_rollover

    month, day = (int(part) for part in str(settings.YEAR_END_WARNINGS_FROM).split("-"))
    needed = today.year + 1 if today >= datetime.date(today.year, month, day) else today.year
    note = _(
        "Demo roll-over: made by load_demo_data on %(day)s because the data files have no published profile "
        "for this year. The values are last year's; this is not a published notice."
    ) % {"day": today.isoformat()}
    made: list[str] = []
    while True:
        latest: dict[tuple[int, str], PolicyProfile] = {}
        for row in PolicyProfile.objects.published().select_related("region").order_by("coverage_year"):
            latest[(row.region_id, row.scope)] = row
        sources = [row for row in latest.values() if row.coverage_year < needed]
        if not sources:
            return made
        result = policy_rollover(sources=sources, actor=None)
        if not result.created:
            # A draft already holds the year (a supervisor's work): the demo leaves it alone.
            return made
        for row in result.created:
            row.notes = f"{note}\n{row.notes}"
            row.save(update_fields=["notes"])
            policy_publish(row=row, actor=None, warnings_accepted=True)
            if f"{row.name} · {row.region.code}" not in made:
                made.append(f"{row.name} · {row.region.code}")


def demo_data_load(*, today: datetime.date | None = None) -> DemoResult:
    """Load the demo data once, its stories counted back from `today` (default: the local date); a
    second call finds everything in place and changes nothing."""
    today = today or timezone.localdate()
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
        result.profiles_rolled_over = demo_policy_years(today=today)
        if not _demo_loaded():
            maker = _PersonMaker(regions, today)
            before = set(Person.objects.values_list("pk", flat=True))
            for index in range(DEMO_HOUSEHOLDS):
                _slot(index, maker, regions)
            new_persons = sorted(set(Person.objects.values_list("pk", flat=True)) - before)
            _ledger_of_enrollments(new_persons, today=today, paid_through=maker.paid_through)
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
        recompute_persons(person_ids=list(Person.objects.values_list("pk", flat=True)), as_of=today)
    return result
