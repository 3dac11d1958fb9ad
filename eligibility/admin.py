"""Read-only clerk views of what the rules decided and of each person's status."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from eligibility.explanations import status_sentence
from eligibility.models import (
    BenefitDecision,
    ClaimYear,
    EligibilitySnapshot,
    Notification,
    RecomputeChunk,
    RecomputeRun,
)
from eligibility.reminders import reminder_text
from enrollment.admin import SearchByPersonMixin
from enrollment.scoping import LargeTablePaginator, ReadOnlyAdminMixin, RegionScopedAdminMixin


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Decisions and statuses are written by the services only, never edited by hand."""


@admin.register(EligibilitySnapshot)
class EligibilitySnapshotAdmin(SearchByPersonMixin, RegionScopedAdminMixin, ReadOnlyAdmin):
    region_path = "person__household_region"
    list_display = ["person", "state", "scheme", "benefits_from", "waiting_end", "gap_months", "next_change_on"]
    list_filter = ["state", "scheme"]
    list_select_related = ["person"]
    show_full_result_count = False
    readonly_fields = ["status"]

    @admin.display(description=_("status"))
    def status(self, obj: EligibilitySnapshot) -> str:
        return status_sentence(obj)


@admin.register(BenefitDecision)
class BenefitDecisionAdmin(SearchByPersonMixin, RegionScopedAdminMixin, ReadOnlyAdmin):
    region_path = "person__household_region"
    list_display = ["person", "action_kind", "paid_on", "benefits_from", "waiting_end", "treatment", "explained"]
    list_filter = ["action_kind", "scheme", "treatment"]
    list_select_related = ["person"]
    show_full_result_count = False

    @admin.display(description=_("explanation"))
    def explained(self, obj: BenefitDecision) -> str:
        return obj.explanation_in(get_language())


@admin.register(ClaimYear)
class ClaimYearAdmin(SearchByPersonMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    region_path = "person__household_region"
    list_display = ["person", "year", "reimbursed", "ci_reward_used"]
    list_select_related = ["person"]
    show_full_result_count = False
    autocomplete_fields = ["person"]


class RecomputeChunkInline(admin.TabularInline):
    model = RecomputeChunk
    fields = [
        "first_person_id",
        "last_person_id",
        "status",
        "attempts",
        "persons_examined",
        "persons_changed",
        "persons_failed",
        "failures",
        "duration",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("duration"))
    def duration(self, obj: RecomputeChunk) -> str:
        return "" if obj.duration is None else f"{obj.duration.total_seconds():.1f} s"


@admin.register(RecomputeRun)
class RecomputeRunAdmin(ReadOnlyAdmin):
    """Whole-city jobs, not region-scoped: the role permissions keep them from clerks."""

    paginator = LargeTablePaginator
    list_display = [
        "pk",
        "as_of",
        "mode",
        "status",
        "chunks_done",
        "chunks_total",
        "persons_examined",
        "persons_changed",
        "persons_failed",
        "started_at",
        "duration",
    ]
    list_filter = ["status", "mode"]
    inlines = [RecomputeChunkInline]

    @admin.display(description=_("duration"))
    def duration(self, obj: RecomputeRun) -> str:
        return "" if obj.duration is None else f"{obj.duration.total_seconds():.1f} s"


@admin.register(Notification)
class NotificationAdmin(SearchByPersonMixin, RegionScopedAdminMixin, ReadOnlyAdmin):
    """Reminders created by the recompute and their delivery, for clerks answering a resident."""

    region_path = "person__household_region"

    list_display = ["person", "kind", "subject_on", "send_on", "status", "channels", "attempts", "sent_at"]
    list_filter = ["kind", "status", ("send_on", admin.DateFieldListFilter)]
    list_select_related = ["person"]
    show_full_result_count = False
    date_hierarchy = "send_on"
    fields = [
        "person",
        "kind",
        "subject_on",
        "send_on",
        "expires_on",
        "message_text",
        "status",
        "channels",
        "attempts",
        "last_error",
        "retry_at",
        "sent_text",
        "created_at",
        "sent_at",
        "cancelled_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("reminder text"))
    def message_text(self, obj: Notification) -> str:
        title, body = reminder_text(obj)
        return f"{title}: {body}"
