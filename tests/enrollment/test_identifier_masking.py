"""Whole ID and phone numbers only for the roles that serve residents (PIPL's minimum necessary):
clerks, supervisors and administrators see them; an analyst reads the register with both masked."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from enrollment.identity import build_id_number
from enrollment.roles import ANALYST, role_permissions
from enrollment.scoping import sees_full_identifiers
from payments.services import PaymentRequest, payment_record
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ID_NUMBER = build_id_number(area_code="360102", birth_date=dt.date(1990, 3, 7), sequence=999)
MASKED = f"360102********{ID_NUMBER[-4:]}"
PHONE = "13812345678"


@pytest.fixture
def person(nanchang, policies):
    person = PersonFactory(household_region=nanchang, id_number=ID_NUMBER, phone=PHONE, name="张三")
    payment_record(
        person=person,
        request=PaymentRequest.resident_year(2026),
        channel="tax_wechat",
        reference="WX-MASK-1",
        amount=Decimal("400.00"),
        paid_at=dt.datetime(2025, 11, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    return person


def test_only_the_analyst_role_lacks_the_permission(clerk, analyst):
    assert sees_full_identifiers(clerk)
    assert not sees_full_identifiers(analyst)
    assert "enrollment.view_full_identifiers" not in role_permissions(ANALYST)


@pytest.mark.parametrize("page", ["list", "change"])
def test_an_analyst_sees_both_numbers_masked(client, analyst, person, page):
    client.force_login(analyst)
    url = (
        reverse("admin:enrollment_person_changelist")
        if page == "list"
        else reverse("admin:enrollment_person_change", args=[person.pk])
    )
    content = client.get(url).content.decode()
    assert MASKED in content
    assert ID_NUMBER not in content and PHONE not in content
    if page == "change":
        assert "138****5678" in content


def test_an_analyst_still_finds_a_person_by_the_whole_number(client, analyst, person):
    client.force_login(analyst)
    response = client.get(reverse("admin:enrollment_person_changelist"), {"q": ID_NUMBER})
    assert list(response.context["cl"].result_list) == [person]


@pytest.mark.parametrize("page", ["list", "change"])
def test_a_clerk_sees_both_numbers_in_full(client, clerk, person, page):
    client.force_login(clerk)
    url = (
        reverse("admin:enrollment_person_changelist")
        if page == "list"
        else reverse("admin:enrollment_person_change", args=[person.pk])
    )
    content = client.get(url).content.decode()
    assert ID_NUMBER in content
    if page == "change":
        assert PHONE in content


def test_the_person_pages_links_to_payments_and_ledger_name_the_person_by_key(client, clerk, person, nanchang):
    other = PersonFactory(household_region=nanchang)
    client.force_login(clerk)
    page = client.get(reverse("admin:enrollment_person_change", args=[person.pk])).context["page"]
    for name in ("ledger", "payments"):
        assert page.urls[name].endswith(f"?person__id__exact={person.pk}")
        rows = client.get(page.urls[name]).context["cl"].result_list
        assert rows and {row.person_id for row in rows} == {person.pk} != {other.pk}


def test_ensure_roles_gives_an_existing_group_a_permission_added_by_a_release(roles, capsys):
    from django.core.management import call_command

    clerk_group = roles["clerk"]
    clerk_group.permissions.remove(*clerk_group.permissions.filter(codename="view_full_identifiers"))
    call_command("ensure_roles")
    assert clerk_group.permissions.filter(codename="view_full_identifiers").exists()
    assert not roles["analyst"].permissions.filter(codename="view_full_identifiers").exists()
    assert "clerk:" in capsys.readouterr().out


def test_an_analyst_reads_the_persons_history_masked(client, analyst, person):
    person.phone = "13912345678"
    person.save()  # a second version, with a changed phone
    client.force_login(analyst)
    history = client.get(reverse("admin:enrollment_person_history", args=[person.pk]))
    assert history.status_code == 200
    pages = [history.content.decode()]
    for record in person.history.all():
        version = client.get(reverse("admin:enrollment_person_simple_history", args=[person.pk, record.pk]))
        assert version.status_code == 200
        pages.append(version.content.decode())
    for page in pages:
        assert ID_NUMBER not in page and PHONE not in page and "13912345678" not in page
