"""The hospitals' eligibility check: POST /api/v1/eligibility/check (scope eligibility:check).

The view validates the request (ID number with its checksum and birth date, real calendar dates
within `eligibility.check.service_date_bounds`), asks `eligibility.check.eligibility_check` and logs
the access; an unknown person and a person of a region the client does not serve get the same 404.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from eligibility.check import AccessEntry, CheckAnswer, Source, eligibility_check, service_date_bounds
from eligibility.models import CoverageState
from enrollment.api.auth import ApiPrincipal
from enrollment.api.support import ApiView
from enrollment.identity import parse_id_number
from enrollment.models import AccessChannel, ApiScope, Scheme
from enrollment.scoping import regions_of

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NOT_FOUND_MESSAGE = _("No insured person with this ID number is registered in the regions this client serves.")


class StrictDateField(serializers.DateField):
    """YYYY-MM-DD only, and a real calendar day: 2025-02-30 gets a message saying so, not "wrong format"."""

    default_error_messages = {
        "invalid_date": _("Give a real calendar date as YYYY-MM-DD, e.g. 2026-03-01."),
    }

    def to_internal_value(self, value: Any) -> datetime.date:
        if not isinstance(value, str) or not ISO_DATE.match(value):
            self.fail("invalid_date")
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.fail("invalid_date")


class EligibilityCheckSerializer(serializers.Serializer):
    id_number = serializers.CharField(
        max_length=40, help_text="The patient's 18-character resident ID number (full-width digits are accepted)."
    )
    service_date = StrictDateField(help_text="The day of the service (YYYY-MM-DD).")
    inpatient = serializers.BooleanField(help_text="Whether the service is part of an inpatient stay.")
    admission_date = StrictDateField(
        required=False,
        help_text="For an inpatient stay admitted before the service date; default: the service date.",
    )

    def validate_id_number(self, value: str) -> str:
        try:
            return parse_id_number(value, today=timezone.localdate()).number
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages[0], code="invalid_id_number") from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {
                    "unknown": [
                        _("Unknown field: %(names)s. This operation accepts: %(known)s.")
                        % {"names": ", ".join(unknown), "known": ", ".join(self.fields)}
                    ]
                },
                code="unknown_field",
            )
        earliest, latest = service_date_bounds(today=timezone.localdate())
        bounds = {"earliest": earliest.isoformat(), "latest": latest.isoformat()}
        for name in ("service_date", "admission_date"):
            day = attrs.get(name)
            if day is not None and not earliest <= day <= latest:
                raise serializers.ValidationError(
                    {name: [_("Give a date from %(earliest)s to %(latest)s.") % bounds]}, code="date_out_of_range"
                )
        admission = attrs.get("admission_date")
        if admission is not None and not attrs["inpatient"]:
            raise serializers.ValidationError(
                {"admission_date": [_("An admission date is given for inpatient stays only.")]},
                code="admission_without_stay",
            )
        if admission is not None and admission > attrs["service_date"]:
            raise serializers.ValidationError(
                {"admission_date": [_("The admission date cannot be after the service date.")]},
                code="admission_after_service",
            )
        return attrs


CHECK_FIELDS = frozenset(EligibilityCheckSerializer().fields)
REQUIRED_FIELDS = frozenset({"id_number", "service_date", "inpatient"})


def ordinary_request(body: Any) -> dict[str, Any] | None:
    """The validated request when it is an ordinary, valid one; None for anything else, which the
    serializer then validates and answers with its messages. The hospitals send thousands of these
    an hour, and the serializer cost a fifth of the whole check; whatever this accepts, the
    serializer accepts with the same values (tests/api/test_check.py)."""
    if type(body) is not dict or not REQUIRED_FIELDS <= body.keys() <= CHECK_FIELDS:
        return None
    number, service, inpatient = body["id_number"], body["service_date"], body["inpatient"]
    admission = body.get("admission_date")
    if type(number) is not str or number != number.strip() or not 0 < len(number) <= 40 or type(inpatient) is not bool:
        return None
    days = [service, admission] if "admission_date" in body else [service]
    if any(type(day) is not str or not ISO_DATE.match(day) for day in days):
        return None
    today = timezone.localdate()
    earliest, latest = service_date_bounds(today=today)
    try:
        service_day = datetime.date.fromisoformat(service)
        admission_day = None if admission is None else datetime.date.fromisoformat(admission)
        id_number = parse_id_number(number, today=today).number
    except (ValueError, DjangoValidationError):
        return None
    if not earliest <= service_day <= latest:
        return None
    if admission_day is not None and (not inpatient or not earliest <= admission_day <= service_day):
        return None
    data = {"id_number": id_number, "service_date": service_day, "inpatient": inpatient}
    if admission_day is not None:
        data["admission_date"] = admission_day
    return data


class EligibilityCheckResultSerializer(serializers.Serializer):
    covered = serializers.BooleanField(help_text="Whether the fund pays for the service.")
    state = serializers.ChoiceField(choices=CoverageState.choices, help_text="The status on the judged day.")
    scheme = serializers.ChoiceField(
        choices=Scheme.choices, allow_null=True, help_text="The scheme that pays (or would pay); null: none."
    )
    service_date = serializers.DateField()
    judged_on = serializers.DateField(help_text="The day judged: the admission date for inpatient stays (RES-8b).")
    benefits_from = serializers.DateField(allow_null=True)
    benefit_end = serializers.DateField(allow_null=True)
    waiting_start = serializers.DateField(allow_null=True)
    waiting_end = serializers.DateField(allow_null=True)
    retro_from = serializers.DateField(allow_null=True, help_text="The retroactive window (CLM-1), if any.")
    retro_to = serializers.DateField(allow_null=True)
    ci_cap = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="The critical-illness cap of the judged day's year (resident insurance), e.g. 306000.00.",
    )
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Rule IDs of RULES.md.")
    explanation = serializers.CharField(help_text="In the language of Accept-Language.")
    source = serializers.ChoiceField(
        choices=[(source.value, source.value) for source in Source],
        help_text="snapshot: the stored status of the judged day; rules: evaluated for the judged day.",
    )
    as_of = serializers.DateField(allow_null=True, help_text="The day of the stored status; null: none stored yet.")


class EligibilityCheckView(ApiView):
    """Whether a patient is covered on a service date, with the scheme, the dates and the reasons."""

    required_scope = ApiScope.ELIGIBILITY_CHECK

    @extend_schema(
        operation_id="eligibility_check",
        tags=["eligibility"],
        request=EligibilityCheckSerializer,
        responses={200: EligibilityCheckResultSerializer},
        examples=[
            OpenApiExample(
                "inpatient stay",
                value={
                    "id_number": "36010219900307123X",
                    "service_date": "2026-12-02",
                    "inpatient": True,
                    "admission_date": "2026-11-28",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = ordinary_request(request.data)
        if data is None:
            serializer = EligibilityCheckSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        answer = eligibility_check(
            id_number=data["id_number"],
            service_date=data["service_date"],
            inpatient=data["inpatient"],
            admission_date=data.get("admission_date"),
            regions=regions_of(request.user),
            access=access_entry(request, action="api:eligibility.check"),
        )
        if answer is None:
            raise exceptions.NotFound(NOT_FOUND_MESSAGE, code="person_not_found")
        return Response(result_body(answer))


def access_entry(request: Request, *, action: str) -> AccessEntry:
    """The access-log entry of this caller: its API client, or the staff member signed in."""
    user = request.user
    if isinstance(user, ApiPrincipal):
        return AccessEntry(action=action, channel=AccessChannel.API, api_client_id=user.client.pk)
    return AccessEntry(action=action, channel=AccessChannel.API, user_id=user.pk)


def _iso(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def result_body(answer: CheckAnswer) -> dict[str, Any]:
    """The 200 body, shaped as `EligibilityCheckResultSerializer` documents it (the schema test and
    the fuzz run validate it). Built by hand: on the hospitals' hot path the serializer cost about as
    much as the database query."""
    values = answer.values
    return {
        "covered": answer.covered,
        "state": answer.state,
        "scheme": answer.scheme,
        "service_date": answer.service_date.isoformat(),
        "judged_on": answer.judged_on.isoformat(),
        "benefits_from": _iso(values.benefits_from),
        "benefit_end": _iso(values.benefit_end),
        "waiting_start": _iso(values.waiting_start),
        "waiting_end": _iso(values.waiting_end),
        "retro_from": _iso(values.retro_from),
        "retro_to": _iso(values.retro_to),
        "ci_cap": None if answer.ci_cap is None else format(answer.ci_cap, ".2f"),
        "reasons": list(answer.reasons),
        "explanation": answer.explanation,
        "source": answer.source.value,
        "as_of": _iso(answer.as_of),
    }


urlpatterns: list[URLPattern] = [
    path("eligibility/check", EligibilityCheckView.as_view(), name="eligibility-check"),
]
