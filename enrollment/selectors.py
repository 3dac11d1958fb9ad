"""Reads of the register. Every clerk-facing list goes through these."""

import datetime
import re
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from enrollment.identity import ID_NUMBER_LENGTH, normalize_id_number
from enrollment.models import MOBILE_PATTERN, Enrollment, Person, WorkCalendarDay

# Shorter digit strings are treated as the start of an ID number (e.g. the area code and birth date).
MIN_ID_PREFIX = 6
MOBILE_NUMBER = re.compile(MOBILE_PATTERN)


def person_get_by_id_number(*, id_number: str, queryset: QuerySet[Person] | None = None) -> Person | None:
    """The person with this ID number; pass the user's scoped persons as `queryset`
    (enrollment.scoping.persons_queryset) so that another region's person answers as an unknown one."""
    persons = Person.objects.all() if queryset is None else queryset
    return persons.select_related("household_region").filter(id_number=normalize_id_number(id_number)).first()


def person_search(*, query: str, queryset: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """Find persons by ID number (whole or leading part), mobile number or name (leading characters).

    Every lookup uses an index, so the search stays fast on millions of rows; a name is matched from
    its start because that is how clerks type it and because a contains-search cannot use an index.
    Pass the user's scoped persons as `queryset` (enrollment.scoping.persons_queryset).
    """
    persons = Person.objects.all() if queryset is None else queryset
    term = query.strip()
    if not term:
        return persons
    as_id = normalize_id_number(term)
    if len(as_id) == ID_NUMBER_LENGTH and as_id[:-1].isdigit():
        return persons.filter(id_number=as_id)
    if MOBILE_NUMBER.match(as_id):
        # 11 digits starting with 1[3-9] is how residents give their mobile number, but it is also
        # the start of an ID number of Hebei, Shanxi or Inner Mongolia (area codes 13-15): both
        # lookups, each on its index (PostgreSQL combines them with a BitmapOr).
        return persons.filter(Q(phone=as_id) | Q(id_number__startswith=as_id))
    if as_id[:MIN_ID_PREFIX].isdigit() and len(as_id) >= MIN_ID_PREFIX:
        return persons.filter(id_number__startswith=as_id)
    return persons.filter(name__startswith=term)


def enrollment_overlapping(
    *,
    person_id: int,
    scheme: str,
    start_date: datetime.date,
    end_date: datetime.date | None,
    exclude_pk: int | None = None,
) -> QuerySet[Enrollment]:
    """Enrolments of the person in the scheme whose [start, end] (open end = no end) meets the given one."""
    overlapping = Enrollment.objects.filter(person_id=person_id, scheme=scheme).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start_date)
    )
    if end_date is not None:
        overlapping = overlapping.filter(start_date__lte=end_date)
    if exclude_pk is not None:
        overlapping = overlapping.exclude(pk=exclude_pk)
    return overlapping


def work_calendar_missing_years(*, years: Iterable[int]) -> list[int]:
    """The given years for which the work calendar holds no day at all, in order.

    Every real year has public holidays, so a year without a single row is one nobody loaded: its
    deadlines would count weekends only. One query over the years' date range.
    """
    wanted = sorted(set(years))
    if not wanted:
        return []
    present = {
        day.year
        for day in WorkCalendarDay.objects.filter(
            date__gte=datetime.date(wanted[0], 1, 1), date__lte=datetime.date(wanted[-1], 12, 31)
        ).dates("date", "year")
    }
    return [year for year in wanted if year not in present]
