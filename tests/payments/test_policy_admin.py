"""Policy profiles in the clerk workspace: who may change them, and bad parameters refused."""

import copy

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from eligibility.rules.profile import GROUPS
from enrollment import roles as roles_module
from enrollment.roles import ADMINISTRATOR, SUPERVISOR, roles_ensure
from payments.models import PolicyProfile
from payments.policy_forms import field_name, group_field_name
from payments.policy_parameters import GROUP_TITLES, PARAMETERS
from payments.policy_years import policy_rollover
from tests.factories import TEST_PASSWORD, StaffRegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(roles, nanchang):
    # Supervisors keep the parameters of the regions they serve (enrollment/scoping.py).
    user = UserFactory(username="supervisor", is_staff=True, groups=[roles[SUPERVISOR]])
    StaffRegionFactory(user=user, region=nanchang)
    return user


@pytest.fixture
def administrator(roles):
    return UserFactory(username="administrator", is_staff=True, groups=[roles[ADMINISTRATOR]])


@pytest.fixture
def jx_2025(policies, nanchang):
    return PolicyProfile.objects.get(region=nanchang, scope="resident", coverage_year=2025)


@pytest.fixture
def draft(policies, nanchang):
    """JX-2028 for Nanchang, rolled over from 2027: a draft, edited freely (published ones are read-only)."""
    source = PolicyProfile.objects.get(region=nanchang, scope="resident", coverage_year=2027)
    return policy_rollover(sources=[source], actor=None).created[0]


@pytest.fixture
def employee_draft(policies, nanchang):
    source = PolicyProfile.objects.get(region=nanchang, scope="employee", coverage_year=2027)
    return policy_rollover(sources=[source], actor=None).created[0]


def login(client, user, language="zh-hans"):
    client.cookies["django_language"] = language
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def _form_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def form_data(profile, **params_changes):
    """The structured form as a supervisor fills it: one field per parameter, a tick box per group."""
    params = copy.deepcopy(profile.params)
    for name, value in params_changes.items():
        if value is DELETE:
            params[name] = None
        else:
            params[name] = value
    data = {
        "region": profile.region_id,
        "scope": profile.scope,
        "coverage_year": profile.coverage_year,
        "effective_from": profile.effective_from.isoformat(),
        "name": profile.name,
        "title": profile.title,
        "flexible_rate_tiers": ", ".join(str(t) for t in profile.flexible_rate_tiers),
        "notes": profile.notes,
    }
    for group in GROUPS:
        if any(name.startswith(group + ".") for name in params):
            data[group_field_name(group)] = "on"
    for name, value in params.items():
        data[field_name(name)] = _form_value(value)
    return data


DELETE = object()
BAD_PARAMETERS = [
    pytest.param({"resident.cp_end": "2027-09-01"}, "早于", "is before", id="window-ends-before-it-starts"),
    pytest.param({"resident.late_window_end": "2027-12-31"}, "2028年", "must lie in 2028", id="outside-its-year"),
    pytest.param({"resident.premium.ordinary": "-400.00"}, "大于或等于", "greater than or equal", id="negative"),
    pytest.param({"resident.late_premium_mode": "HALF_COST"}, "有效的选项", "valid choice", id="unknown"),
    pytest.param({"resident.cp_start": "2027-13-45"}, "有效日期", "Enter a valid date", id="impossible-date"),
    pytest.param({"resident.subsidy": DELETE}, "必须填写", "is needed", id="missing"),
]


@pytest.mark.parametrize(("changes", "zh", "en"), BAD_PARAMETERS)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_bad_parameters_are_refused_in_the_users_language_and_nothing_is_saved(
    client, supervisor, draft, changes, zh, en, language
):
    # given
    before = (copy.deepcopy(draft.params), draft.history.count())
    login(client, supervisor, language)

    # when
    response = client.post(reverse("admin:payments_policyprofile_change", args=[draft.pk]), form_data(draft, **changes))

    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert escape(zh if language == "zh-hans" else en) in body
    draft.refresh_from_db()
    assert (draft.params, draft.history.count()) == before


def test_a_missing_parameter_is_named_with_all_the_others(client, supervisor, draft):
    login(client, supervisor, "en")
    data = form_data(draft, **{"resident.subsidy": DELETE, "resident.fixed_wait": DELETE})
    body = client.post(reverse("admin:payments_policyprofile_change", args=[draft.pk]), data).content.decode()
    assert "public subsidy per person is needed" in body and "fixed waiting period is needed" in body


def test_a_group_set_as_a_whole_or_not_at_all(client, supervisor, draft):
    # Without the tick box of the critical-illness group, its parameters are not part of the profile.
    login(client, supervisor, "en")
    data = form_data(draft)
    del data[group_field_name("ci")]

    response = client.post(reverse("admin:payments_policyprofile_change", args=[draft.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert not any(name.startswith("ci.") for name in draft.params) and "resident.subsidy" in draft.params


def test_a_resident_profile_without_resident_parameters_is_refused(client, supervisor, policies, nanchang):
    employee = PolicyProfile.objects.get(region=nanchang, scope="employee", coverage_year=2026)
    login(client, supervisor, "en")
    data = {**form_data(employee), "scope": "resident", "effective_from": "2025-07-01"}
    response = client.post(reverse("admin:payments_policyprofile_add"), data)
    assert response.status_code == 200
    assert "needs the resident.*, exemptions.* parameters" in response.content.decode()
    assert PolicyProfile.objects.filter(region=nanchang, scope="resident", coverage_year=2026).count() == 1


def test_rate_tiers_without_the_profile_rate_are_refused(client, supervisor, employee_draft):
    employee = employee_draft
    login(client, supervisor)
    data = {**form_data(employee), "flexible_rate_tiers": "0.045"}
    response = client.post(reverse("admin:payments_policyprofile_change", args=[employee.pk]), data)
    assert response.status_code == 200 and "费率档次必须包含" in response.content.decode()
    employee.refresh_from_db()
    assert employee.flexible_rate_tiers == []


def test_a_supervisors_valid_change_is_saved_with_its_history(client, supervisor, draft):
    login(client, supervisor)
    data = form_data(draft, **{"resident.subsidy": "720.00"})
    data["flexible_rate_tiers"] = ""

    response = client.post(reverse("admin:payments_policyprofile_change", args=[draft.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert draft.params["resident.subsidy"] == "720.00" and draft.flexible_rate_tiers == []
    assert draft.params["resident.cp_end"] == "2028-02-29"  # dates stored as the rules read them
    latest = draft.history.first()
    assert draft.history.count() == 2 and latest.history_user == supervisor
    history = client.get(reverse("admin:payments_policyprofile_history", args=[draft.pk]))
    assert history.status_code == 200 and "supervisor" in history.content.decode()


def test_an_administrator_adds_a_mid_year_change_with_rate_tiers(client, administrator, policies, nanchang):
    employee = PolicyProfile.objects.get(region=nanchang, scope="employee", coverage_year=2026)
    login(client, administrator)
    data = {
        **form_data(employee),
        "effective_from": "2026-07-01",
        "name": "NC-2026b",
        "flexible_rate_tiers": "0.045, 0.065",
    }

    response = client.post(reverse("admin:payments_policyprofile_add"), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    added = PolicyProfile.objects.get(name="NC-2026b")
    assert added.flexible_rate_tiers == ["0.045", "0.065"]  # stored as the decimal strings the rules read
    assert added.status == "draft"  # in force only once published


def test_the_same_region_scope_year_and_start_day_twice_is_refused(client, administrator, jx_2025):
    login(client, administrator)
    response = client.post(reverse("admin:payments_policyprofile_add"), form_data(jx_2025))
    assert response.status_code == 200 and "已存在" in response.content.decode()
    assert PolicyProfile.objects.filter(name=jx_2025.name, region=jx_2025.region).count() == 1


def test_the_parameters_are_grouped_with_labels_units_and_help(client, supervisor, draft):
    login(client, supervisor)
    body = client.get(reverse("admin:payments_policyprofile_change", args=[draft.pk])).content.decode()
    with translation.override("zh-hans"):
        for parameter in ("resident.cp_start", "resident.premium.ordinary", "flexible.rate"):
            assert escape(str(PARAMETERS[parameter].label)) in body
        assert escape(str(GROUP_TITLES["resident"])) in body
    assert 'name="p__resident__cp_start" value="2027-10-15"' in body
    assert 'name="p__resident__premium__ordinary" value="400.00"' in body


def test_the_list_shows_region_scope_year_and_start(client, supervisor, policies):
    login(client, supervisor, "en")
    body = client.get(reverse("admin:payments_policyprofile_changelist")).content.decode()
    assert "JX-2025" in body and "NC-2026" in body and "Nanchang" in body
    assert "Jan. 1, 2024" in body  # the 2025 profiles apply from the start of the collection year
    assert "policy-status-published" in body


@pytest.mark.parametrize("actor", ["clerk", "analyst"])
def test_clerks_and_analysts_cannot_change_policies(client, jx_2025, actor, request):
    user = request.getfixturevalue(actor)
    login(client, user)
    url = reverse("admin:payments_policyprofile_change", args=[jx_2025.pk])

    # Both read the parameters of the profile (a read-only page), neither can save it.
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(url, form_data(jx_2025, **{"resident.subsidy": "1.00"})).status_code == 403
    assert client.post(reverse("admin:payments_policyprofile_add"), form_data(jx_2025)).status_code == 403
    jx_2025.refresh_from_db()
    assert jx_2025.params["resident.subsidy"] == "670.00"


def test_nobody_deletes_a_profile_from_the_workspace(client, administrator, jx_2025):
    login(client, administrator)
    response = client.post(reverse("admin:payments_policyprofile_delete", args=[jx_2025.pk]), {"post": "yes"})
    assert response.status_code == 403 and PolicyProfile.objects.filter(pk=jx_2025.pk).exists()


def test_roles_hold_permissions_of_other_apps(clerk, analyst, supervisor, administrator):
    assert clerk.has_perm("enrollment.add_person") and clerk.has_perm("payments.add_payment")
    assert clerk.has_perm("payments.view_payment") and clerk.has_perm("payments.view_ledgerentry")
    # Clerks read the parameters (of their regions) to explain a quote; they never change them.
    assert clerk.has_perm("payments.view_policyprofile") and not clerk.has_perm("payments.change_policyprofile")
    assert not clerk.has_perm("payments.change_payment")
    assert analyst.has_perm("payments.view_payment") and analyst.has_perm("payments.view_ledgerentry")
    assert not analyst.has_perm("payments.add_payment") and not analyst.has_perm("enrollment.add_person")
    for user in (supervisor, administrator):
        assert user.has_perm("payments.change_policyprofile") and user.has_perm("payments.add_policyprofile")
        assert user.has_perm("payments.change_payment") and user.has_perm("payments.add_payment")
        assert not user.has_perm("payments.delete_policyprofile")


def test_roles_ensure_is_repeatable_and_sets_exactly_the_listed_permissions(roles):
    again = roles_ensure()
    clerk = again["clerk"]
    names = {f"{p.content_type.app_label}.{p.codename}" for p in clerk.permissions.select_related("content_type")}
    assert names == set(roles_module.role_permissions("clerk"))
    assert Group.objects.filter(name__in=list(roles_module.ROLE_PERMISSIONS)).count() == 4


def test_an_unknown_permission_name_is_an_error(db, monkeypatch):
    monkeypatch.setitem(roles_module.ROLE_PERMISSIONS, "clerk", ["payments.view_payment", "payments.fly_payment"])
    with pytest.raises(ImproperlyConfigured, match="payments.fly_payment"):
        roles_ensure()


def test_load_policy_profiles_command_reports_what_it_did(nanchang, fuzhou, capsys):
    call_command("load_policy_profiles")
    call_command("load_policy_profiles")

    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["created: 12", "updated: 0"]
    assert lines[3:5] == ["created: 0", "updated: 0"]
    assert lines[2].startswith("skipped regions (not in the register): ") and "520100" in lines[2]
    assert PolicyProfile.objects.count() == 12


def test_load_policy_profiles_command_fails_cleanly_on_a_missing_file(nanchang, tmp_path):
    with pytest.raises(CommandError, match="not loaded"):
        call_command("load_policy_profiles", "--profiles", str(tmp_path / "missing.json"))
    assert PolicyProfile.objects.count() == 0


def test_reading_the_history_does_not_allow_reverting_to_an_old_version(client, supervisor, draft):
    # given: a change, and a reader who may only view profiles
    login(client, supervisor)
    client.post(
        reverse("admin:payments_policyprofile_change", args=[draft.pk]),
        form_data(draft, **{"resident.subsidy": "720.00"}),
    )
    reader = UserFactory(username="reader", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_policyprofile"))
    StaffRegionFactory(user=reader, region=draft.region)
    first = draft.history.last()
    url = reverse("admin:payments_policyprofile_simple_history", args=[draft.pk, first.history_id])
    client.force_login(reader)

    # when
    assert client.get(url).status_code == 200
    response = client.post(url, form_data(first.instance))

    # then
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.params["resident.subsidy"] == "720.00"


def test_a_supervisor_reverts_to_an_old_version_through_the_same_checks(client, supervisor, draft):
    login(client, supervisor)
    url = reverse("admin:payments_policyprofile_change", args=[draft.pk])
    client.post(url, form_data(draft, **{"resident.subsidy": "720.00"}))
    first = draft.history.last()
    revert = reverse("admin:payments_policyprofile_simple_history", args=[draft.pk, first.history_id])

    refused = client.post(revert, form_data(first.instance, **{"resident.premium.ordinary": "-1.00"}))
    reverted = client.post(revert, form_data(first.instance))

    assert refused.status_code == 200 and "大于或等于" in refused.content.decode()
    assert reverted.status_code == 302
    draft.refresh_from_db()
    assert draft.params["resident.subsidy"] == "700.00"
