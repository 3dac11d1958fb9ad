"""Forms of the portal's applications: one per case kind, with an upload for each checklist document.

The forms only check the shape of what was typed (dates, months, choices, the scans' type and size)
and then ask `enrollment.cases.case_details_clean` — the same check as the clerks' — field by field.
"""

import datetime
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from enrollment.cases import case_details_clean, case_document_check_upload
from enrollment.checklists import SPECIAL_GROUP_CHOICES
from enrollment.models import CaseKind, Person, Scheme
from enrollment.portal.applications import documents_needed, documents_possible

DATE_MESSAGE = _("Enter the date as YYYY-MM-DD, e.g. 2026-03-01.")
MONTH_MESSAGE = _("Enter the month as YYYY-MM, e.g. 2025-03.")
DOC_PREFIX = "doc_"


class IsoDateField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"})
    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": DATE_MESSAGE}


class MonthField(forms.CharField):
    """A month typed as YYYY-MM (what `<input type="month">` sends); cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2025-03", "inputmode": "numeric"})

    def to_python(self, value: Any) -> datetime.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise ValidationError(MONTH_MESSAGE, code="invalid")
        return datetime.date(int(match.group(1)), int(match.group(2)), 1)


def check_scan(upload: UploadedFile) -> UploadedFile:
    """The same type (by content) and size checks as every other upload of case documents."""
    case_document_check_upload(upload)
    return upload


class ScanField(forms.FileField):
    widget = forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload:
            check_scan(upload)
        return upload


class ApplicationForm(forms.Form):
    """Common to every kind: for whom, the details (subclasses) and the documents of the checklist."""

    kind: str = ""
    # The detail that decides which documents the checklist holds (the page hides the others).
    checklist_field: str = ""

    person = forms.TypedChoiceField(label=_("Applying for"), coerce=int)

    def __init__(self, *args: Any, persons: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.persons = {person.pk: person for person in persons}
        self.fields["person"].choices = [(person.pk, f"{person.name}") for person in persons]  # type: ignore[attr-defined]
        if len(persons) == 1:
            self.fields["person"].widget = forms.HiddenInput()
        for spec in documents_possible(kind=self.kind):
            self.fields[DOC_PREFIX + spec.code] = ScanField(
                label=spec.label,
                required=False,
                help_text=_("Needed.")
                if spec.condition is None and spec.required
                else _("Needed for what you chose above."),
            )

    def detail_names(self) -> list[str]:
        return [name for name in self.fields if name != "person" and not name.startswith(DOC_PREFIX)]

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.detail_names()]

    def document_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(DOC_PREFIX)]

    def selected_person(self) -> Person:
        return self.persons[self.cleaned_data["person"]]

    def details(self) -> dict[str, Any]:
        """The cleaned details as `case_details_clean` takes them (dates as ISO strings)."""
        details: dict[str, Any] = {}
        for name in self.detail_names():
            value = self.cleaned_data.get(name)
            if isinstance(value, datetime.date):
                value = value.isoformat()
            if value not in (None, "", False):
                details[name] = value
        return details

    def uploads(self) -> dict[str, UploadedFile]:
        return {
            name.removeprefix(DOC_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(DOC_PREFIX) and value
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or "person" not in cleaned:
            return cleaned
        person = self.selected_person()
        try:
            case_details_clean(kind=self.kind, details=self.details(), person=person, region=person.household_region)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
            return cleaned
        needed = {spec.code for spec in documents_needed(kind=self.kind, details=self.details(), person=person)}
        for code in self.uploads():
            if code not in needed:
                self.add_error(DOC_PREFIX + code, _("This document is not needed for what you chose; remove it."))
        return cleaned

    def checklist_map(self) -> dict[str, list[str]]:
        """For each value of the deciding detail, the documents asked for (the page shows only those)."""
        if not self.checklist_field:
            return {}
        person = next(iter(self.persons.values()))
        field = self.fields[self.checklist_field]
        values = (
            ["", "on"] if isinstance(field, forms.BooleanField) else [str(value) for value, _label in field.choices]  # type: ignore[attr-defined]
        )
        answer = {}
        for value in values:
            details = {self.checklist_field: bool(value) if isinstance(field, forms.BooleanField) else value}
            answer[value] = [
                DOC_PREFIX + spec.code for spec in documents_needed(kind=self.kind, details=details, person=person)
            ]
        return answer


class FlexibleEnrolmentForm(ApplicationForm):
    kind = CaseKind.FLEXIBLE_ENROLMENT
    checklist_field = "after_employee_stop"

    start_date = IsoDateField(label=_("Insured from"), help_text=_("The day your flexible-worker insurance starts."))
    after_employee_stop = forms.BooleanField(
        label=_("My employee insurance at an employer stopped"),
        required=False,
        help_text=_("Tick this if you leave a job: you then pay from the month after the stop."),
    )


class BackPaymentForm(ApplicationForm):
    kind = CaseKind.BACK_PAYMENT

    cover_from = MonthField(label=_("First month to pay for"))
    cover_to = MonthField(label=_("Last month to pay for"))


class SchemeSwitchForm(ApplicationForm):
    kind = CaseKind.SCHEME_SWITCH
    checklist_field = "scheme"

    scheme = forms.ChoiceField(label=_("Switch to"), choices=[("", "---------"), *Scheme.choices])
    start_date = IsoDateField(label=_("From"))
    employer_name = forms.CharField(
        label=_("Employer"), required=False, max_length=200, help_text=_("Only for employee insurance at an employer.")
    )


class SpecialGroupForm(ApplicationForm):
    kind = CaseKind.SPECIAL_GROUP
    checklist_field = "group"

    group = forms.ChoiceField(label=_("What happened"), choices=[("", "---------"), *SPECIAL_GROUP_CHOICES])
    event_date = IsoDateField(
        label=_("Date of the event"),
        required=False,
        help_text=_("For example the discharge date or the day you came back. Not needed for a newborn."),
    )
    start_date = IsoDateField(
        label=_("Insured from (newborn)"), required=False, help_text=_("Leave empty for insurance from birth.")
    )
    evidence = forms.CharField(
        label=_("Anything the clerk should know"), required=False, max_length=500, widget=forms.Textarea({"rows": 3})
    )


FORMS: dict[str, type[ApplicationForm]] = {
    form.kind: form for form in (FlexibleEnrolmentForm, BackPaymentForm, SchemeSwitchForm, SpecialGroupForm)
}


class AnswerForm(forms.Form):
    """The resident's answer to a request for information: a message and scans of checklist documents."""

    message = forms.CharField(
        label=_("Your answer"), required=False, max_length=2000, widget=forms.Textarea({"rows": 4})
    )

    def __init__(self, *args: Any, codes: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in codes:
            self.fields[DOC_PREFIX + code] = ScanField(label=label, required=False)

    def document_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(DOC_PREFIX)]

    def uploads(self) -> dict[str, UploadedFile]:
        return {
            name.removeprefix(DOC_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(DOC_PREFIX) and value
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not (cleaned.get("message") or "").strip() and not self.uploads():
            raise ValidationError(_("Write an answer or attach at least one document."))
        return cleaned
