"""The one public entry point: ``evaluate(action, *, person, history, claims, profile)``."""

from __future__ import annotations

from .employee import evaluate_employee_payment, evaluate_flexible_enrollment
from .facts import Action, CiCapRequest, Claims, EmployeePayment, FlexibleEnrollment, History, Person, ResidentPayment
from .incentives import evaluate_ci_cap
from .profile import Profile
from .resident import evaluate_resident_payment
from .result import Result


def evaluate(
    action: Action,
    *,
    person: Person,
    history: History,
    claims: Claims | None = None,
    profile: Profile,
) -> Result:
    """Evaluate one action (section 11) under a policy profile.

    The "as of" date is the action's own ``paid_on`` / ``on``; the clock is never read.
    Raises ``MalformedInput`` for malformed input (11.6).
    """
    if isinstance(action, ResidentPayment):
        return evaluate_resident_payment(action, person=person, history=history, profile=profile)
    if isinstance(action, EmployeePayment):
        return evaluate_employee_payment(action, history=history, profile=profile)
    if isinstance(action, FlexibleEnrollment):
        return evaluate_flexible_enrollment(action, history=history, profile=profile)
    if isinstance(action, CiCapRequest):
        return evaluate_ci_cap(action, history=history, claims=claims or Claims(), profile=profile)
    raise TypeError(f"unknown action {action!r}")
