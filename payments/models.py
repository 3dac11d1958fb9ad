"""The contribution ledger: which periods of which scheme a person has paid for.

Coverage is derived from the ledger and nowhere else: one row per person, scheme and covered
period (a calendar month for employee insurance, a calendar year for resident insurance), and
rows without a period for repair payments (修复), which buy no coverage. Payment records,
channels and reconciliation build on it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from enrollment.models import Person, Region, Scheme

EMPLOYEE_SCHEMES = [Scheme.EMPLOYEE_UNIT, Scheme.EMPLOYEE_FLEXIBLE]


class PolicyScope(models.TextChoices):
    """Which actions a profile serves: resident payments (with exemptions, switching and the
    critical-illness cap) or employee and flexible-worker payments."""

    RESIDENT = "resident", _("resident insurance")
    EMPLOYEE = "employee", _("employee insurance")


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
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

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
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.region.code} · {self.coverage_year} ({self.get_scope_display()})"


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
        indexes = [models.Index(fields=["person", "period"], name="ledger_person_period")]
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
