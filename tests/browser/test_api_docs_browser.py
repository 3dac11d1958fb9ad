"""The API documentation works in a real browser with no internet: Swagger UI from local files, and
a hospital's IT can authorise with its token and try /api/v1/me."""

import pytest

from enrollment.api_clients import api_client_create
from enrollment.models import ApiClientKind, ApiScope
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_lists_the_operations_and_tries_one_with_a_token(page, live_server):
    # given a hospital's token
    issued = api_client_create(name="市一医院 HIS", kind=ApiClientKind.HOSPITAL, scopes=[ApiScope.ELIGIBILITY_CHECK])
    requests_outside = []
    page.on(
        "request",
        lambda request: (
            requests_outside.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:")
            else None
        ),
    )

    # when the documentation is opened
    page.goto("/api/docs/")
    page.get_by_text("Medical insurance services API").first.wait_for()
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/me").first
    operation.wait_for()

    # then it authorises with the token and calls /api/v1/me
    page.get_by_role("button", name="Authorize").first.click()
    page.locator(".auth-container input").first.fill(issued.token)
    page.locator(".auth-btn-wrapper button.authorize").first.click()
    page.locator(".btn-done").first.click()
    operation.click()
    page.get_by_role("button", name="Try it out").first.click()
    page.get_by_role("button", name="Execute").first.click()
    page.locator(".live-responses-table .response-col_status", has_text="200").first.wait_for()
    assert "市一医院 HIS" in page.locator(".live-responses-table .microlight").first.inner_text()
    screenshot(page, "api-docs")
    assert requests_outside == []
