"""The Content-Security-Policy in a real browser: no page breaks a rule (Chromium reports every
violation on the console), and the scripts that replaced inline ones still work."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.factories import PersonFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations_and_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield violations, page, context
    context.close()


def sign_in(context, live_server, user) -> None:
    """The browser gets the session of a signed-in user (the sign-in forms have their own tests)."""
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_public_pages_and_the_language_switcher_run_under_the_policy(violations_and_page):
    violations, page, _ = violations_and_page
    page.goto("/")
    # the switcher submits on change from static/js/site.js (no inline handler)
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    for path in ("/my/account/login/", "/admin/login/", "/api/docs/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    page.locator(".opblock-summary-path").first.wait_for()
    assert violations == []


def test_the_admin_and_the_portal_calculator_run_under_the_policy(violations_and_page, live_server, nanchang):
    violations, page, context = violations_and_page
    clerk = UserFactory(username="csp_admin", is_staff=True, is_superuser=True)
    sign_in(context, live_server, clerk)
    page.goto("/admin/")
    page.goto("/admin/enrollment/person/")
    page.wait_for_load_state("networkidle")

    resident = PersonFactory(household_region=nanchang, user=UserFactory(username="csp_resident"))
    context.clear_cookies()
    sign_in(context, live_server, resident.user)
    page.goto("/my/calculator/")
    # static/js/portal-calculator.js hides the fields the chosen action does not need
    page.locator('#calculator-form input[name="action"][value="back_payment"]').check()
    expect(page.locator('#calculator-form [data-for="repair"]')).to_be_hidden()
    expect(page.locator('#calculator-form [data-for="back_payment"]')).to_be_visible()
    assert violations == []


def test_redoc_renders_from_local_files_under_the_policy(violations_and_page):
    violations, page, _ = violations_and_page
    page.goto("/api/docs/redoc/")
    page.get_by_text("Medical insurance services API").first.wait_for()
    page.get_by_text("/api/v1/eligibility/check").first.wait_for(state="attached")
    # ReDoc's footer logo is an image on Redocly's CDN: refused, as any request off the site should be.
    assert [text for text in violations if "cdn.redoc.ly" not in text] == []
