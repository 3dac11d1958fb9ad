"""Helpers for the deployment tests: child processes with a production-like environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# Variables of the test run that must not leak into a "production" child process.
TEST_ONLY_VARIABLES = {
    "HTTPS_ONLY",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    # set by tests/browser/conftest.py for Playwright; check --deploy rightly refuses it (async.E001)
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def database_url_of_tests() -> str:
    """The URL of the test database, for child processes that must see what the test committed."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production start: DEBUG off, a long random key, a host name, PostgreSQL,
    the SMS gateway, Redis for the cache; HTTPS_ONLY left to its default (on). Overrides are added last."""
    env = {key: value for key, value in os.environ.items() if key not in TEST_ONLY_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="medins.example.gov.cn",
        DATABASE_URL=database_url_of_tests(),
        PORTAL_SMS_BACKEND="enrollment.portal.accounts.GatewaySmsBackend",
        NOTIFICATION_SMS_URL="https://sms-gateway.example.gov.cn/send",
        LOG_LEVEL="WARNING",
        # Shared by the web processes for the API's rate limits (check --deploy warns without it).
        CACHE_URL=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    env.update(overrides)
    return env


def run_python(code: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_manage(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
