"""Read-only serializers of the register's reporting resources.

Personal values (ID numbers, names, phones) go through the masked fields of `enrollment.api.support`;
free text that may hold personal data (case details, documents, decision reasons) is not exposed.
"""

from __future__ import annotations

from rest_framework import serializers

from enrollment.api.support import masked_id_number, masked_name, masked_phone
from enrollment.models import Case, Enrollment, Person


class PersonSerializer(serializers.ModelSerializer):
    id_number = masked_id_number()
    name = masked_name()
    phone = masked_phone()
    region = serializers.CharField(source="household_region.code", read_only=True, help_text="Household region.")

    class Meta:
        model = Person
        fields = ["id", "id_number", "name", "gender", "birth_date", "phone", "region", "category", "created_at"]
        read_only_fields = fields


class EnrollmentSerializer(serializers.ModelSerializer):
    person_id_number = masked_id_number(source="person.id_number")
    region = serializers.CharField(source="region.code", read_only=True, help_text="The enrolment's region.")

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "person",
            "person_id_number",
            "scheme",
            "region",
            "start_date",
            "end_date",
            "status",
            "employer_name",
        ]
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True, help_text="The handling region.")
    person_id_number = masked_id_number(source="person.id_number")
    assigned_to = serializers.CharField(
        source="assigned_to.username", read_only=True, allow_null=True, help_text="The clerk's user name."
    )
    overdue = serializers.BooleanField(
        read_only=True, help_text="The deadline passed while the case was with the agency (submitted or in review)."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "kind",
            "state",
            "region",
            "person",
            "person_id_number",
            "assigned_to",
            "submitted_at",
            "due_on",
            "overdue",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields
