"""Working days of the Chinese work calendar: weekends off, public holidays off, make-up days (调休) on.

The functions are pure: they take the calendar as data (`WorkCalendar`), so that deadlines are
computed the same way in tests, in the admin and in a nightly job. `work_calendar_load` (in
`enrollment.cases`) reads the calendar from the `WorkCalendarDay` table, which the migration seeds
with the State Council notices of 2025 and 2026, `load_work_calendar` fills from the chinesecalendar
package (`enrollment.work_calendar`) and administrators correct in the admin.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

ONE_DAY = datetime.timedelta(days=1)
SATURDAY = 5


@dataclass(frozen=True)
class WorkCalendar:
    """Exceptions to "Monday to Friday": `holidays` are weekdays off, `makeup_days` weekend days on."""

    holidays: frozenset[datetime.date] = field(default_factory=frozenset)
    makeup_days: frozenset[datetime.date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, *, holidays: Iterable[datetime.date] = (), makeup_days: Iterable[datetime.date] = ()) -> "WorkCalendar":
        return cls(frozenset(holidays), frozenset(makeup_days))


def is_working_day(day: datetime.date, calendar: WorkCalendar) -> bool:
    if day in calendar.makeup_days:
        return True
    if day in calendar.holidays:
        return False
    return day.weekday() < SATURDAY


def add_working_days(start: datetime.date, days: int, calendar: WorkCalendar) -> datetime.date:
    """The day on which `days` working days after `start` have passed; `start` itself is not counted.

    This is how a notice's "within 10 working days" is read: an application received on a Friday
    with a 1-working-day limit is due on Monday. `days == 0` gives `start`.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    remaining = days
    while remaining:
        day += ONE_DAY
        if is_working_day(day, calendar):
            remaining -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date, calendar: WorkCalendar) -> int:
    """Working days in (start, end]: after `start`, up to and including `end`; 0 when end <= start.

    `working_days_between(d, add_working_days(d, n, c), c) == n` for every n >= 0.
    """
    count = 0
    day = start
    while day < end:
        day += ONE_DAY
        if is_working_day(day, calendar):
            count += 1
    return count
