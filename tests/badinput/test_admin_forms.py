"""Hostile values posted to the clerks' register forms and the payment record screen: the form is shown
again with a message, nothing is stored, never a 500; free text that is kept is escaped when shown."""

import pytest
from django.urls import reverse

from eligibility.models import BenefitDecision
from enrollment.models import Enrollment, Person, PersonEvent
from payments.models import LedgerEntry, Payment
from tests.badinput.catalogue import (
    ALL_VALUES,
    ANY_FIELD,
    BAD_AMOUNTS,
    HOSTILE_TEXT,
    IMG_ONERROR,
    SCRIPT,
    SQL_DROP,
)
from tests.badinput.conftest import assert_escaped, assert_refused_on_the_form, page
from tests.enrollment.test_admin import person_form
from tests.payments.test_payments_admin import record_data as payments_record_data

pytestmark = pytest.mark.django_db


# Text a clerk may legitimately type into a free-text field (a name, a note): it is kept as typed.
KEPT_AS_TEXT = {"sql_or", "sql_drop", "script", "img_onerror", "emoji", "full_width_digits"}
# Text refused in every field: the NUL character, 10,000 characters, nothing at all.
REFUSED_TEXT = {key: value for key, value in HOSTILE_TEXT.items() if key not in KEPT_AS_TEXT}


def without_empty(table):
    return {key: value for key, value in table.items() if key != "empty"}


# --- the person form --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ALL_VALUES.values(), ids=ALL_VALUES.keys())
def test_a_hostile_id_number_is_refused_and_no_person_stored(clerk_web, nanchang, value):
    response = clerk_web.post(reverse("admin:enrollment_person_add"), person_form(nanchang, id_number=value))

    assert_refused_on_the_form(response)
    assert Person.objects.count() == 0


@pytest.mark.parametrize("value", REFUSED_TEXT.values(), ids=REFUSED_TEXT.keys())
def test_a_name_that_is_no_name_is_refused(clerk_web, nanchang, value):
    response = clerk_web.post(reverse("admin:enrollment_person_add"), person_form(nanchang, name=value))

    assert_refused_on_the_form(response)
    assert Person.objects.count() == 0


# The phone is optional: blank or white space is "no phone".
BAD_PHONES = {key: value for key, value in ANY_FIELD.items() if key not in ("empty", "whitespace")}


@pytest.mark.parametrize("value", BAD_PHONES.values(), ids=BAD_PHONES.keys())
def test_a_hostile_phone_number_is_refused(clerk_web, nanchang, value):
    response = clerk_web.post(reverse("admin:enrollment_person_add"), person_form(nanchang, phone=value))

    assert_refused_on_the_form(response)
    assert Person.objects.count() == 0


@pytest.mark.parametrize("value", [SQL_DROP, "1 OR 1=1", "-1", "99999999999999999999", "<b>"])
def test_a_region_or_category_that_is_not_a_choice_is_refused(clerk_web, nanchang, value):
    for field in ("household_region", "category"):
        response = clerk_web.post(reverse("admin:enrollment_person_add"), person_form(nanchang, **{field: value}))
        assert_refused_on_the_form(response)
    assert Person.objects.count() == 0


@pytest.mark.parametrize("value", [SCRIPT, IMG_ONERROR])
def test_a_name_with_markup_is_kept_as_text_and_escaped_on_every_page(clerk_web, nanchang, value):
    # given a name with markup (any text is a name to the register: it is what the clerk typed)
    response = clerk_web.post(reverse("admin:enrollment_person_add"), person_form(nanchang, name=value))
    assert response.status_code == 302, page(response)[:2000]
    person = Person.objects.get()
    assert person.name == value

    # then the pages that show it escape it
    for url in (
        reverse("admin:enrollment_person_change", args=[person.pk]),
        reverse("admin:enrollment_person_changelist"),
        reverse("admin:enrollment_person_history", args=[person.pk]),
    ):
        shown = clerk_web.get(url)
        assert shown.status_code == 200, url
        assert_escaped(page(shown), value)


# --- enrolments and events ----------------------------------------------------------------------


def enrolment_form(person, region, overrides=None):
    data = {
        "person": person.pk,
        "scheme": "resident",
        "region": region.pk,
        "start_date": "2025-03-01",
        "end_date": "",
        "status": "active",
        "employer_name": "",
        "note": "",
    }
    data.update(overrides or {})
    return data


BAD_DATE_INPUT = without_empty(ANY_FIELD)


@pytest.mark.parametrize("value", BAD_DATE_INPUT.values(), ids=BAD_DATE_INPUT.keys())
def test_a_hostile_start_date_of_an_enrolment_is_refused(clerk_web, person, nanchang, value):
    response = clerk_web.post(
        reverse("admin:enrollment_enrollment_add"), enrolment_form(person, nanchang, {"start_date": value})
    )

    assert_refused_on_the_form(response)
    assert Enrollment.objects.count() == 0


@pytest.mark.parametrize("field", ["person", "region", "scheme", "status"])
@pytest.mark.parametrize("value", [SQL_DROP, "' OR 1=1 --", "-1", "1e309", "NaN", "\x00"])
def test_a_hostile_choice_of_an_enrolment_is_refused(clerk_web, person, nanchang, field, value):
    response = clerk_web.post(
        reverse("admin:enrollment_enrollment_add"), enrolment_form(person, nanchang, {field: value})
    )

    assert_refused_on_the_form(response)
    assert Enrollment.objects.count() == 0


def test_a_note_with_markup_is_kept_and_escaped(clerk_web, person, nanchang):
    response = clerk_web.post(
        reverse("admin:enrollment_enrollment_add"), enrolment_form(person, nanchang, {"note": SCRIPT})
    )
    assert response.status_code == 302, page(response)[:2000]
    enrolment = Enrollment.objects.get()
    assert enrolment.note == SCRIPT

    shown = clerk_web.get(reverse("admin:enrollment_enrollment_change", args=[enrolment.pk]))
    assert_escaped(page(shown), SCRIPT)
    assert "&lt;script&gt;" in page(shown)


def test_a_note_with_a_nul_character_is_refused(clerk_web, person, nanchang):
    response = clerk_web.post(
        reverse("admin:enrollment_enrollment_add"), enrolment_form(person, nanchang, {"note": "a\x00b"})
    )

    assert_refused_on_the_form(response, field_message="Null characters are not allowed.")
    assert Enrollment.objects.count() == 0


def event_form(person, **overrides):
    data = {"person": person.pk, "kind": "veteran_discharge", "date": "2025-04-10", "evidence": "退役证 No. 1"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("value", BAD_DATE_INPUT.values(), ids=BAD_DATE_INPUT.keys())
def test_a_hostile_event_date_is_refused(clerk_web, person, value):
    response = clerk_web.post(reverse("admin:enrollment_personevent_add"), event_form(person, date=value))

    assert_refused_on_the_form(response)
    assert PersonEvent.objects.count() == 0


# Evidence is a text field without a length limit: 10,000 characters of it are legitimate.
NO_EVIDENCE = {key: value for key, value in REFUSED_TEXT.items() if key != "long"}


@pytest.mark.parametrize("value", NO_EVIDENCE.values(), ids=NO_EVIDENCE.keys())
def test_evidence_that_is_no_text_is_refused(clerk_web, person, value):
    response = clerk_web.post(reverse("admin:enrollment_personevent_add"), event_form(person, evidence=value))

    assert_refused_on_the_form(response)
    assert PersonEvent.objects.count() == 0


# --- the payment record screen ------------------------------------------------------------------

RECORD_URL = "admin:payments_payment_record"


def record_data(person, overrides=None):
    """The record screen's "record" press (tests/payments/test_payments_admin.py's form data)."""
    data = payments_record_data(person, _record="1")
    data.update(overrides or {})  # "person" itself may be the hostile value
    return data


def written():
    return Payment.objects.count(), LedgerEntry.objects.count(), BenefitDecision.objects.count()


BAD_AMOUNT_INPUT = ANY_FIELD


@pytest.mark.parametrize("value", BAD_AMOUNT_INPUT.values(), ids=BAD_AMOUNT_INPUT.keys())
def test_a_hostile_amount_is_refused_and_nothing_written(clerk_web, person, value):
    response = clerk_web.post(reverse(RECORD_URL), record_data(person, {"amount": value}))

    assert_refused_on_the_form(response)
    assert written() == (0, 0, 0)


# A rate has four decimals (0.0450), so 1.001 is a number of its shape; the others are not.
BAD_NUMBERS = {key: value for key, value in BAD_AMOUNTS.items() if key != "three_decimals"}


@pytest.mark.parametrize("field", ["year", "repair_years", "rate"])
@pytest.mark.parametrize("value", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_a_hostile_number_in_the_payment_question_is_refused(clerk_web, person, field, value):
    response = clerk_web.post(reverse(RECORD_URL), record_data(person, {field: value}))

    assert_refused_on_the_form(response)
    assert written() == (0, 0, 0)


BAD_PAID_AT = {"feb_30_time": "2025-02-30T10:00", "hour_25": "2024-11-10T25:00", **ANY_FIELD}


@pytest.mark.parametrize("value", BAD_PAID_AT.values(), ids=BAD_PAID_AT.keys())
def test_a_hostile_payment_time_is_refused(clerk_web, person, value):
    response = clerk_web.post(reverse(RECORD_URL), record_data(person, {"paid_at": value}))

    assert_refused_on_the_form(response)
    assert written() == (0, 0, 0)


@pytest.mark.parametrize("field", ["person", "kind", "channel", "employee_kind", "frequency"])
@pytest.mark.parametrize("value", [SQL_DROP, "' OR 1=1 --", "-1", "1e309", "\x00", SCRIPT])
def test_a_hostile_choice_in_the_payment_form_is_refused(clerk_web, person, field, value):
    response = clerk_web.post(reverse(RECORD_URL), record_data(person, {field: value}))

    assert_refused_on_the_form(response)
    assert written() == (0, 0, 0)
    assert_escaped(page(response), SCRIPT)


@pytest.mark.parametrize("value", [HOSTILE_TEXT["nul"], HOSTILE_TEXT["long"], "x" * 65])
def test_a_reference_that_cannot_be_one_is_refused(clerk_web, person, value):
    response = clerk_web.post(reverse(RECORD_URL), record_data(person, {"reference": value}))

    assert_refused_on_the_form(response)
    assert written() == (0, 0, 0)


def test_a_reference_with_markup_is_recorded_as_text_and_escaped_on_the_payment_and_the_receipt(clerk_web, person):
    response = clerk_web.post(reverse(RECORD_URL), record_data(person, {"reference": SCRIPT}), follow=True)

    payment = Payment.objects.get()
    assert payment.reference == SCRIPT
    assert_escaped(page(response), SCRIPT)
    receipt = clerk_web.get(reverse("payments:receipt", args=[payment.pk]))
    assert receipt.status_code == 200
    assert_escaped(page(receipt), SCRIPT)
