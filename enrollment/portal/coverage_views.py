"""My coverage, my payments and the "what if I pay" calculator: thin views over `coverage`.

A parent or guardian picks a child with `?person=<id>`; `access.person_for` answers any id that is
not theirs with 404. Every page is personal data: never cached.
"""

import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from enrollment.models import Person
from enrollment.portal.access import person_for, persons_of, resident_required
from enrollment.portal.coverage import calculator_answer, dashboard_get, payments_get
from enrollment.portal.coverage_forms import CalculatorAction, CalculatorForm
from enrollment.portal.coverage_years import calculator_defaults


def portal_day() -> datetime.date:
    """The day the pages are about: today in Asia/Shanghai."""
    return timezone.localdate()


def _chosen_person(request: HttpRequest) -> Person:
    raw = request.GET.get("person")
    if raw in (None, ""):
        return person_for(request)
    if not raw.isdigit():
        raise Http404
    return person_for(request, int(raw))


def _context(request: HttpRequest, person: Person, section: str, **extra: Any) -> dict[str, Any]:
    """What every coverage page shows around its content: whom it is about and whom else one may pick."""
    choices = list(persons_of(request.user).only("pk", "name", "user_id").order_by("pk"))
    return {
        "portal_person": person,
        "portal_section": section,
        "person_choices": choices if len(choices) > 1 else [],
        "person_query": "" if person.user_id == request.user.pk else f"person={person.pk}",
        **extra,
    }


@require_GET
@never_cache
@resident_required
def dashboard(request: HttpRequest) -> HttpResponse:
    person = _chosen_person(request)
    page = dashboard_get(person=person, as_of=portal_day())
    return render(request, "portal/dashboard.html", _context(request, person, "dashboard", page=page))


@require_GET
@never_cache
@resident_required
def payments(request: HttpRequest) -> HttpResponse:
    person = _chosen_person(request)
    page = payments_get(person=person, user_id=request.user.pk)
    return render(request, "portal/payments.html", _context(request, person, "payments", page=page))


@require_GET  # a question, not a change: the answer can be bookmarked and survives a language switch
@never_cache
@resident_required
def calculator(request: HttpRequest) -> HttpResponse:
    person = _chosen_person(request)
    today = portal_day()
    if "action" in request.GET:
        form = CalculatorForm(request.GET)
    else:
        # The year the resident pays next: in December that is often next year, not today's.
        defaults = calculator_defaults(person=person, as_of=today)
        form = CalculatorForm(
            initial={"action": CalculatorAction.RESIDENT_YEAR, "paid_on": defaults.paid_on, "year": defaults.year}
        )
    answer = calculator_answer(person=person, form=form) if form.is_bound else None
    return render(request, "portal/calculator.html", _context(request, person, "calculator", form=form, answer=answer))
