"""Fault: Redis (the broker) is down while payments are recorded.

The payment is committed before the recompute is published (`transaction.on_commit`), so a dead
broker must cost the clerk neither the payment nor an error page nor minutes of waiting: the
publish fails, is logged without personal data, the person stays marked (`RecomputeRequest`) and
the next run of `recompute_eligibility` brings the status up to date. The app's real Celery
settings are used; only the broker URL points at a port where nothing listens.
"""

import datetime as dt
import logging
import os
import time
import uuid
from decimal import Decimal

import pytest
import redis
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from eligibility import tasks
from eligibility.models import EligibilitySnapshot, RecomputeRequest
from payments.imports import payments_import
from payments.models import LedgerEntry, Payment
from payments.services import PaymentRequest, payment_record
from tests.eligibility.test_celery_worker import use_broker
from tests.factories import TEST_PASSWORD, PersonFactory

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# What one record may take with the broker down: a correctness bound (the clerk is not kept
# waiting for minutes), not a benchmark. One failed publish takes about 6 s (measured).
CLERK_WAIT_BOUND = 10.0
PAID_AT = dt.datetime(2024, 11, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def broker_down():
    """The real Celery app publishing to a broker that is not there (eager execution off)."""
    from config.celery import app

    use_broker(app, broker_url=DEAD_BROKER, task_always_eager=False)
    yield app
    use_broker(app, broker_url="memory://", task_always_eager=True)


@pytest.fixture(autouse=True)
def no_broker_memory(monkeypatch):
    """Every test starts without a broker failure remembered from another test."""
    monkeypatch.setattr(tasks, "_broker_failed", None)


def record(person, *, reference="WX-BROKER-1", recorded_by=None):
    return payment_record(
        person=person,
        request=PaymentRequest.resident_year(2025),
        channel="tax_wechat",
        reference=reference,
        amount=Decimal("400.00"),
        paid_at=PAID_AT,
        recorded_by=recorded_by,
    )


def next_nightly_run(monkeypatch, hours_later: int = 6) -> None:
    """`recompute_eligibility` as the 02:00 schedule runs it, some hours after the payment (marks set
    in the last minutes are kept for the next run: nightly.MARK_SAFETY)."""
    later = timezone.now() + dt.timedelta(hours=hours_later)
    monkeypatch.setattr(timezone, "now", lambda: later)
    call_command("recompute_eligibility", "--in-process", stdout=open(os.devnull, "w"))  # noqa: SIM115


def test_a_payment_recorded_while_the_broker_is_down_is_kept_and_caught_up_by_the_next_run(
    nanchang, policies, broker_down, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    person = PersonFactory(household_region=nanchang, name="林晓")
    caplog.set_level(logging.INFO, logger="eligibility.tasks")

    # when: the payment commits and its on_commit publish meets the dead broker
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome = record(person)
    elapsed = time.monotonic() - started

    # then: recorded, within the bound, marked, nothing recomputed yet, logged without personal data
    assert callbacks, "the recompute is published after the commit"
    assert outcome.created and elapsed < CLERK_WAIT_BOUND, f"recording took {elapsed:.1f} s"
    assert Payment.objects.filter(pk=outcome.payment.pk).exists()
    assert LedgerEntry.objects.filter(payment=outcome.payment, period=dt.date(2025, 1, 1)).exists()
    assert RecomputeRequest.objects.filter(person=person).exists()
    assert not EligibilitySnapshot.objects.filter(person=person).exists()
    warnings = [r.getMessage() for r in caplog.records if r.name == "eligibility.tasks"]
    assert any("broker unavailable" in message for message in warnings)
    assert not any(person.id_number in m or person.name in m for m in warnings)

    # when: the next run of recompute_eligibility (in-process, the broker still down)
    use_broker(broker_down, broker_url="memory://", task_always_eager=True)
    next_nightly_run(monkeypatch)

    # then: the status carries the payment's decision and the mark is gone
    snapshot = EligibilitySnapshot.objects.get(person=person)
    assert snapshot.benefits_from == outcome.payment.decision.benefits_from == dt.date(2025, 1, 1)
    assert snapshot.as_of <= timezone.localdate()
    assert not RecomputeRequest.objects.filter(person=person).exists()


@pytest.mark.django_db(transaction=True)
def test_the_clerk_record_screen_succeeds_while_the_broker_is_down(client, clerk, nanchang, policies, broker_down):
    # Transactional: the view's own commit runs the on_commit publish, as in production.
    person = PersonFactory(household_region=nanchang)
    client.cookies["django_language"] = "en"
    assert client.login(username=clerk.username, password=TEST_PASSWORD)
    data = {
        "person": person.pk,
        "kind": "resident_year",
        "year": "2025",
        "repair_years": "0",
        "employee_kind": "flexible",
        "frequency": "annual",
        "channel": "clerk_counter",
        "reference": "CTR-BROKER-1",
        "amount": "400.00",
        "paid_at": "2024-11-10T10:00",
        "_record": "1",
    }

    started = time.monotonic()
    response = client.post(reverse("admin:payments_payment_record"), data, follow=True)
    elapsed = time.monotonic() - started

    payment = Payment.objects.get(reference="CTR-BROKER-1")
    assert response.status_code == 200 and elapsed < CLERK_WAIT_BOUND, f"the screen took {elapsed:.1f} s"
    assert response.redirect_chain[-1][0] == reverse("admin:payments_payment_change", args=[payment.pk])
    assert "Payment recorded" in response.content.decode()
    assert LedgerEntry.objects.filter(payment=payment).count() == 1
    assert RecomputeRequest.objects.filter(person=person).exists()


def test_an_import_while_the_broker_is_down_asks_the_broker_once_not_once_per_person(
    nanchang, policies, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    # Defect found: every accepted person of a clerk's file was published on its own, each
    # attempt waiting about 6 s for the dead broker (200 persons: 20 minutes).
    persons = [PersonFactory(household_region=nanchang) for _ in range(4)]
    header = "ID number,name,scheme,coverage period,amount,channel,transaction reference,paid at\n"
    lines = "".join(
        f"{p.id_number},{p.name},resident,2025,400.00,tax_wechat,IMP-BROKER-{i},2024-11-10 10:00:00\n"
        for i, p in enumerate(persons)
    )
    attempts = []
    publish = tasks.eligibility_recompute_person.apply_async

    def counted(*args, **kwargs):
        attempts.append(kwargs.get("args"))
        return publish(*args, **kwargs)

    monkeypatch.setattr(tasks.eligibility_recompute_person, "apply_async", counted)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        batch = payments_import(content=(header + lines).encode(), file_name="broker-down.csv")
    elapsed = time.monotonic() - started

    assert batch.accepted == 4 and batch.finished_at is not None
    assert len(attempts) == 1, "one failed publish; the others wait for the nightly run"
    assert elapsed < CLERK_WAIT_BOUND, f"the import took {elapsed:.1f} s"
    assert RecomputeRequest.objects.filter(person__in=persons).count() == 4


class FakeClock:
    """time.monotonic as the tasks module sees it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_publishing_resumes_when_the_broker_is_back(
    nanchang, policies, django_capture_on_commit_callbacks, monkeypatch
):
    from config.celery import app

    first, second, third = (PersonFactory(household_region=nanchang) for _ in range(3))
    queue = f"test-faults-{uuid.uuid4().hex[:12]}"
    live = redis.Redis.from_url(REDIS_URL)
    clock = FakeClock()
    monkeypatch.setattr(tasks, "time", clock)
    publish = tasks.eligibility_recompute_person.apply_async

    def outage(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    use_broker(app, broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue)
    try:
        # given: the broker fails a publish (an outage of the real Redis URL)
        monkeypatch.setattr(tasks.eligibility_recompute_person, "apply_async", outage)
        with django_capture_on_commit_callbacks(execute=True):
            record(first, reference="BACK-1")
        monkeypatch.setattr(tasks.eligibility_recompute_person, "apply_async", publish)

        # when: 10 s later (the broker is back, but the process does not know): not asked
        clock.now += 10
        with django_capture_on_commit_callbacks(execute=True):
            record(second, reference="BACK-2")
        assert live.llen(queue) == 0

        # when: after BROKER_RETRY_AFTER: asked again, and the task is queued
        clock.now += tasks.BROKER_RETRY_AFTER
        with django_capture_on_commit_callbacks(execute=True):
            record(third, reference="BACK-3")
        assert live.llen(queue) == 1
    finally:
        use_broker(app, broker_url="memory://", task_always_eager=True, task_default_queue="celery")
        live.delete(queue)
        live.close()
    # The two not published stay marked for the next run (test above); the third's task clears its own.
    assert {first.pk, second.pk} <= set(RecomputeRequest.objects.values_list("person_id", flat=True))
