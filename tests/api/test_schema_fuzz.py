"""The API against its own OpenAPI schema, fuzzed by schemathesis (issue 8, point 6).

Every operation of /api/schema/ is exercised, so an endpoint added later is fuzzed without touching
this file: schemathesis's examples, coverage (boundary and negative values of each parameter) and
fuzzing phases, positive and negative data, at most 50 generated examples per operation, with a fixed
seed so a run repeats. Requests go in-process through the Django WSGI application, inside the test's
transaction, so the small fixture below is what the API sees.

Each response must not be a 5xx, must have a documented status code and content type, and its body
must match the documented schema — for a 4xx that is the one error shape `{code, message, details}`.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import resolve
from django.utils import timezone
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from eligibility.models import RecomputeRun, RunMode, RunStatus
from eligibility.services import eligibility_recompute
from enrollment.models import ApiScope, CaseKind, CaseState, Scheme
from payments.services import PaymentRequest, payment_record
from tests.factories import CaseFactory, EnrollmentFactory, PersonFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEMA_URL = "/api/schema/"
MAX_EXAMPLES = 50
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
ALL_SCOPES = [scope.value for scope in ApiScope]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261202,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
    }
)


@pytest.fixture
def fuzz_data(policies, nanchang, fuzhou):
    """A few persons with enrolments, payments (hence ledger rows), snapshots and cases, and a job run."""
    as_of = dt.date(2026, 12, 1)
    persons = [
        PersonFactory(household_region=nanchang, name="张三", phone="13812345678"),
        PersonFactory(household_region=nanchang, name="李四", born=dt.date(1958, 6, 1)),
        PersonFactory(household_region=fuzhou, name="王五", born=dt.date(2019, 9, 9)),
    ]
    for number, person in enumerate(persons):
        EnrollmentFactory(person=person, region=person.household_region, scheme=Scheme.RESIDENT)
        for year in (2025, 2026)[: 2 - number % 2]:
            payment_record(
                person=person,
                request=PaymentRequest.resident_year(year),
                channel=("tax_wechat", "bank_counter")[(number + year) % 2],
                reference=f"FUZZ-{number}-{year}",
                amount=Decimal("400.00"),
                paid_at=dt.datetime(year - 1, 11, 10, 9, 30, tzinfo=SHANGHAI),
            )
        eligibility_recompute(person_id=person.pk, as_of=as_of)
    CaseFactory(person=persons[0], region=nanchang)
    CaseFactory(
        person=persons[2],
        region=fuzhou,
        kind=CaseKind.RESIDENT_ENROLMENT,
        state=CaseState.SUBMITTED,
        submitted_at=timezone.now() - dt.timedelta(days=40),
        due_on=as_of - dt.timedelta(days=10),
    )
    now = timezone.now()
    RecomputeRun.objects.create(
        as_of=as_of,
        mode=RunMode.FULL,
        status=RunStatus.FINISHED,
        triggered_by="fuzz",
        chunk_size=500,
        chunks_total=1,
        chunks_done=1,
        persons_examined=3,
        persons_changed=3,
        started_at=now - dt.timedelta(minutes=2),
        heartbeat_at=now,
        finished_at=now,
    )
    return persons


def _served_schema() -> dict:
    """The document the URLconf serves at /api/schema/, read at collection so that each operation
    is a test of its own. The view is called in-process (no test database or host exists yet, and
    the document needs neither); `test_the_fuzzed_schema_is_the_served_one` checks it is the same."""
    match = resolve(SCHEMA_URL)
    request = RequestFactory().get(SCHEMA_URL, {"format": "json"}, HTTP_ACCEPT="application/json")
    response = match.func(request, *match.args, **match.kwargs)
    response.render()
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)


SERVED_SCHEMA = _served_schema()
schema = schemathesis.openapi.from_dict(SERVED_SCHEMA, config=CONFIG)
schema.app = get_wsgi_application()


@pytest.fixture
def wsgi_requests(settings):
    # schemathesis's WSGI client sends Host: localhost; the test settings allow only testserver.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # A real WSGI handler closes the database connection around each request, which would end the
    # test's transaction; Django's own test client disconnects these signals in the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_token(issue_token):
    # Every scope, every region, and a rate the run cannot reach (the throttle has its own tests).
    return issue_token(ALL_SCOPES, rate="1000000/hour", name="fuzz")


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_conforms_to_the_schema(case, fuzz_token, fuzz_data, wsgi_requests):
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_token}"}, checks=CHECKS)


def test_the_fuzzed_schema_is_the_served_one(client):
    served = client.get(SCHEMA_URL, {"format": "json"}, HTTP_ACCEPT="application/json").json()
    assert served == SERVED_SCHEMA


def test_every_operation_is_fuzzed():
    # The parametrisation above comes from the schema itself: an endpoint added later is fuzzed too.
    # This guards against an empty or truncated schema making the fuzzing pass vacuously.
    operations = {f"{method.upper()} {path}" for path, item in SERVED_SCHEMA["paths"].items() for method in item}
    assert {"GET /api/v1/me", "GET /api/v1/persons", "GET /api/v1/persons/{id}", "POST /api/v1/eligibility/check"} <= (
        operations
    )
    fuzzed = {f"{result.ok().method.upper()} {result.ok().path}" for result in schema.get_all_operations()}
    assert fuzzed == operations
