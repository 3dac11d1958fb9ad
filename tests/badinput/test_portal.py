"""Hostile values in every form of the resident portal: registration with its SMS code, sign-in,
children, the calculator and the applications. The form comes back with a message in English (the
Accept-Language of these tests), no account, case or text message is created, never a 500, and text
that is kept (an application's note, an answer) is escaped when shown."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from enrollment.models import Case, CaseKind, FamilyRelation, Person
from enrollment.portal.accounts import MemorySmsBackend
from tests.badinput.catalogue import ALL_VALUES, ANY_FIELD, BAD_AMOUNTS, BAD_DATES, HOSTILE_TEXT, SCRIPT
from tests.badinput.conftest import assert_escaped, assert_refused_on_the_form, page
from tests.factories import PersonFactory
from tests.portal.conftest import SmsOutbox

pytestmark = pytest.mark.django_db

User = get_user_model()
PHONE = "13812345678"
CODES = {**ANY_FIELD, "five_digits": "12345", "seven_digits": "1234567", "full_width": "１２３４５６"}


@pytest.fixture(autouse=True)
def sms_in_memory(settings):
    settings.PORTAL_SMS_BACKEND = "enrollment.portal.accounts.MemorySmsBackend"
    MemorySmsBackend.outbox.clear()
    yield SmsOutbox()  # the messages queued after the commit, as the resident would get them
    MemorySmsBackend.outbox.clear()


@pytest.fixture
def anonymous():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    return client


@pytest.fixture
def registered_person(nanchang):
    """An insured person without an account yet, phone 13812345678."""
    return PersonFactory(household_region=nanchang, name="王小明", phone=PHONE)


def accounts():
    return User.objects.count()


# --- registration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("id_number", v) for v in ALL_VALUES.values()]
    + [(f, v) for f in ("name", "phone") for v in HOSTILE_TEXT.values()],
    ids=[f"id_number-{k}" for k in ALL_VALUES] + [f"{f}-{k}" for f in ("name", "phone") for k in HOSTILE_TEXT],
)
def test_registration_with_a_hostile_value_sends_no_code_and_creates_no_account(
    anonymous, registered_person, sms_in_memory, field, value
):
    data = {"id_number": registered_person.id_number, "name": registered_person.name, "phone": PHONE, field: value}
    before = accounts()

    response = anonymous.post(reverse("portal:register"), data)

    if field == "name" and value.strip() and "\x00" not in value and len(value) <= 60:
        # A well-formed name that is not the registered one: the portal does not tell (no account
        # enumeration) and goes on to the code page, but sends no code.
        assert response.status_code == 302
    else:
        assert_refused_on_the_form(response)
    assert accounts() == before
    assert sms_in_memory == []
    assert_escaped(page(response), SCRIPT)


@pytest.mark.parametrize(
    "value", [*ANY_FIELD.values(), "12345", "1234567", "１２３４５６"], ids=[*ANY_FIELD, "5", "7", "fw"]
)
def test_a_hostile_sms_code_creates_no_account(anonymous, registered_person, sms_in_memory, value):
    # given a registration that sent its code
    started = anonymous.post(
        reverse("portal:register"), {"id_number": registered_person.id_number, "name": "王小明", "phone": PHONE}
    )
    assert started.status_code == 302 and len(sms_in_memory) == 1
    before = accounts()

    response = anonymous.post(
        reverse("portal:register_confirm"),
        {"code": value, "new_password1": "a-long-pass-2026", "new_password2": "a-long-pass-2026"},
    )

    assert_refused_on_the_form(response)
    assert accounts() == before
    registered_person.refresh_from_db()
    assert registered_person.user_id is None


# --- sign-in ------------------------------------------------------------------------------------

SIGN_IN = {key: value for key, value in ALL_VALUES.items() if key not in ("long",)} | {"long": "9" * 200}


@pytest.mark.parametrize("field", ["username", "password"])
@pytest.mark.parametrize("value", SIGN_IN.values(), ids=SIGN_IN.keys())
def test_a_hostile_sign_in_is_refused_without_a_session(anonymous, resident, field, value):
    data = {"username": resident.user.username, "password": "wrong-but-plausible", field: value}

    response = anonymous.post(reverse("portal:login"), data)

    assert_refused_on_the_form(response)
    assert "_auth_user_id" not in anonymous.session


# --- children -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("id_number", v) for v in ALL_VALUES.values()]
    + [(f, v) for f in ("name", "birth_certificate_number") for v in HOSTILE_TEXT.values()],
    ids=[f"id_number-{k}" for k in ALL_VALUES] + [f"{f}-{k}" for f in ("name", "birth_cert") for k in HOSTILE_TEXT],
)
def test_adding_a_child_with_a_hostile_value_links_nobody(resident_web, resident, field, value):
    child = PersonFactory(household_region=resident.household_region, born=datetime.date(2020, 5, 1))
    data = {"id_number": child.id_number, "name": child.name, "birth_certificate_number": "", field: value}
    if field == "birth_certificate_number" and value.strip() == "":
        data["id_number"] = ALL_VALUES["sql_or"]  # an empty certificate is allowed: refuse on another field
    persons, relations = Person.objects.count(), FamilyRelation.objects.count()

    response = resident_web.post(reverse("portal:children"), data)

    assert_refused_on_the_form(response)
    assert (Person.objects.count(), FamilyRelation.objects.count()) == (persons, relations)


# --- the calculator (a GET form: nothing to store, only no 500 and a message) ---------------------

CALCULATOR_FIELDS = ["paid_on", "year", "repair_years", "cover_from", "cover_to", "action"]
CALCULATOR_VALUES = {**BAD_DATES, **BAD_AMOUNTS, **{k: HOSTILE_TEXT[k] for k in ("sql_drop", "script", "nul", "long")}}


@pytest.mark.parametrize("field", CALCULATOR_FIELDS)
@pytest.mark.parametrize("value", CALCULATOR_VALUES.values(), ids=CALCULATOR_VALUES.keys())
def test_the_calculator_answers_a_hostile_value_with_a_message(resident_web, field, value):
    query = {"action": "repair", "paid_on": "2026-03-02", "year": "2026", "repair_years": "1", field: value}

    response = resident_web.get(reverse("portal:calculator"), query)

    assert_refused_on_the_form(response)
    assert_escaped(page(response), SCRIPT)


# --- applications ------------------------------------------------------------------------------


def form_url(kind):
    return reverse("portal:application_form", kwargs={"kind": kind})


APPLICATION_FIELDS = [
    (CaseKind.FLEXIBLE_ENROLMENT, "start_date", {"start_date": "2026-03-01"}),
    (CaseKind.BACK_PAYMENT, "cover_from", {"cover_from": "2026-01", "cover_to": "2026-12"}),
    (CaseKind.BACK_PAYMENT, "cover_to", {"cover_from": "2026-01", "cover_to": "2026-12"}),
    (CaseKind.SCHEME_SWITCH, "scheme", {"scheme": "employee_flexible", "start_date": "2026-04-01"}),
    (CaseKind.SPECIAL_GROUP, "group", {"group": "veteran_discharge", "event_date": "2026-02-10"}),
    (CaseKind.SPECIAL_GROUP, "event_date", {"group": "veteran_discharge", "event_date": "2026-02-10"}),
]
APPLICATION_VALUES = {**BAD_DATES, **{k: v for k, v in ANY_FIELD.items() if k not in BAD_DATES}}


@pytest.mark.parametrize(
    ("kind", "field", "typed"), APPLICATION_FIELDS, ids=[f"{k}-{f}" for k, f, _t in APPLICATION_FIELDS]
)
@pytest.mark.parametrize("value", APPLICATION_VALUES.values(), ids=APPLICATION_VALUES.keys())
def test_an_application_with_a_hostile_detail_opens_no_case(resident_web, resident, kind, field, typed, value):
    response = resident_web.post(form_url(kind), {"person": resident.pk, **typed, field: value})

    assert_refused_on_the_form(response)
    assert Case.objects.count() == 0
    assert_escaped(page(response), SCRIPT)


@pytest.mark.parametrize("value", [ALL_VALUES["sql_drop"], "-1", "1e309", "NaN", "\x00", "99999999999999999999"])
def test_an_application_for_a_person_that_is_no_choice_opens_no_case(resident_web, value):
    response = resident_web.post(form_url(CaseKind.FLEXIBLE_ENROLMENT), {"person": value, "start_date": "2026-03-01"})

    # The person is a hidden field for a resident acting only for themselves: a forged value is refused
    # with 400 (the page does not show a hidden field's error; only a forged request can get there).
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_a_note_with_markup_is_kept_and_escaped_for_the_resident_and_the_clerk(resident_web, resident, clerk):
    from tests.badinput.conftest import staff_client

    # given a special-group application whose note is markup (a note may say anything)
    data = {"person": resident.pk, "group": "veteran_discharge", "event_date": "2026-02-10", "evidence": SCRIPT}
    response = resident_web.post(form_url(CaseKind.SPECIAL_GROUP), data)
    assert response.status_code == 302, page(response)[:2000]
    case = Case.objects.get()
    assert case.details["evidence"] == SCRIPT

    # then the resident's page and the clerk's case page show it as text
    mine = resident_web.get(reverse("portal:application_detail", kwargs={"case_id": case.pk}))
    assert_escaped(page(mine), SCRIPT)
    clerks = staff_client(clerk).get(reverse("admin:enrollment_case_change", args=[case.pk]))
    assert clerks.status_code == 200
    assert_escaped(page(clerks), SCRIPT)


def test_an_account_of_another_person_cannot_apply_for_them_by_a_forged_person_id(resident_web, other_resident):
    response = resident_web.post(
        form_url(CaseKind.FLEXIBLE_ENROLMENT), {"person": other_resident.pk, "start_date": "2026-03-01"}
    )

    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_a_staff_account_is_not_let_into_the_portal_forms(clerk):
    from tests.badinput.conftest import staff_client

    response = staff_client(clerk).post(form_url(CaseKind.FLEXIBLE_ENROLMENT), {"start_date": "2026-03-01"})

    assert response.status_code in (302, 403, 404)
    assert Case.objects.count() == 0


def test_an_unknown_kind_is_404(resident_web):
    for kind in ("'; DROP TABLE enrollment_case; --", "..%2F..%2Fetc", "correction"):
        assert resident_web.get(f"/my/applications/new/{kind}/").status_code == 404
