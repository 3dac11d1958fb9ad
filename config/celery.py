"""The Celery application. Workers: `celery -A config worker`; schedule: `celery -A config beat`."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("medins")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The schedule is code. Times are Asia/Shanghai (CELERY_TIMEZONE); run `celery -A config beat` once.
app.conf.beat_schedule = {
    "nightly-eligibility-recompute": {
        "task": "eligibility.tasks.nightly_recompute",
        "schedule": crontab(hour=2, minute=0),
    },
    # Reminders created by the 02:00 run go out in the daytime only; the hourly runs also retry
    # failed deliveries and send what a payment made due during the day.
    "deliver-notifications": {
        "task": "eligibility.tasks.deliver_notifications",
        "schedule": crontab(hour="8-20", minute=0),
    },
}
