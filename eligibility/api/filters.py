"""Filters of the eligibility reporting resources (the strict types come from `enrollment.api.filters`)."""

from __future__ import annotations

import django_filters

from eligibility.models import CoverageState, EligibilitySnapshot, RecomputeRun, RunMode, RunStatus
from enrollment.api.filters import IntegerFilter, IsoDateFilter, RegionCodeFilter, ReportingFilterSet, person_filter
from enrollment.models import Scheme

SMALLINT_MAX = 32767


class SnapshotFilter(ReportingFilterSet):
    state = django_filters.ChoiceFilter(choices=CoverageState.choices)
    scheme = django_filters.ChoiceFilter(choices=Scheme.choices)
    region = RegionCodeFilter(field_name="person__household_region__code", help_text="The household region.")
    waiting_end_from = IsoDateFilter(field_name="waiting_end", lookup_expr="gte")
    waiting_end_to = IsoDateFilter(field_name="waiting_end", lookup_expr="lte")
    gap_months_min = IntegerFilter(field_name="gap_months", lookup_expr="gte", max_value=SMALLINT_MAX)
    gap_months_max = IntegerFilter(field_name="gap_months", lookup_expr="lte", max_value=SMALLINT_MAX)
    person = person_filter()

    class Meta:
        model = EligibilitySnapshot
        fields: list[str] = []


class RecomputeRunFilter(ReportingFilterSet):
    mode = django_filters.ChoiceFilter(choices=RunMode.choices)
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)
    started_from = IsoDateFilter(
        field_name="started_at__date", lookup_expr="gte", help_text="Started on or after (Asia/Shanghai date)."
    )
    started_to = IsoDateFilter(
        field_name="started_at__date", lookup_expr="lte", help_text="Started on or before (Asia/Shanghai date)."
    )

    class Meta:
        model = RecomputeRun
        fields: list[str] = []
