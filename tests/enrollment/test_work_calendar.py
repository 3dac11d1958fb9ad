"""The work calendar filled from chinesecalendar: the service, the command, the missing-years selector,
the admin's origin column and the deadline warning on the case page.

The database starts with the 2025 and 2026 rows of the 0006_cases migration (origin manual). A year
the package lacks is derived from the package itself (its last year + 1), so these tests keep their
meaning after the package is upgraded.
"""

import datetime
import importlib
from io import StringIO
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine
from chinese_calendar.constants import holidays as package_holidays
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from enrollment import cases, work_calendar
from enrollment.models import CaseKind, Scheme, WorkCalendarDay
from enrollment.roles import CLERK
from enrollment.selectors import work_calendar_missing_years
from enrollment.work_calendar import work_calendar_fill
from enrollment.workdays import WorkCalendar, is_working_day
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
PACKAGE = f"chinesecalendar {chinese_calendar.__version__}"
MISSING = max(package_holidays).year + 1  # 2027 with chinesecalendar 1.11.0
MANUAL, FROM_PACKAGE = WorkCalendarDay.Origin.MANUAL, WorkCalendarDay.Origin.PACKAGE
SEED = importlib.import_module("enrollment.migrations.0006_cases")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def rows(year):
    return {row.date: row for row in WorkCalendarDay.objects.filter(date__year=year)}


def days_of(year):
    day = D(year, 1, 1)
    while day.year == year:
        yield day
        day += datetime.timedelta(days=1)


# --- the service -------------------------------------------------------------------------------


def test_fill_writes_holidays_on_weekdays_and_make_up_days_on_weekends_with_names_and_the_notice():
    # given 2026 without the migration's rows
    WorkCalendarDay.objects.filter(date__year=2026).delete()
    # when
    result = work_calendar_fill(years=[2026])
    # then
    written = rows(2026)
    assert result.missing == [] and len(result.years[0].created) == len(written) > 0
    assert all(row.origin == FROM_PACKAGE for row in written.values())
    assert all(row.date.weekday() < 5 for row in written.values() if not row.is_working_day)
    assert all(row.date.weekday() >= 5 for row in written.values() if row.is_working_day)
    assert (written[D(2026, 10, 1)].is_working_day, written[D(2026, 10, 1)].name) == (False, "国庆节")
    assert (written[D(2026, 10, 10)].is_working_day, written[D(2026, 10, 10)].name) == (True, "国庆节调休")
    assert written[D(2026, 2, 16)].name == "春节" and written[D(2026, 9, 25)].name == "中秋节"
    assert written[D(2026, 4, 6)].name == "清明节" and written[D(2026, 6, 19)].name == "端午节"
    assert D(2026, 10, 3) not in written  # a Saturday inside the holiday: off anyway
    assert (
        written[D(2026, 1, 1)].source
        == f"国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号) via {PACKAGE}"
    )
    assert written[D(2026, 1, 1)].history.get().history_change_reason == f"load_work_calendar ({PACKAGE})"


def test_the_notice_number_is_given_only_where_it_is_known():
    assert work_calendar.notice_source(2025) == (
        f"国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号) via {PACKAGE}"
    )
    assert work_calendar.notice_source(2024) == f"国务院办公厅关于2024年部分节假日安排的通知 via {PACKAGE}"


def test_the_package_agrees_with_the_rows_the_migration_typed_from_the_2025_and_2026_notices():
    # the working days of every day of both years are the same, whichever calendar is asked
    seed = WorkCalendar.of(
        holidays=[row[0] for row in SEED.CALENDAR if not row[1]],
        makeup_days=[row[0] for row in SEED.CALENDAR if row[1]],
    )
    for year in (2025, 2026):
        for day in days_of(year):
            assert is_working_day(day, seed) == chinese_calendar.is_workday(day), day
    # and a load over the migrated table finds nothing to add and no manual row that disagrees
    result = work_calendar_fill(years=[2025, 2026])
    assert [(fill.created, fill.overriding) for fill in result.years] == [((), ()), ((), ())]
    assert not WorkCalendarDay.objects.filter(origin=FROM_PACKAGE).exists()


def test_manual_rows_are_never_overwritten_or_deleted():
    # given an administrator's correction of a package day and a day of their own
    corrected = WorkCalendarDay.objects.create(
        date=D(2024, 10, 7), is_working_day=True, name="本地调整", source="市政府通知", origin=MANUAL
    )
    own = WorkCalendarDay.objects.create(
        date=D(2024, 3, 4), is_working_day=False, name="本地假日", source="市政府通知", origin=MANUAL
    )
    # when
    fill = work_calendar_fill(years=[2024]).years[0]
    # then
    corrected.refresh_from_db()
    own.refresh_from_db()
    assert (corrected.is_working_day, corrected.name, corrected.origin) == (True, "本地调整", MANUAL)
    assert (own.is_working_day, own.name, own.origin) == (False, "本地假日", MANUAL)
    assert fill.kept == (D(2024, 3, 4), D(2024, 10, 7))
    assert fill.overriding == (D(2024, 3, 4), D(2024, 10, 7))
    assert D(2024, 10, 7) not in fill.created and not fill.deleted


def test_a_second_run_changes_nothing():
    first = work_calendar_fill(years=[2024]).years[0]
    history = WorkCalendarDay.history.count()
    second = work_calendar_fill(years=[2024]).years[0]
    assert first.changed and not second.changed
    assert second.unchanged == len(first.created)
    assert WorkCalendarDay.history.count() == history


def test_package_rows_follow_the_package_and_a_day_it_no_longer_lists_goes():
    work_calendar_fill(years=[2024])
    WorkCalendarDay.objects.filter(date=D(2024, 10, 1)).update(name="旧名称")
    WorkCalendarDay.objects.create(date=D(2024, 3, 5), is_working_day=False, name="x", source="x", origin=FROM_PACKAGE)
    fill = work_calendar_fill(years=[2024]).years[0]
    assert fill.updated == (D(2024, 10, 1),) and fill.deleted == (D(2024, 3, 5),) and not fill.created
    assert WorkCalendarDay.objects.get(date=D(2024, 10, 1)).name == "国庆节"
    assert not WorkCalendarDay.objects.filter(date=D(2024, 3, 5)).exists()


def test_a_year_the_package_does_not_know_is_reported_not_filled():
    result = work_calendar_fill(years=[MISSING, 2024, 2024])
    assert [fill.year for fill in result.years] == [2024, MISSING]
    assert result.missing == [MISSING] and result.without_data == [MISSING]
    assert not WorkCalendarDay.objects.filter(date__year=MISSING).exists()
    # once an administrator enters the year, it is still missing from the package but has data
    WorkCalendarDay.objects.create(date=D(MISSING, 1, 1), is_working_day=False, name="元旦", source="notice")
    result = work_calendar_fill(years=[MISSING])
    assert result.missing == [MISSING] and result.without_data == [] and result.years[0].kept == (D(MISSING, 1, 1),)


def test_the_load_is_one_transaction(monkeypatch):
    real = work_calendar.package_days

    def failing(*, year):
        if year == 2025:
            raise RuntimeError("broken package")
        return real(year=year)

    monkeypatch.setattr(work_calendar, "package_days", failing)
    with pytest.raises(RuntimeError):
        work_calendar_fill(years=[2024, 2025])
    assert not WorkCalendarDay.objects.filter(date__year=2024).exists()


# --- the command -------------------------------------------------------------------------------


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("load_work_calendar", *args, stdout=out, stderr=err)  # raises on a non-zero exit
    return out.getvalue(), err.getvalue()


def test_the_command_reports_what_it_wrote_what_it_kept_and_warns_of_a_missing_year():
    WorkCalendarDay.objects.create(date=D(2024, 3, 4), is_working_day=False, name="本地假日", source="x")
    out, err = run("--year", "2024", "--year", "2025", "--year", str(MISSING))
    assert "2024: 27 added, 0 updated, 0 removed, 0 unchanged; kept 1 rows entered by hand" in out
    assert "entered by hand and different from the package: 2024-03-04" in out
    assert "2024-10-01" in out  # the dates written are listed
    assert "2025: 0 added, 0 updated, 0 removed, 0 unchanged; kept 33 rows entered by hand" in out
    assert err.strip() == (
        f"no holiday data for {MISSING} in {PACKAGE}: add the year in the admin from the State Council notice, "
        "or upgrade the package"
    )


@time_machine.travel(datetime.datetime(2026, 12, 7, 10, tzinfo=SHANGHAI), tick=False)
def test_without_years_the_command_loads_this_year_and_next():
    out, err = run()
    assert out.startswith("2026: ") and "2025" not in out
    assert "2027" in (err if MISSING == 2027 else out)  # a warning while the package lacks 2027


@time_machine.travel(datetime.datetime(2024, 1, 1, 0, 30, tzinfo=SHANGHAI), tick=False)
def test_this_year_is_the_year_in_beijing():
    out, err = run()  # still 31 December 2023 in UTC
    assert out.startswith("2024: ") and "2025: " in out and err == ""


# --- the selector ------------------------------------------------------------------------------


def test_a_year_is_missing_when_no_calendar_day_lies_in_it(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert work_calendar_missing_years(years=[2027, 2024, 2025, 2026, 2025]) == [2024, 2027]
    WorkCalendarDay.objects.create(date=D(2027, 12, 31), is_working_day=False, name="x", source="x")
    assert work_calendar_missing_years(years=range(2024, 2028)) == [2024]
    assert work_calendar_missing_years(years=[]) == []


# --- the deadline warning ----------------------------------------------------------------------


@pytest.fixture
def clerk_with_cases(clerk, roles):
    codenames = ["view_case", "add_case", "change_case"]
    roles[CLERK].permissions.add(
        *Permission.objects.filter(content_type__app_label="enrollment", codename__in=codenames)
    )
    return clerk


def submitted_transfer(clerk, nanchang, start_date):
    person = PersonFactory(household_region=nanchang)
    details = {"scheme": Scheme.RESIDENT, "start_date": start_date, "other_region": "361000"}
    case = cases.case_open(person=person, region=nanchang, kind=CaseKind.TRANSFER_IN, details=details, by=clerk)
    return cases.case_submit(case=case, by=clerk)


@time_machine.travel(datetime.datetime(2026, 12, 24, 10, tzinfo=SHANGHAI), tick=False)
def test_a_deadline_that_counts_into_a_year_without_calendar_is_flagged_on_the_case_page(
    client, clerk_with_cases, nanchang
):
    # given a transfer submitted on Thursday 24 December 2026: 10 working days run into 2027
    case = submitted_transfer(clerk_with_cases, nanchang, "2027-01-01")
    assert case.due_on == D(2027, 1, 7)  # 1 January 2027 counted as a working day: no 2027 calendar
    assert cases.case_deadline_calendar_missing_years(case=case) == [2027]
    # when the clerk opens the case
    client.cookies["django_language"] = "en"
    client.force_login(clerk_with_cases)
    page = client.get(reverse("admin:enrollment_case_change", args=[case.pk])).content.decode()
    # then
    assert "The 2027 work calendar is not loaded: this deadline counts weekends only" in page
    # and once the year is entered, the warning goes
    WorkCalendarDay.objects.create(date=D(2027, 1, 1), is_working_day=False, name="元旦", source="notice")
    assert cases.case_deadline_calendar_missing_years(case=case) == []
    page = client.get(reverse("admin:enrollment_case_change", args=[case.pk])).content.decode()
    assert 'id="deadline-warning"' not in page


@time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False)
def test_a_deadline_inside_a_loaded_year_is_not_flagged(client, clerk_with_cases, nanchang):
    case = submitted_transfer(clerk_with_cases, nanchang, "2026-03-01")
    assert cases.case_deadline_calendar_missing_years(case=case) == []
    client.force_login(clerk_with_cases)
    page = client.get(reverse("admin:enrollment_case_change", args=[case.pk])).content.decode()
    assert 'id="deadline-warning"' not in page


# --- the admin ---------------------------------------------------------------------------------


def test_the_admin_shows_the_origin_and_a_saved_row_becomes_manual(client, administrator):
    work_calendar_fill(years=[2024])
    day = WorkCalendarDay.objects.get(date=D(2024, 10, 1))
    client.cookies["django_language"] = "en"
    client.force_login(administrator)
    listing = client.get(reverse("admin:enrollment_workcalendarday_changelist"), {"origin__exact": "package"})
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "chinesecalendar package" in body and "2024" in body and "元旦 New Year" not in body
    response = client.post(
        reverse("admin:enrollment_workcalendarday_change", args=[day.pk]),
        {"date": "2024-10-01", "is_working_day": "", "name": "国庆节（更正）", "source": day.source},
    )
    assert response.status_code == 302
    day.refresh_from_db()
    assert (day.name, day.origin) == ("国庆节（更正）", MANUAL)
    # and the next load keeps the correction
    work_calendar_fill(years=[2024])
    day.refresh_from_db()
    assert day.name == "国庆节（更正）"
