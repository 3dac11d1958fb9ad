"""The resident portal in a real browser, at a phone size and a desktop size (issue 7): a person of
the register opens an account with the SMS code, signs in, reads the dashboard of a waiting period,
runs the calculator, submits a flexible-worker application with a scan, and the case waits in the
clerk's unassigned queue of the region."""

import datetime
import re

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from enrollment import cases
from enrollment.models import Case, CaseKind, CaseState
from payments.models import Channel
from payments.policy import policy_row_for
from payments.services import PaymentRequest, payment_record, premium_quote
from tests.browser.conftest import screenshot
from tests.browser.test_register_browser import log_in
from tests.factories import PersonFactory
from tests.portal import conftest as portal_conftest

# The portal's fixtures live in tests/portal/conftest.py: the autouse in-memory SMS backend and the outbox.
_portal_sms_in_memory = portal_conftest._portal_sms_in_memory
sms_outbox = portal_conftest.sms_outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Ganjiang-bridge-2026"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Uploaded scans go to a temporary private root, not the project's."""
    settings.CASE_DOCUMENT_ROOT = tmp_path / "private" / "case_documents"
    return settings.CASE_DOCUMENT_ROOT


def new_page(browser, live_server, **options):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def waiting_flexible_worker(region, phone):
    """A person of the register whose first flexible-worker months (this month to December) were
    paid today: the first enrolment waits before benefits start (EMP-6)."""
    person = PersonFactory(household_region=region, name="孙灵活", phone=phone)
    today = timezone.localdate()
    request = PaymentRequest.employee_months(today.replace(day=1), datetime.date(today.year, 12, 1))
    amount = premium_quote(person=person, request=request, on=today).amount
    payment_record(
        person=person,
        request=request,
        channel=Channel.TAX_WECHAT,
        reference=f"WX-PORTAL-{phone}",
        amount=amount,
        paid_at=timezone.now(),
    )
    return person


@pytest.mark.parametrize("size", list(SIZES))
def test_a_resident_registers_checks_the_cover_and_applies_and_the_clerk_sees_the_case(
    browser, live_server, sms_outbox, clerk, nanchang, policies_this_year, size
):
    # Chromium and the live server's sessions live on the real clock: the dates come from today, and
    # the fixture makes this year's profiles where the data files stop short.
    phone = "13800001111" if size == "phone" else "13900002222"
    person = waiting_flexible_worker(nanchang, phone)
    context, page = new_page(browser, live_server, **SIZES[size])
    try:
        # given: the person registers with the ID number, the name and the phone of the register
        page.goto("/my/account/register/")
        assert page.locator("h1").inner_text() == "注册"
        page.fill("#id_id_number", person.id_number)
        page.fill("#id_name", person.name)
        page.fill("#id_phone", phone)
        page.click("button[type=submit]")
        page.wait_for_url("**/my/account/register/confirm/")
        assert [message.phone for message in sms_outbox] == [phone]
        code = re.search(r"(?<!\d)(\d{6})(?!\d)", sms_outbox[0].text).group(1)  # Chinese text: no \\b
        assert f"{phone[:3]}****{phone[-4:]}" in page.locator(".notice").inner_text()
        page.fill("#id_code", code)
        page.fill("#id_new_password1", PASSWORD)
        page.fill("#id_new_password2", PASSWORD)
        page.click("form:has(#id_code) button[type=submit]")
        page.wait_for_url("**/my/")
        person.refresh_from_db()
        assert person.user is not None and person.user.username == person.id_number

        # ... signs out and signs in again with the new password
        page.click(".portal-logout button")
        page.goto("/my/account/login/")
        assert page.locator("h1").inner_text() == "登录"
        page.fill("#id_username", person.id_number)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/my/")

        # then: the dashboard says the person is in a waiting period, in Chinese
        status = page.locator("#status")
        assert status.get_attribute("data-state") == "waiting", status.inner_text()
        assert "我的参保" in page.locator("h1").inner_text()
        assert "孙灵活" in page.locator("h1").inner_text()
        assert "等待期" in status.inner_text()
        assert str(timezone.localdate().year) in page.locator("#fact-waiting").inner_text()
        screenshot(page, f"portal-dashboard-{size}")

        # when: the calculator is asked what this year's resident premium would cost if paid late: today,
        # or while the collection period is still open, the day after it closes
        today = timezone.localdate()
        year = today.year
        profile = policy_row_for(region_code=nanchang.code, year=year, scope="resident", on=today)
        closes = datetime.date.fromisoformat(profile.params["resident.cp_end"])
        paid_on = max(today, closes + datetime.timedelta(days=1))
        # What the rules say (the page must show the same): paid today, a waiting period (the gap before
        # this month's flexible months); paid on a later day, none (the flexible months already run then).
        expected = premium_quote(person=person, request=PaymentRequest.resident_year(year), on=paid_on).result
        assert (expected.waiting_start is None) == (paid_on > today)
        page.click(".portal-nav a[href='/my/calculator/']")
        page.wait_for_url("**/my/calculator/")
        assert "缴费测算" in page.locator("h1").inner_text()
        page.check("input[name=action][value=resident_year]")
        page.fill("#id_paid_on", paid_on.isoformat())
        page.fill("#id_year", str(year))
        page.click("#calculator-form button[type=submit]")
        page.wait_for_url("**/my/calculator/?*")
        # then: an amount, the waiting period and the day benefits would start
        result = page.locator("#calculator-result")
        assert result.locator(".quote").get_attribute("data-accepted") == "1", result.inner_text()
        amount = result.locator(".quote-amount").inner_text()
        assert re.fullmatch(r"¥\d+\.\d{2}", amount) and float(amount[1:]) > 0, amount
        assert "测算结果" in result.inner_text() and "待遇开始日期" in result.inner_text()
        waiting = result.locator(".quote-waiting").inner_text()
        with translation.override("zh-hans"):
            if expected.waiting_start is None:
                assert waiting == "无等待期"
            else:
                assert date_format(expected.waiting_start) in waiting and date_format(expected.waiting_end) in waiting
            assert date_format(expected.benefits_from) in result.inner_text()
        screenshot(page, f"portal-calculator-{size}")

        # Flexible-worker months "from now to December" are paid already: said in words, not a 500.
        page.check("input[name=action][value=flexible_mid_year]")
        page.click("#calculator-form button[type=submit]")
        page.wait_for_url("**action=flexible_mid_year*")
        assert "这些期间已经缴费" in page.locator("#calculator-result").inner_text()

        # when: the resident applies for the flexible-worker enrolment with a scan of the ID card
        page.goto("/my/applications/new/")
        page.click(f"a[href='/my/applications/new/{CaseKind.FLEXIBLE_ENROLMENT}/']")
        page.wait_for_url(f"**/my/applications/new/{CaseKind.FLEXIBLE_ENROLMENT}/")
        assert "灵活就业人员参保登记" in page.locator("h1").inner_text()
        page.set_input_files(
            "input[name=doc_id_card]", files=[{"name": "身份证.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        page.click("button.btn-primary[type=submit]")
        page.wait_for_url(re.compile(r"/my/applications/\d+/$"))

        # then: the case is submitted in the person's region, unassigned, with the scan received
        case = Case.objects.get(person=person)
        assert (case.kind, case.state, case.region, case.assigned_to) == (
            CaseKind.FLEXIBLE_ENROLMENT,
            CaseState.SUBMITTED,
            nanchang,
            None,
        )
        assert case.documents.get(code="id_card").received
        assert "已受理" in page.locator("main").inner_text()
        assert case in cases.cases_unassigned(user=clerk)
    finally:
        context.close()

    # ... and the clerk of the region finds it in her unassigned queue
    desk_context, desk = new_page(browser, live_server, viewport={"width": 1280, "height": 900})
    try:
        log_in(desk, clerk)
        desk.goto("/admin/enrollment/case/?queue=unassigned")
        rows = desk.locator("#result_list tbody tr")
        assert rows.count() == 1
        assert "孙灵活" in rows.first.inner_text()
        assert desk.locator(f"#result_list a[href*='/admin/enrollment/case/{case.pk}/change/']").count() >= 1
    finally:
        desk_context.close()
