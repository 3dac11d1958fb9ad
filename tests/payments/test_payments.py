"""Quotes and payments: the seeds' premiums, every refusal, idempotency, reversal."""

import datetime as dt
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone, translation

from eligibility.models import BenefitDecision, EligibilitySnapshot, RecomputeRequest
from eligibility.services import eligibility_covered_on
from payments.models import LedgerEntry, Payment, PolicyProfile
from payments.policy_years import policy_profiles_load
from payments.services import (
    PaymentRefused,
    PaymentRequest,
    payment_record,
    payment_reverse,
    premium_quote,
    request_mid_year_entry,
)
from tests.factories import PersonFactory, RegionFactory

pytestmark = pytest.mark.django_db
D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def resident_history(person, years, region):
    for year in years:
        LedgerEntry.objects.create(
            person=person, region=region, scheme="resident", period=D(year, 1, 1), paid_on=D(year - 1, 11, 1)
        )


@pytest.fixture
def guiyang(db):
    region = RegionFactory(code="520100", name_zh="贵阳市", name_en="Guiyang", province="贵州省")
    policy_profiles_load()
    return region


@pytest.fixture
def zhangjiakou(db):
    region = RegionFactory(code="130700", name_zh="张家口市", name_en="Zhangjiakou", province="河北省")
    policy_profiles_load()
    PolicyProfile.objects.filter(region=region).update(flexible_rate_tiers=["0.045", "0.065"])
    return region


@pytest.mark.parametrize(
    ("category", "premium"), [("ordinary", "400.00"), ("fixed_subsidy", "80.00"), ("full_subsidy", "0.00")]
)
def test_fuzhou_resident_premiums(fuzhou, policies, category, premium):
    person = PersonFactory(household_region=fuzhou, category=category)
    quote = premium_quote(person=person, request=PaymentRequest.resident_year(2025), on=D(2024, 11, 10))
    assert quote.accepted and quote.amount == Decimal(premium)
    assert [line.code for line in quote.lines] == ["RES_PREMIUM"]


def test_guizhou_late_payer_pays_the_full_cost_1070(guiyang):
    person = PersonFactory(household_region=guiyang)
    quote = premium_quote(person=person, request=PaymentRequest.resident_year(2025), on=D(2025, 4, 15))
    assert quote.amount == Decimal("1070.00")
    assert [(line.code, line.amount) for line in quote.lines] == [
        ("RES_PREMIUM", Decimal("400.00")),
        ("RES_FULL_COST_SUBSIDY", Decimal("670.00")),
    ]
    assert quote.result.benefits_from == D(2025, 7, 14)  # 90 days of waiting (seed S2, Guizhou)


@pytest.mark.parametrize(("rate", "monthly"), [(Decimal("0.045"), "295.80"), (Decimal("0.065"), "420.60")])
def test_zhangjiakou_flexible_worker_chooses_a_rate_tier(zhangjiakou, rate, monthly):
    person = PersonFactory(household_region=zhangjiakou)
    request = PaymentRequest.employee_months(D(2025, 1, 1), D(2025, 12, 1), rate=rate)
    quote = premium_quote(person=person, request=request, on=D(2025, 1, 10))
    assert quote.monthly.base_amount + quote.monthly.large_amount == Decimal(monthly)
    assert quote.monthly.contribution_base == Decimal("6240.00") and quote.monthly.large_amount == Decimal("15.00")
    assert quote.amount == Decimal(monthly) * 12


def test_a_rate_tier_not_offered_is_refused(zhangjiakou):
    person = PersonFactory(household_region=zhangjiakou)
    request = PaymentRequest.employee_months(D(2025, 1, 1), D(2025, 12, 1), rate=Decimal("0.08"))
    with pytest.raises(PaymentRefused) as info:
        premium_quote(person=person, request=request, on=D(2025, 1, 10))
    assert info.value.code == "RATE_TIER_NOT_OFFERED"


def test_nanchang_mid_year_entry_runs_from_the_month_after_the_stop_to_december(nanchang, policies):
    person = PersonFactory(household_region=nanchang)
    for month in range(1, 7):
        LedgerEntry.objects.create(
            person=person, region=nanchang, scheme="employee_unit", period=D(2025, month, 1), paid_on=D(2025, month, 15)
        )
    request = request_mid_year_entry(person=person, on=D(2025, 7, 20))
    with translation.override("zh-hans"):
        quote = premium_quote(person=person, request=request, on=D(2025, 7, 20))

    assert (request.cover_from, request.cover_to) == (D(2025, 7, 1), D(2025, 12, 1))
    assert quote.amount == Decimal("420.60") * 6 == Decimal("2523.60")
    assert quote.result.benefits_from == D(2025, 7, 1)  # gap 0: no waiting (EMP-5)
    assert quote.lines[0].label == "灵活就业人员月缴费"
    assert "2025年7月1日" in quote.explanation


def record(person, request, *, amount, day, reference="TX-1", channel="tax_wechat", hour=10):
    return payment_record(
        person=person,
        request=request,
        channel=channel,
        reference=reference,
        amount=Decimal(amount),
        paid_at=at(day, hour),
    )


def test_recording_a_payment_writes_payment_decision_ledger_and_mark(
    nanchang, policies, django_capture_on_commit_callbacks
):
    person = PersonFactory(household_region=nanchang)
    resident_history(person, [2023, 2024], nanchang)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = record(person, PaymentRequest.resident_year(2025), amount="400.00", day=D(2025, 3, 1))

    payment = outcome.payment
    assert outcome.created and payment.paid_on == D(2025, 3, 1)
    assert payment.decision.benefits_from == D(2025, 6, 1)
    entry = LedgerEntry.objects.get(person=person, period=D(2025, 1, 1))
    assert (entry.payment, entry.amount_paid) == (payment, Decimal("400.00"))
    # The task ran in-process (no broker configured): status stored as of today, mark cleared.
    snapshot = EligibilitySnapshot.objects.get(person=person)
    assert snapshot.as_of == timezone.localdate() and snapshot.benefits_from == D(2025, 6, 1)
    assert not RecomputeRequest.objects.filter(person=person).exists()


def test_the_payment_date_is_the_shanghai_date_of_the_timestamp(nanchang, policies):
    person = PersonFactory(household_region=nanchang)
    utc_evening = dt.datetime(2024, 12, 31, 16, 30, tzinfo=dt.UTC)  # 2025-01-01 00:30 in Shanghai
    outcome = payment_record(
        person=person,
        request=PaymentRequest.resident_year(2025),
        channel="alipay_ganfutong",
        reference="A-1",
        amount=Decimal("400.00"),
        paid_at=utc_evening,
    )
    assert outcome.payment.paid_on == D(2025, 1, 1)


def test_recording_the_same_reference_again_returns_the_first_payment(nanchang, policies):
    person = PersonFactory(household_region=nanchang)
    first = record(person, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 11, 1))
    second = record(person, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 11, 1))

    assert first.created and not second.created
    assert second.payment == first.payment
    assert Payment.objects.count() == 1 and LedgerEntry.objects.filter(person=person).count() == 1


def test_the_same_reference_for_another_payment_is_a_conflict(nanchang, policies):
    person, other = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)
    record(person, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 11, 1))
    with pytest.raises(PaymentRefused) as info:
        record(other, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 11, 1))
    assert info.value.code == "REFERENCE_CONFLICT"


def test_the_same_reference_on_another_channel_is_another_payment(nanchang, policies):
    a, b = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)
    record(a, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 11, 1), channel="tax_wechat")
    outcome = record(b, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 11, 1), channel="unionpay")
    assert outcome.created


def refused(person, request, *, amount, day):
    before = (Payment.objects.count(), LedgerEntry.objects.count(), BenefitDecision.objects.count())
    with pytest.raises(PaymentRefused) as info:
        record(person, request, amount=amount, day=day, reference=f"R-{day}")
    after = (Payment.objects.count(), LedgerEntry.objects.count(), BenefitDecision.objects.count())
    assert before == after, "a refused payment writes nothing"
    return info.value


def test_monthly_payment_where_only_annual_is_allowed_is_refused(nanchang, policies):
    person = PersonFactory(household_region=nanchang)
    request = PaymentRequest.employee_months(D(2026, 1, 1), D(2026, 1, 1), frequency="monthly")
    error = refused(person, request, amount="420.60", day=D(2025, 12, 20))
    assert error.code == "FLEX_MONTHLY_NOT_ALLOWED"


def test_flexible_payment_in_a_year_paid_as_resident_is_refused(nanchang, policies):
    person = PersonFactory(household_region=nanchang)
    resident_history(person, [2026], nanchang)
    request = PaymentRequest.employee_months(D(2026, 7, 1), D(2026, 12, 1))
    with translation.override("zh-hans"):
        error = refused(person, request, amount="2523.60", day=D(2026, 7, 10))
    assert error.code == "RESIDENT_PAID_SAME_YEAR"
    assert "居民医保" in error.message


def test_back_payment_after_its_window_is_refused(zhangjiakou):
    person = PersonFactory(household_region=zhangjiakou)
    for month in range(1, 4):
        LedgerEntry.objects.create(
            person=person,
            region=zhangjiakou,
            scheme="employee_flexible",
            period=D(2024, 10 + month - 1, 1),
            paid_on=D(2024, 10, 5),
        )
    # Stopped after December 2024; pays in May 2025 from January (window 2025-01-01..03-31 closed).
    request = PaymentRequest.employee_months(D(2025, 1, 1), D(2025, 12, 1))
    error = refused(person, request, amount=str(Decimal("295.80") * 12), day=D(2025, 5, 6))
    assert error.code == "BACKPAY_WINDOW_CLOSED"


def test_an_amount_that_differs_from_the_quote_is_refused(nanchang, policies):
    person = PersonFactory(household_region=nanchang)
    error = refused(person, PaymentRequest.resident_year(2025), amount="350.00", day=D(2024, 11, 1))
    assert error.code == "AMOUNT_MISMATCH" and "400.00" in error.message


def test_a_year_already_paid_is_refused(nanchang, policies):
    person = PersonFactory(household_region=nanchang)
    record(person, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 11, 1), reference="first")
    error = refused(person, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 12, 1))
    assert error.code == "RES_ALREADY_PAID"


# In 2025, the year paid: the status stored after each step (as of today) shows what the reversal took away.
@time_machine.travel(dt.datetime(2025, 6, 2, 10, tzinfo=SHANGHAI), tick=False)
def test_reversal_voids_the_ledger_and_decision_and_keeps_the_history(
    nanchang, policies, django_capture_on_commit_callbacks
):
    person = PersonFactory(household_region=nanchang)
    resident_history(person, [2024], nanchang)
    with django_capture_on_commit_callbacks(execute=True):
        payment = record(person, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 11, 1)).payment
    snapshot = EligibilitySnapshot.objects.get(person=person)
    assert (snapshot.as_of, snapshot.state, snapshot.benefits_from) == (D(2025, 6, 2), "covered", D(2025, 1, 1))

    with django_capture_on_commit_callbacks(execute=True):
        payment_reverse(payment=payment, reason="重复缴费退款")

    payment.refresh_from_db()
    entry = LedgerEntry.objects.get(person=person, period=D(2025, 1, 1))
    assert payment.status == "reversed" and entry.voided_at and entry.void_reason == "重复缴费退款"
    assert payment.decision.voided_at is not None
    assert entry.history.count() == 2 and payment.history.count() == 2
    snapshot = EligibilitySnapshot.objects.get(person=person)
    assert (snapshot.as_of, snapshot.state) == (D(2025, 6, 2), "interrupted")
    assert not eligibility_covered_on(person_id=person.pk, service_date=D(2025, 6, 1)).covered
    with pytest.raises(PaymentRefused):
        payment_reverse(payment=payment, reason="again")
    # The year can be paid again after the reversal.
    assert record(
        person, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 12, 1), reference="TX-2"
    ).created


def test_broker_down_keeps_the_payment_and_the_mark(nanchang, policies, settings, django_capture_on_commit_callbacks):
    from config.celery import app
    from tests.eligibility.test_celery_worker import use_broker

    person = PersonFactory(household_region=nanchang)
    use_broker(app, task_always_eager=False, broker_url="redis://127.0.0.1:1/0")  # nothing listens there
    try:
        with django_capture_on_commit_callbacks(execute=True):
            outcome = record(person, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 11, 1))
    finally:
        use_broker(app, task_always_eager=True, broker_url="memory://")
    assert outcome.created
    assert RecomputeRequest.objects.filter(person=person).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_recordings_of_one_reference_make_exactly_one_payment():
    region = RegionFactory(code="360100")
    policy_profiles_load()
    person = PersonFactory(household_region=region)
    outcomes, errors = [], []
    barrier = threading.Barrier(4)

    def worker():
        try:
            barrier.wait()
            outcomes.append(
                record(
                    person, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 11, 1), reference="SAME"
                )
            )
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(outcome.created for outcome in outcomes) == 1
    assert len({outcome.payment.pk for outcome in outcomes}) == 1
    assert Payment.objects.count() == 1 and LedgerEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_of_one_year_with_different_references_accept_one():
    region = RegionFactory(code="360100")
    policy_profiles_load()
    person = PersonFactory(household_region=region)
    outcomes, errors = [], []
    barrier = threading.Barrier(3)

    def worker(reference):
        try:
            barrier.wait()
            outcomes.append(
                record(
                    person, PaymentRequest.resident_year(2025), amount="400.00", day=D(2024, 11, 1), reference=reference
                )
            )
        except PaymentRefused as error:
            errors.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"R{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 1 and sorted(errors) == ["RES_ALREADY_PAID", "RES_ALREADY_PAID"]
    assert Payment.objects.count() == 1


def test_months_running_backwards_are_refused_as_already_paid_not_a_crash(nanchang, policies):
    # "From the month after the last paid one to December" when December is paid: January to December before it.
    person = PersonFactory(household_region=nanchang)
    request = PaymentRequest.employee_months(D(2026, 1, 1), D(2025, 12, 1))
    with pytest.raises(PaymentRefused) as info:
        premium_quote(person=person, request=request, on=D(2025, 12, 10))
    assert info.value.code == "ALREADY_PAID"
