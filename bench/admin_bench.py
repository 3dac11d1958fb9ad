"""The clerk workspace's list and person pages on a city-sized register, on PostgreSQL.

    python bench/admin_bench.py [--persons 1000000] [--repeat 7] [--explain]

Fills a scratch database `<name>_adminbench` with a generated population (once; kept for the next
run with the same size): persons with their ledger (eligibility/population.py), a quarter of them
moved to a second region, a third given a mobile number, and one payment (with its decision) for
every fifth person. Then, logged in with Django's test client as a clerk of one region and as an
administrator, it times each page in the server (the whole Django request, no network; median of
`--repeat` requests after one warm-up) and prints a table against the 300 ms target, with the
number of queries. `--explain` prints EXPLAIN ANALYZE of each page's slowest query.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medins")
if not BASE_URL.startswith("postgres"):
    sys.exit("admin_bench needs PostgreSQL: set DATABASE_URL=postgres://…")
BENCH_URL = BASE_URL.rsplit("/", 1)[0] + "/medins_adminbench"
os.environ.update(DATABASE_URL=BENCH_URL, DJANGO_SETTINGS_MODULE="config.settings", ALLOWED_HOSTS="testserver")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("CELERY_BROKER_URL", "")
TARGET_MS = 300.0


def ensure_database() -> None:
    import psycopg

    server_url, name = BENCH_URL.rsplit("/", 1)
    with psycopg.connect(server_url + "/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def generate(persons: int) -> None:
    from django.db import connection

    from eligibility.population import population_generate

    print(f"generating {persons:,} persons … ", end="", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE payments_importrow, payments_importbatch, payments_payment, eligibility_notification, "
            "eligibility_benefitdecision, eligibility_eligibilitysnapshot, eligibility_recomputerequest, "
            "payments_ledgerentry, enrollment_personevent, enrollment_militaryservice, enrollment_person CASCADE"
        )
    result = population_generate(persons=persons, seed=1)
    print(f"{time.perf_counter() - started:.1f} s ({result.ledger_rows:,} ledger rows)")


def add_regions_phones_payments(nanchang_id: int, fuzhou_id: int) -> None:
    from django.db import connection

    print("second region, mobile numbers, payments … ", end="", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # A second service hall, and the mobile numbers residents give at the counter.
        cursor.execute(
            "UPDATE enrollment_person SET household_region_id = CASE WHEN id %% 4 = 0 THEN %s ELSE %s END",
            [fuzhou_id, nanchang_id],
        )
        cursor.execute(
            "UPDATE enrollment_person SET phone = '13' || lpad((id %% 1000000000)::text, 9, '0') WHERE id %% 3 = 0",
            [],
        )
        # One resident payment, with its decision, for every fifth person.
        cursor.execute(
            """
            INSERT INTO eligibility_benefitdecision (person_id, action_kind, scheme, coverage_year, paid_on,
                profile_name, treatment, continuity_reset, reasons, warnings, explanation, rules_version, created_at)
            SELECT id, 'resident_payment', 'resident', 2025, DATE '2024-11-10', 'bench', '', false, '[]', '[]',
                '{}', 'bench', now()
            FROM enrollment_person WHERE id %% 5 = 0
            """,
            [],
        )
        cursor.execute(
            """
            INSERT INTO payments_payment (person_id, channel, reference, kind, scheme, coverage_year, repair_years,
                amount, paid_at, paid_on, decision_id, status, reversal_reason, created_at)
            SELECT person_id, 'tax_wechat', 'BENCH-' || id, 'resident_year', 'resident', 2025, 0, 400.00,
                TIMESTAMPTZ '2024-11-10 09:30+08' + (id %% 86400) * INTERVAL '1 second', DATE '2024-11-10', id,
                'recorded', '', now()
            FROM eligibility_benefitdecision WHERE profile_name = 'bench'
            """,
            [],
        )
        for table in ("enrollment_person", "payments_payment", "eligibility_benefitdecision", "payments_ledgerentry"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"{time.perf_counter() - started:.1f} s")


def measure(client, url: str, params: dict, repeat: int, explain: bool) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, params)  # warm-up (templates, caches)
    if response.status_code != 200:
        raise SystemExit(f"{url} {params}: HTTP {response.status_code}")
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    if explain:
        slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
        print(f"\n-- {url} {params}: slowest query {float(slowest['time']) * 1000:.1f} ms\n{slowest['sql']}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()))
    return statistics.median(timings), len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from enrollment.models import Person, Region, StaffRegion
    from enrollment.roles import ADMINISTRATOR, CLERK, roles_ensure
    from payments.models import LedgerEntry, Payment
    from payments.policy_years import policy_profiles_load
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0)
    nanchang, _ = Region.objects.get_or_create(
        code="360100",
        defaults={"name_zh": "南昌市", "name_en": "Nanchang", "province": "江西省", "province_en": "Jiangxi"},
    )
    fuzhou, _ = Region.objects.get_or_create(
        code="361000",
        defaults={"name_zh": "抚州市", "name_en": "Fuzhou", "province": "江西省", "province_en": "Jiangxi"},
    )
    policy_profiles_load()
    if Person.objects.count() != args.persons:
        generate(args.persons)
    if not Payment.objects.exists():
        add_regions_phones_payments(nanchang.pk, fuzhou.pk)
    print(
        f"persons: {Person.objects.count():,}   ledger rows: {LedgerEntry.objects.count():,}   "
        f"payments: {Payment.objects.count():,}"
    )

    groups = roles_ensure()
    clerk = UserFactory(username="bench_clerk", is_staff=True, groups=[groups[CLERK]])
    StaffRegion.objects.get_or_create(user=clerk, region=nanchang)
    administrator = UserFactory(username="bench_admin", is_staff=True, groups=[groups[ADMINISTRATOR]])

    # A person of the clerk's region near the end of the table (no lucky early hit).
    sample = Person.objects.filter(household_region=nanchang).exclude(phone="").order_by("-pk").first()
    person_list = reverse("admin:enrollment_person_changelist")
    pages = [
        ("person list", person_list, {}),
        ("search: exact ID number", person_list, {"q": sample.id_number}),
        ("search: name prefix", person_list, {"q": sample.name[:2]}),
        ("search: mobile number", person_list, {"q": sample.phone}),
        ("person page", reverse("admin:enrollment_person_change", args=[sample.pk]), {}),
        ("payment list", reverse("admin:payments_payment_changelist"), {}),
        ("ledger list", reverse("admin:payments_ledgerentry_changelist"), {}),
        ("ledger: search by ID", reverse("admin:payments_ledgerentry_changelist"), {"q": sample.id_number}),
    ]
    results: dict[str, dict[str, tuple[float, int]]] = {}
    for who, user in (("clerk (1 region)", clerk), ("administrator", administrator)):
        client = Client()
        client.force_login(user)
        client.cookies["django_language"] = "zh-hans"
        for label, url, params in pages:
            results.setdefault(label, {})[who] = measure(client, url, params, args.repeat, args.explain)

    print(f"\n{'page':<26}{'clerk ms':>10}{'queries':>9}{'admin ms':>10}{'queries':>9}   target {TARGET_MS:.0f} ms")
    for label, by_user in results.items():
        (clerk_ms, clerk_q), (admin_ms, admin_q) = by_user["clerk (1 region)"], by_user["administrator"]
        verdict = "ok" if max(clerk_ms, admin_ms) < TARGET_MS else "SLOW"
        print(f"{label:<26}{clerk_ms:>10.1f}{clerk_q:>9}{admin_ms:>10.1f}{admin_q:>9}   {verdict}")


if __name__ == "__main__":
    main()
