"""Settings for the medical-insurance case-management system.

One module for every environment; everything that differs between a laptop, CI and production
comes from environment variables (see `.env.example`). With nothing set it runs the embedded
default: SQLite in the project folder and Celery tasks executed in-process.
"""

import datetime
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # A production start without a key would sign sessions with something guessable.
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (DEBUG off) needs a long random SECRET_KEY in the environment; "
            "for local development set DEBUG=1 (make run does this)."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    # The Swagger UI and Redoc files, served locally: the agency's network reaches no CDN.
    "drf_spectacular_sidecar",
    "simple_history",
    # Counts failed sign-ins (portal and clerk admin) and locks out by user name + address.
    "axes",
    "enrollment",
    "payments",
    "eligibility",
    # Registers the project's deployment checks (config/checks.py).
    "config.apps.ProjectConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    # Serves the collected static files without DEBUG (no separate web server needed for them).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: every answer of the application is `no-store, private` unless it says otherwise.
    "config.security.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Ends idle and day-old sessions (config/security.py); needs request.user.
    "config.security.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records which user made each change in the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: answers a locked-out sign-in with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL names another one.
DEFAULT_SQLITE_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or DEFAULT_SQLITE_URL,
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
# An optional read-only replica (PostgreSQL streaming replication), as the database alias "replica".
# Nothing reads from it yet: docs/deployment.md says how the reporting API would.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
    # Tests see the replica as the default database (no second test database to fill).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# Behind PgBouncer in transaction pooling mode a server-side cursor (QuerySet.iterator()) could outlive
# the transaction's server connection: DATABASE_DISABLE_SERVER_SIDE_CURSORS=1 there.
for _database in DATABASES.values():
    _database["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The lockout check first (django-axes, see enrollment/portal/accounts.py): a locked-out user name +
# address is refused before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "enrollment.portal.accounts.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first, English second. Dates shown and taken are Asia/Shanghai local dates.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("Simplified Chinese")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# WhiteNoise serves STATIC_ROOT (after `collectstatic`) with compression. STATIC_MANIFEST=1 (production)
# adds content hashes to the file names so browsers may cache them for a year; it needs `collectstatic`
# to have run before the first page is rendered, which is why it is off by default (tests, `make run`).
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Scans of case documents (ID cards, household registers...): outside the web root and never
# served by a URL; the admin's download view checks the permission and the region.
CASE_DOCUMENT_ROOT = Path(os.environ.get("CASE_DOCUMENT_ROOT", BASE_DIR / "var" / "case_documents"))
# Largest accepted scan, in bytes (default 10 MB). Accepted types (PDF, JPEG, PNG) are checked by content.
CASE_DOCUMENT_MAX_BYTES = int(os.environ.get("CASE_DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))

LOGIN_URL = "admin:login"

# HTTPS only (production): Secure cookies, http redirected to https, browsers told to stay on https
# (HSTS). On by default whenever DEBUG is off. HTTPS_ONLY=0 is for plain-http setups that are not
# production: the test suite (test client and live server) and the loopback smoke test.
HTTPS_ONLY = env_bool("HTTPS_ONLY", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = HTTPS_ONLY
# A load balancer probes the health check on the internal http port; it must get the answer, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# The preload list is a commitment for the whole domain that takes months to undo: the agency's
# network team decides it (SECURE_HSTS_PRELOAD=1), so check --deploy's reminder (W021) is silenced.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Behind a proxy that terminates TLS, every request reaches gunicorn as http. BEHIND_TLS_PROXY=1 trusts
# the proxy's X-Forwarded-Proto: set it only when the proxy always sets that header (overwriting any
# the client sent) and gunicorn cannot be reached except through the proxy.
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (config/security.py): scripts, styles, images, fonts and forms from this site
# only, no frames, no plugins. Every script is a file (static/js/, the admin's, the Swagger UI's).
# style-src allows inline styles: the Django admin and our templates set style attributes (the
# timeline's grid size comes from the data) and a few <style> blocks; inline CSS cannot run code.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        # ReDoc (/api/docs/redoc/) builds its search index in a worker made from a blob: URL; a worker has
        # no access to the page, and only a script the policy already allows can start one.
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)

# Sessions (config/security.py): a sign-in lasts at most SESSION_COOKIE_AGE seconds (default 8 hours,
# a working day), and ends earlier after a time without requests: residents' after
# PORTAL_SESSION_IDLE_MINUTES (phones, shared computers; their cookie also ends with the browser),
# staff's after STAFF_SESSION_IDLE_MINUTES (a clerk's desk left unlocked in a service hall).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
PORTAL_SESSION_IDLE_MINUTES = env_int("PORTAL_SESSION_IDLE_MINUTES", 30)
STAFF_SESSION_IDLE_MINUTES = env_int("STAFF_SESSION_IDLE_MINUTES", 30)

# Sign-in lockout (django-axes), for the resident portal and the clerk admin alike: after
# AXES_FAILURE_LIMIT failed attempts for one user name from one address, that pair is refused for
# AXES_COOLOFF_MINUTES (a resident on a shared phone network does not lock out everyone else).
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "enrollment.portal.accounts_views.locked_out"
# No admin screens for the attempt logs: they hold user names (residents' ID numbers) and addresses of
# every region, outside the region scoping. An administrator lifts a lock with
# `manage.py axes_reset_username <user name>`; a resident lifts it by resetting the password by SMS code.
AXES_ENABLE_ADMIN = False
# The address is REMOTE_ADDR (django-ipware is not installed): behind a reverse proxy every request
# comes from the proxy, and the lockout then works per user name only, which is still safe.

# One-time codes of the resident portal (registration, password reset), sent by SMS through
# PORTAL_SMS_BACKEND: LogSmsBackend (default: writes the text, code included, to the log — for
# development only), ConsoleSmsBackend, GatewaySmsBackend (the agency's SMS gateway of
# NOTIFICATION_SMS_URL), MemorySmsBackend (tests). All in enrollment/portal/accounts.py.
PORTAL_SMS_BACKEND = os.environ.get("PORTAL_SMS_BACKEND", "enrollment.portal.accounts.LogSmsBackend")
PORTAL_CODE_TTL_MINUTES = int(os.environ.get("PORTAL_CODE_TTL_MINUTES", "10"))
PORTAL_CODE_MAX_ATTEMPTS = int(os.environ.get("PORTAL_CODE_MAX_ATTEMPTS", "5"))
# A new code for the same phone no sooner than this, and at most PORTAL_CODES_PER_HOUR an hour.
PORTAL_CODE_RESEND_SECONDS = int(os.environ.get("PORTAL_CODE_RESEND_SECONDS", "60"))
PORTAL_CODES_PER_HOUR = int(os.environ.get("PORTAL_CODES_PER_HOUR", "5"))

# The history pages' "revert" would let anyone who may view a record overwrite it; changes go
# through the forms and services only.
SIMPLE_HISTORY_REVERT_DISABLED = True

# REST API (config/api.py, enrollment/api/): bearer tokens of API clients (created by an administrator
# in the admin) or a staff user's session; every view declares the scope it needs.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "enrollment.api.auth.BearerTokenAuthentication",
        "enrollment.api.auth.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["enrollment.api.auth.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["enrollment.api.auth.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "enrollment.api.support.ApiSchema",
    "EXCEPTION_HANDLER": "enrollment.api.support.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}
# Requests per client when its own rate is empty (hospital systems usually get their own).
API_DEFAULT_RATE = os.environ.get("API_DEFAULT_RATE", "1200/minute")
if not re.fullmatch(r"[1-9][0-9]{0,6}/(s|sec|second|m|min|minute|h|hour|d|day)", API_DEFAULT_RATE):
    raise ImproperlyConfigured(
        "API_DEFAULT_RATE must read like 1200/minute (requests per second, minute, hour or day), "
        f"not {API_DEFAULT_RATE!r}."
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "Medical insurance services API",
    "DESCRIPTION": (
        "Reporting resources and aggregates for analysts, and the eligibility check for hospitals. "
        "Authenticate with `Authorization: Bearer <token>`; errors are `{code, message, details}` with the "
        "message in the language of `Accept-Language` (zh-Hans by default, en)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Several models have a "state" or "kind": name their enums instead of letting hashes do it.
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "enrollment.models.CaseState",
        "CaseKindEnum": "enrollment.models.CaseKind",
        "CoverageStateEnum": "eligibility.models.CoverageState",
    },
}

# The cache holds the API's per-client request counts. With several gunicorn workers or machines it
# must be shared: CACHE_URL=redis://… (production); without it each process counts on its own.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Celery: with no broker configured the tasks run in-process (the embedded default); with
# CELERY_BROKER_URL set they go to that broker (Redis in production and in the test suite).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "")
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Unacknowledged tasks of a worker that died are handed out again after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# The worker logs through LOGGING's handlers (and their personal-data filter) instead of replacing them.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"

# Reminders (eligibility/notifications.py): the nightly recompute creates them, the delivery job
# (`deliver_notifications`, beat every hour from 08:00 to 20:00) sends the due ones through every
# backend listed here (comma-separated dotted paths): LogBackend (default), ConsoleBackend,
# EmailBackend (Django e-mail, EMAIL_* below), SmsBackend (JSON POST to NOTIFICATION_SMS_URL).
NOTIFICATION_BACKENDS = env_list("NOTIFICATION_BACKENDS", "eligibility.notifications.LogBackend")
# A callable (persons -> {person id: Contact}) giving each person's phone and e-mail.
NOTIFICATION_CONTACT_RESOLVER = os.environ.get(
    "NOTIFICATION_CONTACT_RESOLVER", "eligibility.notifications.person_contacts"
)
# The language messages are sent in (persons have no language of their own yet).
NOTIFICATION_LANGUAGE = os.environ.get("NOTIFICATION_LANGUAGE", "zh-hans")
NOTIFICATION_MAX_ATTEMPTS = int(os.environ.get("NOTIFICATION_MAX_ATTEMPTS", "5"))
NOTIFICATION_SMS_URL = os.environ.get("NOTIFICATION_SMS_URL", "")
NOTIFICATION_SMS_TOKEN = os.environ.get("NOTIFICATION_SMS_TOKEN", "")
NOTIFICATION_SMS_TIMEOUT = float(os.environ.get("NOTIFICATION_SMS_TIMEOUT", "10"))
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")

# Every line goes to the console (the process manager collects it) through the filter that masks
# ID and phone numbers. Django's own loggers propagate here instead of mailing error reports to
# ADMINS: a report carries the request's data, i.e. personal data, into mailboxes.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "config.log_filters.PersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["personal_data"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": os.environ.get("LOG_LEVEL", "INFO"), "propagate": True},
        "celery": {"handlers": [], "level": os.environ.get("LOG_LEVEL", "INFO"), "propagate": True},
        # runserver's request lines (the demo) carry query strings such as ?q=<ID number>.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Policy years: a published parameter that moved by more than this share of last year's value is a
# warning the supervisor confirms before publishing (a typing slip as often as a new policy).
POLICY_CHANGE_WARNING_SHARE = os.environ.get("POLICY_CHANGE_WARNING_SHARE", "0.2")
try:
    if not 0 < float(POLICY_CHANGE_WARNING_SHARE) < 10:
        raise ValueError
except ValueError:
    raise ImproperlyConfigured(
        f"POLICY_CHANGE_WARNING_SHARE must be a share such as 0.2, not {POLICY_CHANGE_WARNING_SHARE!r}."
    ) from None
# From this day of the year on, the admin, /healthz/ and `check` warn about next year's missing
# policy profiles and work calendar (the collection period usually opens in September or October).
YEAR_END_WARNINGS_FROM = os.environ.get("YEAR_END_WARNINGS_FROM", "09-01")
if not re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])", YEAR_END_WARNINGS_FROM):
    raise ImproperlyConfigured(
        f"YEAR_END_WARNINGS_FROM must read like 09-01 (month-day), not {YEAR_END_WARNINGS_FROM!r}."
    )
