from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from enrollment.admin import SearchByPersonMixin
from payments import admin_imports  # noqa: F401 - registers the import screens
from payments.models import LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(SearchByPersonMixin, admin.ModelAdmin):
    """The ledger is written by payment services; clerks read it here."""

    list_display = ["person", "scheme", "period", "kind", "amount_due", "amount_paid", "paid_on", "voided_at"]
    list_filter = ["scheme", "kind"]
    list_select_related = ["person"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
