"""Pure eligibility rules engine (RULES.md). Standard library only: no Django.

Public API::

    evaluate(action, *, person, history, claims, profile) -> Result
    is_payable(service_date, *, period, admission_date=None, inpatient_anchor=...) -> ClaimDecision
    explain(result, lang="zh") -> str
    ProfileBook.from_file(path).get(name, overrides) -> Profile
"""

from .claims import ClaimDecision, CoveragePeriod, is_payable
from .codes import (
    ActionKind,
    Category,
    EmployeeKind,
    EventKind,
    Frequency,
    RejectionCode,
    Treatment,
    WarningCode,
)
from .dates import add_months
from .engine import evaluate
from .errors import MalformedInput
from .explain import explain
from .facts import (
    Action,
    CiCapRequest,
    Claims,
    EmployeePayment,
    EmployeeSpan,
    Event,
    FlexibleEnrollment,
    History,
    MilitarySpan,
    Person,
    ResidentPayment,
    ResidentYears,
)
from .profile import Profile, ProfileBook, build_profile
from .result import OUTPUT_KEYS, PremiumLine, Result

__all__ = [
    "OUTPUT_KEYS",
    "Action",
    "ActionKind",
    "Category",
    "CiCapRequest",
    "ClaimDecision",
    "Claims",
    "CoveragePeriod",
    "EmployeeKind",
    "EmployeePayment",
    "EmployeeSpan",
    "Event",
    "EventKind",
    "FlexibleEnrollment",
    "Frequency",
    "History",
    "MalformedInput",
    "MilitarySpan",
    "Person",
    "PremiumLine",
    "Profile",
    "ProfileBook",
    "RejectionCode",
    "ResidentPayment",
    "ResidentYears",
    "Result",
    "Treatment",
    "WarningCode",
    "add_months",
    "build_profile",
    "evaluate",
    "explain",
    "is_payable",
]
