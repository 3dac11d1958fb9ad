"""Fixtures of the REST API tests: API clients with tokens, and an HTTP client that sends them."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from enrollment.api_clients import api_client_create
from enrollment.models import ApiClientKind, ApiScope

READ = ApiScope.REPORTING_READ.value
UNMASKED = ApiScope.REPORTING_UNMASKED.value
CHECK = ApiScope.ELIGIBILITY_CHECK.value


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # Request counts live in the cache; one test's requests must not throttle the next test's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def issue_token(db):
    """issue_token(scopes, regions=(), rate="", name=None) → the token text of a new API client."""
    counter = iter(range(1, 10_000))

    def issue(scopes, regions=(), rate="", name=None, kind=ApiClientKind.REPORTING):
        issued = api_client_create(
            name=name or f"client {next(counter)}", kind=kind, scopes=scopes, regions=regions, rate=rate
        )
        return issued.token

    return issue


@pytest.fixture
def api():
    """A DRF test client; `api.as_token(token)` sends `Authorization: Bearer <token>` from then on."""

    class TokenClient(APIClient):
        def as_token(self, token):
            self.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            return self

    return TokenClient()


@pytest.fixture
def reporting_token(issue_token):
    """Every region, masked."""
    return issue_token([READ])


@pytest.fixture
def unmasked_token(issue_token):
    return issue_token([READ, UNMASKED])


@pytest.fixture
def nanchang_token(issue_token, nanchang):
    """Limited to Nanchang, masked."""
    return issue_token([READ], regions=[nanchang])


@pytest.fixture
def hospital_token(issue_token):
    return issue_token([CHECK], kind=ApiClientKind.HOSPITAL)
