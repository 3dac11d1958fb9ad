"""The recompute through a real Celery worker process and Redis, including a worker killed mid-run."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from eligibility.models import EligibilitySnapshot, RecomputeRun
from tests.eligibility.test_nightly import AS_OF, one_by_one, population, stored

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/14"

pytestmark = pytest.mark.django_db(transaction=True)


# A queue of this test session's own: another suite running on the same Redis cannot take our tasks.
QUEUE = f"test-{uuid.uuid4().hex[:12]}"


def use_broker(app, **conf) -> None:
    """Point the app at another broker; its connection pools would otherwise keep the old one."""
    app.conf.update(**conf)
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker():
    """Tasks go to a real Redis, on a queue of their own."""
    from config.celery import app

    client = redis.Redis.from_url(REDIS_URL)
    use_broker(app, broker_url=REDIS_URL, task_always_eager=False, task_default_queue=QUEUE)
    yield client
    use_broker(app, broker_url="memory://", task_always_eager=True, task_default_queue="celery")
    client.delete(QUEUE)


def start_worker(name: str) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "SECRET_KEY": "worker-test",
        "DEBUG": "0",
    }
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
            "1",
            "--prefetch-multiplier",
            "1",
            "--loglevel",
            "WARNING",
            "--hostname",
            f"{name}-{QUEUE}@%h",
            "--queues",
            QUEUE,
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def stop(worker: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def wait_for(run_id: int, worker: subprocess.Popen, timeout: float = 120) -> RecomputeRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = RecomputeRun.objects.get(pk=run_id)
        if run.status == "finished":
            return run
        time.sleep(0.3)
    stop(worker)
    errors = worker.stderr.read().decode(errors="replace")[-3000:] if worker.stderr else ""
    raise AssertionError(
        f"run {run_id} did not finish: {RecomputeRun.objects.get(pk=run_id).__dict__}\nworker said:\n{errors}"
    )


def test_a_run_through_a_real_worker_gives_the_single_person_answers(broker, nanchang, policies):
    from eligibility.tasks import nightly_recompute

    persons = population(nanchang, 200)
    expected = one_by_one(persons, AS_OF)
    connection.close()
    worker = start_worker("w1")
    try:
        run_id = nightly_recompute(as_of=AS_OF.isoformat(), full=True, chunk_size=40)
        run = wait_for(run_id, worker)
    finally:
        stop(worker)
    assert (run.chunks_done, run.persons_examined, run.persons_failed) == (5, 200, 0)
    assert stored(persons) == expected


def test_a_worker_killed_in_the_middle_of_a_run_does_not_change_the_outcome(broker, nanchang, policies):
    from eligibility.tasks import nightly_recompute

    persons = population(nanchang, 300)
    expected = one_by_one(persons, AS_OF)
    connection.close()
    first = start_worker("first")
    run_id = nightly_recompute(as_of=AS_OF.isoformat(), full=True, chunk_size=10)
    deadline = time.monotonic() + 60
    while RecomputeRun.objects.get(pk=run_id).chunks_done < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop(first, signal.SIGKILL)  # no goodbye: the chunk in hand is lost with the process
    killed_at = RecomputeRun.objects.get(pk=run_id).chunks_done
    second = start_worker("second")
    try:
        run = wait_for(run_id, second, timeout=180)
    finally:
        stop(second)
    assert 3 <= killed_at < 30
    assert (run.chunks_done, run.persons_examined) == (30, 300)
    assert stored(persons) == expected
    assert EligibilitySnapshot.objects.count() == 300
