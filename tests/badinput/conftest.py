"""Actors and helpers of the bad-input tests: staff sign in through the admin login (English, so the
messages can be compared before the Chinese catalogue is compiled), residents by session."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import PersonFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Scans go to a temporary private folder (never the project's var/)."""
    settings.CASE_DOCUMENT_ROOT = tmp_path / "private" / "case_documents"
    return settings.CASE_DOCUMENT_ROOT


@pytest.fixture(autouse=True)
def monday(monkeypatch):
    """Monday 2 March 2026, 10:00 in Beijing: a working day inside the 2026 policy year."""
    moment = datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(datetime.UTC))


def staff_client(user, language="en"):
    client = Client()
    client.cookies["django_language"] = language
    # force_login: the sign-in itself is tested elsewhere, and hashing a password per test is slow.
    client.force_login(user)
    return client


@pytest.fixture
def clerk_web(clerk):
    return staff_client(clerk)


@pytest.fixture
def supervisor_web(supervisor):
    return staff_client(supervisor)


@pytest.fixture
def resident_web(resident, policies):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(resident.user)
    return client


@pytest.fixture
def person(nanchang, policies):
    return PersonFactory(household_region=nanchang, name="陈静")


def page(response) -> str:
    return response.content.decode()


def assert_refused_on_the_form(response, *, field_message: str | None = None) -> str:
    """The form shown again with an error list: 200 (the admin) or 400 (the portal answers a refused
    form with 400); never a 500, never a redirect to success."""
    assert response.status_code in (200, 400), (response.status_code, page(response)[:500])
    body = page(response)
    assert "errorlist" in body or "errornote" in body, body[:3000]
    if field_message is not None:
        assert field_message in body, body[:3000]
    return body


def assert_escaped(body: str, raw: str) -> None:
    """A hostile string shown back is HTML-escaped: its markup never reaches the page as markup."""
    assert raw not in body
    assert "<script>alert" not in body and "<img src=x" not in body
