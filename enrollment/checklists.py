"""What each kind of case needs: the documents of its checklist and its deadline in working days.

The documents follow the service-hall list of seed 004 (photos, ID card, household register, the
extra proofs of migrant workers' children, minimum-living-guarantee recipients, severely disabled
persons and elderly members of low-income families) and the special groups of RULES.md section 6
(newborns, veterans and their families, medical-assistance recipients, clergy, residents moving in,
returning from abroad, released after a sentence, graduates returning home). A document with a
condition is on the checklist only when the case's details (or the person) call for it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from enrollment.models import CaseKind, EventKind, Person, PremiumCategory, Scheme

NEWBORN = "newborn"

# Special-group statuses a case can record: a newborn (no event: the birth comes from the ID
# number, and approval enrols the child) and every special-group event kind of the register.
SPECIAL_GROUP_CHOICES: list[tuple[str, Any]] = [(NEWBORN, _("newborn")), *EventKind.choices]

Condition = Callable[[dict[str, Any], Person | None], bool]


@dataclass(frozen=True)
class DocumentSpec:
    code: str
    label: Promise
    # None: always on the checklist of the kind; otherwise only when the condition holds.
    condition: Condition | None = None
    required: bool = True

    def applies(self, details: dict[str, Any], person: Person | None) -> bool:
        return self.condition is None or self.condition(details, person)


def _flag(name: str) -> Condition:
    return lambda details, person: bool(details.get(name))


def _group(*groups: str) -> Condition:
    return lambda details, person: details.get("group") in groups


def _scheme(*schemes: str) -> Condition:
    return lambda details, person: details.get("scheme") in schemes


def _low_income(details: dict[str, Any], person: Person | None) -> bool:
    return bool(details.get("low_income")) or (person is not None and person.category == PremiumCategory.FIXED_SUBSIDY)


DOCUMENT_LABELS: dict[str, Promise] = {
    "id_card": _("resident ID card (original and two copies)"),
    "household_register": _("household register (original, and a copy of every page)"),
    "photos": _("two recent two-inch bareheaded photos (a preschool child: photographed with a parent)"),
    "family_insurance_proof": _("insurance proof of the other members of the household"),
    "parents_residence_permit": _("parents' residence permit (original and copy)"),
    "parents_household_register": _("parents' household register (original and copy)"),
    "parents_work_proof": _("proof of work issued by the parents' employer"),
    "parents_labour_relation": _("proof of labour relations of more than 3 years"),
    "low_income_certificate": _("minimum-living-guarantee certificate issued by the civil affairs department"),
    "disability_card": _("Disabled Persons' Card, grade 1 or 2 (original and copy)"),
    "low_income_elderly_proof": _("civil affairs proof for a member aged 60 or over of a low-income family"),
    "flexible_employment_registration": _("flexible-employment registration from the community or street office"),
    "employee_stop_proof": _("proof that employee insurance stopped (停保证明)"),
    "employment_proof": _("employment contract or the employer's registration of the employee"),
    "transfer_application": _("transfer application form (转移接续申请表)"),
    "insurance_certificate": _("certificate of insurance issued by the previous region (参保凭证)"),
    "payment_records": _("payment records of the interrupted period"),
    "birth_certificate": _("medical birth certificate (出生医学证明)"),
    "parent_id_card": _("a parent's resident ID card"),
    "discharge_certificate": _("certificate of discharge from active service"),
    "veteran_relation_proof": _("proof of the relation to the veteran (household register or marriage certificate)"),
    "medical_assistance_certificate": _("medical-assistance recipient certificate from the civil affairs department"),
    "clergy_certificate": _("religious personnel certificate"),
    "household_migration_certificate": _("household migration certificate (户口迁移证)"),
    "passport_entry_record": _("passport or travel document with the entry record"),
    "release_certificate": _("certificate of release after serving a sentence"),
    "graduation_certificate": _("graduation certificate"),
    "correction_evidence": _("proof of the correct data (household register page or police certificate)"),
}


def document_label(code: str) -> Promise | str:
    return DOCUMENT_LABELS.get(code, code)


def _doc(code: str, condition: Condition | None = None, *, required: bool = True) -> DocumentSpec:
    return DocumentSpec(code, DOCUMENT_LABELS[code], condition, required)


# Seed 004, items 1-8: the resident enrolment list and its extra proofs.
_RESIDENT_BASE = [
    _doc("id_card"),
    _doc("household_register"),
    _doc("photos"),
    _doc("family_insurance_proof", required=False),
    _doc("parents_residence_permit", _flag("migrant_worker_child")),
    _doc("parents_household_register", _flag("migrant_worker_child")),
    _doc("parents_work_proof", _flag("migrant_worker_child")),
    _doc("parents_labour_relation", _flag("migrant_worker_child")),
    _doc("low_income_certificate", _low_income),
    _doc("disability_card", _flag("severe_disability")),
    _doc("low_income_elderly_proof", _flag("low_income_elderly")),
]

CHECKLISTS: dict[str, list[DocumentSpec]] = {
    CaseKind.RESIDENT_ENROLMENT: _RESIDENT_BASE,
    CaseKind.FLEXIBLE_ENROLMENT: [
        _doc("id_card"),
        _doc("flexible_employment_registration"),
        _doc("employee_stop_proof", _flag("after_employee_stop")),
    ],
    CaseKind.SCHEME_SWITCH: [
        _doc("id_card"),
        _doc("household_register", _scheme(Scheme.RESIDENT)),
        _doc("flexible_employment_registration", _scheme(Scheme.EMPLOYEE_FLEXIBLE)),
        _doc("employment_proof", _scheme(Scheme.EMPLOYEE_UNIT)),
        _doc("employee_stop_proof", _scheme(Scheme.RESIDENT, Scheme.EMPLOYEE_FLEXIBLE)),
    ],
    CaseKind.TRANSFER_IN: [
        _doc("id_card"),
        _doc("transfer_application"),
        _doc("insurance_certificate"),
        _doc("household_register", _scheme(Scheme.RESIDENT)),
    ],
    CaseKind.TRANSFER_OUT: [_doc("id_card"), _doc("transfer_application")],
    CaseKind.BACK_PAYMENT: [_doc("id_card"), _doc("payment_records"), _doc("employee_stop_proof", required=False)],
    CaseKind.REPAIR_PAYMENT: [_doc("id_card")],
    CaseKind.SPECIAL_GROUP: [
        _doc("id_card", lambda details, person: details.get("group") != NEWBORN),
        _doc("household_register"),
        _doc("birth_certificate", _group(NEWBORN)),
        _doc("parent_id_card", _group(NEWBORN)),
        _doc("photos", _group(NEWBORN)),
        _doc("discharge_certificate", _group(EventKind.VETERAN_DISCHARGE, EventKind.VETERAN_FAMILY)),
        _doc("veteran_relation_proof", _group(EventKind.VETERAN_FAMILY)),
        _doc("medical_assistance_certificate", _group(EventKind.MEDICAL_ASSISTANCE)),
        _doc("clergy_certificate", _group(EventKind.CLERGY)),
        _doc("household_migration_certificate", _group(EventKind.MOVED_IN)),
        _doc("passport_entry_record", _group(EventKind.RETURNED_FROM_ABROAD)),
        _doc("release_certificate", _group(EventKind.RELEASED_FROM_PRISON)),
        _doc("graduation_certificate", _group(EventKind.GRADUATE_RETURNED)),
    ],
    CaseKind.CORRECTION: [_doc("id_card"), _doc("correction_evidence")],
}

# Working days from submission to decision. Transfers: 10 (the issue; the national transfer
# procedure allows 15 in all, split between the two regions). Everything else: the service hall's
# usual commitment of 5 working days, a documented default that a region may shorten.
DEFAULT_DEADLINE_WORKING_DAYS = 5
DEADLINE_WORKING_DAYS: dict[str, int] = {
    CaseKind.TRANSFER_IN: 10,
    CaseKind.TRANSFER_OUT: 10,
}


def deadline_working_days(kind: str) -> int:
    return DEADLINE_WORKING_DAYS.get(kind, DEFAULT_DEADLINE_WORKING_DAYS)


def checklist_for(*, kind: str, details: dict[str, Any], person: Person | None) -> list[DocumentSpec]:
    """The documents of a case of `kind` with these details, in the order the clerk checks them
    (`person` is None for a newborn registration not yet approved)."""
    return [spec for spec in CHECKLISTS[kind] if spec.applies(details, person)]
