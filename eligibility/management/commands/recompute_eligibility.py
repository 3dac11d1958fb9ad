"""`manage.py recompute_eligibility [--as-of DATE] [--full] [--chunk-size N]`.

With a broker configured the chunks go to the Celery workers; without one (the embedded default)
they run here, one after the other. Either way the same service does the work.
"""

import datetime
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from eligibility.nightly import (
    DEFAULT_CHUNK_SIZE,
    RunRefused,
    pending_chunk_ids,
    recompute_run_in_process,
    recompute_start,
)
from eligibility.tasks import recompute_chunk_task


def iso_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of: {text!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Recompute eligibility statuses (incremental by default)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--as-of", type=iso_date, default=None, help="day to compute for (default: today)")
        parser.add_argument("--full", action="store_true", help="recompute every person")
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="persons per chunk")
        parser.add_argument("--in-process", action="store_true", help="run here even when a broker is configured")

    def handle(
        self, *args: Any, as_of: datetime.date | None, full: bool, chunk_size: int, in_process: bool, **options: Any
    ) -> None:
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        day = as_of or timezone.localdate()
        try:
            run = recompute_start(as_of=day, full=full, chunk_size=chunk_size, triggered_by="command")
        except RunRefused as refusal:
            raise CommandError(str(refusal)) from None
        if settings.CELERY_TASK_ALWAYS_EAGER or in_process:
            run = recompute_run_in_process(run)
            self.stdout.write(
                f"run #{run.pk} {run.mode} as of {run.as_of}: {run.chunks_done}/{run.chunks_total} chunks, "
                f"{run.persons_examined} examined, {run.persons_changed} changed, {run.persons_failed} failed"
            )
            return
        chunk_ids = pending_chunk_ids(run)
        for chunk_id in chunk_ids:
            recompute_chunk_task.delay(chunk_id)
        self.stdout.write(f"run #{run.pk} as of {run.as_of}: {len(chunk_ids)} chunks sent to the workers")
