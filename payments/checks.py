"""`manage.py check --database default`: what the coming year lacks, as warnings.

Tagged `database`: Django runs such checks only when asked (`check --database default`, part of
the release steps in docs/deployment.md), never at every command's start-up.
"""

from typing import Any

from django.core import checks
from django.db import DatabaseError
from django.utils import timezone

from payments.policy_years import year_readiness


@checks.register(checks.Tags.database)
def year_readiness_check(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not databases:
        return []
    try:
        readiness = year_readiness(as_of=timezone.localdate())
    except DatabaseError:
        return []  # not migrated yet: `migrate` comes first
    return [checks.Warning(message, id="payments.W001") for message in readiness.messages]
