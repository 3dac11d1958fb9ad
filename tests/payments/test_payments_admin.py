"""Payments in the clerk workspace: record (quote first), find, read and reverse.

The screens call the payment services; these tests check what the clerk sees and that a refused
payment writes nothing.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from eligibility.models import BenefitDecision
from enrollment.roles import SUPERVISOR
from payments.models import LedgerEntry, Payment, PolicyProfile
from payments.policy_years import policy_profiles_load
from payments.services import PaymentRequest, payment_record
from tests.factories import TEST_PASSWORD, PersonFactory, RegionFactory, StaffRegionFactory, UserFactory

pytestmark = pytest.mark.django_db
D = dt.date
RECORD_URL = "admin:payments_payment_record"


@pytest.fixture
def supervisor(roles, nanchang):
    user = UserFactory(username="supervisor", is_staff=True, groups=[roles[SUPERVISOR]])
    StaffRegionFactory(user=user, region=nanchang)  # supervisors work in the regions they serve
    return user


@pytest.fixture
def person(nanchang, policies):
    return PersonFactory(household_region=nanchang, name="陈静")


def login(client, user, language="zh-hans"):
    client.cookies["django_language"] = language
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def record_data(person, **overrides):
    data = {
        "person": person.pk,
        "kind": "resident_year",
        "year": "2025",
        "repair_years": "0",
        "cover_from": "",
        "cover_to": "",
        "employee_kind": "flexible",
        "frequency": "annual",
        "rate": "",
        "channel": "clerk_counter",
        "reference": "CTR-20241110-0001",
        "amount": "400.00",
        "paid_at": "2024-11-10T10:00",
    }
    data.update(overrides)
    return data


def written():
    return Payment.objects.count(), LedgerEntry.objects.count(), BenefitDecision.objects.count()


def recorded_payment(person, *, reference="WX-1"):
    return payment_record(
        person=person,
        request=PaymentRequest.resident_year(2025),
        channel="tax_wechat",
        reference=reference,
        amount=Decimal("400.00"),
        paid_at=dt.datetime(2024, 11, 10, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    ).payment


def test_the_record_screen_opens_for_a_clerk_with_the_person_search(client, clerk):
    login(client, clerk)
    response = client.get(reverse(RECORD_URL))
    body = response.content.decode()
    assert response.status_code == 200
    assert "登记缴费" in body and "测算应缴金额" in body
    assert "admin-autocomplete" in body  # the person is found as in the person list, as one types
    assert 'name="_record"' not in body  # nothing to record before a quote


def test_the_quote_is_shown_first_and_nothing_is_written(client, clerk, person):
    login(client, clerk)

    response = client.post(reverse(RECORD_URL), {**record_data(person), "_quote": "1"})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="quote-amount">400.00<' in body
    assert "居民医保个人缴费" in body and "RES-1" in body  # the line and the rule behind it
    assert "应缴金额400.00元" in body  # the rules' explanation
    assert "2025年1月1日" in body  # benefits from
    assert 'name="_record"' in body
    assert written() == (0, 0, 0)


def test_the_quote_in_english(client, clerk, person):
    login(client, clerk, "en")
    body = client.post(reverse(RECORD_URL), {**record_data(person), "_quote": "1"}).content.decode()
    assert "resident premium" in body and "Amount due: 400.00 yuan." in body


def test_recording_writes_through_the_service_and_shows_the_payment(client, clerk, person):
    login(client, clerk)

    response = client.post(reverse(RECORD_URL), {**record_data(person), "_record": "1"}, follow=True)

    payment = Payment.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:payments_payment_change", args=[payment.pk])
    assert (payment.person, payment.amount, payment.recorded_by) == (person, Decimal("400.00"), clerk)
    assert (payment.channel, payment.reference, payment.paid_on) == (
        "clerk_counter",
        "CTR-20241110-0001",
        D(2024, 11, 10),
    )
    assert LedgerEntry.objects.get(payment=payment).period == D(2025, 1, 1)
    body = response.content.decode()
    assert "缴费已入账" in body
    assert reverse("payments:receipt", args=[payment.pk]) in body


def test_recording_the_same_reference_again_shows_the_existing_payment(client, clerk, person):
    login(client, clerk)
    client.post(reverse(RECORD_URL), {**record_data(person), "_record": "1"})
    first = Payment.objects.get()

    response = client.post(reverse(RECORD_URL), {**record_data(person), "_record": "1"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:payments_payment_change", args=[first.pk])
    assert "该交易流水号已入账，以下为已有的缴费记录" in response.content.decode()
    assert written() == (1, 1, 1)


def test_an_amount_that_differs_from_the_quote_is_refused_and_nothing_written(client, clerk, person):
    login(client, clerk)

    response = client.post(reverse(RECORD_URL), {**record_data(person, amount="350.00"), "_record": "1"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "缴费金额350.00与应缴金额400.00不符" in body and "AMOUNT_MISMATCH" in body
    assert 'id="quote-amount">400.00<' in body  # the quote is shown again: what is due
    assert written() == (0, 0, 0)


def test_a_refusal_of_the_rules_is_explained_and_nothing_written(client, clerk, person):
    recorded_payment(person)
    login(client, clerk)

    response = client.post(
        reverse(RECORD_URL), {**record_data(person, reference="CTR-2", paid_at="2024-12-01T10:00"), "_record": "1"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "该年度的居民医保费已经缴纳" in body and "RES_ALREADY_PAID" in body
    assert 'name="_record"' not in body  # the quote says no: nothing to record
    assert written() == (1, 1, 1)


def test_a_refusal_in_english(client, clerk, person):
    login(client, clerk, "en")
    data = record_data(
        person, kind="employee_months", cover_from="2026-01", cover_to="2026-01", frequency="monthly", amount="420.60"
    )
    body = client.post(reverse(RECORD_URL), {**data, "paid_at": "2025-12-20T10:00", "_record": "1"}).content.decode()
    assert "monthly payment is not allowed" in body and "FLEX_MONTHLY_NOT_ALLOWED" in body
    assert written() == (0, 0, 0)


def test_a_reference_of_another_payment_is_refused(client, clerk, person, nanchang):
    recorded_payment(person, reference="WX-9")
    other = PersonFactory(household_region=nanchang)
    login(client, clerk)
    data = record_data(other, channel="tax_wechat", reference="WX-9")
    body = client.post(reverse(RECORD_URL), {**data, "_record": "1"}).content.decode()
    assert "REFERENCE_CONFLICT" in body and "已登记在另一笔缴费中" in body
    assert written() == (1, 1, 1)


def test_flexible_months_are_quoted_month_by_month(client, clerk, person, nanchang):
    for month in range(1, 7):
        LedgerEntry.objects.create(
            person=person, region=nanchang, scheme="employee_unit", period=D(2025, month, 1), paid_on=D(2025, month, 15)
        )
    login(client, clerk)
    data = record_data(
        person, kind="employee_months", cover_from="2025-07", cover_to="2025-12", paid_at="2025-07-20T10:00"
    )

    quoted = client.post(reverse(RECORD_URL), {**data, "_quote": "1"}).content.decode()
    response = client.post(reverse(RECORD_URL), {**data, "amount": "2523.60", "_record": "1"})

    assert 'id="quote-amount">2523.60<' in quoted
    assert "6240.00" in quoted and "420.60" in quoted  # base x rate + large-amount fee = monthly
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.scheme, payment.cover_from, payment.cover_to) == (
        "employee_flexible",
        D(2025, 7, 1),
        D(2025, 12, 1),
    )


def test_a_rate_tier_is_chosen_from_those_the_region_offers(client, clerk, db):
    region = RegionFactory(code="130700", name_zh="张家口市", name_en="Zhangjiakou", province="河北省")
    policy_profiles_load()
    PolicyProfile.objects.filter(region=region).update(flexible_rate_tiers=["0.045", "0.065"])
    worker = PersonFactory(household_region=region)
    StaffRegionFactory(user=clerk, region=region)  # clerks record payments of the regions they serve
    login(client, clerk)
    data = record_data(
        worker, kind="employee_months", cover_from="2025-01", cover_to="2025-12", paid_at="2025-01-10T10:00"
    )

    offered = client.post(reverse(RECORD_URL), {**data, "rate": "0.045", "_quote": "1"}).content.decode()
    refused = client.post(reverse(RECORD_URL), {**data, "rate": "0.08", "_quote": "1"}).content.decode()

    assert "0.045, 0.065" in offered and f'id="quote-amount">{Decimal("295.80") * 12}<' in offered
    assert "RATE_TIER_NOT_OFFERED" in refused and 'name="_record"' not in refused


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"year": ""}, "请填写参保年度"),
        ({"kind": "employee_months", "cover_from": "2025-03"}, "请填写缴费起始月和截止月"),
        ({"kind": "employee_months", "cover_from": "2025-12", "cover_to": "2025-01"}, "缴费截止月不能早于起始月"),
        ({"paid_at": "2999-01-01T10:00"}, "缴费时间不能晚于当前时间"),
        ({"amount": ""}, "该字段是必填项"),
        ({"reference": "   "}, "该字段是必填项"),
    ],
)
def test_incomplete_input_is_refused_before_the_services(client, clerk, person, overrides, message):
    login(client, clerk)
    response = client.post(reverse(RECORD_URL), {**record_data(person, **overrides), "_record": "1"})
    assert response.status_code == 200 and message in response.content.decode()
    assert written() == (0, 0, 0)


def test_an_analyst_cannot_record_payments(client, analyst, person):
    login(client, analyst)
    assert client.get(reverse(RECORD_URL)).status_code == 403
    assert client.post(reverse(RECORD_URL), {**record_data(person), "_record": "1"}).status_code == 403
    assert written() == (0, 0, 0)


def test_the_generic_add_form_leads_to_the_record_screen(client, clerk):
    login(client, clerk)
    response = client.get(reverse("admin:payments_payment_add"))
    assert response.status_code == 302 and response["Location"] == reverse(RECORD_URL)


def test_the_payment_list_finds_by_id_number_or_name_and_links_the_receipt(client, analyst, person, nanchang):
    wanted = recorded_payment(person, reference="WX-1")
    other = recorded_payment(PersonFactory(household_region=nanchang, name="刘洋"), reference="WX-2")
    login(client, analyst)
    url = reverse("admin:payments_payment_changelist")

    by_id = client.get(url, {"q": person.id_number}).content.decode()
    by_name = client.get(url, {"q": "刘"}).content.decode()

    assert "陈静" in by_id and "刘洋" not in by_id
    assert reverse("payments:receipt", args=[wanted.pk]) in by_id
    assert "刘洋" in by_name and "陈静" not in by_name and reverse("payments:receipt", args=[other.pk]) in by_name


@pytest.mark.parametrize(
    ("filters", "found"),
    [
        ({"channel__exact": "tax_wechat"}, True),
        ({"channel__exact": "unionpay"}, False),
        ({"status__exact": "recorded"}, True),
        ({"status__exact": "reversed"}, False),
        ({"scheme__exact": "resident"}, True),
        ({"paid_on__gte": "2024-11-10", "paid_on__lt": "2024-11-11"}, True),
        ({"paid_on__gte": "2024-12-01"}, False),
    ],
)
def test_the_payment_list_filters(client, clerk, person, filters, found):
    recorded_payment(person)
    login(client, clerk)
    response = client.get(reverse("admin:payments_payment_changelist"), filters)
    assert response.status_code == 200
    assert ("陈静" in response.content.decode()) is found


def test_a_payment_is_read_only_with_its_decision_and_capitals(client, clerk, person):
    payment = recorded_payment(person)
    login(client, clerk)
    url = reverse("admin:payments_payment_change", args=[payment.pk])

    body = client.get(url).content.decode()

    assert "肆佰元整" in body and payment.decision.explanation_in("zh") in body
    assert reverse("payments:receipt", args=[payment.pk]) in body
    assert 'name="_save"' not in body
    assert reverse("admin:payments_payment_reverse", args=[payment.pk]) not in body  # clerks do not reverse
    assert client.post(url, {"amount": "1.00"}).status_code == 403
    assert client.post(reverse("admin:payments_payment_delete", args=[payment.pk]), {"post": "yes"}).status_code == 403
    payment.refresh_from_db()
    assert payment.amount == Decimal("400.00")


def test_a_supervisor_reverses_a_payment_with_a_reason(client, supervisor, person):
    payment = recorded_payment(person)
    login(client, supervisor)
    detail = client.get(reverse("admin:payments_payment_change", args=[payment.pk])).content.decode()
    url = reverse("admin:payments_payment_reverse", args=[payment.pk])
    assert url in detail

    form = client.get(url)
    response = client.post(url, {"reason": "重复缴费退款"}, follow=True)

    assert form.status_code == 200 and "冲正原因" in form.content.decode()
    payment.refresh_from_db()
    assert payment.status == "reversed" and payment.reversal_reason == "重复缴费退款"
    assert LedgerEntry.objects.get(payment=payment).void_reason == "重复缴费退款"
    assert payment.decision.voided_at is not None
    assert "缴费已冲正" in response.content.decode()
    assert url not in response.content.decode()  # a reversed payment offers no second reversal


def test_a_reversal_needs_a_reason(client, supervisor, person):
    payment = recorded_payment(person)
    login(client, supervisor)
    response = client.post(reverse("admin:payments_payment_reverse", args=[payment.pk]), {"reason": "  "})
    assert response.status_code == 200 and "该字段是必填项" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == "recorded"


def test_a_reversed_payment_is_not_reversed_twice(client, supervisor, person):
    payment = recorded_payment(person)
    login(client, supervisor)
    url = reverse("admin:payments_payment_reverse", args=[payment.pk])
    client.post(url, {"reason": "退款"})

    response = client.post(url, {"reason": "again"}, follow=True)

    assert "该笔缴费已冲正" in response.content.decode()
    payment.refresh_from_db()
    assert payment.reversal_reason == "退款"


def test_a_clerk_cannot_reverse(client, clerk, person):
    payment = recorded_payment(person)
    login(client, clerk)
    response = client.post(reverse("admin:payments_payment_reverse", args=[payment.pk]), {"reason": "退款"})
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.status == "recorded"


def test_reversing_an_unknown_payment_is_not_found(client, supervisor, db):
    login(client, supervisor)
    assert client.get(reverse("admin:payments_payment_reverse", args=[999999])).status_code == 404


def test_the_quote_shows_the_rules_warnings(client, clerk, person, nanchang):
    for month in (1, 2):  # unit employment stopped in February: July starts after a long gap
        LedgerEntry.objects.create(
            person=person, region=nanchang, scheme="employee_unit", period=D(2025, month, 1), paid_on=D(2025, 2, 1)
        )
    login(client, clerk, "en")
    data = record_data(
        person, kind="employee_months", cover_from="2025-07", cover_to="2025-12", paid_at="2025-07-20T10:00"
    )

    body = client.post(reverse(RECORD_URL), {**data, "_quote": "1"}).content.decode()

    assert 'class="warnings"' in body and "<strong>CONTINUITY_RESET</strong>" in body
    assert "Oct. 1, 2025" in body  # benefits start after the waiting period
