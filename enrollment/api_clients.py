"""API clients: creating and revoking their bearer tokens, and finding the client a token names.

A token reads `mi_<prefix>_<secret>`: the 8-character prefix finds the row, the secret (43
characters, 256 random bits) is checked against the stored SHA-256 hash in constant time.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import ApiClient, ApiScope, Region

TOKEN_MARK = "mi"
PREFIX_LENGTH = 8
# `last_used_at` is written at most this often, so a busy hospital system does not turn every
# eligibility check into an UPDATE of its client row.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class IssuedToken:
    client: ApiClient
    token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    # The prefix alphabet has no "_" so that the token splits unambiguously.
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return prefix, f"{TOKEN_MARK}_{prefix}_{secrets.token_urlsafe(32)}"


def scopes_validate(scopes: Iterable[str]) -> list[str]:
    chosen = sorted(set(scopes))
    unknown = [scope for scope in chosen if scope not in ApiScope.values]
    if unknown:
        raise ValidationError(
            _("Unknown scope: %(scopes)s."), code="unknown_scope", params={"scopes": ", ".join(unknown)}
        )
    if not chosen:
        raise ValidationError(_("Give the client at least one scope."), code="no_scope")
    if ApiScope.REPORTING_UNMASKED in chosen and ApiScope.REPORTING_READ not in chosen:
        raise ValidationError(_("Full ID numbers are only shown with reporting:read."), code="unmasked_without_read")
    return chosen


def api_client_issue_token(*, client: ApiClient) -> str:
    """Give `client` a new token (the old one stops working at once) and return it; it is not kept."""
    prefix, token = _new_token()
    client.token_prefix = prefix
    client.token_hash = token_hash(token)
    return token


@transaction.atomic
def api_client_create(
    *,
    name: str,
    kind: str,
    scopes: Iterable[str],
    regions: Iterable[Region] = (),
    rate: str = "",
    contact: str = "",
    expires_at: datetime.datetime | None = None,
    created_by: object | None = None,
) -> IssuedToken:
    """Register an API client and return it with its token (shown once to the administrator)."""
    client = ApiClient(
        name=name,
        kind=kind,
        scopes=scopes_validate(scopes),
        rate=rate,
        contact=contact,
        expires_at=expires_at,
        created_by=created_by,  # type: ignore[misc]
    )
    token = api_client_issue_token(client=client)
    client.full_clean()
    client.save()
    client.regions.set(list(regions))
    return IssuedToken(client=client, token=token)


def api_client_revoke(*, client: ApiClient, by: object | None = None) -> ApiClient:
    """Revoke the client's token; the next request with it is refused. Revoking twice changes nothing."""
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.revoked_by = by  # type: ignore[assignment]
        client.save(update_fields=["revoked_at", "revoked_by"])
    return client


def api_client_for_token(token: str, *, now: datetime.datetime | None = None) -> ApiClient | None:
    """The active client the token belongs to, or None (wrong, revoked or expired token)."""
    mark, _sep, rest = token.partition("_")
    prefix, _sep2, secret = rest.partition("_")
    if mark != TOKEN_MARK or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    client = _client_with_regions(prefix)
    if client is None or not hmac.compare_digest(client.token_hash, token_hash(token)):
        return None
    now = now or timezone.now()
    if client.revoked_at is not None or (client.expires_at is not None and client.expires_at <= now):
        return None
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client


# Set on a client read by `api_client_for_token` on PostgreSQL: its region ids, read in the same query.
_REGION_IDS_ATTR = "region_ids_read"


def _client_with_regions(prefix: str) -> ApiClient | None:
    """The client with this token prefix; on PostgreSQL with its region ids in the same statement.

    Every API request asks for both: one raw statement (a third of the ORM's cost for the same
    query, measured) instead of two keeps the hospitals' hot path short."""
    if connection.vendor != "postgresql":
        return ApiClient.objects.filter(token_prefix=prefix).first()
    through = ApiClient.regions.through._meta.db_table
    sql = (
        f"SELECT c.*, ARRAY(SELECT r.region_id FROM {through} r WHERE r.apiclient_id = c.id) AS {_REGION_IDS_ATTR} "
        f"FROM {ApiClient._meta.db_table} c WHERE c.token_prefix = %s"
    )
    return next(iter(ApiClient.objects.raw(sql, [prefix])), None)


def api_client_regions(client: ApiClient) -> frozenset[int] | None:
    """The region ids the client is limited to; None means every region."""
    read = getattr(client, _REGION_IDS_ATTR, None)
    ids = frozenset(read) if read is not None else frozenset(client.regions.values_list("pk", flat=True))
    return ids or None
