"""How fast the reconciliation import takes a tax-bureau file of 100,000 rows (PostgreSQL).

In a scratch database `<name>_bench` (created if missing) it registers its own persons in Fuzhou
(361000, area codes 3610xx, so it never touches the register bench's persons), gives them last
year's history (resident 2025, or flexible-worker months July-December 2025), writes a GB18030
CSV with Chinese headers like the tax bureau's, imports it and prints rows per second and the
outcome counts, then imports the same file again and prints how many new payments that made (0).
At the end it removes what it wrote (its persons and the payment tables of the scratch database).
BENCH_WORKERS (default 2, the cores of the reference machine) is the import's `workers`.

The file: resident premiums for 2026 paid in the collection period, flexible workers' 2026
months, some new flexible workers with two rows (July-December 2025, then 2026), and a few
percent of bad rows of every kind (unknown person, name mismatch, check digit, amount, date,
period, channel, scheme, rule refusals, a reference repeated).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medins .venv/bin/python bench/import_bench.py
    … bench/import_bench.py --rows 20000             # a smaller run (or BENCH_ROWS=20000)
    … bench/import_bench.py --rows 10000 --profile   # cProfile of the first import, in one process
"""

import argparse
import csv
import datetime
import io
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medins")
if not BASE_URL.startswith("postgres"):
    sys.exit("import_bench needs PostgreSQL: set DATABASE_URL=postgres://…")
BENCH_URL = BASE_URL.rsplit("/", 1)[0] + "/" + BASE_URL.rsplit("/", 1)[1].split("?")[0] + "_bench"
os.environ.update(DATABASE_URL=BENCH_URL, DJANGO_SETTINGS_MODULE="config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["CELERY_BROKER_URL"] = ""  # statuses: the marks are left for the nightly run
ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CHUNK_SIZE = int(os.environ.get("BENCH_CHUNK_SIZE", "0"))  # 0: the import's default
REGION_CODE = "361000"
FLEX_MONTH = Decimal("420.60")  # NC-2025/NC-2026: 6240.00 x 0.065 + 15.00
HEADER = ["身份证号", "姓名", "险种", "所属期", "金额", "缴费渠道", "交易流水号", "缴费时间"]
CHANNELS = ["税务微信公众号", "支付宝/赣服通", "云闪付", "bank_counter", "tax_wechat", "社区代收点"]
BAD_KINDS = [
    "unknown_person",
    "name_mismatch",
    "check_digit",
    "amount",
    "date",
    "period",
    "channel",
    "scheme",
    "monthly",
    "already_paid",
    "repeated_reference",
]
BAD_SHARE = 0.04
TWO_ROW_SHARE = 0.02
FLEX_SHARE = 0.12


def ensure_database() -> None:
    import psycopg

    server_url, name = BENCH_URL.rsplit("/", 1)
    with psycopg.connect(server_url + "/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def reset() -> None:
    """Remove what earlier runs of this bench wrote (payments side), keep the register's persons."""
    from django.db import connection

    tables = [
        "payments_importrow",
        "payments_importbatch",
        "payments_historicalledgerentry",
        "payments_ledgerentry",
        "payments_historicalpayment",
        "payments_payment",
        "eligibility_benefitdecision",
        "eligibility_recomputerequest",
        "eligibility_eligibilitysnapshot",
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
        cursor.execute(
            "DELETE FROM enrollment_person WHERE household_region_id IN "
            "(SELECT id FROM enrollment_region WHERE code = %s)",
            [REGION_CODE],
        )


def make_persons(region_id: int, count: int, rng: random.Random) -> list[tuple[int, str, str, str]]:
    """COPY `count` persons into the register; returns (pk, id number, name, role) of each."""
    from django.db import connection

    from enrollment.demo import GIVEN, SURNAMES
    from enrollment.identity import build_id_number

    now = datetime.datetime.now(datetime.UTC)
    people = []
    with (
        connection.cursor() as cursor,
        cursor.copy(
            "COPY enrollment_person (id_number, name, gender, birth_date, phone, household_region_id, category,"
            " created_at, updated_at) FROM STDIN"
        ) as copy,
    ):
        for index in range(count):
            birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=(index // 9_990) * 1_000 + rng.randrange(999))
            number = build_id_number(
                area_code=f"3610{index % 10:02d}", birth_date=birth, sequence=(index // 10) % 999 + 1
            )
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            gender = "male" if int(number[16]) % 2 else "female"
            copy.write_row((number, name, gender, birth, "", region_id, "ordinary", now, now))
            people.append((number, name))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, id_number FROM enrollment_person WHERE household_region_id = %s", [region_id])
        pks = {number: pk for pk, number in cursor.fetchall()}
        cursor.execute("ANALYZE enrollment_person")
    roles = []
    for number, name in people:
        roll = rng.random()
        role = "flex" if roll < FLEX_SHARE else ("new_flex" if roll < FLEX_SHARE + TWO_ROW_SHARE else "resident")
        roles.append((pks[number], number, name, role))
    return roles


def make_history(region_id: int, persons: list[tuple[int, str, str, str]]) -> None:
    """Last year's ledger: resident 2025, or flexible-worker months July-December 2025."""
    from django.db import connection

    now = datetime.datetime.now(datetime.UTC)
    with (
        connection.cursor() as cursor,
        cursor.copy(
            "COPY payments_ledgerentry (person_id, scheme, region_id, period, kind, counts_for_continuity, paid_on,"
            " void_reason, created_at) FROM STDIN"
        ) as copy,
    ):
        for pk, _number, _name, role in persons:
            if role == "resident":
                copy.write_row((pk, "resident", region_id, datetime.date(2025, 1, 1), "regular", True,
                                datetime.date(2024, 11, 20), "", now))  # fmt: skip
            elif role == "flex":
                for month in range(7, 13):
                    copy.write_row((pk, "employee_flexible", region_id, datetime.date(2025, month, 1), "regular",
                                    True, datetime.date(2025, 7, 3), "", now))  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE payments_ledgerentry")


def stamp(rng: random.Random, first: datetime.date, last: datetime.date) -> str:
    day = first + datetime.timedelta(days=rng.randrange((last - first).days + 1))
    return f"{day:%Y-%m-%d} {rng.randrange(8, 22):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"


def make_file(persons: list[tuple[int, str, str, str]], rng: random.Random) -> tuple[bytes, int]:
    """The CSV (GB18030) and its number of rows."""
    from enrollment.identity import build_id_number

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    written = 0
    references = iter(range(10_000_000, 99_999_999))
    last_reference = ""

    def good_row(person: tuple[int, str, str, str], *, first: bool = True) -> list[str]:
        nonlocal last_reference
        _pk, number, name, role = person
        last_reference = f"SW{next(references)}"
        channel = rng.choice(CHANNELS)
        if role == "resident":
            return [number, name, "城乡居民医保", "2026", "400.00", channel, last_reference,
                    stamp(rng, datetime.date(2025, 10, 15), datetime.date(2026, 2, 28))]  # fmt: skip
        if role == "flex":
            return [number, name, "灵活就业", "2026-01~2026-12", str(FLEX_MONTH * 12), channel, last_reference,
                    stamp(rng, datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))]  # fmt: skip
        if first:
            return [number, name, "灵活就业", "2025-07~2025-12", str(FLEX_MONTH * 6), channel, last_reference,
                    stamp(rng, datetime.date(2025, 7, 1), datetime.date(2025, 7, 31))]  # fmt: skip
        return [number, name, "灵活就业", "202601-202612", str(FLEX_MONTH * 12), channel, last_reference,
                stamp(rng, datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))]  # fmt: skip

    def bad_row(person: tuple[int, str, str, str], kind: str) -> list[str]:
        row = good_row(person)
        if kind == "unknown_person":
            row[0] = build_id_number(area_code="361099", birth_date=datetime.date(1980, 1, 1),
                                     sequence=rng.randrange(1, 999))  # fmt: skip
        elif kind == "name_mismatch":
            row[1] = "王" + row[1][1:] if not row[1].startswith("王") else "李" + row[1][1:]
        elif kind == "check_digit":
            row[0] = row[0][:-1] + ("0" if row[0][-1] != "0" else "1")
        elif kind == "amount":
            row[4] = str(Decimal(row[4]) - 50)
        elif kind == "date":
            row[7] = "2025-02-30 10:00:00"
        elif kind == "period":
            row[3] = "2026上半年"
        elif kind == "channel":
            row[5] = "现金"
        elif kind == "scheme":
            row[2] = "商业医疗保险"
        elif kind == "monthly":
            row[2:5] = ["灵活就业", "2026-03", str(FLEX_MONTH)]
            row[7] = stamp(rng, datetime.date(2026, 3, 1), datetime.date(2026, 3, 20))
        elif kind == "already_paid":
            # the person's 2026 payment is in the file too, with another reference
            row[6] = f"SW{next(references)}"
        return row

    for person in persons:
        if written >= ROWS:
            break
        if rng.random() < BAD_SHARE:
            kind = BAD_KINDS[written % len(BAD_KINDS)]
            if kind == "repeated_reference":
                first = good_row(person)
                writer.writerow(first)
                writer.writerow(first)  # the same payment sent twice
                written += 2
                continue
            if kind in ("already_paid", "monthly") and person[3] != "resident":
                kind = "amount"
            if kind == "already_paid":
                writer.writerow(good_row(person))
                written += 1
            writer.writerow(bad_row(person, kind))
            written += 1
            continue
        writer.writerow(good_row(person))
        written += 1
        if person[3] == "new_flex":
            writer.writerow(good_row(person, first=False))
            written += 1
    return out.getvalue().encode("gb18030"), written


def main(*, profile: str | None = None) -> None:
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    from enrollment.models import Region
    from payments.imports import DEFAULT_CHUNK_SIZE, payments_import
    from payments.models import LedgerEntry, Payment
    from payments.policy_years import policy_profiles_load

    call_command("migrate", verbosity=0)
    region, _ = Region.objects.get_or_create(
        code=REGION_CODE,
        defaults={"name_zh": "抚州市", "name_en": "Fuzhou", "province": "江西省", "province_en": "Jiangxi"},
    )
    policy_profiles_load()
    rng = random.Random(2026)
    started = time.perf_counter()
    reset()
    persons = make_persons(region.pk, int(ROWS * 0.98), rng)
    make_history(region.pk, persons)
    content, rows = make_file(persons, rng)
    print(f"prepared {len(persons):,} persons and a file of {rows:,} rows ({len(content) / 1e6:.1f} MB, GB18030)"
          f" in {time.perf_counter() - started:.1f} s")  # fmt: skip

    chunk_size = CHUNK_SIZE or DEFAULT_CHUNK_SIZE
    workers = 1 if profile else WORKERS
    print(f"workers {workers}, chunks of {chunk_size:,} rows")
    before = Payment.objects.count()
    if profile:
        # Forked workers are not profiled: the first import runs in this process.
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    batch = payments_import(content=content, file_name="bench-tax-bureau.csv", workers=workers, chunk_size=chunk_size)
    seconds = time.perf_counter() - started
    if profile:
        profiler.disable()
    print(f"first import: {batch.rows:,} rows in {seconds:.1f} s = {batch.rows / seconds:,.0f} rows/s")
    print(f"  accepted {batch.accepted:,} · duplicate {batch.duplicate:,} · rejected {batch.rejected:,}")
    codes = dict(
        batch.lines.filter(outcome="rejected")
        .values_list("reason_code")
        .annotate(n=django.db.models.Count("id"))
        .order_by("-n")
        .values_list("reason_code", "n")
    )
    print("  rejected by reason: " + ", ".join(f"{code} {n:,}" for code, n in codes.items()))
    print(f"  new payments {Payment.objects.count() - before:,}, ledger rows {LedgerEntry.objects.count():,}")

    before = Payment.objects.count()
    started = time.perf_counter()
    again = payments_import(content=content, file_name="bench-tax-bureau.csv", workers=workers, chunk_size=chunk_size)
    seconds = time.perf_counter() - started
    print(
        f"second import of the same file: {again.rows:,} rows in {seconds:.1f} s = {again.rows / seconds:,.0f} rows/s"
    )
    print(f"  accepted {again.accepted:,} · duplicate {again.duplicate:,} · rejected {again.rejected:,}")
    print(f"  {Payment.objects.count() - before} new payments")
    # The register bench replaces every person when it refills: leave no payments that protect ours.
    reset()
    if profile:
        pstats.Stats(profiler).sort_stats(profile).print_stats(40)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS, help="rows of the file (BENCH_ROWS, default 100,000)")
    parser.add_argument("--workers", type=int, default=WORKERS, help="the import's workers (BENCH_WORKERS, default 2)")
    parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help="rows per chunk (default: the import's)")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="tottime",
        default=os.environ.get("BENCH_PROFILE") or None,
        help="cProfile the first import in one process, sorted by this key (tottime, cumulative)",
    )
    arguments = parser.parse_args()
    ROWS, WORKERS, CHUNK_SIZE = arguments.rows, arguments.workers, arguments.chunk_size
    main(profile=arguments.profile)
