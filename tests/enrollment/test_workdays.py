"""Working days under the national calendar seeded by the cases migration (2025 and 2026 notices)."""

import datetime
import importlib

import pytest

from enrollment.workdays import WorkCalendar, add_working_days, is_working_day, working_days_between

D = datetime.date
SEED = importlib.import_module("enrollment.migrations.0006_cases")
CALENDAR = WorkCalendar.of(
    holidays=[row[0] for row in SEED.CALENDAR if not row[1]],
    makeup_days=[row[0] for row in SEED.CALENDAR if row[1]],
)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (D(2025, 3, 3), 5, D(2025, 3, 10)),  # an ordinary week: Monday + 5 = next Monday
        (D(2025, 3, 7), 1, D(2025, 3, 10)),  # Friday + 1 skips the weekend
        (D(2025, 3, 7), 0, D(2025, 3, 7)),
        (D(2025, 9, 30), 1, D(2025, 10, 9)),  # National Day week 1-8 October off
        (D(2025, 9, 26), 1, D(2025, 9, 28)),  # make-up Sunday 28 September is a working day
        (D(2025, 10, 9), 2, D(2025, 10, 11)),  # make-up Saturday 11 October
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # make-up Saturday before the Spring Festival
        (D(2026, 2, 14), 1, D(2026, 2, 24)),  # Spring Festival 15-23 February off
        (D(2025, 12, 31), 1, D(2026, 1, 4)),  # New Year 1-3 January off, Sunday 4 January on
        (D(2026, 9, 18), 10, D(2026, 10, 9)),  # a transfer across Mid-Autumn and National Day
    ],
)
def test_add_working_days(start, days, due):
    assert add_working_days(start, days, CALENDAR) == due
    assert working_days_between(start, due, CALENDAR) == days


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (D(2025, 9, 30), D(2025, 10, 9), 1),
        (D(2026, 2, 13), D(2026, 2, 24), 2),
        (D(2025, 5, 1), D(2025, 5, 1), 0),
        (D(2025, 5, 10), D(2025, 5, 1), 0),  # end before start
        (D(2025, 4, 25), D(2025, 4, 27), 1),  # Saturday off, make-up Sunday 27 April on
    ],
)
def test_working_days_between(start, end, count):
    assert working_days_between(start, end, CALENDAR) == count


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 1, 26), True),  # Sunday, Spring Festival make-up
        (D(2025, 1, 28), False),  # Spring Festival's eve, a Tuesday
        (D(2026, 5, 9), True),  # Saturday, Labour Day make-up
        (D(2026, 6, 19), False),  # Dragon Boat Festival, a Friday
        (D(2026, 6, 22), True),  # an ordinary Monday
        (D(2026, 6, 20), False),  # an ordinary Saturday
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(day, CALENDAR) is working


def test_without_a_calendar_only_weekends_are_off():
    assert add_working_days(D(2025, 9, 30), 1, WorkCalendar()) == D(2025, 10, 1)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2025, 1, 2), -1, CALENDAR)


def test_every_seeded_row_names_its_notice():
    assert {row[3] for row in SEED.CALENDAR} == {SEED.SOURCE_2025, SEED.SOURCE_2026}
    # A make-up day is always a weekend day; a holiday row on a weekday is what makes it count.
    assert all(row[0].weekday() >= 5 for row in SEED.CALENDAR if row[1])
