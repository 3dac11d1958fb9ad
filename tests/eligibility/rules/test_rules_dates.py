"""DATE-1 to DATE-7."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from eligibility.rules.dates import (
    add_months,
    deadline_days,
    deadline_months,
    first_day,
    format_month,
    last_day,
    local_date,
    month_index,
    month_of,
    parse_date,
    parse_month,
    within_days,
    within_months,
)
from eligibility.rules.errors import MalformedInput


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 5, 31), 4, date(2025, 9, 30)),
        (date(2025, 10, 31), 4, date(2026, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 3, 1), 3, date(2025, 6, 1)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 1, 1), 0, date(2025, 1, 1)),
        (date(1900, 1, 31), 1, date(1900, 2, 28)),
        (date(2000, 1, 31), 1, date(2000, 2, 29)),
    ],
)
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_months_is_one_step_not_repeated_single_steps() -> None:
    # DATE-2: 2025-01-31 + 2 = 2025-03-31, while two single steps would give 2025-03-28
    assert add_months(date(2025, 1, 31), 2) == date(2025, 3, 31)
    assert add_months(add_months(date(2025, 1, 31), 1), 1) == date(2025, 3, 28)


def test_add_months_matches_a_brute_force_edate() -> None:
    day = date(2023, 1, 1)
    while day < date(2026, 1, 1):
        for n in (1, 3, 12, 13):
            y, m = divmod(day.year * 12 + day.month - 1 + n, 12)
            candidate = date(y, m + 1, 1)
            last = (date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - timedelta(days=1)).day
            assert add_months(day, n) == candidate.replace(day=min(day.day, last))
        day += timedelta(days=1)


def test_day_window_event_day_not_counted_deadline_inclusive() -> None:
    # DATE-3: birth 2025-01-01 + 90 days -> deadline 2025-04-01 (a payment that day is in)
    assert deadline_days(date(2025, 1, 1), 90) == date(2025, 4, 1)
    assert within_days(date(2025, 1, 1), 90, date(2025, 4, 1))
    assert not within_days(date(2025, 1, 1), 90, date(2025, 4, 2))
    assert within_days(date(2025, 1, 1), 90, date(2025, 1, 1))
    assert not within_days(date(2025, 1, 2), 90, date(2025, 1, 1))


def test_month_window() -> None:
    # DATE-3: discharge 2024-11-30 + 3 months -> 2025-02-28; first birthday = add_months(birth, 12)
    assert deadline_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert within_months(date(2024, 11, 30), 3, date(2025, 2, 28))
    assert not within_months(date(2024, 11, 30), 3, date(2025, 3, 1))
    assert not within_months(date(2024, 11, 30), 3, date(2024, 11, 29))
    assert deadline_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert within_months(date(2024, 2, 29), 12, date(2025, 2, 28))
    assert not within_months(date(2024, 2, 29), 12, date(2025, 3, 1))


def test_month_integers() -> None:
    # DATE-7: year * 12 + month - 1; "month + k" is integer addition
    assert month_index(2025, 1) == 2025 * 12
    assert month_of(date(2025, 3, 10)) - month_of(date(2024, 11, 30)) - 1 == 3
    assert first_day(month_index(2025, 2)) == date(2025, 2, 1)
    assert last_day(month_index(2024, 2)) == date(2024, 2, 29)
    assert format_month(month_index(2025, 12) + 1) == "2026-01"


@pytest.mark.parametrize("bad", ["2025-02-30", "2025-13-01", "2025-2-3", "20250101", "", "2025-02-29"])
def test_parse_date_rejects_invalid_dates(bad: str) -> None:
    with pytest.raises(MalformedInput, match="action.paid_on"):
        parse_date(bad, "action.paid_on")


@pytest.mark.parametrize("bad", ["2025-13", "2025-00", "2025-1", "2025-01-01", 202501])
def test_parse_month_rejects_invalid_months(bad: object) -> None:
    with pytest.raises(MalformedInput, match="action.cover_from"):
        parse_month(bad, "action.cover_from")


def test_parse_valid_values() -> None:
    assert parse_date("2024-02-29", "x") == date(2024, 2, 29)
    assert parse_month("2025-12", "x") == month_index(2025, 12)


def test_timestamps_are_converted_to_the_shanghai_date() -> None:
    # DATE-1: 2025-02-28 17:30 UTC is 2025-03-01 01:30 in Asia/Shanghai (a late payment)
    assert local_date(datetime(2025, 2, 28, 17, 30, tzinfo=UTC)) == date(2025, 3, 1)
    assert local_date(datetime(2025, 2, 28, 15, 59, tzinfo=UTC)) == date(2025, 2, 28)
    with pytest.raises(MalformedInput):
        local_date(datetime(2025, 2, 28, 17, 30))  # noqa: DTZ001 - a naive timestamp is refused
