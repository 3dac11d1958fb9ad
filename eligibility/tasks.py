"""Celery tasks of eligibility. Thin: they call the services and return counts."""

import datetime
import logging

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone

from eligibility.models import RecomputeRequest
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


def recompute_soon(person_id: int) -> None:
    """Ask a worker to recompute the person; if the broker is unreachable the mark stays for the
    nightly run. Call it from `transaction.on_commit`."""
    try:
        eligibility_recompute_person.apply_async(args=[person_id], retry=False)
    except Exception:  # noqa: BLE001 - the broker's client raises many kinds; the mark is the fallback
        logger.warning("broker unavailable: person %s stays marked for the nightly recompute", person_id)
