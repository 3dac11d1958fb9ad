"""What the rules decided, and each person's status derived from it.

A `BenefitDecision` is the rules engine's answer to one accepted action (a payment), stored when
the action is recorded: later evaluations cannot see everything that was known then (RULES.md
section 2: a cross-scheme interruption inside a resident year, the benefit start of a year), so it
is kept rather than recomputed. `EligibilitySnapshot` is the person's status on a date, derived
from the ledger and the decisions; the nightly job keeps it current.
"""

import datetime

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from enrollment.models import Person, Scheme


class ActionKind(models.TextChoices):
    RESIDENT_PAYMENT = "resident_payment", _("resident payment")
    EMPLOYEE_PAYMENT = "employee_payment", _("employee payment")


class BenefitDecision(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="benefit_decisions"
    )
    action_kind = models.CharField(_("action"), max_length=20, choices=ActionKind.choices)
    scheme = models.CharField(_("scheme"), max_length=20, choices=Scheme.choices)
    coverage_year = models.PositiveSmallIntegerField(_("coverage year"), null=True, blank=True)
    cover_from = models.DateField(_("first month covered"), null=True, blank=True)
    cover_to = models.DateField(_("last month covered"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"))
    profile_name = models.CharField(_("policy profile"), max_length=40)
    treatment = models.CharField(_("treatment"), max_length=40, blank=True)
    benefits_from = models.DateField(_("benefits from"), null=True, blank=True)
    benefit_end = models.DateField(_("benefits until"), null=True, blank=True)
    waiting_start = models.DateField(_("waiting from"), null=True, blank=True)
    waiting_end = models.DateField(_("waiting until"), null=True, blank=True)
    retro_from = models.DateField(_("retroactive from"), null=True, blank=True)
    retro_to = models.DateField(_("retroactive until"), null=True, blank=True)
    gap_months = models.PositiveSmallIntegerField(_("gap (months)"), null=True, blank=True)
    break_years = models.PositiveSmallIntegerField(_("break years"), null=True, blank=True)
    repair_years_applied = models.PositiveSmallIntegerField(_("repair years"), null=True, blank=True)
    backpay_months = models.PositiveSmallIntegerField(_("back-paid months"), null=True, blank=True)
    continuous_years = models.PositiveSmallIntegerField(_("continuous years"), null=True, blank=True)
    continuity_reset = models.BooleanField(_("continuity reset"), default=False)
    premium_due = models.DecimalField(_("premium due"), max_digits=12, decimal_places=2, null=True, blank=True)
    reasons = models.JSONField(_("rule IDs"), default=list)
    warnings = models.JSONField(_("warnings"), default=list)
    explanation = models.JSONField(
        _("explanation"), default=dict, help_text=_("What the person was told, by language code (zh, en).")
    )
    rules_version = models.CharField(_("rules version"), max_length=20)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("benefit decision")
        verbose_name_plural = _("benefit decisions")
        ordering = ["person_id", "paid_on", "id"]
        indexes = [models.Index(fields=["person", "paid_on"], name="decision_person_paid_on")]
        constraints = [
            models.CheckConstraint(
                condition=Q(waiting_start__isnull=True) | Q(waiting_end__gte=F("waiting_start")),
                name="decision_waiting_ordered",
            ),
            models.CheckConstraint(
                condition=Q(retro_from__isnull=True) | Q(retro_to__gte=F("retro_from")),
                name="decision_retro_ordered",
            ),
            models.CheckConstraint(
                condition=Q(cover_from__isnull=True) | Q(cover_to__gte=F("cover_from")),
                name="decision_cover_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_kind_display()} {self.paid_on.isoformat()}"

    def explanation_in(self, language: str | None) -> str:
        """The stored explanation in the given Django language code (Chinese unless English)."""
        key = "en" if (language or "").startswith("en") else "zh"
        return str(self.explanation.get(key, ""))


class CoverageState(models.TextChoices):
    COVERED = "covered", _("covered")
    WAITING = "waiting", _("waiting period")
    INTERRUPTED = "interrupted", _("interrupted")
    NOT_ENROLLED = "not_enrolled", _("not enrolled")


class EligibilitySnapshot(models.Model):
    """A person's status on `as_of`, and the date on which it will next change by itself."""

    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, primary_key=True, related_name="eligibility"
    )
    as_of = models.DateField(_("as of"))
    state = models.CharField(_("status"), max_length=20, choices=CoverageState.choices)
    scheme = models.CharField(_("scheme"), max_length=20, choices=Scheme.choices, blank=True)
    benefits_from = models.DateField(_("benefits from"), null=True, blank=True)
    benefit_end = models.DateField(_("benefits until"), null=True, blank=True)
    waiting_start = models.DateField(_("waiting from"), null=True, blank=True)
    waiting_end = models.DateField(_("waiting until"), null=True, blank=True)
    retro_from = models.DateField(_("retroactive from"), null=True, blank=True)
    retro_to = models.DateField(_("retroactive until"), null=True, blank=True)
    gap_months = models.PositiveSmallIntegerField(_("gap (months)"), null=True, blank=True)
    break_years = models.PositiveSmallIntegerField(_("break years"), null=True, blank=True)
    continuous_years = models.PositiveSmallIntegerField(_("continuous years"), null=True, blank=True)
    ci_cap = models.DecimalField(_("critical-illness cap"), max_digits=12, decimal_places=2, null=True, blank=True)
    reasons = models.JSONField(_("rule IDs"), default=list)
    warnings = models.JSONField(_("warnings"), default=list)
    next_change_on = models.DateField(_("next change on"), null=True, blank=True, db_index=True)
    rules_version = models.CharField(_("rules version"), max_length=20)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("eligibility status")
        verbose_name_plural = _("eligibility statuses")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=CoverageState.values), name="snapshot_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} @ {self.as_of.isoformat()}"


class ClaimYear(models.Model):
    """Per person and year: what the fund reimbursed, and whether the critical-illness increase was used."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="claim_years")
    year = models.PositiveSmallIntegerField(_("year"))
    reimbursed = models.DecimalField(_("reimbursed"), max_digits=12, decimal_places=2)
    ci_reward_used = models.BooleanField(_("critical-illness increase used"), default=False)

    class Meta:
        verbose_name = _("claims of a year")
        verbose_name_plural = _("claims by year")
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="claim_year_once"),
            models.CheckConstraint(condition=Q(reimbursed__gte=0), name="claim_year_reimbursed_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.reimbursed}"


class RecomputeRequest(models.Model):
    """A person whose facts changed since the status was last computed.

    Written in the same transaction as the change (a payment, a reversal, an event), so that a
    broker outage loses nothing: the nightly run picks up every marked person.
    """

    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))

    class Meta:
        verbose_name = _("pending recompute")
        verbose_name_plural = _("pending recomputes")

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.requested_at:%Y-%m-%d %H:%M}"


class RunMode(models.TextChoices):
    INCREMENTAL = "incremental", _("incremental")
    FULL = "full", _("full")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    FINISHED = "finished", _("finished")
    ABANDONED = "abandoned", _("abandoned")


class RecomputeRun(models.Model):
    """One recompute of statuses (the nightly job, or a manual one). At most one runs at a time."""

    as_of = models.DateField(_("as of"))
    mode = models.CharField(_("mode"), max_length=12, choices=RunMode.choices)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    triggered_by = models.CharField(_("started by"), max_length=60)
    chunk_size = models.PositiveIntegerField(_("chunk size"))
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    persons_examined = models.PositiveIntegerField(_("persons examined"), default=0)
    persons_changed = models.PositiveIntegerField(_("persons changed"), default=0)
    persons_failed = models.PositiveIntegerField(_("persons failed"), default=0)
    started_at = models.DateTimeField(_("started at"))
    heartbeat_at = models.DateTimeField(_("last progress at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recompute run")
        verbose_name_plural = _("recompute runs")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="running"),
                name="recompute_one_run_at_a_time",
                violation_error_message=_("Another recompute run is in progress."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of.isoformat()} {self.get_mode_display()}"

    @property
    def duration(self) -> datetime.timedelta | None:
        return None if self.finished_at is None else self.finished_at - self.started_at


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DONE = "done", _("done")


class RecomputeChunk(models.Model):
    """A primary-key range of persons within a run; done in one transaction, so a retry is harmless."""

    run = models.ForeignKey(RecomputeRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="chunks")
    first_person_id = models.BigIntegerField(_("first person id"))
    last_person_id = models.BigIntegerField(_("last person id"))
    status = models.CharField(_("status"), max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    persons_examined = models.PositiveIntegerField(_("persons examined"), default=0)
    persons_changed = models.PositiveIntegerField(_("persons changed"), default=0)
    persons_failed = models.PositiveIntegerField(_("persons failed"), default=0)
    failures = models.JSONField(_("failures"), default=list, help_text=_("Person id and error, per failed person."))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recompute chunk")
        verbose_name_plural = _("recompute chunks")
        ordering = ["run_id", "first_person_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "first_person_id"], name="recompute_chunk_once"),
            models.CheckConstraint(
                condition=Q(last_person_id__gte=F("first_person_id")), name="recompute_chunk_range_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_person_id}–{self.last_person_id}"

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class NotificationKind(models.TextChoices):
    """What a reminder is about (eligibility/reminders.py decides who gets which)."""

    GAP_DEADLINE = "gap_deadline", _("pay before the interruption gets too long")
    BACKPAY_WINDOW_CLOSES = "backpay_window_closes", _("back-payment period closing")
    WAITING_ENDS = "waiting_ends", _("waiting period ending")
    COLLECTION_OPENS = "collection_opens", _("collection period opening")
    COLLECTION_CLOSES = "collection_closes", _("collection period closing")
    LATE_WINDOW_CLOSES = "late_window_closes", _("last days to pay the year")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")
    UNREACHABLE = "unreachable", _("no contact")


# Not yet sent: the recompute may still cancel or replace these.
OPEN_NOTIFICATION_STATUSES = [NotificationStatus.PENDING, NotificationStatus.FAILED]


class Notification(models.Model):
    """A reminder to a person, created by the recompute and sent on `send_on` by the delivery job.

    The text is not stored before sending: `kind` and `params` are rendered in the reader's
    language (the resident portal, the clerk's list) or the delivery language; the text actually
    sent is kept in `sent_text`. At most one reminder per person, kind and subject day is alive
    (not cancelled); a recompute cancels the pending ones that no longer apply and inserts the new
    ones (`reminders.reminders_replace`).
    """

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    subject_on = models.DateField(_("about the day"), help_text=_("The deadline or the day the reminder is about."))
    send_on = models.DateField(_("send on"))
    expires_on = models.DateField(_("pointless after"), help_text=_("Not sent any more after this day."))
    params = models.JSONField(_("parameters"), default=dict)
    fingerprint = models.CharField(_("fingerprint"), max_length=40, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    channels = models.CharField(_("delivered through"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)
    sent_text = models.TextField(_("text sent"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-send_on", "-id"]
        indexes = [
            models.Index(
                fields=["send_on"], condition=Q(status__in=["pending", "failed"]), name="notification_open_send_on"
            ),
            models.Index(fields=["person", "send_on"], name="notification_person_send_on"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "subject_on"],
                condition=~Q(status="cancelled"),
                name="notification_once",
            ),
            models.CheckConstraint(condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=NotificationStatus.values), name="notification_status_valid"),
            models.CheckConstraint(condition=Q(expires_on__gte=F("send_on")), name="notification_expires_after_send"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject_on.isoformat()}"
