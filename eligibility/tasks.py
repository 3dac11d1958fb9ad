"""Celery tasks of eligibility. Thin: they call the services and return counts."""

import datetime
import logging
import time

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone

from eligibility.models import RecomputeRequest
from eligibility.nightly import DEFAULT_CHUNK_SIZE, RunRefused, pending_chunk_ids, recompute_chunk, recompute_start
from eligibility.notifications import DEFAULT_LIMIT as DEFAULT_DELIVERY_LIMIT
from eligibility.notifications import notifications_deliver
from eligibility.services import eligibility_recompute

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def eligibility_recompute_person(person_id: int, as_of: str | None = None) -> bool:
    """Recompute one person's status (after a payment, a reversal, an event) and clear the mark.

    The mark is cleared only if nothing marked the person again while this ran.
    """
    day = datetime.date.fromisoformat(as_of) if as_of else timezone.localdate()
    mark = RecomputeRequest.objects.filter(person_id=person_id).values_list("requested_at", flat=True).first()
    with transaction.atomic():
        _, written = eligibility_recompute(person_id=person_id, as_of=day)
        if mark is not None:
            RecomputeRequest.objects.filter(person_id=person_id, requested_at__lte=mark).delete()
    return written


# One failed publish costs about 6 s (kombu retries the connection for broker_connection_timeout,
# then redis-py makes its own attempts), whether the port is closed or the host is silent. Without
# this window an import of a clerk's file (up to RECOMPUTE_NOW_LIMIT persons a chunk) asked the
# absent broker once per person: 200 persons, 20 minutes. After a failure this process leaves that
# broker alone for BROKER_RETRY_AFTER seconds (the marks are the fallback), then tries it again.
BROKER_RETRY_AFTER = 30.0
_broker_failed: tuple[str, float] | None = None  # (broker URL, time.monotonic() of the failure)


def _broker_recently_failed(broker_url: str) -> bool:
    return (
        _broker_failed is not None
        and _broker_failed[0] == broker_url
        and time.monotonic() - _broker_failed[1] < BROKER_RETRY_AFTER
    )


def recompute_soon(person_id: int) -> None:
    """Ask a worker to recompute the person; if the broker is unreachable the mark stays for the
    nightly run. Call it from `transaction.on_commit`: it never raises into the caller, and after a
    failed publish it does not wait for the same broker again for BROKER_RETRY_AFTER seconds."""
    global _broker_failed
    conf = eligibility_recompute_person.app.conf
    broker_url = "" if conf.task_always_eager else str(conf.broker_url)
    if broker_url and _broker_recently_failed(broker_url):
        logger.info("broker unavailable a moment ago: person %s stays marked for the nightly recompute", person_id)
        return
    try:
        eligibility_recompute_person.apply_async(args=[person_id], retry=False)
    except Exception:  # noqa: BLE001 - the broker's client raises many kinds; the mark is the fallback
        if broker_url:
            _broker_failed = (broker_url, time.monotonic())
        logger.warning("broker unavailable: person %s stays marked for the nightly recompute", person_id)
    else:
        _broker_failed = None


# A chunk of a few thousand persons takes seconds; these limits only stop a stuck worker.
CHUNK_SOFT_TIME_LIMIT = 300
CHUNK_TIME_LIMIT = 360


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=CHUNK_SOFT_TIME_LIMIT,
    time_limit=CHUNK_TIME_LIMIT,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def recompute_chunk_task(chunk_id: int) -> dict[str, int]:
    chunk = recompute_chunk(chunk_id)
    return {"examined": chunk.persons_examined, "changed": chunk.persons_changed, "failed": chunk.persons_failed}


@shared_task(acks_late=True)
def nightly_recompute(
    as_of: str | None = None, full: bool = False, chunk_size: int = DEFAULT_CHUNK_SIZE, triggered_by: str = "celery"
) -> int:
    """Start (or take over) a run and fan its chunks out to the workers; returns the run id."""
    day = datetime.date.fromisoformat(as_of) if as_of else timezone.localdate()
    try:
        run = recompute_start(as_of=day, full=full, chunk_size=chunk_size, triggered_by=triggered_by[:60])
    except RunRefused as refusal:
        logger.warning("nightly recompute not started: %s", refusal)
        return 0
    chunk_ids = pending_chunk_ids(run)
    for chunk_id in chunk_ids:
        recompute_chunk_task.delay(chunk_id)
    logger.info("recompute run %s: %s chunks sent", run.pk, len(chunk_ids))
    return run.pk


def recompute_everyone_soon(*, as_of: datetime.date, triggered_by: str) -> None:
    """Start a full recompute now (a published policy moves premiums, windows and reminders of a
    whole region); call it from `transaction.on_commit`. If the broker is unreachable, tonight's
    run does it: a published profile turns the nightly run into a full one (`policies_changed`)."""
    try:
        nightly_recompute.apply_async(
            kwargs={"as_of": as_of.isoformat(), "full": True, "triggered_by": triggered_by}, retry=False
        )
    except Exception:  # noqa: BLE001 - the broker's client raises many kinds; tonight's run is the fallback
        logger.warning("broker unavailable: the full recompute after a policy publication waits for tonight's run")


def recompute_marked_soon(*, as_of: datetime.date, triggered_by: str) -> None:
    """Start an incremental run now, which recomputes the marked persons (`recompute_mark`) on the
    workers; call it from `transaction.on_commit`. If the broker is unreachable, tonight's run does it."""
    try:
        nightly_recompute.apply_async(
            kwargs={"as_of": as_of.isoformat(), "full": False, "triggered_by": triggered_by}, retry=False
        )
    except Exception:  # noqa: BLE001 - the broker's client raises many kinds; tonight's run is the fallback
        logger.warning("broker unavailable: the marked persons wait for tonight's run")


@shared_task(acks_late=True)
def deliver_notifications(limit: int = DEFAULT_DELIVERY_LIMIT) -> dict[str, int]:
    """Send the due reminders (beat: every hour from 08:00 to 20:00 Asia/Shanghai)."""
    result = notifications_deliver(limit=limit)
    return {
        "sent": result.sent,
        "failed": result.failed,
        "unreachable": result.unreachable,
        "expired": result.expired,
    }
