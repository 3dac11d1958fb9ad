"""The nightly recompute at city scale, through real Celery workers and Redis, on PostgreSQL.

    python bench/nightly_bench.py [--persons 1000000] [--chunk-size 10000] [--workers 2]

Fills a scratch database `<name>_nightly_bench` with a generated population (once; kept for the
next run), then prints (a) a full recompute with the given number of worker processes, in persons
per second, (b) an incremental run after 1% of the persons got a new payment, (c) the floor: one
set-based SQL statement reading the same ledger rows and writing as many rows as there are
snapshots, (d) the ratio full/floor, and the peak memory (VmHWM) of the worker processes.
"""

import argparse
import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medins")
if not BASE_URL.startswith("postgres"):
    sys.exit("nightly_bench needs PostgreSQL: set DATABASE_URL=postgres://…")
BENCH_URL = BASE_URL.rsplit("/", 1)[0] + "/" + BASE_URL.rsplit("/", 1)[1].split("?")[0] + "_nightly_bench"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/13"
os.environ.update(DATABASE_URL=BENCH_URL, DJANGO_SETTINGS_MODULE="config.settings", CELERY_BROKER_URL=REDIS_URL)
os.environ.setdefault("SECRET_KEY", "bench-only")
AS_OF = datetime.date(2026, 3, 15)


def ensure_database() -> None:
    import psycopg

    server_url, name = BENCH_URL.rsplit("/", 1)
    with psycopg.connect(server_url + "/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def start_workers(count: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(count),
            "--prefetch-multiplier",
            "1",
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def peak_memory_kib(parent: subprocess.Popen) -> int:
    """The largest VmHWM among the worker's processes (the pool children do the work)."""
    peak = 0
    pids = [parent.pid]
    children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return peak


def wait_for_run(run_id: int) -> float:
    from eligibility.models import RecomputeRun

    while True:
        run = RecomputeRun.objects.get(pk=run_id)
        if run.status == "finished":
            return (run.finished_at - run.started_at).total_seconds()
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import connection

    from eligibility.models import EligibilitySnapshot, RecomputeRequest, RecomputeRun
    from eligibility.population import population_generate
    from eligibility.tasks import nightly_recompute
    from enrollment.models import Person, Region
    from payments.models import LedgerEntry
    from payments.policy_years import policy_profiles_load

    call_command("migrate", verbosity=0)
    Region.objects.get_or_create(
        code="360100",
        defaults={"name_zh": "南昌市", "name_en": "Nanchang", "province": "江西省", "province_en": "Jiangxi"},
    )
    policy_profiles_load()
    if Person.objects.count() != args.persons:
        print(f"generating {args.persons:,} persons … ", end="", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE eligibility_eligibilitysnapshot, eligibility_recomputerequest, payments_ledgerentry, "
                "enrollment_personevent, enrollment_militaryservice, eligibility_recomputechunk, "
                "eligibility_recomputerun, enrollment_person CASCADE"
            )
        started = time.perf_counter()
        result = population_generate(persons=args.persons, seed=1, as_of=AS_OF)
        print(f"{time.perf_counter() - started:.1f} s ({result.ledger_rows:,} ledger rows)")
    persons = Person.objects.count()
    ledger_rows = LedgerEntry.objects.count()
    print(f"persons: {persons:,}   ledger rows: {ledger_rows:,}   chunk size: {args.chunk_size}")

    redis.Redis.from_url(REDIS_URL).flushdb()
    RecomputeRun.objects.update(status="finished")
    EligibilitySnapshot.objects.all().delete()
    workers = start_workers(args.workers)
    try:
        time.sleep(3)
        run_id = nightly_recompute(as_of=AS_OF.isoformat(), full=True, chunk_size=args.chunk_size)
        full_seconds = wait_for_run(run_id)
        print(
            f"(a) full recompute, {args.workers} worker processes: {full_seconds:.1f} s, "
            f"{persons / full_seconds:,.0f} persons/s"
        )

        changed = list(Person.objects.order_by("?").values_list("pk", flat=True)[: max(1, persons // 100)])
        now = datetime.datetime.now(datetime.UTC)
        region_id = Region.objects.get(code="360100").pk
        LedgerEntry.objects.bulk_create(
            (
                LedgerEntry(
                    person_id=pk,
                    region_id=region_id,
                    scheme="resident",
                    period=datetime.date(2027, 1, 1),
                    paid_on=AS_OF,
                )
                for pk in changed
            ),
            ignore_conflicts=True,  # a person who already paid keeps the row and is still marked
        )
        RecomputeRequest.objects.bulk_create(
            RecomputeRequest(person_id=pk, requested_at=now - datetime.timedelta(hours=1)) for pk in changed
        )
        run_id = nightly_recompute(as_of=AS_OF.isoformat(), chunk_size=args.chunk_size)
        incremental_seconds = wait_for_run(run_id)
        run = RecomputeRun.objects.get(pk=run_id)
        print(
            f"(b) incremental after 1% new payments: {incremental_seconds:.1f} s "
            f"({run.persons_examined:,} examined, {run.persons_changed:,} changed)"
        )
        memory = peak_memory_kib(workers)
    finally:
        os.killpg(workers.pid, signal.SIGTERM)
        workers.wait(timeout=60)

    snapshots = EligibilitySnapshot.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute("CREATE UNLOGGED TABLE bench_floor (person_id bigint PRIMARY KEY, last_period date, n int)")
        started = time.perf_counter()
        cursor.execute(
            "INSERT INTO bench_floor SELECT person_id, MAX(period), COUNT(*) FROM payments_ledgerentry "
            "WHERE voided_at IS NULL GROUP BY person_id"
        )
        floor_seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_floor")
    print(
        f"(c) floor, one set-based statement over the ledger: {floor_seconds:.1f} s "
        f"(snapshots written by the run: {snapshots:,})"
    )
    print(f"(d) full / floor: {full_seconds / floor_seconds:.1f}x")
    print(f"    peak memory of a worker process: {memory / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
