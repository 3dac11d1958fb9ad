"""Which resident year a resident pays next, and what the portal says about it (issue 15, "the
portal in December").

From the autumn on, the year a resident asks about is next year, while the current one is often
paid: the calculator and the dashboard start from the first year the resident has not paid and can
still pay on the day (`as_of`), never from a fixed year. Whether a year's standard exists is
`policy_row_for`'s answer alone, so a profile that is not published yet is simply not there.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from eligibility.rules import MalformedInput
from eligibility.rules.profile import ResidentParams
from eligibility.selectors import PersonFacts, person_facts
from enrollment.models import Person, PremiumCategory
from payments.models import PolicyProfile, PolicyScope
from payments.policy import NoPolicy, policy_row_for, profile_of
from payments.services import PaymentRefused, PaymentRequest, premium_quote_under


def _day(value: datetime.date) -> str:
    return date_format(value, "DATE_FORMAT")


def _joined(sentences: list[str]) -> str:
    """Sentences one after the other: Chinese ones end in 。 and take no space between them."""
    separator = " " if (get_language() or "").startswith("en") else ""
    return separator.join(sentence for sentence in sentences if sentence)


def _resident_row(*, region_code: str, year: int, as_of: datetime.date) -> PolicyProfile | None:
    try:
        return policy_row_for(region_code=region_code, year=year, scope=PolicyScope.RESIDENT, on=as_of)
    except NoPolicy:
        return None


def resident_window(*, region_code: str, year: int, as_of: datetime.date) -> ResidentParams | None:
    """The resident parameters of a year in a region (collection period, premiums), or None while the
    year's standard is not published."""
    row = _resident_row(region_code=region_code, year=year, as_of=as_of)
    return None if row is None else profile_of(row).resident


@dataclass(frozen=True)
class ResidentYear:
    """A resident coverage year as the portal offers it on a day."""

    year: int
    window: ResidentParams | None
    """None: the year's standard is not published yet in the resident's region."""
    as_of: datetime.date

    @property
    def published(self) -> bool:
        return self.window is not None

    @property
    def pay_from(self) -> datetime.date:
        """The first day from `as_of` on that the year can be paid (the calculator's payment day)."""
        return self.as_of if self.window is None else max(self.as_of, self.window.cp_start)

    @property
    def window_sentence(self) -> str:
        """When the year is collected, or what to do while its standard is not published."""
        if self.window is None:
            return ""
        window = self.window
        params = {
            "year": self.year,
            "start": _day(window.cp_start),
            "end": _day(window.cp_end),
            "late_end": _day(window.late_window_end),
        }
        if window.late_window_end <= window.cp_end:
            return _("The collection period for %(year)s runs from %(start)s to %(end)s.") % params
        return (
            _(
                "The collection period for %(year)s runs from %(start)s to %(end)s. Paid later, until %(late_end)s "
                "at the latest, a waiting period applies before the fund pays."
            )
            % params
        )


def resident_year_next(*, facts: PersonFacts, as_of: datetime.date, after: int | None = None) -> ResidentYear:
    """The first resident year from `as_of`'s year (or after the year `after`) that the person has not
    paid and can still pay on `as_of`; else the first unpaid year whose standard is not published.

    A year whose late window has closed is passed over (it can no longer be paid). The walk ends at the
    first unpaid year without a published profile, so it asks at most one query per year considered.
    """
    paid = facts.history.index.resident_years
    year = as_of.year if after is None else max(as_of.year, after + 1)
    while True:
        if year not in paid:
            window = resident_window(region_code=facts.region_code, year=year, as_of=as_of)
            if window is None or as_of <= window.late_window_end:
                return ResidentYear(year=year, window=window, as_of=as_of)
        year += 1


def not_published_sentence(*, region_code: str, year: int, as_of: datetime.date) -> str:
    """Why a resident year cannot be calculated yet and what to do, with the previous year's opening day
    as the hint of when to come back (read from the data, not assumed)."""
    previous = resident_window(region_code=region_code, year=year - 1, as_of=as_of)
    if previous is None:
        return _(
            "The %(year)s premium for your region is not published yet, so it cannot be calculated. Come back "
            "once it is announced, or ask your service hall."
        ) % {"year": year}
    return _(
        "The %(year)s premium for your region is not published yet, so it cannot be calculated. The collection "
        "period for %(previous)s opened on %(opened)s; the %(year)s period usually opens at about the same time "
        "of year, and the portal shows it here as soon as it is announced. Until then, your service hall can "
        "tell you more."
    ) % {"year": year, "previous": year - 1, "opened": _day(previous.cp_start)}


# --- the calculator -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalculatorDefaults:
    """What the calculator's form starts with: the year to pay next and the first day it can be paid."""

    year: int
    paid_on: datetime.date


def calculator_defaults(*, person: Person, as_of: datetime.date) -> CalculatorDefaults:
    """The current year while it is unpaid and payable, else the next one (with its published standard, or
    the year that is not published yet, whose answer then says so)."""
    choice = resident_year_next(facts=person_facts(person_id=person.pk), as_of=as_of)
    return CalculatorDefaults(year=choice.year, paid_on=choice.pay_from)


@dataclass(frozen=True)
class YearOffer:
    """The answer to a question about a year that cannot be paid (paid already, or closed): the year
    to pay instead, so that the resident never reaches a dead end."""

    asked: int
    reason: str
    """`paid` or `closed`."""
    offered: ResidentYear
    region_code: str

    @property
    def sentence(self) -> str:
        if self.reason == "paid":
            head = _("You have already paid your resident medical insurance for %(year)s.") % {"year": self.asked}
        else:
            head = _("%(year)s can no longer be paid.") % {"year": self.asked}
        offered = self.offered
        if not offered.published:
            return _joined(
                [head, not_published_sentence(region_code=self.region_code, year=offered.year, as_of=offered.as_of)]
            )
        return _joined(
            [head, _("The next year you can pay is %(year)s.") % {"year": offered.year}, offered.window_sentence]
        )


def year_offer(*, facts: PersonFacts, asked: int, reason: str, as_of: datetime.date) -> YearOffer:
    return YearOffer(
        asked=asked,
        reason=reason,
        offered=resident_year_next(facts=facts, as_of=as_of, after=asked),
        region_code=facts.region_code,
    )


# --- the dashboard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextYear:
    """Next year's resident insurance as the dashboard shows it once its profile is published."""

    choice: ResidentYear
    paid: bool
    amount: Decimal | None
    """What the person would pay (their premium category, exemptions included); None when paid or not offered."""
    category: str

    @property
    def year(self) -> int:
        return self.choice.year

    @property
    def sentences(self) -> list[str]:
        year = {"year": self.year}
        if self.paid:
            return [_("You have already paid your resident medical insurance for %(year)s.") % year]
        lines = [self.choice.window_sentence]
        if self.amount is None:
            lines.append(
                _("No %(year)s premium is set for your category (%(category)s); ask your service hall.")
                % {**year, "category": self.category}
            )
        else:
            lines.append(
                _("For you (%(category)s) the %(year)s premium is ¥%(amount)s. You have not paid %(year)s yet.")
                % {**year, "category": self.category, "amount": self.amount}
            )
        return lines


def _premium_of(
    *, person: Person, facts: PersonFacts, row: PolicyProfile, year: int, on: datetime.date
) -> Decimal | None:
    """The premium the rules ask of this person for the year if paid on `on` (a newborn's exemption
    included), or None when the rules would not take the payment (e.g. a category not offered)."""
    try:
        quote = premium_quote_under(
            person=person, request=PaymentRequest.resident_year(year), on=on, policy_row=row, facts=facts
        )
    except (PaymentRefused, MalformedInput):
        return None
    return quote.amount if quote.accepted else None


def next_year_get(*, person: Person, facts: PersonFacts, as_of: datetime.date) -> NextYear | None:
    """Next year's collection window, the person's premium and whether it is paid; None until next
    year's resident profile is published for the person's region (one query)."""
    year = as_of.year + 1
    row = _resident_row(region_code=facts.region_code, year=year, as_of=as_of)
    if row is None:
        return None
    window = profile_of(row).resident
    if window is None:
        return None
    choice = ResidentYear(year=year, window=window, as_of=as_of)
    paid = year in facts.history.index.resident_years
    amount = None if paid else _premium_of(person=person, facts=facts, row=row, year=year, on=choice.pay_from)
    category = PremiumCategory(person.category).label if person.category in PremiumCategory.values else ""
    return NextYear(choice=choice, paid=paid, amount=amount, category=str(category))
