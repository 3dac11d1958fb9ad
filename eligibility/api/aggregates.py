"""Aggregates for analysts: GET /api/v1/aggregates/<name>, each {"parameters", "rows", "totals"}.

The numbers are computed by the database (`eligibility.reports`) and scoped to the caller's regions.
They are counts, not persons: no personal data leaves through these views, so they write no
personal-data access log (unlike the reporting lists). Query parameters are strict: an unknown or
repeated parameter, an impossible date or a value out of range is a 400 in the error shape.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, ClassVar

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from eligibility import reports
from eligibility.models import CoverageState
from enrollment.api.support import ApiView, parse_date_param
from enrollment.models import ApiScope, CaseKind, CaseState, Region, Scheme
from enrollment.scoping import regions_of
from payments.models import Channel

MAX_DAYS = 366
DEFAULT_DAYS = 30
REGION_CODE = re.compile(r"[0-9]{6}")
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
TAGS = ["aggregates"]


def _today() -> datetime.date:
    """Today in Asia/Shanghai: the entry point reads the clock, the selectors take the day."""
    return timezone.localdate()


# --- parameters -----------------------------------------------------------------------------------


def _invalid(name: str, message: Any, code: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [message]}, code=code)


def _region_code(value: str | None, *, user: Any) -> str | None:
    """A region the caller serves, by its division code; None when not given."""
    if value is None:
        return None
    if not REGION_CODE.fullmatch(value):
        raise _invalid("region", _("Give the region as its 6-digit division code, e.g. 360100."), "invalid_region")
    region = Region.objects.filter(code=value).only("pk").first()
    if region is None:
        raise _invalid("region", _("No region has the code %(code)s.") % {"code": value}, "unknown_region")
    served = regions_of(user)
    if served is not None and region.pk not in served:
        raise exceptions.PermissionDenied(_("This client does not serve the region %(code)s.") % {"code": value})
    return value


def _choice(value: str | None, *, name: str, choices: list[str]) -> str | None:
    if value is None:
        return None
    if value not in choices:
        raise _invalid(
            name,
            _("Unknown value %(value)s: give one of %(choices)s.") % {"value": value, "choices": ", ".join(choices)},
            "invalid_choice",
        )
    return value


def _month_or_date(value: str, *, name: str, end: bool) -> datetime.date:
    """YYYY-MM (the first day of the month, or its last day for an end) or YYYY-MM-DD."""
    month = MONTH.fullmatch(value)
    if month is None:
        return parse_date_param(value, name=name)
    year, number = int(month.group(1)), int(month.group(2))
    if year < 1 or not 1 <= number <= 12:
        raise _invalid(name, _("Give a real month as YYYY-MM or a date as YYYY-MM-DD."), "invalid_date")
    if not end:
        return datetime.date(year, number, 1)
    if number == 12:
        return datetime.date(year, 12, 31)
    return datetime.date(year, number + 1, 1) - datetime.timedelta(days=1)


def _days(value: str | None) -> int:
    if value is None:
        return DEFAULT_DAYS
    message = _("Give the number of days as a whole number from 1 to %(max)d.") % {"max": MAX_DAYS}
    try:
        days = int(value)
    except ValueError:
        raise _invalid("days", message, "invalid_days") from None
    if not 1 <= days <= MAX_DAYS:
        raise _invalid("days", message, "invalid_days")
    return days


REGION_PARAMETER = OpenApiParameter(
    "region",
    str,
    pattern=r"^\d{6}$",
    description="Only this region (6-digit division code); it must be one the client serves.",
)
SCHEME_PARAMETER = OpenApiParameter("scheme", str, enum=Scheme.values, description="Only this scheme.")


# --- response shapes ----------------------------------------------------------------------------


class SnapshotDatesSerializer(serializers.Serializer):
    snapshot_as_of_min = serializers.DateField(
        allow_null=True, help_text="The earliest day on which a counted stored status was computed."
    )
    snapshot_as_of_max = serializers.DateField(
        allow_null=True, help_text="The latest day on which a counted stored status was computed."
    )


class RegionSchemeParametersSerializer(serializers.Serializer):
    region = serializers.CharField(allow_null=True)
    scheme = serializers.ChoiceField(choices=Scheme.choices, allow_null=True)


class InsuredParametersSerializer(RegionSchemeParametersSerializer):
    on = serializers.DateField()


class InsuredRowSerializer(SnapshotDatesSerializer):
    region = serializers.CharField(help_text="The enrolment's region (division code).")
    scheme = serializers.ChoiceField(choices=Scheme.choices)
    coverage_state = serializers.ChoiceField(
        choices=[*CoverageState.values, reports.UNKNOWN],
        help_text="The stored status (computed on snapshot_as_of), or unknown when the person has none.",
    )
    persons = serializers.IntegerField()


class InsuredTotalsSerializer(SnapshotDatesSerializer):
    persons = serializers.IntegerField(help_text="Each person once, however many schemes.")
    enrolments = serializers.IntegerField(help_text="The sum of the rows (a person in two schemes counts twice).")


class InsuredPersonsSerializer(serializers.Serializer):
    parameters = InsuredParametersSerializer()
    rows = InsuredRowSerializer(many=True)
    totals = InsuredTotalsSerializer()


class PaymentsParametersSerializer(RegionSchemeParametersSerializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        # "from" is a Python keyword: declare the fields under other names, publish them as from/to.
        fields["from"] = fields.pop("date_from")
        fields["to"] = fields.pop("date_to")
        return fields


class PaymentsRowSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM of paid_on (Asia/Shanghai).")
    channel = serializers.ChoiceField(choices=Channel.choices)
    payments = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class PaymentsTotalsSerializer(serializers.Serializer):
    payments = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class PaymentsByChannelMonthSerializer(serializers.Serializer):
    parameters = PaymentsParametersSerializer()
    rows = PaymentsRowSerializer(many=True)
    totals = PaymentsTotalsSerializer()


class GapRowSerializer(serializers.Serializer):
    bucket = serializers.ChoiceField(choices=[*(b.label for b in reports.GAP_BUCKETS), reports.UNKNOWN])
    min_months = serializers.IntegerField(allow_null=True)
    max_months = serializers.IntegerField(allow_null=True, help_text="null: no upper bound (or unknown).")
    persons = serializers.IntegerField()


class PersonsTotalsSerializer(SnapshotDatesSerializer):
    persons = serializers.IntegerField()


class InterruptionsSerializer(serializers.Serializer):
    parameters = RegionSchemeParametersSerializer()
    rows = GapRowSerializer(many=True)
    totals = PersonsTotalsSerializer()


class WaitingParametersSerializer(RegionSchemeParametersSerializer):
    days = serializers.IntegerField()
    today = serializers.DateField()
    until = serializers.DateField()


class WaitingRowSerializer(serializers.Serializer):
    waiting_end = serializers.DateField()
    scheme = serializers.CharField(help_text="The scheme of the stored status (empty when none).")
    persons = serializers.IntegerField()


class WaitingTotalsSerializer(PersonsTotalsSerializer):
    by_scheme = serializers.DictField(child=serializers.IntegerField())


class WaitingEndingSerializer(serializers.Serializer):
    parameters = WaitingParametersSerializer()
    rows = WaitingRowSerializer(many=True)
    totals = WaitingTotalsSerializer()


class ContinuityParametersSerializer(RegionSchemeParametersSerializer):
    state = serializers.ChoiceField(choices=CoverageState.choices, allow_null=True)


class ContinuityRowSerializer(serializers.Serializer):
    bucket = serializers.ChoiceField(choices=[*(b.label for b in reports.CONTINUITY_BUCKETS), reports.UNKNOWN])
    min_years = serializers.IntegerField(allow_null=True)
    max_years = serializers.IntegerField(allow_null=True, help_text="null: no upper bound (or unknown).")
    persons = serializers.IntegerField()


class ContinuitySerializer(serializers.Serializer):
    parameters = ContinuityParametersSerializer()
    rows = ContinuityRowSerializer(many=True)
    totals = PersonsTotalsSerializer()


class CasesParametersSerializer(serializers.Serializer):
    region = serializers.CharField(allow_null=True)
    today = serializers.DateField(help_text="Overdue: due before this day while with the agency.")


class CasesRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CaseKind.choices)
    state = serializers.ChoiceField(choices=CaseState.choices)
    cases = serializers.IntegerField()
    overdue = serializers.IntegerField()


class CasesTotalsSerializer(serializers.Serializer):
    cases = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()


class CasesSerializer(serializers.Serializer):
    parameters = CasesParametersSerializer()
    rows = CasesRowSerializer(many=True)
    totals = CasesTotalsSerializer()


# --- views --------------------------------------------------------------------------------------


class AggregateView(ApiView):
    """An aggregate: `reporting:read`, strict query parameters, the answer in one shape."""

    required_scope = ApiScope.REPORTING_READ
    parameters: ClassVar[tuple[str, ...]] = ()
    response_serializer: ClassVar[type[serializers.Serializer]]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        unknown = sorted(set(request.query_params) - set(self.parameters))
        if unknown:
            raise _invalid(
                "unknown",
                _("Unknown parameter: %(names)s. This aggregate accepts: %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(sorted(self.parameters)) or "-"},
                "unknown_filter",
            )
        for name in self.parameters:
            if len(request.query_params.getlist(name)) > 1:
                raise _invalid(name, _("Give this parameter once."), "repeated_parameter")

    def answer(self, parameters: dict[str, Any], result: reports.Aggregate) -> Response:
        body = {"parameters": parameters, "rows": result.rows, "totals": result.totals}
        return Response(self.response_serializer(body).data)

    def common(self, request: Request) -> dict[str, Any]:
        params = request.query_params
        return {
            "region": _region_code(params.get("region"), user=request.user),
            "scheme": _choice(params.get("scheme"), name="scheme", choices=Scheme.values),
        }


class InsuredPersonsView(AggregateView):
    parameters = ("on", "region", "scheme")
    response_serializer = InsuredPersonsSerializer

    @extend_schema(
        operation_id="aggregates_insured_persons",
        tags=TAGS,
        summary="Insured persons by region × scheme × stored status on a day",
        description=(
            "Persons with an enrolment in force on `on` (suspended enrolments left out), by the enrolment's "
            "region, scheme and stored coverage status. The status is the one the nightly recompute stored, "
            "computed on `snapshot_as_of_*`, not necessarily on `on`; persons without one are `unknown`."
        ),
        parameters=[
            OpenApiParameter("on", OpenApiTypes.DATE, description="The day (default: today, Asia/Shanghai)."),
            REGION_PARAMETER,
            SCHEME_PARAMETER,
        ],
        responses=InsuredPersonsSerializer,
    )
    def get(self, request: Request) -> Response:
        raw_on = request.query_params.get("on")
        on = _today() if raw_on is None else parse_date_param(raw_on, name="on")
        common = self.common(request)
        result = reports.insured_persons_count(
            user=request.user, on=on, region_code=common["region"], scheme=common["scheme"]
        )
        return self.answer({"on": on, **common}, result)


class PaymentsByChannelMonthView(AggregateView):
    parameters = ("from", "to", "region", "scheme")
    response_serializer = PaymentsByChannelMonthSerializer

    @extend_schema(
        operation_id="aggregates_payments_by_channel_month",
        tags=TAGS,
        summary="Recorded payments by channel × month: count and amount",
        description=(
            "Payments recorded and not reversed, paid on a day from `from` to `to` (both included), by "
            "channel and month of the payment day. `region`: the payer's household region."
        ),
        parameters=[
            OpenApiParameter(
                "from", str, description="YYYY-MM (its first day) or YYYY-MM-DD; default: 1 January this year."
            ),
            OpenApiParameter(
                "to", str, description="YYYY-MM (its last day) or YYYY-MM-DD; default: 31 December this year."
            ),
            REGION_PARAMETER,
            SCHEME_PARAMETER,
        ],
        responses=PaymentsByChannelMonthSerializer,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        year = _today().year
        raw_from, raw_to = params.get("from"), params.get("to")
        date_from = datetime.date(year, 1, 1) if raw_from is None else _month_or_date(raw_from, name="from", end=False)
        date_to = datetime.date(year, 12, 31) if raw_to is None else _month_or_date(raw_to, name="to", end=True)
        if date_from > date_to:
            raise _invalid("to", _("The end of the period is before its start."), "invalid_period")
        common = self.common(request)
        result = reports.payments_by_channel_month(
            user=request.user,
            date_from=date_from,
            date_to=date_to,
            region_code=common["region"],
            scheme=common["scheme"],
        )
        return self.answer({"from": date_from, "to": date_to, **common}, result)


class InterruptionsView(AggregateView):
    parameters = ("region", "scheme")
    response_serializer = InterruptionsSerializer

    @extend_schema(
        operation_id="aggregates_interruptions",
        tags=TAGS,
        summary="Interrupted persons by gap length",
        description=(
            "Persons whose stored status is interrupted, by gap_months (full months without cover before the "
            "month of the status): 0, 1, 2, 3, 4-6, 7-12, >12, unknown. Every bucket is listed. `scheme`: the "
            "scheme of the last cover."
        ),
        parameters=[REGION_PARAMETER, SCHEME_PARAMETER],
        responses=InterruptionsSerializer,
    )
    def get(self, request: Request) -> Response:
        common = self.common(request)
        result = reports.interruptions_by_gap(user=request.user, region_code=common["region"], scheme=common["scheme"])
        return self.answer(common, result)


class WaitingEndingView(AggregateView):
    parameters = ("days", "region", "scheme")
    response_serializer = WaitingEndingSerializer

    @extend_schema(
        operation_id="aggregates_waiting_ending",
        tags=TAGS,
        summary="Waiting periods ending in the next days, per day and scheme",
        description=(
            "Persons in a waiting period whose waiting period ends from today to today + `days` (both included, "
            "Asia/Shanghai), per day and scheme; only days with someone are listed."
        ),
        parameters=[
            OpenApiParameter(
                "days", int, description=f"1 to {MAX_DAYS} (default {DEFAULT_DAYS}).", default=DEFAULT_DAYS
            ),
            REGION_PARAMETER,
            SCHEME_PARAMETER,
        ],
        responses=WaitingEndingSerializer,
    )
    def get(self, request: Request) -> Response:
        days = _days(request.query_params.get("days"))
        common = self.common(request)
        today = _today()
        result = reports.waiting_periods_ending(
            user=request.user, today=today, days=days, region_code=common["region"], scheme=common["scheme"]
        )
        until = today + datetime.timedelta(days=days)
        return self.answer({"days": days, "today": today, "until": until, **common}, result)


class ContinuityView(AggregateView):
    parameters = ("region", "scheme", "state")
    response_serializer = ContinuitySerializer

    @extend_schema(
        operation_id="aggregates_continuity",
        tags=TAGS,
        summary="Persons by continuous years",
        description=(
            "Stored continuous years in buckets chosen for the critical-illness incentive (RULES.md INC-2/INC-4, "
            "Jiangxi): 0, 1, 2, 3, 4 (no increment yet: it starts in year 5), 5-9 and 10-23 (3,000 more per year "
            "beyond 4), 24+ (the increment has reached its 20% maximum), unknown (none stored)."
        ),
        parameters=[
            REGION_PARAMETER,
            SCHEME_PARAMETER,
            OpenApiParameter("state", str, enum=CoverageState.values, description="Only this stored status."),
        ],
        responses=ContinuitySerializer,
    )
    def get(self, request: Request) -> Response:
        common = self.common(request)
        state = _choice(request.query_params.get("state"), name="state", choices=CoverageState.values)
        result = reports.continuity_distribution(
            user=request.user, region_code=common["region"], scheme=common["scheme"], state=state
        )
        return self.answer({**common, "state": state}, result)


class CasesView(AggregateView):
    parameters = ("region",)
    response_serializer = CasesSerializer

    @extend_schema(
        operation_id="aggregates_cases",
        tags=TAGS,
        summary="Cases by kind × state, with overdue counts",
        description=(
            "Cases of the handling region by kind and state (combinations that occur). Overdue as in the "
            "clerks' overdue queue: submitted or in review with the due day before today (waiting for the "
            "resident stops the clock)."
        ),
        parameters=[REGION_PARAMETER],
        responses=CasesSerializer,
    )
    def get(self, request: Request) -> Response:
        region = _region_code(request.query_params.get("region"), user=request.user)
        today = _today()
        result = reports.cases_by_kind_state(user=request.user, today=today, region_code=region)
        return self.answer({"region": region, "today": today}, result)


urlpatterns = [
    path("aggregates/insured-persons", InsuredPersonsView.as_view(), name="aggregates-insured-persons"),
    path(
        "aggregates/payments-by-channel-month",
        PaymentsByChannelMonthView.as_view(),
        name="aggregates-payments-by-channel-month",
    ),
    path("aggregates/interruptions", InterruptionsView.as_view(), name="aggregates-interruptions"),
    path("aggregates/waiting-ending", WaitingEndingView.as_view(), name="aggregates-waiting-ending"),
    path("aggregates/continuity", ContinuityView.as_view(), name="aggregates-continuity"),
    path("aggregates/cases", CasesView.as_view(), name="aggregates-cases"),
]
