"""Filters of the payments' reporting resources (the strict types come from `enrollment.api.filters`)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from enrollment.api.filters import (
    IntegerFilter,
    IsoDateFilter,
    RegionCodeFilter,
    ReportingFilterSet,
    StrictBooleanFilter,
    person_filter,
)
from enrollment.models import Scheme
from payments.models import Channel, LedgerEntry, LedgerEntryKind, Payment, PaymentKind, PaymentStatus


class PaymentFilter(ReportingFilterSet):
    person = person_filter()
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    kind = django_filters.ChoiceFilter(choices=PaymentKind.choices)
    scheme = django_filters.ChoiceFilter(choices=Scheme.choices)
    status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)
    coverage_year = IntegerFilter(min_value=1900, max_value=9999)
    paid_from = IsoDateFilter(field_name="paid_on", lookup_expr="gte", help_text="Paid on or after (Asia/Shanghai).")
    paid_to = IsoDateFilter(field_name="paid_on", lookup_expr="lte", help_text="Paid on or before (Asia/Shanghai).")
    region = RegionCodeFilter(field_name="person__household_region__code", help_text="The person's household region.")

    class Meta:
        model = Payment
        fields: list[str] = []


class LedgerEntryFilter(ReportingFilterSet):
    person = person_filter()
    scheme = django_filters.ChoiceFilter(choices=Scheme.choices)
    kind = django_filters.ChoiceFilter(choices=LedgerEntryKind.choices)
    region = RegionCodeFilter(field_name="region__code", help_text="The region the period was paid in.")
    period_from = IsoDateFilter(field_name="period", lookup_expr="gte")
    period_to = IsoDateFilter(field_name="period", lookup_expr="lte")
    include_voided = StrictBooleanFilter(
        method="filter_include_voided", help_text="Also list voided entries (default false)."
    )

    class Meta:
        model = LedgerEntry
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Voided entries are history, not coverage: left out unless asked for.
        if not self.form.cleaned_data.get("include_voided"):
            queryset = queryset.filter(voided_at__isnull=True)
        return super().filter_queryset(queryset)

    def filter_include_voided(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset  # applied in filter_queryset, which also covers the parameter being absent
