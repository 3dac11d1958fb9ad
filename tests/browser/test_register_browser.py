"""A clerk at the service hall finds a person and is told, in Chinese, what is wrong with an ID."""

import pytest

from tests.browser.conftest import screenshot
from tests.factories import TEST_PASSWORD, PersonFactory, make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, user):
    page.goto("/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def test_clerk_logs_in_and_finds_a_person_by_id_number(page, clerk, nanchang):
    wanted = PersonFactory(household_region=nanchang, name="陈静")
    PersonFactory(household_region=nanchang, name="刘洋")

    log_in(page, clerk)
    page.goto("/admin/enrollment/person/")
    page.fill("#searchbar", wanted.id_number)
    page.press("#searchbar", "Enter")
    page.wait_for_load_state()

    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "陈静" in rows.first.inner_text()
    screenshot(page, "admin-person-search")


def test_wrong_id_number_is_explained_in_chinese_then_in_english(page, clerk, nanchang):
    good = make_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    log_in(page, clerk)

    page.goto("/admin/enrollment/person/add/")
    page.fill("#id_id_number", bad)
    page.fill("#id_name", "王小明")
    page.select_option("#id_household_region", str(nanchang.pk))
    page.click("input[name=_save]")

    assert "校验位" in page.locator(".errorlist").first.inner_text()
    screenshot(page, "admin-person-bad-id-zh")

    with page.expect_navigation():
        page.select_option("#language-select", "en")
    page.goto("/admin/enrollment/person/add/")
    page.fill("#id_id_number", bad)
    page.fill("#id_name", "Wang Xiaoming")
    page.select_option("#id_household_region", str(nanchang.pk))
    page.click("input[name=_save]")
    assert "check digit" in page.locator(".errorlist").first.inner_text()


def test_landing_page_renders_chinese_text(page):
    page.goto("/")
    assert page.locator("h1").inner_text() == "医保经办服务"
    screenshot(page, "landing-zh")
