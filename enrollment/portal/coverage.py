"""Selectors of the resident's "my coverage" pages: the dashboard, payments and the calculator.

The status is computed for today from the facts (the same pure function the nightly run stores,
`eligibility.snapshots.snapshot_values`), so a resident who paid this morning does not read last
night's status. The warnings are the reminders the rules call for today (`reminders.reminders_due`),
whether or not the nightly job has sent them yet; the timeline is the clerks' (`timeline_build`).
Everything is read in a fixed number of queries whatever the length of the person's history.
"""

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from eligibility.explanations import status_sentence
from eligibility.models import (
    BenefitDecision,
    CoverageState,
    EligibilitySnapshot,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from eligibility.reminders import ReminderDraft, reminder_text, reminders_due
from eligibility.rules import CiCapRequest, RejectionCode, evaluate, explain
from eligibility.rules.dates import MONTHS_PER_YEAR
from eligibility.rules.explain import WARNING_TEXTS
from eligibility.selectors import PersonFacts, person_facts
from eligibility.snapshots import ANY_PERSON, PolicyIndex, SnapshotValues, grace_months, snapshot_values
from eligibility.timeline import Cell, Timeline, timeline_build
from enrollment.models import Enrollment, Person
from enrollment.portal.coverage_forms import CalculatorAction, CalculatorForm
from enrollment.portal.coverage_years import NextYear, YearOffer, next_year_get, not_published_sentence, year_offer
from payments.models import LedgerEntry, Payment, PaymentKind, PolicyScope
from payments.policy import NoPolicy, policy_row_for
from payments.services import PaymentRefused, PaymentRequest, Quote, premium_quote_under, request_mid_year_entry

TIMELINE_YEARS = 3
LEDGER_ROWS = 60
PAYMENT_ROWS = 30
NOTIFICATION_ROWS = 20

URGENT_KINDS = {NotificationKind.GAP_DEADLINE, NotificationKind.BACKPAY_WINDOW_CLOSES}

# The colour class of each state (portal.css `status-*`); anything unknown reads as not enrolled.
STATUS_CLASSES = {state.value: f"status-{state.value}" for state in CoverageState}


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


@dataclass(frozen=True)
class Warning:
    """Something the resident should do, most urgent first."""

    title: str
    text: str
    deadline: datetime.date | None = None
    kind: str = ""


@dataclass(frozen=True)
class CriticalIllness:
    """This year's critical-illness cap and how the incentives (INC-1..5) built it."""

    cap: Decimal
    base_cap: Decimal
    continuity_increment: Decimal
    zero_claim_increment: Decimal
    threshold_years: int
    max_increase_ratio: Decimal
    explanation: str


@dataclass(frozen=True)
class MonthView:
    """One month of the phone timeline: what was paid and what the fund pays, per scheme."""

    iso: str
    number: int
    current: bool
    cells: tuple[tuple[str, Cell, Cell | None], ...]
    """(scheme label, contribution cell, benefit cell or None)."""


@dataclass(frozen=True)
class YearView:
    year: int
    current: bool
    months: tuple[MonthView, ...]


@dataclass
class Dashboard:
    person: Person
    as_of: datetime.date
    values: SnapshotValues
    sentence: str
    status_class: str
    explanation: str
    warnings: list[Warning]
    timeline: Timeline
    years: list[YearView]
    critical_illness: CriticalIllness | None
    waiting_text: str
    facts: PersonFacts = field(repr=False)
    next_year: NextYear | None = None
    """Next year's collection window and premium, once its profile is published."""

    @property
    def state(self) -> str:
        return self.values.state

    @property
    def state_label(self) -> str:
        return str(CoverageState(self.values.state).label) if self.values.state in CoverageState.values else ""


def _snapshot_of(values: SnapshotValues, as_of: datetime.date) -> EligibilitySnapshot:
    """An unsaved snapshot, so that the sentence is the one the clerks read (`status_sentence`)."""
    return EligibilitySnapshot(as_of=as_of, **values.__dict__)


def _draft_warning(draft: ReminderDraft) -> Warning:
    title, text = reminder_text(Notification(kind=draft.kind, params=draft.params))
    return Warning(title=title, text=text, deadline=draft.subject_on, kind=str(draft.kind))


def warnings_for(
    *, facts: PersonFacts, values: SnapshotValues, status: object, as_of: datetime.date, policies: PolicyIndex
) -> list[Warning]:
    """The reminders due today (deadline first), then an interruption without a reminder, then the
    rules' warnings on the current grant."""
    drafts = sorted(
        reminders_due(facts=facts, status=status, as_of=as_of, policies=policies),  # type: ignore[arg-type]
        key=lambda draft: draft.subject_on,
    )
    # A lapse is urgent from its first day; the other reminders are news only once they are due.
    warnings = [_draft_warning(draft) for draft in drafts if draft.kind in URGENT_KINDS or draft.send_on <= as_of]
    if values.state == CoverageState.INTERRUPTED and not warnings:
        warnings.append(
            Warning(
                title=_("Your cover is interrupted"),
                text=_(
                    "No scheme has covered you for %(months)s months. Use the calculator to see what paying now "
                    "would cost and when benefits would start again, or ask the service hall."
                )
                % {"months": values.gap_months or 0},
                kind="interrupted",
            )
        )
    language = _language()
    for code in values.warnings:
        texts = next((text for warning, text in WARNING_TEXTS.items() if warning.value == code), None)
        if texts is not None:
            warnings.append(Warning(title=_("Please note"), text=texts[language], kind=code))
    return warnings


def critical_illness_of(*, facts: PersonFacts, year: int, policies: PolicyIndex) -> CriticalIllness | None:
    """The cap with its explanation, for a person with a resident premium for `year` (11.4)."""
    if year not in facts.history.index.resident_years:
        return None
    profile = policies.latest(region_code=facts.region_code, up_to_year=year, scope=PolicyScope.RESIDENT)
    if profile is None or profile.ci is None or profile.employee is None:
        return None
    result = evaluate(
        CiCapRequest(year=year), person=ANY_PERSON, history=facts.history, claims=facts.claims, profile=profile
    )
    if result.ci_cap is None:
        return None
    ci = profile.ci
    return CriticalIllness(
        cap=result.ci_cap,
        base_cap=ci.base_cap,
        continuity_increment=ci.continuity_increment,
        zero_claim_increment=ci.zero_claim_increment,
        threshold_years=ci.threshold_years,
        max_increase_ratio=ci.max_increase_ratio,
        explanation=explain(result, _language()),
    )


def years_of(timeline: Timeline) -> list[YearView]:
    """The timeline regrouped by year then month, for the stacked phone layout."""
    years = []
    current_month = next((heading.month for heading in timeline.months if heading.current), None)
    for position, year in enumerate(timeline.years):
        months = []
        for number in range(MONTHS_PER_YEAR):
            index = position * MONTHS_PER_YEAR + number
            cells = tuple(
                (row.label, row.contribution[index], None if row.benefit is None else row.benefit[index])
                for row in timeline.rows
            )
            heading = timeline.months[index]
            months.append(
                MonthView(iso=f"{year:04d}-{number + 1:02d}", number=number + 1, current=heading.current, cells=cells)
            )
        years.append(
            YearView(
                year=year,
                current=current_month is not None and current_month // MONTHS_PER_YEAR == year,
                months=tuple(months),
            )
        )
    return years


def _waiting_text(values: SnapshotValues) -> str:
    if values.waiting_start is None or values.waiting_end is None:
        return _("no waiting period")
    from django.utils.formats import date_format

    return _("%(start)s to %(end)s") % {
        "start": date_format(values.waiting_start, "DATE_FORMAT"),
        "end": date_format(values.waiting_end, "DATE_FORMAT"),
    }


def dashboard_get(*, person: Person, as_of: datetime.date) -> Dashboard:
    """Everything the dashboard shows (ten queries: the facts six, policies, enrolments, decision, and next
    year's profile)."""
    facts = person_facts(person_id=person.pk)
    policies = PolicyIndex.load()
    status, values = snapshot_values(facts=facts, as_of=as_of, policies=policies)
    enrollments = list(Enrollment.objects.filter(person=person).only("scheme", "end_date"))
    decision = BenefitDecision.objects.filter(person=person, voided_at__isnull=True).order_by("-paid_on", "-pk").first()
    timeline = timeline_build(
        facts=facts,
        as_of=as_of,
        years=TIMELINE_YEARS,
        grace_months=grace_months(facts=facts, as_of=as_of, policies=policies),
        schemes=[
            e.scheme for e in enrollments if e.end_date is None or e.end_date.year >= as_of.year - (TIMELINE_YEARS - 1)
        ],
    )
    return Dashboard(
        person=person,
        as_of=as_of,
        values=values,
        sentence=status_sentence(_snapshot_of(values, as_of)),
        status_class=STATUS_CLASSES.get(values.state, "status-not_enrolled"),
        explanation="" if decision is None else decision.explanation_in(get_language()),
        warnings=warnings_for(facts=facts, values=values, status=status, as_of=as_of, policies=policies),
        timeline=timeline,
        years=years_of(timeline),
        critical_illness=critical_illness_of(facts=facts, year=as_of.year, policies=policies),
        waiting_text=_waiting_text(values),
        facts=facts,
        next_year=next_year_get(person=person, facts=facts, as_of=as_of),
    )


# --- payments -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderLine:
    notification: Notification
    title: str
    text: str


@dataclass
class PaymentsPage:
    person: Person
    ledger: list[LedgerEntry]
    payments: list[Payment]
    reminders: list[ReminderLine]
    receipts_visible: bool
    """The receipt view shows an account only its own person's receipts (payments.views)."""


def payments_get(*, person: Person, user_id: int | None) -> PaymentsPage:
    """The latest ledger rows, payments and reminders (three queries)."""
    ledger = list(
        LedgerEntry.objects.filter(person=person).select_related("region").order_by("-period", "-pk")[:LEDGER_ROWS]
    )
    payments = list(
        Payment.objects.filter(person=person).select_related("decision").order_by("-paid_at", "-pk")[:PAYMENT_ROWS]
    )
    reminders = [
        ReminderLine(notification, *reminder_text(notification))
        for notification in Notification.objects.filter(person=person)
        .exclude(status=NotificationStatus.CANCELLED)
        .order_by("-send_on", "-pk")[:NOTIFICATION_ROWS]
    ]
    return PaymentsPage(
        person=person,
        ledger=ledger,
        payments=payments,
        reminders=reminders,
        receipts_visible=user_id is not None and person.user_id == user_id,
    )


# --- the calculator -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteView:
    """A quote as the resident reads it (or why there is none)."""

    quote: Quote | None
    error: str = ""

    @property
    def warnings(self) -> list[str]:
        if self.quote is None:
            return []
        language = _language()
        return [WARNING_TEXTS[warning][language] for warning in self.quote.result.warnings]


@dataclass(frozen=True)
class CalculatorAnswer:
    main: QuoteView
    request: PaymentRequest
    without_repair: QuoteView | None = None
    with_repair: QuoteView | None = None
    """Both set when repair changes something to compare (a resident year after break years)."""
    offer: YearOffer | None = None
    """Set when the resident year asked cannot be paid (paid already, or closed): the year to pay instead."""


# The refusals of a resident year that another year answers (RES-3): the calculator offers that year.
OFFER_REASONS = {RejectionCode.RES_ALREADY_PAID.value: "paid", RejectionCode.RES_PERIOD_CLOSED.value: "closed"}


def quote_view(*, person: Person, facts: PersonFacts, request: PaymentRequest, on: datetime.date) -> QuoteView:
    """Quote on facts already loaded; a refusal is an answer too (its message says why)."""
    try:
        row = policy_row_for(
            region_code=person.household_region.code, year=request.coverage_year, scope=request.scope, on=on
        )
        return QuoteView(quote=premium_quote_under(person=person, request=request, on=on, policy_row=row, facts=facts))
    except NoPolicy:
        if request.scope == PolicyScope.RESIDENT:
            # The year asked most often in December: say what to do, not only that nothing is there.
            error = not_published_sentence(
                region_code=person.household_region.code, year=request.coverage_year, as_of=on
            )
        else:
            error = _("No premium is set yet for %(year)s in your region.") % {"year": request.coverage_year}
        return QuoteView(quote=None, error=error)
    except PaymentRefused as refusal:
        return QuoteView(quote=None, error=refusal.message)


def calculator_answer(*, person: Person, form: CalculatorForm) -> CalculatorAnswer | None:
    """The quote for a valid question, with the with/without-repair comparison for resident years."""
    if not form.is_valid():
        return None
    on = form.cleaned_data["paid_on"]
    facts = person_facts(person_id=person.pk)
    mid_year = None
    if form.cleaned_data["action"] == CalculatorAction.FLEXIBLE_MID_YEAR:
        mid_year = request_mid_year_entry(person=person, on=on)
        if (
            mid_year.cover_from is not None
            and mid_year.cover_to is not None
            and mid_year.cover_from > mid_year.cover_to
        ):
            # Paid up to December already: nothing is left this year (the rules would refuse the months).
            error = QuoteView(quote=None, error=_("These periods are already paid."))
            return CalculatorAnswer(main=error, request=replace(mid_year, cover_from=None, cover_to=None))
    request = form.payment_request(mid_year=mid_year)
    main = quote_view(person=person, facts=facts, request=request, on=on)
    if request.kind != PaymentKind.RESIDENT_YEAR:
        return CalculatorAnswer(main=main, request=request)
    reason = OFFER_REASONS.get(main.quote.rejection_code or "") if main.quote is not None else None
    if reason is not None:
        offer = year_offer(facts=facts, asked=request.coverage_year, reason=reason, as_of=on)
        return CalculatorAnswer(main=main, request=request, offer=offer)
    # Repair (RES-7) is worth showing wherever the year has break years before it.
    if request.repair_years:
        plain = quote_view(person=person, facts=facts, request=replace(request, repair_years=0), on=on)
        return CalculatorAnswer(main=main, request=request, without_repair=plain, with_repair=main)
    breaks = main.quote.result.break_years if main.quote is not None else None
    if breaks:
        repaired = quote_view(person=person, facts=facts, request=replace(request, repair_years=breaks), on=on)
        return CalculatorAnswer(main=main, request=request, without_repair=main, with_repair=repaired)
    return CalculatorAnswer(main=main, request=request)
