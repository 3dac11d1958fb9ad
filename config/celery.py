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
}
