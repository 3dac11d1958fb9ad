"""Reporting resources of payments: payments received and the contribution ledger (read-only).

Both follow the person (`person__household_region`, as in the admin): a clerk sees the years a
person paid elsewhere before moving to the clerk's region.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.routers import BaseRouter

from enrollment.api.filters import filter_parameters
from enrollment.api.support import ReportingViewSet
from payments.api.filters import LedgerEntryFilter, PaymentFilter
from payments.api.serializers import LedgerEntrySerializer, PaymentSerializer
from payments.models import LedgerEntry, Payment


def payments_for_reporting() -> QuerySet[Payment]:
    return Payment.objects.select_related("person")


def ledger_for_reporting() -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.select_related("person", "region")


@extend_schema_view(
    list=extend_schema(operation_id="payments_list", summary="Payments", parameters=filter_parameters(PaymentFilter)),
    retrieve=extend_schema(operation_id="payments_retrieve", summary="One payment"),
)
@extend_schema(tags=["reporting"])
class PaymentViewSet(ReportingViewSet):
    """Payments received through the channels; amounts are Decimal strings."""

    queryset = payments_for_reporting()
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    region_path = "person__household_region"
    person_field = "person_id"


@extend_schema_view(
    list=extend_schema(
        operation_id="ledger_list", summary="Contribution ledger", parameters=filter_parameters(LedgerEntryFilter)
    ),
    retrieve=extend_schema(operation_id="ledger_retrieve", summary="One ledger entry"),
)
@extend_schema(tags=["reporting"])
class LedgerEntryViewSet(ReportingViewSet):
    """Paid periods (months or resident years); voided entries only with include_voided=true."""

    queryset = ledger_for_reporting()
    serializer_class = LedgerEntrySerializer
    filterset_class = LedgerEntryFilter
    region_path = "person__household_region"
    person_field = "person_id"

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The list's filters (voided entries hidden by default) do not apply to opening one entry by id.
        if self.action == "retrieve":
            return queryset
        return super().filter_queryset(queryset)


def register(router: BaseRouter) -> None:
    """Add this app's reporting resources to the API router."""
    router.register("payments", PaymentViewSet, basename="payments")
    router.register("ledger", LedgerEntryViewSet, basename="ledger")
