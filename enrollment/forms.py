"""Admin forms of the register: they run the same checks as the services, so bad input never reaches them."""

from typing import Any

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.identity import ResidentId, parse_id_number
from enrollment.models import Enrollment, FamilyRelation, Person, PersonEvent, RelationKind
from enrollment.selectors import enrollment_overlapping


class CheckedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up to show it again; a value that is no
    key at all ("abc", "NaN", "1e309") makes that lookup raise ValueError while the refused form is
    rendered, a 500 instead of the field's "Select a valid choice" message. Such values are not shown."""

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        target = self.field.target_field
        kept = []
        for item in value:
            try:
                target.to_python(item)
            except ValidationError:
                continue
            kept.append(item)
        return super().optgroups(name, kept, attr)


class CheckedAutocompleteMixin:
    """Gives the admin's autocomplete widgets of the form (wrapped by the admin's "add another" widget)
    the checked lookup above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = getattr(field.widget, "widget", field.widget)
            if type(widget) is AutocompleteSelect:
                widget.__class__ = CheckedAutocompleteSelect


class PersonAdminForm(CheckedAutocompleteMixin, forms.ModelForm):
    parsed_id: ResidentId | None = None

    class Meta:
        model = Person
        fields = ["id_number", "name", "phone", "household_region", "category", "user"]

    def clean_id_number(self) -> str:
        self.parsed_id = parse_id_number(self.cleaned_data.get("id_number", ""), today=timezone.localdate())
        return self.parsed_id.number

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.parsed_id is not None:
            # Derived fields are set before the model's constraint checks run in _post_clean.
            self.instance.birth_date = self.parsed_id.birth_date
            self.instance.gender = self.parsed_id.gender
        return cleaned


class EnrollmentAdminForm(CheckedAutocompleteMixin, forms.ModelForm):
    class Meta:
        model = Enrollment
        fields = ["person", "scheme", "region", "start_date", "end_date", "status", "employer_name", "note"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        person = cleaned.get("person") or getattr(self.instance, "person", None)
        scheme = cleaned.get("scheme")
        if person is not None and person.pk and scheme and start and not self.errors:
            other = enrollment_overlapping(
                person_id=person.pk, scheme=scheme, start_date=start, end_date=end, exclude_pk=self.instance.pk
            ).first()
            if other is not None:
                raise ValidationError(
                    _("This enrolment overlaps another enrolment of the same person in the same scheme (%(other)s).")
                    % {"other": other}
                )
        return cleaned


class PersonEventAdminForm(CheckedAutocompleteMixin, forms.ModelForm):
    class Meta:
        model = PersonEvent
        fields = ["person", "kind", "date", "related_person", "evidence"]

    def clean_date(self) -> Any:
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise ValidationError(_("An event cannot be dated in the future."))
        return date


class FamilyRelationAdminForm(CheckedAutocompleteMixin, forms.ModelForm):
    class Meta:
        model = FamilyRelation
        fields = ["person", "kind", "relative"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        person = cleaned.get("person") or getattr(self.instance, "person", None)
        relative = cleaned.get("relative")
        known = person is not None and relative is not None and person.birth_date is not None
        if cleaned.get("kind") == RelationKind.PARENT and known and relative.birth_date >= person.birth_date:
            self.add_error("relative", _("A parent must be born before the child."))
        return cleaned
