"""The whole product under a mixed load: residents, clerks and hospitals at once, on PostgreSQL and Redis.

    python bench/load_bench.py [--persons 100000] [--rebuild] [--clients 50] [--duration 60] [--think 0]
                               [--workers N] [--worker-class sync|gthread] [--threads 2]

Fills a scratch database `medins_loadbench` (once; kept unless `--rebuild`) with a generated register,
its ledger and statuses, then starts on loopback what production runs: gunicorn (DEBUG off,
persistent database connections, the cache in Redis) and a Celery worker on a Redis broker, so a
recorded payment's recompute runs on the worker as in production. It signs in a clerk of the
register's region through the admin's login form and one resident per client through the portal's,
and drives `--clients` concurrent clients for `--duration` seconds, each picking at random:

- the portal dashboard of its resident (GET /my/),
- the clerk's person page of a random person (GET /admin/enrollment/person/<id>/change/),
- the hospitals' eligibility check of a random person (POST /api/v1/eligibility/check),
- a payment recorded at the counter (POST of the admin's record form: a resident's 2026 year, for the
  amount quoted beforehand, with a unique reference; the answer is the redirect to the new payment).

`--think` adds a pause between a client's requests (0: each client sends its next request as soon as
the last is answered, the harshest case). Prints throughput, p50/p99 per kind and the error count
(targets: no error, p99 under 300 ms), then checks the data: every payment the server confirmed is
stored once with its ledger row once, nothing else was recorded, and the worker brought the statuses
of the paying persons up to date.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _shared import ensure_database, free_port, generate, start_gunicorn  # noqa: E402 - after the path

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medins")
if not BASE_URL.startswith("postgres"):
    sys.exit("load_bench needs PostgreSQL: set DATABASE_URL=postgres://…")
BENCH_URL = BASE_URL.rsplit("/", 1)[0] + "/medins_loadbench"
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
CACHE_URL, BROKER_URL = REDIS_BASE + "/13", REDIS_BASE + "/14"
os.environ.update(
    DATABASE_URL=BENCH_URL,
    DJANGO_SETTINGS_MODULE="config.settings",
    CELERY_BROKER_URL="",  # the bench process itself runs nothing on the workers
    ALLOWED_HOSTS="127.0.0.1,localhost",
    DEBUG="0",
    HTTPS_ONLY="0",  # gunicorn on loopback speaks plain http
)
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
AS_OF = datetime.date(2026, 11, 30)
REGION = "360100"
PASSWORD = "Load-bench-2026!"
CLERK = "load-clerk"
PAYMENT_YEAR = 2026
REFERENCE_PREFIX = "LOAD-"
TARGET_P99_MS = 300.0
WEIGHTS = {"portal dashboard": 35, "admin person page": 25, "eligibility check": 30, "payment recording": 10}
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One keep-alive connection with its cookies, as a browser tab or a hospital system has."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies = dict(cookies or {})
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(
        self, method: str, path: str, *, body: str | None = None, content_type: str = ""
    ) -> tuple[int, str, str]:
        headers = {"Accept-Language": "zh-Hans", "Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body.encode() if body else None, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn closed an idle keep-alive connection: reconnect once, as a browser does.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def sign_in(self, login_path: str, username: str, password: str) -> None:
        status, _location, page = self.request("GET", login_path)
        token = CSRF_FIELD.search(page)
        if status != 200 or token is None:
            sys.exit(f"no login form at {login_path} ({status})")
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
        )
        status, location, _page = self.request(
            "POST", login_path, body=form, content_type="application/x-www-form-urlencoded"
        )
        if status != 302:
            sys.exit(f"signing in {username} at {login_path} failed ({status})")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    confirmed_payments: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, elapsed_ms: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.latencies[kind].append(elapsed_ms)
            if not ok:
                self.errors[kind] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{kind}: {detail[:200]}")


@dataclass
class World:
    port: int
    clerk_cookies: dict[str, str]
    csrf_token: str
    token: str
    person_ids: list[int]
    id_numbers: list[str]
    payments: list[tuple[int, Decimal]]
    payments_lock: threading.Lock = field(default_factory=threading.Lock)

    def next_payment(self) -> tuple[int, Decimal] | None:
        with self.payments_lock:
            return self.payments.pop() if self.payments else None


def setup(args: argparse.Namespace) -> tuple[World, list[tuple[str, str]]]:
    """The register, a clerk, residents with portal accounts, an API token and the payments to record."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from eligibility.models import EligibilitySnapshot
    from enrollment.api_clients import api_client_create
    from enrollment.models import ApiClient, ApiClientKind, ApiScope, Person, Region, StaffRegion
    from enrollment.roles import CLERK as CLERK_ROLE
    from enrollment.roles import roles_ensure
    from payments.models import LedgerEntry
    from payments.policy_years import policy_profiles_load
    from payments.services import PaymentRefused, PaymentRequest, premium_quote

    call_command("migrate", verbosity=0)
    region, _created = Region.objects.get_or_create(
        code=REGION,
        defaults={"name_zh": "南昌市", "name_en": "Nanchang", "province": "江西省", "province_en": "Jiangxi"},
    )
    policy_profiles_load()
    if args.rebuild or Person.objects.count() != args.persons or not EligibilitySnapshot.objects.exists():
        generate(args.persons, as_of=AS_OF, triggered_by="load_bench")
    # A previous run's payments are undone (ledger rows, payments, their decisions), so each run
    # records the same kind of payments.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE previous_run AS SELECT id, decision_id FROM payments_payment WHERE reference LIKE %s",
            [REFERENCE_PREFIX + "%"],
        )
        cursor.execute("DELETE FROM payments_ledgerentry WHERE payment_id IN (SELECT id FROM previous_run)")
        cursor.execute("DELETE FROM payments_payment WHERE id IN (SELECT id FROM previous_run)")
        cursor.execute("DELETE FROM eligibility_benefitdecision WHERE id IN (SELECT decision_id FROM previous_run)")
        cursor.execute("DROP TABLE previous_run")

    groups = roles_ensure()
    clerk, _created = User.objects.get_or_create(username=CLERK, defaults={"is_staff": True})
    clerk.set_password(PASSWORD)
    clerk.is_staff = True
    clerk.save()
    clerk.groups.set([groups[CLERK_ROLE]])
    StaffRegion.objects.get_or_create(user=clerk, region=region)

    rng = random.Random(2)
    all_ids = list(Person.objects.filter(household_region=region).values_list("pk", flat=True))
    person_ids = rng.sample(all_ids, min(20_000, len(all_ids)))
    id_numbers = list(Person.objects.filter(pk__in=person_ids[:5000]).values_list("id_number", flat=True))

    # One resident account per client, among adults (a resident signs in with the ID number).
    residents: list[tuple[str, str]] = []
    for person in Person.objects.filter(pk__in=person_ids, birth_date__year__lt=2000).order_by("pk")[: args.clients]:
        # A user of an earlier run (the register regenerated since) is taken over, not duplicated.
        user = person.user or User.objects.filter(username=person.id_number).first() or User(username=person.id_number)
        user.set_password(PASSWORD)
        user.save()
        if person.user_id != user.pk:
            person.user = user
            person.save(update_fields=["user"])
        residents.append((person.id_number, PASSWORD))

    # Residents who paid 2025 but not 2026: the counter records their 2026 year (late: a waiting period).
    paid_2026 = LedgerEntry.objects.filter(period=datetime.date(PAYMENT_YEAR, 1, 1)).values("person_id")
    candidates = list(
        LedgerEntry.objects.filter(
            scheme="resident", period=datetime.date(PAYMENT_YEAR - 1, 1, 1), person__household_region=region
        )
        .exclude(person_id__in=paid_2026)
        .values_list("person_id", flat=True)[: args.payments * 2]
    )
    today = timezone.localdate()
    payments: list[tuple[int, Decimal]] = []
    for person in Person.objects.filter(pk__in=candidates).select_related("household_region"):
        try:
            quote = premium_quote(person=person, request=PaymentRequest.resident_year(PAYMENT_YEAR), on=today)
        except PaymentRefused:
            continue
        payments.append((person.pk, quote.amount))
        if len(payments) >= args.payments:
            break
    rng.shuffle(payments)

    ApiClient.objects.filter(name="load-bench").update(name=f"load-bench-old-{int(time.time())}")
    token = api_client_create(
        name="load-bench", kind=ApiClientKind.HOSPITAL, scopes=[ApiScope.ELIGIBILITY_CHECK], rate="9999999/second"
    ).token
    connection.close()
    world = World(
        port=0,
        clerk_cookies={},
        csrf_token="",
        token=token,
        person_ids=person_ids,
        id_numbers=id_numbers,
        payments=payments,
    )
    return world, residents


def client_loop(
    world: World, browser: Browser, clerk: Browser, tally: Tally, deadline: float, think: float, seed: int
) -> None:
    rng = random.Random(seed)
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    today = datetime.date.today().isoformat()  # noqa: DTZ011 - the bench's own clock, not a rule
    if think:
        # People do not all click at the same instant: each client starts somewhere in its first pause
        # (otherwise the run opens with every client's request at once, a burst no office produces).
        time.sleep(rng.uniform(0, think))
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        started = time.perf_counter()
        try:
            if kind == "portal dashboard":
                status, _location, _page = browser.request("GET", "/my/")
                ok, detail = status == 200, f"{status}"
            elif kind == "admin person page":
                person = rng.choice(world.person_ids)
                status, _location, _page = clerk.request("GET", f"/admin/enrollment/person/{person}/change/")
                ok, detail = status == 200, f"{status} person {person}"
            elif kind == "eligibility check":
                number = rng.choice(world.id_numbers)
                body = f'{{"id_number": "{number}", "service_date": "{today}", "inpatient": false}}'
                status, _location, page = _api_post(browser, "/api/v1/eligibility/check", body, world.token)
                ok, detail = status == 200, f"{status} {page[:120]}"
            else:
                chosen = world.next_payment()
                if chosen is None:
                    continue
                person, amount = chosen
                reference = f"{REFERENCE_PREFIX}{person}"
                form = urllib.parse.urlencode(
                    {
                        "csrfmiddlewaretoken": world.csrf_token,
                        "person": person,
                        "kind": "resident_year",
                        "year": PAYMENT_YEAR,
                        "repair_years": 0,
                        "employee_kind": "flexible",
                        "frequency": "annual",
                        "channel": "bank_counter",
                        "reference": reference,
                        "amount": f"{amount}",
                        "paid_at": time.strftime("%Y-%m-%d %H:%M"),
                        "_record": "1",
                    }
                )
                status, location, page = clerk.request(
                    "POST",
                    "/admin/payments/payment/record/",
                    body=form,
                    content_type="application/x-www-form-urlencoded",
                )
                match = re.search(r"/admin/payments/payment/(\d+)/change/", location)
                ok = status == 302 and match is not None
                detail = f"{status} {location} {page[:300]}"
                if ok:
                    with tally.lock:
                        tally.confirmed_payments.append((reference, int(match.group(1))))  # type: ignore[union-attr]
        except Exception as error:  # noqa: BLE001 - counted and shown, the run goes on
            ok, detail = False, repr(error)
        tally.add(kind, (time.perf_counter() - started) * 1000, ok, detail)
        if think:
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))


def _api_post(browser: Browser, path: str, body: str, token: str) -> tuple[int, str, str]:
    headers = {
        "Accept-Language": "zh-Hans",
        "Host": "127.0.0.1",
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    }
    try:
        browser.connection.request("POST", path, body=body.encode(), headers=headers)
        response = browser.connection.getresponse()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        browser.connection.close()
        browser.connection = http.client.HTTPConnection("127.0.0.1", browser.port, timeout=30)
        browser.connection.request("POST", path, body=body.encode(), headers=headers)
        response = browser.connection.getresponse()
    return response.status, "", response.read().decode("utf-8", "replace")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else 0.0


def verify(tally: Tally) -> bool:
    """Every payment the server confirmed is stored once, with its one ledger row; nothing else."""
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count

    from eligibility.models import EligibilitySnapshot, RecomputeRequest
    from payments.models import LedgerEntry, Payment

    connection.close()
    confirmed = dict(tally.confirmed_payments)
    stored = dict(Payment.objects.filter(reference__startswith=REFERENCE_PREFIX).values_list("reference", "pk"))
    ledger_per_payment = dict(
        LedgerEntry.objects.filter(payment__reference__startswith=REFERENCE_PREFIX, voided_at__isnull=True)
        .values("payment_id")
        .annotate(rows=Count("id"))
        .values_list("payment_id", "rows")
    )
    person_ids = [int(reference.removeprefix(REFERENCE_PREFIX)) for reference in confirmed]
    duplicates = (
        LedgerEntry.objects.filter(
            person_id__in=person_ids, period=datetime.date(PAYMENT_YEAR, 1, 1), voided_at__isnull=True
        )
        .values("person_id")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
        .count()
    )
    missing = [reference for reference, pk in confirmed.items() if stored.get(reference) != pk]
    unconfirmed = sorted(set(stored) - set(confirmed))
    wrong_ledger = [pk for pk in confirmed.values() if ledger_per_payment.get(pk) != 1]
    # The worker recomputes a paying person after the commit: wait for the queue to drain.
    deadline = time.monotonic() + 120
    while RecomputeRequest.objects.filter(person_id__in=person_ids).exists() and time.monotonic() < deadline:
        time.sleep(1)
    pending = RecomputeRequest.objects.filter(person_id__in=person_ids).count()
    # Brought up to date: the stored status knows the new year (waiting or covered today, or the
    # payment's own benefit start still to come, e.g. a subsidised newborn's next day).
    decided = dict(
        Payment.objects.filter(reference__in=list(confirmed)).values_list("person_id", "decision__benefits_from")
    )
    stale = sum(
        1
        for person_id, state, benefits_from in EligibilitySnapshot.objects.filter(person_id__in=person_ids).values_list(
            "person_id", "state", "benefits_from"
        )
        if state not in ("waiting", "covered") and benefits_from != decided.get(person_id)
    ) + (len(person_ids) - EligibilitySnapshot.objects.filter(person_id__in=person_ids).count())
    print(
        f"\npayments confirmed by the server: {len(confirmed)}; stored: {len(stored)}; "
        f"confirmed but not stored as confirmed: {len(missing)}; stored but never confirmed: {len(unconfirmed)}"
    )
    print(f"payments without exactly one ledger row: {len(wrong_ledger)}; persons with the year twice: {duplicates}")
    print(
        f"paying persons still marked for recompute after the run: {pending}; "
        f"statuses not reflecting the payment: {stale}"
    )
    return not (missing or unconfirmed or wrong_ledger or duplicates or pending or stale)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true", help="generate the population again")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60, help="seconds of the measured run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up (not counted)")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a client's requests (s)")
    parser.add_argument("--payments", type=int, default=3000, help="payments prepared for recording")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=2, help="threads per gthread worker")
    args = parser.parse_args()

    ensure_database(BENCH_URL)
    world, residents = setup(args)
    import redis

    for url in (CACHE_URL, BROKER_URL):
        redis.Redis.from_url(url).flushdb()
    server_env = {
        "DATABASE_CONN_MAX_AGE": "600",
        "CACHE_URL": CACHE_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "LOG_LEVEL": "WARNING",
    }
    world.port = free_port()
    server = start_gunicorn(
        world.port, workers=args.workers, worker_class=args.worker_class, threads=args.threads, env=server_env
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1", "--loglevel", "WARNING"],
        cwd=ROOT,
        env={**os.environ, **server_env},
        start_new_session=True,
    )
    ok = False
    try:
        clerk = Browser(world.port)
        clerk.sign_in("/admin/login/", CLERK, PASSWORD)
        status, _location, page = clerk.request("GET", "/admin/payments/payment/record/")
        token = CSRF_FIELD.search(page)
        if status != 200 or token is None:
            sys.exit(f"the clerk cannot open the record screen ({status})")
        world.clerk_cookies, world.csrf_token = dict(clerk.cookies), token.group(1)
        browsers = []
        for username, password in residents:
            browser = Browser(world.port)
            browser.sign_in("/my/account/login/", username, password)
            browsers.append(browser)
        print(
            f"gunicorn: {args.workers} {args.worker_class} workers"
            + (f" × {args.threads} threads" if args.worker_class == "gthread" else "")
            + f"; Celery worker ×1; {len(browsers)} clients, think {args.think:g} s; "
            + f"{len(world.payments)} payments ready"
        )

        def run(seconds: int, tally: Tally) -> None:
            deadline = time.monotonic() + seconds
            threads = [
                threading.Thread(
                    target=client_loop,
                    args=(world, browser, Browser(world.port, world.clerk_cookies), tally, deadline, args.think, n),
                )
                for n, browser in enumerate(browsers)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        warmup = Tally()
        run(args.warmup, warmup)
        tally = Tally()
        started = time.monotonic()
        run(args.duration, tally)
        elapsed = time.monotonic() - started
        tally.confirmed_payments += warmup.confirmed_payments
        # Warm-up errors count too: an error is an error.
        for kind, count in warmup.errors.items():
            tally.errors[kind] += count
        tally.error_samples += warmup.error_samples

        total = sum(len(values) for values in tally.latencies.values())
        errors = sum(tally.errors.values())
        print(f"\n{'kind':<22}{'requests':>10}{'rps':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for kind in WEIGHTS:
            values = tally.latencies.get(kind, [])
            print(
                f"{kind:<22}{len(values):>10}{len(values) / elapsed:>8.1f}"
                f"{percentile(values, 0.50):>9.1f}{percentile(values, 0.99):>9.1f}{tally.errors.get(kind, 0):>8}"
            )
        everything = [value for values in tally.latencies.values() for value in values]
        print(
            f"{'all':<22}{total:>10}{total / elapsed:>8.1f}{percentile(everything, 0.5):>9.1f}"
            f"{percentile(everything, 0.99):>9.1f}{errors:>8}"
        )
        worst = max((percentile(values, 0.99) for values in tally.latencies.values()), default=0.0)
        print(
            f"\nerrors: {errors} (target 0: {'ok' if errors == 0 else 'MISSED'});  "
            f"worst p99 {worst:.1f} ms (target < {TARGET_P99_MS:.0f} ms: {'ok' if worst < TARGET_P99_MS else 'MISSED'})"
        )
        for sample in tally.error_samples:
            print("  error:", sample)
        ok = verify(tally)
        print(f"data check: {'ok, nothing lost or doubled' if ok else 'FAILED'}")
    finally:
        for process in (server, worker):
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
