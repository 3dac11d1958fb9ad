"""The printable receipt: what it says, in Chinese and English, and who may see it."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import override

from enrollment.identity import mask_id_number
from enrollment.models import FamilyRelation, RelationKind
from payments.models import LedgerEntry
from payments.services import PaymentRequest, payment_record, payment_reverse
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
D = dt.date
CST = dt.timezone(dt.timedelta(hours=8))
CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "receipt.css"


def pay(person, *, request=None, amount="400.00", paid_at=dt.datetime(2024, 11, 10, 9, 30, tzinfo=CST), ref="WX-1"):
    return payment_record(
        person=person,
        request=request or PaymentRequest.resident_year(2025),
        channel="tax_wechat",
        reference=ref,
        amount=Decimal(amount),
        paid_at=paid_at,
    ).payment


@pytest.fixture
def payment(resident, policies):
    return pay(resident)


def get(client, payment, language="zh-hans"):
    client.cookies["django_language"] = language
    return client.get(reverse("payments:receipt", args=[payment.pk]))


def test_a_clerk_prints_the_receipt_in_chinese(client, clerk, payment, resident):
    client.force_login(clerk)

    response = get(client, payment)

    body = response.content.decode()
    assert response.status_code == 200
    assert "南昌市医疗保障经办机构" in body and "医疗保险费缴费收据" in body
    assert f"{payment.pk:08d}-WX-1" in body
    assert resident.name in body
    assert mask_id_number(resident.id_number) in body and resident.id_number not in body
    assert "城乡居民" in body and "2025年度" in body  # scheme and period
    assert "¥400.00" in body and "肆佰元整" in body
    assert "税务微信公众号" in body and "WX-1" in body
    assert "2024-11-10 09:30" in body and "北京时间" in body
    assert "2025年1月1日" in body and "无等待期" in body  # benefits from the payment's decision
    assert "已入账" in body and "receipt--reversed" not in body
    assert 'id="language-select"' in body  # the language switch on the page
    assert "data-print" in body and "site.js" in body  # printed by static/js/site.js (no inline script: CSP)


def test_the_receipt_in_english(client, clerk, payment):
    client.force_login(clerk)
    body = get(client, payment, "en").content.decode()
    assert '<html lang="en">' in body
    assert "Nanchang medical insurance agency" in body and "Medical insurance payment receipt" in body
    assert "coverage year 2025" in body and "Amount in Chinese capitals" in body and "肆佰元整" in body
    assert "tax bureau WeChat account" in body and "no waiting period" in body and "Jan. 1, 2025" in body


def test_the_id_number_is_masked_in_the_middle():
    assert mask_id_number("360102199003071234") == "360102********1234"
    assert mask_id_number("36010219900307123X") == "360102********123X"


def test_the_payment_time_is_printed_in_beijing_time(client, clerk, resident, policies):
    payment = pay(resident, paid_at=dt.datetime(2024, 11, 10, 16, 30, tzinfo=dt.UTC))
    client.force_login(clerk)
    assert "2024-11-11 00:30" in get(client, payment).content.decode()


def test_employee_months_with_a_waiting_period_and_capitals_with_jiao(client, clerk, resident, nanchang, policies):
    for month in range(1, 3):  # unit employment stopped in February; the gap to July exceeds 3 months
        LedgerEntry.objects.create(
            person=resident, region=nanchang, scheme="employee_unit", period=D(2025, month, 1), paid_on=D(2025, 2, 1)
        )
    request = PaymentRequest.employee_months(D(2025, 7, 1), D(2025, 12, 1))
    payment = pay(resident, request=request, amount="2523.60", paid_at=dt.datetime(2025, 7, 20, 10, tzinfo=CST))
    decision = payment.decision
    assert decision.waiting_start is not None  # the case this test is about
    client.force_login(clerk)

    zh = get(client, payment).content.decode()
    en = get(client, payment, "en").content.decode()

    assert "2025年7月至2025年12月" in zh and "贰仟伍佰贰拾叁元陆角" in zh and "¥2,523.60" in zh
    with override("zh-hans"):
        assert f"{date_format(decision.waiting_start)}至{date_format(decision.waiting_end)}" in zh
    assert "July 2025 to December 2025" in en


def test_a_reversed_payment_says_so_prominently(client, clerk, payment):
    payment_reverse(payment=payment, reason="重复缴费退款")
    client.force_login(clerk)

    zh = get(client, payment).content.decode()
    en = get(client, payment, "en").content.decode()

    assert "receipt--reversed" in zh and 'role="alert"' in zh
    assert "已冲正" in zh and "不享受相应待遇" in zh and "重复缴费退款" in zh
    assert "REVERSED" in en and "gives no benefits" in en


def test_the_resident_who_paid_sees_the_receipt(client, resident, payment):
    client.force_login(resident.user)
    response = get(client, payment)
    assert response.status_code == 200 and "肆佰元整" in response.content.decode()
    assert "no-store" in response["Cache-Control"]  # personal data stays out of shared caches


def test_a_parent_sees_the_receipt_of_their_child(client, resident, nanchang, policies):
    child = PersonFactory(household_region=nanchang, birth_date=D(2020, 5, 1))
    FamilyRelation.objects.create(person=child, relative=resident, kind=RelationKind.PARENT)
    client.force_login(resident.user)
    assert get(client, pay(child)).status_code == 200


def test_another_resident_gets_not_found(client, other_resident, payment):
    client.force_login(other_resident.user)
    assert get(client, payment).status_code == 404


def test_an_anonymous_visitor_gets_not_found(client, payment):
    assert get(client, payment).status_code == 404


def test_staff_without_the_payment_permission_get_not_found(client, payment):
    client.force_login(UserFactory(username="staff_no_roles", is_staff=True))
    assert get(client, payment).status_code == 404


def test_a_clerk_of_another_region_gets_not_found(client, other_region_clerk, payment):
    client.force_login(other_region_clerk)
    assert get(client, payment).status_code == 404


def test_an_unknown_payment_is_not_found_for_staff(client, clerk, db):
    client.force_login(clerk)
    assert client.get(reverse("payments:receipt", args=[987654])).status_code == 404


def test_the_receipt_styles_print_on_a_page_without_the_tools():
    css = CSS.read_text("utf-8")
    assert "@media print" in css and ".no-print { display: none" in css
