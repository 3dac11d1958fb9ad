"""What the server benchmarks share: a scratch database with a generated register, gunicorn on loopback.

Not a benchmark itself (`make bench` skips files starting with an underscore). Import it after the
script has set DATABASE_URL and DJANGO_SETTINGS_MODULE; `generate` needs `django.setup()` done.
"""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ensure_database(url: str, *, template: str | None = None) -> None:
    """Create the database of `url` if it does not exist (as a copy of `template` when given)."""
    import psycopg

    server_url, name = url.rsplit("/", 1)
    with psycopg.connect(server_url + "/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            suffix = f' TEMPLATE "{template}"' if template else ""
            connection.execute(f'CREATE DATABASE "{name}"{suffix}')


def drop_database(url: str) -> None:
    import psycopg

    server_url, name = url.rsplit("/", 1)
    with psycopg.connect(server_url + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def generate(persons: int, *, as_of: datetime.date, triggered_by: str) -> None:
    """Persons and their ledger, an open enrolment per person and scheme, statuses as of `as_of`."""
    from django.db import connection

    from eligibility.models import RecomputeRun
    from eligibility.nightly import recompute_run_in_process, recompute_start
    from eligibility.population import population_generate

    print(f"generating {persons:,} persons … ", end="", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE enrollment_personaccess, eligibility_notification, eligibility_benefitdecision, "
            "eligibility_eligibilitysnapshot, eligibility_recomputerequest, eligibility_recomputechunk, "
            "eligibility_recomputerun, payments_ledgerentry, payments_payment, enrollment_enrollment, "
            "enrollment_personevent, enrollment_militaryservice, enrollment_person CASCADE"
        )
    result = population_generate(persons=persons, seed=1, as_of=as_of)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO enrollment_enrollment (person_id, scheme, region_id, start_date, status, employer_name,
                note, created_at)
            SELECT person_id, scheme, MIN(region_id), MIN(period), 'active',
                CASE WHEN scheme = 'employee_unit' THEN '南昌市某单位' ELSE '' END, '', now()
            FROM payments_ledgerentry GROUP BY person_id, scheme
            """
        )
        enrolments = cursor.rowcount
    print(f"{time.perf_counter() - started:.1f} s ({result.ledger_rows:,} ledger rows, {enrolments:,} enrolments)")
    print(f"computing the statuses as of {as_of} … ", end="", flush=True)
    started = time.perf_counter()
    RecomputeRun.objects.filter(status="running").update(status="abandoned")
    recompute_run_in_process(recompute_start(as_of=as_of, full=True, triggered_by=triggered_by))
    with connection.cursor() as cursor:
        for table in ("enrollment_person", "eligibility_eligibilitysnapshot", "payments_ledgerentry"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"{time.perf_counter() - started:.1f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    port: int, *, workers: int, worker_class: str, threads: int, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """gunicorn serving the project on 127.0.0.1:`port` in its own process group; returns once it answers."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--log-level",
        "warning",
        "--backlog",
        "256",
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/me", timeout=1)
        except urllib.error.HTTPError:
            return process  # 401: up and answering
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not start")
