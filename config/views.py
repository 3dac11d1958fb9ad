"""The landing page and the health check; everything else lives in the apps."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from payments.policy_years import year_readiness


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and the deployment smoke test: the process is up and the database answers.

    `year` says what the coming year lacks (regions without a published policy profile, years the
    work calendar lacks): a field for monitoring, never a failure, since today's work goes on.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    readiness = year_readiness(as_of=timezone.localdate())
    year = {
        "next_year": readiness.next_year,
        "warn": readiness.warn,
        "regions_without_next_year_policy": [region.code for region in readiness.regions_without_next_year]
        if readiness.warn
        else [],
        "regions_without_this_year_policy": [region.code for region in readiness.regions_without_this_year],
        "work_calendar_missing_years": readiness.calendar_missing_years,
    }
    return JsonResponse({"status": "ok", "database": connection.vendor, "year": year})
