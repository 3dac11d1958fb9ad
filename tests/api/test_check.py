"""The hospitals' eligibility check: POST /api/v1/eligibility/check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from eligibility.check import MAX_DAYS_AHEAD, Source, eligibility_check
from eligibility.models import RecomputeRequest
from eligibility.rules import EmployeeKind, EmployeePayment, ResidentPayment
from eligibility.rules.dates import month_index
from eligibility.services import decision_record, eligibility_evaluate, eligibility_recompute
from enrollment.models import ApiClientKind, PersonAccess
from payments.models import LedgerEntry
from tests.api.conftest import CHECK, READ
from tests.factories import PersonFactory, make_id_number

pytestmark = pytest.mark.django_db
D = dt.date
CHECK_URL = "/api/v1/eligibility/check"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _resident_years(person, region, *years):
    for year in years:
        LedgerEntry.objects.create(
            person=person, region=region, scheme="resident", period=D(year, 1, 1), paid_on=D(year - 1, 11, 1)
        )


def _flexible_months(person, region, year, months, paid_on):
    for month in months:
        LedgerEntry.objects.create(
            person=person, region=region, scheme="employee_flexible", period=D(year, month, 1), paid_on=paid_on
        )


def _record(person, action):
    result, profile_name = eligibility_evaluate(person_id=person.pk, action=action)
    assert result.accepted, result
    decision_record(person=person, action=action, result=result, profile_name=profile_name)


@pytest.fixture
def late_payer(nanchang, policies):
    """Paid 2023 and 2024 on time, then 2025 late on 1 March: waiting 1 March to 31 May, benefits
    from 1 June to 31 December 2025 (the seed S2 example)."""
    person = PersonFactory(household_region=nanchang, born=D(1980, 5, 1))
    _resident_years(person, nanchang, 2023, 2024)
    _record(person, ResidentPayment(year=2025, paid_on=D(2025, 3, 1)))
    return person


@pytest.fixture
def long_payer(nanchang, policies):
    """Resident insurance paid on time for every year 2021 to 2026: six continuous years."""
    person = PersonFactory(household_region=nanchang, born=D(1975, 8, 9))
    _resident_years(person, nanchang, *range(2021, 2027))
    return person


@pytest.fixture
def stopped_worker(nanchang, policies):
    """A flexible worker who paid January to March 2025 and nothing since."""
    person = PersonFactory(household_region=nanchang, born=D(1988, 2, 2))
    _flexible_months(person, nanchang, 2025, range(1, 4), D(2025, 1, 5))
    return person


@pytest.fixture
def back_payer(nanchang, policies):
    """Flexible worker: paid January to March 2025, then on 10 May paid April to December (a one-month
    gap within Nanchang's grace): no waiting, benefits from 1 May (the payment month), and a
    retroactive window from 1 April to 9 May (EMP-5)."""
    person = PersonFactory(household_region=nanchang, born=D(1986, 6, 6))
    _flexible_months(person, nanchang, 2025, range(1, 4), D(2025, 1, 5))
    _record(
        person,
        EmployeePayment(
            employee_kind=EmployeeKind.FLEXIBLE,
            paid_on=D(2025, 5, 10),
            cover_from=month_index(2025, 4),
            cover_to=month_index(2025, 12),
        ),
    )
    return person


@pytest.fixture
def never_enrolled(nanchang, policies):
    return PersonFactory(household_region=nanchang, born=D(1999, 9, 9))


@pytest.fixture
def hospital(api, hospital_token):
    return api.as_token(hospital_token)


def check(client, person_or_number, service_date, *, inpatient=False, admission_date=None, **headers):
    number = getattr(person_or_number, "id_number", person_or_number)
    body = {"id_number": number, "service_date": str(service_date), "inpatient": inpatient}
    if admission_date is not None:
        body["admission_date"] = str(admission_date)
    return client.post(CHECK_URL, body, format="json", **headers)


# --- the answers --------------------------------------------------------------------------------


def test_covered_in_the_benefit_period(hospital, late_payer):
    body = check(hospital, late_payer, D(2025, 6, 10), **EN).json()
    assert body["covered"] is True
    assert (body["state"], body["scheme"]) == ("covered", "resident")
    assert (body["service_date"], body["judged_on"]) == ("2025-06-10", "2025-06-10")
    assert (body["benefits_from"], body["benefit_end"]) == ("2025-06-01", "2025-12-31")
    assert (body["waiting_start"], body["waiting_end"]) == ("2025-03-01", "2025-05-31")
    assert (body["retro_from"], body["retro_to"]) == (None, None)
    assert "CLM-1" in body["reasons"] and "RES-8b" not in body["reasons"]
    assert body["source"] == "rules" and body["as_of"] is None  # no stored status yet
    assert body["explanation"].startswith("Covered on ")


def test_waiting_is_not_covered(hospital, late_payer):
    body = check(hospital, late_payer, D(2025, 4, 10), **EN).json()
    assert (body["covered"], body["state"], body["scheme"]) == (False, "waiting", "resident")
    assert body["waiting_end"] == "2025-05-31" and body["benefits_from"] == "2025-06-01"
    assert body["explanation"].startswith("Not covered on ")
    assert "In the waiting period until" in body["explanation"]


def test_a_stay_admitted_in_the_waiting_period_is_not_covered_on_a_later_service_date(hospital, late_payer):
    # Service on 10 June (inside the benefit period), admitted on 20 May (waiting): RES-8b.
    body = check(hospital, late_payer, D(2025, 6, 10), inpatient=True, admission_date=D(2025, 5, 20), **EN).json()
    assert (body["covered"], body["state"], body["judged_on"]) == (False, "waiting", "2025-05-20")
    assert "RES-8b" in body["reasons"]
    assert "the admission date" in body["explanation"]
    assert "self-paid as a whole" in body["explanation"]


def test_a_stay_admitted_in_the_benefit_period_is_covered(hospital, late_payer):
    body = check(hospital, late_payer, D(2025, 6, 20), inpatient=True, admission_date=D(2025, 6, 1)).json()
    assert (body["covered"], body["judged_on"]) == (True, "2025-06-01")
    assert body["reasons"][-1] == "RES-8b"


def test_an_inpatient_stay_without_admission_date_is_judged_on_the_service_date(hospital, late_payer):
    body = check(hospital, late_payer, D(2025, 5, 31), inpatient=True).json()
    assert (body["covered"], body["judged_on"], body["state"]) == (False, "2025-05-31", "waiting")
    assert "RES-8b" in body["reasons"]


def test_interrupted(hospital, stopped_worker):
    body = check(hospital, stopped_worker, D(2025, 8, 15), **EN).json()
    assert (body["covered"], body["state"], body["scheme"]) == (False, "interrupted", "employee_flexible")
    assert body["reasons"] == ["4.2"]
    # April to July: four whole months without cover.
    assert "4 whole months without cover" in body["explanation"]


def test_not_enrolled(hospital, never_enrolled):
    body = check(hospital, never_enrolled, D(2026, 3, 1), **EN).json()
    assert (body["covered"], body["state"], body["scheme"]) == (False, "not_enrolled", None)
    assert body["benefits_from"] is None and body["ci_cap"] is None and body["reasons"] == []
    assert body["explanation"] == "Not covered on March 1, 2026. Not enrolled."


def test_retroactive_window(hospital, back_payer):
    body = check(hospital, back_payer, D(2025, 4, 15), **EN).json()
    assert (body["covered"], body["state"], body["scheme"]) == (True, "covered", "employee_flexible")
    assert (body["retro_from"], body["retro_to"]) == ("2025-04-01", "2025-05-09")
    assert body["benefits_from"] == "2025-05-01"
    assert "lies in the retroactive window from April 1, 2025 to May 9, 2025" in body["explanation"]


def test_critical_illness_cap(hospital, long_payer):
    body = check(hospital, long_payer, D(2026, 3, 10)).json()
    assert body["covered"] is True
    # INC-2: six continuous years, threshold 4: 300,000 + 2 x 3,000.
    assert body["ci_cap"] == "306000.00"
    assert Decimal(body["ci_cap"]) == Decimal(300_000) + 2 * Decimal(3_000)


def test_no_critical_illness_cap_without_a_resident_year(hospital, stopped_worker):
    assert check(hospital, stopped_worker, D(2025, 2, 10)).json()["ci_cap"] is None


def test_the_explanation_follows_accept_language(hospital, late_payer):
    english = check(hospital, late_payer, D(2025, 4, 10), **EN).json()["explanation"]
    chinese = check(hospital, late_payer, D(2025, 4, 10), HTTP_ACCEPT_LANGUAGE="zh-Hans").json()["explanation"]
    assert "In the waiting period until May 31, 2025; benefits start on June 1, 2025." in english
    assert "处于待遇等待期（至2025年5月31日），2025年6月1日起享受待遇。" in chinese


# --- the stored status and the rules give the same answer ----------------------------------------


@pytest.mark.parametrize(
    ("person_fixture", "day", "state"),
    [
        ("late_payer", D(2025, 4, 10), "waiting"),
        ("late_payer", D(2025, 7, 1), "covered"),
        ("back_payer", D(2025, 4, 15), "covered"),
        ("long_payer", D(2026, 3, 10), "covered"),
        ("stopped_worker", D(2025, 8, 15), "interrupted"),
        ("never_enrolled", D(2026, 3, 1), "not_enrolled"),
    ],
)
@pytest.mark.parametrize("inpatient", [False, True])
def test_the_stored_status_and_the_rules_agree_on_the_snapshots_day(
    request, hospital, person_fixture, day, state, inpatient
):
    person = request.getfixturevalue(person_fixture)
    from_rules = check(hospital, person, day, inpatient=inpatient).json()
    eligibility_recompute(person_id=person.pk, as_of=day)
    from_snapshot = check(hospital, person, day, inpatient=inpatient).json()

    assert (from_rules["source"], from_snapshot["source"]) == ("rules", "snapshot")
    assert from_snapshot["as_of"] == day.isoformat()
    assert from_snapshot["state"] == state
    for body in (from_rules, from_snapshot):
        body.pop("source")
        body.pop("as_of")
    assert from_snapshot == from_rules


@pytest.mark.parametrize(
    "person_fixture", ["late_payer", "back_payer", "long_payer", "stopped_worker", "never_enrolled"]
)
def test_wherever_the_stored_status_is_used_it_is_the_rules_status(request, person_fixture):
    """The fast path answers from the snapshot on days after its `as_of`: on every day it does, the
    rules must give exactly the stored values; and it must be used on some later days (else the
    hospitals' everyday question always pays a rules evaluation)."""
    from eligibility.check import check_person_find, check_values, stored_status_holds

    person = request.getfixturevalue(person_fixture)
    used_later = 0
    for as_of in (D(2025, 2, 10), D(2025, 4, 15), D(2025, 6, 1), D(2025, 8, 15), D(2026, 3, 10)):
        eligibility_recompute(person_id=person.pk, as_of=as_of)
        stored = check_person_find(id_number=person.id_number, regions=None)
        assert stored is not None and stored.values is not None
        for offset in range(0, 420, 3):
            day = as_of + dt.timedelta(days=offset)
            if stored_status_holds(stored=stored, day=day):
                assert check_values(person_id=person.pk, day=day) == stored.values, (as_of, day)
                used_later += day > stored.as_of
    assert used_later > 0


def test_another_day_than_the_snapshots_is_evaluated(hospital, late_payer):
    eligibility_recompute(person_id=late_payer.pk, as_of=D(2025, 4, 10))
    body = check(hospital, late_payer, D(2025, 6, 10)).json()
    assert (body["source"], body["as_of"], body["state"]) == ("rules", "2025-04-10", "covered")


def test_a_pending_recompute_makes_the_rules_answer(hospital, stopped_worker):
    eligibility_recompute(person_id=stopped_worker.pk, as_of=D(2025, 8, 15))
    # A payment recorded today (the nightly run has not seen it yet) marks the person.
    _flexible_months(stopped_worker, stopped_worker.household_region, 2025, range(4, 9), D(2025, 8, 15))
    RecomputeRequest.objects.create(person=stopped_worker, requested_at=timezone.now())
    body = check(hospital, stopped_worker, D(2025, 8, 15)).json()
    assert body["source"] == "rules"
    assert (body["covered"], body["state"]) == (True, "covered")


def test_the_fast_path_costs_a_bounded_number_of_queries(hospital, late_payer, django_assert_max_num_queries):
    eligibility_recompute(person_id=late_payer.pk, as_of=D(2025, 6, 10))
    check(hospital, late_payer, D(2025, 6, 10))  # the client's last use is written once
    # token lookup, client regions, the person with the stored status, the access log row
    with django_assert_max_num_queries(4):
        body = check(hospital, late_payer, D(2025, 6, 10)).json()
    assert body["source"] == "snapshot"


def test_the_service_answers_none_outside_the_regions(late_payer, fuzhou, nanchang):
    day = D(2025, 6, 10)
    assert eligibility_check(id_number=late_payer.id_number, service_date=day, inpatient=False, regions=None)
    assert (
        eligibility_check(
            id_number=late_payer.id_number, service_date=day, inpatient=False, regions=frozenset({fuzhou.pk})
        )
        is None
    )
    nowhere = eligibility_check(id_number=late_payer.id_number, service_date=day, inpatient=False, regions=frozenset())
    assert nowhere is None
    answer = eligibility_check(
        id_number=late_payer.id_number, service_date=day, inpatient=False, regions=frozenset({nanchang.pk})
    )
    assert answer is not None and answer.source is Source.RULES


# --- who may ask, and the access log ------------------------------------------------------------


def test_no_token_is_401(api, late_payer):
    response = check(api, late_payer, D(2025, 6, 10), **EN)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_reporting_token_is_403(api, reporting_token, late_payer):
    response = check(api.as_token(reporting_token), late_payer, D(2025, 6, 10), **EN)
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "message": "This client lacks the scope eligibility:check."}
    assert not PersonAccess.objects.exists()


def test_a_person_of_another_region_is_404_like_an_unknown_one(api, issue_token, fuzhou, late_payer):
    fuzhou_hospital = api.as_token(issue_token([CHECK], regions=[fuzhou], kind=ApiClientKind.HOSPITAL))
    outside = check(fuzhou_hospital, late_payer, D(2025, 6, 10), **EN)
    unknown = check(fuzhou_hospital, make_id_number(birth_date=D(1970, 1, 1)), D(2025, 6, 10), **EN)
    assert outside.status_code == unknown.status_code == 404
    assert outside.json() == unknown.json()
    assert outside.json()["code"] == "person_not_found"
    assert "No insured person with this ID number" in outside.json()["message"]
    assert not PersonAccess.objects.exists()


def test_a_client_of_the_persons_region_gets_the_answer(api, issue_token, nanchang, late_payer):
    client = api.as_token(issue_token([CHECK], regions=[nanchang], kind=ApiClientKind.HOSPITAL))
    assert check(client, late_payer, D(2025, 6, 10)).status_code == 200


def test_every_answer_is_logged_even_not_covered(api, issue_token, late_payer):
    client_name = "市第一医院"
    client = api.as_token(issue_token([CHECK], name=client_name, kind=ApiClientKind.HOSPITAL))
    assert check(client, late_payer, D(2025, 6, 10)).json()["covered"] is True
    assert check(client, late_payer, D(2025, 4, 10)).json()["covered"] is False
    rows = list(PersonAccess.objects.order_by("pk"))
    assert len(rows) == 2
    assert {(row.person_id, row.api_client.name, row.channel, row.action) for row in rows} == {
        (late_payer.pk, client_name, "api", "api:eligibility.check")
    }


def test_a_staff_session_may_check(api, analyst, late_payer):
    api.force_login(analyst)
    assert check(api, late_payer, D(2025, 6, 10)).status_code == 200
    assert PersonAccess.objects.get().user == analyst


# --- wrong requests -----------------------------------------------------------------------------


def _error(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    return body


def test_a_wrong_check_digit_is_400(hospital, late_payer):
    number = late_payer.id_number
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    body = _error(check(hospital, wrong, D(2025, 6, 10), **EN))
    assert body["code"] == "invalid_id_number"
    assert "The check digit (the last character) does not match" in body["message"]
    assert body["message"].startswith("id_number: ")
    assert not PersonAccess.objects.exists()


@pytest.mark.parametrize(
    ("number", "text"),
    [
        ("36010219900307", "A resident ID number has 18 characters; 14 were entered."),
        ("360102199002301234", "The birth date in the ID number (19900230) is not a real date."),
        ("360102900307123", "15-digit resident ID numbers"),
        ("", "This field may not be blank."),
    ],
)
def test_wrong_id_numbers_are_400_with_the_identity_message(hospital, number, text):
    body = _error(check(hospital, number, D(2025, 6, 10), **EN))
    assert text in body["message"]


def test_full_width_digits_and_a_lower_case_x_are_accepted(hospital, nanchang, policies):
    person = PersonFactory(household_region=nanchang, id_number="36010219900307105X")
    typed = "３６０１０２１９９００３０７１０５x"
    assert check(hospital, typed, D(2025, 6, 10)).status_code == 200
    assert PersonAccess.objects.get().person_id == person.pk


@pytest.mark.parametrize("day", ["2025-02-30", "2025-13-01", "2025-2-3", "20250203", "tomorrow", 20250203, None])
def test_impossible_dates_are_400(hospital, late_payer, day):
    body = {"id_number": late_payer.id_number, "service_date": day, "inpatient": False}
    error = _error(hospital.post(CHECK_URL, body, format="json", **EN))
    assert error["code"] in {"invalid_date", "null"}
    if day is not None:
        assert error["details"]["service_date"] == ["Give a real calendar date as YYYY-MM-DD, e.g. 2026-03-01."]


def test_dates_out_of_range_are_400(hospital, late_payer):
    today = timezone.localdate()
    too_late = today + dt.timedelta(days=MAX_DAYS_AHEAD + 1)
    for day in (D(1989, 12, 31), too_late):
        error = _error(check(hospital, late_payer, day, **EN))
        assert error["code"] == "date_out_of_range"
        latest = (today + dt.timedelta(days=MAX_DAYS_AHEAD)).isoformat()
        assert error["details"]["service_date"] == [f"Give a date from 1990-01-01 to {latest}."]
    assert check(hospital, late_payer, today + dt.timedelta(days=MAX_DAYS_AHEAD)).status_code == 200
    assert check(hospital, late_payer, D(1990, 1, 1)).status_code == 200


def test_missing_fields_are_400(hospital):
    error = _error(hospital.post(CHECK_URL, {}, format="json", **EN))
    assert error["code"] == "required"
    assert set(error["details"]) == {"id_number", "service_date", "inpatient"}
    assert "This field is required." in error["message"]


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"admission_date": "2025-06-01"}, "admission_without_stay", "admission_date"),
        ({"inpatient": True, "admission_date": "2025-06-11"}, "admission_after_service", "admission_date"),
        ({"admission_date": "1989-01-01", "inpatient": True}, "date_out_of_range", "admission_date"),
        ({"patient_name": "张三"}, "unknown_field", "unknown"),
        ({"inpatient": "perhaps"}, "invalid", "inpatient"),
    ],
)
def test_inconsistent_requests_are_400(hospital, late_payer, extra, code, field):
    body = {"id_number": late_payer.id_number, "service_date": "2025-06-10", "inpatient": False, **extra}
    error = _error(hospital.post(CHECK_URL, body, format="json", **EN))
    assert (error["code"], list(error["details"])) == (code, [field])


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "null", "{not json"])
def test_a_body_that_is_not_an_object_is_400(hospital, payload):
    response = hospital.post(CHECK_URL, payload, content_type="application/json", **EN)
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "message"}


def test_the_schema_documents_the_check(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = document["paths"]["/api/v1/eligibility/check"]["post"]
    assert operation["operationId"] == "eligibility_check" and operation["tags"] == ["eligibility"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EligibilityCheckResult"
    }
    assert operation["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert set(document["components"]["schemas"]["EligibilityCheckRequest"]["required"]) == {
        "id_number",
        "service_date",
        "inpatient",
    }


def test_a_reporting_and_check_token_can_use_both(api, issue_token, late_payer):
    client = api.as_token(issue_token([READ, CHECK]))
    assert check(client, late_payer, D(2025, 6, 10)).status_code == 200


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_lookup_writes_the_access_row_with_the_answer(late_payer, issue_token, monkeypatch, vendor):
    # PostgreSQL: in the lookup's own statement; elsewhere (the SQLite demo): right after it.
    from django.db import connection

    from eligibility.check import AccessEntry, check_person_find
    from enrollment.api_clients import api_client_for_token

    client = api_client_for_token(issue_token([CHECK]))
    monkeypatch.setattr(connection, "vendor", vendor)
    entry = AccessEntry(action="api:eligibility.check", channel="api", api_client_id=client.pk)
    assert check_person_find(id_number=late_payer.id_number, regions=None, access=entry) is not None
    assert check_person_find(id_number=make_id_number(), regions=None, access=entry) is None
    rows = list(PersonAccess.objects.values_list("person_id", "api_client_id", "user_id", "channel", "action"))
    assert rows == [(late_payer.pk, client.pk, None, "api", "api:eligibility.check")]


def _bodies():
    number = make_id_number(birth_date=D(1985, 4, 3))
    today = timezone.localdate()
    day, before = today.isoformat(), (today - dt.timedelta(days=3)).isoformat()
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return [
        {"id_number": number, "service_date": day, "inpatient": False},
        {"id_number": number, "service_date": day, "inpatient": True},
        {"id_number": number, "service_date": day, "inpatient": True, "admission_date": before},
        {"id_number": number, "service_date": before, "inpatient": True, "admission_date": day},
        {"id_number": number, "service_date": day, "inpatient": False, "admission_date": before},
        {"id_number": full_width, "service_date": day, "inpatient": False},
        {"id_number": number.lower(), "service_date": day, "inpatient": False},
        {"id_number": f" {number}", "service_date": day, "inpatient": False},
        {"id_number": number, "service_date": day, "inpatient": "true"},
        {"id_number": number, "service_date": day, "inpatient": 1},
        {"id_number": number, "service_date": "2025-02-30", "inpatient": False},
        {"id_number": number, "service_date": "1989-12-31", "inpatient": False},
        {"id_number": number, "service_date": "2999-01-01", "inpatient": False},
        {"id_number": number, "service_date": "20251201", "inpatient": False},
        {"id_number": number[:-1] + ("0" if number[-1] != "0" else "1"), "service_date": day, "inpatient": False},
        {"id_number": number, "service_date": day, "inpatient": False, "colour": "red"},
        {"id_number": number, "service_date": day},
        {"id_number": 36010219850403, "service_date": day, "inpatient": False},
        {"id_number": number, "service_date": None, "inpatient": False},
        {"id_number": number, "service_date": day, "inpatient": False, "admission_date": None},
        [number, day, False],
        "not an object",
    ]


def test_what_the_quick_validation_accepts_the_serializer_accepts_alike():
    from eligibility.api.check import EligibilityCheckSerializer, ordinary_request

    quick_ones = 0
    for body in _bodies():
        quick = ordinary_request(body)
        serializer = EligibilityCheckSerializer(data=body)
        if quick is not None:
            quick_ones += 1
            assert serializer.is_valid(), (body, serializer.errors)
            assert quick == dict(serializer.validated_data), body
    # The ordinary requests (the first three and the full-width and lower-case numbers) take it.
    assert quick_ones == 5
