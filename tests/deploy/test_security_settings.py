"""Production security settings: headers, HTTPS only, cookies, session limits, error pages, and
`manage.py check --deploy` with a production environment.

The suite itself runs with HTTPS_ONLY=0 (plain http); what HTTPS_ONLY on does is seen in child
processes started with a production environment (tests/deploy/support.py).
"""

import json
import re

import pytest
from django.conf import global_settings, settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from config import security
from config.checks import portal_sms_backend_check, shared_cache_check
from enrollment.api_clients import api_client_create
from enrollment.models import ApiClientKind, ApiScope
from tests.deploy.support import production_env, run_manage, run_python
from tests.deploy.urls_with_error import INTERNAL_DETAIL
from tests.factories import TEST_PASSWORD, PersonFactory, UserFactory

EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'", "blob:"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def assert_security_headers(response) -> None:
    assert policy_of(response) == EXPECTED_POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


# --- headers, in the suite's plain-http configuration ---------------------------------------------


@pytest.mark.django_db
def test_a_portal_page_carries_the_security_headers_and_no_hsts_over_plain_http(client):
    response = client.get(reverse("portal:login"))
    assert response.status_code == 200
    assert_security_headers(response)
    assert "Strict-Transport-Security" not in response


@pytest.mark.django_db
def test_an_admin_page_carries_the_security_headers(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_an_api_answer_carries_the_security_headers(client):
    issued = api_client_create(name="HIS", kind=ApiClientKind.HOSPITAL, scopes=[ApiScope.ELIGIBILITY_CHECK])
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_the_swagger_ui_runs_no_inline_script(client):
    # The policy allows script files of this site only: an inline <script> body would not run.
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html
    assert "<script src=" in html


@pytest.mark.django_db
def test_the_session_cookie_is_http_only_and_same_site(client, clerk):
    response = client.post(reverse("admin:login"), {"username": clerk.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# --- HTTPS only: a production start in a child process ---------------------------------------------

HTTPS_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from tests.factories import TEST_PASSWORD

def cookie(response, name):
    morsel = response.cookies[name]
    return {"secure": morsel["secure"], "httponly": morsel["httponly"], "samesite": morsel["samesite"]}

client = Client(HTTP_HOST="medins.example.gov.cn")
plain = client.get("/my/")
health = client.get("/healthz/")
login_page = client.get("/admin/login/", secure=True)
signed_in = client.post(
    "/admin/login/", {"username": "%(username)s", "password": TEST_PASSWORD}, secure=True
)
proxied = Client(HTTP_HOST="medins.example.gov.cn").get("/my/account/login/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "debug": settings.DEBUG,
    "https_only": settings.HTTPS_ONLY,
    "plain": [plain.status_code, plain.get("Location", "")],
    "health": health.status_code,
    "hsts": login_page.get("Strict-Transport-Security", ""),
    "csrf_cookie": cookie(login_page, settings.CSRF_COOKIE_NAME),
    "signed_in": signed_in.status_code,
    "session_cookie": cookie(signed_in, settings.SESSION_COOKIE_NAME),
    "proxied": [proxied.status_code, proxied.get("Strict-Transport-Security", "")],
}))
"""


@pytest.fixture
def production_password_hashers(settings):
    """The child process signs in with Django's own hashers: the user it finds must be hashed with them
    (the suite's fast MD5 hasher would not verify there)."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


def https_probe(username: str, **env: str) -> dict:
    result = run_python(HTTPS_PROBE % {"username": username}, production_env(**env))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("production_password_hashers")
def test_production_defaults_to_https_only_with_hsts_and_secure_cookies():
    staff = UserFactory(username="probe_clerk", is_staff=True, is_superuser=True)

    values = https_probe(staff.username)

    assert values["debug"] is False
    assert values["https_only"] is True
    # plain http is sent to https, except the load balancer's health check
    assert values["plain"] == [301, "https://medins.example.gov.cn/my/"]
    assert values["health"] == 200
    assert values["hsts"] == "max-age=31536000; includeSubDomains"
    assert values["csrf_cookie"] == {"secure": True, "httponly": "", "samesite": "Lax"}
    assert values["signed_in"] == 302
    assert values["session_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    # without BEHIND_TLS_PROXY a forwarded header is not believed: still redirected
    assert values["proxied"][0] == 301


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("production_password_hashers")
def test_behind_a_tls_proxy_the_forwarded_protocol_counts_as_https():
    staff = UserFactory(username="probe_clerk", is_staff=True)

    values = https_probe(staff.username, BEHIND_TLS_PROXY="1")

    assert values["proxied"] == [200, "max-age=31536000; includeSubDomains"]
    assert values["plain"][0] == 301


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("production_password_hashers")
def test_https_only_can_be_switched_off_for_plain_http_setups():
    staff = UserFactory(username="probe_clerk", is_staff=True)

    values = https_probe(staff.username, HTTPS_ONLY="0")

    assert values["https_only"] is False
    assert values["plain"] == [302, "/my/account/login/?next=/my/"]
    assert values["hsts"] == ""
    assert values["csrf_cookie"]["secure"] == ""


SETTINGS_PROBE = """
import json, django
django.setup()
from django.conf import settings
replica = settings.DATABASES.get("replica", {}).get("NAME")
cursors = sorted({db["DISABLE_SERVER_SIDE_CURSORS"] for db in settings.DATABASES.values()})
print(json.dumps({"databases": sorted(settings.DATABASES), "replica": replica, "no_server_cursors": cursors}))
"""


def test_the_replica_alias_exists_only_when_its_url_is_set():
    without = run_python(SETTINGS_PROBE, production_env())
    with_replica = run_python(
        SETTINGS_PROBE, production_env(DATABASE_REPLICA_URL="postgres://reader@replica.internal:5432/medins")
    )
    assert without.returncode == 0, without.stderr[-2000:]
    assert with_replica.returncode == 0, with_replica.stderr[-2000:]
    assert json.loads(without.stdout.splitlines()[-1]) == {
        "databases": ["default"],
        "replica": None,
        "no_server_cursors": [False],
    }
    assert json.loads(with_replica.stdout.splitlines()[-1]) == {
        "databases": ["default", "replica"],
        "replica": "medins",
        "no_server_cursors": [False],
    }


def test_server_side_cursors_can_be_switched_off_for_pgbouncer():
    result = run_python(
        SETTINGS_PROBE,
        production_env(
            DATABASE_REPLICA_URL="postgres://reader@replica.internal:5432/medins",
            DATABASE_DISABLE_SERVER_SIDE_CURSORS="1",
        ),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1])["no_server_cursors"] == [True]


def test_a_malformed_number_is_refused_with_its_name():
    result = run_python(SETTINGS_PROBE, production_env(SESSION_COOKIE_AGE="8h"))
    assert result.returncode != 0
    assert "SESSION_COOKIE_AGE='8h' is not a whole number" in result.stderr


# --- manage.py check --deploy ----------------------------------------------------------------------


@pytest.mark.django_db
def test_check_deploy_reports_no_issues_with_the_production_environment():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_check_deploy_fails_when_one_time_codes_would_go_to_the_log():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(PORTAL_SMS_BACKEND="enrollment.portal.accounts.LogSmsBackend"),
    )
    assert result.returncode != 0
    assert "medins.W001" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("debug", "backend", "sms_url", "expected"),
    [
        (False, "enrollment.portal.accounts.LogSmsBackend", "https://sms", ["medins.W001"]),
        (False, "enrollment.portal.accounts.ConsoleSmsBackend", "https://sms", ["medins.W001"]),
        (False, "enrollment.portal.accounts.GatewaySmsBackend", "", ["medins.W002"]),
        (False, "enrollment.portal.accounts.GatewaySmsBackend", "https://sms", []),
        (True, "enrollment.portal.accounts.LogSmsBackend", "", []),
    ],
)
def test_the_sms_backend_check(debug, backend, sms_url, expected):
    with override_settings(DEBUG=debug, PORTAL_SMS_BACKEND=backend, NOTIFICATION_SMS_URL=sms_url):
        assert [message.id for message in portal_sms_backend_check()] == expected


def test_the_proxys_body_limit_in_the_docs_lets_the_largest_upload_through():
    # issue 16: the documented nginx limit (12m) was below the import's 20 MB
    from pathlib import Path

    from payments.admin_imports import MAX_UPLOAD_BYTES

    text = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text("utf-8")
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", text).group(1))
    assert megabytes * 1024 * 1024 > max(MAX_UPLOAD_BYTES, settings.CASE_DOCUMENT_MAX_BYTES)


@pytest.mark.django_db
def test_finding_9_check_deploy_warns_without_a_shared_cache_for_the_rate_limits():
    env = production_env()
    env.pop("CACHE_URL", None)
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "medins.W003" in result.stderr + result.stdout


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://r:6379/2"}}
DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.mark.parametrize(
    ("debug", "caches", "expected"),
    [(False, LOCMEM, ["medins.W003"]), (False, DUMMY, ["medins.W003"]), (False, REDIS, []), (True, LOCMEM, [])],
)
def test_finding_9_the_shared_cache_check(debug, caches, expected):
    with override_settings(DEBUG=debug, CACHES=caches):
        assert [message.id for message in shared_cache_check()] == expected


def test_debug_is_off_in_the_suite_as_in_production():
    # The error-page tests below rely on it: with DEBUG on Django would show its technical pages.
    assert settings.DEBUG is False


# --- error pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_missing_page_shows_the_projects_page_and_no_technical_details(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "404.html" in [template.name for template in response.templates]
    html = response.content.decode()
    assert "Page not found" in html
    assert "URLconf" not in html and "Traceback" not in html


@pytest.mark.django_db
@pytest.mark.urls("tests.deploy.urls_with_error")
def test_an_unexpected_error_shows_the_projects_page_and_no_traceback():
    client = Client(raise_request_exception=False)
    response = client.get("/broken/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert INTERNAL_DETAIL not in html
    assert "Traceback" not in html and "RuntimeError" not in html


# --- passwords ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["short1!", "password123", "7394018265", "clerk_nanchang1"])
def test_a_weak_staff_password_is_refused(password):
    staff = UserFactory(username="clerk_nanchang", is_staff=True)
    with pytest.raises(ValidationError):
        validate_password(password, user=staff)


@pytest.mark.django_db
def test_a_long_uncommon_password_is_accepted():
    staff = UserFactory(username="clerk_nanchang", is_staff=True)
    assert validate_password("梅岭-river-lantern-2026", user=staff) is None


# --- session limits -------------------------------------------------------------------------------


class Clock:
    def __init__(self, start: int) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, *, minutes: int) -> None:
        self.now += minutes * 60


@pytest.fixture
def clock(monkeypatch):
    moved = Clock(1_800_000_000)
    monkeypatch.setattr(security, "now_seconds", moved)
    return moved


def session_exists(client) -> bool:
    key = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return key is not None and Session.objects.filter(session_key=key.value).exists()


@pytest.mark.django_db
def test_a_residents_session_slides_while_active_and_ends_after_30_idle_minutes(client, resident, clock):
    dashboard = reverse("portal:dashboard")
    client.force_login(resident.user)
    assert client.get(dashboard).status_code == 200
    # active every 25 minutes for 75 minutes: still signed in
    for _ in range(3):
        clock.advance(minutes=25)
        assert client.get(dashboard).status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    clock.advance(minutes=31)
    response = client.get(dashboard)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.django_db
def test_a_residents_sign_in_sets_a_cookie_that_ends_with_the_browser(client, nanchang, clock):
    person = PersonFactory(household_region=nanchang)
    person.user = UserFactory(username=person.id_number)
    person.save(update_fields=["user"])

    response = client.post(reverse("portal:login"), {"username": person.id_number, "password": TEST_PASSWORD})

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert session_exists(client)


@pytest.mark.django_db
def test_a_staff_sign_in_sets_a_cookie_of_the_working_day(client, clerk, clock):
    response = client.post(reverse("admin:login"), {"username": clerk.username, "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


@pytest.mark.django_db
def test_the_first_page_after_signing_in_writes_no_session(client, resident, clock):
    # The clocks are stamped by the sign-in itself; a page within the minute adds no write.
    client.force_login(resident.user)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_a_staff_session_ends_after_30_idle_minutes(client, clerk, clock):
    client.force_login(clerk)
    assert client.get(reverse("admin:index")).status_code == 200
    clock.advance(minutes=29)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE

    clock.advance(minutes=31)
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not session_exists(client)


@pytest.mark.django_db
def test_an_active_staff_session_ends_after_the_working_day(client, clerk, clock):
    client.force_login(clerk)
    assert client.get(reverse("admin:index")).status_code == 200
    # a request every 20 minutes for 8 hours
    for _ in range(8 * 3):
        clock.advance(minutes=20)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 200

    clock.advance(minutes=1)
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert not session_exists(client)
