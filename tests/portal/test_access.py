"""Who may open the portal's pages: residents with an insured person, not staff accounts."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_staff_account_is_refused_with_the_reason(client, clerk):
    client.force_login(clerk)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 403
    assert "本页面供参保居民使用" in response.content.decode()


def test_an_account_without_an_insured_person_cannot_open_the_dashboard(client):
    client.force_login(UserFactory(username="nobody_linked"))
    assert client.get(reverse("portal:dashboard")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_login(client, db):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))


def test_a_resident_opens_the_dashboard(client, resident):
    client.force_login(resident.user)
    assert client.get(reverse("portal:dashboard")).status_code == 200
