"""What tests/api/test_errors.py and the schema fuzz test leave out: the whole hostile catalogue as the
check's ID number and dates, and as filter values of the reporting lists. Never a 5xx, always the
error shape or an empty list, nothing written."""

import pytest

from enrollment.models import ApiClient, Person
from tests.api.conftest import CHECK, READ, UNMASKED  # noqa: F401  (the api fixtures come from tests/api)
from tests.badinput.catalogue import ALL_VALUES, ANY_FIELD
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

CHECK_URL = "/api/v1/eligibility/check"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def api_client_(issue_token):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token([READ, UNMASKED, CHECK])}")
    return client


@pytest.fixture
def issue_token(db):
    from enrollment.api_clients import api_client_create
    from enrollment.models import ApiClientKind

    def issue(scopes):
        return api_client_create(name="badinput", kind=ApiClientKind.REPORTING, scopes=scopes, regions=()).token

    return issue


def assert_error_shape(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert {"code", "message"} <= set(body) and body["message"].strip()
    return body


@pytest.mark.parametrize("field", ["id_number", "service_date"])
@pytest.mark.parametrize("value", ALL_VALUES.values(), ids=ALL_VALUES.keys())
def test_a_hostile_value_in_the_check_is_a_400(api_client_, nanchang, field, value):
    person = PersonFactory(household_region=nanchang)
    payload = {"id_number": person.id_number, "service_date": "2026-11-20", "inpatient": True, field: value}

    response = api_client_.post(CHECK_URL, payload, format="json", **EN)

    assert response.status_code == 400
    assert field in assert_error_shape(response).get("details", {})
    assert Person.objects.count() == 1


@pytest.mark.parametrize("value", ["1e309", "NaN", "<script>alert(1)</script>", [], {}])
def test_a_hostile_inpatient_flag_is_a_400(api_client_, nanchang, value):
    person = PersonFactory(household_region=nanchang)
    payload = {"id_number": person.id_number, "service_date": "2026-11-20", "inpatient": value}

    response = api_client_.post(CHECK_URL, payload, format="json", **EN)

    assert response.status_code == 400
    assert_error_shape(response)


FILTERS = [
    ("/api/v1/persons", "id_number"),
    ("/api/v1/persons", "birth_date_from"),
    ("/api/v1/persons", "gender"),
    ("/api/v1/payments", "channel"),
    ("/api/v1/enrollments", "person"),
]
FILTER_VALUES = {key: value for key, value in ANY_FIELD.items() if key not in ("empty",)}


FILTER_CASES = [
    pytest.param(path, name, value, id=f"{path.rsplit('/', 1)[-1]}-{name}-{key}")
    for path, name in FILTERS
    for key, value in FILTER_VALUES.items()
]


@pytest.mark.parametrize(("path", "name", "value"), FILTER_CASES)
def test_a_hostile_filter_value_is_refused_or_finds_nothing(api_client_, nanchang, path, name, value):
    PersonFactory(household_region=nanchang)
    clients = ApiClient.objects.count()

    response = api_client_.get(path, {name: value}, **EN)

    assert response.status_code in (200, 400), response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 200:
        assert response.json()["results"] == []
    else:
        assert_error_shape(response)
    assert (Person.objects.count(), ApiClient.objects.count()) == (1, clients)
