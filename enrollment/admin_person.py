"""The clerk's person page: identity, household, enrolments, ledger, notifications, the eligibility
snapshot in words, the coverage timeline, a quote / what-if panel and "recompute now".

`person_page_get` reads everything the page shows above the form in a fixed number of queries,
whatever the length of the person's history: the facts once (six queries, shared by the timeline
and the quote), the last rows of the ledger, payments and notifications, the snapshot and the
latest decision. The screens only display: the rules decide (`eligibility.rules`), the services
write (`eligibility.services.eligibility_recompute`), the quote asks `payments.services`.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from eligibility.explanations import status_sentence
from eligibility.models import BenefitDecision, EligibilitySnapshot, Notification
from eligibility.rules import EmployeeKind, Frequency
from eligibility.rules.dates import first_day, month_of
from eligibility.rules.explain import WARNING_TEXTS
from eligibility.selectors import PersonFacts, person_facts
from eligibility.snapshots import PolicyIndex, grace_months
from eligibility.timeline import DEFAULT_YEARS, Timeline, timeline_build
from enrollment.access_log import person_access_record
from enrollment.models import AccessChannel, Enrollment, Person, Scheme
from enrollment.roles import RECOMPUTE_PERMISSION
from payments.forms import PaymentRequestFormMixin
from payments.models import LedgerEntry, Payment, PaymentKind, PolicyScope
from payments.policy import NoPolicy, policy_row_for
from payments.services import PaymentRefused, Quote, premium_quote_under

LEDGER_ROWS = 24
PAYMENT_ROWS = 10
NOTIFICATION_ROWS = 10
CASE_ROWS = 10
CLOSED_CASE_STATES = ("closed", "rejected")
EMPLOYEE_SCHEMES = (Scheme.EMPLOYEE_UNIT, Scheme.EMPLOYEE_FLEXIBLE)


# --- the quote / what-if form ---------------------------------------------------------------------


def _month_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


class WhatIfForm(PaymentRequestFormMixin, forms.Form):
    """What the person might pay, and on which day. Any day may be chosen, future days included:
    the question is "what if they paid then?"."""

    kind = forms.ChoiceField(label=gettext_lazy("payment for"), choices=PaymentKind.choices)
    year = forms.IntegerField(label=gettext_lazy("coverage year"), required=False, min_value=2000, max_value=2100)
    repair_years = forms.IntegerField(
        label=gettext_lazy("repair years"), required=False, min_value=0, max_value=20, initial=0
    )
    cover_from = _month_field(gettext_lazy("first month covered"))
    cover_to = _month_field(gettext_lazy("last month covered"))
    employee_kind = forms.ChoiceField(
        label=gettext_lazy("employee insurance as"),
        choices=[
            (EmployeeKind.FLEXIBLE.value, gettext_lazy("flexible worker")),
            (EmployeeKind.UNIT.value, gettext_lazy("unit employee")),
        ],
        initial=EmployeeKind.FLEXIBLE.value,
        required=False,
    )
    frequency = forms.ChoiceField(
        label=gettext_lazy("payment frequency"),
        choices=[(Frequency.ANNUAL.value, gettext_lazy("annual")), (Frequency.MONTHLY.value, gettext_lazy("monthly"))],
        initial=Frequency.ANNUAL.value,
        required=False,
    )
    rate = forms.DecimalField(
        label=gettext_lazy("rate tier"),
        required=False,
        max_digits=6,
        decimal_places=4,
        min_value=Decimal("0"),
        help_text=gettext_lazy("Flexible workers only, where the region offers tiers; empty = the profile rate."),
    )
    paid_on = forms.DateField(
        label=gettext_lazy("payment date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Beijing date; the premium and the waiting period depend on the day."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            form_field.label = capfirst(form_field.label)


def default_what_if(*, facts: PersonFacts, today: datetime.date, resident_offered: bool = True) -> dict[str, Any]:
    """The question a clerk most often asks at the counter: an employee-insured person continuing
    as a flexible worker to December (EMP-2), anyone else the resident year not yet paid; where
    the region has no resident insurance (Hebei's profiles set flexible workers only), the
    flexible-worker months from now to December."""
    employee = facts.history.index.employee
    last_covered = facts.history.index.covered[-1][1] if facts.history.index.covered else None
    continues_employee = bool(employee) and last_covered is not None and employee[-1][1] == last_covered
    if continues_employee or not resident_offered:
        # Flexible-worker months from the month after the last employee one (or this month) to December.
        start = max(employee[-1][1] + 1, month_of(today)) if employee else month_of(today)
        cover_from = first_day(start)
        return {
            "kind": PaymentKind.EMPLOYEE_MONTHS,
            "cover_from": cover_from,
            "cover_to": datetime.date(cover_from.year, 12, 1),
            "employee_kind": EmployeeKind.FLEXIBLE.value,
            "frequency": Frequency.ANNUAL.value,
            "paid_on": today,
        }
    year = today.year + 1 if today.year in facts.history.index.resident_years else today.year
    return {"kind": PaymentKind.RESIDENT_YEAR, "year": year, "repair_years": 0, "paid_on": today}


@dataclass(frozen=True)
class WhatIf:
    """A quote and what it would do, or why there is none."""

    form: WhatIfForm
    quote: Quote | None = None
    error: str = ""
    record_url: str = ""

    @property
    def warnings(self) -> list[tuple[str, str]]:
        if self.quote is None:
            return []
        language = "en" if (get_language() or "").startswith("en") else "zh"
        return [(warning.value, WARNING_TEXTS[warning][language]) for warning in self.quote.result.warnings]


def _record_url(person: Person, data: dict[str, Any]) -> str:
    """The existing "record a payment" screen, prefilled with the same question."""
    query: dict[str, Any] = {"person": person.pk, "kind": data["kind"]}
    if data["kind"] == PaymentKind.RESIDENT_YEAR:
        query |= {"year": data["year"], "repair_years": data.get("repair_years") or 0}
    else:
        query |= {
            "cover_from": f"{data['cover_from']:%Y-%m}",
            "cover_to": f"{data['cover_to']:%Y-%m}",
            "employee_kind": data.get("employee_kind") or EmployeeKind.FLEXIBLE,
            "frequency": data.get("frequency") or Frequency.ANNUAL,
        }
        if data.get("rate") is not None:
            query["rate"] = data["rate"]
    query["paid_at"] = f"{data['paid_on']:%Y-%m-%d}T09:00"
    return f"{reverse('admin:payments_payment_record')}?{urlencode(query)}"


def what_if_answer(*, person: Person, facts: PersonFacts, form: WhatIfForm) -> WhatIf:
    """Quote the form's question on the facts already loaded; a refusal is an answer too."""
    if not form.is_valid():
        return WhatIf(form=form)
    data = form.cleaned_data
    request = form.payment_request()
    scope = PolicyScope.RESIDENT if request.kind == PaymentKind.RESIDENT_YEAR else PolicyScope.EMPLOYEE
    try:
        row = policy_row_for(
            region_code=person.household_region.code, year=request.coverage_year, scope=scope, on=data["paid_on"]
        )
        quote = premium_quote_under(person=person, request=request, on=data["paid_on"], policy_row=row, facts=facts)
    except NoPolicy as error:
        # The sentence names the region, scope and year; the code would add nothing a clerk reads.
        return WhatIf(form=form, error=str(error))
    except PaymentRefused as refusal:
        return WhatIf(form=form, error=f"{refusal.message} ({refusal.code})")
    return WhatIf(form=form, quote=quote, record_url=_record_url(person, data) if quote.accepted else "")


# --- the page's data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseLine:
    case: Model
    url: str


@dataclass
class PersonPage:
    person: Person
    as_of: datetime.date
    snapshot: EligibilitySnapshot | None
    status_text: str
    explanation: str
    decision: BenefitDecision | None
    enrollments: list[Enrollment]
    ledger: list[LedgerEntry]
    payments: list[Payment]
    notifications: list[tuple[Notification, str, str]]
    cases: list[CaseLine] | None
    """None when the case model is not installed (the section is not shown)."""
    timeline: Timeline
    facts: PersonFacts
    what_if: WhatIf | None = None
    urls: dict[str, str] = field(default_factory=dict)


def _case_model() -> type[Model] | None:
    try:
        return apps.get_model("enrollment", "Case")
    except LookupError:
        return None


def _open_cases(person: Person) -> list[CaseLine] | None:
    model = _case_model()
    if model is None:
        return None
    rows = list(
        model._default_manager.filter(person=person).exclude(state__in=CLOSED_CASE_STATES).order_by("-pk")[:CASE_ROWS]
    )
    lines = []
    for case in rows:
        try:
            url = reverse("admin:enrollment_case_change", args=[case.pk])
        except NoReverseMatch:
            url = ""
        lines.append(CaseLine(case=case, url=url))
    return lines


def person_page_get(
    *, person: Person, as_of: datetime.date, years: int = DEFAULT_YEARS, what_if_data: Any = None
) -> PersonPage:
    """Everything the person page shows above the form, in a fixed number of queries.

    `what_if_data` (a QueryDict) is the quote form as submitted; without it the default question
    is asked (`default_what_if`).
    """
    facts = person_facts(person_id=person.pk)
    policies = PolicyIndex.load()
    snapshot = EligibilitySnapshot.objects.filter(person=person).first()
    decision = BenefitDecision.objects.filter(person=person, voided_at__isnull=True).order_by("-paid_on", "-pk").first()
    enrollments = list(Enrollment.objects.filter(person=person).select_related("region").order_by("-start_date"))
    # The latest rows only: the ledger of a long history stays in the database (the full list is
    # one click away), the page reads the same number of rows for one year or forty.
    ledger = list(
        LedgerEntry.objects.filter(person=person).select_related("payment").order_by("-paid_on", "-pk")[:LEDGER_ROWS]
    )
    payments = list(Payment.objects.filter(person=person).order_by("-paid_at", "-pk")[:PAYMENT_ROWS])
    from eligibility.reminders import reminder_text

    notifications = [
        (notification, *reminder_text(notification))
        for notification in Notification.objects.filter(person=person).order_by("-send_on", "-pk")[:NOTIFICATION_ROWS]
    ]
    timeline = timeline_build(
        facts=facts,
        as_of=as_of,
        years=years,
        grace_months=grace_months(facts=facts, as_of=as_of, policies=policies),
        schemes=[e.scheme for e in enrollments if e.end_date is None or e.end_date.year >= as_of.year - (years - 1)],
    )
    status_text = _("Not computed yet.") if snapshot is None else status_sentence(snapshot)
    form = (
        WhatIfForm(what_if_data)
        if what_if_data is not None
        else WhatIfForm(
            data=_as_form_data(
                default_what_if(
                    facts=facts,
                    today=as_of,
                    resident_offered=policies.latest(
                        region_code=facts.region_code, up_to_year=as_of.year + 1, scope=PolicyScope.RESIDENT
                    )
                    is not None,
                )
            )
        )
    )
    return PersonPage(
        person=person,
        as_of=as_of,
        snapshot=snapshot,
        status_text=status_text,
        explanation="" if decision is None else decision.explanation_in(get_language()),
        decision=decision,
        enrollments=enrollments,
        ledger=ledger,
        payments=payments,
        notifications=notifications,
        cases=_open_cases(person),
        timeline=timeline,
        facts=facts,
        what_if=what_if_answer(person=person, facts=facts, form=form),
    )


def _as_form_data(values: dict[str, Any]) -> dict[str, str]:
    data = {}
    for name, value in values.items():
        if isinstance(value, datetime.date) and name in ("cover_from", "cover_to"):
            data[name] = f"{value:%Y-%m}"
        elif isinstance(value, datetime.date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    return data


def page_day() -> datetime.date:
    """The day the page is about: today in Asia/Shanghai (tests replace it)."""
    return timezone.localdate()


# --- the admin ------------------------------------------------------------------------------------


class PersonPageMixin(admin.ModelAdmin):
    """Mixed into PersonAdmin: the person page's extra context, URLs and template."""

    change_form_template = "admin/enrollment/person/change_form.html"

    def has_recompute_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Recomputing writes the stored status: a role that changes the register, in its regions."""
        return bool(request.user.has_perm(RECOMPUTE_PERMISSION)) and self.has_view_permission(request, obj)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/recompute/", wrap(self.recompute_view), name="{}_{}_recompute".format(*info)),
            path("<path:object_id>/quote/", wrap(self.quote_view), name="{}_{}_quote".format(*info)),
            *super().get_urls(),
        ]

    def _person_page(self, request: HttpRequest, object_id: str, what_if_data: Any = None) -> PersonPage | None:
        person = self.get_object(request, unquote(object_id))
        if person is None or not self.has_view_permission(request, person):
            return None
        # The person page shows the whole record: the access log says who opened it (PIPL).
        person_access_record(
            person_ids=[person.pk], action="admin:person.page", channel=AccessChannel.ADMIN, user=request.user
        )
        page = person_page_get(person=person, as_of=page_day(), what_if_data=what_if_data)
        info = self.opts.app_label, self.opts.model_name
        page.urls = {
            "quote": reverse("admin:{}_{}_quote".format(*info), args=[person.pk]),
            # By the person's key, not their ID number: the address shows in the browser's history
            # and in the page of a reader who sees the number masked.
            "ledger": f"{reverse('admin:payments_ledgerentry_changelist')}?person__id__exact={person.pk}",
            "payments": f"{reverse('admin:payments_payment_changelist')}?person__id__exact={person.pk}",
            "record": f"{reverse('admin:payments_payment_record')}?{urlencode({'person': person.pk})}",
        }
        if self.has_recompute_permission(request, person):
            page.urls["recompute"] = reverse("admin:{}_{}_recompute".format(*info), args=[person.pk])
        return page

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        if request.method == "GET" and "person_page" not in extra:
            page = self._person_page(request, object_id)
            if page is not None:
                extra["person_page"] = page
        return super().change_view(request, object_id, form_url, extra)

    def quote_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The person page with the quote / what-if panel answering the submitted question."""
        page = self._person_page(request, object_id, what_if_data=request.GET)
        if page is None:
            raise Http404
        return self.change_view(request, object_id, extra_context={"person_page": page, "quote_open": True})

    def recompute_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Recompute the stored status now (the nightly run would do it tonight) and say what it is."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        from eligibility.services import eligibility_recompute

        person = self.get_object(request, unquote(object_id))
        if person is None:
            raise Http404
        if not self.has_recompute_permission(request, person):
            raise PermissionDenied
        snapshot, changed = eligibility_recompute(person_id=person.pk, as_of=page_day())
        sentence = status_sentence(snapshot)
        if changed:
            messages.success(request, _("Status recomputed: %(status)s") % {"status": sentence})
        else:
            messages.info(request, _("Status recomputed, unchanged: %(status)s") % {"status": sentence})
        return HttpResponseRedirect(reverse("admin:enrollment_person_change", args=[person.pk]))
