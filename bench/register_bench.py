"""How fast clerks find a person in a register of a million (PostgreSQL).

Fills a scratch database `<name>_bench` (created if missing) with BENCH_PERSONS persons (default
1,000,000) through COPY, then times the searches the clerk's person list runs — whole ID number,
ID prefix, name prefix — and the admin list page itself, and prints the figures.

    make bench            # or: DATABASE_URL=postgres://postgres@127.0.0.1:5432/medins python bench/register_bench.py
"""

import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medins")
if not BASE_URL.startswith("postgres"):
    sys.exit("register_bench needs PostgreSQL: set DATABASE_URL=postgres://…")
BENCH_URL = BASE_URL.rsplit("/", 1)[0] + "/" + BASE_URL.rsplit("/", 1)[1].split("?")[0] + "_bench"
os.environ.update(DATABASE_URL=BENCH_URL, DJANGO_SETTINGS_MODULE="config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
PERSONS = int(os.environ.get("BENCH_PERSONS", "1000000"))
REPEAT = 200


def ensure_database() -> None:
    import psycopg

    server_url, name = BENCH_URL.rsplit("/", 1)
    with psycopg.connect(server_url + "/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def fill(region_id: int) -> float:
    from django.db import connection

    from enrollment.demo import GIVEN, SURNAMES
    from enrollment.identity import build_id_number

    rng = random.Random(7)
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.copy(
            "COPY enrollment_person (id_number, name, gender, birth_date, phone, household_region_id, category,"
            " created_at, updated_at) FROM STDIN"
        ) as copy,
    ):
        now = datetime.datetime.now(datetime.UTC)
        for index in range(PERSONS):
            # (area, sequence) repeats every 99,900 rows; each repetition draws its birth dates from
            # its own 3,000-day band, so every number is unique and births spread over 80 years.
            band = index // 99_900
            birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=band * 3_001 + rng.randrange(3_000))
            area = f"3601{index % 100:02d}"
            number = build_id_number(area_code=area, birth_date=birth, sequence=(index // 100) % 999 + 1)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            gender = "male" if int(number[16]) % 2 else "female"
            copy.write_row((number, name, gender, birth, "", region_id, "ordinary", now, now))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE enrollment_person")
    return time.perf_counter() - started


def timed(label: str, run) -> None:
    durations = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        run()
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    print(f"{label:<44} median {statistics.median(durations):7.2f} ms   p95 {durations[int(REPEAT * 0.95)]:7.2f} ms")


def main() -> None:
    ensure_database()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from enrollment.models import Person, Region
    from enrollment.selectors import person_search

    call_command("migrate", verbosity=0)
    region, _ = Region.objects.get_or_create(
        code="360100",
        defaults={"name_zh": "南昌市", "name_en": "Nanchang", "province": "江西省", "province_en": "Jiangxi"},
    )
    existing = Person.objects.count()
    if existing < PERSONS:
        Person.objects.all().delete()
        print(f"filling {PERSONS:,} persons … ", end="", flush=True)
        print(f"{fill(region.pk):.1f} s")
    count = Person.objects.count()
    print(f"persons in the register: {count:,}")

    sample = list(Person.objects.order_by("?").values_list("id_number", "name")[:REPEAT])
    picks = iter(sample * 10)
    timed("search: whole ID number", lambda: list(person_search(query=next(picks)[0])[:50]))
    timed("search: ID prefix (area + birth date)", lambda: list(person_search(query=next(picks)[0][:14])[:50]))
    timed("search: name prefix (2 characters)", lambda: list(person_search(query=next(picks)[1][:2])[:50]))

    admin_user, created = get_user_model().objects.get_or_create(
        username="bench_admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin_user)
    timed("admin person list, first page", lambda: client.get("/admin/enrollment/person/"))
    timed("admin person list, search by ID", lambda: client.get("/admin/enrollment/person/", {"q": next(picks)[0]}))
    timed("admin person list, search by name", lambda: client.get("/admin/enrollment/person/", {"q": next(picks)[1]}))


if __name__ == "__main__":
    main()
