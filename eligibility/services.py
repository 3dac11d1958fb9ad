"""Eligibility services: evaluate an action on a person's stored facts, record an accepted one,
recompute the stored status, and answer "covered on day D?".

The rules themselves live in `eligibility/rules/`; these functions only load facts, call the
rules and store what they say.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from eligibility.models import BenefitDecision, EligibilitySnapshot
from eligibility.profiles import profile_for
from eligibility.rules import (
    Action,
    CiCapRequest,
    EmployeeKind,
    EmployeePayment,
    FlexibleEnrollment,
    Profile,
    ResidentPayment,
    Result,
    WarningCode,
    evaluate,
    explain,
)
from eligibility.rules.dates import first_day, month_of, year_of_month
from eligibility.rules.explain import LANGS
from eligibility.rules.status import RULES_VERSION, State, Status
from eligibility.selectors import PersonFacts, person_facts
from eligibility.snapshots import PolicyIndex, SnapshotValues, snapshot_values, stored_values
from enrollment.models import Person, Scheme
from payments.models import LedgerEntry, LedgerEntryKind, Payment

SCHEME_OF_EMPLOYEE_KIND = {EmployeeKind.UNIT: Scheme.EMPLOYEE_UNIT, EmployeeKind.FLEXIBLE: Scheme.EMPLOYEE_FLEXIBLE}


def action_year(action: Action) -> int:
    if isinstance(action, ResidentPayment | FlexibleEnrollment | CiCapRequest):
        return action.year
    return year_of_month(action.cover_to)


def action_day(action: Action) -> datetime.date | None:
    """The day the action happens (the profile in force that day applies)."""
    if isinstance(action, ResidentPayment | EmployeePayment):
        return action.paid_on
    if isinstance(action, FlexibleEnrollment):
        return action.on
    return None


def action_group(action: Action) -> str:
    return "employee" if isinstance(action, EmployeePayment | FlexibleEnrollment) else "resident"


def eligibility_evaluate(
    *, person_id: int, action: Action, profile: Profile | None = None, facts: PersonFacts | None = None
) -> tuple[Result, str]:
    """Evaluate an intended or recorded action on the person's stored facts.

    The profile is the one in force for the person's region and the action's year unless given.
    Returns the result and the profile's name. Raises `NoPolicy` or the rules' `MalformedInput`.
    """
    facts = facts or person_facts(person_id=person_id)
    if profile is None:
        _, profile = profile_for(
            region_code=facts.region_code, year=action_year(action), group=action_group(action), on=action_day(action)
        )
    result = evaluate(action, person=facts.person, history=facts.history, claims=facts.claims, profile=profile)
    return result, profile.name


def _ledger_rows(
    *, person: Person, action: Action, result: Result, decision: BenefitDecision, payment: Payment | None
) -> list[LedgerEntry]:
    """The ledger rows an accepted payment creates, priced from the rules' itemised premium."""
    common = {
        "person": person,
        "region": person.household_region,
        "paid_on": result.as_of,
        "decision": decision,
        "payment": payment,
    }
    lines = {line.code: line for line in result.premium_lines}
    if isinstance(action, ResidentPayment):
        year_amount = sum(
            (lines[code].amount for code in ("RES_PREMIUM", "RES_FULL_COST_SUBSIDY") if code in lines), Decimal(0)
        )
        rows = [
            LedgerEntry(
                scheme=Scheme.RESIDENT,
                period=datetime.date(action.year, 1, 1),
                kind=LedgerEntryKind.REGULAR,
                amount_due=year_amount if lines else None,
                **common,
            )
        ]
        repair = lines.get("RES_REPAIR")
        rows += [
            LedgerEntry(
                scheme=Scheme.RESIDENT,
                period=None,
                kind=LedgerEntryKind.REPAIR,
                amount_due=None if repair is None else repair.unit_amount,
                **common,
            )
            for _ in range(result.repair_years_applied or 0)
        ]
        return rows
    assert isinstance(action, EmployeePayment)
    resumption = max(month_of(action.paid_on), action.cover_from)
    monthly = next((line.unit_amount for line in result.premium_lines), None)
    no_benefit = WarningCode.BACKPAY_NO_BENEFIT in result.warnings
    return [
        LedgerEntry(
            scheme=SCHEME_OF_EMPLOYEE_KIND[action.employee_kind],
            period=first_day(month),
            kind=LedgerEntryKind.BACK_PAYMENT if month < resumption else LedgerEntryKind.REGULAR,
            counts_for_continuity=not (month < resumption and no_benefit),
            amount_due=monthly,
            **common,
        )
        for month in range(action.cover_from, action.cover_to + 1)
    ]


def decision_build(
    *, person: Person, action: ResidentPayment | EmployeePayment, result: Result, profile_name: str
) -> BenefitDecision:
    """The unsaved decision of an accepted payment (with its explanation in both languages).

    `decision_create` saves it; the reconciliation import saves many with one bulk insert.
    """
    if not result.accepted:
        raise ValueError("only an accepted action is recorded")
    is_resident = isinstance(action, ResidentPayment)
    scheme = Scheme.RESIDENT if is_resident else SCHEME_OF_EMPLOYEE_KIND[action.employee_kind]
    return BenefitDecision(
        person=person,
        action_kind=result.action_kind.value,
        scheme=scheme,
        coverage_year=action.year if isinstance(action, ResidentPayment) else None,
        cover_from=None if is_resident else first_day(action.cover_from),
        cover_to=None if is_resident else first_day(action.cover_to),
        paid_on=action.paid_on,
        profile_name=profile_name,
        treatment="" if result.treatment is None else result.treatment.value,
        benefits_from=result.benefits_from,
        benefit_end=result.benefit_end,
        waiting_start=result.waiting_start,
        waiting_end=result.waiting_end,
        retro_from=result.retro_from,
        retro_to=result.retro_to,
        gap_months=result.gap_months,
        break_years=result.break_years,
        repair_years_applied=result.repair_years_applied,
        backpay_months=result.backpay_months,
        continuous_years=result.continuous_years,
        continuity_reset=WarningCode.CONTINUITY_RESET in result.warnings,
        premium_due=result.premium_due,
        reasons=list(result.reasons),
        warnings=[w.value for w in result.warnings],
        explanation={language: explain(result, language) for language in LANGS},
        rules_version=RULES_VERSION,
    )


def decision_create(
    *, person: Person, action: ResidentPayment | EmployeePayment, result: Result, profile_name: str
) -> BenefitDecision:
    """Store what the rules decided for an accepted payment (with its explanation in both languages)."""
    decision = decision_build(person=person, action=action, result=result, profile_name=profile_name)
    decision.save(force_insert=True)
    return decision


def ledger_rows_build(
    *,
    decision: BenefitDecision,
    action: ResidentPayment | EmployeePayment,
    result: Result,
    payment: Payment | None = None,
) -> list[LedgerEntry]:
    """The unsaved ledger rows of an accepted payment; with a payment they are marked paid."""
    rows = _ledger_rows(person=decision.person, action=action, result=result, decision=decision, payment=payment)
    if payment is not None:
        for row in rows:
            row.amount_paid = row.amount_due
    return rows


def ledger_record(
    *,
    decision: BenefitDecision,
    action: ResidentPayment | EmployeePayment,
    result: Result,
    payment: Payment | None = None,
) -> list[LedgerEntry]:
    """Write the ledger rows of an accepted payment (with their history rows)."""
    rows = ledger_rows_build(decision=decision, action=action, result=result, payment=payment)
    return bulk_create_with_history(rows, LedgerEntry)


def decision_record(
    *, person: Person, action: ResidentPayment | EmployeePayment, result: Result, profile_name: str
) -> BenefitDecision:
    """Store an accepted action's decision and the ledger rows it creates, in one transaction
    (used where no money is recorded: imported history, tests; payments use payment_record)."""
    with transaction.atomic():
        decision = decision_create(person=person, action=action, result=result, profile_name=profile_name)
        ledger_record(decision=decision, action=action, result=result)
    return decision


def status_values(
    *, facts: PersonFacts, as_of: datetime.date, policies: PolicyIndex | None = None
) -> tuple[Status, SnapshotValues]:
    """The person's status on `as_of` as stored values (the nightly chunks use the same function)."""
    return snapshot_values(facts=facts, as_of=as_of, policies=policies or PolicyIndex.load())


def eligibility_recompute(
    *, person_id: int, as_of: datetime.date, facts: PersonFacts | None = None
) -> tuple[EligibilitySnapshot, bool]:
    """Recompute and store the person's status on `as_of`; writes only when something changed.

    The person's reminders are replaced at the same time, as the nightly run does: a payment
    cancels the pending "pay by" reminder at once. Returns the snapshot and whether it was written.
    """
    from eligibility.reminders import reminders_due, reminders_replace

    facts = facts or person_facts(person_id=person_id)
    policies = PolicyIndex.load()
    status, values = status_values(facts=facts, as_of=as_of, policies=policies)
    drafts = reminders_due(facts=facts, status=status, as_of=as_of, policies=policies)
    # Inside a caller's transaction this adds no savepoint: the whole recompute is one unit.
    with transaction.atomic(savepoint=False):
        reminders_replace(person_ids=[person_id], drafts=drafts, as_of=as_of)
        existing = EligibilitySnapshot.objects.filter(person_id=person_id).first()
        if existing is not None and stored_values(existing) == values:
            return existing, False
        snapshot = existing or EligibilitySnapshot(person_id=person_id)
        for name, value in values.__dict__.items():
            setattr(snapshot, name, value)
        snapshot.as_of = as_of
        snapshot.computed_at = timezone.now()
        snapshot.save(force_insert=existing is None)
    return snapshot, True


@dataclass(frozen=True)
class CoverageAnswer:
    covered: bool
    state: State
    scheme: str | None
    service_date: datetime.date
    judged_on: datetime.date
    reasons: tuple[str, ...]
    status: Status


def eligibility_covered_on(
    *, person_id: int, service_date: datetime.date, admission_date: datetime.date | None = None
) -> CoverageAnswer:
    """Is the person covered on a service date, past or future, with the reasons?

    For an inpatient stay the admission date decides (RES-8b, `resident.inpatient_anchor`): a stay
    admitted during a waiting period is self-paid, whatever day the service falls on.
    """
    facts = person_facts(person_id=person_id)
    judged_on = admission_date or service_date
    status, _ = status_values(facts=facts, as_of=judged_on)
    reasons = status.reasons + (("RES-8b",) if admission_date is not None else ())
    return CoverageAnswer(
        covered=status.state == State.COVERED,
        state=status.state,
        scheme=status.scheme,
        service_date=service_date,
        judged_on=judged_on,
        reasons=reasons,
        status=status,
    )
