"""Policy years in the browser: a supervisor rolls the Jiangxi profiles over to the year after the
last published one, edits one premium, reads the differences and the preview, publishes, and the
full recompute runs (issue 15). Screenshots in test-artifacts/."""

import re

import pytest
from django.db.models import Max

from eligibility.models import RecomputeRun, RunMode, RunStatus
from enrollment.roles import SUPERVISOR
from payments.models import PolicyProfile
from payments.policy import policy_row_for
from tests.browser.conftest import screenshot
from tests.browser.test_register_browser import log_in
from tests.factories import PersonFactory, StaffRegionFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def jiangxi_supervisor(roles, nanchang, fuzhou):
    user = UserFactory(username="supervisor_jx", is_staff=True, groups=[roles[SUPERVISOR]])
    StaffRegionFactory(user=user, region=nanchang)
    StaffRegionFactory(user=user, region=fuzhou)
    return user


def test_supervisor_rolls_jiangxi_over_edits_previews_and_publishes(page, jiangxi_supervisor, policies, nanchang):
    # The year after the last published one, whatever today is (the data decides, not the clock).
    last = PolicyProfile.objects.published().aggregate(last=Max("coverage_year"))["last"]
    year = last + 1
    for name in ("孙一", "周二", "吴三"):
        PersonFactory(household_region=nanchang, name=name)

    # given: the policy list
    log_in(page, jiangxi_supervisor)
    page.goto("/admin/payments/policyprofile/")
    assert page.locator(".policy-status-published").count() > 0

    # when: the whole province is rolled over
    page.click(".policy-rollover-link")
    page.select_option("#id_province", "江西省")
    assert page.input_value("#id_from_year") == str(last)
    screenshot(page, "policy-years-1-rollover")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/payments/policyprofile/\?"))
    assert f"{year}" in page.locator(".messagelist").inner_text()
    drafts = PolicyProfile.objects.filter(coverage_year=year)
    assert {(row.region.code, row.scope, row.status) for row in drafts} == {
        (code, scope, "draft") for code in ("360100", "361000") for scope in ("resident", "employee")
    }
    screenshot(page, "policy-years-2-drafts")

    # ... the supervisor opens Nanchang's resident draft and changes the ordinary premium ...
    draft = drafts.get(region=nanchang, scope="resident")
    page.goto(f"/admin/payments/policyprofile/{draft.pk}/change/")
    premium = page.locator("#id_p__resident__premium__ordinary")
    assert premium.input_value() == "400.00"
    assert page.locator("#id_p__resident__cp_end").input_value().startswith(f"{year}-02-")
    premium.fill("420.00")
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(rf"/admin/payments/policyprofile/{draft.pk}/change/"))

    # then: the differences from last year show the premium changed and the windows moved
    changed = page.locator(".policy-diff-changed")
    assert changed.count() == 1 and "400.00" in changed.inner_text() and "420.00" in changed.inner_text()
    assert page.locator(".policy-diff-moved").count() == 3
    screenshot(page, "policy-years-3-diff")

    # ... the preview quotes the new premium for the region's persons ...
    page.click(".policy-preview-link")
    page.wait_for_url(re.compile(r"/preview/$"))
    table = page.locator(".policy-preview-table tbody tr")
    assert table.count() == 3
    assert "420.00" in table.first.inner_text()
    screenshot(page, "policy-years-4-preview")

    # ... and publishing puts it in force and recomputes everyone
    page.goto(f"/admin/payments/policyprofile/{draft.pk}/publish/")
    screenshot(page, "policy-years-5-publish")
    page.click(".policy-publish-form input[type=submit]")
    page.wait_for_url(re.compile(rf"/admin/payments/policyprofile/{draft.pk}/change/"))
    assert page.locator(".policy-status-published").count() == 1
    assert page.locator("input[name=_save]").count() == 0  # read-only once published
    page.wait_for_selector(".policy-recompute[data-run-status=finished]")
    screenshot(page, "policy-years-6-published")

    draft.refresh_from_db()
    assert draft.status == "published" and draft.published_by == jiangxi_supervisor
    assert policy_row_for(region_code="360100", year=year, scope="resident").params["resident.premium.ordinary"] == (
        "420.00"
    )
    run = RecomputeRun.objects.get()
    assert (run.mode, run.status, run.persons_examined) == (RunMode.FULL, RunStatus.FINISHED, 3)
    # The other drafts are still drafts: nothing is in force until each is published.
    assert drafts.filter(status="draft").count() == 3
