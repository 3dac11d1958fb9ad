"""The personal-data access log: who read which person's data, when, and through what.

PIPL asks the agency to be able to tell a resident who looked at their record. Every REST API
response that carries a person's data and every opening of a person's full record in the clerk
workspace writes one row per person here, in one INSERT per page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

from enrollment.models import AccessChannel, ApiClient, PersonAccess


def person_access_record(
    *,
    person_ids: Iterable[int],
    action: str,
    channel: str = AccessChannel.API,
    user: Any = None,
    api_client: ApiClient | None = None,
) -> int:
    """Write one access row per distinct person; returns how many were written."""
    ids = sorted({int(pk) for pk in person_ids if pk is not None})
    if not ids:
        return 0
    if api_client is None and (user is None or not getattr(user, "pk", None)):
        raise ValueError("An access is recorded with the staff user or the API client who made it.")
    at = timezone.now()
    if connection.vendor == "postgresql":
        # One plain INSERT … SELECT unnest: the ORM's bulk_create costs more than the statement for
        # the one row of an eligibility check, the API's busiest call.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {PersonAccess._meta.db_table} (at, person_id, channel, user_id, api_client_id, action) "
                "SELECT %s, unnest(%s::bigint[]), %s, %s, %s, %s",
                [
                    at,
                    "{" + ",".join(map(str, ids)) + "}",
                    channel,
                    None if api_client is not None else user.pk,
                    None if api_client is None else api_client.pk,
                    action[:60],
                ],
            )
        return len(ids)
    rows = [
        PersonAccess(
            at=at,
            person_id=pk,
            channel=channel,
            user=user if api_client is None else None,
            api_client=api_client,
            action=action[:60],
        )
        for pk in ids
    ]
    PersonAccess.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
