"""Read-only serializers of the payments' reporting resources. Money is a Decimal, given as a string."""

from __future__ import annotations

from rest_framework import serializers

from enrollment.api.support import masked_id_number
from payments.models import LedgerEntry, Payment


class PaymentSerializer(serializers.ModelSerializer):
    person_id_number = masked_id_number(source="person.id_number")

    class Meta:
        model = Payment
        fields = [
            "id",
            "person",
            "person_id_number",
            "channel",
            "reference",
            "kind",
            "scheme",
            "coverage_year",
            "cover_from",
            "cover_to",
            "amount",
            "paid_on",
            "status",
            "created_at",
        ]
        read_only_fields = fields


class LedgerEntrySerializer(serializers.ModelSerializer):
    person_id_number = masked_id_number(source="person.id_number")
    region = serializers.CharField(source="region.code", read_only=True, help_text="The region the period was paid in.")
    voided = serializers.SerializerMethodField(help_text="Voided entries do not count (listed on request only).")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "person",
            "person_id_number",
            "scheme",
            "region",
            "period",
            "kind",
            "counts_for_continuity",
            "amount_due",
            "amount_paid",
            "paid_on",
            "payment",
            "voided",
            "voided_at",
        ]
        read_only_fields = fields

    def get_voided(self, entry: LedgerEntry) -> bool:
        return entry.voided_at is not None
