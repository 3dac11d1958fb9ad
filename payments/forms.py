"""Admin forms of payments: they validate input and hand it to the policy checks and the services.

Nothing here writes: the payment forms build the request the payment services take (the policy
profile form is `payments.policy_forms`).
"""

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.admin import AdminSite
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eligibility.rules import EmployeeKind, Frequency
from enrollment.forms import CheckedAutocompleteSelect
from enrollment.models import Person
from payments.models import Channel, Payment, PaymentKind
from payments.services import PaymentRequest


def _month_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


class PaymentRequestFormMixin:
    """The payment question of a form (kind, year or months, employee kind, frequency, rate):
    checked together and turned into a `PaymentRequest`. The record screen and the person page's
    what-if panel ask the same question."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        if cleaned.get("kind") == PaymentKind.RESIDENT_YEAR:
            if cleaned.get("year") is None and "year" not in self.errors:  # type: ignore[attr-defined]
                self.add_error("year", _("Give the coverage year."))  # type: ignore[attr-defined]
        elif cleaned.get("kind") == PaymentKind.EMPLOYEE_MONTHS:
            start, end = cleaned.get("cover_from"), cleaned.get("cover_to")
            for name in ("cover_from", "cover_to"):
                if cleaned.get(name) is None and name not in self.errors:  # type: ignore[attr-defined]
                    self.add_error(name, _("Give the first and the last month covered."))  # type: ignore[attr-defined]
            if start and end and end < start:
                self.add_error("cover_to", _("The last month covered cannot be before the first."))  # type: ignore[attr-defined]
        return cleaned

    def payment_request(self) -> PaymentRequest:
        data = self.cleaned_data  # type: ignore[attr-defined]
        if data["kind"] == PaymentKind.RESIDENT_YEAR:
            return PaymentRequest.resident_year(data["year"], repair_years=data.get("repair_years") or 0)
        return PaymentRequest.employee_months(
            data["cover_from"],
            data["cover_to"],
            employee_kind=data.get("employee_kind") or EmployeeKind.FLEXIBLE,
            frequency=data.get("frequency") or Frequency.ANNUAL,
            rate=data.get("rate"),
        )


class PaymentRecordForm(PaymentRequestFormMixin, forms.Form):
    """What the clerk enters at the counter. Quoting needs the person, what is paid for and the
    payment time; recording needs the channel, the reference and the amount received too."""

    person = forms.ModelChoiceField(
        label=gettext_lazy("insured person"),
        queryset=Person.objects.select_related("household_region"),
        help_text=gettext_lazy("Resident ID number (whole or its beginning) or the beginning of the name."),
    )
    kind = forms.ChoiceField(label=gettext_lazy("payment for"), choices=PaymentKind.choices, widget=forms.RadioSelect)
    year = forms.IntegerField(label=gettext_lazy("coverage year"), required=False, min_value=2000, max_value=2100)
    repair_years = forms.IntegerField(
        label=gettext_lazy("repair years"),
        required=False,
        min_value=0,
        max_value=20,
        initial=0,
        help_text=gettext_lazy("Break years the person also pays to repair (修复), if any."),
    )
    cover_from = _month_field(gettext_lazy("first month covered"))
    cover_to = _month_field(gettext_lazy("last month covered"))
    employee_kind = forms.ChoiceField(
        label=gettext_lazy("employee insurance as"),
        choices=[
            (EmployeeKind.FLEXIBLE.value, gettext_lazy("flexible worker")),
            (EmployeeKind.UNIT.value, gettext_lazy("unit employee")),
        ],
        initial=EmployeeKind.FLEXIBLE.value,
    )
    frequency = forms.ChoiceField(
        label=gettext_lazy("payment frequency"),
        choices=[(Frequency.ANNUAL.value, gettext_lazy("annual")), (Frequency.MONTHLY.value, gettext_lazy("monthly"))],
        initial=Frequency.ANNUAL.value,
    )
    rate = forms.DecimalField(
        label=gettext_lazy("rate tier"),
        required=False,
        max_digits=6,
        decimal_places=4,
        min_value=Decimal("0"),
        help_text=gettext_lazy("Flexible workers only, where the region offers tiers; empty = the profile rate."),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("channel"), choices=[("", "---------"), *Channel.choices], required=False
    )
    reference = forms.CharField(label=gettext_lazy("transaction reference"), max_length=64, required=False)
    amount = forms.DecimalField(
        label=gettext_lazy("amount received"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text=gettext_lazy("What the person paid; it must equal the premium due."),
    )
    paid_at = forms.DateTimeField(
        label=gettext_lazy("paid at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Beijing time; the premium and the waiting period depend on the day."),
    )

    def __init__(self, *args: Any, admin_site: AdminSite, recording: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recording = recording
        # The same search as the person list (ID number or the start of the name), as you type.
        person = self.fields["person"]
        # The checked widget: a person value that is no key is refused by the field, not a 500 (see there).
        person.widget = CheckedAutocompleteSelect(Payment._meta.get_field("person"), admin_site)
        person.widget.choices = person.choices  # what ModelChoiceField does for its own widget
        for name in ("channel", "reference", "amount"):
            self.fields[name].required = recording
        for field in self.fields.values():
            field.label = capfirst(field.label)  # as the admin's own forms show labels
        if not self.is_bound:
            self.initial.setdefault("paid_at", timezone.localtime().replace(second=0, microsecond=0))
            self.initial.setdefault("kind", PaymentKind.RESIDENT_YEAR)

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip()

    def clean_paid_at(self) -> datetime.datetime:
        paid_at: datetime.datetime = self.cleaned_data["paid_at"]
        # A payment cannot have happened later than now: a future time is a typing mistake.
        if paid_at > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError(_("The payment time is in the future."))
        return paid_at


class PaymentReverseForm(forms.Form):
    reason = forms.CharField(
        label=capfirst(gettext_lazy("reason for reversal")),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=500,
        help_text=gettext_lazy("Kept with the payment and its ledger rows, e.g. refund of a duplicate payment."),
    )
