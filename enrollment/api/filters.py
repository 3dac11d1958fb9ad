"""Filters of the register's reporting resources, and the strict filter types every app's filters use.

django-filter's defaults are lenient in ways a reporting API must not be: a boolean it does not
understand is silently ignored (the whole table comes back), dates are accepted in several local
formats, numbers are decimals of any size. The types here refuse such values, so the view answers
400 with the error shape instead of a misleading result.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions

from enrollment.api.auth import unmasked
from enrollment.identity import normalize_id_number
from enrollment.models import (
    Case,
    CaseKind,
    CaseState,
    Enrollment,
    EnrollmentStatus,
    Gender,
    Person,
    PremiumCategory,
    Scheme,
)

ISO_DATE_FORMATS = ["%Y-%m-%d"]
# Primary keys are bigints: anything larger cannot name a row, and is an input error, not an empty list.
MAX_ID = 2**63 - 1


class IsoDateField(forms.DateField):
    input_formats = ISO_DATE_FORMATS
    default_error_messages = {"invalid": _("Give a real calendar date as YYYY-MM-DD, e.g. 2026-03-01.")}


class IsoDateFilter(django_filters.DateFilter):
    """A date in ISO form (YYYY-MM-DD) only; 2026-02-30 or 03/01/2026 is a 400."""

    field_class = IsoDateField


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is an error, where Django's NullBooleanField says "no filter"."""

    TRUE = frozenset({"true", "1"})
    FALSE = frozenset({"false", "0"})
    default_error_messages = {"invalid": _("Give true or false.")}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number within the column's range (django-filter's default takes any decimal)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, min_value: int = 0, max_value: int = MAX_ID, **kwargs: Any) -> None:
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)


def person_filter(field_name: str = "person_id") -> IntegerFilter:
    return IntegerFilter(field_name=field_name, min_value=1, help_text="The person's id.")


region_code_validator = RegexValidator(r"^\d{6}$", _("Give the region's six-digit division code, e.g. 360100."))


class RegionCodeFilter(django_filters.CharFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "The region's six-digit division code, e.g. 360100.")
        super().__init__(*args, validators=[region_code_validator], **kwargs)


class ReportingFilterSet(django_filters.FilterSet):
    """Base of the reporting filter sets (for the shared types and a place for common behaviour)."""


# --- persons ------------------------------------------------------------------------------------


class PersonFilter(ReportingFilterSet):
    region = RegionCodeFilter(field_name="household_region__code")
    category = django_filters.ChoiceFilter(choices=PremiumCategory.choices)
    gender = django_filters.ChoiceFilter(choices=Gender.choices)
    birth_date_from = IsoDateFilter(field_name="birth_date", lookup_expr="gte")
    birth_date_to = IsoDateFilter(field_name="birth_date", lookup_expr="lte")
    registered_from = IsoDateFilter(
        field_name="created_at__date", lookup_expr="gte", help_text="Registered on or after (Asia/Shanghai date)."
    )
    registered_to = IsoDateFilter(
        field_name="created_at__date", lookup_expr="lte", help_text="Registered on or before (Asia/Shanghai date)."
    )
    id_number = django_filters.CharFilter(
        method="filter_id_number",
        max_length=40,
        help_text="Exact ID number. Only for clients holding reporting:unmasked (400 otherwise).",
    )

    class Meta:
        model = Person
        fields: list[str] = []

    def filter_id_number(self, queryset: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        # A masked client could otherwise probe the register with guessed ID numbers, one request each.
        if self.request is None or not unmasked(self.request):
            raise exceptions.ValidationError(
                {"id_number": [_("Searching by ID number needs the reporting:unmasked scope.")]},
                code="unmasked_scope_required",
            )
        return queryset.filter(id_number=normalize_id_number(value))


# --- enrolments ---------------------------------------------------------------------------------


class EnrollmentFilter(ReportingFilterSet):
    person = person_filter()
    scheme = django_filters.ChoiceFilter(choices=Scheme.choices)
    status = django_filters.ChoiceFilter(choices=EnrollmentStatus.choices)
    region = RegionCodeFilter(field_name="region__code", help_text="The enrolment's region (division code).")
    start_from = IsoDateFilter(field_name="start_date", lookup_expr="gte")
    start_to = IsoDateFilter(field_name="start_date", lookup_expr="lte")
    active_on = IsoDateFilter(
        method="filter_active_on",
        help_text="Enrolments in force on this date: started on or before it, not ended before it.",
    )

    class Meta:
        model = Enrollment
        fields: list[str] = []

    def filter_active_on(self, queryset: QuerySet[Enrollment], name: str, value: Any) -> QuerySet[Enrollment]:
        return queryset.filter(start_date__lte=value).exclude(end_date__lt=value)


# --- cases --------------------------------------------------------------------------------------


class CaseFilter(ReportingFilterSet):
    kind = django_filters.ChoiceFilter(choices=CaseKind.choices)
    state = django_filters.ChoiceFilter(choices=CaseState.choices)
    region = RegionCodeFilter(field_name="region__code", help_text="The handling region (division code).")
    # `overdue` is an annotation of the view's queryset (one definition for the filter and the field).
    overdue = StrictBooleanFilter(
        field_name="overdue", help_text="Deadline passed while with the agency (submitted or in review)."
    )
    due_from = IsoDateFilter(field_name="due_on", lookup_expr="gte")
    due_to = IsoDateFilter(field_name="due_on", lookup_expr="lte")
    person = person_filter()

    class Meta:
        model = Case
        fields: list[str] = []


# --- schema -------------------------------------------------------------------------------------


def filter_parameters(filterset_class: type[django_filters.FilterSet]) -> list[OpenApiParameter]:
    """The bounds and patterns of the strict filters, for the schema (drf-spectacular's django-filter
    support gives only the type), so a schema-driven client never sends a value the view refuses."""
    parameters = []
    for name, filter_ in filterset_class.base_filters.items():
        description = filter_.extra.get("help_text") or None
        if isinstance(filter_, IntegerFilter):
            schema = {"type": "integer", "minimum": filter_.extra["min_value"], "maximum": filter_.extra["max_value"]}
            parameters.append(OpenApiParameter(name, schema, description=description))
        elif isinstance(filter_, RegionCodeFilter):
            parameters.append(
                OpenApiParameter(name, {"type": "string", "pattern": r"^\d{6}$"}, description=description)
            )
        elif isinstance(filter_, StrictBooleanFilter):
            parameters.append(OpenApiParameter(name, OpenApiTypes.BOOL, description=description))
    return parameters
