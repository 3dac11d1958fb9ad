"""Cases (办件): services that move them through their states, and the selectors of the work queues.

Every service locks the case (`select_for_update`), checks everything, writes inside one
transaction and records a `CaseTransition`; a refusal is a `ValidationError` with a translated
message and writes nothing. Approving a case calls the register's and the payments' services: the
admin never writes business data by itself. See docs/cases.md.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.checklists import NEWBORN, SPECIAL_GROUP_CHOICES, checklist_for, deadline_working_days, document_label
from enrollment.identity import parse_id_number
from enrollment.models import (
    MOBILE_PATTERN,
    OPEN_CASE_STATES,
    RUNNING_CASE_STATES,
    Case,
    CaseDocument,
    CaseKind,
    CaseState,
    CaseTransition,
    Enrollment,
    EnrollmentStatus,
    FamilyRelation,
    Person,
    PremiumCategory,
    Region,
    RelationKind,
    Scheme,
    WorkCalendarDay,
)
from enrollment.roles import CASE_APPROVE_PERMISSION, CASE_HANDLE_PERMISSION
from enrollment.scoping import regions_of, scope_queryset
from enrollment.selectors import work_calendar_missing_years
from enrollment.services import (
    enrollment_create,
    enrollment_validate,
    family_relation_add,
    person_event_record,
    person_register,
    person_save,
)
from enrollment.workdays import WorkCalendar, add_working_days, working_days_between

APPROVE_PERMISSION = CASE_APPROVE_PERMISSION

# --- the state machine -------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    action: str
    label: Promise
    sources: tuple[str, ...]
    target: str
    reason_required: bool = False
    permission: str | None = None


S = CaseState
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("submit", gettext_lazy("Submit"), (S.DRAFT,), S.SUBMITTED),
        Transition("start_review", gettext_lazy("Start the review"), (S.SUBMITTED,), S.IN_REVIEW),
        Transition(
            "request_information",
            gettext_lazy("Ask the resident for information"),
            (S.SUBMITTED, S.IN_REVIEW),
            S.NEEDS_INFORMATION,
            reason_required=True,
        ),
        Transition("resume", gettext_lazy("Resume (the resident answered)"), (S.NEEDS_INFORMATION,), S.IN_REVIEW),
        Transition("approve", gettext_lazy("Approve"), (S.IN_REVIEW,), S.APPROVED, permission=APPROVE_PERMISSION),
        Transition(
            "reject",
            gettext_lazy("Reject"),
            (S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFORMATION),
            S.REJECTED,
            reason_required=True,
            permission=APPROVE_PERMISSION,
        ),
        Transition("close", gettext_lazy("Close"), (S.APPROVED, S.REJECTED), S.CLOSED),
        # A resident who withdraws, or never comes back: the case is closed without a decision.
        Transition(
            "withdraw", gettext_lazy("Close as withdrawn"), tuple(OPEN_CASE_STATES), S.CLOSED, reason_required=True
        ),
    ]
}

# States whose case and checklist may still change.
EDITABLE_STATES = tuple(OPEN_CASE_STATES)


NOT_HANDLER_MESSAGE = gettext_lazy("Your role may read cases but not change them.")


def _user_label(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else "—"


def _refuse_not_editable(case: Case) -> None:
    if case.state == CaseState.CLOSED:
        raise ValidationError(_("This case is closed and can no longer be changed."))
    if case.state not in EDITABLE_STATES:
        raise ValidationError(
            _("This case is %(state)s; it can no longer be changed.") % {"state": case.get_state_display()}
        )


def _may_handle(by: AbstractBaseUser) -> bool:
    return bool(by.has_perm(CASE_HANDLE_PERMISSION))  # type: ignore[attr-defined]


def _check_region(case: Case, by: AbstractBaseUser) -> None:
    """The staff user handles cases (a read-only role does not) and serves the case's region."""
    if not _may_handle(by):
        raise ValidationError(NOT_HANDLER_MESSAGE)
    regions = regions_of(by)
    if regions is not None and case.region_id not in regions:
        raise ValidationError(_("This case belongs to a region you do not serve."))


def transition_refusal(*, case: Case, action: str, by: AbstractBaseUser, reason: str = "") -> str | None:
    """Why `by` may not apply `action` to the case now (a translated sentence), or None if allowed."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        return _("Unknown action: %(action)s") % {"action": action}
    if not _may_handle(by):
        # Every move writes (the state, the history, often a text the resident reads): a read-only
        # role such as the analyst, who sees every region, moves nothing anywhere.
        return str(NOT_HANDLER_MESSAGE)
    regions = regions_of(by)
    if regions is not None and case.region_id not in regions:
        return _("This case belongs to a region you do not serve.")
    if case.state not in transition.sources:
        if case.state == CaseState.CLOSED:
            return _("This case is closed and can no longer be changed.")
        return _("A case that is %(state)s cannot be moved with “%(action)s”.") % {
            "state": case.get_state_display(),
            "action": transition.label,
        }
    if transition.permission and not by.has_perm(transition.permission):  # type: ignore[attr-defined]
        return _("Only a supervisor may approve or reject cases.")
    if transition.reason_required and not reason.strip():
        return {
            "reject": _("Give the reason for the rejection."),
            "request_information": _("Say what the resident must bring or clarify."),
        }.get(action, _("Give the reason."))
    return None


def transitions_available(*, case: Case, user: AbstractBaseUser) -> list[Transition]:
    """The moves the user may offer on this case now (reasons are asked for when applied)."""
    return [
        t for t in TRANSITIONS.values() if transition_refusal(case=case, action=t.action, by=user, reason="-") is None
    ]


def _lock(case: Case) -> Case:
    """The case and its person, locked (a newborn registration not yet approved has no person: the
    outer join cannot be locked, so the person is locked by a query of its own)."""
    locked = Case.objects.select_for_update(of=("self",)).select_related("person", "region").get(pk=case.pk)
    if locked.person_id is not None:
        list(Person.objects.select_for_update().filter(pk=locked.person_id).values_list("pk", flat=True))
    return locked


def _record(case: Case, *, action: str, from_state: str, by: AbstractBaseUser | None, reason: str = "") -> None:
    CaseTransition.objects.create(
        case=case, action=action, from_state=from_state, to_state=case.state, by=by, reason=reason.strip()
    )


def _apply(case: Case, *, action: str, by: AbstractBaseUser, reason: str = "") -> tuple[Case, str]:
    """Lock, check the move; returns the locked case and its state before the move."""
    locked = _lock(case)
    refusal = transition_refusal(case=locked, action=action, by=by, reason=reason)
    if refusal is not None:
        raise ValidationError(refusal)
    return locked, locked.state


def _finish(case: Case, locked: Case) -> Case:
    """Copy the saved state back onto the caller's object, so it does not hold stale fields."""
    for field in Case._meta.concrete_fields:
        setattr(case, field.attname, getattr(locked, field.attname))
    return case


# --- the work calendar and deadlines -----------------------------------------------------------


def work_calendar_load() -> WorkCalendar:
    """The national work calendar as the table holds it (one small query)."""
    holidays: list[datetime.date] = []
    makeup: list[datetime.date] = []
    for date, working in WorkCalendarDay.objects.values_list("date", "is_working_day"):
        (makeup if working else holidays).append(date)
    return WorkCalendar.of(holidays=holidays, makeup_days=makeup)


def case_deadline_calendar_missing_years(*, case: Case) -> list[int]:
    """Years the open case's deadline counts through (from submission to the due date; while waiting
    for the resident, up to today too, as `case_resume` counts the wait) that have no work calendar:
    there only weekends were taken as days off, so the clerk is told."""
    if case.due_on is None or case.state not in OPEN_CASE_STATES:
        return []
    start = timezone.localdate(case.submitted_at) if case.submitted_at else case.due_on
    end = case.due_on
    if case.waiting_since is not None:
        end = max(end, timezone.localdate())
    return work_calendar_missing_years(years=range(min(start, end).year, end.year + 1))


# --- details: what the approval needs, validated per kind ---------------------------------------

DATE_FIELDS = ("start_date", "end_date", "event_date", "cover_from", "cover_to")
FLAG_FIELDS = ("after_employee_stop", "migrant_worker_child", "low_income", "severe_disability", "low_income_elderly")
CORRECTION_FIELDS = ("new_name", "new_phone", "new_id_number", "new_category")
# A newborn registration from the portal: the child not yet in the register, whom the approval registers.
NEWBORN_REGISTRATION_FIELDS = ("child_id_number", "child_name")

KIND_FIELDS: dict[str, tuple[str, ...]] = {
    CaseKind.RESIDENT_ENROLMENT: ("start_date", "migrant_worker_child", "low_income", "severe_disability")
    + ("low_income_elderly",),
    CaseKind.FLEXIBLE_ENROLMENT: ("start_date", "after_employee_stop"),
    CaseKind.SCHEME_SWITCH: ("scheme", "start_date", "employer_name"),
    CaseKind.TRANSFER_IN: ("scheme", "start_date", "other_region", "employer_name"),
    CaseKind.TRANSFER_OUT: ("scheme", "end_date", "other_region"),
    CaseKind.BACK_PAYMENT: ("cover_from", "cover_to", "payment_channel", "payment_reference"),
    CaseKind.REPAIR_PAYMENT: ("year", "repair_years", "payment_channel", "payment_reference"),
    CaseKind.SPECIAL_GROUP: ("group", "event_date", "start_date", "related_person", "evidence")
    + NEWBORN_REGISTRATION_FIELDS,
    CaseKind.CORRECTION: CORRECTION_FIELDS,
}
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    CaseKind.RESIDENT_ENROLMENT: ("start_date",),
    CaseKind.FLEXIBLE_ENROLMENT: ("start_date",),
    CaseKind.SCHEME_SWITCH: ("scheme", "start_date"),
    CaseKind.TRANSFER_IN: ("scheme", "start_date", "other_region"),
    CaseKind.TRANSFER_OUT: ("scheme", "end_date", "other_region"),
    CaseKind.BACK_PAYMENT: ("cover_from", "cover_to"),
    CaseKind.REPAIR_PAYMENT: ("year", "repair_years"),
    CaseKind.SPECIAL_GROUP: ("group",),
    CaseKind.CORRECTION: (),
}


def _as_date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def _as_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def case_details_clean(*, kind: str, details: dict[str, Any], person: Person | None, region: Region) -> dict[str, Any]:
    """The details of a case of `kind`, checked and normalised to JSON (dates as ISO strings).

    Raises ValidationError keyed by detail name (the admin form's field names). Keys that do not
    belong to the kind are dropped. `person` is None only for a newborn registration (special group
    "newborn" with the child's ID number and name, see `newborn_registration_open`).
    """
    if kind not in CaseKind.values:
        raise ValidationError({"kind": _("Unknown case kind: %(kind)s") % {"kind": kind}})
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name in KIND_FIELDS[kind]:
        value = details.get(name)
        if name in FLAG_FIELDS:
            if value:
                clean[name] = True
            continue
        if value in (None, ""):
            continue
        if name in DATE_FIELDS:
            day = _as_date(value)
            if day is None:
                errors[name] = _("Enter a valid date.")
                continue
            if name in ("cover_from", "cover_to"):
                day = day.replace(day=1)
            clean[name] = day.isoformat()
        elif name in ("year", "repair_years", "related_person"):
            number = _as_int(value)
            if number is None:
                errors[name] = _("Enter a whole number.")
                continue
            clean[name] = number
        else:
            clean[name] = str(value).strip()
            if not clean[name]:
                del clean[name]
    for name in REQUIRED_FIELDS[kind]:
        if name not in clean and name not in errors:
            errors[name] = _("This detail is required for this kind of case.")

    scheme = clean.get("scheme")
    if scheme is not None and scheme not in Scheme.values:
        errors["scheme"] = _("Choose a scheme.")
    if scheme == Scheme.EMPLOYEE_UNIT and kind in (CaseKind.SCHEME_SWITCH, CaseKind.TRANSFER_IN):
        if not clean.get("employer_name"):
            errors["employer_name"] = _("Give the employer for a unit employee.")
    elif "employer_name" in clean:
        del clean["employer_name"]
    if "other_region" in clean:
        code = clean["other_region"]
        if not (len(code) == 6 and code.isdigit()):
            errors["other_region"] = _("A region code is 6 digits, e.g. 360100.")
        elif code == region.code:
            errors["other_region"] = _("The other region must differ from the region handling the case.")
    if person is None:
        birth_date = _newborn_registration_clean(kind=kind, clean=clean, errors=errors)
    else:
        birth_date = person.birth_date
        for name in NEWBORN_REGISTRATION_FIELDS:
            clean.pop(name, None)
    start = _as_date(clean.get("start_date"))
    if start is not None and birth_date is not None and start < birth_date:
        errors["start_date"] = _("The start date is before the person's birth date.")
    cover_from, cover_to = _as_date(clean.get("cover_from")), _as_date(clean.get("cover_to"))
    if cover_from and cover_to and cover_to < cover_from:
        errors["cover_to"] = _("The last month covered cannot be before the first.")
    if "repair_years" in clean and not 1 <= clean["repair_years"] <= 20:
        errors["repair_years"] = _("Repair between 1 and 20 years.")
    if "year" in clean and not 2000 <= clean["year"] <= 2100:
        errors["year"] = _("Enter a coverage year between 2000 and 2100.")
    if bool(clean.get("payment_channel")) != bool(clean.get("payment_reference")):
        errors["payment_reference"] = _("Give both the channel and the reference of the payment, or neither.")
    if kind == CaseKind.SPECIAL_GROUP:
        group = clean.get("group")
        if group is not None and group not in dict(SPECIAL_GROUP_CHOICES):
            errors["group"] = _("Choose a special group.")
        elif group is not None and group != NEWBORN and "event_date" not in clean and "event_date" not in errors:
            errors["event_date"] = _("Give the date of the event (e.g. the discharge date).")
        if group == NEWBORN and "related_person" in clean:
            parent = Person.objects.filter(pk=clean["related_person"]).first()
            if parent is None:
                errors["related_person"] = _("The related person is not in the register.")
        elif "related_person" in clean and not Person.objects.filter(pk=clean["related_person"]).exists():
            errors["related_person"] = _("The related person is not in the register.")
    if kind == CaseKind.CORRECTION:
        if not any(clean.get(name) for name in CORRECTION_FIELDS):
            errors["new_name"] = _("Give at least one corrected value.")
        if "new_phone" in clean and not re.fullmatch(MOBILE_PATTERN, clean["new_phone"]):
            errors["new_phone"] = _("Enter an 11-digit mainland mobile number, e.g. 13812345678.")
        if "new_category" in clean and clean["new_category"] not in PremiumCategory.values:
            errors["new_category"] = _("Choose a premium category.")
        if "new_id_number" in clean:
            try:
                clean["new_id_number"] = parse_id_number(clean["new_id_number"], today=timezone.localdate()).number
            except ValidationError as error:
                errors["new_id_number"] = " ".join(error.messages)
    if errors:
        raise ValidationError(errors)
    return clean


def _newborn_registration_clean(*, kind: str, clean: dict[str, Any], errors: dict[str, str]) -> datetime.date | None:
    """The child's details of a case without a person; the child's birth date (from the ID number)."""
    if kind != CaseKind.SPECIAL_GROUP or clean.get("group") != NEWBORN:
        errors["group"] = _("Only a newborn registration may be a case without a registered person.")
        return None
    for name in NEWBORN_REGISTRATION_FIELDS:
        if name not in clean:
            errors[name] = _("This detail is required for this kind of case.")
    if "child_id_number" not in clean:
        return None
    try:
        parsed = parse_id_number(clean["child_id_number"], today=timezone.localdate())
    except ValidationError as error:
        errors["child_id_number"] = " ".join(error.messages)
        return None
    clean["child_id_number"] = parsed.number
    return parsed.birth_date


def newborn_registered_already(*, case: Case) -> Person | None:
    """The person already registered under the ID number of a newborn registration, or None: the clerk
    is told on the case page, and the approval refuses (the child is not registered twice)."""
    number = case.details.get("child_id_number") if case.person_id is None else None
    if not number or case.state not in OPEN_CASE_STATES:
        return None
    return Person.objects.filter(id_number=number).first()


def _sync_checklist(case: Case) -> None:
    """Add the documents the kind and details now call for; drop untouched ones no longer needed
    (a received one stays, as optional, so that nothing the resident handed in disappears)."""
    specs = {spec.code: spec for spec in checklist_for(kind=case.kind, details=case.details, person=case.person)}
    existing = {doc.code: doc for doc in case.documents.all()}
    for code, spec in specs.items():
        doc = existing.get(code)
        if doc is None:
            CaseDocument.objects.create(case=case, code=code, required=spec.required)
        elif doc.required != spec.required:
            doc.required = spec.required
            doc.save(update_fields=["required"])
    for code, doc in existing.items():
        if code in specs:
            continue
        if not doc.received and not doc.file:
            doc.delete()
        elif doc.required:
            doc.required = False
            doc.save(update_fields=["required"])


# --- opening and editing -----------------------------------------------------------------------


def case_open(
    *, person: Person, region: Region, kind: str, details: dict[str, Any], by: AbstractBaseUser, assign: bool = True
) -> Case:
    """Open a case (draft) for a registered person, with the checklist of its kind.

    A resident not yet in the register is registered first (`person_register`), then the case is
    opened. The clerk who opens it is assigned unless `assign` is false.
    """
    if not _may_handle(by):
        raise ValidationError(NOT_HANDLER_MESSAGE)
    regions = regions_of(by)
    if regions is not None and region.pk not in regions:
        raise ValidationError({"region": _("Choose one of the regions you serve.")})
    clean = case_details_clean(kind=kind, details=details, person=person, region=region)
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).get()
        if Case.objects.filter(person=person, kind=kind, state__in=OPEN_CASE_STATES).exists():
            raise ValidationError(_("This person already has an open case of this kind."))
        case = Case.objects.create(
            person=person,
            region=region,
            kind=kind,
            details=clean,
            opened_by=by,
            assigned_to=by if assign else None,
        )
        _sync_checklist(case)
        _record(case, action="open", from_state="", by=by)
    return case


def case_update(*, case: Case, details: dict[str, Any], by: AbstractBaseUser) -> Case:
    """Change the details of a case still being worked on; its checklist follows."""
    with transaction.atomic():
        locked = _lock(case)
        _check_region(locked, by)
        _refuse_not_editable(locked)
        clean = case_details_clean(kind=locked.kind, details=details, person=locked.person, region=locked.region)
        if clean != locked.details:
            locked.details = clean
            locked.save(update_fields=["details", "updated_at"])
            _sync_checklist(locked)
            _record(locked, action="update", from_state=locked.state, by=by)
    return _finish(case, locked)


def case_assign(*, case: Case, assignee: AbstractBaseUser | None, by: AbstractBaseUser, reason: str = "") -> Case:
    """Assign (or reassign, or with None release) a case to a staff member serving its region."""
    with transaction.atomic():
        locked = _lock(case)
        _check_region(locked, by)
        _refuse_not_editable(locked)
        if assignee is not None:
            serves = regions_of(assignee)
            if not assignee.is_active or not getattr(assignee, "is_staff", False):
                raise ValidationError(_("Cases can only be assigned to active staff."))
            if serves is not None and locked.region_id not in serves:
                raise ValidationError(
                    _("%(user)s does not serve the region of this case.") % {"user": _user_label(assignee)}
                )
        if locked.assigned_to_id == (assignee.pk if assignee is not None else None):
            return _finish(case, locked)
        locked.assigned_to = assignee
        locked.save(update_fields=["assigned_to", "updated_at"])
        note = (
            _("Assigned to %(user)s.") % {"user": _user_label(assignee)} if assignee is not None else _("Unassigned.")
        )
        _record(locked, action="assign", from_state=locked.state, by=by, reason=f"{note} {reason.strip()}")
    return _finish(case, locked)


# --- moves -------------------------------------------------------------------------------------


def case_submit(*, case: Case, by: AbstractBaseUser) -> Case:
    """The application is accepted (受理): the deadline starts counting in working days."""
    with transaction.atomic():
        locked, before = _apply(case, action="submit", by=by)
        now = timezone.now()
        locked.state = CaseState.SUBMITTED
        locked.submitted_at = now
        locked.due_on = add_working_days(
            timezone.localdate(now), deadline_working_days(locked.kind), work_calendar_load()
        )
        locked.save()
        _record(locked, action="submit", from_state=before, by=by)
    return _finish(case, locked)


def case_start_review(*, case: Case, by: AbstractBaseUser) -> Case:
    with transaction.atomic():
        locked, before = _apply(case, action="start_review", by=by)
        locked.state = CaseState.IN_REVIEW
        if locked.assigned_to_id is None:
            locked.assigned_to = by
        locked.save()
        _record(locked, action="start_review", from_state=before, by=by)
    return _finish(case, locked)


def case_request_information(*, case: Case, by: AbstractBaseUser, reason: str) -> Case:
    """The case waits for the resident (补正材料); the deadline stops running until `case_resume`."""
    with transaction.atomic():
        locked, before = _apply(case, action="request_information", by=by, reason=reason)
        locked.state = CaseState.NEEDS_INFORMATION
        locked.waiting_since = timezone.localdate()
        locked.save()
        _record(locked, action="request_information", from_state=before, by=by, reason=reason)
    return _finish(case, locked)


def case_resume(*, case: Case, by: AbstractBaseUser, reason: str = "") -> Case:
    """The resident answered: back in review, the deadline moved by the working days spent waiting."""
    with transaction.atomic():
        locked, before = _apply(case, action="resume", by=by, reason=reason)
        today = timezone.localdate()
        if locked.due_on is not None and locked.waiting_since is not None:
            calendar = work_calendar_load()
            waited = working_days_between(locked.waiting_since, today, calendar)
            locked.due_on = add_working_days(locked.due_on, waited, calendar)
        locked.state = CaseState.IN_REVIEW
        locked.waiting_since = None
        locked.save()
        _record(locked, action="resume", from_state=before, by=by, reason=reason)
    return _finish(case, locked)


def case_reject(*, case: Case, by: AbstractBaseUser, reason: str) -> Case:
    with transaction.atomic():
        locked, before = _apply(case, action="reject", by=by, reason=reason)
        locked.state = CaseState.REJECTED
        locked.decision_reason = reason.strip()
        locked.waiting_since = None
        locked.save()
        _record(locked, action="reject", from_state=before, by=by, reason=reason)
    return _finish(case, locked)


def case_close(*, case: Case, by: AbstractBaseUser, reason: str = "") -> Case:
    """Close a decided case; an undecided one is closed as withdrawn, which needs a reason."""
    action = "withdraw" if case.state in OPEN_CASE_STATES else "close"
    with transaction.atomic():
        locked, before = _apply(case, action=action, by=by, reason=reason)
        locked.state = CaseState.CLOSED
        locked.closed_at = timezone.now()
        locked.waiting_since = None
        if action == "withdraw":
            locked.decision_reason = reason.strip()
        locked.save()
        _record(locked, action=action, from_state=before, by=by, reason=reason)
    return _finish(case, locked)


def documents_missing(*, case: Case) -> list[CaseDocument]:
    """Required documents of the checklist that are not verified yet."""
    return [doc for doc in case.documents.all() if doc.required and not doc.verified]


def case_approve(*, case: Case, by: AbstractBaseUser, reason: str = "") -> Case:
    """Approve: every required document verified, then the register's and payments' services do
    what the case asks (see APPROVALS). A refusal of any of them refuses the approval; nothing is
    written then."""
    with transaction.atomic():
        locked, before = _apply(case, action="approve", by=by, reason=reason)
        missing = documents_missing(case=locked)
        if missing:
            raise ValidationError(
                _("These required documents are not verified yet: %(documents)s.")
                % {"documents": "; ".join(str(document_label(doc.code)) for doc in missing)}
            )
        # The details are checked again: the person may have changed since the case was opened.
        locked.details = case_details_clean(
            kind=locked.kind, details=locked.details, person=locked.person, region=locked.region
        )
        today = timezone.localdate()
        outcome = APPROVALS[locked.kind](locked, by, today)
        locked.state = CaseState.APPROVED
        locked.outcome = outcome
        locked.decision_reason = reason.strip()
        locked.save()
        _record(locked, action="approve", from_state=before, by=by, reason=reason)
    return _finish(case, locked)


# --- what approval does, per kind --------------------------------------------------------------


def _open_enrolments(person: Person) -> QuerySet[Enrollment]:
    return Enrollment.objects.select_for_update().filter(person=person, end_date__isnull=True)


def _enrollment_end(*, enrollment: Enrollment, end_date: datetime.date, status: str, note: str) -> None:
    """End an open enrolment (the register has no service for it yet; this one validates the same way)."""
    enrollment.end_date = end_date
    enrollment.status = status
    enrollment.note = f"{enrollment.note}\n{note}".strip()
    enrollment_validate(enrollment=enrollment)
    enrollment.save()


def _case_note(case: Case) -> str:
    return _("Case #%(id)s (%(kind)s)") % {"id": case.pk, "kind": case.get_kind_display()}


def _approve_resident(case: Case, by: AbstractBaseUser, today: datetime.date) -> str:
    start = _as_date(case.details["start_date"])
    assert start is not None
    enrollment = enrollment_create(
        person=case.person, scheme=Scheme.RESIDENT, region=case.region, start_date=start, note=_case_note(case)
    )
    return _("Enrolment created: %(enrollment)s.") % {"enrollment": enrollment}


def _approve_flexible(case: Case, by: AbstractBaseUser, today: datetime.date) -> str:
    """Flexible-worker enrolment; after an employee stop (EMP-2) the unit enrolment still open ends
    the day before, and the first payment covers the month after the stop to December."""
    start = _as_date(case.details["start_date"])
    assert start is not None
    lines = []
    if case.details.get("after_employee_stop"):
        for old in _open_enrolments(case.person).filter(scheme=Scheme.EMPLOYEE_UNIT):
            _enrollment_end(
                enrollment=old,
                end_date=start - datetime.timedelta(days=1),
                status=EnrollmentStatus.ENDED,
                note=_case_note(case),
            )
            lines.append(_("Enrolment ended: %(enrollment)s.") % {"enrollment": old})
    enrollment = enrollment_create(
        person=case.person,
        scheme=Scheme.EMPLOYEE_FLEXIBLE,
        region=case.region,
        start_date=start,
        note=_case_note(case),
    )
    lines.append(_("Enrolment created: %(enrollment)s.") % {"enrollment": enrollment})
    lines.append(_("Record the first payment through “Record a payment” with the quote shown on the case."))
    return " ".join(lines)


def _approve_switch(case: Case, by: AbstractBaseUser, today: datetime.date) -> str:
    """Scheme switch: the open enrolment of the other scheme ends the day before the new one starts
    (one basic medical insurance at a time); continuity is carried by the ledger, not the enrolment."""
    scheme, start = case.details["scheme"], _as_date(case.details["start_date"])
    assert start is not None
    open_rows = list(_open_enrolments(case.person))
    if any(row.scheme == scheme for row in open_rows):
        raise ValidationError(_("The person is already enrolled in this scheme."))
    lines = []
    for old in open_rows:
        _enrollment_end(
            enrollment=old,
            end_date=start - datetime.timedelta(days=1),
            status=EnrollmentStatus.ENDED,
            note=_case_note(case),
        )
        lines.append(_("Enrolment ended: %(enrollment)s.") % {"enrollment": old})
    enrollment = enrollment_create(
        person=case.person,
        scheme=scheme,
        region=case.region,
        start_date=start,
        employer_name=case.details.get("employer_name", ""),
        note=_case_note(case),
    )
    lines.append(_("Enrolment created: %(enrollment)s.") % {"enrollment": enrollment})
    return " ".join(lines)


def _approve_transfer_in(case: Case, by: AbstractBaseUser, today: datetime.date) -> str:
    """Transfer in (转移接续): the enrolment in the other region, when it is in this register, ends
    as transferred out the day before; the new one starts here. The ledger keeps both regions'
    months, so continuity is carried."""
    scheme, start = case.details["scheme"], _as_date(case.details["start_date"])
    assert start is not None
    lines = []
    for old in _open_enrolments(case.person).filter(scheme=scheme, region__code=case.details["other_region"]):
        _enrollment_end(
            enrollment=old,
            end_date=start - datetime.timedelta(days=1),
            status=EnrollmentStatus.TRANSFERRED_OUT,
            note=_case_note(case),
        )
        lines.append(_("Enrolment transferred out: %(enrollment)s.") % {"enrollment": old})
    enrollment = enrollment_create(
        person=case.person,
        scheme=scheme,
        region=case.region,
        start_date=start,
        employer_name=case.details.get("employer_name", ""),
        note=_("%(case)s, transferred in from %(region)s")
        % {"case": _case_note(case), "region": case.details["other_region"]},
    )
    lines.append(_("Enrolment created: %(enrollment)s.") % {"enrollment": enrollment})
    return " ".join(lines)


def _approve_transfer_out(case: Case, by: AbstractBaseUser, today: datetime.date) -> str:
    """Transfer out: the enrolment here ends as transferred out. When the receiving region is in
    this register, the enrolment there starts the next day (not for unit employees: their new
    employer is registered by the receiving region's transfer-in case)."""
    scheme, end = case.details["scheme"], _as_date(case.details["end_date"])
    assert end is not None
    old = _open_enrolments(case.person).filter(scheme=scheme, region=case.region).first()
    if old is None:
        raise ValidationError(_("The person has no open enrolment in this scheme in this region to transfer out."))
    _enrollment_end(enrollment=old, end_date=end, status=EnrollmentStatus.TRANSFERRED_OUT, note=_case_note(case))
    lines = [_("Enrolment transferred out: %(enrollment)s.") % {"enrollment": old}]
    target = Region.objects.filter(code=case.details["other_region"]).first()
    if target is not None and scheme != Scheme.EMPLOYEE_UNIT:
        enrollment = enrollment_create(
            person=case.person,
            scheme=scheme,
            region=target,
            start_date=end + datetime.timedelta(days=1),
            note=_("%(case)s, transferred in from %(region)s") % {"case": _case_note(case), "region": case.region.code},
        )
        lines.append(
            _("Enrolment created in %(region)s: %(enrollment)s.") % {"region": target, "enrollment": enrollment}
        )
    else:
        lines.append(_("The receiving region opens the new enrolment on its transfer-in case."))
    return " ".join(lines)


def case_payment_request(*, case: Case) -> Any:
    """The PaymentRequest a payment case (or a flexible-worker enrolment) asks to quote, or None."""
    from payments.services import PaymentRequest, request_mid_year_entry

    details = case.details
    if case.kind == CaseKind.BACK_PAYMENT:
        start, end = _as_date(details.get("cover_from")), _as_date(details.get("cover_to"))
        return PaymentRequest.employee_months(start, end) if start and end else None
    if case.kind == CaseKind.REPAIR_PAYMENT:
        year, repair = details.get("year"), details.get("repair_years")
        return PaymentRequest.resident_year(int(year), repair_years=int(repair)) if year and repair else None
    if case.kind == CaseKind.FLEXIBLE_ENROLMENT:
        start = _as_date(details.get("start_date"))
        return request_mid_year_entry(person=case.person, on=max(start, timezone.localdate())) if start else None
    return None


@dataclass(frozen=True)
class CaseQuote:
    """The premium quote shown on a case, or the reason there is none."""

    amount: Decimal | None
    accepted: bool
    explanation: str
    quote: Any = None


def case_quote(*, case: Case, on: datetime.date) -> CaseQuote | None:
    """What the payment the case asks for would cost on `on` (payments' `premium_quote`)."""
    from payments.services import PaymentRefused, premium_quote

    request = case_payment_request(case=case)
    if request is None:
        return None
    try:
        quote = premium_quote(person=case.person, request=request, on=on)
    except PaymentRefused as refusal:
        return CaseQuote(None, False, f"{refusal.message} ({refusal.code})")
    return CaseQuote(quote.amount, quote.accepted, quote.explanation, quote)


def _approve_payment(case: Case, by: AbstractBaseUser, today: datetime.date) -> str:
    """Back payment (补缴) or repair (修复): approval records no money. With a payment reference the
    payment already recorded (through "Record a payment") is linked to the case; without it the rules
    must accept the payment today, and the clerk then records it with the quote."""
    from payments.models import Payment, PaymentStatus

    reference = case.details.get("payment_reference")
    if reference:
        payment = (
            Payment.objects.filter(person=case.person, channel=case.details["payment_channel"], reference=reference)
            .exclude(status=PaymentStatus.REVERSED)
            .first()
        )
        if payment is None:
            raise ValidationError(
                _("No payment with this channel and reference is recorded for this person; record it first.")
            )
        case.details["payment_id"] = payment.pk
        return _("Payment linked: %(payment)s.") % {"payment": payment}
    quote = case_quote(case=case, on=today)
    assert quote is not None
    if not quote.accepted or quote.amount is None:
        raise ValidationError(_("The rules refuse this payment today: %(why)s") % {"why": quote.explanation})
    return _("Approved for payment of ¥%(amount)s; record it through “Record a payment”.") % {"amount": quote.amount}


def _approve_special_group(case: Case, by: AbstractBaseUser, today: datetime.date) -> str:
    """A special-group status is a dated register event (`person_event_record`). A newborn has no
    event (the birth is in the ID number): the child is enrolled in resident insurance from birth
    (or the date given), and the parent, if named, recorded as such."""
    group = case.details["group"]
    related = (
        Person.objects.filter(pk=case.details["related_person"]).first() if "related_person" in case.details else None
    )
    if group == NEWBORN:
        lines = []
        if case.person is None:
            case.person = _newborn_person_register(case, by, today)
            lines.append(_("Child registered: %(person)s.") % {"person": case.person})
        start = _as_date(case.details.get("start_date")) or case.person.birth_date
        enrollment = enrollment_create(
            person=case.person, scheme=Scheme.RESIDENT, region=case.region, start_date=start, note=_case_note(case)
        )
        lines.append(_("Enrolment created: %(enrollment)s.") % {"enrollment": enrollment})
        if related is not None and not FamilyRelation.objects.filter(person=case.person, relative=related).exists():
            family_relation_add(person=case.person, relative=related, kind=RelationKind.PARENT)
            lines.append(_("Parent recorded: %(person)s.") % {"person": related})
        return " ".join(lines)
    verified = "; ".join(str(document_label(doc.code)) for doc in case.documents.all() if doc.verified)
    evidence = _("%(case)s. Verified: %(documents)s.") % {"case": _case_note(case), "documents": verified}
    if case.details.get("evidence"):
        evidence = f"{case.details['evidence']} — {evidence}"
    event_date = _as_date(case.details["event_date"])
    assert event_date is not None
    event = person_event_record(
        person=case.person,
        kind=group,
        date=event_date,
        evidence=evidence,
        today=today,
        related_person=related,
        recorded_by=by,
    )
    return _("Special-group event recorded: %(event)s.") % {"event": event}


def _newborn_person_register(case: Case, by: AbstractBaseUser, today: datetime.date) -> Person:
    """The child of a newborn registration enters the register with the approval, in the handling
    region (the guardian's household region). An ID number registered meanwhile (or before: the portal
    answers alike either way, so as not to tell who is registered) refuses the approval."""
    number = case.details["child_id_number"]
    existing = Person.objects.select_for_update().filter(id_number=number).first()
    if existing is not None:
        raise ValidationError(newborn_registered_message(person=existing, user=by))
    return person_register(id_number=number, name=case.details["child_name"], household_region=case.region, today=today)


def newborn_registered_message(*, person: Person, user: AbstractBaseUser) -> str:
    """What the clerk reads when the ID number of a newborn registration is registered already. Who
    it is (name, masked number) is said only within the user's regions (finding 12)."""
    regions = regions_of(user)
    if regions is None or person.household_region_id in regions:
        where = _("%(person)s, %(region)s") % {"person": person, "region": person.household_region}
    else:
        where = _("in a region you do not serve")
    return _(
        "The ID number of this newborn registration is already registered (%(where)s): approving would register "
        "the child twice. Check the documents against that record; if it is the same child, record the parent "
        "on the person's page. Then reject this case with a reason the resident can read, for example: "
        "“Please come to the service hall with the household register to complete the registration.”"
    ) % {"where": where}


def _approve_correction(case: Case, by: AbstractBaseUser, today: datetime.date) -> str:
    """Correct the person's data through `person_save` (which re-reads birth date and gender from a
    corrected ID number); the old values are kept in the outcome and in the person's history."""
    person = Person.objects.select_for_update().get(pk=case.person_id)
    changes = []
    for detail, field in (
        ("new_name", "name"),
        ("new_phone", "phone"),
        ("new_id_number", "id_number"),
        ("new_category", "category"),
    ):
        if detail in case.details and case.details[detail] != getattr(person, field):
            changes.append(
                f"{Person._meta.get_field(field).verbose_name}: {getattr(person, field)} → {case.details[detail]}"
            )
            setattr(person, field, case.details[detail])
    if not changes:
        raise ValidationError(_("The corrected values are the same as the register's."))
    person_save(person=person, today=today)
    case.person = person
    return _("Personal data corrected: %(changes)s.") % {"changes": "; ".join(changes)}


APPROVALS: dict[str, Callable[[Case, AbstractBaseUser, datetime.date], str]] = {
    CaseKind.RESIDENT_ENROLMENT: _approve_resident,
    CaseKind.FLEXIBLE_ENROLMENT: _approve_flexible,
    CaseKind.SCHEME_SWITCH: _approve_switch,
    CaseKind.TRANSFER_IN: _approve_transfer_in,
    CaseKind.TRANSFER_OUT: _approve_transfer_out,
    CaseKind.BACK_PAYMENT: _approve_payment,
    CaseKind.REPAIR_PAYMENT: _approve_payment,
    CaseKind.SPECIAL_GROUP: _approve_special_group,
    CaseKind.CORRECTION: _approve_correction,
}


# --- the document checklist --------------------------------------------------------------------


def _lock_document(document: CaseDocument, by: AbstractBaseUser) -> tuple[Case, CaseDocument]:
    case = _lock(document.case)
    _check_region(case, by)
    _refuse_not_editable(case)
    return case, CaseDocument.objects.select_for_update().get(pk=document.pk)


def case_document_receive(*, document: CaseDocument, by: AbstractBaseUser, received: bool = True) -> CaseDocument:
    """Tick (or untick) a document as handed in; unticking also removes its verification."""
    with transaction.atomic():
        _case, locked = _lock_document(document, by)
        if locked.received == received:
            return locked
        locked.received = received
        locked.received_by, locked.received_at = (by, timezone.now()) if received else (None, None)
        if not received:
            locked.verified, locked.verified_by, locked.verified_at = False, None, None
        locked.save()
    return locked


def case_document_verify(*, document: CaseDocument, by: AbstractBaseUser, verified: bool = True) -> CaseDocument:
    """Tick (or untick) a received document as checked against the original."""
    with transaction.atomic():
        _case, locked = _lock_document(document, by)
        if verified and not locked.received:
            raise ValidationError(
                _("“%(document)s” must be received before it is verified.") % {"document": document_label(locked.code)}
            )
        if locked.verified == verified:
            return locked
        locked.verified = verified
        locked.verified_by, locked.verified_at = (by, timezone.now()) if verified else (None, None)
        locked.save()
    return locked


# Accepted scans, recognised by their first bytes (a renamed .exe is not a PDF).
FILE_SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
]


def sniff_content_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, JPEG or PNG by its magic bytes, else None."""
    for signature, content_type, extension in FILE_SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None


# The extensions a scan of each type may keep from the resident's file name.
EXTENSIONS_OF_TYPE = {"application/pdf": (".pdf",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",)}


def document_file_name(name: str, content_type: str) -> str:
    """The resident's file name as kept and served: its extension is that of the type the content
    was recognised as, so `scan.pdf.bat`, `户口簿.hta` or `passwd.html` holding a PDF become
    `scan.pdf`, `户口簿.pdf` and `passwd.pdf` (a clerk's computer opens them as what they are)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    allowed = EXTENSIONS_OF_TYPE.get(content_type)
    if allowed is None:
        return base[-200:]
    stem, dot, suffix = base.rpartition(".")
    if dot and stem and f".{suffix.lower()}" in allowed:
        return base[-200:]
    stem = (stem if dot else base).strip() or "scan"
    if not stem.lower().endswith(allowed):
        stem += allowed[0]
    return stem[-200:]


def document_download_name(document: CaseDocument) -> str:
    """The name a scan is downloaded under (also for names kept before `document_file_name`)."""
    return document_file_name(document.original_name or document.file.name, document.content_type)


def case_document_check_upload(upload: UploadedFile) -> tuple[str, str]:
    """(content type, extension) of an acceptable scan; ValidationError with a clear message if not."""
    limit = settings.CASE_DOCUMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": f"{(upload.size or 0) / 1048576:.1f}", "limit": f"{limit / 1048576:g}"}
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    sniffed = sniff_content_type(head)
    if sniffed is None:
        raise ValidationError(_("Only PDF, JPEG and PNG files are accepted; this file is none of them."))
    return sniffed


def case_document_upload(*, document: CaseDocument, upload: UploadedFile, by: AbstractBaseUser) -> CaseDocument:
    """Store a scan of the document (PDF, JPEG or PNG by content, at most CASE_DOCUMENT_MAX_BYTES)
    under CASE_DOCUMENT_ROOT. The document counts as received; a replaced scan must be verified again."""
    content_type, extension = case_document_check_upload(upload)
    stored = ""
    try:
        with transaction.atomic():
            _case, locked = _lock_document(document, by)
            # A replaced scan stays on disk: it was evidence, and the document's history names it.
            now = timezone.now()
            locked.file.save(f"scan{extension}", upload, save=False)
            stored = locked.file.name
            locked.original_name = document_file_name(upload.name or "", content_type)
            locked.content_type = content_type
            locked.size = upload.size
            locked.uploaded_by, locked.uploaded_at = by, now
            if not locked.received:
                locked.received, locked.received_by, locked.received_at = True, by, now
            locked.verified, locked.verified_by, locked.verified_at = False, None, None
            locked.save()
    except Exception:
        # Nothing was recorded, so the file written for it must not stay behind.
        if stored:
            document.file.storage.delete(stored)
        raise
    return locked


# --- work queues (selectors) -------------------------------------------------------------------


def cases_scoped(*, user: AbstractBaseUser) -> QuerySet[Case]:
    queryset = Case.objects.select_related("person", "region", "assigned_to")
    return scope_queryset(user=user, queryset=queryset, region_path="region")


def cases_my_open(*, user: AbstractBaseUser) -> QuerySet[Case]:
    return cases_scoped(user=user).filter(assigned_to=user, state__in=OPEN_CASE_STATES).order_by("due_on", "pk")


def cases_unassigned(*, user: AbstractBaseUser) -> QuerySet[Case]:
    """Submitted cases of the user's regions that nobody has taken yet (drafts belong to their opener)."""
    return (
        cases_scoped(user=user)
        .filter(assigned_to__isnull=True, state__in=OPEN_CASE_STATES)
        .exclude(state=CaseState.DRAFT)
        .order_by("due_on", "pk")
    )


def cases_overdue(*, user: AbstractBaseUser, as_of: datetime.date) -> QuerySet[Case]:
    """Cases whose deadline passed while with the agency (waiting for the resident does not count)."""
    return cases_scoped(user=user).filter(state__in=RUNNING_CASE_STATES, due_on__lt=as_of).order_by("due_on", "pk")


def cases_waiting_for_resident(*, user: AbstractBaseUser) -> QuerySet[Case]:
    return cases_scoped(user=user).filter(state=CaseState.NEEDS_INFORMATION).order_by("waiting_since", "pk")


# --- the resident's side (the self-service portal; appended for issue 7) ------------------------
#
# A resident is not staff and serves no region, so the clerk-side services above (which check the
# region of `by`) refuse them. These services check instead that the resident may act for the case's
# person (their own record or a child's, `enrollment.portal.access.persons_of`), and otherwise use
# the same details check, checklist, upload checks, deadline arithmetic and history as the clerks'.


def _refuse_not_theirs(person: Person, by: AbstractBaseUser) -> None:
    from enrollment.portal.access import persons_of

    if not persons_of(by).filter(pk=person.pk).exists():
        raise ValidationError(_("You may only apply for yourself or for a child in your care."))


def _resident_store_scan(locked: CaseDocument, upload: UploadedFile, by: AbstractBaseUser) -> str:
    """Store a checked scan on a locked checklist line (as `case_document_upload` does); the stored name."""
    content_type, extension = case_document_check_upload(upload)
    now = timezone.now()
    locked.file.save(f"scan{extension}", upload, save=False)
    locked.original_name = document_file_name(upload.name or "", content_type)
    locked.content_type = content_type
    locked.size = upload.size
    locked.uploaded_by, locked.uploaded_at = by, now
    if not locked.received:
        locked.received, locked.received_by, locked.received_at = True, by, now
    # A replaced scan must be checked again by the clerk.
    locked.verified, locked.verified_by, locked.verified_at = False, None, None
    locked.save()
    return locked.file.name


def _resident_store_scans(
    case: Case, uploads: dict[str, UploadedFile], by: AbstractBaseUser, stored: list[str]
) -> None:
    """Attach scans by document code; a code that is not on the case's checklist is refused."""
    for upload in uploads.values():
        case_document_check_upload(upload)
    lines = {doc.code: doc for doc in CaseDocument.objects.select_for_update().filter(case=case)}
    for code, upload in uploads.items():
        if code not in lines:
            raise ValidationError(
                {code: _("“%(document)s” is not on this application's checklist.") % {"document": document_label(code)}}
            )
        stored.append(_resident_store_scan(lines[code], upload, by))


def _delete_stored(stored: list[str]) -> None:
    storage = CaseDocument._meta.get_field("file").storage  # type: ignore[attr-defined]
    for name in stored:
        storage.delete(name)


def case_apply(
    *, person: Person, kind: str, details: dict[str, Any], by: AbstractBaseUser, uploads: dict[str, UploadedFile]
) -> Case:
    """A resident's application from the portal: the case is opened for the person in their household
    region (opened by the resident, assigned to nobody), the scans are attached to its checklist
    (PDF/JPEG/PNG by content, size-limited) and it is submitted at once, so it waits in the
    "unassigned cases of my region" queue of that region's clerks. All or nothing."""
    _refuse_not_theirs(person, by)
    region = person.household_region
    clean = case_details_clean(kind=kind, details=details, person=person, region=region)
    stored: list[str] = []
    try:
        with transaction.atomic():
            Person.objects.select_for_update().filter(pk=person.pk).get()
            if Case.objects.filter(person=person, kind=kind, state__in=OPEN_CASE_STATES).exists():
                raise ValidationError(_("This person already has an open case of this kind."))
            case = Case.objects.create(person=person, region=region, kind=kind, details=clean, opened_by=by)
            _sync_checklist(case)
            _record(case, action="open", from_state="", by=by)
            _resident_store_scans(case, uploads, by, stored)
            now = timezone.now()
            case.state = CaseState.SUBMITTED
            case.submitted_at = now
            case.due_on = add_working_days(timezone.localdate(now), deadline_working_days(kind), work_calendar_load())
            case.save()
            _record(case, action="submit", from_state=CaseState.DRAFT, by=by)
    except Exception:
        # Nothing was recorded, so the files written for it must not stay behind.
        _delete_stored(stored)
        raise
    return case


def case_answer(*, case: Case, by: AbstractBaseUser, message: str, uploads: dict[str, UploadedFile]) -> Case:
    """The resident answers the clerk's request for information (补正材料): the message is kept in the
    case's history, the scans are attached to the checklist, and the case goes back to review with
    the deadline moved by the working days spent waiting (as `case_resume`)."""
    _refuse_not_theirs(case.person, by)
    if not message.strip() and not uploads:
        raise ValidationError({"message": _("Write an answer or attach at least one document.")})
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = _lock(case)
            if locked.state != CaseState.NEEDS_INFORMATION:
                raise ValidationError(
                    _("This application is %(state)s; it is not waiting for an answer from you.")
                    % {"state": locked.get_state_display()}
                )
            _resident_store_scans(locked, uploads, by, stored)
            before = locked.state
            today = timezone.localdate()
            if locked.due_on is not None and locked.waiting_since is not None:
                calendar = work_calendar_load()
                waited = working_days_between(locked.waiting_since, today, calendar)
                locked.due_on = add_working_days(locked.due_on, waited, calendar)
            locked.state = CaseState.IN_REVIEW
            locked.waiting_since = None
            locked.save()
            _record(locked, action="resident_answer", from_state=before, by=by, reason=message)
    except Exception:
        _delete_stored(stored)
        raise
    return _finish(case, locked)


def newborn_registration_open(
    *, guardian: Person, id_number: str, name: str, evidence: str, by: AbstractBaseUser
) -> Case:
    """A guardian asks from the portal to register a newborn (issue 16, finding 7). Nothing enters the
    register yet: the case, submitted in the guardian's household region with no person, carries the
    child's ID number and name, and the approval registers the child, enrols them and records the
    guardian as parent (`_approve_special_group`). The case is the same whether the ID number is
    registered or not; the clerk is told on the case page (`newborn_registered_already`)."""
    region = guardian.household_region
    details = case_details_clean(
        kind=CaseKind.SPECIAL_GROUP,
        details={
            "group": NEWBORN,
            "related_person": guardian.pk,
            "evidence": evidence,
            "child_id_number": id_number,
            "child_name": name,
        },
        person=None,
        region=region,
    )
    with transaction.atomic():
        case = Case.objects.create(
            person=None, region=region, kind=CaseKind.SPECIAL_GROUP, details=details, opened_by=by
        )
        _sync_checklist(case)
        _record(case, action="open", from_state="", by=by)
        now = timezone.now()
        case.state = CaseState.SUBMITTED
        case.submitted_at = now
        case.due_on = add_working_days(
            timezone.localdate(now), deadline_working_days(CaseKind.SPECIAL_GROUP), work_calendar_load()
        )
        case.save()
        _record(case, action="submit", from_state=CaseState.DRAFT, by=by)
    return case
