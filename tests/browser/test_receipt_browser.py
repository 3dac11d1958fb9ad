"""A clerk records a resident premium at the counter, quote first, and prints the receipt."""

import pytest

from payments.models import Payment
from tests.browser.conftest import screenshot
from tests.browser.test_register_browser import log_in
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_records_a_payment_and_prints_its_receipt(page, clerk, nanchang, policies):
    person = PersonFactory(household_region=nanchang, name="陈静")
    log_in(page, clerk)

    # The clerk finds the person as in the person list: by ID number, as she types.
    page.goto("/admin/payments/payment/record/")
    page.click(".field-person .select2-selection")
    page.fill(".select2-search__field", person.id_number[:10])
    page.click(".select2-results__option:has-text('陈静')")
    page.check("input[name=kind][value=resident_year]")
    page.fill("#id_year", "2025")
    page.fill("#id_paid_at", "2024-11-10T10:00")
    page.select_option("#id_channel", "clerk_counter")
    page.fill("#id_reference", "CTR-20241110-0001")
    page.click("input[name=_quote]")

    assert page.locator("#quote-amount").inner_text() == "400.00"
    assert "居民医保个人缴费" in page.locator("#quote").inner_text()
    assert Payment.objects.count() == 0  # a quote writes nothing
    screenshot(page, "admin-payment-quote")

    page.fill("#id_amount", "400.00")
    page.click("input[name=_record]")
    page.wait_for_url("**/admin/payments/payment/*/change/")
    assert "缴费已入账" in page.locator(".messagelist").inner_text()
    payment = Payment.objects.get()
    assert payment.recorded_by == clerk

    with page.context.expect_page() as opened:
        page.click("a.receiptlink")
    receipt = opened.value
    receipt.wait_for_load_state()
    text = receipt.locator(".receipt").inner_text()
    assert "肆佰元整" in text and f"{payment.pk:08d}-CTR-20241110-0001" in text
    assert person.id_number not in text and person.id_number[-4:] in text
    screenshot(receipt, "receipt-zh")

    # On paper (here as wide as A5 portrait) the toolbar, language switch and print button disappear.
    receipt.emulate_media(media="print")
    receipt.set_viewport_size({"width": 560, "height": 794})
    assert not receipt.locator(".print-toolbar").is_visible()
    screenshot(receipt, "receipt-zh-print-a5")

    receipt.emulate_media(media="screen")
    receipt.set_viewport_size({"width": 1280, "height": 900})
    with receipt.expect_navigation():
        receipt.select_option("#language-select", "en")
    assert "Medical insurance payment receipt" in receipt.locator("h1").inner_text()
    screenshot(receipt, "receipt-en")
