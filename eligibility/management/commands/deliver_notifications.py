"""`manage.py deliver_notifications [--limit N] [--in-process]`: send the reminders that are due.

Without a broker (the embedded default), or with --in-process, the delivery runs here; with a
broker the task is queued for a worker. Beat runs the same task every hour from 08:00 to 20:00.
"""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from eligibility.notifications import DEFAULT_LIMIT, notifications_deliver
from eligibility.tasks import deliver_notifications


class Command(BaseCommand):
    help = "Send the due reminders through the configured backends."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="at most this many notifications")
        parser.add_argument("--in-process", action="store_true", help="run here even when a broker is configured")

    def handle(self, *args: Any, limit: int, in_process: bool, **options: Any) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        if settings.CELERY_TASK_ALWAYS_EAGER or in_process:
            result = notifications_deliver(limit=limit)
            self.stdout.write(
                f"{result.sent} sent, {result.failed} failed, {result.unreachable} unreachable, "
                f"{result.expired} expired"
            )
            for error in result.errors:
                self.stderr.write(error)
            return
        deliver_notifications.delay(limit)
        self.stdout.write("delivery sent to the workers")
