"""A production start on loopback: gunicorn (2 workers), a Celery worker and Celery beat, as separate
processes with a production environment, against the test PostgreSQL database and Redis.

A payment recorded here reaches the worker through the broker (its on_commit publish), the worker
writes the new status, and gunicorn answers it to a hospital's eligibility check.
"""

import datetime
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.db import connection
from django.utils import timezone

from eligibility.models import CoverageState, EligibilitySnapshot
from eligibility.services import eligibility_recompute
from enrollment.api_clients import api_client_create
from enrollment.models import ApiClientKind, ApiScope
from payments.policy import policy_row_for
from payments.services import PaymentRequest, payment_record, premium_quote
from tests.deploy.support import ROOT, production_env

# The worker test's helpers: tasks go to a Redis queue of this session's own, the worker consumes only it.
from tests.eligibility.test_celery_worker import REDIS_URL, broker, start_worker, stop  # noqa: F401 - broker is a fixture
from tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("broker")]

STARTUP_TIMEOUT = 30.0
WORKER_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], *, env: dict[str, str], log_path) -> subprocess.Popen:
    """A child in its own process group (so that its own children are stopped with it)."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed by the child's end; read back by path
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def http(url: str, *, token: str = "", body: dict | None = None) -> tuple[int, dict]:
    headers = {"Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_until(condition, *, timeout: float, what: str, logs) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(
        f"{what} within {timeout:.0f} s; logs:\n" + "\n".join(path.read_text()[-2000:] for path in logs)
    )


def answers(url: str) -> bool:
    try:
        return http(url)[0] == 200
    except OSError:
        return False


def test_gunicorn_worker_and_beat_serve_a_payment_through_to_the_eligibility_check(
    nanchang, policies_this_year, tmp_path
):
    # given a resident without any payment, with the status stored, and a hospital's token
    # (the children read the real clock: the year is today's, its profile made by the fixture if need be)
    person = PersonFactory(household_region=nanchang)
    today = timezone.localdate()
    eligibility_recompute(person_id=person.pk, as_of=today)
    assert EligibilitySnapshot.objects.get(person=person).state == CoverageState.NOT_ENROLLED
    issued = api_client_create(name="市一医院 HIS", kind=ApiClientKind.HOSPITAL, scopes=[ApiScope.ELIGIBILITY_CHECK])
    connection.close()  # the children connect on their own; this process reconnects when needed

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # loopback is plain http: HTTPS_ONLY=0; everything else as in production
    web_env = production_env(HTTPS_ONLY="0", ALLOWED_HOSTS="127.0.0.1", CELERY_BROKER_URL=REDIS_URL)
    beat_env = production_env(CELERY_BROKER_URL=REDIS_URL, LOG_LEVEL="INFO")
    logs = {name: tmp_path / f"{name}.log" for name in ("gunicorn", "beat")}
    processes: list[subprocess.Popen] = []
    try:
        gunicorn = start(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "30",
                "--access-logfile",
                "-",
                "--access-logformat",
                '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            ],
            env=web_env,
            log_path=logs["gunicorn"],
        )
        processes.append(gunicorn)
        beat = start(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(tmp_path / "celerybeat-schedule"),
            ],
            env=beat_env,
            log_path=logs["beat"],
        )
        processes.append(beat)
        worker = start_worker("smoke")
        processes.append(worker)

        wait_until(
            lambda: answers(f"{base_url}/healthz/"),
            timeout=STARTUP_TIMEOUT,
            what="gunicorn answers",
            logs=logs.values(),
        )

        # when the hospital asks who it is, through gunicorn
        status, me = http(f"{base_url}/api/v1/me", token=issued.token)
        assert status == 200, me
        assert me["client"] == "市一医院 HIS"

        # when this year's resident premium, paid on the first day of its collection period (before the
        # year: benefits from 1 January), is recorded (its on_commit publishes the recompute)
        request = PaymentRequest.resident_year(today.year)
        profile = policy_row_for(region_code=nanchang.code, year=today.year, scope="resident", on=today)
        paid_on = datetime.date.fromisoformat(profile.params["resident.cp_start"])
        quote = premium_quote(person=person, request=request, on=paid_on)
        assert quote.accepted, quote.explanation
        outcome = payment_record(
            person=person,
            request=request,
            channel="tax_wechat",
            reference="SMOKE-1",
            amount=quote.amount,
            paid_at=datetime.datetime.combine(paid_on, datetime.time(10), tzinfo=timezone.get_current_timezone()),
        )
        assert outcome.created

        # then the worker writes the new status
        def recomputed() -> bool:
            return EligibilitySnapshot.objects.get(person=person).state != CoverageState.NOT_ENROLLED

        wait_until(recomputed, timeout=WORKER_TIMEOUT, what="the worker recomputed the person", logs=logs.values())
        snapshot = EligibilitySnapshot.objects.get(person=person)
        assert snapshot.state == CoverageState.COVERED
        assert snapshot.benefits_from == datetime.date(today.year, 1, 1)

        # and gunicorn's eligibility check answers it
        status, check = http(
            f"{base_url}/api/v1/eligibility/check",
            token=issued.token,
            body={"id_number": person.id_number, "service_date": today.isoformat(), "inpatient": False},
        )
        assert status == 200, check
        assert check["state"] == snapshot.state
        assert check["as_of"] == snapshot.as_of.isoformat()

        # and beat started and keeps running (one beat per deployment; nothing is due in these seconds)
        wait_until(
            lambda: "beat: Starting..." in logs["beat"].read_text(),
            timeout=STARTUP_TIMEOUT,
            what="beat started",
            logs=[logs["beat"]],
        )
        assert beat.poll() is None
        assert gunicorn.poll() is None and worker.poll() is None
        # the access log has paths without query strings
        assert '"GET /api/v1/me" 200' in logs["gunicorn"].read_text()
    finally:
        for process in processes:
            stop(process, signal.SIGTERM)
