"""A realistic synthetic population for load tests and benchmarks, written in bulk.

`population_generate(persons=N, seed=S, region_code=..., as_of=D)` makes N persons with valid ID
numbers and the histories the service hall sees on `as_of` (today by default): continuous resident
payers, late starters, residents with break years, unit employees, flexible workers with gaps of
every length (1 to 24 months), people who switched from employee to resident insurance or the other
way, newborns, veterans (with their service months) and medical-assistance recipients. Ledger rows
are written without decisions: the history of a previous system (see `selectors.facts_for_persons`).
On PostgreSQL everything goes through COPY; elsewhere through bulk_create.
"""

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from enrollment.demo import GIVEN, SURNAMES
from enrollment.identity import build_id_number
from enrollment.models import MilitaryService, Person, PersonEvent, Region, Scheme
from payments.models import LedgerEntry

BATCH = 20_000


@dataclass
class PopulationResult:
    persons: int = 0
    ledger_rows: int = 0
    events: int = 0


def _months(first: datetime.date, count: int) -> Iterator[datetime.date]:
    index = first.year * 12 + first.month - 1
    for step in range(count):
        yield datetime.date((index + step) // 12, (index + step) % 12 + 1, 1)


def _birth_date(rng: random.Random, as_of: datetime.date) -> datetime.date:
    """Mostly adults, 15 % aged 21 or less; born on or before `as_of`: an ID number cannot carry a
    birth date still to come (a day drawn later in the year moves to the year before)."""
    year = rng.choices(
        [rng.randint(as_of.year - 86, as_of.year - 22), rng.randint(as_of.year - 21, as_of.year)], weights=[85, 15]
    )[0]
    return _past(datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)), as_of)


def _past(day: datetime.date, as_of: datetime.date) -> datetime.date:
    """`day`, or the same day a year earlier when it is still to come on `as_of`."""
    return day if day <= as_of else day.replace(year=day.year - 1)


def _story(
    rng: random.Random, birth: datetime.date, as_of: datetime.date
) -> tuple[list[tuple[str, datetime.date]], list[tuple], list]:
    """(ledger rows as (scheme, period), events as (kind, date), military spans) of one person as the
    register has them on `as_of`: resident years up to the current one, events that have happened."""
    year = as_of.year
    ledger: list[tuple[str, datetime.date]] = []
    events: list[tuple[str, datetime.date]] = []
    military: list[tuple[datetime.date, datetime.date]] = []
    first_year = max(birth.year, 2012)
    roll = rng.random()
    if birth.year + 18 > year - 1:
        roll = min(roll, 0.44)  # too young for employment stories: resident insurance only
    if birth.year >= year - 1:  # newborn
        ledger += [(Scheme.RESIDENT, datetime.date(y, 1, 1)) for y in range(birth.year, year + 1)]
    elif roll < 0.35:  # continuous resident payer
        ledger += [(Scheme.RESIDENT, datetime.date(y, 1, 1)) for y in range(first_year, year + 1)]
    elif roll < 0.45:  # resident with break years, back this year or not
        stop = rng.randint(first_year, year - 1)
        ledger += [(Scheme.RESIDENT, datetime.date(y, 1, 1)) for y in range(first_year, stop + 1)]
        if rng.random() < 0.5:
            ledger.append((Scheme.RESIDENT, datetime.date(year, 1, 1)))
    elif roll < 0.65:  # unit employee, some still working
        start = datetime.date(rng.randint(max(first_year, birth.year + 18), year), rng.randint(1, 12), 1)
        count = rng.randint(6, 120)
        ledger += [(Scheme.EMPLOYEE_UNIT, month) for month in _months(start, count)]
    elif roll < 0.85:  # flexible worker with a gap of 1 to 24 months
        start = datetime.date(rng.randint(max(first_year, birth.year + 18, 2018), year - 1), 1, 1)
        before = rng.randint(3, 36)
        gap = rng.randint(1, 24)
        after = rng.randint(0, 24)
        months = list(_months(start, before + gap + after))
        ledger += [(Scheme.EMPLOYEE_FLEXIBLE, m) for m in months[:before] + months[before + gap :]]
    elif roll < 0.93:  # employee, then resident insurance (or the other way)
        stop = rng.randint(2019, year - 1)
        ledger += [(Scheme.EMPLOYEE_UNIT, m) for m in _months(datetime.date(stop - 3, 1, 1), 36 + rng.randint(0, 11))]
        ledger += [(Scheme.RESIDENT, datetime.date(y, 1, 1)) for y in range(stop + 1, year + 1)]
    elif roll < 0.97:  # veteran: service months, then resident insurance
        discharge = _past(datetime.date(rng.randint(2019, year), rng.choice((3, 9)), rng.randint(1, 28)), as_of)
        military.append((datetime.date(discharge.year - 2, 9, 1), discharge))
        events.append(("veteran_discharge", discharge))
        ledger += [(Scheme.RESIDENT, datetime.date(y, 1, 1)) for y in range(discharge.year + 1, year + 1)]
    else:  # medical-assistance recipient
        events.append(("medical_assistance", _past(datetime.date(rng.randint(2020, year), 1, 15), as_of)))
        ledger += [(Scheme.RESIDENT, datetime.date(y, 1, 1)) for y in range(first_year, year + 1)]
    return ledger, events, military


def _copy(table: str, columns: list[str], rows: list[tuple]) -> None:
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def population_generate(
    *, persons: int, seed: int, region_code: str = "360100", as_of: datetime.date | None = None
) -> PopulationResult:
    """Add `persons` persons to the register of a region, with histories up to `as_of` (default today).

    ID numbers are unique within a run; a second run (another seed) may meet numbers of the first,
    so generate into a fresh database.
    """
    region = Region.objects.get(code=region_code)
    rng = random.Random(seed)
    result = PopulationResult()
    postgres = connection.vendor == "postgresql"
    now = timezone.now()
    as_of = as_of or timezone.localdate()
    start_id = (Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    area_codes = ["360102", "360103", "360104", "360111", "360121"]
    # The next free sequence number per area and birth date keeps every number of a run unique.
    next_sequence: dict[tuple[str, datetime.date], int] = {}
    for batch_start in range(0, persons, BATCH):
        size = min(BATCH, persons - batch_start)
        person_rows, ledger_rows, event_rows, military_rows = [], [], [], []
        for offset in range(size):
            index = batch_start + offset
            person_id = start_id + index
            birth = _birth_date(rng, as_of)
            area = area_codes[index % len(area_codes)]
            sequence = next_sequence.get((area, birth), 1 + seed % 500)
            next_sequence[(area, birth)] = sequence + 1
            number = build_id_number(area_code=area, birth_date=birth, sequence=sequence % 999 + 1)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            gender = "male" if int(number[16]) % 2 else "female"
            person_rows.append((person_id, number, name, gender, birth, "", region.pk, "ordinary", now, now))
            ledger, events, military = _story(rng, birth, as_of)
            ledger_rows += [
                (person_id, scheme, region.pk, period, "regular", True, period - datetime.timedelta(days=20), now, "")
                for scheme, period in ledger
            ]
            event_rows += [(person_id, kind, date, "generated", now) for kind, date in events]
            military_rows += [(person_id, start, end, "generated", now) for start, end in military]
        with transaction.atomic():
            if postgres:
                _copy(
                    "enrollment_person",
                    [
                        "id",
                        "id_number",
                        "name",
                        "gender",
                        "birth_date",
                        "phone",
                        "household_region_id",
                        "category",
                        "created_at",
                        "updated_at",
                    ],
                    person_rows,
                )
                _copy(
                    "payments_ledgerentry",
                    [
                        "person_id",
                        "scheme",
                        "region_id",
                        "period",
                        "kind",
                        "counts_for_continuity",
                        "paid_on",
                        "created_at",
                        "void_reason",
                    ],
                    ledger_rows,
                )
                _copy("enrollment_personevent", ["person_id", "kind", "date", "evidence", "created_at"], event_rows)
                _copy(
                    "enrollment_militaryservice",
                    ["person_id", "start_date", "end_date", "evidence", "created_at"],
                    military_rows,
                )
            else:
                Person.objects.bulk_create(
                    Person(id=r[0], id_number=r[1], name=r[2], gender=r[3], birth_date=r[4], household_region_id=r[6])
                    for r in person_rows
                )
                LedgerEntry.objects.bulk_create(
                    LedgerEntry(person_id=r[0], scheme=r[1], region_id=r[2], period=r[3], paid_on=r[6])
                    for r in ledger_rows
                )
                PersonEvent.objects.bulk_create(
                    PersonEvent(person_id=r[0], kind=r[1], date=r[2], evidence=r[3]) for r in event_rows
                )
                MilitaryService.objects.bulk_create(
                    MilitaryService(person_id=r[0], start_date=r[1], end_date=r[2], evidence=r[3])
                    for r in military_rows
                )
        result.persons += len(person_rows)
        result.ledger_rows += len(ledger_rows)
        result.events += len(event_rows)
    if postgres:
        with connection.cursor() as cursor:
            # Explicit ids were written: move the sequence past them, then refresh the planner's statistics.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('enrollment_person', 'id'), "
                "(SELECT MAX(id) FROM enrollment_person))"
            )
            for table in ("enrollment_person", "payments_ledgerentry", "enrollment_personevent"):
                cursor.execute(f"ANALYZE {table}")
    return result
