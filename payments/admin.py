"""Clerk screens of payments: policy profiles, payments (record, read, reverse) and the ledger.

Payments and ledger rows are written by `payments.services` only; these screens collect input,
show the quote and what the services answer, and read.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from eligibility.rules.explain import WARNING_TEXTS
from enrollment.admin import SearchByPersonMixin
from enrollment.scoping import PERSON_CHOICE_MESSAGE, ReadOnlyAdminMixin, RegionScopedAdminMixin, persons_queryset
from payments import admin_imports, admin_policy  # noqa: F401 - registers the import and policy screens
from payments.forms import PaymentRecordForm, PaymentReverseForm
from payments.models import LedgerEntry, Payment, PaymentKind, PaymentStatus
from payments.money import amount_in_chinese_capitals
from payments.policy import NoPolicy, policy_row_for
from payments.services import PaymentRefused, Quote, payment_record, payment_reverse, premium_quote
from payments.views import payment_label, payment_period_text


@admin.register(Payment)
class PaymentAdmin(SearchByPersonMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    """Payments are recorded and reversed through the payment services, never edited."""

    region_path = "person__household_region"

    list_display = ["paid_at", "person", "scheme", "period", "amount", "channel", "reference", "status", "receipt"]
    list_filter = ["channel", "status", "scheme", "paid_on"]
    list_select_related = ["person"]
    show_full_result_count = False
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["person", "status", "receipt"]}),
        (
            gettext_lazy("payment"),
            {"fields": ["kind", "scheme", "period", "repair_years", "rate", "amount", "amount_in_capitals"]},
        ),
        (gettext_lazy("channel"), {"fields": ["channel", "reference", "paid_at", "paid_on", "recorded_by"]}),
        (gettext_lazy("decision"), {"fields": ["benefits_from", "waiting_period", "explanation"]}),
        (gettext_lazy("reversal"), {"fields": ["reversed_at", "reversal_reason"]}),
    ]
    readonly_fields = [
        "person",
        "status",
        "receipt",
        "kind",
        "scheme",
        "period",
        "repair_years",
        "rate",
        "amount",
        "amount_in_capitals",
        "channel",
        "reference",
        "paid_at",
        "paid_on",
        "recorded_by",
        "benefits_from",
        "waiting_period",
        "explanation",
        "reversed_at",
        "reversal_reason",
    ]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("person", "decision", "recorded_by")

    # `add_payment` opens the record screen; the generic add form would write a payment directly.
    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:payments_payment_record"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_reverse_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("payments.change_payment"))

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("record/", wrap(self.record_view), name="payments_payment_record"),
            path("<int:object_id>/reverse/", wrap(self.reverse_view), name="payments_payment_reverse"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {"show_reverse": self.has_reverse_permission(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    # --- displays -------------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("period covered"))
    def period(self, obj: Payment) -> str:
        return payment_period_text(obj)

    @admin.display(description=gettext_lazy("amount in Chinese capitals"))
    def amount_in_capitals(self, obj: Payment) -> str:
        return amount_in_chinese_capitals(obj.amount)

    @admin.display(description=gettext_lazy("receipt"))
    def receipt(self, obj: Payment) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("payments:receipt", args=[obj.pk]),
            _("Print receipt"),
        )

    @admin.display(description=gettext_lazy("benefits from"))
    def benefits_from(self, obj: Payment) -> str:
        day = obj.decision.benefits_from
        return "-" if day is None else date_format(day, "DATE_FORMAT")

    @admin.display(description=gettext_lazy("waiting period"))
    def waiting_period(self, obj: Payment) -> str:
        decision = obj.decision
        if decision.waiting_start is None:
            return _("none")
        return _("%(start)s to %(end)s") % {
            "start": date_format(decision.waiting_start, "DATE_FORMAT"),
            "end": date_format(decision.waiting_end, "DATE_FORMAT"),
        }

    @admin.display(description=gettext_lazy("explanation"))
    def explanation(self, obj: Payment) -> str:
        return obj.decision.explanation_in(get_language())

    # --- record a payment -----------------------------------------------------------------------

    def record_view(self, request: HttpRequest) -> HttpResponse:
        """Quote first, then record through `payment_record`; a refusal writes nothing."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        recording = request.method == "POST" and "_record" in request.POST
        form = PaymentRecordForm(
            request.POST if request.method == "POST" else None,
            initial=request.GET.dict(),
            admin_site=self.admin_site,
            recording=recording,
        )
        # Only persons of the user's regions can be chosen (and the autocomplete offers only those).
        person_field = form.fields["person"]
        person_field.queryset = persons_queryset(user=request.user).select_related("household_region")
        person_field.error_messages["invalid_choice"] = PERSON_CHOICE_MESSAGE
        quote = None
        tiers: list[str] = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            payment_request = form.payment_request()
            if recording:
                try:
                    outcome = payment_record(
                        person=data["person"],
                        request=payment_request,
                        channel=data["channel"],
                        reference=data["reference"],
                        amount=data["amount"],
                        paid_at=data["paid_at"],
                        recorded_by=request.user,
                    )
                except PaymentRefused as refusal:
                    form.add_error(None, f"{refusal.message} ({refusal.code})")
                else:
                    payment = outcome.payment
                    if outcome.created:
                        messages.success(
                            request, _("Payment recorded: %(payment)s.") % {"payment": payment_label(payment)}
                        )
                    else:
                        messages.warning(
                            request,
                            _("This reference is already recorded; here is the existing payment: %(payment)s.")
                            % {"payment": payment_label(payment)},
                        )
                    return HttpResponseRedirect(reverse("admin:payments_payment_change", args=[payment.pk]))
            # The quote is shown again after a refusal, so the clerk sees what is due and why.
            paid_on = timezone.localtime(data["paid_at"]).date()
            try:
                quote = premium_quote(person=data["person"], request=payment_request, on=paid_on)
            except PaymentRefused as refusal:
                form.add_error(None, f"{refusal.message} ({refusal.code})")
            if payment_request.kind == PaymentKind.EMPLOYEE_MONTHS:
                tiers = _rate_tiers(data["person"], payment_request.coverage_year, paid_on)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Record a payment"),
            "form": form,
            "media": self.media + form.media,
            "quote": quote,
            "warnings": _quote_warnings(quote),
            "tiers": tiers,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/payments/payment/record.html", context)

    # --- reverse a payment ----------------------------------------------------------------------

    def reverse_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Ask for the reason, then `payment_reverse` voids the ledger rows and the decision."""
        if not self.has_reverse_permission(request):
            raise PermissionDenied
        payment = self.get_object(request, str(object_id))
        if payment is None:
            raise Http404
        change_url = reverse("admin:payments_payment_change", args=[payment.pk])
        if payment.status == PaymentStatus.REVERSED:
            messages.warning(request, _("This payment is already reversed."))
            return HttpResponseRedirect(change_url)
        form = PaymentReverseForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                payment_reverse(payment=payment, reason=form.cleaned_data["reason"], by=request.user)
            except PaymentRefused as refusal:
                form.add_error(None, f"{refusal.message} ({refusal.code})")
            else:
                messages.success(request, _("Payment reversed: %(payment)s.") % {"payment": payment_label(payment)})
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Reverse a payment"),
            "form": form,
            "payment": payment,
            "period": payment_period_text(payment),
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/payments/payment/reverse.html", context)


def _rate_tiers(person: Any, year: int, on: Any) -> list[str]:
    """The rate tiers the person's region offers flexible workers, for the clerk to choose from."""
    try:
        row = policy_row_for(region_code=person.household_region.code, year=year, scope="employee", on=on)
    except NoPolicy:
        return []
    return [str(tier) for tier in row.flexible_rate_tiers]


def _quote_warnings(quote: Quote | None) -> list[tuple[str, str]]:
    if quote is None:
        return []
    language = "en" if (get_language() or "").startswith("en") else "zh"
    return [(warning.value, WARNING_TEXTS[warning][language]) for warning in quote.result.warnings]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(SearchByPersonMixin, RegionScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger is written by payment services; clerks read it here. Rows belong to the person's
    household region (not the entry's own pooling region), so a clerk sees the whole history of
    the persons they serve, including years paid elsewhere before a move."""

    region_path = "person__household_region"

    list_display = ["person", "scheme", "period", "kind", "amount_due", "amount_paid", "paid_on", "voided_at"]
    list_filter = ["scheme", "kind"]
    list_select_related = ["person"]
    show_full_result_count = False
    list_per_page = 50
