"""The clerk's workspace end to end: a flexible worker is found, enrolled through a case that a
supervisor approves, pays at the counter, and the person page shows the new status and timeline.
A clerk of another region is refused the person page, with the reason in words."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from enrollment.models import Case, CaseKind, CaseState, Enrollment, Scheme
from enrollment.roles import SUPERVISOR
from payments.models import Payment, PaymentKind
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.browser.test_register_browser import log_in
from tests.factories import PersonFactory, StaffRegionFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def supervisor(roles, nanchang):
    """As in tests/enrollment/conftest.py (not visible from here): approves cases of Nanchang."""
    user = UserFactory(username="supervisor_nc", is_staff=True, groups=[roles[SUPERVISOR]])
    StaffRegionFactory(user=user, region=nanchang)
    return user


def timeline_cell(page, month: str, *, scheme: str | None = None, strip: str = "contribution"):
    """The cell of month "YYYY-MM" in a strip of the person page's timeline (any scheme's row by default)."""
    row = f"[data-strip={strip}]" if scheme is None else f"[data-scheme={scheme}][data-strip={strip}]"
    return page.locator(f"#coverage-timeline {row} .tl-cell[data-month='{month}']")


def test_clerk_enrols_a_flexible_worker_through_a_case_and_records_the_payment(
    browser, live_server, page, clerk, other_region_clerk, supervisor, nanchang, fuzhou, policies_this_year
):
    # Chromium and the live server's sessions live on the real clock: the dates come from today, and
    # the fixture makes this year's profiles where the data files stop short.
    today = timezone.localdate()
    month = f"{today:%Y-%m}"
    person = PersonFactory(household_region=nanchang, name="赵灵活")
    PersonFactory(household_region=nanchang, name="钱居民")
    person_url = f"/admin/enrollment/person/{person.pk}/change/"

    # given: the clerk finds the person by ID number in the person list
    log_in(page, clerk)
    page.goto("/admin/enrollment/person/")
    page.fill("#searchbar", person.id_number)
    page.press("#searchbar", "Enter")
    page.wait_for_load_state()
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "赵灵活" in rows.first.inner_text()
    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(re.escape(person_url)))  # with the list's filters as a query

    # Nothing computed or paid yet: the current month is not enrolled in any scheme.
    assert page.locator("#status-badge").inner_text().strip() == "尚未计算"
    before = timeline_cell(page, month)
    assert before.count() == 1
    assert before.get_attribute("data-state") == "not_enrolled"
    assert page.locator("#coverage-timeline .tl-cell[data-state=paid][data-month]").count() == 0
    assert page.locator("#timeline-title").inner_text() == "参保时间轴"

    # when: she opens a flexible-worker enrolment case for the person
    page.goto("/admin/enrollment/case/add/")
    page.click(".field-person .select2-selection")
    page.fill(".select2-search__field", person.id_number[:10])
    page.click(".select2-results__option:has-text('赵灵活')")
    page.select_option("#id_region", str(nanchang.pk))
    page.select_option("#id_kind", CaseKind.FLEXIBLE_ENROLMENT)
    page.fill("#id_start_date", today.replace(day=1).isoformat())
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/enrollment/case/*/change/")
    assert "已新建办件" in page.locator(".messagelist").inner_text()
    case = Case.objects.get(person=person)
    assert (case.kind, case.state, case.region) == (CaseKind.FLEXIBLE_ENROLMENT, CaseState.DRAFT, nanchang)
    case_url = f"/admin/enrollment/case/{case.pk}/change/"

    # ... ticks every document of the checklist as received and verified ...
    assert "尚未核验的必需材料" in page.locator("#case-actions").inner_text()
    documents = page.locator("input[name^='documents-'][name$='-received']")
    assert documents.count() == case.documents.count() == 2
    for index in range(documents.count()):
        page.check(f"#id_documents-{index}-received")
        page.check(f"#id_documents-{index}-verified")
    page.click("input[name=_continue]")
    page.wait_for_url(f"**{case_url}")
    assert not case.documents.filter(verified=False).exists()
    assert "尚未核验" not in page.locator("#case-actions").inner_text()

    # ... and submits it; approving is not hers to do.
    page.click("#case-actions button[value=submit]")
    page.wait_for_url(f"**{case_url}")
    assert "已受理" in page.locator(".messagelist").inner_text()
    assert page.locator("#case-actions button[value=approve]").count() == 0
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED

    # then: a supervisor of the region reviews and approves it, in her own browser session
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        desk = context.new_page()
        desk.set_default_timeout(15_000)
        log_in(desk, supervisor)
        desk.goto(case_url)
        desk.click("#case-actions button[value=start_review]")
        desk.wait_for_url(f"**{case_url}")
        assert "审核中" in desk.locator(".messagelist").inner_text()
        desk.click("#case-actions button[value=approve]")
        desk.wait_for_url(f"**{case_url}")
        assert "已批准" in desk.locator(".messagelist").inner_text()
        assert "已批准" in desk.locator("#case-actions h2").inner_text()
        screenshot(desk, "clerk-workspace-case-approved")
    finally:
        context.close()
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    enrollment = Enrollment.objects.get(person=person)
    assert (enrollment.scheme, enrollment.region, enrollment.start_date) == (
        Scheme.EMPLOYEE_FLEXIBLE,
        nanchang,
        today.replace(day=1),
    )

    # when: the clerk records the first payment with the quote the approved case offers
    page.goto(case_url)
    assert "已批准" in page.locator("#case-actions h2").inner_text()
    link = page.locator(".field-payment_link a")
    assert link.inner_text() == "按此核定登记缴费"
    with page.expect_navigation():
        link.click()
    assert page.locator("input[name=kind][value=employee_months]").is_checked()
    assert page.input_value("#id_cover_from") == month
    assert page.input_value("#id_cover_to") == f"{today.year}-12"
    page.select_option("#id_channel", "clerk_counter")
    page.fill("#id_reference", f"CTR-{today:%Y%m%d}-0007")
    page.click("input[name=_quote]")
    quote = page.locator("#quote")
    assert "refused" not in (quote.get_attribute("class") or ""), quote.inner_text()
    amount = page.locator("#quote-amount").inner_text()
    assert Decimal(amount) > 0
    assert Payment.objects.count() == 0
    page.fill("#id_amount", amount)
    page.click("input[name=_record]")
    page.wait_for_url("**/admin/payments/payment/*/change/")
    assert "缴费已入账" in page.locator(".messagelist").inner_text()
    payment = Payment.objects.get(person=person)
    assert payment.kind == PaymentKind.EMPLOYEE_MONTHS
    assert payment.scheme == Scheme.EMPLOYEE_FLEXIBLE
    assert (payment.cover_from, payment.cover_to) == (today.replace(day=1), datetime.date(today.year, 12, 1))
    assert str(payment.amount) == amount
    assert payment.recorded_by == clerk

    # then: the person page shows the new status and the month paid in the flexible-worker row
    page.goto(person_url)
    # (a first flexible-worker enrolment waits before benefits start: EMP-6)
    badge = page.locator("#status-badge")
    assert badge.inner_text().strip() == "待遇等待期"
    assert badge.get_attribute("data-state") == "waiting"
    assert "EMP-6" in page.locator("#person-summary .status-facts").inner_text()
    after = timeline_cell(page, month, scheme=Scheme.EMPLOYEE_FLEXIBLE)
    assert after.get_attribute("data-state") == "paid"
    assert "缴费" in after.get_attribute("title")
    benefit = timeline_cell(page, month, scheme=Scheme.EMPLOYEE_FLEXIBLE, strip="benefit")
    assert benefit.get_attribute("data-state") == "waiting"
    assert "职工医保（灵活就业人员）" in page.locator("#coverage-timeline").inner_text()
    screenshot(page, "clerk-workspace-person-page")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#coverage-timeline").screenshot(path=str(ARTIFACTS / "clerk-workspace-timeline.png"))

    # A clerk of Fuzhou may not open a Nanchang person: the 403 page says why.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    try:
        other = context.new_page()
        other.set_default_timeout(15_000)
        log_in(other, other_region_clerk)
        response = other.goto(person_url)
        assert response.status == 403
        assert other.locator("h1").inner_text() == "无权访问"
        assert other.locator("#refusal-reason").inner_text() == "该记录属于您未负责的统筹区，无权查看或办理。"
        assert "赵灵活" not in other.content()
        screenshot(other, "clerk-workspace-other-region-403")
    finally:
        context.close()
