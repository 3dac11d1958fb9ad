"""The national work calendar filled from the `chinesecalendar` package.

The package transcribes the State Council General Office's yearly notice on the holiday arrangements
(国务院办公厅关于<year>年部分节假日安排的通知). `work_calendar_fill` reads it year by year (fetch),
compares it with the `WorkCalendarDay` rows of that year (compute) and writes the difference (write),
in one transaction. Only rows of origin "package" are ever replaced or deleted: a row entered or
corrected by hand in the admin ("manual") stays as it is, so an administrator's correction survives
every later load. A year the package does not know is reported as missing, never filled with an
empty "weekends only" year.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import chinese_calendar
from chinese_calendar import Holiday
from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from enrollment.models import WorkCalendarDay
from enrollment.workdays import ONE_DAY, SATURDAY

PACKAGE = f"chinesecalendar {chinese_calendar.__version__}"
CHANGE_REASON = f"load_work_calendar ({PACKAGE})"

# Document numbers only where they are certain (2025: the notice of 12 November 2024; 2026: as the
# 0006_cases migration records it from the published notice). Other years name the notice by title.
NOTICE_NUMBERS = {
    2025: "国办发明电〔2024〕12号",
    2026: "国办发明电〔2025〕7号",
}

# The notices' own names (the package's `Holiday.chinese` shortens some: 清明, 端午, 中秋).
HOLIDAY_NAMES = {
    Holiday.new_years_day: "元旦",
    Holiday.spring_festival: "春节",
    Holiday.tomb_sweeping_day: "清明节",
    Holiday.labour_day: "劳动节",
    Holiday.dragon_boat_festival: "端午节",
    Holiday.national_day: "国庆节",
    Holiday.mid_autumn_festival: "中秋节",
    Holiday.anti_fascist_70th_day: "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
MAKEUP_SUFFIX = "调休"


def notice_source(year: int) -> str:
    """The `source` of a package row: the notice the year comes from, then the package that carries it.

    A few past days came from a separate notice (the 2015 anniversary day, the 2020 Spring Festival
    extension); they are named after the yearly notice too, as deadlines are counted in recent years.
    """
    title = f"国务院办公厅关于{year}年部分节假日安排的通知"
    number = NOTICE_NUMBERS.get(year)
    notice = f"{title} ({number})" if number else title
    return f"{notice} via {PACKAGE}"


def _holiday_name(value: str) -> str:
    try:
        holiday = Holiday(value)
    except ValueError:  # a holiday added by a newer package than this mapping knows
        return value
    return HOLIDAY_NAMES.get(holiday, holiday.chinese)


@dataclass(frozen=True)
class PackageDay:
    date: datetime.date
    is_working_day: bool
    name: str
    source: str


def package_days(*, year: int) -> list[PackageDay] | None:
    """The year's exceptions to "Monday to Friday" as the package has them; None when it has no data.

    A holiday falling on a weekend is left out: the day is off anyway, and the table holds only the
    days that change the weekday rule.
    """
    day, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    source = notice_source(year)
    found = []
    while day <= last:
        try:
            off, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:  # the package's way of saying "no data for this year"
            return None
        weekend = day.weekday() >= SATURDAY
        if name is not None and off and not weekend:
            found.append(PackageDay(day, False, _holiday_name(name), source))
        elif name is not None and not off and weekend:
            found.append(PackageDay(day, True, _holiday_name(name) + MAKEUP_SUFFIX, source))
        day += ONE_DAY
    return found


@dataclass(frozen=True)
class YearFill:
    """What one year's load did. `kept` are the year's manual rows, left as they are; `overriding` are
    those of them that make a day a working day or a day off where the package says otherwise."""

    year: int
    in_package: bool
    created: tuple[datetime.date, ...] = ()
    updated: tuple[datetime.date, ...] = ()
    deleted: tuple[datetime.date, ...] = ()
    unchanged: int = 0
    kept: tuple[datetime.date, ...] = ()
    overriding: tuple[datetime.date, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


@dataclass(frozen=True)
class FillResult:
    years: tuple[YearFill, ...]

    @property
    def missing(self) -> list[int]:
        """Years the package has no data for."""
        return [fill.year for fill in self.years if not fill.in_package]

    @property
    def without_data(self) -> list[int]:
        """Missing years with no row entered by hand either: their deadlines would count weekends only."""
        return [fill.year for fill in self.years if not fill.in_package and not fill.kept]


FIELDS = ["is_working_day", "name", "source"]


def _fill_year(year: int) -> YearFill:
    existing = {
        row.date: row
        for row in WorkCalendarDay.objects.select_for_update().filter(
            date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31)
        )
    }
    kept = tuple(sorted(date for date, row in existing.items() if row.origin == WorkCalendarDay.Origin.MANUAL))
    wanted = package_days(year=year)
    if wanted is None:
        return YearFill(year=year, in_package=False, kept=kept)

    package_working = {day.date: day.is_working_day for day in wanted}
    overriding = tuple(
        date for date in kept if existing[date].is_working_day != package_working.get(date, date.weekday() < SATURDAY)
    )
    to_create, to_update = [], []
    unchanged = 0
    for day in wanted:
        row = existing.pop(day.date, None)
        if row is None:
            to_create.append(
                WorkCalendarDay(
                    date=day.date,
                    is_working_day=day.is_working_day,
                    name=day.name,
                    source=day.source,
                    origin=WorkCalendarDay.Origin.PACKAGE,
                )
            )
        elif row.origin != WorkCalendarDay.Origin.PACKAGE:
            continue
        elif (row.is_working_day, row.name, row.source) != (day.is_working_day, day.name, day.source):
            row.is_working_day, row.name, row.source = day.is_working_day, day.name, day.source
            to_update.append(row)
        else:
            unchanged += 1
    # Package rows the package no longer lists (a newer version corrected a day) go; manual rows stay.
    stale = [row for row in existing.values() if row.origin == WorkCalendarDay.Origin.PACKAGE]

    if to_create:
        bulk_create_with_history(to_create, WorkCalendarDay, default_change_reason=CHANGE_REASON)
    if to_update:
        bulk_update_with_history(to_update, WorkCalendarDay, FIELDS, default_change_reason=CHANGE_REASON)
    if stale:
        WorkCalendarDay.objects.filter(pk__in=[row.pk for row in stale]).delete()
    return YearFill(
        year=year,
        in_package=True,
        created=tuple(row.date for row in to_create),
        updated=tuple(row.date for row in to_update),
        deleted=tuple(sorted(row.date for row in stale)),
        unchanged=unchanged,
        kept=kept,
        overriding=overriding,
    )


def work_calendar_fill(*, years: Iterable[int]) -> FillResult:
    """Write each year's holidays on weekdays and make-up days on weekends from the chinesecalendar package.

    Idempotent (a second run changes nothing) and in one transaction. Rows entered by hand are never
    overwritten or deleted. Years the package does not know come back in `FillResult.missing`.
    """
    with transaction.atomic():
        return FillResult(years=tuple(_fill_year(year) for year in sorted(set(years))))
