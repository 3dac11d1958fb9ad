"""Resident accounts: registration by SMS code, sign-in and lockout, password change and reset,
children, CSRF, and the messages in both languages."""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from enrollment.checklists import NEWBORN
from enrollment.identity import build_id_number
from enrollment.models import Case, CaseKind, CaseState, CodePurpose, FamilyRelation, OneTimeCode, Person, RelationKind
from enrollment.portal import accounts
from enrollment.portal.access import persons_of
from tests.factories import TEST_PASSWORD, PersonFactory, make_id_number
from tests.portal.conftest import RESIDENT_PHONE

NEW_PASSWORD = "Lanting-river-2026"
ZH = Path(__file__).resolve().parents[2] / "locale" / "zh" / "portal_accounts.json"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH_HANS = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def unregistered(db, nanchang):
    """A person of the register with a phone and no account yet."""
    return PersonFactory(household_region=nanchang, name="李四", phone="13900001111")


def code_of(message) -> str:
    return re.search(r"\b(\d{6})\b", message.text).group(1)


def register_start(client, person, **changes):
    data = {"id_number": person.id_number, "name": person.name, "phone": person.phone, **changes}
    return client.post(reverse("portal:register"), data, **EN)


def confirm(client, code, password=NEW_PASSWORD, **extra):
    data = {"code": code, "new_password1": password, "new_password2": password, **extra}
    return client.post(reverse("portal:register_confirm"), data, **EN)


# --- registration -----------------------------------------------------------------------------


def test_register_with_the_code_opens_the_account_and_signs_in(client, unregistered, sms_outbox):
    # when
    response = register_start(client, unregistered)
    # then a code went to the phone of the register, and only its hash is stored
    assert response.status_code == 302 and response["Location"] == reverse("portal:register_confirm")
    assert [m.phone for m in sms_outbox] == [unregistered.phone]
    code = code_of(sms_outbox[0])
    row = OneTimeCode.objects.get(person=unregistered)
    assert code not in row.code_hash and row.purpose == CodePurpose.REGISTER
    page = client.get(reverse("portal:register_confirm"), **EN)
    assert "139****1111" in page.content.decode()
    # when
    response = confirm(client, code)
    # then
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")
    unregistered.refresh_from_db()
    assert unregistered.user.username == unregistered.id_number
    assert unregistered.user.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(unregistered.user.pk)
    # and the code cannot be used again
    with pytest.raises(ValidationError) as error:
        accounts.account_register_confirm(token=row.token, code=code, password=NEW_PASSWORD)
    assert error.value.code == "used"


def test_wrong_code_counts_attempts_and_the_fifth_locks_the_code(client, unregistered, sms_outbox):
    register_start(client, unregistered)
    code = code_of(sms_outbox[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = confirm(client, wrong)
    assert response.status_code == 200
    assert "The code is wrong. Attempts left: 4." in response.content.decode()
    for _ in range(4):
        response = confirm(client, wrong)
    assert "Too many wrong codes. Please ask for a new one." in response.content.decode()
    # even the right code no longer opens it
    response = confirm(client, code)
    assert "Too many wrong codes" in response.content.decode()
    assert OneTimeCode.objects.get(person=unregistered).attempts == 5
    unregistered.refresh_from_db()
    assert unregistered.user is None


def test_expired_code_is_refused(unregistered, sms_outbox):
    sent = timezone.now()
    token = accounts.account_register_start(
        id_number=unregistered.id_number, name=unregistered.name, phone=unregistered.phone, now=sent
    )
    with pytest.raises(ValidationError) as error:
        accounts.account_register_confirm(
            token=token, code=code_of(sms_outbox[0]), password=NEW_PASSWORD, now=sent + datetime.timedelta(minutes=11)
        )
    assert error.value.code == "expired"
    assert not get_user_model().objects.filter(username=unregistered.id_number).exists()


def test_weak_password_does_not_spend_the_code_and_keeps_the_code_typed(client, unregistered, sms_outbox):
    register_start(client, unregistered)
    code = code_of(sms_outbox[0])
    response = confirm(client, code, password="12345678")
    assert response.status_code == 200
    assert f'value="{code}"' in response.content.decode()
    assert OneTimeCode.objects.get(person=unregistered).attempts == 0
    assert confirm(client, code).status_code == 302


def test_resend_is_throttled_and_replaces_the_code(client, unregistered, sms_outbox):
    register_start(client, unregistered)
    first = code_of(sms_outbox[0])
    response = client.post(reverse("portal:register_confirm"), {"resend": "1"}, **EN)
    assert response.status_code == 200
    assert re.search(r"Please wait \d+ s before asking for a new code", response.content.decode())
    assert len(sms_outbox) == 1
    # a minute later a new code is sent, and the first one stops working
    old_token = client.session["portal_register_token"]
    later = timezone.now() + datetime.timedelta(seconds=61)
    new_token = accounts.code_resend(token=old_token, now=later)
    assert len(sms_outbox) == 2
    with pytest.raises(ValidationError):
        accounts.account_register_confirm(token=old_token, code=first, password=NEW_PASSWORD, now=later)
    user = accounts.account_register_confirm(
        token=new_token, code=code_of(sms_outbox[1]), password=NEW_PASSWORD, now=later
    )
    assert user.insured_person == unregistered


def test_at_most_five_codes_an_hour_per_phone(unregistered, sms_outbox):
    start = timezone.now()
    for minute in range(5):
        accounts.account_register_start(
            id_number=unregistered.id_number,
            name=unregistered.name,
            phone=unregistered.phone,
            now=start + datetime.timedelta(minutes=2 * minute),
        )
    with pytest.raises(ValidationError) as error:
        accounts.account_register_start(
            id_number=unregistered.id_number,
            name=unregistered.name,
            phone=unregistered.phone,
            now=start + datetime.timedelta(minutes=20),
        )
    assert error.value.code == "throttled"
    assert len(sms_outbox) == 5


@pytest.mark.parametrize("case", ["unknown person", "wrong name", "wrong phone", "already has an account"])
def test_the_answer_is_the_same_whether_the_person_exists_or_not(
    client, unregistered, resident_account, case, sms_outbox
):
    # given the answer for a real match (another person, another phone: codes are throttled per phone)
    real = Client()
    register_start(real, PersonFactory(household_region=unregistered.household_region, phone="13700007777"))
    real_page = real.get(reverse("portal:register_confirm"), **EN).content.decode()
    real_wrong = confirm(real, "000000" if code_of(sms_outbox[0]) != "000000" else "000001").content.decode()
    sms_outbox.clear()
    data = {
        "unknown person": {"id_number": make_id_number(birth_date=datetime.date(1985, 5, 5)), "phone": "13900001111"},
        "wrong name": {"name": "王五"},
        "wrong phone": {"phone": "13900002222"},
        "already has an account": {
            "id_number": resident_account.id_number,
            "name": resident_account.name,
            "phone": "13900001111",
        },
    }[case]
    # when
    response = register_start(client, unregistered, **data)
    page = client.get(reverse("portal:register_confirm"), **EN).content.decode()
    wrong = confirm(client, "000000").content.decode()
    # then the same steps and texts, and no message sent
    assert response.status_code == 302 and response["Location"] == reverse("portal:register_confirm")
    # (the phone is the one typed; CSRF tokens differ per request)
    mask = re.compile(r'1\d\d\*\*\*\*\d{4}|name="csrfmiddlewaretoken" value="[^"]+"')
    assert mask.sub("", page) == mask.sub("", real_page)
    assert "The code is wrong. Attempts left: 4." in wrong
    typed = re.compile(r'value="00000[01]"')
    assert typed.sub("", mask.sub("", wrong)) == typed.sub("", mask.sub("", real_wrong))
    assert sms_outbox == []


def test_bad_id_number_is_refused_and_the_typed_details_kept(client, unregistered):
    body = build_id_number(area_code="360102", birth_date=datetime.date(1990, 3, 7), sequence=123)
    wrong_check = body[:-1] + ("0" if body[-1] != "0" else "1")
    response = client.post(
        reverse("portal:register"), {"id_number": wrong_check, "name": "赵六", "phone": "13900003333"}, **EN
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "The check digit (the last character) does not match" in content
    assert f'value="{wrong_check}"' in content and 'value="赵六"' in content and 'value="13900003333"' in content
    assert not OneTimeCode.objects.exists()


def test_bad_id_number_message_in_chinese(client, unregistered):
    body = build_id_number(area_code="360102", birth_date=datetime.date(1990, 3, 7), sequence=123)
    wrong_check = body[:-1] + ("0" if body[-1] != "0" else "1")
    response = client.post(
        reverse("portal:register"), {"id_number": wrong_check, "name": "赵六", "phone": "139"}, **ZH_HANS
    )
    with translation.override("zh-hans"):
        from enrollment.identity import parse_id_number

        with pytest.raises(ValidationError) as error:
            parse_id_number(wrong_check, today=timezone.localdate())
        expected = error.value.messages[0]
    assert expected != "The check digit (the last character) does not match the other 17; please check the number."
    content = response.content.decode()
    assert expected in content and 'value="139"' in content


def test_new_texts_have_chinese_in_the_table():
    table = json.loads(ZH.read_text("utf-8"))
    for msgid in [
        "The code is wrong. Attempts left: %(left)d.",
        "Sign-in locked for a while",
        "If the details you entered match our register, a 6-digit code has been sent to %(phone)s. "
        "It is valid for %(minutes)s minutes.",
    ]:
        assert table.get(msgid), msgid


# --- sign-in, lockout, sign-out -----------------------------------------------------------------


def login(client, username, password, **headers):
    return client.post(reverse("portal:login"), {"username": username, "password": password}, **(headers or EN))


def test_login_with_the_id_number_and_logout(client, resident_account):
    response = login(client, resident_account.id_number.lower() + " ", TEST_PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")
    assert client.session["_auth_user_id"] == str(resident_account.user.pk)
    assert client.get(reverse("portal:account"), **EN).status_code == 200
    assert client.get(reverse("portal:logout")).status_code == 405  # only by the form (POST)
    response = client.post(reverse("portal:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:login")
    assert "_auth_user_id" not in client.session
    response = client.get(reverse("portal:account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))


def test_wrong_password_keeps_the_id_number_typed(client, resident_account):
    response = login(client, resident_account.id_number, "not-the-password")
    content = response.content.decode()
    assert response.status_code == 200
    assert "The ID number or the password is wrong." in content
    assert f'value="{resident_account.id_number}"' in content


def test_staff_account_cannot_use_the_portal(client, clerk):
    response = login(client, "clerk_nc", TEST_PASSWORD)
    assert response.status_code == 200
    assert "not linked to an insured person" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_after_repeated_failures(client, resident_account, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, resident_account.id_number, "wrong-password").status_code == 200
    response = login(client, resident_account.id_number, "wrong-password")
    assert response.status_code == 429
    assert "Sign-in locked for a while" in response.content.decode()
    # the right password is refused during the lockout
    response = login(client, resident_account.id_number, TEST_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # another address is not locked out for that account
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert login(other, resident_account.id_number, TEST_PASSWORD).status_code == 302


def test_lockout_page_in_chinese(client, resident_account, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = login(client, resident_account.id_number, "wrong-password", **ZH_HANS)
    table = json.loads(ZH.read_text("utf-8"))
    assert response.status_code == 429
    assert table["Sign-in locked for a while"] in response.content.decode()


def test_clerk_admin_login_works_and_is_locked_out_too(client, clerk, settings):
    url = reverse("admin:login")
    response = client.post(url, {"username": "clerk_nc", "password": TEST_PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    other = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = other.post(url, {"username": "clerk_nc", "password": "wrong", "next": "/admin/"}, **EN)
    assert response.status_code == 429
    assert other.post(url, {"username": "clerk_nc", "password": TEST_PASSWORD}, **EN).status_code == 429


# --- passwords ----------------------------------------------------------------------------------


def test_password_change(client, resident_account):
    client.force_login(resident_account.user)
    url = reverse("portal:password_change")
    response = client.post(
        url, {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, **ZH_HANS
    )
    with translation.override("zh-hans"):
        expected = str(PasswordChangeForm.error_messages["password_incorrect"])
    assert response.status_code == 200 and expected in response.content.decode()
    response = client.post(
        url, {"old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, **EN
    )
    assert response.status_code == 302
    resident_account.user.refresh_from_db()
    assert resident_account.user.check_password(NEW_PASSWORD)
    # still signed in (the session follows the new password)
    assert client.get(reverse("portal:account")).status_code == 200


def test_password_reset_by_phone_code_lifts_the_lockout(client, resident_account, sms_outbox, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, resident_account.id_number, "wrong-password")
    response = client.post(
        reverse("portal:password_reset"), {"id_number": resident_account.id_number, "phone": RESIDENT_PHONE}, **EN
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:password_reset_confirm")
    assert [m.phone for m in sms_outbox] == [RESIDENT_PHONE]
    code = code_of(sms_outbox[0])
    response = client.post(
        reverse("portal:password_reset_confirm"),
        {"code": code, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        **EN,
    )
    assert response.status_code == 302
    resident_account.user.refresh_from_db()
    assert resident_account.user.check_password(NEW_PASSWORD)
    fresh = Client()
    assert login(fresh, resident_account.id_number, NEW_PASSWORD).status_code == 302


def test_password_reset_gives_nothing_away_for_a_wrong_phone(client, resident_account, sms_outbox):
    response = client.post(
        reverse("portal:password_reset"), {"id_number": resident_account.id_number, "phone": "13900009999"}, **EN
    )
    assert response.status_code == 302
    assert sms_outbox == []
    response = client.post(
        reverse("portal:password_reset_confirm"),
        {"code": "123456", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        **EN,
    )
    assert "The code is wrong." in response.content.decode()
    resident_account.user.refresh_from_db()
    assert resident_account.user.check_password(TEST_PASSWORD)


# --- children -----------------------------------------------------------------------------------


@pytest.fixture
def family(resident_account, nanchang):
    child = PersonFactory(household_region=nanchang, name="王小宝", born=datetime.date(2020, 6, 1))
    FamilyRelation.objects.create(person=child, relative=resident_account, kind=RelationKind.PARENT)
    stranger_child = PersonFactory(household_region=nanchang, name="陌生孩", born=datetime.date(2019, 1, 2))
    return child, stranger_child


def test_guardian_sees_the_child_and_not_others(client, resident_account, family):
    child, stranger_child = family
    client.force_login(resident_account.user)
    content = client.get(reverse("portal:children"), **EN).content.decode()
    assert child.name in content and stranger_child.name not in content
    assert set(persons_of(resident_account.user)) == {resident_account, child}
    # adding the linked child confirms it; another person's child is refused with the vague answer
    response = client.post(reverse("portal:children"), {"id_number": child.id_number, "name": child.name}, **EN)
    assert response.status_code == 302
    response = client.post(
        reverse("portal:children"), {"id_number": stranger_child.id_number, "name": stranger_child.name}, **EN
    )
    content = response.content.decode()
    assert "No child with this ID number and name is recorded with you" in content
    assert f'value="{stranger_child.id_number}"' in content
    assert stranger_child not in persons_of(resident_account.user)


def test_another_persons_pages_are_not_reachable(client, resident_account, family, other_resident):
    child, stranger_child = family
    client.force_login(resident_account.user)
    for person in (stranger_child, other_resident):
        assert client.get(reverse("portal:dashboard"), {"person": person.pk}).status_code == 404


def test_newborn_registration_opens_a_case_for_the_clerk(client, resident_account, clerk):
    client.force_login(resident_account.user)
    born = timezone.localdate() - datetime.timedelta(days=20)
    number = build_id_number(area_code="360102", birth_date=born, sequence=456)
    response = client.post(
        reverse("portal:children"),
        {"id_number": number, "name": "王新生", "birth_certificate_number": "q360123456"},
        **EN,
    )
    assert response.status_code == 302
    # the person is created when a clerk approves (issue 16, finding 7): the case carries the child's data
    assert not Person.objects.filter(id_number=number).exists()
    case = Case.objects.get(details__child_id_number=number)
    assert case.person is None and case.details["child_name"] == "王新生"
    assert case.kind == CaseKind.SPECIAL_GROUP and case.details["group"] == NEWBORN
    assert case.state == CaseState.SUBMITTED and case.region == resident_account.household_region
    assert case.details["related_person"] == resident_account.pk and "Q360123456" in case.details["evidence"]
    assert case.opened_by == resident_account.user and case.assigned_to is None
    assert {"birth_certificate", "parent_id_card"} <= set(case.documents.values_list("code", flat=True))
    # not linked before a clerk approves: the relation is the clerk's to record
    assert list(persons_of(resident_account.user)) == [resident_account]
    from enrollment.cases import cases_unassigned

    assert case in cases_unassigned(user=clerk)
    content = client.get(reverse("portal:children"), **EN).content.decode()
    assert "王新生" in content and str(case.pk) in content


def test_newborn_registration_bad_certificate_keeps_input(client, resident_account):
    client.force_login(resident_account.user)
    born = timezone.localdate() - datetime.timedelta(days=20)
    number = build_id_number(area_code="360102", birth_date=born, sequence=457)
    response = client.post(
        reverse("portal:children"), {"id_number": number, "name": "王新生", "birth_certificate_number": "x!"}, **EN
    )
    content = response.content.decode()
    assert "A birth certificate number is 6 to 20 letters and digits" in content
    assert 'value="王新生"' in content
    assert not Person.objects.filter(id_number=number).exists()


def test_an_adult_cannot_be_added_as_a_child(resident_account):
    adult = PersonFactory(born=datetime.date(1960, 1, 1))
    with pytest.raises(ValidationError) as error:
        accounts.child_link(
            guardian=resident_account, user=resident_account.user, id_number=adult.id_number, name=adult.name
        )
    assert error.value.code == "adult"


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, signed_in",
    [
        ("portal:login", False),
        ("portal:register", False),
        ("portal:register_confirm", False),
        ("portal:password_reset", False),
        ("portal:password_reset_confirm", False),
        ("portal:password_change", True),
        ("portal:children", True),
        ("portal:logout", True),
    ],
)
def test_csrf_is_enforced_on_every_account_form(resident_account, name, signed_in):
    client = Client(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(resident_account.user)
    response = client.post(reverse(name), {"username": resident_account.id_number, "password": TEST_PASSWORD})
    assert response.status_code == 403
    if signed_in:
        assert client.session.get("_auth_user_id") == str(resident_account.user.pk)


def test_forms_carry_the_csrf_token(client, resident_account):
    for name in ("portal:login", "portal:register", "portal:password_reset"):
        assert "csrfmiddlewaretoken" in client.get(reverse(name)).content.decode()
    client.force_login(resident_account.user)
    for name in ("portal:password_change", "portal:children"):
        assert "csrfmiddlewaretoken" in client.get(reverse(name)).content.decode()


# --- infrastructure: lockout backend without a request, static files without DEBUG ---------------


def test_authenticate_without_a_request_still_checks_the_password(resident_account):
    from django.contrib.auth import authenticate

    # the shell and the test client's login() pass no request: nothing to count, password still checked
    assert authenticate(username=resident_account.id_number, password=TEST_PASSWORD) == resident_account.user
    assert authenticate(username=resident_account.id_number, password="wrong") is None


def test_static_files_are_served_by_whitenoise_without_debug(settings, tmp_path, db):
    from django.core.management import call_command

    assert settings.DEBUG is False
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    response = Client().get("/static/css/portal.css", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert b"".join(response.streaming_content)
