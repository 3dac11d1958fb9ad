"""The permission matrix (issue 16): every route of the URL configuration, requested with GET and with
POST (a valid CSRF token) by every role, against the one table of expected outcomes in
tests/security/matrix.py. A route without an entry there fails the test.

How the three findings it was written for would have been caught (each seen failing by reverting
its fix locally):

- finding 1: `admin:enrollment_case_move` POST {"action": "start_review"} by the analyst is expected
  `forbidden`; with `move_view` checking only the view permission the analyst gets a redirect:
  observed `allowed` (seen: 2 of 3886 requests off the table, the case of each region; `write` as
  well when the services' own check is reverted too, as before the fix).
- finding 3: `admin:enrollment_case_document_download` GET by the analyst is expected `forbidden`;
  before the fix the scan was served (200): observed `allowed`.
- finding 8: `admin:enrollment_person_recompute` POST by the analyst is expected `forbidden`; before
  the fix the recompute ran and redirected: observed `allowed` (or `write` when the status changed).

Each request runs inside a savepoint that is rolled back, so every request meets the same world and a
write by one role cannot hide or cause a write by the next; a POST's writes are seen by comparing the
database's fingerprint (rows of the application's tables) before the rollback with the one taken
once before the matrix.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from enrollment import cases
from enrollment.api_clients import api_client_create
from enrollment.models import (
    ApiClientKind,
    ApiScope,
    CaseKind,
    FamilyRelation,
    PersonAccess,
    WorkCalendarDay,
)
from tests.factories import EnrollmentFactory, PersonEventFactory, PersonFactory, UserFactory
from tests.security import matrix
from tests.security.routes import Route, url_routes

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"
CSRF_SECRET = "matrixcsrfsecret0123456789abcdef"  # 32 letters and digits: a valid unmasked token
IMPORT_HEADER = ["身份证号", "姓名", "险种", "所属期", "金额", "缴费渠道", "交易流水号", "缴费时间"]

# The tables whose rows the fingerprint compares. The access log (PersonAccess) records reads and is
# written by GETs by design; sessions, axes' attempts and the cache belong to signing in.
FINGERPRINT_APPS = ("auth", "admin", "enrollment", "payments", "eligibility")
FINGERPRINT_SKIP = {PersonAccess._meta.db_table}


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture(autouse=True)
def case_documents(settings, tmp_path):
    settings.CASE_DOCUMENT_ROOT = tmp_path / "case_documents"


# --- the world -------------------------------------------------------------------------------------------


class World:
    """A person of each region (A: Nanchang, the clerk's; B: Fuzhou) with a portal account, a payment
    and its ledger, a stored status, a resident's application with a scan, an enrolment, an event, a
    relation, a reminder, a claim year, an import preview and a policy draft; and the unscoped rows
    (a group, a user, an API client, a work-calendar day, a recompute run)."""

    def __init__(self, *, resident, clerk, other_region_clerk, nanchang, fuzhou) -> None:
        from eligibility.models import ClaimYear, Notification, NotificationKind, RecomputeRun, RunMode, RunStatus
        from eligibility.services import eligibility_recompute
        from payments.imports import payments_import
        from payments.models import PolicyProfile
        from payments.policy_years import policy_rollover
        from payments.services import PaymentRequest, payment_record

        self.objects: dict[str, dict[str, int]] = {}
        today = timezone.localdate()
        b_user = UserFactory(username="resident_b")
        person_b = PersonFactory(household_region=fuzhou, user=b_user)
        for region, person, staff in (("A", resident, clerk), ("B", person_b, other_region_clerk)):
            payment = payment_record(
                person=person,
                request=PaymentRequest.resident_year(2026),
                channel="tax_wechat",
                reference=f"WX-MATRIX-{region}",
                amount=Decimal("400.00"),
                paid_at=datetime.datetime(2025, 11, 10, 9, 30, tzinfo=SHANGHAI),
            ).payment
            snapshot, _changed = eligibility_recompute(person_id=person.pk, as_of=today)
            case = cases.case_apply(
                person=person,
                kind=CaseKind.FLEXIBLE_ENROLMENT,
                details={"start_date": "2026-03-01"},
                by=person.user,
                uploads={"id_card": SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")},
            )
            relative = PersonFactory(household_region=person.household_region)
            relation = FamilyRelation.objects.create(person=person, relative=relative, kind="spouse")
            notification = Notification.objects.create(
                person=person,
                kind=NotificationKind.values[0],
                subject_on=today,
                send_on=today,
                expires_on=today + datetime.timedelta(days=30),
                fingerprint=f"matrix-{region}",
                params={
                    **{key: today.isoformat() for key in ("deadline", "after", "waiting_end", "benefits_from")},
                    **{key: today.isoformat() for key in ("start", "end", "late_end")},
                    "last_month": "2026-01",
                    "grace": 3,
                    "year": 2026,
                },
            )
            batch = payments_import(
                content=_import_file(person, region), file_name="daily.csv", uploaded_by=staff, dry_run=True
            )
            source = PolicyProfile.objects.published().filter(region=person.household_region).latest("coverage_year")
            draft = policy_rollover(sources=[source], actor=None).created[0]
            ledger = payment.ledger_entries.first() if hasattr(payment, "ledger_entries") else None
            self._add("enrollment.person", region, person.pk)
            self._add("payments.payment", region, payment.pk)
            self._add("payments.ledgerentry", region, ledger.pk if ledger else _first("payments.ledgerentry", person))
            self._add("eligibility.eligibilitysnapshot", region, snapshot.pk)
            self._add("enrollment.case", region, case.pk)
            self._add("enrollment.casedocument", region, case.documents.get(code="id_card").pk)
            self._add("enrollment.enrollment", region, EnrollmentFactory(person=person).pk)
            self._add("enrollment.personevent", region, PersonEventFactory(person=person).pk)
            self._add("enrollment.familyrelation", region, relation.pk)
            self._add("eligibility.notification", region, notification.pk)
            claim = ClaimYear.objects.create(person=person, year=2025, reimbursed=Decimal("0.00"), ci_reward_used=False)
            self._add("eligibility.claimyear", region, claim.pk)
            decision = _first("eligibility.benefitdecision", person)
            if decision:
                self._add("eligibility.benefitdecision", region, decision)
            self._add("payments.importbatch", region, batch.pk)
            self._add("payments.policyprofile", region, draft.pk)
            self._add("enrollment.staffregion", region, staff.staff_regions.get().pk)
            self._add("enrollment.personaccess", region, _access(person, staff).pk)
            self._add("enrollment.region", region, person.household_region_id)
            self._add("person.history", region, person.history.order_by("history_id").first().history_id)
        # unscoped rows: a single object, used for both "regions"
        self._add("auth.group", "A", clerk.groups.get().pk)
        self._add("auth.user", "A", clerk.pk)
        issued = api_client_create(name="matrix client", kind=ApiClientKind.REPORTING, scopes=[ApiScope.REPORTING_READ])
        self._add("enrollment.apiclient", "A", issued.client.pk)
        day = WorkCalendarDay.objects.order_by("date").first() or WorkCalendarDay.objects.create(
            date=datetime.date(2026, 5, 1), is_working_day=False, name="劳动节"
        )
        self._add("enrollment.workcalendarday", "A", day.pk)
        run = RecomputeRun.objects.create(
            as_of=today,
            mode=RunMode.values[0],
            status=RunStatus.DONE if hasattr(RunStatus, "DONE") else RunStatus.values[-1],
            triggered_by="matrix",
            chunk_size=100,
            started_at=timezone.now(),
            heartbeat_at=timezone.now(),
            finished_at=timezone.now(),
        )
        self._add("eligibility.recomputerun", "A", run.pk)
        self.person_content_type = ContentType.objects.get_for_model(apps.get_model("enrollment.person")).pk

    def _add(self, label: str, region: str, pk: int) -> None:
        self.objects.setdefault(label, {})[region] = pk

    def pk(self, label: str, region: str) -> int | None:
        found = self.objects.get(label, {})
        return found.get(region, found.get("A") if label in UNSCOPED else None)

    def values(self, route: Route, region: str) -> dict[str, object] | None:
        """The path parameters of `route` for the objects of `region`, or None if they cannot be filled."""
        values: dict[str, object] = {}
        model = _admin_model(route)
        for name in route.parameters:
            if name == "object_id" and route.key == "admin:view_on_site":
                value = self.pk("enrollment.person", region)
            elif name == "content_type_id":
                value = self.person_content_type
            elif name in ("object_id", "id") and model:
                value = self.pk(model, region)
            elif name in ("document_id",):
                value = self.pk("enrollment.casedocument", region)
            elif name == "case_id":
                value = self.pk("enrollment.case", region)
            elif name == "version_id":
                value = self.pk("person.history", region)
            elif name == "pk" and route.key == "payments:receipt":
                value = self.pk("payments.payment", region)
            elif name == "pk" and route.key in API_DETAIL:
                value = self.pk(API_DETAIL[route.key], region)
            elif name == "kind":
                value = CaseKind.FLEXIBLE_ENROLMENT.value
            elif name == "app_label":
                value = "enrollment"
            elif name == "url":
                value = "no-such-page/"
            else:
                return None
            if value is None:
                return None
            values[name] = value
        return values


UNSCOPED = {"auth.group", "auth.user", "enrollment.apiclient", "enrollment.workcalendarday", "eligibility.recomputerun"}
API_DETAIL = {
    "v1:persons-detail": "enrollment.person",
    "v1:enrollments-detail": "enrollment.enrollment",
    "v1:cases-detail": "enrollment.case",
    "v1:payments-detail": "payments.payment",
    "v1:ledger-detail": "payments.ledgerentry",
    "v1:snapshots-detail": "eligibility.eligibilitysnapshot",
    "v1:job-runs-detail": "eligibility.recomputerun",
}


def _admin_model(route: Route) -> str | None:
    parts = route.pattern.split("/")
    if parts[0] == "admin" and len(parts) > 3 and parts[1] in ("auth", "enrollment", "payments", "eligibility"):
        return f"{parts[1]}.{parts[2]}"
    return None


def _first(label: str, person) -> int | None:
    return apps.get_model(label).objects.filter(person=person).values_list("pk", flat=True).first()


def _access(person, staff):
    return PersonAccess.objects.create(at=timezone.now(), person=person, channel="admin", user=staff, action="matrix")


def _import_file(person, region: str) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(IMPORT_HEADER)
    writer.writerow(
        [person.id_number, person.name, "城乡居民医保", "2026", "400.00", "微信", f"MX-{region}", "2025-11-10 10:00"]
    )
    return out.getvalue().encode("gb18030")


@pytest.fixture
def world(policies, resident, clerk, other_region_clerk, nanchang, fuzhou) -> World:
    return World(
        resident=resident, clerk=clerk, other_region_clerk=other_region_clerk, nanchang=nanchang, fuzhou=fuzhou
    )


# --- the roles ----------------------------------------------------------------------------------------


@pytest.fixture
def credentials(world, resident, clerk, other_region_clerk, supervisor, analyst, administrator, nanchang, fuzhou):
    """role → ("session", session key) for the web roles, ("bearer", token) for the API clients, or None."""
    sessions: dict[str, tuple[str, str] | None] = {"anonymous": None}
    for role, user in (
        ("resident", resident.user),
        ("other_region_clerk", other_region_clerk),
        ("clerk", clerk),
        ("supervisor", supervisor),
        ("analyst", analyst),
        ("administrator", administrator),
    ):
        client = Client()
        client.force_login(user)
        sessions[role] = ("session", client.cookies["sessionid"].value)
    read, unmasked, check = ApiScope.REPORTING_READ, ApiScope.REPORTING_UNMASKED, ApiScope.ELIGIBILITY_CHECK
    for role, scopes, regions, kind in (
        ("api_read", [read], [], ApiClientKind.REPORTING),
        ("api_read_unmasked", [read, unmasked], [], ApiClientKind.REPORTING),
        ("api_read_region_b", [read], [fuzhou], ApiClientKind.REPORTING),
        ("api_check", [check], [], ApiClientKind.HOSPITAL),
    ):
        sessions[role] = ("bearer", api_client_create(name=role, kind=kind, scopes=scopes, regions=regions).token)
    return sessions


# --- requests and outcomes --------------------------------------------------------------------------------


def fingerprint() -> str:
    """A digest of every row of the application's tables (one query; the world has a few hundred rows).
    An API client's `last_used_at` is bookkeeping of every request, not a write by the caller."""
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in FINGERPRINT_APPS and model._meta.db_table not in FINGERPRINT_SKIP
    )
    row = "(to_jsonb(r) - 'last_used_at')::text"
    parts = " UNION ALL ".join(
        f"SELECT '{table}' AS t, md5(coalesce(string_agg({row}, '|' ORDER BY {row}), '')) AS h FROM \"{table}\" r"
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t, h FROM ({parts}) x ORDER BY t")  # noqa: S608 - table names from the models
        rows = cursor.fetchall()
    return hashlib.md5(json.dumps(rows).encode(), usedforsecurity=False).hexdigest()


LOGIN_PATHS = ("/admin/login/", "/my/account/login/")


def outcome_of(response) -> str:
    status = response.status_code
    if 300 <= status < 400:
        location = response.get("Location", "")
        return matrix.LOGIN if any(path in location for path in LOGIN_PATHS) else matrix.ALLOWED
    if 200 <= status < 300:
        return matrix.ALLOWED
    if status in (401, 403, 404, 405):
        return matrix.FORBIDDEN
    if status == 400:
        return matrix.INVALID
    return f"error {status}"


def request(client: Client, credential, method: str, path: str, body: dict) -> object:
    client.cookies.clear()
    client.cookies["csrftoken"] = CSRF_SECRET
    headers = {}
    if credential and credential[0] == "session":
        client.cookies["sessionid"] = credential[1]
    elif credential and credential[0] == "bearer":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {credential[1]}"
    if method == "GET":
        return client.get(path, **headers)
    if path.startswith("/api/"):  # the API reads JSON only
        return client.post(path, json.dumps(body), "application/json", HTTP_X_CSRFTOKEN=CSRF_SECRET, **headers)
    return client.post(path, {"csrfmiddlewaretoken": CSRF_SECRET, **body}, HTTP_X_CSRFTOKEN=CSRF_SECRET, **headers)


def observe(client, credential, method, path, body, baseline) -> str:
    """The outcome class of one request, its writes rolled back afterwards."""
    with transaction.atomic():
        response = request(client, credential, method, path, body)
        seen = outcome_of(response)
        if method == "POST" and fingerprint() != baseline:
            seen = matrix.WRITE
        transaction.set_rollback(True)
    return seen


def cases_to_run(world: World) -> Iterator[tuple[str, Route, str, str]]:
    """(key, route, path, role) for every route of the URL configuration and each of its roles."""
    for route in url_routes():
        entry = matrix.expected(route.key, route.family)
        if entry is None:
            continue  # reported by test_every_route_has_an_entry
        for variant in entry.variants:
            values = world.values(route, variant.region)
            if values is None:
                continue  # reported by test_every_route_is_requested
            yield variant.key, route, route.path(values), variant


def test_every_route_has_an_entry():
    missing = [route.key for route in url_routes() if matrix.expected(route.key, route.family) is None]
    assert not missing, f"routes without an expected outcome: {missing}; add an entry to tests/security/matrix.py"


def test_the_matrix(world, credentials):
    """Every route × role × method against its expected class."""
    cache.clear()
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    baseline = fingerprint()
    observed: dict[str, dict[str, dict[str, str]]] = {}
    mismatches: list[str] = []
    count = 0
    unfillable: list[str] = []
    for route in url_routes():
        entry = matrix.expected(route.key, route.family)
        assert entry is not None, f"{route.key}: add an entry to tests/security/matrix.py"
        if entry.skip:
            continue
        for variant in entry.variants:
            values = world.values(route, variant.region)
            if values is None:
                unfillable.append(variant.key)
                continue
            path = route.path(values)
            assert resolve(path).route == resolve(path).route  # the path resolves
            for role in matrix.roles_for(route.family):
                for method in ("GET", "POST"):
                    seen = observe(client, credentials[role], method, path, variant.body, baseline)
                    observed.setdefault(variant.key, {}).setdefault(role, {})[method] = seen
                    count += 1
                    wanted = variant.expect(role, method)
                    if seen != wanted:
                        mismatches.append(f"{variant.key} {method} {path} as {role}: expected {wanted}, got {seen}")
    if os.environ.get("MATRIX_RECORD"):
        with open(os.environ["MATRIX_RECORD"], "w", encoding="utf-8") as out:
            json.dump(observed, out, ensure_ascii=False, indent=1, sort_keys=True)
    print(f"permission matrix: {count} requests")  # noqa: T201
    assert not unfillable, f"routes whose parameters the world cannot fill (give a reason with skip=): {unfillable}"
    assert not mismatches, f"{len(mismatches)} of {count} requests off the table:\n" + "\n".join(mismatches)


def test_a_new_route_without_an_entry_fails(monkeypatch):
    from django.http import HttpResponse
    from django.urls import path

    from config import urls

    monkeypatch.setattr(urls, "urlpatterns", [*urls.urlpatterns, path("new/", lambda r: HttpResponse(), name="new")])
    from django.urls import clear_url_caches

    clear_url_caches()
    try:
        missing = [route.key for route in url_routes() if matrix.expected(route.key, route.family) is None]
    finally:
        monkeypatch.undo()
        clear_url_caches()
    assert missing == ["new"]
    with pytest.raises(AssertionError, match=r"\['new'\]; add an entry to tests/security/matrix.py"):
        monkeypatch.setattr(
            urls, "urlpatterns", [*urls.urlpatterns, path("new/", lambda r: HttpResponse(), name="new")]
        )
        clear_url_caches()
        try:
            test_every_route_has_an_entry()
        finally:
            monkeypatch.undo()
            clear_url_caches()
