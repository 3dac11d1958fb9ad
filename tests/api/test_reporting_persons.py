"""GET /api/v1/persons: masking, region limits, filters, ID-number search, cursor pages, CSV, access log."""

from __future__ import annotations

import csv
import datetime
import io
import zoneinfo

import pytest

from enrollment.identity import build_id_number
from enrollment.models import ApiClient, Gender, Person, PersonAccess, PremiumCategory
from tests.api.conftest import READ, UNMASKED
from tests.factories import PersonFactory

URL = "/api/v1/persons"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


def _person(region, *, born, sequence, name, category=PremiumCategory.ORDINARY, phone="", registered=None):
    id_number = build_id_number(area_code="360102", birth_date=born, sequence=sequence)
    person = PersonFactory(id_number=id_number, name=name, household_region=region, category=category, phone=phone)
    if registered is not None:
        Person.objects.filter(pk=person.pk).update(created_at=registered)
        person.refresh_from_db()
    return person


@pytest.fixture
def people(nanchang, fuzhou):
    # given: two persons in Nanchang, one in Fuzhou (sequence odd = male, even = female)
    zhang = _person(
        nanchang,
        born=datetime.date(1980, 5, 1),
        sequence=111,
        name="张三丰",
        phone="13812345678",
        registered=datetime.datetime(2024, 3, 1, 9, 0, tzinfo=SHANGHAI),
    )
    formula = _person(
        nanchang,
        born=datetime.date(1995, 7, 15),
        sequence=112,
        name="=HYPERLINK(1)",
        category=PremiumCategory.FIXED_SUBSIDY,
        # 00:30 in Shanghai is still the previous day in UTC: registered_from must use the local date.
        registered=datetime.datetime(2025, 6, 1, 0, 30, tzinfo=SHANGHAI),
    )
    li = _person(
        fuzhou,
        born=datetime.date(2001, 1, 1),
        sequence=113,
        name="李四",
        category=PremiumCategory.STUDENT,
        registered=datetime.datetime(2026, 1, 10, 12, 0, tzinfo=SHANGHAI),
    )
    return {"zhang": zhang, "formula": formula, "li": li}


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- access -------------------------------------------------------------------------------------


def test_a_token_is_required(api, people):
    response = api.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_hospital_token_without_reporting_read_is_403(api, hospital_token, people):
    response = api.as_token(hospital_token).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "message": "This client lacks the scope reporting:read."}
    assert api.get(f"{URL}/{people['zhang'].pk}").status_code == 403


def test_a_region_limited_token_sees_only_its_region(api, nanchang_token, people):
    api.as_token(nanchang_token)
    assert _ids(api.get(URL)) == {people["zhang"].pk, people["formula"].pk}
    assert api.get(f"{URL}/{people['zhang'].pk}").status_code == 200
    response = api.get(f"{URL}/{people['li'].pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message"}


def test_a_clerk_session_is_scoped_to_the_clerks_region_and_masked(api, clerk, people):
    api.force_login(clerk)
    body = api.get(URL).json()
    assert {row["id"] for row in body["results"]} == {people["zhang"].pk, people["formula"].pk}
    zhang = next(row for row in body["results"] if row["id"] == people["zhang"].pk)
    assert zhang["id_number"] == people["zhang"].id_number[:6] + "********" + people["zhang"].id_number[-4:]
    assert api.get(f"{URL}/{people['li'].pk}").status_code == 404
    # the access log names the clerk
    assert set(PersonAccess.objects.filter(user=clerk).values_list("person_id", flat=True)) == {
        people["zhang"].pk,
        people["formula"].pk,
    }


# --- masking ------------------------------------------------------------------------------------


def test_personal_fields_are_masked_by_default(api, reporting_token, people):
    zhang = people["zhang"]
    body = api.as_token(reporting_token).get(f"{URL}/{zhang.pk}").json()
    assert body == {
        "id": zhang.pk,
        "id_number": f"360102********{zhang.id_number[-4:]}",
        "name": "张**",
        "gender": "male",
        "birth_date": "1980-05-01",
        "phone": "138****5678",
        "region": "360100",
        "category": "ordinary",
        "created_at": "2024-03-01T09:00:00+08:00",
    }
    assert zhang.id_number not in str(api.get(URL).content.decode())


def test_an_unmasked_token_sees_the_full_values(api, unmasked_token, people):
    zhang = people["zhang"]
    body = api.as_token(unmasked_token).get(f"{URL}/{zhang.pk}").json()
    assert (body["id_number"], body["name"], body["phone"]) == (zhang.id_number, "张三丰", "13812345678")


def test_an_empty_phone_stays_empty(api, reporting_token, people):
    body = api.as_token(reporting_token).get(f"{URL}/{people['li'].pk}").json()
    assert body["phone"] == ""
    assert body["name"] == "李*"


# --- filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"region": "360100"}, {"zhang", "formula"}),
        ({"region": "361000"}, {"li"}),
        ({"region": "360200"}, set()),
        ({"category": "student"}, {"li"}),
        ({"category": "fixed_subsidy"}, {"formula"}),
        ({"gender": "female"}, {"formula"}),
        ({"gender": "male"}, {"zhang", "li"}),
        ({"birth_date_from": "1995-07-15"}, {"formula", "li"}),
        ({"birth_date_to": "1995-07-15"}, {"zhang", "formula"}),
        ({"birth_date_from": "1990-01-01", "birth_date_to": "2000-12-31"}, {"formula"}),
        ({"registered_from": "2025-06-01"}, {"formula", "li"}),
        ({"registered_to": "2025-05-31"}, {"zhang"}),
        ({"registered_from": "2024-03-01", "registered_to": "2024-03-01"}, {"zhang"}),
        ({"region": "360100", "gender": "male"}, {"zhang"}),
    ],
)
def test_filters(api, reporting_token, people, params, expected):
    response = api.as_token(reporting_token).get(URL, params)
    assert _ids(response) == {people[name].pk for name in expected}


def test_id_number_search_needs_the_unmasked_scope(api, reporting_token, people):
    response = api.as_token(reporting_token).get(
        URL, {"id_number": people["zhang"].id_number}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unmasked_scope_required"
    assert body["message"] == "id_number: Searching by ID number needs the reporting:unmasked scope."
    assert not PersonAccess.objects.exists()


def test_id_number_search_is_refused_to_staff_sessions(api, analyst, people):
    api.force_login(analyst)
    response = api.get(URL, {"id_number": people["zhang"].id_number})
    assert response.status_code == 400
    assert response.json()["code"] == "unmasked_scope_required"


def test_id_number_search_with_the_unmasked_scope(api, unmasked_token, people):
    zhang = people["zhang"]
    api.as_token(unmasked_token)
    assert _ids(api.get(URL, {"id_number": zhang.id_number})) == {zhang.pk}
    # lower-case x and full-width digits are normalised as everywhere else
    assert _ids(api.get(URL, {"id_number": "３" + zhang.id_number[1:].lower()})) == {zhang.pk}
    assert _ids(api.get(URL, {"id_number": "360102198005019999"})) == set()


def test_id_number_search_stays_within_the_clients_regions(api, issue_token, nanchang, people):
    token = issue_token([READ, UNMASKED], regions=[nanchang])
    assert _ids(api.as_token(token).get(URL, {"id_number": people["li"].id_number})) == set()


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"birth_date_from": "2026-02-30"}, "birth_date_from", "invalid"),
        ({"birth_date_to": "03/01/2026"}, "birth_date_to", "invalid"),
        ({"registered_from": "yesterday"}, "registered_from", "invalid"),
        ({"gender": "other"}, "gender", "invalid_choice"),
        ({"category": "vip"}, "category", "invalid_choice"),
        ({"region": "Nanchang"}, "region", "invalid"),
    ],
)
def test_invalid_filter_values_are_400(api, reporting_token, people, params, field, code):
    response = api.as_token(reporting_token).get(URL, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert list(body["details"]) == [field]
    assert body["message"].startswith(f"{field}: ")


def test_the_date_message_is_clear(api, reporting_token, people):
    response = api.as_token(reporting_token).get(URL, {"birth_date_from": "2026-02-30"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"] == "birth_date_from: Give a real calendar date as YYYY-MM-DD, e.g. 2026-03-01."


def test_an_unknown_filter_is_400(api, reporting_token, people):
    response = api.as_token(reporting_token).get(URL, {"name": "张三丰"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_filter"
    assert response.json()["message"].startswith("unknown: Unknown filter: name.")


# --- pages --------------------------------------------------------------------------------------


def test_the_next_link_walks_every_row_exactly_once(api, reporting_token, nanchang, people):
    for n in range(4):
        _person(nanchang, born=datetime.date(1970, 1, 1 + n), sequence=201 + n, name=f"王{n}")
    api.as_token(reporting_token)
    seen: list[int] = []
    url = f"{URL}?page_size=2"
    pages = 0
    while url:
        body = api.get(url).json()
        assert len(body["results"]) <= 2
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
        pages += 1
    assert sorted(seen) == sorted(Person.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 7
    assert pages == 4


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"page_size": "1001"}, "page_too_large"),
        ({"page_size": "0"}, "invalid_page_size"),
        ({"page_size": "many"}, "invalid_page_size"),
        ({"cursor": "garbage"}, "invalid_cursor"),
    ],
)
def test_bad_page_parameters_are_400(api, reporting_token, people, params, code):
    response = api.as_token(reporting_token).get(URL, params)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_a_page_of_1000_is_allowed(api, reporting_token, people):
    assert len(api.as_token(reporting_token).get(URL, {"page_size": "1000"}).json()["results"]) == 3


def test_a_page_costs_a_fixed_number_of_queries(api, reporting_token, nanchang, django_assert_max_num_queries):
    for n in range(50):
        _person(nanchang, born=datetime.date(1960, 1, 1) + datetime.timedelta(days=n), sequence=301, name=f"赵{n}")
    api.as_token(reporting_token)
    # the token lookup, the page, the access-log insert (and savepoints around it)
    with django_assert_max_num_queries(6):
        response = api.get(URL, {"page_size": "50"})
    assert len(response.json()["results"]) == 50


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_export_is_streamed_masked_and_spreadsheet_safe(api, reporting_token, people):
    response = api.as_token(reporting_token).get(URL, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["id", "id_number", "name", "gender", "birth_date", "phone", "region", "category", "created_at"]
    assert len(rows) == 4
    by_id = {int(row[0]): row for row in rows[1:]}
    assert set(by_id) == {person.pk for person in people.values()}
    zhang = people["zhang"]
    assert by_id[zhang.pk][1:3] == [f"360102********{zhang.id_number[-4:]}", "张**"]
    assert by_id[zhang.pk][5] == "138****5678"
    # a cell that would start a formula gets a leading quote
    assert by_id[people["formula"].pk][2] == "'=************"
    assert zhang.id_number not in text


def test_csv_export_with_the_unmasked_scope_quotes_formulas(api, unmasked_token, people):
    text = b"".join(api.as_token(unmasked_token).get(URL, {"format": "csv"}).streaming_content).decode()
    rows = {int(row[0]): row for row in list(csv.reader(io.StringIO(text[1:])))[1:]}
    assert rows[people["formula"].pk][2] == "'=HYPERLINK(1)"
    assert rows[people["zhang"].pk][1] == people["zhang"].id_number


def test_csv_export_follows_filters_and_regions(api, nanchang_token, people):
    text = b"".join(api.as_token(nanchang_token).get(URL, {"format": "csv", "gender": "male"}).streaming_content)
    rows = list(csv.reader(io.StringIO(text.decode()[1:])))
    assert [int(row[0]) for row in rows[1:]] == [people["zhang"].pk]


def test_csv_errors_are_json(api, reporting_token, people):
    response = api.as_token(reporting_token).get(URL, {"format": "csv", "gender": "x"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "invalid_choice"


# --- access log ---------------------------------------------------------------------------------


def test_every_person_returned_is_logged_with_the_client(api, issue_token, people):
    token = issue_token([READ], name="报表工具")
    client = ApiClient.objects.get(name="报表工具")
    api.as_token(token).get(URL, {"region": "360100"})
    rows = PersonAccess.objects.all()
    assert sorted(rows.values_list("person_id", flat=True)) == sorted([people["zhang"].pk, people["formula"].pk])
    assert {(row.api_client_id, row.user_id, row.channel, row.action) for row in rows} == {
        (client.pk, None, "api", "api:persons.list")
    }


def test_a_detail_and_a_csv_export_are_logged(api, reporting_token, people):
    api.as_token(reporting_token).get(f"{URL}/{people['li'].pk}")
    assert list(PersonAccess.objects.values_list("person_id", "action")) == [(people["li"].pk, "api:persons.retrieve")]
    PersonAccess.objects.all().delete()
    b"".join(api.get(URL, {"format": "csv", "region": "361000"}).streaming_content)
    assert list(PersonAccess.objects.values_list("person_id", "action")) == [(people["li"].pk, "api:persons.list")]


def test_an_empty_page_logs_nothing(api, reporting_token, people):
    api.as_token(reporting_token).get(URL, {"region": "360200"})
    assert not PersonAccess.objects.exists()


def test_gender_values(people):
    # the fixture's sequences give the genders the filter tests rely on
    assert (people["zhang"].gender, people["formula"].gender, people["li"].gender) == (
        Gender.MALE,
        Gender.FEMALE,
        Gender.MALE,
    )
