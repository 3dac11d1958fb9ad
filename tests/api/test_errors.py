"""Point 6 of issue 8: every wrong request is a 4xx in the one documented error shape
`{code, message, details}`, with the message in Chinese by default and in English on request.
Never a 500, never Django's HTML page, whatever the format asked for.

The Chinese texts are read from the catalogue tables (locale/zh/*.json) by their English msgid, so
these tests also prove that the translation reaches the answer.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from stdnum.cn import ric

from enrollment.models import Person
from tests.api.conftest import CHECK, READ, UNMASKED
from tests.factories import EnrollmentFactory, PersonFactory, make_id_number

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}
CHECK_URL = "/api/v1/eligibility/check"
ZH_TEXTS: dict[str, str] = {}
for table in sorted((Path(settings.BASE_DIR) / "locale" / "zh").glob("*.json")):
    ZH_TEXTS.update(json.loads(table.read_text(encoding="utf-8")))

UNKNOWN_FILTER = "Unknown filter: %(names)s. This list accepts: %(known)s."
PAGE_TOO_LARGE = "At most %(max)d rows per page: follow the next link, or ask for format=csv."
BAD_CURSOR = "This cursor is not valid: use the next or previous link of a page."
PAGE_SIZE_NOT_NUMBER = "Give the page size as a whole number."
PAGE_SIZE_TOO_SMALL = "The page size is at least 1."
BAD_DATE = "Give a real calendar date as YYYY-MM-DD, e.g. 2026-03-01."
EMPTY_VALUE = "Give a value, or leave the parameter out."
CHECKSUM = "The check digit (the last character) does not match the other 17; please check the number."
LENGTH = "A resident ID number has 18 characters; %(length)d were entered."
BIRTH_NOT_REAL = "The birth date in the ID number (%(value)s) is not a real date."
BIRTH_NOT_POSSIBLE = "The birth date in the ID number (%(value)s) is not possible."
NOT_FOUND = "Not found, or outside the regions this client serves."
NO_SUCH_ADDRESS = "This API has no such address; the operations are listed at /api/docs/."
PERSONS_KNOWN = (
    "birth_date_from, birth_date_to, category, cursor, format, gender, id_number, page_size, region, "
    "registered_from, registered_to"
)


def zh(msgid: str, **params: object) -> str:
    text = ZH_TEXTS[msgid]
    return text % params if params else text


def en(msgid: str, **params: object) -> str:
    return msgid % params if params else msgid


def assert_error(response, status: int, code: str) -> dict:
    """The one shape: JSON, a stable code, a message for people, details only as an object."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) <= {"code", "message", "details"} and {"code", "message"} <= set(body), body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    assert isinstance(body.get("details", {}), dict), body
    return body


def id_with_birth(birth: str, *, area: str = "360102", sequence: str = "123") -> str:
    """An 18-character number with a right check digit around any eight birth digits (real or not)."""
    body = f"{area}{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def everything(issue_token):
    return issue_token([READ, UNMASKED, CHECK])


@pytest.fixture
def client_(api, everything):
    return api.as_token(everything)


# --- query parameters of the reporting lists ----------------------------------------------------


def test_an_unknown_filter_is_400_in_chinese_by_default(client_):
    body = assert_error(client_.get("/api/v1/persons", {"colour": "red"}), 400, "unknown_filter")
    expected = zh(UNKNOWN_FILTER, names="colour", known=PERSONS_KNOWN)
    assert body["details"] == {"unknown": [expected]}
    assert body["message"] == f"unknown: {expected}"


def test_an_unknown_filter_is_400_in_english_on_request(client_):
    body = assert_error(client_.get("/api/v1/persons", {"colour": "red"}, **EN), 400, "unknown_filter")
    assert body["details"] == {"unknown": [en(UNKNOWN_FILTER, names="colour", known=PERSONS_KNOWN)]}


@pytest.mark.parametrize("headers", [ZH, EN])
def test_an_oversized_page_is_400(client_, headers):
    body = assert_error(client_.get("/api/v1/persons", {"page_size": "1001"}, **headers), 400, "page_too_large")
    translate = zh if headers is ZH else en
    assert body["details"] == {"page_size": [translate(PAGE_TOO_LARGE, max=1000)]}


def test_the_largest_page_is_allowed(client_):
    assert client_.get("/api/v1/persons", {"page_size": "1000"}).status_code == 200


@pytest.mark.parametrize(
    ("value", "code", "msgid"),
    [
        ("abc", "invalid_page_size", PAGE_SIZE_NOT_NUMBER),
        ("1.5", "invalid_page_size", PAGE_SIZE_NOT_NUMBER),
        ("0", "invalid_page_size", PAGE_SIZE_TOO_SMALL),
        ("-3", "invalid_page_size", PAGE_SIZE_TOO_SMALL),
        ("99999999999999999999999", "page_too_large", PAGE_TOO_LARGE),
    ],
)
def test_a_bad_page_size_is_400(client_, value, code, msgid):
    body = assert_error(client_.get("/api/v1/enrollments", {"page_size": value}, **EN), 400, code)
    assert body["details"] == {"page_size": [en(msgid, max=1000) if "%" in msgid else msgid]}
    body = assert_error(client_.get("/api/v1/enrollments", {"page_size": value}), 400, code)
    assert body["details"] == {"page_size": [zh(msgid, max=1000) if "%" in msgid else zh(msgid)]}


def _cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!!",  # not base64: DRF would read it as the first page
        "%00",
        _cursor("x=1"),  # base64, but says nothing about a position
        _cursor("p=abc"),  # a hand-made position that is no primary key: was a 500
        _cursor("r=1&p=x"),
        _cursor("p=1.5"),
        _cursor("p=\x00"),
        _cursor("o=abc"),
        # issue 16: hand-made cursors that DRF would read as a position are refused too
        _cursor("o=5&p=0"),
        _cursor("p=1"),
        _cursor("r=1&p=2"),
    ],
)
def test_a_bad_cursor_is_400(client_, nanchang, cursor):
    PersonFactory(household_region=nanchang)
    body = assert_error(client_.get("/api/v1/persons", {"cursor": cursor}, **EN), 400, "invalid_cursor")
    assert body["details"] == {"cursor": [BAD_CURSOR]}
    body = assert_error(client_.get("/api/v1/persons", {"cursor": cursor}), 400, "invalid_cursor")
    assert body["details"] == {"cursor": [zh(BAD_CURSOR)]}


def test_a_cursor_from_a_link_with_its_signature_changed_is_400(client_, nanchang):
    # issue 16: the cursors of the next and previous links are signed; a changed one is a 400
    PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)
    link = client_.get("/api/v1/persons", {"page_size": "1"}).json()["next"]
    cursor = parse_qs(urlparse(link).query)["cursor"][0]
    value, _, signature = cursor.rpartition(".")
    forged = f"{_cursor('p=0')}.{signature}"
    assert_error(client_.get("/api/v1/persons", {"cursor": forged}, **EN), 400, "invalid_cursor")
    assert client_.get("/api/v1/persons", {"cursor": cursor, "page_size": "1"}).status_code == 200


def test_the_next_link_still_works(client_, nanchang):
    first, second = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)
    page = client_.get("/api/v1/persons", {"page_size": "1"}).json()
    assert [row["id"] for row in page["results"]] == [first.pk]
    following = client_.get(page["next"]).json()
    assert [row["id"] for row in following["results"]] == [second.pk]
    previous = client_.get(following["previous"]).json()
    assert [row["id"] for row in previous["results"]] == [first.pk]


def test_an_empty_filter_value_is_400_not_every_row(client_, nanchang):
    PersonFactory(household_region=nanchang)
    body = assert_error(client_.get("/api/v1/persons?registered_to=&region=", **EN), 400, "empty_parameter")
    assert body["details"] == {"region": [EMPTY_VALUE], "registered_to": [EMPTY_VALUE]}
    body = assert_error(client_.get("/api/v1/persons?page_size="), 400, "empty_parameter")
    assert body["details"] == {"page_size": [zh(EMPTY_VALUE)]}
    # White space is as empty: the ID-number filter strips it and would otherwise match every row.
    body = assert_error(
        client_.get("/api/v1/persons", {"id_number": "  ", "region": "\t"}, **EN), 400, "empty_parameter"
    )
    assert set(body["details"]) == {"id_number", "region"}


def test_a_repeated_parameter_is_400(client_):
    body = assert_error(client_.get("/api/v1/persons?region=360100&region=361000", **EN), 400, "repeated_parameter")
    assert body["details"] == {"region": ["Give this parameter once."]}


def test_one_row_takes_no_filters(client_, nanchang):
    person = PersonFactory(household_region=nanchang)
    body = assert_error(client_.get(f"/api/v1/persons/{person.pk}", {"region": "360100"}, **EN), 400, "unknown_filter")
    assert body["details"] == {"unknown": ["Unknown parameter: region. One row takes no filters."]}
    assert client_.get(f"/api/v1/persons/{person.pk}", {"format": "json"}).status_code == 200


# --- impossible dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/enrollments", "start_from"),
        ("/api/v1/persons", "birth_date_to"),
        ("/api/v1/cases", "due_from"),
        ("/api/v1/aggregates/insured-persons", "on"),
    ],
)
@pytest.mark.parametrize("value", ["2025-02-30", "2025-13-01", "03/01/2026", "20260301", "2026-03-01T00:00"])
def test_an_impossible_date_in_a_filter_is_400(client_, path, name, value):
    response = client_.get(path, {name: value}, **EN)
    assert response.status_code == 400, response.content
    body = assert_error(response, 400, response.json()["code"])
    assert body["details"] == {name: [BAD_DATE]}
    assert body["message"] == f"{name}: {BAD_DATE}"
    assert client_.get(path, {name: value}).json()["details"] == {name: [zh(BAD_DATE)]}


@pytest.mark.parametrize("value", ["2025-02-30", "2026-02-29", "2026-12-32", "2026/12/01", "", 20261201])
def test_an_impossible_date_in_the_check_body_is_400(client_, value):
    payload = {"id_number": make_id_number(), "service_date": value, "inpatient": False}
    body = assert_error(client_.post(CHECK_URL, payload, format="json", **EN), 400, "invalid_date")
    assert body["details"]["service_date"] == [BAD_DATE]


# --- the eligibility check's ID number ----------------------------------------------------------


def _check(client, id_number, **headers):
    payload = {"id_number": id_number, "service_date": "2026-11-20", "inpatient": True}
    return client.post(CHECK_URL, payload, format="json", **headers)


def _wrong_check_digit(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


@pytest.mark.parametrize(
    ("number", "msgid", "params"),
    [
        (_wrong_check_digit(make_id_number()), CHECKSUM, {}),
        ("36010219900307123", LENGTH, {"length": 17}),
        ("3601021990030712345", LENGTH, {"length": 19}),
        (id_with_birth("19900230"), BIRTH_NOT_REAL, {"value": "19900230"}),
        (id_with_birth("19901301"), BIRTH_NOT_REAL, {"value": "19901301"}),
        (id_with_birth("20991231"), BIRTH_NOT_POSSIBLE, {"value": "2099-12-31"}),
    ],
)
def test_a_wrong_id_number_is_400_with_the_reason(client_, number, msgid, params):
    body = assert_error(_check(client_, number, **EN), 400, "invalid_id_number")
    assert body["details"] == {"id_number": [en(msgid, **params)]}
    assert body["message"] == f"id_number: {en(msgid, **params)}"
    body = assert_error(_check(client_, number), 400, "invalid_id_number")
    assert body["details"] == {"id_number": [zh(msgid, **params)]}


# --- bodies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"]
)
def test_a_body_that_is_not_json_is_415(client_, content_type):
    response = client_.generic("POST", CHECK_URL, "id_number=1&service_date=2026-11-20", content_type, **EN)
    body = assert_error(response, 415, "unsupported_media_type")
    assert content_type.split(";")[0] in body["message"]


@pytest.mark.parametrize("text", ["{bad json", "{'id_number': 1}", '{"id_number": "1",}', "\x00\x01", "[" * 5000])
def test_malformed_json_is_400_parse_error(client_, text):
    body = assert_error(client_.generic("POST", CHECK_URL, text, "application/json", **EN), 400, "parse_error")
    assert body["message"].startswith("JSON parse error")


@pytest.mark.parametrize(
    ("payload", "code"), [([1, 2], "invalid"), ("text", "invalid"), (42, "invalid"), (None, "null")]
)
def test_json_that_is_not_an_object_is_400(client_, payload, code):
    assert_error(client_.post(CHECK_URL, json.dumps(payload), content_type="application/json", **EN), 400, code)


def test_a_huge_body_is_413_in_the_error_shape(client_):
    payload = json.dumps({"id_number": "1" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10), "inpatient": True})
    body = assert_error(
        client_.post(CHECK_URL, payload, content_type="application/json", **EN), 413, "request_too_large"
    )
    assert body["message"] == "The request body is too large."
    response = client_.post(CHECK_URL, payload, content_type="application/json")
    assert assert_error(response, 413, "request_too_large")["message"] == zh("The request body is too large.")


def test_a_long_id_number_below_the_size_limit_is_400(client_):
    body = assert_error(_check(client_, "3" * 100_000, **EN), 400, "max_length")
    assert "id_number" in body["details"]


# --- injection strings --------------------------------------------------------------------------

INJECTIONS = [
    "' OR 1=1--",
    "1; DROP TABLE enrollment_person;--",
    "360100' UNION SELECT id_number FROM enrollment_person--",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "%00",
    "\u202e360100",
]


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/persons", "region"),
        ("/api/v1/persons", "category"),
        ("/api/v1/persons", "id_number"),
        ("/api/v1/enrollments", "person"),
        ("/api/v1/cases", "overdue"),
        ("/api/v1/payments", "channel"),
        ("/api/v1/persons", "<script>alert(1)</script>"),
    ],
)
def test_injection_strings_in_filters_are_refused_or_find_nothing(client_, nanchang, path, name, value):
    PersonFactory(household_region=nanchang)
    response = client_.get(path, {name: value}, **EN)
    assert response.status_code in (200, 400), response.content[:300]
    # JSON that a browser will not sniff into HTML: the echoed value cannot run as a script.
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    if response.status_code == 200:
        assert response.json()["results"] == []
    else:
        assert_error(response, 400, response.json()["code"])
    assert Person.objects.count() == 1


def test_an_injection_string_as_the_id_number_of_the_check_is_400(client_):
    body = assert_error(_check(client_, "' OR 1=1--", **EN), 400, "invalid_id_number")
    # Spaces and dashes are dropped before the length is counted (as a clerk types them): 'OR1=1.
    assert body["details"]["id_number"] == [en(LENGTH, length=6)]


# --- methods, addresses, formats ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/persons"),
        ("POST", "/api/v1/persons"),
        ("PUT", "/api/v1/persons/1"),
        ("PATCH", "/api/v1/cases/1"),
        ("POST", "/api/v1/me"),
        ("GET", CHECK_URL),
        ("POST", "/api/v1/aggregates/cases"),
        ("TRACE", "/api/v1/persons"),
    ],
)
def test_a_method_the_operation_lacks_is_405(client_, method, path):
    body = assert_error(client_.generic(method, path, **EN), 405, "method_not_allowed")
    assert body["message"] == f'Method "{method}" not allowed.'


def test_a_405_message_is_chinese_by_default(client_):
    body = assert_error(client_.delete("/api/v1/persons"), 405, "method_not_allowed")
    assert body["message"] == "方法 “DELETE” 不被允许。"


def test_a_missing_row_is_404_like_a_row_of_another_region(api, issue_token, nanchang, fuzhou):
    elsewhere = PersonFactory(household_region=fuzhou)
    api.as_token(issue_token([READ], regions=[nanchang]))
    outside = assert_error(api.get(f"/api/v1/persons/{elsewhere.pk}", **EN), 404, "not_found")
    missing = assert_error(api.get(f"/api/v1/persons/{elsewhere.pk + 1000}", **EN), 404, "not_found")
    assert outside == missing == {"code": "not_found", "message": NOT_FOUND}
    assert api.get(f"/api/v1/persons/{elsewhere.pk}").json()["message"] == zh(NOT_FOUND)


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v1/persons/1.5", "/api/v1/persons/", "/api/v1/aggregates/nope"]
)
def test_an_address_the_api_lacks_is_a_json_404(client_, path):
    # Needs the catch-all route of config/api.py (see enrollment.api.support.api_not_found).
    body = assert_error(client_.get(path, **EN), 404, "not_found")
    assert body["message"] == NO_SUCH_ADDRESS


@pytest.mark.parametrize("format_", ["xml", "yaml", "html"])
def test_an_unknown_format_is_404_in_the_error_shape(client_, format_):
    assert_error(client_.get("/api/v1/persons", {"format": format_}, **EN), 404, "not_found")


def test_an_unacceptable_accept_header_is_406_in_json(client_):
    body = assert_error(client_.get("/api/v1/persons", HTTP_ACCEPT="text/html", **EN), 406, "not_acceptable")
    assert body["message"] == "Could not satisfy the request Accept header."


def test_errors_of_a_csv_request_are_json(client_, api):
    assert_error(client_.get("/api/v1/persons", {"format": "csv", "bogus": "1"}, **EN), 400, "unknown_filter")
    assert_error(client_.get("/api/v1/persons", {"format": "csv", "region": "36"}, **EN), 400, "invalid")
    assert_error(
        client_.get("/api/v1/persons", {"format": "csv", "birth_date_from": "2025-02-30"}, **EN), 400, "invalid"
    )
    assert_error(client_.get("/api/v1/persons/1", {"format": "csv"}, **EN), 400, "csv_for_lists_only")
    api.credentials()
    assert_error(api.get("/api/v1/persons", {"format": "csv"}, **EN), 401, "not_authenticated")


def test_a_csv_export_still_streams_when_the_request_is_right(client_, nanchang):
    EnrollmentFactory(person=PersonFactory(household_region=nanchang), region=nanchang)
    response = client_.get("/api/v1/enrollments", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[0].startswith("id,person,")


# --- 401, 403, 429 ------------------------------------------------------------------------------


def test_401_without_a_token(api):
    body = assert_error(api.get("/api/v1/persons", **EN), 401, "not_authenticated")
    assert body["message"] == "Authentication credentials were not provided."
    assert assert_error(api.get("/api/v1/persons"), 401, "not_authenticated")["message"] == "身份认证信息未提供。"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer " + "x" * 100_000,
        "Bearer mi_\x00\x01_abc",
        "Bearer mi_abcdefgh_\u00e9",
        "Bearer mi_\u4ee4\u724c\u4ee4\u724c_secret",
        "Bearer  ",
        "bearer mi_12345678_" + "a" * 40,
        "Basic dXNlcjpwYXNz",
    ],
)
def test_a_malformed_authorization_header_is_401(api, issue_token, header):
    issue_token([READ])
    response = api.get("/api/v1/me", HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"), **EN)
    assert response.status_code == 401, response.content[:300]
    assert_error(response, 401, response.json()["code"])


def test_403_names_the_missing_scope(api, hospital_token, reporting_token):
    body = assert_error(api.as_token(hospital_token).get("/api/v1/persons", **EN), 403, "permission_denied")
    assert body["message"] == "This client lacks the scope reporting:read."
    body = assert_error(api.as_token(reporting_token).post(CHECK_URL, {}, format="json"), 403, "permission_denied")
    assert body["message"] == zh("This client lacks the scope %(scope)s.", scope="eligibility:check")


def test_429_with_retry_after_in_the_error_shape(api, issue_token):
    api.as_token(issue_token([READ], rate="1/minute"))
    assert api.get("/api/v1/persons").status_code == 200
    body = assert_error(api.get("/api/v1/persons", {"format": "csv"}, **EN), 429, "throttled")
    assert body["message"].startswith("Request was throttled.")
    assert assert_error(api.get("/api/v1/persons"), 429, "throttled")["message"].startswith("请求已被限流。")


@pytest.mark.parametrize("language", ["xx;q=abc, *;q=-1,,", "zh-Hant-TW", "en-GB,en;q=0.9", "\u00e9", "*"])
def test_odd_accept_language_headers_do_not_break_anything(client_, language):
    response = client_.get("/api/v1/persons", {"colour": "red"}, HTTP_ACCEPT_LANGUAGE=language)
    assert_error(response, 400, "unknown_filter")


def test_the_service_date_bounds_are_not_a_server_error(client_):
    for day in (dt.date(1, 1, 1), dt.date(9999, 12, 31)):
        payload = {"id_number": make_id_number(), "service_date": day.isoformat(), "inpatient": False}
        response = client_.post(CHECK_URL, payload, format="json", **EN)
        assert response.status_code == 400
        assert_error(response, 400, "date_out_of_range")
