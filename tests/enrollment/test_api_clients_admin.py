"""The administrator's screens of the REST API: API clients (tokens shown once, revoked, re-issued)
and the personal-data access log (read-only, region-scoped, searched by ID number)."""

import datetime
import logging
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from enrollment.access_log import person_access_record
from enrollment.api_clients import api_client_create, api_client_revoke, token_hash
from enrollment.models import AccessChannel, ApiClient, ApiClientKind, ApiScope, PersonAccess
from enrollment.roles import SUPERVISOR
from tests.factories import TEST_PASSWORD, PersonFactory, StaffRegionFactory, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
READ = ApiScope.REPORTING_READ.value
UNMASKED = ApiScope.REPORTING_UNMASKED.value
CHECK = ApiScope.ELIGIBILITY_CHECK.value
TOKEN = re.compile(r"mi_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")
ADD = reverse("admin:enrollment_apiclient_add")
CLIENTS = reverse("admin:enrollment_apiclient_changelist")
LOG = reverse("admin:enrollment_personaccess_changelist")


def login(client, user):
    client.cookies["django_language"] = "en"
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def form_data(**changes):
    data = {
        "name": "市人民医院 HIS",
        "kind": ApiClientKind.HOSPITAL,
        "scopes": [CHECK],
        "rate": "600/minute",
        "contact": "信息科 0791-1234567",
        "expires_at_0": "",
        "expires_at_1": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def me(token):
    return APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


def issued_token(response):
    tokens = set(TOKEN.findall(response.content.decode()))
    assert len(tokens) == 1, tokens
    return tokens.pop()


@pytest.fixture
def admin_client(client, administrator):
    return login(client, administrator)


@pytest.fixture
def issued(administrator):
    return api_client_create(name="统计报表", kind=ApiClientKind.REPORTING, scopes=[READ], created_by=administrator)


# --- creating a client ------------------------------------------------------------------------------


def test_creating_a_client_shows_the_token_once_and_stores_only_its_hash(admin_client, administrator, nanchang, caplog):
    caplog.set_level(logging.DEBUG)
    # when
    response = admin_client.post(ADD, form_data(regions=[nanchang.pk]))
    # then: a page with the token, which the browser and proxies may not keep
    assert response.status_code == 200
    page = response.content.decode()
    token = issued_token(response)
    assert "Copy the token now: it is not stored and cannot be shown again." in page
    assert "no-store" in response["Cache-Control"]
    client = ApiClient.objects.get()
    assert client.name == "市人民医院 HIS"
    assert client.scopes == [CHECK] and client.rate == "600/minute"
    assert list(client.regions.all()) == [nanchang]
    assert client.created_by == administrator
    assert client.token_hash == token_hash(token) and token not in (client.token_hash, client.token_prefix)
    # the token is nowhere else: not in the messages (cookie storage), the cookies, the change history, the logs
    assert all(token not in str(message) for message in get_messages(response.wsgi_request))
    assert all(token not in morsel.value for morsel in response.cookies.values())
    assert all(token not in morsel.value for morsel in admin_client.cookies.values())
    assert all(token not in (entry.change_message + entry.object_repr) for entry in LogEntry.objects.all())
    assert LogEntry.objects.filter(object_id=str(client.pk)).exists()
    assert token not in caplog.text
    # and it works
    answer = me(token)
    assert answer.status_code == 200
    assert answer.json() == {**answer.json(), "client": "市人民医院 HIS", "scopes": [CHECK], "regions": ["360100"]}


def test_the_token_page_is_shown_in_chinese_too(client, administrator):
    login(client, administrator)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(ADD, form_data())
    assert response.status_code == 200 and me(issued_token(response)).status_code == 200


def test_no_region_means_every_region(admin_client):
    response = admin_client.post(ADD, form_data(scopes=[READ, UNMASKED], kind=ApiClientKind.REPORTING))
    body = me(issued_token(response)).json()
    assert body["regions"] is None and body["scopes"] == [READ, UNMASKED]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"scopes": []}, "scopes", "Give the client at least one scope."),
        ({"scopes": [UNMASKED]}, "scopes", "Full ID numbers are only shown with reporting:read."),
        ({"scopes": ["reporting:write"]}, "scopes", "Select a valid choice."),
        ({"rate": "lots"}, "rate", "Write the rate as a number of requests per second, minute, hour or day"),
        ({"rate": "0/minute"}, "rate", "Write the rate as a number of requests per second, minute, hour or day"),
        ({"name": ""}, "name", "This field is required."),
        (
            {"expires_at_0": "2020-01-01", "expires_at_1": "00:00:00"},
            "expires_at",
            "The expiry must lie in the future.",
        ),
    ],
)
def test_a_wrong_form_is_answered_with_its_error_and_creates_nothing(admin_client, changes, field, message):
    response = admin_client.post(ADD, form_data(**changes))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(text.startswith(message) for text in errors[field]), errors
    assert not ApiClient.objects.exists()
    assert not TOKEN.search(response.content.decode())


def test_a_name_already_taken_is_refused(admin_client, issued):
    response = admin_client.post(ADD, form_data(name="统计报表"))
    assert "name" in response.context["adminform"].form.errors
    assert ApiClient.objects.count() == 1


def test_the_add_form_offers_the_scopes_as_checkboxes(admin_client):
    page = admin_client.get(ADD).content.decode()
    for scope in ApiScope.values:
        assert f'type="checkbox" name="scopes" value="{scope}"' in page


# --- the list and the change page ---------------------------------------------------------------------


def test_the_token_never_appears_on_the_change_page_or_the_list(admin_client):
    token = issued_token(admin_client.post(ADD, form_data()))
    client = ApiClient.objects.get()
    change = admin_client.get(reverse("admin:enrollment_apiclient_change", args=[client.pk])).content.decode()
    listing = admin_client.get(CLIENTS).content.decode()
    for page in (change, listing):
        assert token not in page and client.token_hash not in page
    # only the public prefix, so that the hospital's IT can tell which token is meant
    assert f"mi_{client.token_prefix}_…" in change
    assert 'name="token_hash"' not in change and 'name="token_prefix"' not in change


def test_the_list_shows_regions_scopes_and_state(admin_client, administrator, nanchang, fuzhou):
    limited = api_client_create(name="A", kind=ApiClientKind.REPORTING, scopes=[READ], regions=[fuzhou, nanchang])
    api_client_create(name="B", kind=ApiClientKind.HOSPITAL, scopes=[CHECK])
    revoked = api_client_create(name="C", kind=ApiClientKind.OTHER, scopes=[READ])
    api_client_revoke(client=revoked.client, by=administrator)
    api_client_create(
        name="D", kind=ApiClientKind.OTHER, scopes=[READ], expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    page = admin_client.get(CLIENTS).content.decode()
    rows = {name: row for row in re.findall(r"<tr>.*?</tr>", page, re.S) for name in "ABCD" if f">{name}</a>" in row}
    assert "Nanchang (360100), Fuzhou (361000)" in rows["A"] and "reporting:read" in rows["A"]
    assert "all regions" in rows["B"] and "eligibility:check" in rows["B"]
    assert ">valid<" in rows["A"] and ">valid<" in rows["B"]
    assert ">revoked<" in rows["C"] and ">expired<" in rows["D"]
    assert list(limited.client.regions.order_by("code")) == [nanchang, fuzhou]


def test_the_list_is_searched_by_name(admin_client):
    api_client_create(name="市人民医院", kind=ApiClientKind.HOSPITAL, scopes=[CHECK])
    api_client_create(name="统计报表", kind=ApiClientKind.REPORTING, scopes=[READ])
    names = [client.name for client in admin_client.get(CLIENTS, {"q": "医院"}).context["cl"].result_list]
    assert names == ["市人民医院"]


def test_the_change_form_saves_scopes_and_regions(admin_client, issued, nanchang):
    url = reverse("admin:enrollment_apiclient_change", args=[issued.client.pk])
    data = form_data(name="统计报表", kind=ApiClientKind.REPORTING, scopes=[READ, UNMASKED], regions=[nanchang.pk])
    assert admin_client.post(url, data).status_code == 302
    body = me(issued.token).json()
    assert body["scopes"] == [READ, UNMASKED] and body["regions"] == ["360100"]


def test_the_change_form_validates_the_scopes(admin_client, issued):
    url = reverse("admin:enrollment_apiclient_change", args=[issued.client.pk])
    response = admin_client.post(url, form_data(name="统计报表", scopes=[UNMASKED]))
    assert response.status_code == 200
    issued.client.refresh_from_db()
    assert issued.client.scopes == [READ]


@pytest.mark.parametrize("role", ["clerk", "supervisor", "analyst"])
def test_only_administrators_reach_the_clients(client, issued, role, request):
    login(client, request.getfixturevalue(role))
    change = reverse("admin:enrollment_apiclient_change", args=[issued.client.pk])
    reissue = reverse("admin:enrollment_apiclient_reissue", args=[issued.client.pk])
    for url in (CLIENTS, ADD, change, reissue):
        assert client.get(url).status_code == 403, url
    assert client.post(ADD, form_data()).status_code == 403
    assert client.post(reissue).status_code == 403
    assert ApiClient.objects.count() == 1
    assert me(issued.token).status_code == 200


def test_clients_are_never_deleted(admin_client, issued):
    assert admin_client.get(reverse("admin:enrollment_apiclient_delete", args=[issued.client.pk])).status_code == 403
    assert "delete_selected" not in admin_client.get(CLIENTS).content.decode()


# --- revoking --------------------------------------------------------------------------------------


def test_revoking_asks_first_then_the_token_stops_working(admin_client, administrator, issued):
    other = api_client_create(name="医院", kind=ApiClientKind.HOSPITAL, scopes=[CHECK])
    selection = {"action": "revoke", "_selected_action": [issued.client.pk]}
    # when: the action is chosen
    confirm = admin_client.post(CLIENTS, selection)
    # then: a confirmation page, nothing revoked yet
    assert confirm.status_code == 200
    assert "stop working at once" in confirm.content.decode() and "统计报表" in confirm.content.decode()
    assert me(issued.token).status_code == 200
    # when: confirmed
    done = admin_client.post(CLIENTS, {**selection, "post": "yes"})
    # then
    assert done.status_code == 302
    issued.client.refresh_from_db()
    assert issued.client.revoked_at is not None and issued.client.revoked_by == administrator
    assert me(issued.token).status_code == 401
    assert me(other.token).status_code == 200
    assert [str(m) for m in get_messages(done.wsgi_request)] == ["API clients revoked: 1."]


def test_a_revoked_client_is_read_only_and_stays_revoked(admin_client, administrator, issued):
    api_client_revoke(client=issued.client, by=administrator)
    revoked_at = ApiClient.objects.get().revoked_at
    change = reverse("admin:enrollment_apiclient_change", args=[issued.client.pk])
    reissue = reverse("admin:enrollment_apiclient_reissue", args=[issued.client.pk])
    page = admin_client.get(change)
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode() and reissue not in page.content.decode()
    assert admin_client.post(change, form_data(name="renamed")).status_code == 403
    assert admin_client.post(reissue).status_code == 403
    admin_client.post(CLIENTS, {"action": "revoke", "_selected_action": [issued.client.pk], "post": "yes"})
    client = ApiClient.objects.get()
    assert client.name == "统计报表" and client.revoked_at == revoked_at
    assert me(issued.token).status_code == 401


# --- issuing a new token ---------------------------------------------------------------------------------


def test_issuing_a_new_token_asks_then_replaces_the_old_one(admin_client, issued):
    change = reverse("admin:enrollment_apiclient_change", args=[issued.client.pk])
    reissue = reverse("admin:enrollment_apiclient_reissue", args=[issued.client.pk])
    # the button on the change page leads to a confirmation with a POST form
    assert reissue in admin_client.get(change).content.decode()
    confirm = admin_client.get(reissue)
    assert confirm.status_code == 200 and 'method="post"' in confirm.content.decode()
    assert "csrfmiddlewaretoken" in confirm.content.decode()
    assert me(issued.token).status_code == 200
    # when
    response = admin_client.post(reissue)
    # then
    new_token = issued_token(response)
    assert new_token != issued.token
    assert "no-store" in response["Cache-Control"]
    assert me(issued.token).status_code == 401
    assert me(new_token).status_code == 200
    assert ApiClient.objects.get().token_hash == token_hash(new_token)
    assert all(new_token not in entry.change_message for entry in LogEntry.objects.all())
    assert new_token not in admin_client.get(change).content.decode()


def test_issuing_a_new_token_needs_the_csrf_token(administrator, issued):
    browser = login(Client(enforce_csrf_checks=True), administrator)
    response = browser.post(reverse("admin:enrollment_apiclient_reissue", args=[issued.client.pk]))
    assert response.status_code == 403
    assert me(issued.token).status_code == 200


# --- the access log -------------------------------------------------------------------------------------


@pytest.fixture
def accesses(nanchang, fuzhou, clerk, issued):
    here = PersonFactory(household_region=nanchang, name="南昌人")
    there = PersonFactory(household_region=fuzhou, name="抚州人")
    person_access_record(person_ids=[here.pk], action="api:persons.list", api_client=issued.client)
    person_access_record(person_ids=[there.pk], action="api:persons.list", api_client=issued.client)
    person_access_record(person_ids=[here.pk], action="person page", channel=AccessChannel.ADMIN, user=clerk)
    return here, there


@pytest.fixture
def fuzhou_supervisor(roles, fuzhou):
    user = UserFactory(username="supervisor_fz", is_staff=True, groups=[roles[SUPERVISOR]])
    StaffRegionFactory(user=user, region=fuzhou)
    return user


def test_a_supervisor_sees_the_accesses_to_persons_of_their_regions_only(client, supervisor, accesses):
    here, there = accesses
    response = login(client, supervisor).get(LOG)
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert sorted(row.person_id for row in rows) == [here.pk, here.pk]
    page = response.content.decode()
    assert "南昌人" in page and "抚州人" not in page
    # the ID masked, the actor named
    assert here.id_number not in page and f"{here.id_number[:6]}********{here.id_number[-4:]} 南昌人" in page
    assert "API client 统计报表" in page and "clerk_nc" in page
    # another region's row opened by its URL
    foreign = PersonAccess.objects.get(person=there)
    assert client.get(reverse("admin:enrollment_personaccess_change", args=[foreign.pk])).status_code == 403


def test_the_other_regions_supervisor_and_the_administrator(client, fuzhou_supervisor, administrator, accesses):
    here, there = accesses
    rows = login(client, fuzhou_supervisor).get(LOG).context["cl"].result_list
    assert [row.person_id for row in rows] == [there.pk]
    rows = login(client, administrator).get(LOG).context["cl"].result_list
    assert len(rows) == 3


@pytest.mark.parametrize("role", ["clerk", "analyst"])
def test_clerks_and_analysts_do_not_read_the_access_log(client, role, request, accesses):
    assert login(client, request.getfixturevalue(role)).get(LOG).status_code == 403


def test_the_access_log_is_append_only_for_everyone(client, administrator, accesses):
    login(client, administrator)
    row = PersonAccess.objects.filter(person=accesses[0]).first()
    change = reverse("admin:enrollment_personaccess_change", args=[row.pk])
    assert client.get(reverse("admin:enrollment_personaccess_add")).status_code == 403
    view = client.get(change)
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    assert client.post(change, {"action": "changed"}).status_code == 403
    assert client.get(reverse("admin:enrollment_personaccess_delete", args=[row.pk])).status_code == 403
    assert (
        client.post(reverse("admin:enrollment_personaccess_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    )
    # no actions at all (no "delete selected")
    listing = client.get(LOG)
    assert listing.context["action_form"] is None and "delete_selected" not in listing.content.decode()
    assert PersonAccess.objects.count() == 3
    assert PersonAccess.objects.get(pk=row.pk).action == row.action


def test_the_access_log_is_searched_by_the_exact_id_number(client, administrator, accesses):
    here, there = accesses
    login(client, administrator)
    rows = client.get(LOG, {"q": f" {there.id_number.lower()} "}).context["cl"].result_list
    assert [row.person_id for row in rows] == [there.pk]
    assert list(client.get(LOG, {"q": there.id_number[:10]}).context["cl"].result_list) == []
    assert list(client.get(LOG, {"q": "抚州人"}).context["cl"].result_list) == []


def test_the_access_log_is_filtered_by_channel_and_date(client, administrator, accesses):
    here, _there = accesses
    login(client, administrator)
    rows = client.get(LOG, {"channel__exact": "admin"}).context["cl"].result_list
    assert [(row.person_id, row.action) for row in rows] == [(here.pk, "person page")]
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    in_range = {"at__gte": f"{today} 00:00:00+08:00", "at__lt": f"{tomorrow} 00:00:00+08:00"}
    assert len(client.get(LOG, in_range).context["cl"].result_list) == 3
    earlier = {"at__gte": "2020-01-01 00:00:00+08:00", "at__lt": "2020-01-02 00:00:00+08:00"}
    assert len(client.get(LOG, earlier).context["cl"].result_list) == 0


def test_the_access_log_list_does_not_query_per_row(
    client, administrator, nanchang, issued, django_assert_max_num_queries
):
    persons = [PersonFactory(household_region=nanchang) for _ in range(3)]
    person_access_record(person_ids=[p.pk for p in persons], action="a", api_client=issued.client)
    login(client, administrator)
    with django_assert_max_num_queries(100) as few:
        client.get(LOG)
    more = [PersonFactory(household_region=nanchang) for _ in range(20)]
    person_access_record(person_ids=[p.pk for p in more], action="b", api_client=issued.client)
    with django_assert_max_num_queries(100) as many:
        assert len(client.get(LOG).context["cl"].result_list) == 23
    assert len(many.captured_queries) == len(few.captured_queries)
