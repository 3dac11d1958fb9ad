"""The contribution ledger: which periods of which scheme a person has paid for.

Coverage is derived from the ledger and nowhere else: one row per person, scheme and covered
period (a calendar month for employee insurance, a calendar year for resident insurance), and
rows without a period for repair payments (修复), which buy no coverage. Payment records,
channels and reconciliation build on it.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from enrollment.models import Person, Region, Scheme

EMPLOYEE_SCHEMES = [Scheme.EMPLOYEE_UNIT, Scheme.EMPLOYEE_FLEXIBLE]


class PolicyScope(models.TextChoices):
    """Which actions a profile serves: resident payments (with exemptions, switching and the
    critical-illness cap) or employee and flexible-worker payments."""

    RESIDENT = "resident", _("resident insurance")
    EMPLOYEE = "employee", _("employee insurance")


class PolicyStatus(models.TextChoices):
    """A profile is prepared as a draft (edited freely, used by nobody) and published once checked;
    only published profiles answer quotes, payments, statuses and reminders."""

    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class PolicyProfileQuerySet(models.QuerySet["PolicyProfile"]):
    def published(self) -> "PolicyProfileQuerySet":
        return self.filter(status=PolicyStatus.PUBLISHED)


class PolicyProfile(models.Model):
    """The policy parameters of a pooling area for one coverage year (RULES.md section 12).

    `params` holds the dotted parameters exactly as profiles.json has them; they are validated by
    the rules engine's own profile builder (plus clearer checks for the common mistakes) before
    they are stored. A change made in the course of a year is a new row with a later
    `effective_from`; payments made from that day on use it.
    """

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(_("scope"), max_length=10, choices=PolicyScope.choices)
    coverage_year = models.PositiveSmallIntegerField(_("coverage year"))
    effective_from = models.DateField(_("effective from"))
    name = models.CharField(_("profile name"), max_length=40)
    title = models.CharField(_("title"), max_length=200, blank=True)
    params = models.JSONField(_("parameters"))
    flexible_rate_tiers = models.JSONField(
        _("flexible-worker rate tiers"),
        default=list,
        blank=True,
        help_text=_(
            'Rates a flexible worker may choose, as decimal strings (e.g. "0.045"); empty = the profile rate only.'
        ),
    )
    notes = models.TextField(_("notes and sources"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rolled_over_from = models.ForeignKey(
        "self",
        verbose_name=_("rolled over from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = PolicyProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy profile")
        verbose_name_plural = _("policy profiles")
        ordering = ["region__code", "-coverage_year", "scope", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "scope", "coverage_year", "effective_from"],
                name="policy_profile_once",
                violation_error_message=_("A profile for this region, scope, year and start day already exists."),
            ),
            models.CheckConstraint(condition=Q(scope__in=PolicyScope.values), name="policy_scope_valid"),
            models.CheckConstraint(
                condition=Q(status=PolicyStatus.DRAFT) | Q(status=PolicyStatus.PUBLISHED, published_at__isnull=False),
                name="policy_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.region.code} · {self.coverage_year} ({self.get_scope_display()})"

    @property
    def is_published(self) -> bool:
        return self.status == PolicyStatus.PUBLISHED


class Channel(models.TextChoices):
    TAX_WECHAT = "tax_wechat", _("tax bureau WeChat account")
    ALIPAY_GANFUTONG = "alipay_ganfutong", _("Alipay / Ganfutong (赣服通)")
    UNIONPAY = "unionpay", _("UnionPay QuickPass (云闪付)")
    TAX_HALL_POS = "tax_hall_pos", _("tax service hall POS")
    BANK_COUNTER = "bank_counter", _("bank counter")
    COMMUNITY = "community", _("community collection point")
    CLERK_COUNTER = "clerk_counter", _("insurance service counter")


class PaymentStatus(models.TextChoices):
    RECORDED = "recorded", _("recorded")
    REVERSED = "reversed", _("reversed")


class PaymentKind(models.TextChoices):
    RESIDENT_YEAR = "resident_year", _("resident premium for a year")
    EMPLOYEE_MONTHS = "employee_months", _("employee or flexible-worker months")


class Payment(models.Model):
    """Money received through a channel. (channel, reference) identifies it: recording the same
    reference again returns this row and changes nothing."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="payments")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    reference = models.CharField(_("transaction reference"), max_length=64)
    kind = models.CharField(_("payment for"), max_length=20, choices=PaymentKind.choices)
    scheme = models.CharField(_("scheme"), max_length=20, choices=Scheme.choices)
    coverage_year = models.PositiveSmallIntegerField(_("coverage year"), null=True, blank=True)
    cover_from = models.DateField(_("first month covered"), null=True, blank=True)
    cover_to = models.DateField(_("last month covered"), null=True, blank=True)
    repair_years = models.PositiveSmallIntegerField(_("repair years"), default=0)
    rate = models.DecimalField(_("rate"), max_digits=6, decimal_places=4, null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    paid_at = models.DateTimeField(_("paid at"))
    paid_on = models.DateField(_("paid on (Asia/Shanghai)"))
    decision = models.OneToOneField(
        "eligibility.BenefitDecision", verbose_name=_("decision"), on_delete=models.PROTECT, related_name="payment"
    )
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.RECORDED)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversal_reason = models.TextField(_("reason for reversal"), blank=True)
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
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_at", "-id"]
        indexes = [models.Index(fields=["person", "paid_on"], name="payment_person_paid_on")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "reference"],
                name="payment_reference_once_per_channel",
                violation_error_message=_("This channel reference is already recorded."),
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(condition=~Q(reference=""), name="payment_reference_given"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="payment_channel_valid"),
            models.CheckConstraint(
                condition=Q(status=PaymentStatus.RECORDED, reversed_at__isnull=True)
                | Q(status=PaymentStatus.REVERSED, reversed_at__isnull=False),
                name="payment_reversal_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.reference} ¥{self.amount}"


class LedgerEntryKind(models.TextChoices):
    REGULAR = "regular", _("regular contribution")
    BACK_PAYMENT = "back_payment", _("back payment (补缴)")
    REPAIR = "repair", _("repair payment (修复)")


class LedgerEntry(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="ledger_entries"
    )
    scheme = models.CharField(_("scheme"), max_length=20, choices=Scheme.choices)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    period = models.DateField(
        _("covered period"),
        null=True,
        blank=True,
        help_text=_("First day of the covered month (employee) or 1 January of the covered year (resident)."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LedgerEntryKind.choices, default=LedgerEntryKind.REGULAR)
    counts_for_continuity = models.BooleanField(
        _("counts for continuity"),
        default=True,
        help_text=_("Off for months back-paid after a long gap: they count for cumulative years only."),
    )
    amount_due = models.DecimalField(_("amount due"), max_digits=12, decimal_places=2, null=True, blank=True)
    amount_paid = models.DecimalField(_("amount paid"), max_digits=12, decimal_places=2, null=True, blank=True)
    paid_on = models.DateField(_("paid on"))
    decision = models.ForeignKey(
        "eligibility.BenefitDecision",
        verbose_name=_("decision"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    payment = models.ForeignKey(
        Payment,
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.TextField(_("reason for voiding"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["person_id", "period"]
        indexes = [
            models.Index(fields=["person", "period"], name="ledger_person_period"),
            # What the bulk recompute reads (eligibility.selectors), in the order it groups it: an
            # index-only scan with no sort, instead of a heap scan and a hash aggregate.
            models.Index(
                fields=["person", "scheme", "counts_for_continuity", "decision", "period"],
                condition=Q(voided_at__isnull=True, period__isnull=False),
                name="ledger_person_facts",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "period"],
                condition=Q(voided_at__isnull=True, period__isnull=False, scheme=Scheme.RESIDENT),
                name="ledger_resident_year_once",
                violation_error_message=_("This resident year is already paid."),
            ),
            models.UniqueConstraint(
                fields=["person", "period"],
                condition=Q(voided_at__isnull=True, period__isnull=False, scheme__in=EMPLOYEE_SCHEMES),
                name="ledger_employee_month_once",
                violation_error_message=_("This employee month is already paid."),
            ),
            models.CheckConstraint(
                condition=Q(kind=LedgerEntryKind.REPAIR, period__isnull=True)
                | (~Q(kind=LedgerEntryKind.REPAIR) & Q(period__isnull=False)),
                name="ledger_period_unless_repair",
            ),
            models.CheckConstraint(condition=Q(period__isnull=True) | Q(period__day=1), name="ledger_period_first_day"),
            models.CheckConstraint(
                condition=~Q(scheme=Scheme.RESIDENT) | Q(period__isnull=True) | Q(period__month=1),
                name="ledger_resident_period_is_a_year",
            ),
            models.CheckConstraint(
                condition=(Q(amount_due__isnull=True) | Q(amount_due__gte=0))
                & (Q(amount_paid__isnull=True) | Q(amount_paid__gte=0)),
                name="ledger_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True, void_reason="") | (Q(voided_at__isnull=False) & ~Q(void_reason="")),
                name="ledger_void_has_reason",
            ),
            models.CheckConstraint(condition=Q(scheme__in=Scheme.values), name="ledger_scheme_valid"),
            models.CheckConstraint(condition=Q(kind__in=LedgerEntryKind.values), name="ledger_kind_valid"),
        ]

    def __str__(self) -> str:
        period = (
            "—"
            if self.period is None
            else (f"{self.period:%Y}" if self.scheme == Scheme.RESIDENT else f"{self.period:%Y-%m}")
        )
        return f"{self.get_scheme_display()} {period} ({self.get_kind_display()})"


class ImportBatch(models.Model):
    """One reconciliation file (tax bureau or bank) as imported, or previewed in a dry run.

    The file itself is kept: a clerk confirms exactly the content that was previewed, and an
    auditor can see what the agency received. The counts add up to `rows` (checked by the database).
    """

    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256 of the content"), max_length=64, db_index=True)
    content = models.BinaryField(_("file content"), editable=False)
    file_format = models.CharField(_("format"), max_length=10, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    dry_run = models.BooleanField(_("dry run (preview)"), default=False)
    confirms = models.OneToOneField(
        "self",
        verbose_name=_("confirms the preview"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="confirmed_by",
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    duplicate = models.PositiveIntegerField(_("duplicates"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)

    class Meta:
        verbose_name = _("payment import")
        verbose_name_plural = _("payment imports")
        ordering = ["-started_at", "-id"]
        permissions = [("import_payments", _("Can import payment files"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows=F("accepted") + F("duplicate") + F("rejected")), name="import_batch_counts_add_up"
            ),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="import_batch_sha256_shape"),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
                name="import_batch_finished_after_start",
            ),
            models.CheckConstraint(
                condition=Q(confirms__isnull=True) | Q(dry_run=False), name="import_batch_preview_not_confirmation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({timezone.localtime(self.started_at):%Y-%m-%d %H:%M})"


class ImportOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("accepted")
    DUPLICATE = "duplicate", _("duplicate")
    REJECTED = "rejected", _("rejected")


class ImportRow(models.Model):
    """What became of one row of an imported file. Duplicates point at the payment already
    recorded; accepted rows at the payment created (none in a dry run)."""

    batch = models.ForeignKey(ImportBatch, verbose_name=_("import"), on_delete=models.CASCADE, related_name="lines")
    row_number = models.PositiveIntegerField(_("row"))
    id_number = models.CharField(_("ID number as given"), max_length=40, blank=True)
    name = models.CharField(_("name as given"), max_length=60, blank=True)
    reference = models.CharField(_("transaction reference"), max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=ImportOutcome.choices)
    reason_code = models.CharField(_("reason code"), max_length=40, blank=True)
    message = models.TextField(_("message"), blank=True)
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("imported row")
        verbose_name_plural = _("imported rows")
        ordering = ["batch_id", "row_number"]
        indexes = [models.Index(fields=["batch", "outcome"], name="import_row_batch_outcome")]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="import_row_once"),
            models.CheckConstraint(condition=Q(outcome__in=ImportOutcome.values), name="import_row_outcome_valid"),
            models.CheckConstraint(
                condition=~Q(outcome=ImportOutcome.REJECTED) | (Q(payment__isnull=True) & ~Q(reason_code="")),
                name="import_row_rejected_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.row_number} {self.get_outcome_display()}"
