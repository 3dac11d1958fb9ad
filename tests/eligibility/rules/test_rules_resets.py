"""Stored continuity resets (RULES.md section 2, limitation [D]): continuity never reaches back past one."""

import datetime as dt

from eligibility.rules import Category, EmployeeKind, EmployeeSpan, History, ResidentPayment, ResidentYears, evaluate
from eligibility.rules.dates import month_index
from eligibility.rules.facts import Person
from eligibility.rules.profile import ProfileBook

BOOK = ProfileBook.from_file()
EMPLOYED = EmployeeSpan(kind=EmployeeKind.UNIT, first=month_index(2020, 1), last=month_index(2025, 1))
PERSON = Person(birth_date=dt.date(1985, 3, 3), category=Category.ORDINARY)


def continuous_years(history: History) -> int | None:
    result = evaluate(
        ResidentPayment(year=2026, paid_on=dt.date(2025, 11, 1)),
        person=PERSON,
        history=history,
        profile=BOOK.get("JX-2026"),
    )
    return result.continuous_years


def test_without_a_stored_reset_the_resident_year_hides_the_interruption():
    assert continuous_years(History(entries=(EMPLOYED, ResidentYears(years=(2025,))))) == 7


def test_a_stored_reset_starts_continuity_at_its_month():
    history = History(entries=(EMPLOYED, ResidentYears(years=(2025,))), continuity_resets=(month_index(2025, 6),))
    assert continuous_years(history) == 2


def test_a_reset_after_the_action_is_ignored():
    history = History(entries=(EMPLOYED, ResidentYears(years=(2025,))), continuity_resets=(month_index(2026, 3),))
    assert history.reset_floor(month_index(2026, 1)) is None
    assert continuous_years(history) == 7
