"""Who a signed-in resident may act for: the insured person linked to the account and, for a
parent or guardian, the children linked through the household while they are minors.

A relation alone never opens an adult's record: a parent recorded for someone of 18 or more (a
clerk's slip, or a grown-up child) sees nothing of them. Acting for an adult will need that adult's
recorded consent, which the portal does not have yet.
"""

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import FamilyRelation, Person, RelationKind


def persons_of(user: Any) -> QuerySet[Person]:
    """The persons the account may see and act for: themselves, and their children under 18 today."""
    if not user.is_authenticated:
        return Person.objects.none()
    own = Person.objects.filter(user=user)
    children = FamilyRelation.objects.filter(
        relative__user=user, kind__in=GUARDIAN_KINDS, person__birth_date__gt=adults_born_by(timezone.localdate())
    ).values("person_id")
    return Person.objects.filter(pk__in=own.values("pk")) | Person.objects.filter(pk__in=children)


def person_for(request: HttpRequest, person_id: int | None = None) -> Person:
    """The person a portal page is about: the account's own person, or one of theirs by id; any
    other id is answered as if it did not exist (404), so ids cannot be probed."""
    persons = persons_of(request.user).select_related("household_region")
    person = persons.filter(user=request.user).first() if person_id is None else persons.filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


def resident_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to the login page), with an insured person linked to the account (else 403
    saying the portal is for residents)."""

    @login_required(login_url="portal:login")
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not persons_of(request.user).exists():
            # A staff or unlinked account: refused with the reason (the login page would send a
            # signed-in account straight back here).
            raise PermissionDenied(_("This page is for insured residents; sign in with a resident account."))
        return view(request, *args, **kwargs)

    return wrapped


def adults_born_by(today: datetime.date) -> datetime.date:
    """The last birth date of a person who is ADULT_AGE or older on `today` (on 29 February, with no
    such day ADULT_AGE years back, the 28th: someone born on 1 March is still a minor)."""
    try:
        return today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # today is 29 February, ADULT_AGE years back is a common year
        return today.replace(year=today.year - ADULT_AGE, day=28)


# A guardian acts for minors only.
ADULT_AGE = 18

# A child's record names its parents and guardians (FamilyRelation person → relative).
GUARDIAN_KINDS = [RelationKind.PARENT, RelationKind.GUARDIAN]
