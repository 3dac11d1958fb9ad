"""Settings come from the environment; each case starts a fresh interpreter with its own variables."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, django
django.setup()
from django.conf import settings
from config.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST", ""),
    "debug": settings.DEBUG, "time_zone": settings.TIME_ZONE, "use_tz": settings.USE_TZ,
    "language": settings.LANGUAGE_CODE, "languages": [code for code, _ in settings.LANGUAGES],
    "eager": app.conf.task_always_eager, "broker": app.conf.broker_url,
    "allowed_hosts": settings.ALLOWED_HOSTS,
}))
"""
CONFIG_VARIABLES = ["DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"]


def run_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in CONFIG_VARIABLES}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False
    )


def settings_with(**env: str) -> dict:
    result = run_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_is_sqlite_in_the_project_folder_with_in_process_tasks():
    values = settings_with(DEBUG="1")
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(ROOT / "db.sqlite3")
    assert values["eager"] is True
    assert values["debug"] is True


def test_postgresql_by_url():
    values = settings_with(SECRET_KEY="k", DATABASE_URL="postgres://agency@db.internal:5432/medins")
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "medins"
    assert values["host"] == "db.internal"


def test_broker_url_sends_tasks_to_the_broker():
    values = settings_with(SECRET_KEY="k", CELERY_BROKER_URL="redis://127.0.0.1:6379/5")
    assert values["eager"] is False
    assert values["broker"] == "redis://127.0.0.1:6379/5"


def test_time_zone_and_languages():
    values = settings_with(DEBUG="1")
    assert values["time_zone"] == "Asia/Shanghai"
    assert values["use_tz"] is True
    assert values["language"] == "zh-hans"
    assert values["languages"] == ["zh-hans", "en"]


def test_debug_is_off_by_default():
    values = settings_with(SECRET_KEY="k", ALLOWED_HOSTS="medins.example.gov.cn, api.example.gov.cn")
    assert values["debug"] is False
    assert values["allowed_hosts"] == ["medins.example.gov.cn", "api.example.gov.cn"]


def test_production_start_without_secret_key_fails_with_a_clear_message():
    result = run_settings()
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_malformed_boolean_is_refused_with_its_name():
    result = run_settings(SECRET_KEY="k", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_malformed_default_api_rate_is_refused_with_its_name():
    result = run_settings(SECRET_KEY="k", API_DEFAULT_RATE="lots")
    assert result.returncode != 0
    assert "API_DEFAULT_RATE must read like 1200/minute" in result.stderr
