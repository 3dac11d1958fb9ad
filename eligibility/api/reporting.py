"""Reporting resources of eligibility: stored statuses (snapshots) and recompute runs (read-only)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.routers import BaseRouter

from eligibility.api.filters import RecomputeRunFilter, SnapshotFilter
from eligibility.api.serializers import RecomputeRunSerializer, SnapshotSerializer
from eligibility.models import EligibilitySnapshot, RecomputeRun
from enrollment.api.filters import filter_parameters
from enrollment.api.support import ReportingViewSet


def snapshots_for_reporting() -> QuerySet[EligibilitySnapshot]:
    return EligibilitySnapshot.objects.select_related("person")


def recompute_runs_for_reporting() -> QuerySet[RecomputeRun]:
    return RecomputeRun.objects.all()


@extend_schema_view(
    list=extend_schema(
        operation_id="snapshots_list", summary="Eligibility statuses", parameters=filter_parameters(SnapshotFilter)
    ),
    retrieve=extend_schema(operation_id="snapshots_retrieve", summary="One person's stored status"),
)
@extend_schema(tags=["reporting"])
class SnapshotViewSet(ReportingViewSet):
    """Each person's stored status (one row per person, identified by the person's id)."""

    queryset = snapshots_for_reporting()
    serializer_class = SnapshotSerializer
    filterset_class = SnapshotFilter
    region_path = "person__household_region"
    person_field = "person_id"


@extend_schema_view(
    list=extend_schema(
        operation_id="job_runs_list", summary="Recompute runs", parameters=filter_parameters(RecomputeRunFilter)
    ),
    retrieve=extend_schema(operation_id="job_runs_retrieve", summary="One recompute run"),
)
@extend_schema(tags=["reporting"])
class RecomputeRunViewSet(ReportingViewSet):
    """Runs of the status recompute (nightly or manual): counts only, no personal data."""

    queryset = recompute_runs_for_reporting()
    serializer_class = RecomputeRunSerializer
    filterset_class = RecomputeRunFilter
    # A run covers the whole city, not a region, and carries no person: not scoped, nothing to log.
    region_path = None
    person_field = None


def register(router: BaseRouter) -> None:
    """Add this app's reporting resources to the API router."""
    router.register("snapshots", SnapshotViewSet, basename="snapshots")
    router.register("job-runs", RecomputeRunViewSet, basename="job-runs")
