import pytest

pytestmark = pytest.mark.django_db


def test_landing_page_in_chinese_by_default(client):
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in body
    assert "医保经办服务" in body
    assert 'href="/admin/"' in body
    assert 'href="/my/"' in body and "居民自助服务" in body  # the portal is open to residents


def test_landing_page_in_english_when_chosen(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in body
    assert "Medical insurance services" in body


def test_landing_page_follows_the_browser_language(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Clerk workspace" in response.content.decode()


def test_health_check_reports_the_database(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("ok", "postgresql")
    assert set(body["year"]) >= {"next_year", "regions_without_next_year_policy", "work_calendar_missing_years"}
