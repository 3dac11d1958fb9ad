"""The project's own deployment checks, run by `manage.py check --deploy` next to Django's."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

# SMS backends that never reach a phone: they write the one-time code to the log or the console, or
# keep it in memory. Fine for development and tests; in production the code of a resident's sign-up
# or password reset would sit in the logs for anyone who reads them.
DEVELOPMENT_SMS_BACKENDS = {
    "enrollment.portal.accounts.LogSmsBackend",
    "enrollment.portal.accounts.ConsoleSmsBackend",
    "enrollment.portal.accounts.MemorySmsBackend",
}
GATEWAY_SMS_BACKEND = "enrollment.portal.accounts.GatewaySmsBackend"


@register(Tags.security, deploy=True)
def portal_sms_backend_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    backend = settings.PORTAL_SMS_BACKEND
    if backend in DEVELOPMENT_SMS_BACKENDS:
        return [
            CheckWarning(
                f"PORTAL_SMS_BACKEND is {backend}, which writes the portal's one-time codes to the log, the "
                "console or memory instead of sending them.",
                hint=f"Set PORTAL_SMS_BACKEND={GATEWAY_SMS_BACKEND} and NOTIFICATION_SMS_URL in production.",
                id="medins.W001",
            )
        ]
    if backend == GATEWAY_SMS_BACKEND and not settings.NOTIFICATION_SMS_URL:
        return [
            CheckWarning(
                "PORTAL_SMS_BACKEND sends one-time codes through the SMS gateway, but NOTIFICATION_SMS_URL is empty.",
                hint="Set NOTIFICATION_SMS_URL (and NOTIFICATION_SMS_TOKEN) to the agency's SMS gateway.",
                id="medins.W002",
            )
        ]
    return []


# Cache backends whose counts are not shared between processes: with several gunicorn workers each
# counts a client's requests on its own, so an API client gets its rate once per worker.
UNSHARED_CACHE_BACKENDS = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register(Tags.security, Tags.caches, deploy=True)
def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in UNSHARED_CACHE_BACKENDS:
        return [
            CheckWarning(
                f"The default cache is {backend}, private to each process: the API's rate limits are counted per "
                "gunicorn worker, so a client gets its rate once per worker.",
                hint="Set CACHE_URL=redis://… so that every web process counts in the same place.",
                id="medins.W003",
            )
        ]
    return []
