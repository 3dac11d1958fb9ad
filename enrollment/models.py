"""The register of insured persons: regions, persons, family links, special-group events, enrolments.

Constraints that must always hold are database constraints, so that no code path (admin, API,
import, shell) can store a person without a valid ID shape or an enrolment that ends before it
starts. Every model keeps its full change history (django-simple-history).
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

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

    def __str__(self) -> str:
        return f"{self.name} {self.masked_id_number}"

    @property
    def masked_id_number(self) -> str:
        return f"{self.id_number[:6]}********{self.id_number[-4:]}"


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
