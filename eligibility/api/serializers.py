"""Read-only serializers of the eligibility reporting resources: stored statuses and recompute runs."""

from __future__ import annotations

from rest_framework import serializers

from eligibility.models import EligibilitySnapshot, RecomputeRun
from enrollment.api.support import masked_id_number


class SnapshotSerializer(serializers.ModelSerializer):
    person_id_number = masked_id_number(source="person.id_number")
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="Rule IDs (RULES.md).")

    class Meta:
        model = EligibilitySnapshot
        fields = [
            "person",
            "person_id_number",
            "as_of",
            "state",
            "scheme",
            "benefits_from",
            "benefit_end",
            "waiting_start",
            "waiting_end",
            "retro_from",
            "retro_to",
            "gap_months",
            "break_years",
            "continuous_years",
            "ci_cap",
            "reasons",
            "next_change_on",
            "computed_at",
        ]
        read_only_fields = fields


class RecomputeRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = RecomputeRun
        fields = [
            "id",
            "mode",
            "status",
            "as_of",
            "triggered_by",
            "chunk_size",
            "chunks_total",
            "chunks_done",
            "persons_examined",
            "persons_changed",
            "persons_failed",
            "started_at",
            "finished_at",
            "heartbeat_at",
        ]
        read_only_fields = fields
