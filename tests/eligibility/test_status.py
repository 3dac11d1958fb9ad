"""Status on a day from recorded grants (pure; fixed dates; no database)."""

import datetime as dt

import pytest

from eligibility.rules.dates import month_index
from eligibility.rules.status import CoverageScheme, Grant, State, status_on

D = dt.date


def resident_grant(year: int, *, benefits_from: dt.date, paid_on: dt.date, **extra) -> Grant:
    return Grant(
        scheme=CoverageScheme.RESIDENT,
        scheme_detail="resident",
        paid_on=paid_on,
        months=((month_index(year, 1), month_index(year, 12)),),
        benefits_from=benefits_from,
        benefit_end=D(year, 12, 31),
        **extra,
    )


def employee_grant(first: tuple[int, int], last: tuple[int, int], *, benefits_from, paid_on, **extra) -> Grant:
    return Grant(
        scheme=CoverageScheme.EMPLOYEE,
        scheme_detail="employee_flexible",
        paid_on=paid_on,
        months=((month_index(*first), month_index(*last)),),
        benefits_from=benefits_from,
        **extra,
    )


LATE_2025 = resident_grant(
    2025,
    benefits_from=D(2025, 6, 1),
    paid_on=D(2025, 3, 1),
    waiting_start=D(2025, 3, 1),
    waiting_end=D(2025, 5, 31),
    continuous_years=3,
)
COVERED_2025 = ((month_index(2025, 1), month_index(2025, 12)),)


@pytest.mark.parametrize(
    ("day", "state", "next_change"),
    [
        (D(2025, 2, 28), State.NOT_ENROLLED, D(2025, 3, 1)),
        (D(2025, 3, 1), State.WAITING, D(2025, 6, 1)),
        (D(2025, 5, 31), State.WAITING, D(2025, 6, 1)),
        (D(2025, 6, 1), State.COVERED, D(2026, 1, 1)),
        (D(2025, 12, 31), State.COVERED, D(2026, 1, 1)),
        # A payment in May would meet a gap of four months (January to April): more than the grace.
        (D(2026, 1, 1), State.INTERRUPTED, D(2026, 5, 1)),
    ],
)
def test_a_late_resident_payment_waits_then_covers_until_the_year_end(day, state, next_change):
    covered = COVERED_2025 if day.year == 2026 else ((month_index(2024, 1), month_index(2025, 12)),)
    if state == State.NOT_ENROLLED:
        covered = ()
    status = status_on(day, grants=(LATE_2025,), covered=covered, grace_months=3)
    assert status.state == state
    assert status.next_change_on == next_change


def test_gap_counts_whole_months_since_the_last_covered_month():
    status = status_on(D(2026, 4, 15), grants=(LATE_2025,), covered=COVERED_2025, grace_months=3)
    assert status.state == State.INTERRUPTED
    assert status.gap_months == 3  # January to March 2026
    # From May a payment would meet a gap of more than three months.
    assert status.next_change_on == D(2026, 5, 1)


def test_employee_cover_takes_precedence_when_two_schemes_pay():
    resident = resident_grant(2025, benefits_from=D(2025, 1, 1), paid_on=D(2024, 11, 1))
    employee = employee_grant((2025, 7), (2025, 12), benefits_from=D(2025, 7, 1), paid_on=D(2025, 7, 3))

    status = status_on(D(2025, 8, 1), grants=(resident, employee), covered=COVERED_2025, grace_months=3)

    assert status.state == State.COVERED
    assert status.scheme == "employee_flexible"


def test_a_retroactive_window_covers_days_before_the_payment():
    grant = employee_grant(
        (2025, 5),
        (2025, 12),
        benefits_from=D(2025, 7, 1),
        paid_on=D(2025, 7, 20),
        retro_from=D(2025, 5, 1),
        retro_to=D(2025, 7, 19),
    )
    covered = ((month_index(2025, 1), month_index(2025, 12)),)
    assert status_on(D(2025, 5, 10), grants=(grant,), covered=covered, grace_months=3).state == State.COVERED
    assert status_on(D(2025, 4, 30), grants=(grant,), covered=covered, grace_months=3).state == State.INTERRUPTED


def test_employee_benefits_end_with_the_last_paid_month():
    grant = employee_grant((2025, 1), (2025, 12), benefits_from=D(2025, 1, 1), paid_on=D(2024, 12, 20))
    covered = ((month_index(2025, 1), month_index(2025, 12)),)
    assert status_on(D(2025, 12, 31), grants=(grant,), covered=covered, grace_months=3).state == State.COVERED
    status = status_on(D(2026, 1, 1), grants=(grant,), covered=covered, grace_months=3)
    assert status.state == State.INTERRUPTED and status.gap_months == 0


def test_an_advance_payment_shows_the_coming_benefit_start():
    grant = resident_grant(2026, benefits_from=D(2026, 1, 1), paid_on=D(2025, 11, 10))
    status = status_on(D(2025, 11, 10), grants=(grant,), covered=(), grace_months=3)
    assert status.state == State.NOT_ENROLLED
    assert status.grant == grant
    assert status.next_change_on == D(2026, 1, 1)


def test_waiting_beyond_the_year_end_keeps_waiting_into_the_next_year():
    grant = resident_grant(
        2025,
        benefits_from=D(2026, 2, 1),
        paid_on=D(2025, 10, 1),
        waiting_start=D(2025, 10, 1),
        waiting_end=D(2026, 1, 31),
    )
    status = status_on(D(2026, 1, 15), grants=(grant,), covered=COVERED_2025, grace_months=3)
    assert status.state == State.WAITING
    assert status.next_change_on == D(2026, 2, 1)
