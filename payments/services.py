"""Premium quotes, recording payments (idempotently) and reversing them.

A quote asks the rules what a payment would cost and do; recording a payment asks again under a
lock on the person, refuses what the rules refuse, and stores the payment, the rules' decision and
the ledger rows in one transaction, together with the mark that makes the nightly run recompute
the person even if the broker is down.
"""

import datetime
import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from eligibility.models import BenefitDecision, RecomputeRequest
from eligibility.rules import EmployeeKind, EmployeePayment, Frequency, Profile, ResidentPayment, Result, explain
from eligibility.rules.dates import month_of
from eligibility.rules.employee import flexible_monthly_premium
from eligibility.rules.profile import build_profile
from eligibility.selectors import PersonFacts
from eligibility.services import decision_create, eligibility_evaluate, ledger_record
from eligibility.tasks import recompute_soon
from enrollment.models import Person, Scheme
from payments.models import Channel, LedgerEntry, Payment, PaymentKind, PaymentStatus, PolicyProfile, PolicyScope
from payments.policy import NoPolicy, policy_row_for, profile_of

LINE_LABELS = {
    "RES_PREMIUM": gettext_lazy("resident premium"),
    "RES_FULL_COST_SUBSIDY": gettext_lazy("public subsidy share (late payment at full cost)"),
    "RES_REPAIR": gettext_lazy("repair year"),
    "FLEX_MONTHS": gettext_lazy("month of flexible-worker contribution"),
    "FLEX_BACKPAY_MONTHS": gettext_lazy("back-paid month"),
}


@functools.cache
def _line_label(code: str, language: str | None) -> str:
    """The label of a premium line in the active language (`language`, which keys the cache): a
    quote of the reconciliation import would otherwise translate it again for every row."""
    return str(LINE_LABELS[code])


class PaymentRefused(Exception):
    """The payment is not accepted; `code` is a rule or product code, `message` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PaymentRequest:
    """What a person intends to pay for."""

    kind: str
    year: int | None = None
    repair_years: int = 0
    employee_kind: str = EmployeeKind.FLEXIBLE
    cover_from: datetime.date | None = None
    cover_to: datetime.date | None = None
    frequency: str = Frequency.ANNUAL
    rate: Decimal | None = None

    @classmethod
    def resident_year(cls, year: int, repair_years: int = 0) -> "PaymentRequest":
        return cls(kind=PaymentKind.RESIDENT_YEAR, year=year, repair_years=repair_years)

    @classmethod
    def employee_months(
        cls,
        cover_from: datetime.date,
        cover_to: datetime.date,
        *,
        employee_kind: str = EmployeeKind.FLEXIBLE,
        frequency: str = Frequency.ANNUAL,
        rate: Decimal | None = None,
    ) -> "PaymentRequest":
        return cls(
            kind=PaymentKind.EMPLOYEE_MONTHS,
            employee_kind=employee_kind,
            cover_from=cover_from.replace(day=1),
            cover_to=cover_to.replace(day=1),
            frequency=frequency,
            rate=rate,
        )

    @property
    def coverage_year(self) -> int:
        if self.kind == PaymentKind.RESIDENT_YEAR:
            assert self.year is not None
            return self.year
        assert self.cover_to is not None
        return self.cover_to.year

    @property
    def scope(self) -> str:
        return PolicyScope.RESIDENT if self.kind == PaymentKind.RESIDENT_YEAR else PolicyScope.EMPLOYEE

    def action(self, paid_on: datetime.date) -> ResidentPayment | EmployeePayment:
        if self.kind == PaymentKind.RESIDENT_YEAR:
            return ResidentPayment(year=self.coverage_year, paid_on=paid_on, repair_years=self.repair_years)
        assert self.cover_from is not None and self.cover_to is not None
        return EmployeePayment(
            employee_kind=EmployeeKind(self.employee_kind),
            paid_on=paid_on,
            cover_from=month_of(self.cover_from),
            cover_to=month_of(self.cover_to),
            frequency=Frequency(self.frequency),
        )


def request_mid_year_entry(*, person: Person, on: datetime.date) -> PaymentRequest:
    """EMP-2: after employee cover stopped in month s, a flexible payment from s + 1 to December.

    Without earlier employee months, from the month of `on`.
    """
    last = (
        LedgerEntry.objects.filter(
            person=person, voided_at__isnull=True, scheme__in=[Scheme.EMPLOYEE_UNIT, Scheme.EMPLOYEE_FLEXIBLE]
        )
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    start = on.replace(day=1)
    if last is not None and last.year == on.year:
        start = (last + datetime.timedelta(days=32)).replace(day=1)
    return PaymentRequest.employee_months(start, datetime.date(on.year, 12, 1))


@dataclass(frozen=True)
class QuoteLine:
    code: str
    label: str
    quantity: int
    unit_amount: Decimal
    amount: Decimal
    rule: str


@dataclass(frozen=True)
class MonthlyDetail:
    """EMP-4: contribution base x rate (rounded to the fen) + large-amount medical fee."""

    contribution_base: Decimal
    rate: Decimal
    base_amount: Decimal
    large_amount: Decimal
    monthly: Decimal


@dataclass(frozen=True)
class Quote:
    request: PaymentRequest
    paid_on: datetime.date
    profile_name: str
    result: Result
    lines: tuple[QuoteLine, ...]
    monthly: MonthlyDetail | None
    language: str = "zh"

    @functools.cached_property
    def explanation(self) -> str:
        """What the rules' answer means, in the language of the quote (computed when first read:
        the import reads it only for refused rows)."""
        return explain(self.result, self.language)

    @property
    def accepted(self) -> bool:
        return self.result.accepted

    @property
    def amount(self) -> Decimal | None:
        return self.result.premium_due

    @property
    def rejection_code(self) -> str | None:
        return None if self.result.rejection_code is None else self.result.rejection_code.value


def _profile_with_rate(name: str, row_profile: Profile, row_params: dict, rate: Decimal, tiers: list) -> Profile:
    allowed = {Decimal(str(t)) for t in tiers} or {row_profile.flexible.rate if row_profile.flexible else None}
    if rate not in allowed:
        raise PaymentRefused(
            "RATE_TIER_NOT_OFFERED",
            _("The rate %(rate)s is not offered here; choose one of %(tiers)s.")
            % {"rate": rate, "tiers": ", ".join(str(t) for t in sorted(r for r in allowed if r is not None))},
        )
    return build_profile(
        name, {"coverage_year": row_profile.coverage_year, "params": {**row_params, "flexible.rate": str(rate)}}
    )


# What a missing parameter group means to the person asking (section 12's groups).
GROUP_NOUNS = {
    "resident": gettext_lazy("resident insurance"),
    "flexible": gettext_lazy("flexible workers"),
    "employee": gettext_lazy("employee insurance"),
}


def _check_offered(*, profile: Profile, request: PaymentRequest, policy_row: PolicyProfile, person: Person) -> None:
    """A payment whose parameter group the region's profile does not set (Guiyang has no flexible
    workers, Hebei no resident insurance) is not offered there: a refusal in words, not the rules'
    MalformedInput escaping as a server error."""
    if request.kind == PaymentKind.RESIDENT_YEAR:
        group = "resident"
    elif request.employee_kind == EmployeeKind.FLEXIBLE:
        group = "flexible"
    else:
        group = "employee"
    if getattr(profile, group) is None:
        raise PaymentRefused(
            "NOT_OFFERED",
            _("The %(year)s policy of %(region)s has no parameters for %(group)s: this payment is not offered there.")
            % {"year": policy_row.coverage_year, "region": policy_row.region, "group": GROUP_NOUNS[group]},
        )
    # The import loads persons without their category (its facts carry it) and reports the rules'
    # own refusal; reading the deferred field here would cost a query per row.
    if (
        group == "resident"
        and profile.resident is not None
        and "category" not in person.get_deferred_fields()
        and profile.resident.premium(person.category) is None
    ):
        raise PaymentRefused(
            "NOT_OFFERED",
            _(
                "The %(year)s policy of %(region)s sets no premium for the category %(category)s: ask the service "
                "hall which category applies."
            )
            % {
                "year": policy_row.coverage_year,
                "region": policy_row.region,
                "category": person.get_category_display(),
            },
        )


def premium_quote(*, person: Person, request: PaymentRequest, on: datetime.date) -> Quote:
    """What paying for `request` on day `on` would cost (line by line) and do, with the explanation.

    Raises PaymentRefused when no policy is configured or a rate tier is not offered.
    """
    try:
        row = policy_row_for(
            region_code=person.household_region.code, year=request.coverage_year, scope=request.scope, on=on
        )
    except NoPolicy as error:
        raise PaymentRefused("NO_POLICY", str(error)) from None
    return premium_quote_under(person=person, request=request, on=on, policy_row=row)


def premium_quote_under(
    *,
    person: Person,
    request: PaymentRequest,
    on: datetime.date,
    policy_row: PolicyProfile,
    facts: PersonFacts | None = None,
) -> Quote:
    """`premium_quote` under a policy row already looked up, on facts already loaded (or loaded here).

    The reconciliation import loads the rows and facts of a whole chunk at once and calls this.
    """
    if request.cover_from is not None and request.cover_to is not None and request.cover_from > request.cover_to:
        # EMP-2 "from the month after the last paid one to December" when December is paid already.
        raise PaymentRefused("ALREADY_PAID", _("These periods are already paid."))
    profile = profile_of(policy_row)
    _check_offered(profile=profile, request=request, policy_row=policy_row, person=person)
    if request.rate is not None:
        profile = _profile_with_rate(
            policy_row.name, profile, policy_row.params, request.rate, policy_row.flexible_rate_tiers
        )
    result, profile_name = eligibility_evaluate(
        person_id=person.pk, action=request.action(on), profile=profile, facts=facts
    )
    active = get_language()
    lines = tuple(
        QuoteLine(line.code, _line_label(line.code, active), line.quantity, line.unit_amount, line.amount, line.rule)
        for line in result.premium_lines
    )
    monthly = None
    if request.kind == PaymentKind.EMPLOYEE_MONTHS and profile.flexible is not None:
        flex = profile.flexible
        total = flexible_monthly_premium(flex)
        monthly = MonthlyDetail(
            flex.contribution_base, flex.rate, total - flex.large_amount_monthly, flex.large_amount_monthly, total
        )
    language = "en" if (active or "").startswith("en") else "zh"
    return Quote(request, on, profile_name, result, lines, monthly, language)


@dataclass(frozen=True)
class RecordOutcome:
    payment: Payment
    created: bool


def _mark_for_recompute(person_id: int) -> None:
    RecomputeRequest.objects.update_or_create(person_id=person_id, defaults={"requested_at": timezone.now()})
    transaction.on_commit(lambda: recompute_soon(person_id))


def recorded_match(*, payment: Payment, person_id: int, amount: Decimal) -> RecordOutcome:
    """The outcome of recording a reference that is already recorded as `payment`: the same
    payment again (not created), or REFERENCE_CONFLICT when it was recorded for another person
    or amount."""
    if payment.person_id != person_id or payment.amount != amount:
        raise PaymentRefused(
            "REFERENCE_CONFLICT",
            _("Reference %(reference)s of %(channel)s is already recorded for another payment.")
            % {"reference": payment.reference, "channel": Channel(payment.channel).label},
        )
    return RecordOutcome(payment, created=False)


def _existing(channel: str, reference: str, person: Person, amount: Decimal) -> RecordOutcome | None:
    payment = Payment.objects.filter(channel=channel, reference=reference).first()
    if payment is None:
        return None
    return recorded_match(payment=payment, person_id=person.pk, amount=amount)


def quote_check(*, quote: Quote, amount: Decimal) -> None:
    """Raise PaymentRefused unless the rules accept the payment and `amount` is the premium due."""
    if not quote.accepted:
        raise PaymentRefused(quote.rejection_code or "REFUSED", quote.explanation)
    if quote.amount != amount:
        raise PaymentRefused(
            "AMOUNT_MISMATCH",
            _("The amount %(amount)s differs from the premium due, %(due)s.") % {"amount": amount, "due": quote.amount},
        )


def payment_fields(
    *,
    request: PaymentRequest,
    quote: Quote,
    scheme: str,
    channel: str,
    reference: str,
    amount: Decimal,
    paid_at: datetime.datetime,
) -> dict[str, Any]:
    """A payment's own fields (by attribute name; all but the person, the decision, who recorded it
    and the fields left to their defaults). `payment_build` makes the model instance of them; the
    reconciliation import writes them as COPY rows without one."""
    return {
        "channel": channel,
        "reference": reference,
        "kind": request.kind,
        "scheme": scheme,
        "coverage_year": request.year if request.kind == PaymentKind.RESIDENT_YEAR else None,
        "cover_from": request.cover_from,
        "cover_to": request.cover_to,
        "repair_years": quote.result.repair_years_applied or 0,
        "rate": request.rate,
        "amount": amount,
        "paid_at": paid_at,
        "paid_on": quote.paid_on,
    }


def payment_build(
    *,
    person: Person,
    request: PaymentRequest,
    quote: Quote,
    decision: BenefitDecision,
    channel: str,
    reference: str,
    amount: Decimal,
    paid_at: datetime.datetime,
    recorded_by: AbstractBaseUser | None = None,
) -> Payment:
    """The unsaved payment of an accepted quote (saved by `payment_record`)."""
    return Payment(
        person=person,
        decision=decision,
        recorded_by=recorded_by,
        **payment_fields(
            request=request,
            quote=quote,
            scheme=decision.scheme,
            channel=channel,
            reference=reference,
            amount=amount,
            paid_at=paid_at,
        ),
    )


def payment_record(
    *,
    person: Person,
    request: PaymentRequest,
    channel: str,
    reference: str,
    amount: Decimal,
    paid_at: datetime.datetime,
    recorded_by: AbstractBaseUser | None = None,
) -> RecordOutcome:
    """Record a payment once. The same (channel, reference) again returns the existing payment.

    The payment date is the Asia/Shanghai date of `paid_at` (DATE-1). Raises PaymentRefused with a
    rule code (e.g. FLEX_MONTHLY_NOT_ALLOWED) or a product code (AMOUNT_MISMATCH, NO_POLICY,
    REFERENCE_CONFLICT, ALREADY_PAID); nothing is written then.
    """
    if channel not in Channel.values:
        raise PaymentRefused("UNKNOWN_CHANNEL", _("Unknown payment channel: %(channel)s") % {"channel": channel})
    reference = reference.strip()
    if not reference:
        raise PaymentRefused("REFERENCE_MISSING", _("The transaction reference is missing."))
    if timezone.is_naive(paid_at):
        raise PaymentRefused("NAIVE_TIMESTAMP", _("The payment time must include its time zone."))
    paid_on = timezone.localtime(paid_at).date()
    found = _existing(channel, reference, person, amount)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            # One payment of a person at a time: the rules read the ledger this payment extends.
            Person.objects.select_for_update().filter(pk=person.pk).get()
            found = _existing(channel, reference, person, amount)
            if found is not None:
                return found
            quote = premium_quote(person=person, request=request, on=paid_on)
            quote_check(quote=quote, amount=amount)
            action = request.action(paid_on)
            decision = decision_create(
                person=person, action=action, result=quote.result, profile_name=quote.profile_name
            )
            payment = payment_build(
                person=person,
                request=request,
                quote=quote,
                decision=decision,
                channel=channel,
                reference=reference,
                amount=amount,
                paid_at=paid_at,
                recorded_by=recorded_by,
            )
            payment.save(force_insert=True)
            ledger_record(decision=decision, action=action, result=quote.result, payment=payment)
            _mark_for_recompute(person.pk)
            return RecordOutcome(payment, created=True)
    except IntegrityError:
        # A concurrent request won the race: the reference is now recorded, or the period is paid.
        found = _existing(channel, reference, person, amount)
        if found is not None:
            return found
        raise PaymentRefused("ALREADY_PAID", _("These periods are already paid.")) from None


def payment_reverse(*, payment: Payment, reason: str, by: AbstractBaseUser | None = None) -> Payment:
    """Reverse (refund) a payment: its ledger rows and decision are voided with the reason, the
    history keeps everything, and the person's status is recomputed."""
    reason = reason.strip()
    if not reason:
        raise PaymentRefused("REASON_MISSING", _("Give the reason for the reversal."))
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status == PaymentStatus.REVERSED:
            raise PaymentRefused("ALREADY_REVERSED", _("This payment is already reversed."))
        now = timezone.now()
        for row in LedgerEntry.objects.filter(payment=locked, voided_at__isnull=True):
            row.voided_at, row.void_reason = now, reason
            row.save(update_fields=["voided_at", "void_reason"])
        locked.decision.voided_at = now
        locked.decision.save(update_fields=["voided_at"])
        locked.status = PaymentStatus.REVERSED
        locked.reversed_at = now
        locked.reversal_reason = reason
        locked.save(update_fields=["status", "reversed_at", "reversal_reason"])
        _mark_for_recompute(locked.person_id)
    return locked
