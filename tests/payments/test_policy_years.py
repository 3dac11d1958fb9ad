"""Policy years (issue 15): roll over, check against the coverage year, diff, preview, publish, warn."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from eligibility.models import RecomputeRun, RunMode
from eligibility.nightly import policies_changed, recompute_run_in_process, recompute_start
from eligibility.policy_preview import policy_preview
from payments.checks import year_readiness_check
from payments.models import PolicyProfile
from payments.policy import NoPolicy, policy_row_for
from payments.policy_parameters import PARAMETERS
from payments.policy_years import (
    PolicyYearRefused,
    date_one_year_on,
    policy_diff,
    policy_publish,
    policy_rollover,
    policy_year_findings,
    previous_year_row,
    year_readiness,
)
from payments.services import PaymentRequest, payment_record, premium_quote
from tests.factories import TEST_PASSWORD, PersonFactory
from tests.payments.test_policy_admin import form_data

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date


def login(client, user, language="zh-hans"):
    client.cookies["django_language"] = language
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def jx(region, year):
    return PolicyProfile.objects.get(region=region, scope="resident", coverage_year=year)


@pytest.fixture
def jx_2028_draft(policies, nanchang, supervisor):
    return policy_rollover(sources=[jx(nanchang, 2027)], actor=supervisor).created[0]


# --- the parameter table --------------------------------------------------------------------


def test_every_parameter_of_section_12_has_a_label_unit_and_help_text():
    from eligibility.rules.profile import PARAMETER_NAMES

    assert set(PARAMETERS) == set(PARAMETER_NAMES)
    with translation.override("zh-hans"):
        for parameter in PARAMETERS.values():
            assert str(parameter.label) and str(parameter.help)
    # Only the windows of the coverage year's calendar move with a roll-over.
    moving = {name for name, parameter in PARAMETERS.items() if parameter.moves_with_year}
    assert moving == {
        "resident.cp_start",
        "resident.cp_end",
        "resident.late_window_end",
        "flexible.backpay_window_start",
        "flexible.backpay_window_end",
    }


# --- roll-over ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 10, 15), D(2027, 10, 15)),
        (D(2027, 2, 28), D(2028, 2, 29)),  # the last day of February stays the last day
        (D(2028, 2, 29), D(2029, 2, 28)),
        (D(2026, 12, 31), D(2027, 12, 31)),
        (D(2026, 9, 30), D(2027, 9, 30)),
    ],
)
def test_a_date_one_year_on(day, expected):
    assert date_one_year_on(day) == expected


def test_roll_over_moves_the_windows_keeps_the_amounts_and_says_so(jx_2028_draft, nanchang, supervisor):
    source = jx(nanchang, 2027)
    draft = jx_2028_draft

    assert (draft.status, draft.coverage_year, draft.name, draft.rolled_over_from) == ("draft", 2028, "JX-2028", source)
    assert draft.effective_from == D(2027, 1, 1)
    assert draft.params["resident.cp_start"] == "2027-10-15"
    assert draft.params["resident.cp_end"] == "2028-02-29"
    assert draft.params["resident.late_window_end"] == "2028-12-31"
    # Amounts and the newborn subsidy's cut-off (a policy date, not a window of the year) stay.
    for name in ("resident.premium.ordinary", "resident.subsidy", "resident.newborn_subsidy_born_from", "ci.base_cap"):
        assert draft.params[name] == source.params[name]
    assert "JX-2027" in draft.notes and supervisor.username in draft.notes
    # A draft answers no quote.
    with pytest.raises(NoPolicy):
        policy_row_for(region_code="360100", year=2028, scope="resident")


def test_roll_over_skips_a_year_that_exists_and_refuses_a_draft_source(jx_2028_draft, nanchang):
    again = policy_rollover(sources=[jx(nanchang, 2027)], actor=None)
    from_draft = policy_rollover(sources=[jx_2028_draft], actor=None)

    assert again.created == [] and "2028" in again.skipped[0]
    assert from_draft.created == [] and "JX-2028" in from_draft.skipped[0]
    assert PolicyProfile.objects.filter(region=nanchang, coverage_year=2028).count() == 1


# --- the checks of the coverage year ---------------------------------------------------------


def test_last_years_profile_copied_without_moving_its_dates_is_refused_naming_the_windows(nanchang):
    from payments.policy_years import PROFILE_FILES

    jx_2026 = json.loads(PROFILE_FILES[0].read_text("utf-8"))["profiles"]["JX-2026"]["params"]
    with translation.override("en"):
        findings = policy_year_findings(
            coverage_year=2027, effective_from=D(2026, 1, 1), params=jx_2026, previous_params=None
        )
    text = " ".join(findings.errors)
    assert "resident.cp_end" in text and "resident.late_window_end" in text
    assert "collection period closes" in text and "last day to pay the year" in text
    # 2025-10-15 opened the collection for 2026; for 2027 it opens in 2026.
    assert "resident.cp_start" in text and "between 2026-01-01 and 2027-12-31" in text


def test_the_same_copy_is_refused_by_the_supervisors_form(client, supervisor, policies, nanchang):
    login(client, supervisor)
    data = {**form_data(jx(nanchang, 2026)), "coverage_year": 2027, "effective_from": "2026-07-01", "name": "X-2027"}

    response = client.post(reverse("admin:payments_policyprofile_add"), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "resident.cp_end" in body and "resident.late_window_end" in body
    assert not PolicyProfile.objects.filter(name="X-2027").exists()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"resident.premium.ordinary": "0.00"}, "must be more than 0"),
        ({"flexible.rate": "1.5"}, "less than 1"),
        ({"ci.max_increase_ratio": "2"}, "less than 1"),
        ({"flexible.backpay_window_start": "2026-12-01", "flexible.backpay_window_end": "2027-01-31"}, "in 2027"),
        ({"resident.cp_end": "2027-01-31", "resident.late_window_end": "2027-01-15"}, "is before"),
    ],
)
def test_amounts_rates_and_windows_are_checked(changes, expected):
    params = {
        "resident.cp_start": "2026-10-15",
        "resident.cp_end": "2027-02-28",
        "resident.late_window_end": "2027-12-31",
        "resident.premium.ordinary": "400.00",
        "flexible.rate": "0.065",
        "ci.max_increase_ratio": "0.20",
        **changes,
    }
    with translation.override("en"):
        findings = policy_year_findings(coverage_year=2027, effective_from=None, params=params, previous_params=None)
    assert any(expected in error for error in findings.errors), findings.errors


def test_a_large_change_from_last_year_is_a_warning_not_an_error():
    last = {"resident.premium.ordinary": "400.00", "resident.subsidy": "700.00"}
    now = {"resident.premium.ordinary": "4000.00", "resident.subsidy": "720.00"}
    with translation.override("en"), override_settings(POLICY_CHANGE_WARNING_SHARE="0.2"):
        findings = policy_year_findings(coverage_year=2027, effective_from=None, params=now, previous_params=last)
    assert findings.errors == []
    assert len(findings.warnings) == 1 and "400.00" in findings.warnings[0] and "4000.00" in findings.warnings[0]


# --- diff ------------------------------------------------------------------------------------


def test_the_diff_tells_moved_windows_from_changed_values(jx_2028_draft, nanchang):
    jx_2028_draft.params["resident.premium.ordinary"] = "420.00"
    jx_2028_draft.save()

    lines = {line.name: line for line in policy_diff(row=jx_2028_draft, previous=previous_year_row(jx_2028_draft))}

    assert lines["resident.cp_start"].change == "moved"
    assert lines["resident.premium.ordinary"].change == "changed"
    assert (lines["resident.premium.ordinary"].old, lines["resident.premium.ordinary"].new) == ("400.00", "420.00")
    assert lines["resident.subsidy"].change == "same"
    assert [name for name, line in lines.items() if line.is_change] == ["resident.premium.ordinary"]


# --- publish ---------------------------------------------------------------------------------


def test_publishing_puts_the_draft_in_force_and_records_who(jx_2028_draft, supervisor):
    with time_machine.travel(dt.datetime(2027, 10, 20, 9, tzinfo=SHANGHAI), tick=False):
        policy_publish(row=jx_2028_draft, actor=supervisor)

    jx_2028_draft.refresh_from_db()
    assert jx_2028_draft.status == "published" and jx_2028_draft.published_by == supervisor
    assert jx_2028_draft.published_at == dt.datetime(2027, 10, 20, 9, tzinfo=SHANGHAI)
    assert policy_row_for(region_code="360100", year=2028, scope="resident") == jx_2028_draft
    latest = jx_2028_draft.history.order_by("-history_id").first()  # the draft was made at today's real time
    assert (latest.status, latest.history_user, latest.history_change_reason) == ("published", supervisor, "published")
    with translation.override("en"), pytest.raises(PolicyYearRefused, match="already published"):
        policy_publish(row=jx_2028_draft, actor=supervisor)


def test_publishing_is_refused_with_errors_and_asks_for_warnings_to_be_checked(jx_2028_draft, supervisor):
    jx_2028_draft.params["resident.late_window_end"] = "2027-12-31"
    jx_2028_draft.save()
    with translation.override("en"), pytest.raises(PolicyYearRefused) as refused:
        policy_publish(row=jx_2028_draft, actor=supervisor)
    assert "resident.late_window_end" in " ".join(refused.value.messages)

    jx_2028_draft.params["resident.late_window_end"] = "2028-12-31"
    jx_2028_draft.params["resident.premium.ordinary"] = "800.00"
    jx_2028_draft.save()
    with translation.override("en"), pytest.raises(PolicyYearRefused) as unchecked:
        policy_publish(row=jx_2028_draft, actor=supervisor)
    assert "Confirm" in unchecked.value.messages[0] and "800.00" in unchecked.value.messages[1]
    jx_2028_draft.refresh_from_db()
    assert jx_2028_draft.status == "draft"

    policy_publish(row=jx_2028_draft, actor=supervisor, warnings_accepted=True)
    jx_2028_draft.refresh_from_db()
    assert jx_2028_draft.status == "published"


def test_only_a_publication_turns_the_nightly_run_into_a_full_one(jx_2028_draft, supervisor):
    recompute_run_in_process(recompute_start(as_of=D(2027, 10, 20), full=True, triggered_by="test"))
    jx_2028_draft.params["resident.subsidy"] = "710.00"
    jx_2028_draft.save()  # editing a draft moves nobody's status
    assert not policies_changed()

    policy_publish(row=jx_2028_draft, actor=supervisor)

    assert policies_changed()
    run = recompute_start(as_of=D(2027, 10, 21), triggered_by="test")
    assert run.mode == RunMode.FULL


def test_a_published_profile_is_read_only_in_the_workspace(client, supervisor, policies, nanchang):
    published = jx(nanchang, 2026)
    login(client, supervisor)
    url = reverse("admin:payments_policyprofile_change", args=[published.pk])

    page = client.get(url).content.decode()
    response = client.post(url, form_data(published, **{"resident.subsidy": "1.00"}))

    assert 'name="_save"' not in page and "resident.cp_start" in page
    assert response.status_code == 403
    published.refresh_from_db()
    assert published.params["resident.subsidy"] == "700.00"


# --- the screens -----------------------------------------------------------------------------


def test_the_supervisor_rolls_a_province_over_and_sees_the_drafts(client, supervisor, policies, nanchang, fuzhou):
    login(client, supervisor, "en")
    page = client.get(reverse("admin:payments_policyprofile_rollover"))
    assert page.status_code == 200 and "江西省" in page.content.decode()

    response = client.post(
        reverse("admin:payments_policyprofile_rollover"), {"province": "江西省", "from_year": "2027"}
    )

    assert response.status_code == 302
    # The supervisor serves Nanchang only: Fuzhou's profiles are not rolled over by them.
    drafts = PolicyProfile.objects.filter(coverage_year=2028)
    assert {(row.region.code, row.scope, row.status) for row in drafts} == {
        ("360100", "resident", "draft"),
        ("360100", "employee", "draft"),
    }


def test_the_draft_page_shows_the_findings_and_the_diff(client, supervisor, jx_2028_draft):
    login(client, supervisor, "en")
    data = form_data(jx_2028_draft, **{"resident.premium.ordinary": "420.00"})
    url = reverse("admin:payments_policyprofile_change", args=[jx_2028_draft.pk])
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[:3000]

    body = client.get(url).content.decode()

    assert "Differences from last year (JX-2027, 2027)" in body
    assert "moved one year on" in body and "420.00" in body
    assert 'name="p__resident__premium__ordinary"' in body and 'type="date"' in body
    assert "Check and publish" in body


def test_publishing_in_the_workspace_starts_the_full_recompute(
    client, supervisor, jx_2028_draft, nanchang, django_capture_on_commit_callbacks
):
    PersonFactory(household_region=nanchang)
    url = reverse("admin:payments_policyprofile_publish", args=[jx_2028_draft.pk])

    with time_machine.travel(dt.datetime(2027, 10, 20, 9, tzinfo=SHANGHAI), tick=False):
        login(client, supervisor, "en")
        assert "Publish" in client.get(url).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {})
        page = client.get(response["Location"])

    assert response.status_code == 302
    jx_2028_draft.refresh_from_db()
    assert jx_2028_draft.status == "published"
    run = RecomputeRun.objects.get()
    assert (run.mode, run.as_of, run.status) == (RunMode.FULL, D(2027, 10, 20), "finished")
    assert run.triggered_by == "policy JX-2028 360100"
    body = page.content.decode()
    assert "is published and in force" in body and "statuses changed" in body


def test_clerks_read_but_neither_roll_over_nor_publish(client, clerk, jx_2028_draft):
    login(client, clerk)
    assert client.get(reverse("admin:payments_policyprofile_rollover")).status_code == 403
    assert client.post(reverse("admin:payments_policyprofile_publish", args=[jx_2028_draft.pk])).status_code == 403
    assert client.get(reverse("admin:payments_policyprofile_preview", args=[jx_2028_draft.pk])).status_code == 200
    jx_2028_draft.refresh_from_db()
    assert jx_2028_draft.status == "draft"


# --- preview ---------------------------------------------------------------------------------


def test_the_preview_shows_what_publishing_would_change(jx_2028_draft, nanchang, supervisor):
    # given: a resident paid for 2027, on 2027-11-01 (next year's collection period is open)
    person = PersonFactory(household_region=nanchang)
    paid_at = dt.datetime(2026, 11, 1, 10, tzinfo=SHANGHAI)
    with time_machine.travel(paid_at, tick=False):
        quote = premium_quote(person=person, request=PaymentRequest.resident_year(2027), on=paid_at.date())
        payment_record(
            person=person,
            request=PaymentRequest.resident_year(2027),
            amount=quote.amount,
            channel="clerk_counter",
            reference="P-1",
            paid_at=paid_at,
            recorded_by=supervisor,
        )
    jx_2028_draft.params["resident.premium.ordinary"] = "420.00"
    jx_2028_draft.save()

    # when
    preview = policy_preview(row=jx_2028_draft, as_of=D(2027, 11, 1))

    # then: the 2028 collection reminders appear, the premium is the draft's, nothing is written
    assert preview.sample_size == 1 and preview.pay_on == D(2027, 11, 1)
    row = preview.rows[0]
    assert row.premium == 420 and row.benefits_from == D(2028, 1, 1)
    assert preview.reminders_changed == 1 and row.reminders_now != row.reminders_after
    assert PolicyProfile.objects.get(pk=jx_2028_draft.pk).status == "draft"


# --- warnings before a year runs out ------------------------------------------------------------


def test_from_september_the_regions_without_next_year_are_named(policies, nanchang, fuzhou):
    before = year_readiness(as_of=D(2027, 8, 31))
    after = year_readiness(as_of=D(2027, 9, 1))
    next_january = year_readiness(as_of=D(2028, 1, 2))

    assert before.warn is False and not [m for m in before.messages if "2028" in m and "policy" in m]
    assert after.warn is True
    assert [region.code for region in after.regions_without_next_year] == ["360100", "361000"]
    # In January a year without its profile is named whatever the date.
    assert [region.code for region in next_january.regions_without_this_year] == ["360100", "361000"]


def test_healthz_carries_the_year_field_without_failing(client, policies):
    with time_machine.travel(dt.datetime(2027, 9, 2, 10, tzinfo=SHANGHAI), tick=False):
        answer = client.get("/healthz/")
    assert answer.status_code == 200
    year = answer.json()["year"]
    assert year["next_year"] == 2028 and year["warn"] is True
    assert year["regions_without_next_year_policy"] == ["360100", "361000"]
    assert 2028 in year["work_calendar_missing_years"]


def test_the_system_check_and_the_admin_index_say_the_same(client, supervisor, policies):
    with time_machine.travel(dt.datetime(2027, 9, 2, 10, tzinfo=SHANGHAI), tick=False):
        with translation.override("en"):
            warnings = year_readiness_check(databases=["default"])
        login(client, supervisor, "en")
        index = client.get(reverse("admin:index")).content.decode()
        listing = client.get(reverse("admin:payments_policyprofile_changelist")).content.decode()
    texts = [warning.msg for warning in warnings]
    assert any("2028" in text and "Nanchang" in text for text in texts)
    assert all(warning.id == "payments.W001" for warning in warnings)
    for page in (index, listing):
        assert "Getting ready for 2028" in page and escape(texts[0]) in page
    assert year_readiness_check(databases=None) == []  # only with `check --database`


def test_check_database_reports_through_the_command(policies, capsys):
    with time_machine.travel(dt.datetime(2027, 9, 2, 10, tzinfo=SHANGHAI), tick=False):
        call_command("check", "--database", "default")
    assert "payments.W001" in capsys.readouterr().err
