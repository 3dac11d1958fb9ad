"""The resident's "what if I pay" question, in the resident's words (not the clerk's form)."""

import datetime
from typing import Any

from django import forms
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from eligibility.rules import EmployeeKind, Frequency
from payments.services import PaymentRequest


class CalculatorAction(TextChoices):
    RESIDENT_YEAR = "resident_year", _("Resident insurance for a year")
    FLEXIBLE_ANNUAL = "flexible_annual", _("Flexible worker, a whole year")
    FLEXIBLE_MID_YEAR = "flexible_mid_year", _("Flexible worker, from now to December")
    BACK_PAYMENT = "back_payment", _("Back payment of missed months (flexible worker)")
    REPAIR = "repair", _("Resident year with repair of break years")


YEAR_ACTIONS = (CalculatorAction.RESIDENT_YEAR, CalculatorAction.REPAIR, CalculatorAction.FLEXIBLE_ANNUAL)
DATE_FORMAT_ERROR = _("Enter the date as YYYY-MM-DD, e.g. 2025-09-15.")
MONTH_FORMAT_ERROR = _("Enter the month as YYYY-MM, e.g. 2025-04.")


def _month_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "2025-04"}, format="%Y-%m"),
        error_messages={"invalid": MONTH_FORMAT_ERROR},
    )


class CalculatorForm(forms.Form):
    action = forms.ChoiceField(
        label=_("What would you pay for?"), choices=CalculatorAction.choices, widget=forms.RadioSelect
    )
    paid_on = forms.DateField(
        label=_("Payment date"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "placeholder": "2025-09-15"}, format="%Y-%m-%d"),
        help_text=_("The day you would pay (Beijing time): the amount and the waiting period depend on it."),
        error_messages={"invalid": DATE_FORMAT_ERROR, "required": _("Give the day you would pay.")},
    )
    year = forms.IntegerField(
        label=_("Coverage year"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("For a resident year, a repair or a whole flexible-worker year."),
        error_messages={"invalid": _("Enter a year such as 2026.")},
    )
    repair_years = forms.IntegerField(
        label=_("Break years to repair"),
        required=False,
        min_value=1,
        max_value=20,
        help_text=_("Only for a repair: how many missed years you would pay for."),
        error_messages={"invalid": _("Enter a whole number of years.")},
    )
    cover_from = _month_field(_("First missed month"))
    cover_from.help_text = _(
        "Back payment: the first month not paid. The payment runs to December unless you say otherwise."
    )
    cover_to = _month_field(_("Last month paid for"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        action = cleaned.get("action")
        if action in YEAR_ACTIONS and cleaned.get("year") is None and "year" not in self.errors:
            self.add_error("year", _("Give the coverage year."))
        if (
            action == CalculatorAction.REPAIR
            and cleaned.get("repair_years") is None
            and "repair_years" not in self.errors
        ):
            self.add_error("repair_years", _("Give the number of break years to repair."))
        if action == CalculatorAction.BACK_PAYMENT:
            start, end = cleaned.get("cover_from"), cleaned.get("cover_to")
            if start is None and "cover_from" not in self.errors:
                self.add_error("cover_from", _("Give the first missed month."))
            if start and end is None and "cover_to" not in self.errors:
                # Flexible workers pay up to December (EMP-2): the usual answer when left empty.
                end = cleaned["cover_to"] = datetime.date(start.year, 12, 1)
            if start and end and end < start:
                self.add_error("cover_to", _("The last month cannot be before the first."))
        return cleaned

    def payment_request(self, *, mid_year: PaymentRequest | None = None) -> PaymentRequest:
        """The question as a payment request (`mid_year`: EMP-2's months, read from the ledger)."""
        data = self.cleaned_data
        action = data["action"]
        if action == CalculatorAction.RESIDENT_YEAR:
            return PaymentRequest.resident_year(data["year"])
        if action == CalculatorAction.REPAIR:
            return PaymentRequest.resident_year(data["year"], repair_years=data["repair_years"])
        if action == CalculatorAction.FLEXIBLE_MID_YEAR:
            assert mid_year is not None
            return mid_year
        if action == CalculatorAction.FLEXIBLE_ANNUAL:
            start, end = datetime.date(data["year"], 1, 1), datetime.date(data["year"], 12, 1)
        else:
            start, end = data["cover_from"], data["cover_to"]
        return PaymentRequest.employee_months(
            start, end, employee_kind=EmployeeKind.FLEXIBLE, frequency=Frequency.ANNUAL
        )
