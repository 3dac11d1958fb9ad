"""Who calls the API and what they may do.

Two kinds of caller:
- an API client with a bearer token (`Authorization: Bearer mi_…`): its scopes and region limits
  are those an administrator gave it in the admin;
- a signed-in staff user (session, e.g. an analyst trying the API in the browser documentation):
  `reporting:read` and `eligibility:check`, masked, scoped by the user's regions as in the admin.
Residents' portal accounts have no API scopes.
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from enrollment.api_clients import api_client_for_token, api_client_regions
from enrollment.models import ApiClient, ApiScope
from enrollment.roles import ADMINISTRATOR, ANALYST, CLERK, SUPERVISOR

STAFF_ROLES = {ADMINISTRATOR, ANALYST, CLERK, SUPERVISOR}
STAFF_SCOPES = frozenset({ApiScope.REPORTING_READ.value, ApiScope.ELIGIBILITY_CHECK.value})
_SCOPES_ATTR = "_api_scopes_cache"


class ApiPrincipal:
    """`request.user` for a token request: no Django user, the client's scopes and regions."""

    is_api_client = True
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    pk = None
    id = None

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.scopes = frozenset(client.scopes)

    @cached_property
    def regions(self) -> frozenset[int] | None:
        # Read when a view scopes a query, not on every request: /me and the eligibility check of a
        # hospital without region limits would otherwise pay a query for nothing.
        return api_client_regions(self.client)

    def __str__(self) -> str:
        return f"API client {self.client.name}"

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ApiPrincipal, ApiClient] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as: Authorization: Bearer <token>."))
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        client = api_client_for_token(token)
        if client is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid, has expired or was revoked."))
        return ApiPrincipal(client), client

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when no credentials were sent.
        return f'{self.keyword} realm="api"'


class StaffSessionAuthentication(authentication.SessionAuthentication):
    """The admin's session, for staff only; a resident's portal session does not open the API."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None or not result[0].is_staff:
            return None
        return result


def scopes_of(request: Request) -> frozenset[str]:
    user = request.user
    if isinstance(user, ApiPrincipal):
        return user.scopes
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        return frozenset()
    # Cached on the user object (it lives as long as the request): the masked fields ask once per
    # row, and a page of 1000 rows must not read the user's groups 1000 times.
    cached: frozenset[str] | None = getattr(user, _SCOPES_ATTR, None)
    if cached is not None:
        return cached
    scopes: frozenset[str] = frozenset()
    if user.is_superuser or set(user.groups.values_list("name", flat=True)) & STAFF_ROLES:
        scopes = STAFF_SCOPES
    setattr(user, _SCOPES_ATTR, scopes)
    return scopes


def unmasked(request: Request) -> bool:
    """Whether the caller sees ID and phone numbers in full."""
    return ApiScope.REPORTING_UNMASKED in scopes_of(request)


def api_client_of(request: Request) -> ApiClient | None:
    return request.user.client if isinstance(request.user, ApiPrincipal) else None


class HasScope(permissions.BasePermission):
    """Allows the request when the caller holds the view's `required_scope`."""

    message = _("This client may not use this part of the API.")

    def has_permission(self, request: Request, view: Any) -> bool:
        required = getattr(view, "required_scope", None)
        if required is None:
            # A view that forgot to declare its scope is closed, not open.
            return False
        if not request.user or not request.user.is_authenticated:
            return False
        if required in scopes_of(request):
            return True
        self.message = _("This client lacks the scope %(scope)s.") % {"scope": required}
        return False


class ClientRateThrottle(throttling.BaseThrottle):
    """Per API client (or staff user) rate, the client's own or API_DEFAULT_RATE.

    A fixed-window counter: one atomic increment per request (with Redis, one round trip for the
    increment and the key's expiry). DRF's SimpleRateThrottle keeps every request's timestamp in one
    cached list that each request reads and writes back: its cost grows with the rate, and two
    workers writing the list at once lose each other's requests. A fixed window may let up to twice
    the rate through across a window's edge; the rate is a fair-use limit, not a billing meter.
    """

    cache_format = "throttle_api_%(ident)s_%(window)s"

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        client = api_client_of(request)
        rate = (client.rate if client is not None and client.rate else None) or settings.API_DEFAULT_RATE
        allowed, duration = parse_rate(rate)
        now = time.time()
        window = int(now // duration)
        key = self.cache_format % {"ident": self._ident(request, client), "window": window}
        if window_count(key, timeout=duration + 1) <= allowed:
            return True
        self.wait_seconds = max(1.0, (window + 1) * duration - now)
        return False

    def wait(self) -> float | None:
        return self.wait_seconds

    def _ident(self, request: Request, client: ApiClient | None) -> str:
        if client is not None:
            return f"client-{client.pk}"
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return f"ip-{self.get_ident(request)}"


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/minute" → (600, 60): requests allowed per window, the window in seconds (as DRF reads it,
    by the period's first letter; the admin form validates the rate)."""
    count, _sep, period = rate.partition("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[:1]]


def window_count(key: str, *, timeout: int) -> int:
    """Add one to the counter `key` (created with `timeout` seconds to live) and return its value."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        pipeline = cache._cache.get_client(full_key, write=True).pipeline()
        pipeline.incr(full_key)
        pipeline.expire(full_key, timeout, nx=True)
        count, _expiry_set = pipeline.execute()
        return int(count)
    cache.add(key, 0, timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout)
        return 1


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "enrollment.api.auth.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token created by an administrator under API clients: `Authorization: Bearer mi_…`.",
        }


class StaffSessionScheme(SessionScheme):
    """Documents the staff session (the browser documentation's "try it out"); without it the schema
    generator warns for every view and leaves the scheme out."""

    target_class = "enrollment.api.auth.StaffSessionAuthentication"
    name = "staffSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        definition = dict(super().get_security_definition(auto_schema))
        definition["description"] = "A signed-in staff member's session (the admin's cookie), masked."
        return definition
