"""The printable payment receipt, for staff and for the person who paid."""

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from enrollment.identity import mask_id_number
from enrollment.portal.access import persons_of
from enrollment.scoping import scope_queryset
from payments.models import Payment, PaymentKind, PaymentStatus
from payments.money import amount_in_chinese_capitals

SHANGHAI = ZoneInfo("Asia/Shanghai")


def payment_label(payment: Payment) -> str:
    return f"{payment.person.name} · {payment.get_channel_display()} {payment.reference} · ¥{payment.amount}"


def payment_period_text(payment: Payment) -> str:
    """The period a payment covers, in the active language (a resident year or employee months)."""
    if payment.kind == PaymentKind.RESIDENT_YEAR:
        if payment.repair_years:
            return _("coverage year %(year)s, with %(n)s repair years") % {
                "year": payment.coverage_year,
                "n": payment.repair_years,
            }
        return _("coverage year %(year)s") % {"year": payment.coverage_year}
    if payment.cover_from is None or payment.cover_to is None:
        return ""
    return _("%(start)s to %(end)s") % {
        "start": date_format(payment.cover_from, "YEAR_MONTH_FORMAT"),
        "end": date_format(payment.cover_to, "YEAR_MONTH_FORMAT"),
    }


def _receipts_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Payment]:
    """Staff who may read payments see the receipts of their regions; anyone else only the receipts
    of the persons their account acts for (none for anonymous visitors)."""
    payments = Payment.objects.select_related("person__household_region", "decision", "recorded_by")
    if not user.is_authenticated:
        return payments.none()
    if user.is_staff and user.has_perm("payments.view_payment"):
        return scope_queryset(user=user, queryset=payments, region_path="person__household_region")
    # A resident: their own receipts and those of the children they act for.
    return payments.filter(person__in=persons_of(user))


def _day(value: Any) -> str:
    return "" if value is None else date_format(value, "DATE_FORMAT")


@require_GET
@never_cache  # personal data: no shared cache may keep it
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    # 404 rather than 403 for someone else's receipt: the answer must not tell that it exists.
    payment = _receipts_visible_to(request.user).filter(pk=pk).first()
    if payment is None:
        raise Http404
    person, decision = payment.person, payment.decision
    region = person.household_region
    english = (get_language() or "").startswith("en")
    paid_at = timezone.localtime(payment.paid_at, SHANGHAI)
    waiting = (
        _("%(start)s to %(end)s") % {"start": _day(decision.waiting_start), "end": _day(decision.waiting_end)}
        if decision.waiting_start is not None
        else _("no waiting period")
    )
    context = {
        "payment": payment,
        "agency": _("%(region)s medical insurance agency") % {"region": region.name_en if english else region.name_zh},
        "number": f"{payment.pk:08d}-{payment.reference}",
        "person_name": person.name,
        "masked_id": mask_id_number(person.id_number),
        "period": payment_period_text(payment),
        "amount": f"{payment.amount:,.2f}",
        "amount_capitals": amount_in_chinese_capitals(payment.amount),
        "paid_at": f"{paid_at:%Y-%m-%d %H:%M}",
        "benefits_from": _day(decision.benefits_from),
        "waiting": waiting,
        "reversed": payment.status == PaymentStatus.REVERSED,
        "reversed_on": _day(timezone.localtime(payment.reversed_at, SHANGHAI).date()) if payment.reversed_at else "",
        "printed_at": f"{timezone.localtime(timezone.now(), SHANGHAI):%Y-%m-%d %H:%M}",
    }
    return render(request, "payments/receipt.html", context)
