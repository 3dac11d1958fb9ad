"""The register of insured persons: regions, persons, family links, special-group events, enrolments.

Constraints that must always hold are database constraints, so that no code path (admin, API,
import, shell) can store a person without a valid ID shape or an enrolment that ends before it
starts. Every model keeps its full change history (django-simple-history).
"""

import datetime
import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from enrollment.identity import mask_id_number, mask_phone

REGION_CODE_PATTERN = r"^[0-9]{6}$"
ID_NUMBER_PATTERN = r"^[0-9]{17}[0-9X]$"
MOBILE_PATTERN = r"^1[3-9][0-9]{9}$"

region_code_validator = RegexValidator(REGION_CODE_PATTERN, _("A region code is 6 digits, e.g. 360100."))
mobile_validator = RegexValidator(MOBILE_PATTERN, _("Enter an 11-digit mainland mobile number, e.g. 13812345678."))


class Region(models.Model):
    """A pooling area (统筹区), identified by its administrative division code."""

    code = models.CharField(_("division code"), max_length=6, unique=True, validators=[region_code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80)
    province = models.CharField(_("province (Chinese)"), max_length=30)
    province_en = models.CharField(_("province (English)"), max_length=50)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=REGION_CODE_PATTERN),
                name="region_code_six_digits",
                violation_error_message=_("A region code is 6 digits, e.g. 360100."),
            ),
        ]

    def __str__(self) -> str:
        name = self.name_en if (get_language() or "").startswith("en") else self.name_zh
        return f"{name} ({self.code})"


class Gender(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class PremiumCategory(models.TextChoices):
    """Premium categories of resident insurance (RULES.md section 2)."""

    ORDINARY = "ordinary", _("ordinary resident")
    FIXED_SUBSIDY = "fixed_subsidy", _("fixed subsidy (low-income, at-risk groups)")
    FULL_SUBSIDY = "full_subsidy", _("full subsidy (extreme poverty, orphans)")
    STUDENT = "student", _("university student")


class Person(models.Model):
    """An insured person (参保人). Birth date and gender are read from the ID number and stored."""

    id_number = models.CharField(_("resident ID number"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=60)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, editable=False)
    birth_date = models.DateField(_("birth date"), editable=False)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True, validators=[mobile_validator])
    household_region = models.ForeignKey(
        Region, verbose_name=_("household region"), on_delete=models.PROTECT, related_name="persons"
    )
    category = models.CharField(
        _("premium category"), max_length=20, choices=PremiumCategory.choices, default=PremiumCategory.ORDINARY
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("self-service account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="insured_person",
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("insured person")
        verbose_name_plural = _("insured persons")
        ordering = ["id"]
        indexes = [
            # Prefix search on names in the clerk's list; the pattern opclass lets PostgreSQL use the
            # index for LIKE 'x%' whatever the database collation (ignored on SQLite).
            models.Index(fields=["name"], name="person_name_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["id_number"], name="person_id_number_prefix", opclasses=["varchar_pattern_ops"]),
            # Residents calling the service hall give their mobile number; clerks search by it.
            models.Index(fields=["phone"], name="person_phone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(id_number__regex=ID_NUMBER_PATTERN),
                name="person_id_number_shape",
                violation_error_message=_("A resident ID number is 17 digits followed by a digit or X."),
            ),
            models.CheckConstraint(condition=Q(gender__in=Gender.values), name="person_gender_valid"),
            models.CheckConstraint(condition=Q(category__in=PremiumCategory.values), name="person_category_valid"),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=MOBILE_PATTERN),
                name="person_phone_shape",
                violation_error_message=_("Enter an 11-digit mainland mobile number, e.g. 13812345678."),
            ),
            models.CheckConstraint(condition=~Q(name=""), name="person_name_not_empty"),
        ]
        # The counter needs the whole ID and phone number to serve a resident; reading statistics
        # does not (PIPL's minimum necessary): without this permission the admin shows them masked.
        permissions = [("view_full_identifiers", _("Can see ID and phone numbers in full"))]

    def __str__(self) -> str:
        return f"{self.name} {self.masked_id_number}"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class RelationKind(models.TextChoices):
    PARENT = "parent", _("parent")
    GUARDIAN = "guardian", _("guardian")
    SPOUSE = "spouse", _("spouse")


class FamilyRelation(models.Model):
    """`relative` is the person's parent, guardian or spouse (a newborn's mother, a veteran's spouse)."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="relations")
    relative = models.ForeignKey(
        Person, verbose_name=_("relative"), on_delete=models.PROTECT, related_name="relatives_of"
    )
    kind = models.CharField(_("relation"), max_length=10, choices=RelationKind.choices)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("family relation")
        verbose_name_plural = _("family relations")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "relative"],
                name="family_relation_once",
                violation_error_message=_("This relation is already recorded."),
            ),
            models.CheckConstraint(
                condition=~Q(person=F("relative")),
                name="family_relation_not_self",
                violation_error_message=_("A person cannot be their own relative."),
            ),
            models.CheckConstraint(condition=Q(kind__in=RelationKind.values), name="family_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ← {self.get_kind_display()}: {self.relative}"


class EventKind(models.TextChoices):
    """Special-group facts (RULES.md section 6). A birth is not an event: it comes from the ID."""

    VETERAN_DISCHARGE = "veteran_discharge", _("veteran discharged from active service")
    VETERAN_FAMILY = "veteran_family", _("unemployed spouse or child of a discharged veteran")
    MEDICAL_ASSISTANCE = "medical_assistance", _("medical-assistance recipient")
    CLERGY = "clergy", _("religious personnel")
    MOVED_IN = "moved_in", _("household registration moved into the province")
    RETURNED_FROM_ABROAD = "returned_from_abroad", _("returned from abroad")
    RELEASED_FROM_PRISON = "released_from_prison", _("released after serving a sentence")
    GRADUATE_RETURNED = "graduate_returned", _("graduate returned home")


class PersonEvent(models.Model):
    """A dated special-group fact with the evidence the clerk saw."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    date = models.DateField(_("event date"), help_text=_("For a veteran's family: the veteran's discharge date."))
    related_person = models.ForeignKey(
        Person,
        verbose_name=_("related person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For a veteran's family: the veteran, when registered."),
    )
    evidence = models.TextField(_("evidence"), help_text=_("The document seen, its number and issuer."))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("special-group event")
        verbose_name_plural = _("special-group events")
        ordering = ["person_id", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "date"],
                name="person_event_once",
                violation_error_message=_("This event is already recorded for this person on this date."),
            ),
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="person_event_kind_valid"),
            models.CheckConstraint(
                condition=Q(related_person__isnull=True) | ~Q(related_person=F("person")),
                name="person_event_related_not_self",
                violation_error_message=_("The related person must be someone else."),
            ),
            models.CheckConstraint(
                condition=~Q(evidence=""),
                name="person_event_evidence_given",
                violation_error_message=_("Describe the evidence for this event."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date.isoformat()}"


class Scheme(models.TextChoices):
    EMPLOYEE_UNIT = "employee_unit", _("employee insurance, unit employee")
    EMPLOYEE_FLEXIBLE = "employee_flexible", _("employee insurance, flexible worker")
    RESIDENT = "resident", _("urban-rural resident insurance")


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    ENDED = "ended", _("ended")
    TRANSFERRED_OUT = "transferred_out", _("transferred out")


CLOSED_ENROLLMENT_STATUSES = [EnrollmentStatus.ENDED, EnrollmentStatus.TRANSFERRED_OUT]


class Enrollment(models.Model):
    """A person's membership of one scheme in one region (参保关系). Paid periods live in payments."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="enrollments")
    scheme = models.CharField(_("scheme"), max_length=20, choices=Scheme.choices)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    employer_name = models.CharField(_("employer"), max_length=120, blank=True, help_text=_("Unit employees only."))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["person_id", "start_date"]
        indexes = [models.Index(fields=["region", "scheme", "status"], name="enrollment_region_scheme")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="enrollment_end_not_before_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.UniqueConstraint(
                fields=["person", "scheme"],
                condition=Q(end_date__isnull=True),
                name="enrollment_one_open_per_scheme",
                violation_error_message=_(
                    "This person already has an open enrolment in this scheme; end it before opening another."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(scheme=Scheme.EMPLOYEE_UNIT) & ~Q(employer_name=""))
                | (~Q(scheme=Scheme.EMPLOYEE_UNIT) & Q(employer_name="")),
                name="enrollment_employer_for_unit_only",
                violation_error_message=_("Give the employer for a unit employee, and only for a unit employee."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=CLOSED_ENROLLMENT_STATUSES) | Q(end_date__isnull=False),
                name="enrollment_closed_has_end",
                violation_error_message=_("An ended or transferred-out enrolment needs an end date."),
            ),
            models.CheckConstraint(condition=Q(scheme__in=Scheme.values), name="enrollment_scheme_valid"),
            models.CheckConstraint(condition=Q(status__in=EnrollmentStatus.values), name="enrollment_status_valid"),
        ]

    def __str__(self) -> str:
        end = self.end_date.isoformat() if self.end_date else "…"
        return f"{self.get_scheme_display()} {self.start_date.isoformat()}–{end}"


class StaffRegion(models.Model):
    """A staff account (clerk, supervisor) attached to a region it serves."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="staff_regions"
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("staff region")
        verbose_name_plural = _("staff regions")
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="staff_region_once")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.region}"


class MilitaryService(models.Model):
    """Active military service (军人服役). Its months count as covered months in every rule."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="military_services"
    )
    start_date = models.DateField(_("service start"))
    end_date = models.DateField(_("service end"))
    evidence = models.TextField(_("evidence"), help_text=_("The document seen, its number and issuer."))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("military service")
        verbose_name_plural = _("military services")
        ordering = ["person_id", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="military_service_end_not_before_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=~Q(evidence=""),
                name="military_service_evidence_given",
                violation_error_message=_("Describe the evidence for this event."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_date:%Y-%m}–{self.end_date:%Y-%m}"


# --- Cases (办件): the requests clerks handle, their document checklist and their history ----------


class CaseDocumentStorage(FileSystemStorage):
    """Files under settings.CASE_DOCUMENT_ROOT, read when used (so a changed setting applies), with
    no URL: nothing serves this folder; downloads go through the admin view that checks the
    permission and the region."""

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(settings.CASE_DOCUMENT_ROOT)

    @property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Case documents have no URL; use the admin's download view.")


def case_document_storage() -> CaseDocumentStorage:
    """A callable, so that the storage stays out of the migrations."""
    return CaseDocumentStorage()


def case_document_path(instance: "CaseDocument", filename: str) -> str:
    # The resident's file name is kept in `original_name` only: names on disk are not guessable
    # and carry no personal data.
    import uuid
    from pathlib import PurePath

    return f"cases/{instance.case_id}/{instance.code}-{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class CaseKind(models.TextChoices):
    RESIDENT_ENROLMENT = "resident_enrolment", _("resident insurance enrolment")
    FLEXIBLE_ENROLMENT = "flexible_enrolment", _("flexible-worker enrolment")
    SCHEME_SWITCH = "scheme_switch", _("scheme switch")
    TRANSFER_IN = "transfer_in", _("transfer in from another region")
    TRANSFER_OUT = "transfer_out", _("transfer out to another region")
    BACK_PAYMENT = "back_payment", _("back payment")
    REPAIR_PAYMENT = "repair_payment", _("repair payment")
    SPECIAL_GROUP = "special_group", _("special-group status")
    CORRECTION = "correction", _("correction of personal data")


class CaseState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    IN_REVIEW = "in_review", _("in review")
    NEEDS_INFORMATION = "needs_information", _("needs information from the resident")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    CLOSED = "closed", _("closed")


# States in which the case is still being worked on (it can be edited, assigned, appear in queues).
OPEN_CASE_STATES = [CaseState.DRAFT, CaseState.SUBMITTED, CaseState.IN_REVIEW, CaseState.NEEDS_INFORMATION]
# States in which the deadline runs (waiting for the resident pauses it).
RUNNING_CASE_STATES = [CaseState.SUBMITTED, CaseState.IN_REVIEW]


class Case(models.Model):
    """A request handled at the service hall (办件). A resident not yet in the register is registered
    first (the person record, without an enrolment); the case is then opened for that person.

    The one case without a person is a newborn registration asked for from the portal: its details
    carry the child's ID number and name, and the approval registers the child (issue 16, finding 7).

    `details` holds what the approval needs, validated per kind by `enrollment.cases.case_details_clean`.
    """

    region = models.ForeignKey(
        Region, verbose_name=_("handling region"), on_delete=models.PROTECT, related_name="cases"
    )
    # Null only for a newborn registration not yet approved (blank=False: the clerk's form asks for a person).
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="cases", null=True
    )
    kind = models.CharField(_("case kind"), max_length=30, choices=CaseKind.choices)
    state = models.CharField(_("state"), max_length=20, choices=CaseState.choices, default=CaseState.DRAFT)
    details = models.JSONField(_("details"), default=dict, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    waiting_since = models.DateField(
        _("waiting for the resident since"),
        null=True,
        blank=True,
        help_text=_("The deadline does not run while the case waits for the resident."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    outcome = models.TextField(_("what the approval did"), blank=True)
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        permissions = [("approve_case", _("Can approve or reject cases"))]
        indexes = [
            models.Index(fields=["region", "state"], name="case_region_state"),
            models.Index(fields=["assigned_to", "state"], name="case_assignee_state"),
            models.Index(fields=["state", "due_on"], name="case_state_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CaseKind.values), name="case_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=CaseState.values), name="case_state_valid"),
            models.CheckConstraint(
                # A draft may also be closed as withdrawn without ever being submitted.
                condition=Q(state__in=[CaseState.DRAFT, CaseState.CLOSED]) | Q(submitted_at__isnull=False),
                name="case_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state=CaseState.REJECTED) | ~Q(decision_reason=""),
                name="case_rejected_has_reason",
                violation_error_message=_("Give the reason for the rejection."),
            ),
            models.CheckConstraint(
                condition=~Q(state=CaseState.CLOSED) | Q(closed_at__isnull=False), name="case_closed_has_time"
            ),
            models.UniqueConstraint(
                fields=["person", "kind"],
                condition=Q(state__in=OPEN_CASE_STATES),
                name="case_one_open_per_kind",
                violation_error_message=_("This person already has an open case of this kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.person or self.details.get('child_name', '—')}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CASE_STATES

    def is_overdue(self, as_of: datetime.date) -> bool:
        """The deadline passed while the case was with the agency (not while waiting for the resident)."""
        return self.state in RUNNING_CASE_STATES and self.due_on is not None and self.due_on < as_of


class CaseDocument(models.Model):
    """One line of a case's checklist: the document, whether the clerk received and verified it, the scan."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="documents")
    code = models.CharField(_("document"), max_length=40)
    required = models.BooleanField(_("required"), default=True)
    received = models.BooleanField(_("received"), default=False)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    verified = models.BooleanField(_("verified"), default=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    file = models.FileField(
        _("scan"), storage=case_document_storage, upload_to=case_document_path, max_length=200, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("file type"), max_length=40, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case document")
        verbose_name_plural = _("document checklist")
        ordering = ["case_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "code"],
                name="case_document_once",
                violation_error_message=_("This document is already on the checklist."),
            ),
            models.CheckConstraint(
                condition=Q(verified=False) | Q(received=True),
                name="case_document_verified_received",
                violation_error_message=_("A document must be received before it is verified."),
            ),
        ]

    def __str__(self) -> str:
        from enrollment.checklists import document_label

        return str(document_label(self.code))


class CaseTransition(models.Model):
    """Every move of a case (and every assignment): who, when, from which state to which, and why."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(_("from state"), max_length=20, choices=CaseState.choices, blank=True)
    to_state = models.CharField(_("to state"), max_length=20, choices=CaseState.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("case transition")
        verbose_name_plural = _("case history")
        ordering = ["case_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state} ({self.action})"


class WorkCalendarDay(models.Model):
    """An exception to "Monday to Friday" in the national work calendar: a public holiday on a
    weekday, or a make-up working day (调休) on a weekend. Each year comes from the State Council
    notice, named in `source`: `load_work_calendar` fills it from the chinesecalendar package, and
    administrators correct it or add a year the package does not know yet in the admin."""

    class Origin(models.TextChoices):
        # The loader replaces only its own rows; a row a person entered or corrected is never overwritten.
        PACKAGE = "package", _("chinesecalendar package")
        MANUAL = "manual", _("entered by hand")

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"), help_text=_("Ticked: a make-up working day (调休). Not ticked: a public holiday.")
    )
    name = models.CharField(_("name"), max_length=60, help_text=_("e.g. Spring Festival"))
    source = models.CharField(_("source"), max_length=120, help_text=_("The notice, e.g. 国办发明电〔2024〕12号"))
    origin = models.CharField(
        _("origin"),
        max_length=10,
        choices=Origin.choices,
        default=Origin.MANUAL,
        help_text=_("Rows entered by hand are kept as they are when the calendar is loaded from the package."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("work-calendar day")
        verbose_name_plural = _("work calendar (holidays and make-up days)")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"


# --- resident portal accounts (appended by the portal accounts issue) ---


class CodePurpose(models.TextChoices):
    REGISTER = "register", _("account registration")
    PASSWORD_RESET = "password_reset", _("password reset")


class OneTimeCode(models.Model):
    """A 6-digit code sent by SMS to the phone of the register, to open an account or reset its password.

    Only a keyed hash of the code is stored. The row is found through `token` (kept in the
    resident's session), never through the person, so a URL or a form cannot name someone else's
    code. When the details typed match nobody, a row without a person is stored all the same (a
    decoy that no code opens): waiting times, attempt counts and messages are then the same whether
    the person exists or not, so the register cannot be probed. No history: codes are short-lived.
    """

    token = models.UUIDField(_("token"), unique=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=CodePurpose.choices)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    phone = models.CharField(_("mobile phone"), max_length=11)
    code_hash = models.CharField(_("code hash"), max_length=128)
    created_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["phone", "purpose", "created_at"], name="otc_phone_purpose_created")]
        constraints = [
            models.CheckConstraint(condition=Q(purpose__in=CodePurpose.values), name="otc_purpose_valid"),
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="otc_expires_after_sent"),
            models.CheckConstraint(condition=Q(phone__regex=MOBILE_PATTERN), name="otc_phone_shape"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {mask_phone(self.phone)}"


# --- REST API clients and the personal-data access log ---


class ApiScope(models.TextChoices):
    """What an API client may do. Reporting reads show ID and phone numbers masked unless the client
    also holds `reporting:unmasked`, which an administrator grants only to a client that needs them."""

    REPORTING_READ = "reporting:read", _("read reporting data (ID and phone numbers masked)")
    REPORTING_UNMASKED = "reporting:unmasked", _("see ID and phone numbers in full")
    ELIGIBILITY_CHECK = "eligibility:check", _("check a patient's coverage (hospitals)")


class ApiClientKind(models.TextChoices):
    REPORTING = "reporting", _("reporting tool")
    HOSPITAL = "hospital", _("hospital information system")
    OTHER = "other", _("other system")


api_rate_validator = RegexValidator(
    r"^[1-9][0-9]{0,6}/(s|sec|second|m|min|minute|h|hour|d|day)$",
    _("Write the rate as a number of requests per second, minute, hour or day, e.g. 600/minute."),
)


class ApiClient(models.Model):
    """A system that calls the REST API with a bearer token: an analyst's reporting tool, a hospital.

    Only a SHA-256 hash of the token is stored (the token is 256 random bits, so a slow hash adds
    nothing); the administrator sees the token once, when it is created. `token_prefix` is the
    public part that finds the row. No regions means every region.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ApiClientKind.choices)
    scopes = models.JSONField(_("scopes"), default=list, help_text=_("What the client may do."))
    regions = models.ManyToManyField(
        Region,
        verbose_name=_("regions"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty for every region."),
    )
    rate = models.CharField(
        _("rate limit"),
        max_length=20,
        blank=True,
        validators=[api_rate_validator],
        help_text=_("Requests allowed, e.g. 600/minute or 20/second; empty for the default."),
    )
    contact = models.CharField(_("contact"), max_length=200, blank=True, help_text=_("Who runs the system."))
    token_prefix = models.CharField(_("token prefix"), max_length=12, unique=True, editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccessChannel(models.TextChoices):
    API = "api", _("REST API")
    ADMIN = "admin", _("clerk workspace")


class PersonAccess(models.Model):
    """One read of one person's data: who (a staff user or an API client), when, through what.

    Written for every response of the REST API that carries a person's data, and for the clerk
    workspace's person page. Rows are never changed; the table is append-only.
    """

    at = models.DateTimeField(_("at"), db_index=True)
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=AccessChannel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    api_client = models.ForeignKey(
        ApiClient, verbose_name=_("API client"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("what was read"), max_length=60)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        indexes = [models.Index(fields=["person", "at"], name="person_access_person_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(api_client__isnull=False), name="person_access_has_actor"
            ),
            models.CheckConstraint(condition=Q(channel__in=AccessChannel.values), name="person_access_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
