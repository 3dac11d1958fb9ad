"""The contribution ledger: which periods of which scheme a person has paid for.

Coverage is derived from the ledger and nowhere else: one row per person, scheme and covered
period (a calendar month for employee insurance, a calendar year for resident insurance), and
rows without a period for repair payments (修复), which buy no coverage. Payment records,
channels and reconciliation build on it.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from enrollment.models import Person, Region, Scheme

EMPLOYEE_SCHEMES = [Scheme.EMPLOYEE_UNIT, Scheme.EMPLOYEE_FLEXIBLE]


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
