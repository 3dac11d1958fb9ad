"""Reporting resources of the register: persons, enrolments and cases (read-only).

Scoping, strict filters, cursor pages, CSV and the access log come from `ReportingViewSet`; these
classes only say which rows, which fields and which filters. Each queryset joins what its serializer
reads, so a page costs the same few queries whatever its size.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import BooleanField, Q, QuerySet, Value, When
from django.db.models import Case as SqlCase
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.routers import BaseRouter

from enrollment.api.filters import CaseFilter, EnrollmentFilter, PersonFilter, filter_parameters
from enrollment.api.serializers import CaseSerializer, EnrollmentSerializer, PersonSerializer
from enrollment.api.support import ReportingViewSet
from enrollment.models import RUNNING_CASE_STATES, Case, Enrollment, Person


def persons_for_reporting() -> QuerySet[Person]:
    return Person.objects.select_related("household_region")


def enrollments_for_reporting() -> QuerySet[Enrollment]:
    return Enrollment.objects.select_related("person", "region")


def cases_for_reporting() -> QuerySet[Case]:
    return Case.objects.select_related("region", "person", "assigned_to")


def cases_with_overdue(*, queryset: QuerySet[Case], as_of: datetime.date) -> QuerySet[Case]:
    """`overdue` computed in the query, as `Case.is_overdue` (the deadline passed while the case was with
    the agency; waiting for the resident does not count), so the filter and the field agree."""
    overdue = SqlCase(
        When(Q(state__in=RUNNING_CASE_STATES, due_on__lt=as_of), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return queryset.annotate(overdue=overdue)


@extend_schema_view(
    list=extend_schema(
        operation_id="persons_list", summary="Insured persons", parameters=filter_parameters(PersonFilter)
    ),
    retrieve=extend_schema(operation_id="persons_retrieve", summary="One insured person"),
)
@extend_schema(tags=["reporting"])
class PersonViewSet(ReportingViewSet):
    """Insured persons; ID numbers, names and phones masked unless the client holds reporting:unmasked."""

    queryset = persons_for_reporting()
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    region_path = "household_region"
    person_field = "pk"


@extend_schema_view(
    list=extend_schema(
        operation_id="enrollments_list", summary="Enrolments", parameters=filter_parameters(EnrollmentFilter)
    ),
    retrieve=extend_schema(operation_id="enrollments_retrieve", summary="One enrolment"),
)
@extend_schema(tags=["reporting"])
class EnrollmentViewSet(ReportingViewSet):
    """Enrolments (membership of a scheme in a region); scoped by the person's household region."""

    queryset = enrollments_for_reporting()
    serializer_class = EnrollmentSerializer
    filterset_class = EnrollmentFilter
    region_path = "person__household_region"
    person_field = "person_id"


@extend_schema_view(
    list=extend_schema(operation_id="cases_list", summary="Cases", parameters=filter_parameters(CaseFilter)),
    retrieve=extend_schema(operation_id="cases_retrieve", summary="One case"),
)
@extend_schema(tags=["reporting"])
class CaseViewSet(ReportingViewSet):
    """Cases handled at the service halls, without their free text (details, documents, reasons)."""

    queryset = cases_for_reporting()
    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    region_path = "region"
    person_field = "person_id"

    def get_queryset(self) -> QuerySet[Any]:
        return cases_with_overdue(queryset=super().get_queryset(), as_of=timezone.localdate())


def register(router: BaseRouter) -> None:
    """Add this app's reporting resources to the API router."""
    router.register("persons", PersonViewSet, basename="persons")
    router.register("enrollments", EnrollmentViewSet, basename="enrollments")
    router.register("cases", CaseViewSet, basename="cases")
