"""Security middleware the project adds to Django's own: the Content-Security-Policy header, the
no-store answers, and the idle and absolute limits of signed-in sessions.

Django 5.2 has no Content-Security-Policy support of its own; one header from a setting does not
justify a new dependency (django-csp).
"""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse

# Session keys, Unix seconds: when this sign-in started and when it was last seen active.
SIGNED_IN_AT = "_signed_in_at"
LAST_SEEN_AT = "_last_seen_at"
# The last-seen time is written at most this often, so that a busy clerk does not save the session on
# every request; the idle limit is therefore exact to within this many seconds.
LAST_SEEN_RESOLUTION_SECONDS = 60


def now_seconds() -> int:
    """The clock of the session limits (a function, so tests can move it)."""
    return int(time.time())


class ContentSecurityPolicyMiddleware:
    """Sets CONTENT_SECURITY_POLICY on every response that does not bring its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy: str = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every answer of the application that does not say
    otherwise itself: the portal's pages, the clerk workspace and the API's JSON and CSV carry
    personal data, which no browser cache, proxy or shared computer may keep. Static files are
    answered before this middleware (WhiteNoise) and keep their own caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store, private"
        return response


def session_stamp_sign_in(*, session: SessionBase, is_staff: bool) -> None:
    """Start the clocks of a new sign-in; a resident's cookie is a browser-session cookie."""
    now = now_seconds()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    if not is_staff:
        session.set_expiry(0)


def stamp_on_sign_in(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Receiver of user_logged_in (connected in config/apps.py): the stamps are written with the
    sign-in's own session save, so the first page after it writes nothing more."""
    if request is not None and hasattr(request, "session"):
        session_stamp_sign_in(session=request.session, is_staff=user.is_staff)


class SessionTimeoutMiddleware:
    """Ends a signed-in session that was idle too long or that is older than SESSION_COOKIE_AGE.

    Residents (the portal) sign in on phones and shared computers: their session also ends when the
    browser closes, and after PORTAL_SESSION_IDLE_MINUTES without a request. Staff sessions end after
    STAFF_SESSION_IDLE_MINUTES idle. Both end SESSION_COOKIE_AGE after the sign-in (a working day) even
    when active. The next request is then anonymous: pages send it to the sign-in form.

    Only sessions are concerned: API clients with a bearer token have no session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._enforce(request, is_staff=user.is_staff)
        return self.get_response(request)

    def _enforce(self, request: HttpRequest, *, is_staff: bool) -> None:
        session = request.session
        now = now_seconds()
        idle_limit = 60 * (settings.STAFF_SESSION_IDLE_MINUTES if is_staff else settings.PORTAL_SESSION_IDLE_MINUTES)
        signed_in_at = session.get(SIGNED_IN_AT)
        last_seen_at = session.get(LAST_SEEN_AT)
        if signed_in_at is None or last_seen_at is None:
            # A session signed in before these limits existed: its clocks start now.
            session_stamp_sign_in(session=session, is_staff=is_staff)
            return
        if now - last_seen_at > idle_limit or now - signed_in_at > settings.SESSION_COOKIE_AGE:
            logout(request)  # flushes the session: the stored row and the cookie go
            return
        if now - last_seen_at >= LAST_SEEN_RESOLUTION_SECONDS:
            session[LAST_SEEN_AT] = now
