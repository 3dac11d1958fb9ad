"""The API's shared layer: tokens, scopes, staff sessions, throttling, the error shape, the schema."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import override

from enrollment.api_clients import api_client_create, api_client_for_token, api_client_revoke, token_hash
from enrollment.models import ApiClient, ApiClientKind
from tests.api.conftest import CHECK, READ, UNMASKED

ME = "/api/v1/me"

pytestmark = pytest.mark.django_db


def test_no_token_is_401_with_the_error_shape(api):
    response = api.get(ME, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["message"] == "Authentication credentials were not provided."
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_message_follows_accept_language(api):
    response = api.get(ME, HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert response.status_code == 401
    assert response.json()["message"] == "身份认证信息未提供。"


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer mi_00000000_wrong", "Bearer nonsense", "Bearer mi_short_x", "Bearer 令牌"],
)
def test_wrong_tokens_are_refused(api, issue_token, header):
    issue_token([READ])
    response = api.get(ME, HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_token_names_its_client_scopes_and_regions(api, issue_token, nanchang):
    token = issue_token([READ, UNMASKED], regions=[nanchang], name="统计报表")
    body = api.as_token(token).get(ME).json()
    assert body["client"] == "统计报表"
    assert body["scopes"] == [READ, UNMASKED]
    assert body["regions"] == ["360100"]


def test_only_the_hash_of_the_token_is_stored(issue_token):
    token = issue_token([READ])
    client = ApiClient.objects.get()
    assert token not in {client.token_hash, client.token_prefix}
    assert client.token_hash == token_hash(token)
    assert token.startswith(f"mi_{client.token_prefix}_")


def test_a_revoked_token_stops_working_at_once(api, db):
    issued = api_client_create(name="old", kind=ApiClientKind.REPORTING, scopes=[READ])
    assert api.as_token(issued.token).get(ME).status_code == 200
    api_client_revoke(client=issued.client)
    assert api.get(ME).status_code == 401


def test_an_expired_token_is_refused(api, db):
    issued = api_client_create(
        name="expired",
        kind=ApiClientKind.REPORTING,
        scopes=[READ],
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert api.as_token(issued.token).get(ME).status_code == 401


def test_last_use_is_written_at_most_every_five_minutes(db):
    issued = api_client_create(name="busy", kind=ApiClientKind.HOSPITAL, scopes=[CHECK])
    start = timezone.now()
    api_client_for_token(issued.token, now=start)
    api_client_for_token(issued.token, now=start + datetime.timedelta(minutes=1))
    assert ApiClient.objects.get().last_used_at == start
    later = start + datetime.timedelta(minutes=6)
    api_client_for_token(issued.token, now=later)
    assert ApiClient.objects.get().last_used_at == later


@pytest.mark.parametrize(
    ("scopes", "code"),
    [([], "no_scope"), (["reporting:write"], "unknown_scope"), ([UNMASKED], "unmasked_without_read")],
)
def test_scopes_are_checked_when_a_client_is_created(db, scopes, code):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        api_client_create(name="x", kind=ApiClientKind.OTHER, scopes=scopes)
    assert error.value.code == code
    assert not ApiClient.objects.exists()


def test_staff_sessions_get_reporting_and_check_but_residents_do_not(api, analyst, resident):
    api.force_login(analyst)
    assert api.get(ME).json()["scopes"] == [CHECK, READ]
    api.logout()
    api.force_login(resident.user)
    assert api.get(ME).status_code in (401, 403)


def test_a_clerk_session_is_limited_to_the_clerks_regions(api, clerk):
    api.force_login(clerk)
    assert api.get(ME).json()["regions"] == ["360100"]


def test_requests_beyond_the_clients_rate_are_429_with_retry_after(api, issue_token):
    token = issue_token([READ], rate="3/minute")
    api.as_token(token)
    assert [api.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    response = api.get(ME, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_each_client_has_its_own_count(api, issue_token):
    first, second = issue_token([READ], rate="1/minute"), issue_token([READ], rate="1/minute")
    assert api.as_token(first).get(ME).status_code == 200
    assert api.as_token(first).get(ME).status_code == 429
    assert api.as_token(second).get(ME).status_code == 200


def test_the_rate_is_counted_in_redis_when_configured(api, issue_token, settings):
    import os

    redis_url = os.environ["TEST_REDIS_URL"]
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    with override_settings(CACHES=caches):
        from django.core.cache import cache

        cache.clear()
        token = issue_token([READ], rate="2/minute")
        api.as_token(token)
        assert [api.get(ME).status_code for _ in range(3)] == [200, 200, 429]
        assert any(key.startswith(b":1:throttle_api_client-") for key in cache._cache.get_client().keys("*"))
        cache.clear()


def test_the_schema_and_the_documentation_are_served_without_a_token(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert "bearerToken" in document["components"]["securitySchemes"]
    assert "/api/v1/me" in document["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    # The UI's files are served by the application itself, never from a CDN.
    assert b"cdn.jsdelivr" not in docs.content and b"/static/drf_spectacular_sidecar/" in docs.content


def test_every_operation_documents_the_error_shape(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code in ("400", "401", "403", "429"):
                content = operation["responses"][code]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (path, method, code)


def test_english_error_messages(api):
    with override("en"):
        response = api.get(ME, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"].startswith("Authentication credentials")


def test_the_schema_validates_without_a_warning(tmp_path):
    # A view the generator cannot describe (an unknown authentication, an unnamed enum, a
    # serializer it must guess) is a warning; the documentation then lies by omission.
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text(encoding="utf-8")
    assert "/api/v1/eligibility/check" in text
    assert "bearerToken:" in text and "staffSession:" in text


def test_the_count_starts_again_in_the_next_window(api, issue_token, monkeypatch):
    import enrollment.api.auth as auth

    now = [1_800_000_000.0]  # a window's start: 1_800_000_000 is a multiple of 60
    monkeypatch.setattr(auth.time, "time", lambda: now[0])
    api.as_token(issue_token([READ], rate="2/minute"))
    assert [api.get(ME).status_code for _ in range(3)] == [200, 200, 429]
    now[0] += 45
    refused = api.get(ME)
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 15
    now[0] += 15
    assert api.get(ME).status_code == 200


def test_a_client_read_by_its_token_brings_its_regions(api, issue_token, nanchang, django_assert_max_num_queries):
    from enrollment.api_clients import api_client_for_token, api_client_regions

    token = issue_token([READ], regions=[nanchang])
    client = api_client_for_token(token)
    with django_assert_max_num_queries(0):
        assert api_client_regions(client) == frozenset({nanchang.pk})
    assert api_client_regions(api_client_for_token(issue_token([READ]))) is None
