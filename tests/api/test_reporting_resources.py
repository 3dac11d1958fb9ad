"""The reporting resources besides persons: enrolments, payments, ledger, snapshots, cases, job runs.

One small world (two persons in Nanchang, one in Fuzhou, each with a row of every kind) serves the
checks every resource must pass (auth, scopes, regions, masking, pages, CSV, access log) and the
filters of each resource, whose expected rows are read off the fixture by hand.
"""

from __future__ import annotations

import csv
import datetime
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from eligibility.models import BenefitDecision, EligibilitySnapshot, RecomputeRun
from enrollment.identity import build_id_number
from enrollment.models import ApiClient, Case, CaseKind, CaseState, Enrollment, Person, PersonAccess, Scheme
from payments.models import LedgerEntry, Payment
from tests.api.conftest import READ
from tests.factories import PersonFactory, UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
RULES_VERSION = "test"

pytestmark = pytest.mark.django_db


def _at(*args):
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def _person(region, *, sequence, name, born=datetime.date(1980, 5, 1)):
    id_number = build_id_number(area_code="360102", birth_date=born, sequence=sequence)
    return PersonFactory(id_number=id_number, name=name, household_region=region)


def _decision(person, *, scheme, paid_on):
    return BenefitDecision.objects.create(
        person=person,
        action_kind="resident_payment" if scheme == Scheme.RESIDENT else "employee_payment",
        scheme=scheme,
        paid_on=paid_on,
        profile_name="test",
        rules_version=RULES_VERSION,
    )


def _payment(person, *, reference, channel, kind, scheme, amount, paid_on, reversed_at=None, **extra):
    return Payment.objects.create(
        person=person,
        channel=channel,
        reference=reference,
        kind=kind,
        scheme=scheme,
        amount=Decimal(amount),
        paid_at=_at(paid_on.year, paid_on.month, paid_on.day, 10, 0),
        paid_on=paid_on,
        decision=_decision(person, scheme=scheme, paid_on=paid_on),
        status="reversed" if reversed_at else "recorded",
        reversed_at=reversed_at,
        **extra,
    )


def _snapshot(person, **fields):
    defaults = {"as_of": datetime.date(2026, 12, 1), "rules_version": RULES_VERSION, "computed_at": _at(2026, 12, 1, 2)}
    return EligibilitySnapshot.objects.create(person=person, **{**defaults, **fields})


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def world(nanchang, fuzhou, today):
    # given: Zhang and Wang in Nanchang, Li in Fuzhou
    zhang = _person(nanchang, sequence=111, name="张三")
    wang = _person(nanchang, sequence=121, name="=王五")
    li = _person(fuzhou, sequence=131, name="李四")
    handler = UserFactory(username="handler_nc", is_staff=True)
    rows = {"zhang": zhang, "wang": wang, "li": li}

    rows["enr_zhang"] = Enrollment.objects.create(
        person=zhang, scheme=Scheme.RESIDENT, region=nanchang, start_date=datetime.date(2020, 1, 1)
    )
    rows["enr_wang"] = Enrollment.objects.create(
        person=wang,
        scheme=Scheme.EMPLOYEE_FLEXIBLE,
        region=nanchang,
        start_date=datetime.date(2023, 6, 1),
        end_date=datetime.date(2025, 12, 31),
        status="ended",
    )
    rows["enr_li"] = Enrollment.objects.create(
        person=li,
        scheme=Scheme.EMPLOYEE_UNIT,
        region=fuzhou,
        start_date=datetime.date(2024, 3, 1),
        employer_name="抚州机械厂",
    )

    rows["pay_zhang"] = _payment(
        zhang,
        reference="W-0001",
        channel="tax_wechat",
        kind="resident_year",
        scheme=Scheme.RESIDENT,
        amount="400.00",
        paid_on=datetime.date(2025, 12, 10),
        coverage_year=2026,
    )
    rows["pay_wang"] = _payment(
        wang,
        reference="A-0001",
        channel="alipay_ganfutong",
        kind="employee_months",
        scheme=Scheme.EMPLOYEE_FLEXIBLE,
        amount="1234.56",
        paid_on=datetime.date(2025, 7, 2),
        cover_from=datetime.date(2025, 1, 1),
        cover_to=datetime.date(2025, 6, 1),
        reversed_at=_at(2025, 7, 3, 9),
    )
    rows["pay_li"] = _payment(
        li,
        reference="B-0001",
        channel="bank_counter",
        kind="employee_months",
        scheme=Scheme.EMPLOYEE_UNIT,
        amount="99.90",
        paid_on=datetime.date(2026, 3, 15),
    )

    rows["led_zhang_2025"] = LedgerEntry.objects.create(
        person=zhang,
        scheme=Scheme.RESIDENT,
        region=nanchang,
        period=datetime.date(2025, 1, 1),
        amount_due=Decimal("380.00"),
        amount_paid=Decimal("380.00"),
        paid_on=datetime.date(2024, 12, 1),
    )
    rows["led_zhang_2026"] = LedgerEntry.objects.create(
        person=zhang,
        scheme=Scheme.RESIDENT,
        region=nanchang,
        period=datetime.date(2026, 1, 1),
        amount_due=Decimal("400.00"),
        amount_paid=Decimal("400.00"),
        paid_on=datetime.date(2025, 12, 10),
        payment=rows["pay_zhang"],
    )
    rows["led_wang_2024"] = LedgerEntry.objects.create(
        person=wang,
        scheme=Scheme.EMPLOYEE_FLEXIBLE,
        region=nanchang,
        period=datetime.date(2024, 6, 1),
        amount_due=Decimal("205.76"),
        amount_paid=Decimal("205.76"),
        paid_on=datetime.date(2024, 6, 10),
    )
    rows["led_wang_voided"] = LedgerEntry.objects.create(
        person=wang,
        scheme=Scheme.EMPLOYEE_FLEXIBLE,
        region=nanchang,
        period=datetime.date(2025, 1, 1),
        kind="back_payment",
        counts_for_continuity=False,
        amount_paid=Decimal("205.76"),
        paid_on=datetime.date(2025, 7, 2),
        voided_at=_at(2025, 7, 3, 9),
        void_reason="payment reversed",
    )
    rows["led_li"] = LedgerEntry.objects.create(
        person=li,
        scheme=Scheme.EMPLOYEE_UNIT,
        region=fuzhou,
        period=datetime.date(2026, 2, 1),
        amount_paid=Decimal("99.90"),
        paid_on=datetime.date(2026, 3, 15),
    )

    rows["snap_zhang"] = _snapshot(
        zhang, state="covered", scheme=Scheme.RESIDENT, benefits_from=datetime.date(2020, 1, 1), gap_months=0
    )
    rows["snap_wang"] = _snapshot(
        wang, state="interrupted", scheme=Scheme.EMPLOYEE_FLEXIBLE, gap_months=7, break_years=1
    )
    rows["snap_li"] = _snapshot(
        li,
        state="waiting",
        scheme=Scheme.EMPLOYEE_UNIT,
        waiting_start=datetime.date(2026, 11, 21),
        waiting_end=datetime.date(2026, 12, 20),
        gap_months=2,
        ci_cap=Decimal("400000.00"),
        reasons=["EMP-3", "EMP-5"],
    )

    def case(person, region, *, kind, state, due_on, assigned_to=None):
        return Case.objects.create(
            person=person,
            region=region,
            kind=kind,
            state=state,
            due_on=due_on,
            assigned_to=assigned_to,
            submitted_at=_at(2026, 11, 1, 10),
        )

    days = datetime.timedelta
    # overdue: submitted, deadline passed
    rows["case_zhang_late"] = case(
        zhang,
        nanchang,
        kind=CaseKind.RESIDENT_ENROLMENT,
        state=CaseState.SUBMITTED,
        due_on=today - days(5),
        assigned_to=handler,
    )
    # not overdue: waiting for the resident does not count
    rows["case_wang_waiting"] = case(
        wang, nanchang, kind=CaseKind.BACK_PAYMENT, state=CaseState.NEEDS_INFORMATION, due_on=today - days(10)
    )
    # not overdue: deadline not reached
    rows["case_li"] = case(li, fuzhou, kind=CaseKind.TRANSFER_IN, state=CaseState.IN_REVIEW, due_on=today + days(5))
    # not overdue: decided
    rows["case_zhang_done"] = case(
        zhang, nanchang, kind=CaseKind.CORRECTION, state=CaseState.APPROVED, due_on=today - days(30)
    )
    # not overdue: due today is not past due
    rows["case_wang_today"] = case(wang, nanchang, kind=CaseKind.SCHEME_SWITCH, state=CaseState.IN_REVIEW, due_on=today)

    common = {"chunk_size": 1000, "heartbeat_at": _at(2026, 11, 1, 2, 10)}
    rows["run_full"] = RecomputeRun.objects.create(
        as_of=datetime.date(2026, 11, 1),
        mode="full",
        status="finished",
        triggered_by="nightly",
        started_at=_at(2026, 11, 1, 2, 0),
        finished_at=_at(2026, 11, 1, 2, 40),
        chunks_total=3,
        chunks_done=3,
        persons_examined=2500,
        persons_changed=12,
        persons_failed=1,
        **common,
    )
    rows["run_inc"] = RecomputeRun.objects.create(
        as_of=datetime.date(2026, 11, 30),
        mode="incremental",
        status="running",
        triggered_by="admin:supervisor",
        # 00:30 in Shanghai is the previous day in UTC: started_from uses the local date.
        started_at=_at(2026, 11, 30, 0, 30),
        **common,
    )
    return rows


# What every resource is: its URL, a Nanchang row, a Fuzhou row, the rows a full list holds.
RESOURCES = {
    "enrollments": ("/api/v1/enrollments", "enr_zhang", "enr_li", ["enr_zhang", "enr_wang", "enr_li"]),
    "payments": ("/api/v1/payments", "pay_zhang", "pay_li", ["pay_zhang", "pay_wang", "pay_li"]),
    # the voided entry is left out unless asked for
    "ledger": (
        "/api/v1/ledger",
        "led_zhang_2025",
        "led_li",
        ["led_zhang_2025", "led_zhang_2026", "led_wang_2024", "led_li"],
    ),
    "snapshots": ("/api/v1/snapshots", "snap_zhang", "snap_li", ["snap_zhang", "snap_wang", "snap_li"]),
    "cases": (
        "/api/v1/cases",
        "case_zhang_late",
        "case_li",
        ["case_zhang_late", "case_wang_waiting", "case_li", "case_zhang_done", "case_wang_today"],
    ),
}
JOB_RUNS = "/api/v1/job-runs"
ALL_URLS = [spec[0] for spec in RESOURCES.values()] + [JOB_RUNS]


def _key(row):
    # snapshots are identified by their person
    return row["person"] if "id" not in row else row["id"]


def _results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _pks(world, names):
    return {world[name].pk for name in names}


# --- what every resource does -------------------------------------------------------------------


@pytest.mark.parametrize("url", ALL_URLS)
def test_a_token_is_required(api, world, url):
    assert api.get(url).status_code == 401
    response = api.get(f"{url}/1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("url", ALL_URLS)
def test_the_reporting_scope_is_required(api, hospital_token, world, url):
    response = api.as_token(hospital_token).get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json()["message"] == "This client lacks the scope reporting:read."


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_region_limited_token_sees_only_its_regions_rows(api, nanchang_token, world, resource):
    url, nanchang_row, fuzhou_row, every = RESOURCES[resource]
    api.as_token(nanchang_token)
    listed = {_key(row) for row in _results(api.get(url, {"page_size": 1000}))}
    expected = _pks(world, every) - {world[fuzhou_row].pk}
    assert listed == expected
    assert api.get(f"{url}/{world[nanchang_row].pk}").status_code == 200
    assert api.get(f"{url}/{world[fuzhou_row].pk}").status_code == 404


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_clerk_session_sees_the_clerks_region(api, clerk, world, resource):
    url, nanchang_row, fuzhou_row, every = RESOURCES[resource]
    api.force_login(clerk)
    listed = {_key(row) for row in _results(api.get(url))}
    assert listed == _pks(world, every) - {world[fuzhou_row].pk}
    assert api.get(f"{url}/{world[fuzhou_row].pk}").status_code == 404
    assert set(PersonAccess.objects.filter(user=clerk).values_list("person_id", flat=True)) == {
        world["zhang"].pk,
        world["wang"].pk,
    }


def test_job_runs_are_not_region_limited_and_carry_no_person(api, nanchang_token, world):
    api.as_token(nanchang_token)
    assert {row["id"] for row in _results(api.get(JOB_RUNS))} == _pks(world, ["run_full", "run_inc"])
    assert api.get(f"{JOB_RUNS}/{world['run_full'].pk}").status_code == 200
    assert not PersonAccess.objects.exists()


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_person_id_number_is_masked_unless_unmasked(api, reporting_token, unmasked_token, world, resource):
    url, nanchang_row, _, _ = RESOURCES[resource]
    zhang = world["zhang"]
    masked = api.as_token(reporting_token).get(f"{url}/{world[nanchang_row].pk}").json()
    assert masked["person"] == zhang.pk
    assert masked["person_id_number"] == f"360102********{zhang.id_number[-4:]}"
    full = api.as_token(unmasked_token).get(f"{url}/{world[nanchang_row].pk}").json()
    assert full["person_id_number"] == zhang.id_number
    assert zhang.id_number not in api.as_token(reporting_token).get(url).content.decode()


@pytest.mark.parametrize("url", ALL_URLS)
def test_an_unknown_filter_is_400(api, reporting_token, world, url):
    response = api.as_token(reporting_token).get(url, {"colour": "red"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_filter"
    assert "colour" in response.json()["message"]


@pytest.mark.parametrize("url", ALL_URLS)
def test_the_next_link_walks_every_row_exactly_once(api, reporting_token, world, url):
    api.as_token(reporting_token)
    everything = [_key(row) for row in _results(api.get(url, {"page_size": 1000}))]
    seen = []
    link = f"{url}?page_size=2"
    while link:
        body = api.get(link).json()
        assert 0 < len(body["results"]) <= 2
        seen += [_key(row) for row in body["results"]]
        link = body["next"]
    assert seen == sorted(everything)
    assert len(set(seen)) == len(seen) >= 2


@pytest.mark.parametrize("url", ALL_URLS)
@pytest.mark.parametrize(
    ("params", "code"), [({"page_size": "1001"}, "page_too_large"), ({"cursor": "garbage"}, "invalid_cursor")]
)
def test_bad_page_parameters_are_400(api, reporting_token, world, url, params, code):
    response = api.as_token(reporting_token).get(url, params)
    assert response.status_code == 400
    assert response.json()["code"] == code


CSV_HEADERS = {
    "/api/v1/enrollments": "id,person,person_id_number,scheme,region,start_date,end_date,status,employer_name",
    "/api/v1/payments": "id,person,person_id_number,channel,reference,kind,scheme,coverage_year,cover_from,cover_to,"
    "amount,paid_on,status,created_at",
    "/api/v1/ledger": "id,person,person_id_number,scheme,region,period,kind,counts_for_continuity,amount_due,"
    "amount_paid,paid_on,payment,voided,voided_at",
    "/api/v1/snapshots": "person,person_id_number,as_of,state,scheme,benefits_from,benefit_end,waiting_start,"
    "waiting_end,retro_from,retro_to,gap_months,break_years,continuous_years,ci_cap,reasons,next_change_on,computed_at",
    "/api/v1/cases": "id,kind,state,region,person,person_id_number,assigned_to,submitted_at,due_on,overdue,closed_at,"
    "created_at",
    JOB_RUNS: "id,mode,status,as_of,triggered_by,chunk_size,chunks_total,chunks_done,persons_examined,"
    "persons_changed,persons_failed,started_at,finished_at,heartbeat_at",
}


def _csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.mark.parametrize("url", ALL_URLS)
def test_csv_export_has_a_header_and_every_row(api, reporting_token, world, url):
    api.as_token(reporting_token)
    response = api.get(url, {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Type"].startswith("text/csv")
    assert text.startswith("\ufeff" + CSV_HEADERS[url] + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    key = "person" if url == "/api/v1/snapshots" else "id"
    assert sorted(int(row[key]) for row in rows) == sorted(_key(row) for row in _results(api.get(url)))


@pytest.mark.parametrize("resource", RESOURCES)
def test_csv_export_is_masked(api, reporting_token, world, resource):
    url = RESOURCES[resource][0]
    rows = _csv(api.as_token(reporting_token).get(url, {"format": "csv"}))
    assert {row["person_id_number"] for row in rows} == {
        f"360102********{person.id_number[-4:]}" for person in (world["zhang"], world["wang"], world["li"])
    }


def test_csv_values_are_those_of_the_json(api, reporting_token, world):
    rows = _csv(api.as_token(reporting_token).get("/api/v1/snapshots", {"format": "csv", "state": "waiting"}))
    assert len(rows) == 1
    assert (rows[0]["ci_cap"], rows[0]["reasons"], rows[0]["waiting_end"], rows[0]["break_years"]) == (
        "400000.00",
        "EMP-3; EMP-5",
        "2026-12-20",
        "",
    )
    payments = _csv(api.get("/api/v1/payments", {"format": "csv", "status": "reversed"}))
    assert [(row["amount"], row["reference"]) for row in payments] == [("1234.56", "A-0001")]


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_persons_returned_are_logged_with_the_client(api, issue_token, world, resource):
    url = RESOURCES[resource][0]
    token = issue_token([READ], name="分析工具")
    client = ApiClient.objects.get(name="分析工具")
    results = _results(api.as_token(token).get(url, {"region": "360100"}))
    returned = {row["person"] for row in results}
    assert returned == {world["zhang"].pk, world["wang"].pk}
    logged = PersonAccess.objects.all()
    assert sorted(logged.values_list("person_id", flat=True)) == sorted(returned)
    assert {(row.api_client_id, row.user_id, row.action) for row in logged} == {
        (client.pk, None, f"api:{resource}.list")
    }


@pytest.fixture
def fifty(nanchang, world):
    """Fifty more rows of every kind, in bulk (the query-count checks need a full page)."""
    persons = Person.objects.bulk_create(
        [
            Person(
                id_number=build_id_number(
                    area_code="360102", birth_date=datetime.date(1970, 1, 1) + datetime.timedelta(days=n), sequence=401
                ),
                name=f"批量{n}",
                gender="male",
                birth_date=datetime.date(1970, 1, 1) + datetime.timedelta(days=n),
                household_region=nanchang,
            )
            for n in range(50)
        ]
    )
    Enrollment.objects.bulk_create(
        [
            Enrollment(person=p, scheme=Scheme.RESIDENT, region=nanchang, start_date=datetime.date(2021, 1, 1))
            for p in persons
        ]
    )
    for n, person in enumerate(persons):
        _payment(
            person,
            reference=f"X-{n}",
            channel="unionpay",
            kind="resident_year",
            scheme=Scheme.RESIDENT,
            amount="400.00",
            paid_on=datetime.date(2025, 12, 1),
        )
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                person=p,
                scheme=Scheme.RESIDENT,
                region=nanchang,
                period=datetime.date(2026, 1, 1),
                paid_on=datetime.date(2025, 12, 1),
            )
            for p in persons
        ]
    )
    EligibilitySnapshot.objects.bulk_create(
        [
            EligibilitySnapshot(
                person=p,
                as_of=datetime.date(2026, 12, 1),
                state="covered",
                rules_version=RULES_VERSION,
                computed_at=_at(2026, 12, 1, 2),
            )
            for p in persons
        ]
    )
    handler = UserFactory(username="bulk_handler", is_staff=True)
    Case.objects.bulk_create(
        [
            Case(
                person=p,
                region=nanchang,
                kind=CaseKind.CORRECTION,
                state=CaseState.SUBMITTED,
                assigned_to=handler,
                submitted_at=_at(2026, 11, 1, 10),
            )
            for p in persons
        ]
    )
    RecomputeRun.objects.bulk_create(
        [
            RecomputeRun(
                as_of=datetime.date(2026, 1, 1),
                mode="full",
                status="finished",
                triggered_by="test",
                chunk_size=10,
                started_at=_at(2026, 1, 1, 2),
                heartbeat_at=_at(2026, 1, 1, 2),
            )
            for _ in range(50)
        ]
    )
    return persons


@pytest.mark.parametrize("url", ALL_URLS)
def test_a_page_of_50_costs_a_fixed_number_of_queries(api, reporting_token, fifty, url, django_assert_max_num_queries):
    api.as_token(reporting_token)
    # the token lookup, the page (joined), the access-log insert — never one query per row
    with django_assert_max_num_queries(6):
        response = api.get(url, {"page_size": 50})
    assert len(_results(response)) == 50


def test_a_clerks_page_costs_a_fixed_number_of_queries(api, clerk, fifty, django_assert_max_num_queries):
    api.force_login(clerk)
    # the session, the user, the groups, the regions, the page, the access-log insert
    with django_assert_max_num_queries(9):
        response = api.get("/api/v1/cases", {"page_size": 50})
    assert len(_results(response)) == 50


# --- filters of each resource -------------------------------------------------------------------

FILTERS = [
    # enrolments
    ("/api/v1/enrollments", {"scheme": "resident"}, ["enr_zhang"]),
    ("/api/v1/enrollments", {"status": "ended"}, ["enr_wang"]),
    ("/api/v1/enrollments", {"region": "361000"}, ["enr_li"]),
    ("/api/v1/enrollments", {"start_from": "2023-06-01"}, ["enr_wang", "enr_li"]),
    ("/api/v1/enrollments", {"start_to": "2023-06-01"}, ["enr_zhang", "enr_wang"]),
    ("/api/v1/enrollments", {"active_on": "2025-12-31"}, ["enr_zhang", "enr_wang", "enr_li"]),
    ("/api/v1/enrollments", {"active_on": "2026-01-01"}, ["enr_zhang", "enr_li"]),
    ("/api/v1/enrollments", {"active_on": "2023-01-01"}, ["enr_zhang"]),
    ("/api/v1/enrollments", {"active_on": "2019-12-31"}, []),
    # payments
    ("/api/v1/payments", {"channel": "bank_counter"}, ["pay_li"]),
    ("/api/v1/payments", {"kind": "employee_months"}, ["pay_wang", "pay_li"]),
    ("/api/v1/payments", {"scheme": "employee_flexible"}, ["pay_wang"]),
    ("/api/v1/payments", {"status": "reversed"}, ["pay_wang"]),
    ("/api/v1/payments", {"status": "recorded"}, ["pay_zhang", "pay_li"]),
    ("/api/v1/payments", {"coverage_year": "2026"}, ["pay_zhang"]),
    ("/api/v1/payments", {"paid_from": "2025-12-10"}, ["pay_zhang", "pay_li"]),
    ("/api/v1/payments", {"paid_to": "2025-12-10"}, ["pay_zhang", "pay_wang"]),
    ("/api/v1/payments", {"paid_from": "2025-07-03", "paid_to": "2026-03-14"}, ["pay_zhang"]),
    ("/api/v1/payments", {"region": "360100"}, ["pay_zhang", "pay_wang"]),
    # ledger
    ("/api/v1/ledger", {"scheme": "resident"}, ["led_zhang_2025", "led_zhang_2026"]),
    ("/api/v1/ledger", {"kind": "back_payment"}, []),
    ("/api/v1/ledger", {"kind": "back_payment", "include_voided": "true"}, ["led_wang_voided"]),
    (
        "/api/v1/ledger",
        {"include_voided": "true"},
        ["led_zhang_2025", "led_zhang_2026", "led_wang_2024", "led_wang_voided", "led_li"],
    ),
    (
        "/api/v1/ledger",
        {"include_voided": "false"},
        ["led_zhang_2025", "led_zhang_2026", "led_wang_2024", "led_li"],
    ),
    ("/api/v1/ledger", {"region": "361000"}, ["led_li"]),
    ("/api/v1/ledger", {"period_from": "2026-01-01"}, ["led_zhang_2026", "led_li"]),
    ("/api/v1/ledger", {"period_to": "2025-12-31"}, ["led_zhang_2025", "led_wang_2024"]),
    ("/api/v1/ledger", {"scheme": "employee_flexible"}, ["led_wang_2024"]),
    # snapshots
    ("/api/v1/snapshots", {"state": "interrupted"}, ["snap_wang"]),
    ("/api/v1/snapshots", {"scheme": "resident"}, ["snap_zhang"]),
    ("/api/v1/snapshots", {"region": "361000"}, ["snap_li"]),
    ("/api/v1/snapshots", {"waiting_end_from": "2026-12-20"}, ["snap_li"]),
    ("/api/v1/snapshots", {"waiting_end_to": "2026-12-19"}, []),
    ("/api/v1/snapshots", {"gap_months_min": "2"}, ["snap_wang", "snap_li"]),
    ("/api/v1/snapshots", {"gap_months_max": "2"}, ["snap_zhang", "snap_li"]),
    ("/api/v1/snapshots", {"gap_months_min": "3", "gap_months_max": "12"}, ["snap_wang"]),
    # cases
    ("/api/v1/cases", {"kind": "transfer_in"}, ["case_li"]),
    ("/api/v1/cases", {"state": "in_review"}, ["case_li", "case_wang_today"]),
    (
        "/api/v1/cases",
        {"region": "360100"},
        ["case_zhang_late", "case_wang_waiting", "case_zhang_done", "case_wang_today"],
    ),
    ("/api/v1/cases", {"overdue": "true"}, ["case_zhang_late"]),
    ("/api/v1/cases", {"overdue": "false"}, ["case_wang_waiting", "case_li", "case_zhang_done", "case_wang_today"]),
    # job runs
    (JOB_RUNS, {"mode": "full"}, ["run_full"]),
    (JOB_RUNS, {"status": "running"}, ["run_inc"]),
    (JOB_RUNS, {"started_from": "2026-11-30"}, ["run_inc"]),
    (JOB_RUNS, {"started_to": "2026-11-29"}, ["run_full"]),
    (JOB_RUNS, {"started_from": "2026-12-01"}, []),
]


@pytest.mark.parametrize(("url", "params", "expected"), FILTERS)
def test_filters(api, reporting_token, world, url, params, expected):
    listed = {_key(row) for row in _results(api.as_token(reporting_token).get(url, params))}
    assert listed == _pks(world, expected)


@pytest.mark.parametrize(
    "url", ["/api/v1/enrollments", "/api/v1/payments", "/api/v1/ledger", "/api/v1/snapshots", "/api/v1/cases"]
)
def test_the_person_filter(api, reporting_token, world, url):
    params = {"person": world["wang"].pk}
    if url.endswith("ledger"):
        params["include_voided"] = "true"
    listed = _results(api.as_token(reporting_token).get(url, params))
    assert listed and {row["person"] for row in listed} == {world["wang"].pk}


def test_the_case_dates_filter_and_fields(api, reporting_token, world, today):
    api.as_token(reporting_token)
    due_from = (today - datetime.timedelta(days=10)).isoformat()
    due_to = today.isoformat()
    listed = {row["id"] for row in _results(api.get("/api/v1/cases", {"due_from": due_from, "due_to": due_to}))}
    assert listed == _pks(world, ["case_zhang_late", "case_wang_waiting", "case_wang_today"])
    late = api.get(f"/api/v1/cases/{world['case_zhang_late'].pk}").json()
    assert late == {
        "id": world["case_zhang_late"].pk,
        "kind": "resident_enrolment",
        "state": "submitted",
        "region": "360100",
        "person": world["zhang"].pk,
        "person_id_number": f"360102********{world['zhang'].id_number[-4:]}",
        "assigned_to": "handler_nc",
        "submitted_at": "2026-11-01T10:00:00+08:00",
        "due_on": (today - datetime.timedelta(days=5)).isoformat(),
        "overdue": True,
        "closed_at": None,
        "created_at": late["created_at"],
    }
    assert api.get(f"/api/v1/cases/{world['case_wang_waiting'].pk}").json()["assigned_to"] is None


def test_a_case_never_shows_its_free_text(api, unmasked_token, world):
    case = world["case_zhang_late"]
    Case.objects.filter(pk=case.pk).update(
        details={"note": "身份证 360102198005011118"}, decision_reason="私密", outcome="私密"
    )
    body = api.as_token(unmasked_token).get(f"/api/v1/cases/{case.pk}").content.decode()
    assert "私密" not in body and "身份证" not in body


def test_money_and_fields_of_a_payment_and_a_ledger_entry(api, reporting_token, world):
    api.as_token(reporting_token)
    payment = api.get(f"/api/v1/payments/{world['pay_wang'].pk}").json()
    assert {key: payment[key] for key in ("amount", "cover_from", "cover_to", "status", "coverage_year")} == {
        "amount": "1234.56",
        "cover_from": "2025-01-01",
        "cover_to": "2025-06-01",
        "status": "reversed",
        "coverage_year": None,
    }
    entry = api.get(f"/api/v1/ledger/{world['led_zhang_2026'].pk}").json()
    assert {key: entry[key] for key in ("region", "period", "amount_due", "amount_paid", "voided", "payment")} == {
        "region": "360100",
        "period": "2026-01-01",
        "amount_due": "400.00",
        "amount_paid": "400.00",
        "voided": False,
        "payment": world["pay_zhang"].pk,
    }
    # a voided entry is hidden from lists by default but can be opened by id
    voided = api.get(f"/api/v1/ledger/{world['led_wang_voided'].pk}").json()
    assert (voided["voided"], voided["counts_for_continuity"], voided["kind"]) == (True, False, "back_payment")


def test_snapshot_fields(api, reporting_token, world):
    body = api.as_token(reporting_token).get(f"/api/v1/snapshots/{world['li'].pk}").json()
    assert {key: body[key] for key in ("state", "waiting_start", "waiting_end", "gap_months", "ci_cap", "reasons")} == {
        "state": "waiting",
        "waiting_start": "2026-11-21",
        "waiting_end": "2026-12-20",
        "gap_months": 2,
        "ci_cap": "400000.00",
        "reasons": ["EMP-3", "EMP-5"],
    }


def test_job_run_fields(api, reporting_token, world):
    body = api.as_token(reporting_token).get(f"{JOB_RUNS}/{world['run_full'].pk}").json()
    assert body == {
        "id": world["run_full"].pk,
        "mode": "full",
        "status": "finished",
        "as_of": "2026-11-01",
        "triggered_by": "nightly",
        "chunk_size": 1000,
        "chunks_total": 3,
        "chunks_done": 3,
        "persons_examined": 2500,
        "persons_changed": 12,
        "persons_failed": 1,
        "started_at": "2026-11-01T02:00:00+08:00",
        "finished_at": "2026-11-01T02:40:00+08:00",
        "heartbeat_at": "2026-11-01T02:10:00+08:00",
    }


@pytest.mark.parametrize(
    ("url", "params", "field", "code"),
    [
        ("/api/v1/enrollments", {"active_on": "2026-13-01"}, "active_on", "invalid"),
        ("/api/v1/enrollments", {"scheme": "private"}, "scheme", "invalid_choice"),
        ("/api/v1/enrollments", {"person": "abc"}, "person", "invalid"),
        ("/api/v1/enrollments", {"person": "99999999999999999999"}, "person", "max_value"),
        ("/api/v1/payments", {"coverage_year": "20.5"}, "coverage_year", "invalid"),
        ("/api/v1/payments", {"channel": "cash"}, "channel", "invalid_choice"),
        ("/api/v1/payments", {"paid_from": "2025-02-29"}, "paid_from", "invalid"),
        ("/api/v1/ledger", {"include_voided": "maybe"}, "include_voided", "invalid"),
        ("/api/v1/ledger", {"period_to": "2026/01/01"}, "period_to", "invalid"),
        ("/api/v1/snapshots", {"gap_months_min": "-1"}, "gap_months_min", "min_value"),
        ("/api/v1/snapshots", {"gap_months_max": "40000"}, "gap_months_max", "max_value"),
        ("/api/v1/snapshots", {"state": "dead"}, "state", "invalid_choice"),
        ("/api/v1/cases", {"overdue": "yes please"}, "overdue", "invalid"),
        ("/api/v1/cases", {"region": "36010"}, "region", "invalid"),
        (JOB_RUNS, {"started_from": "0000-01-01"}, "started_from", "invalid"),
        (JOB_RUNS, {"mode": "partial"}, "mode", "invalid_choice"),
    ],
)
def test_invalid_filter_values_are_400(api, reporting_token, world, url, params, field, code):
    response = api.as_token(reporting_token).get(url, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["code"], list(body["details"])) == (code, [field])
    assert body["message"].startswith(f"{field}: ")


def test_the_boolean_message_is_clear(api, reporting_token, world):
    response = api.as_token(reporting_token).get(
        "/api/v1/ledger", {"include_voided": "maybe"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json()["message"] == "include_voided: Give true or false."


def test_a_detail_refuses_csv(api, reporting_token, world):
    response = api.as_token(reporting_token).get(f"/api/v1/payments/{world['pay_li'].pk}", {"format": "csv"})
    assert response.status_code == 400
    assert response.json()["code"] == "csv_for_lists_only"


@pytest.mark.parametrize("url", ALL_URLS)
def test_a_detail_that_does_not_exist_is_404_in_the_error_shape(api, reporting_token, world, url):
    for missing in ("999999", "abc"):
        response = api.as_token(reporting_token).get(f"{url}/{missing}")
        assert response.status_code == 404
        assert set(response.json()) == {"code", "message"}
