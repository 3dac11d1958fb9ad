"""Date conventions of RULES.md section 3 (DATE-1 to DATE-7).

Months are integers (DATE-7): ``year * 12 + month - 1``. Dates are plain ``datetime.date``
values (DATE-1: local calendar dates in Asia/Shanghai; timestamps are converted before they
reach the rules). Nothing here reads the clock.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from .errors import MalformedInput

MONTHS_PER_YEAR = 12
"""Calendar constant, not a policy parameter."""

ONE_DAY = timedelta(days=1)

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
"""DATE-1: China Standard Time (UTC+8, no daylight saving since 1991)."""

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def month_index(year: int, month: int) -> int:
    """DATE-7: the integer of calendar month ``year-month``."""
    return year * MONTHS_PER_YEAR + month - 1


def month_of(d: date) -> int:
    """DATE-7: the month integer of a date."""
    return d.year * MONTHS_PER_YEAR + d.month - 1


def year_of_month(m: int) -> int:
    """The calendar year of a month integer."""
    return m // MONTHS_PER_YEAR


def first_month_of_year(year: int) -> int:
    """Month integer of ``year-01``."""
    return year * MONTHS_PER_YEAR


def last_month_of_year(year: int) -> int:
    """Month integer of ``year-12``."""
    return year * MONTHS_PER_YEAR + MONTHS_PER_YEAR - 1


def is_december(m: int) -> bool:
    """True when month integer ``m`` is a December."""
    return m % MONTHS_PER_YEAR == MONTHS_PER_YEAR - 1


def first_day(m: int) -> date:
    """First day of month integer ``m``."""
    return date(m // MONTHS_PER_YEAR, m % MONTHS_PER_YEAR + 1, 1)


def last_day(m: int) -> date:
    """Last day of month integer ``m``."""
    year, month = m // MONTHS_PER_YEAR, m % MONTHS_PER_YEAR + 1
    return date(year, month, days_in_month(year, month))


def year_start(year: int) -> date:
    """``year-01-01``."""
    return date(year, 1, 1)


def year_end(year: int) -> date:
    """``year-12-31``."""
    return date(year, 12, 31)


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    """Number of days of ``year-month`` (Gregorian)."""
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def add_months(d: date, n: int) -> date:
    """DATE-2: same day ``n`` months later, clamped to the last day of the target month.

    A period of W months is added in one step (``add_months(d, W)``), never W single steps.
    """
    year, month0 = divmod(d.year * MONTHS_PER_YEAR + d.month - 1 + n, MONTHS_PER_YEAR)
    day = d.day
    if day > 28:
        day = min(day, days_in_month(year, month0 + 1))
    return date(year, month0 + 1, day)


def local_date(timestamp: datetime) -> date:
    """DATE-1: the Asia/Shanghai calendar date of an aware timestamp (e.g. the tax confirmation)."""
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise MalformedInput("timestamp", "a timezone-aware timestamp is required")
    return timestamp.astimezone(SHANGHAI).date()


def add_days(d: date, n: int) -> date:
    """Plain day arithmetic."""
    return d + timedelta(days=n)


def deadline_days(event: date, days: int) -> date:
    """DATE-3: a day window after an event ends on ``event + N days`` (inclusive)."""
    return event + timedelta(days=days)


def deadline_months(event: date, months: int) -> date:
    """DATE-3: a month window after an event ends on ``add_months(event, N)`` (inclusive)."""
    return add_months(event, months)


def within_window(event: date, deadline: date, on: date) -> bool:
    """DATE-3 / section 6: ``event <= on <= deadline``."""
    return event <= on <= deadline


def within_days(event: date, days: int, on: date) -> bool:
    """DATE-3 day window: ``event <= on <= event + N days`` (the event day is not counted)."""
    return 0 <= (on - event).days <= days


def within_months(event: date, months: int, on: date) -> bool:
    """DATE-3 month window: ``event <= on <= add_months(event, N)``."""
    if on < event:
        return False
    if on.year * MONTHS_PER_YEAR + on.month > event.year * MONTHS_PER_YEAR + event.month + months:
        return False  # past the deadline's month: no need to build the deadline
    return on <= add_months(event, months)


def interval_or_none(start: date, end: date) -> tuple[date | None, date | None]:
    """An inclusive interval, or ``(None, None)`` when empty (section 11)."""
    if start <= end:
        return start, end
    return None, None


def parse_date(value: object, where: str) -> date:
    """Parse ``YYYY-MM-DD`` strictly; raise ``MalformedInput`` naming ``where``."""
    if not isinstance(value, str):
        raise MalformedInput(where, f"expected a date 'YYYY-MM-DD', got {value!r}")
    match = _DATE_RE.match(value)
    if match is None:
        raise MalformedInput(where, f"invalid date {value!r}")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise MalformedInput(where, f"invalid date {value!r}") from None


def parse_month(value: object, where: str) -> int:
    """Parse ``YYYY-MM`` strictly into a month integer (DATE-7)."""
    if not isinstance(value, str):
        raise MalformedInput(where, f"expected a month 'YYYY-MM', got {value!r}")
    match = _MONTH_RE.match(value)
    if match is None:
        raise MalformedInput(where, f"invalid month {value!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= MONTHS_PER_YEAR or year < 1:
        raise MalformedInput(where, f"invalid month {value!r}")
    return month_index(year, month)


def format_month(m: int) -> str:
    """``YYYY-MM`` of a month integer."""
    return f"{m // MONTHS_PER_YEAR:04d}-{m % MONTHS_PER_YEAR + 1:02d}"
