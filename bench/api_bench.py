"""The hospitals' eligibility check under load, against the trivial authenticated endpoint, on PostgreSQL.

    python bench/api_bench.py [--persons 100000] [--rebuild] [--workers N] [--worker-class sync|gthread]
                              [--threads 2] [--connections 32] [--duration 20] [--warmup 5] [--rules-path]

Fills a scratch database `medins_apibench` (once; kept for the next run unless `--rebuild`) with a
generated population (eligibility/population.py: persons, their ledger), an open enrolment per person
and scheme, and their stored statuses computed by a full recompute as of `AS_OF`. Creates an API
client holding eligibility:check and reporting:read with a rate the run cannot reach, starts gunicorn
on 127.0.0.1 (DEBUG off, persistent database connections, the throttle counting in Redis as in
production), and drives it with wrk at `--connections` connections: first GET /api/v1/me (auth,
scope, throttle, a JSON body: the floor of any API request), then POST /api/v1/eligibility/check
with the ID numbers of random persons and the service date of their stored status (the fast path).
`--rules-path` adds a third run on the day before (the stored status cannot answer it: the rules engine does).

Prints requests per second, p50 and p99 of each, and the ratio check / trivial against the targets
(check ≥ 60 % of the trivial endpoint's throughput, p99 < 50 ms). wrk runs with one thread: on a
small machine it then takes one core's share at most and leaves the rest to gunicorn and PostgreSQL.
"""

import argparse
import datetime
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _shared import ensure_database, free_port, generate, start_gunicorn  # noqa: E402 - after the path

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medins")
if not BASE_URL.startswith("postgres"):
    sys.exit("api_bench needs PostgreSQL: set DATABASE_URL=postgres://…")
BENCH_URL = BASE_URL.rsplit("/", 1)[0] + "/medins_apibench"
# The throttle's counts live in the cache; production shares them between processes through Redis.
CACHE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/12"
os.environ.update(
    DATABASE_URL=BENCH_URL,
    DJANGO_SETTINGS_MODULE="config.settings",
    CELERY_BROKER_URL="",
    ALLOWED_HOSTS="127.0.0.1,localhost",
    DEBUG="0",
    # gunicorn on loopback speaks plain http: no redirect to https.
    HTTPS_ONLY="0",
)
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
AS_OF = datetime.date(2026, 11, 30)
CLIENT_NAME = "api-bench"
SAMPLE_SIZE = 20_000
TARGET_RATIO = 0.60
TARGET_P99_MS = 50.0

LUA_CHECK = """
-- POST bodies for the eligibility check: random persons among the sampled ID numbers.
local numbers = {}
for line in io.lines("%(numbers)s") do numbers[#numbers + 1] = line end
local headers = {["Authorization"] = "Bearer %(token)s", ["Content-Type"] = "application/json",
                 ["Accept-Language"] = "zh-Hans"}
math.randomseed(%(seed)d)
request = function()
  local number = numbers[math.random(#numbers)]
  local body = '{"id_number": "' .. number .. '", "service_date": "%(day)s", "inpatient": false}'
  return wrk.format("POST", "/api/v1/eligibility/check", headers, body)
end
"""
LUA_GET = """
local headers = {["Authorization"] = "Bearer %(token)s", ["Accept-Language"] = "zh-Hans"}
request = function() return wrk.format("GET", "/api/v1/me", headers) end
"""


def run_wrk(port: int, script: str, *, connections: int, duration: int, threads: int = 1) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{duration}s",
                "--timeout",
                "5s",
                "--latency",
                "-s",
                handle.name,
                f"http://127.0.0.1:{port}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    return parse_wrk(output)


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS_MS[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s, p50/p99 (ms) and the error counts of wrk's --latency report."""
    figures: dict[str, float] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "requests": float(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
    }
    for percent in ("50", "99"):
        figures[f"p{percent}"] = _ms(re.search(rf"^\s+{percent}(?:\.000)?%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["non_2xx"] = float(non_2xx.group(1)) if non_2xx else 0.0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    figures["socket_errors"] = float(sum(int(n) for n in errors.groups())) if errors else 0.0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true", help="generate the population again")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=2, help="threads per gthread worker")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=20, help="seconds of each measured run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of each warm-up run")
    parser.add_argument("--rules-path", action="store_true", help="also time the check on a day without snapshot")
    args = parser.parse_args()
    ensure_database(BENCH_URL)
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    from eligibility.models import EligibilitySnapshot
    from enrollment.api_clients import api_client_create
    from enrollment.models import ApiClient, ApiClientKind, ApiScope, Person, PersonAccess, Region
    from payments.policy_years import policy_profiles_load

    call_command("migrate", verbosity=0)
    Region.objects.get_or_create(
        code="360100",
        defaults={"name_zh": "南昌市", "name_en": "Nanchang", "province": "江西省", "province_en": "Jiangxi"},
    )
    policy_profiles_load()
    if args.rebuild or Person.objects.count() != args.persons or not EligibilitySnapshot.objects.exists():
        generate(args.persons, as_of=AS_OF, triggered_by="api_bench")
    snapshots = EligibilitySnapshot.objects.filter(as_of=AS_OF).count()
    print(f"persons: {Person.objects.count():,}   statuses as of {AS_OF}: {snapshots:,}")

    ApiClient.objects.filter(name=CLIENT_NAME).update(revoked_at=datetime.datetime.now(datetime.UTC))
    ApiClient.objects.filter(name=CLIENT_NAME).update(name=f"{CLIENT_NAME}-old-{int(time.time())}")
    token = api_client_create(
        name=CLIENT_NAME,
        kind=ApiClientKind.HOSPITAL,
        scopes=[ApiScope.ELIGIBILITY_CHECK, ApiScope.REPORTING_READ],
        rate="9999999/second",
    ).token
    rng = random.Random(1)
    ids = list(EligibilitySnapshot.objects.filter(as_of=AS_OF).values_list("person_id", flat=True))
    chosen = rng.sample(ids, min(SAMPLE_SIZE, len(ids)))
    numbers = list(Person.objects.filter(pk__in=chosen).values_list("id_number", flat=True))
    numbers_file = Path(tempfile.gettempdir()) / "api_bench_numbers.txt"
    numbers_file.write_text("\n".join(numbers) + "\n")
    redis.Redis.from_url(CACHE_URL).flushdb()
    from django.db import connection

    connection.close()  # the bench process holds no connection during the runs

    port = free_port()
    server = start_gunicorn(
        port,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        env={"DATABASE_CONN_MAX_AGE": "600", "CACHE_URL": CACHE_URL, "LOG_LEVEL": "WARNING"},
    )
    print(
        f"gunicorn: {args.workers} {args.worker_class} workers"
        + (f" × {args.threads} threads" if args.worker_class == "gthread" else "")
        + f" on 127.0.0.1:{port}; wrk: 1 thread, {args.connections} connections, {args.duration} s per run"
    )
    runs = [
        ("GET /api/v1/me", LUA_GET % {"token": token}),
        (
            "POST /api/v1/eligibility/check",
            LUA_CHECK % {"numbers": numbers_file, "token": token, "seed": 7, "day": AS_OF},
        ),
    ]
    if args.rules_path:
        # A day before the stored status's own: the snapshot cannot answer it, the rules engine does.
        earlier_day = AS_OF - datetime.timedelta(days=1)
        runs.append(
            (
                "POST check (rules path)",
                LUA_CHECK % {"numbers": numbers_file, "token": token, "seed": 8, "day": earlier_day},
            )
        )
    results: dict[str, dict[str, float]] = {}
    try:
        for label, script in runs:
            run_wrk(port, script, connections=args.connections, duration=args.warmup)
            results[label] = run_wrk(port, script, connections=args.connections, duration=args.duration)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    print(f"\n{'endpoint':<34}{'rps':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'errors':>8}")
    for label, figures in results.items():
        print(
            f"{label:<34}{figures['rps']:>9.0f}{figures['p50']:>9.2f}{figures['p99']:>9.2f}"
            f"{figures['non_2xx']:>9.0f}{figures['socket_errors']:>8.0f}"
        )
    trivial, check = results["GET /api/v1/me"], results["POST /api/v1/eligibility/check"]
    ratio = check["rps"] / trivial["rps"]
    print(
        f"\ncheck / trivial throughput: {ratio:.0%} (target ≥ {TARGET_RATIO:.0%}: "
        f"{'ok' if ratio >= TARGET_RATIO else 'MISSED'});  check p99 {check['p99']:.1f} ms "
        f"(target < {TARGET_P99_MS:.0f} ms: {'ok' if check['p99'] < TARGET_P99_MS else 'MISSED'})"
    )
    logged = PersonAccess.objects.filter(api_client__name=CLIENT_NAME).count()
    print(f"access log rows written by this run: {logged:,}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
