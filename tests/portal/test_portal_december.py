"""The portal in December (issue 15): the calculator starts from the year the resident pays next, a
paid year asked is answered with the next payable one, a year without a published standard reads a
sentence, and the dashboard shows next year's window and premium once that year's profile exists.

Each test pins the clock and builds the resident profiles it needs from one loaded profile moved to
other coverage years, so what the data file holds (2025, 2026, 2027 ...) does not matter.
"""

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from eligibility.selectors import person_facts
from enrollment.portal.coverage_years import calculator_defaults, resident_year_next
from payments.models import LedgerEntry, PolicyProfile, PolicyScope

pytestmark = pytest.mark.django_db
D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

december = time_machine.travel(dt.datetime(2026, 12, 7, 10, tzinfo=SHANGHAI), tick=False)
march = time_machine.travel(dt.datetime(2026, 3, 10, 10, tzinfo=SHANGHAI), tick=False)


def _moved(value: object, years: int) -> object:
    """An ISO day of the parameters moved by whole years (29 February becomes the 28th)."""
    if not (isinstance(value, str) and ISO_DAY.match(value)):
        return value
    day = D.fromisoformat(value)
    try:
        return day.replace(year=day.year + years).isoformat()
    except ValueError:
        return day.replace(year=day.year + years, day=28).isoformat()


@pytest.fixture
def resident_profiles(policies, nanchang):
    """`make(*years)`: exactly these resident profiles for Nanchang, each a copy of a loaded one with
    every window day moved to its year. Returns the profile's ordinary premium (what the resident pays)."""
    rows = PolicyProfile.objects.filter(region=nanchang, scope=PolicyScope.RESIDENT)
    template = rows.order_by("coverage_year", "effective_from").last()
    assert template is not None, "profiles.json has no resident profile for Nanchang"
    rows.delete()
    # Every stored field is copied, so whatever makes the loaded row count (e.g. its status) carries over.
    copied = {f.attname: getattr(template, f.attname) for f in PolicyProfile._meta.concrete_fields if not f.primary_key}

    def make(*years: int) -> Decimal:
        for year in years:
            shift = year - template.coverage_year
            PolicyProfile.objects.create(
                **{
                    **copied,
                    "name": f"TEST-{year}",
                    "coverage_year": year,
                    "effective_from": D(year - 1, 1, 1),
                    "params": {name: _moved(value, shift) for name, value in template.params.items()},
                }
            )
        return Decimal(template.params["resident.premium.ordinary"])

    return make


def paid_years(person, region, *years):
    for year in years:
        LedgerEntry.objects.create(
            person=person, region=region, scheme="resident", period=D(year, 1, 1), paid_on=D(year - 1, 11, 1)
        )


def signed_in(client, user, language="en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def calculator(client, **query):
    return client.get(reverse("portal:calculator"), query).content.decode()


def dashboard(client):
    return client.get(reverse("portal:dashboard")).content.decode()


def input_value(body, name):
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
    assert found, f"no {name} field"
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else None


def english_day(iso):
    with translation.override("en"):
        return date_format(D.fromisoformat(iso), "DATE_FORMAT")


def section(body, element_id):
    start = body.index(f'id="{element_id}"')
    return body[start : body.index("</section>", start)]


def offer_link(body):
    href = re.search(r'id="year-offer-link" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    return {name: values[0] for name, values in parse_qs(urlsplit(href).query).items()}


# --- the calculator in December ------------------------------------------------------------------


@december
def test_december_with_the_year_paid_the_calculator_starts_from_next_year(
    client, resident, nanchang, resident_profiles
):
    # given 2026 and 2027 published, 2026 paid
    resident_profiles(2026, 2027)
    paid_years(resident, nanchang, 2025, 2026)

    # when the resident opens the calculator
    body = calculator(signed_in(client, resident.user))

    # then it asks about 2027, paid today (the 2027 collection period is open)
    assert input_value(body, "year") == "2027"
    assert input_value(body, "paid_on") == "2026-12-07"


@december
def test_december_asking_the_paid_year_offers_next_year_and_its_quote(client, resident, nanchang, resident_profiles):
    premium = resident_profiles(2026, 2027)
    paid_years(resident, nanchang, 2025, 2026)
    client = signed_in(client, resident.user)

    body = calculator(client, action="resident_year", year="2026", paid_on="2026-12-07")

    result = section(body, "calculator-result")
    assert 'data-accepted="0"' in result  # the rules' refusal is still the answer to what was asked...
    offer = result[result.index('id="year-offer"') :]
    assert 'data-offered-year="2027" data-published="1"' in offer  # ...with the way on
    assert "You have already paid your resident medical insurance for 2026." in offer
    assert "The next year you can pay is 2027" in offer and "The collection period for 2027 runs from" in offer
    query = offer_link(offer)
    assert query == {"action": "resident_year", "year": "2027", "paid_on": "2026-12-07"}

    # The offer's link answers with next year's premium.
    answer = section(calculator(client, **query), "calculator-result")
    assert 'data-accepted="1"' in answer
    assert f"¥{premium}" in answer


@december
def test_december_a_closed_year_asked_offers_the_year_still_payable(client, resident, nanchang, resident_profiles):
    # given 2025 can no longer be paid, 2026 can still be paid late (until its late window ends)
    resident_profiles(2025, 2026, 2027)
    paid_years(resident, nanchang, 2024)

    body = calculator(signed_in(client, resident.user), action="resident_year", year="2025", paid_on="2026-12-07")

    offer = section(body, "calculator-result")
    assert "2025 can no longer be paid." in offer
    assert 'data-offered-year="2026" data-published="1"' in offer
    assert offer_link(offer)["year"] == "2026"


@december
def test_december_next_year_without_a_profile_reads_a_sentence(client, resident, nanchang, resident_profiles):
    # given only 2026 published, and paid
    resident_profiles(2026)
    paid_years(resident, nanchang, 2025, 2026)
    client = signed_in(client, resident.user)

    # The calculator still starts from 2027: its answer is the sentence below, not a dead end at 2026.
    assert input_value(calculator(client), "year") == "2027"

    paid = section(calculator(client, action="resident_year", year="2026", paid_on="2026-12-07"), "calculator-result")
    asked = section(calculator(client, action="resident_year", year="2027", paid_on="2026-12-07"), "calculator-result")

    assert 'data-offered-year="2027" data-published="0"' in paid
    assert 'id="year-offer-link"' not in paid  # nothing to calculate yet
    for text in (paid, asked):
        assert "The 2027 premium for your region is not published yet" in text
        # When to come back, from the data: the day the 2026 period opened.
        assert "The collection period for 2026 opened on" in text
        assert "NO_POLICY" not in text and "No resident insurance policy is configured" not in text


@december
def test_december_sentence_in_chinese(client, resident, nanchang, resident_profiles):
    resident_profiles(2026)
    paid_years(resident, nanchang, 2026)
    client.force_login(resident.user)

    body = calculator(client, action="resident_year", year="2026", paid_on="2026-12-07")

    assert "您已缴纳2026年度的居民医保费。" in body
    assert "2027年度" in body and "尚未公布" in body


# --- the dashboard in December -------------------------------------------------------------------


@december
def test_december_dashboard_shows_next_years_window_and_premium(client, resident, nanchang, resident_profiles):
    premium = resident_profiles(2026, 2027)
    paid_years(resident, nanchang, 2025, 2026)
    window = PolicyProfile.objects.get(region=nanchang, scope=PolicyScope.RESIDENT, coverage_year=2027).params

    body = dashboard(signed_in(client, resident.user))

    card = section(body, "next-year")
    assert 'data-year="2027" data-paid="0"' in card
    assert "Resident medical insurance for 2027" in card
    assert re.search(r'id="next-year-amount">¥([\d.]+)<', card).group(1) == str(premium)
    assert f"(ordinary resident) the 2027 premium is ¥{premium}" in card
    # the window as the data has it: start, end and the last day of late payment
    start, end, late_end = (
        english_day(window[name]) for name in ("resident.cp_start", "resident.cp_end", "resident.late_window_end")
    )
    assert f"The collection period for 2027 runs from {start} to {end}." in card
    assert f"until {late_end} at the latest" in card
    assert "paid_on=2026-12-07" in card and "year=2027" in card


@december
def test_december_dashboard_says_next_year_is_paid(client, resident, nanchang, resident_profiles):
    resident_profiles(2026, 2027)
    paid_years(resident, nanchang, 2026, 2027)

    card = section(dashboard(signed_in(client, resident.user)), "next-year")

    assert 'data-paid="1"' in card
    assert "You have already paid your resident medical insurance for 2027." in card
    assert 'id="next-year-amount"' not in card and 'id="next-year-calculate"' not in card


@december
def test_december_dashboard_without_next_years_profile_shows_nothing_about_it(
    client, resident, nanchang, resident_profiles
):
    resident_profiles(2026)
    paid_years(resident, nanchang, 2026)

    body = dashboard(signed_in(client, resident.user))

    assert 'id="next-year"' not in body
    assert "2027" not in body


@december
def test_december_dashboard_in_chinese(client, resident, nanchang, resident_profiles):
    resident_profiles(2026, 2027)
    paid_years(resident, nanchang, 2026)
    client.force_login(resident.user)

    card = section(dashboard(client), "next-year")

    assert "2027年度城乡居民医保" in card
    assert "2027年度的集中缴费期为" in card


# --- the same in March ---------------------------------------------------------------------------


@march
def test_march_the_calculator_starts_from_this_year_while_unpaid(client, resident, nanchang, resident_profiles):
    # given 2026 unpaid: still payable (late, until its late window ends)
    resident_profiles(2026)
    paid_years(resident, nanchang, 2025)

    body = calculator(signed_in(client, resident.user))

    assert input_value(body, "year") == "2026"
    assert input_value(body, "paid_on") == "2026-03-10"


@march
def test_march_dashboard_shows_nothing_about_next_year_without_its_profile(
    client, resident, nanchang, resident_profiles
):
    resident_profiles(2026)
    paid_years(resident, nanchang, 2025, 2026)

    assert 'id="next-year"' not in dashboard(signed_in(client, resident.user))


@march
def test_march_with_next_years_profile_published_early(client, resident, nanchang, resident_profiles):
    # given 2026 paid and 2027 published before its collection period opens
    resident_profiles(2026, 2027)
    paid_years(resident, nanchang, 2026)
    opens = D.fromisoformat(
        PolicyProfile.objects.get(region=nanchang, scope=PolicyScope.RESIDENT, coverage_year=2027).params[
            "resident.cp_start"
        ]
    )
    client = signed_in(client, resident.user)

    # The calculator and the dashboard both quote the day the period opens, not today (not open yet).
    assert input_value(calculator(client), "year") == "2027"
    assert input_value(calculator(client), "paid_on") == opens.isoformat()
    card = section(dashboard(client), "next-year")
    assert 'data-year="2027" data-paid="0"' in card and 'id="next-year-amount"' in card
    assert f"paid_on={opens.isoformat()}" in card


# --- the selector ---------------------------------------------------------------------------------


def test_the_year_to_pay_follows_the_day_not_a_constant(resident, nanchang, resident_profiles):
    resident_profiles(2025, 2026, 2027)
    paid_years(resident, nanchang, 2025)
    facts = person_facts(person_id=resident.pk)

    # 2026 unpaid: payable from its collection period to the end of its late window, then 2027.
    assert resident_year_next(facts=facts, as_of=D(2026, 6, 1)).year == 2026
    assert resident_year_next(facts=facts, as_of=D(2026, 12, 31)).year == 2026
    after = resident_year_next(facts=facts, as_of=D(2027, 1, 1))
    assert (after.year, after.published) == (2027, True)
    # Nothing published after 2027: the year that is not published yet.
    assert resident_year_next(facts=facts, as_of=D(2026, 6, 1), after=2027).published is False
    assert calculator_defaults(person=resident, as_of=D(2025, 11, 1)).year == 2026  # 2025 paid in advance
