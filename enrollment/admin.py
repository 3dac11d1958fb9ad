"""Clerk screens of the register. They display and validate; writes of persons go through services."""

import copy
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from enrollment.admin_person import PersonPageMixin
from enrollment.forms import EnrollmentAdminForm, FamilyRelationAdminForm, PersonAdminForm, PersonEventAdminForm
from enrollment.identity import mask_id_number, mask_phone
from enrollment.models import Enrollment, FamilyRelation, MilitaryService, Person, PersonEvent, Region, StaffRegion
from enrollment.scoping import (
    RegionScopedAdminMixin,
    RegionScopedInlineMixin,
    identifiers_shown,
    persons_queryset,
    sees_full_identifiers,
    user_shown,
)
from enrollment.selectors import person_search
from enrollment.services import person_save

# A selection larger than this is recomputed by the workers (a recompute run), not in the request.
RECOMPUTE_IN_REQUEST_LIMIT = 200


class HistoryAdmin(SimpleHistoryAdmin):
    """History pages to read, never to write: django-simple-history saves a "revert" posted to a
    history page by anyone who may view it, so posting there is refused."""

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "GET":
            return HttpResponseForbidden(_("Earlier versions can be viewed, not restored."))
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any) -> Any:
        if sees_full_identifiers(request.user):
            return super().get_historical_record_context_helper(request, historical_record)
        return MaskedHistoryHelper(self.model, historical_record)

    def set_history_delta_changes(self, request: HttpRequest, historical_records: Any, **kwargs: Any) -> None:
        super().set_history_delta_changes(request, historical_records, **kwargs)
        if sees_full_identifiers(request.user):
            return
        # "Changed by": a resident who changed their own record (the portal) is named by their ID
        # number. The list shows the cached user object, so a copy with the masked name is cached.
        for record in historical_records:
            user = record._state.fields_cache.get("history_user")
            if user is not None:
                shown = copy.copy(user)
                shown.username = user_shown(user, full=False)
                record._state.fields_cache["history_user"] = shown


class MaskedHistoryHelper(HistoricalRecordContextHelper):
    """A history for a reader without the full identifiers: ID and phone numbers masked, in the
    person's own fields and in any other value (a portal account's user name is an ID number)."""

    MASKS = {"id_number": mask_id_number, "phone": mask_phone}

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        mask = self.MASKS.get(change.field)
        if mask is not None and value:
            return mask(value)
        prepared = super().prepare_delta_change_value(change, value)
        if prepared is None or prepared == "":
            return prepared
        if isinstance(prepared, list):
            return [identifiers_shown(item, full=False) for item in prepared]
        return identifiers_shown(prepared, full=False)


class EnrollmentInlineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        """Rows of one save may not overlap each other either (the database checks stored rows)."""
        super().clean()
        spans: list[tuple[str, Any, Any]] = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("start_date") or not data.get("scheme"):
                continue
            start, end, scheme = data["start_date"], data.get("end_date"), data["scheme"]
            for other_scheme, other_start, other_end in spans:
                if (
                    other_scheme == scheme
                    and (other_end is None or start <= other_end)
                    and (end is None or other_start <= end)
                ):
                    form.add_error(None, _("Two enrolments in the same scheme overlap in time."))
            spans.append((scheme, start, end))


class EnrollmentInline(RegionScopedInlineMixin, admin.TabularInline):
    model = Enrollment
    form = EnrollmentAdminForm
    formset = EnrollmentInlineFormSet
    fields = ["scheme", "region", "start_date", "end_date", "status", "employer_name"]
    extra = 0


class PersonEventInline(RegionScopedInlineMixin, admin.TabularInline):
    model = PersonEvent
    form = PersonEventAdminForm
    fk_name = "person"
    fields = ["kind", "date", "related_person", "evidence"]
    autocomplete_fields = ["related_person"]
    extra = 0


class MilitaryServiceInline(RegionScopedInlineMixin, admin.TabularInline):
    model = MilitaryService
    fields = ["start_date", "end_date", "evidence"]
    extra = 0


class FamilyRelationInline(RegionScopedInlineMixin, admin.TabularInline):
    model = FamilyRelation
    form = FamilyRelationAdminForm
    fk_name = "person"
    fields = ["kind", "relative"]
    autocomplete_fields = ["relative"]
    extra = 0
    verbose_name = gettext_lazy("relative")
    verbose_name_plural = gettext_lazy("parents, guardians and spouse")


@admin.register(Region)
class RegionAdmin(HistoryAdmin):
    list_display = ["code", "name_zh", "name_en", "province"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Person)
class PersonAdmin(PersonPageMixin, RegionScopedAdminMixin, HistoryAdmin):
    region_path = "household_region"
    form = PersonAdminForm
    list_display = ["id_number", "name", "gender", "birth_date", "household_region", "category"]
    list_filter = ["household_region", "category", "gender"]
    list_select_related = ["household_region"]
    search_fields = ["id_number", "name", "phone"]
    search_help_text = gettext_lazy(
        "Resident ID number (whole or its beginning), mobile number, or the beginning of the name."
    )
    # The status and its explanation head the page (PersonPageMixin), not a form field.
    readonly_fields = ["gender", "birth_date", "created_at", "updated_at"]
    autocomplete_fields = ["user"]
    inlines = [EnrollmentInline, PersonEventInline, MilitaryServiceInline, FamilyRelationInline]
    # Counting millions of rows on every page view is what makes admin lists slow.
    show_full_result_count = False
    list_per_page = 50

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        return person_search(query=search_term, queryset=queryset), False

    # Whole ID and phone numbers only for the roles that need them (enrollment.view_full_identifiers);
    # an analyst reads the list and the record with both masked, and may still search by them.
    # The portal account's user name is the resident's ID number.
    MASKED_FIELDS = {"id_number": "masked_id_number", "phone": "masked_phone", "user": "portal_account"}

    def get_list_display(self, request: HttpRequest) -> Any:
        display = super().get_list_display(request)
        if sees_full_identifiers(request.user):
            return display
        return [self.MASKED_FIELDS.get(name, name) for name in display]

    def get_fields(self, request: HttpRequest, obj: Person | None = None) -> Any:
        fields = super().get_fields(request, obj)
        if sees_full_identifiers(request.user):
            return fields
        return [self.MASKED_FIELDS.get(name, name) for name in fields if name not in self.MASKED_FIELDS.values()]

    def get_readonly_fields(self, request: HttpRequest, obj: Person | None = None) -> Any:
        readonly = super().get_readonly_fields(request, obj)
        if sees_full_identifiers(request.user):
            return readonly
        return [*readonly, *self.MASKED_FIELDS.values()]

    @admin.display(description=gettext_lazy("resident ID number"), ordering="id_number")
    def masked_id_number(self, obj: Person) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=gettext_lazy("mobile phone"))
    def masked_phone(self, obj: Person) -> str:
        return mask_phone(obj.phone) if obj.phone else "-"

    @admin.display(description=gettext_lazy("portal account"))
    def portal_account(self, obj: Person) -> str:
        return user_shown(obj.user, full=False) if obj.user_id else "-"

    actions = ["recompute_eligibility"]

    @admin.action(
        description=gettext_lazy("Recompute the eligibility status of the selected persons"), permissions=["recompute"]
    )
    def recompute_eligibility(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        """A few persons at once; the whole register ("select all" unfiltered) or a large selection
        goes to the workers as a recompute run (eligibility/nightly.py), never into the request."""
        from django.db import transaction

        from eligibility.nightly import recompute_mark, recompute_persons
        from eligibility.tasks import recompute_everyone_soon, recompute_marked_soon

        today = timezone.localdate()
        triggered_by = f"admin:{request.user.get_username()}"[:60]
        whole_register = bool(request.POST.get("select_across")) and not queryset.query.where
        ids = [] if whole_register else list(queryset.values_list("pk", flat=True)[: RECOMPUTE_IN_REQUEST_LIMIT + 1])
        if whole_register or len(ids) > RECOMPUTE_IN_REQUEST_LIMIT:
            with transaction.atomic():
                if not whole_register:
                    recompute_mark(persons=queryset)
                start = recompute_everyone_soon if whole_register else recompute_marked_soon
                transaction.on_commit(lambda: start(as_of=today, triggered_by=triggered_by))
            messages.info(
                request,
                _(
                    "The selected persons are recomputed in the background by a recompute run; their statuses "
                    "change in a few minutes."
                ),
            )
            return
        with transaction.atomic():
            result = recompute_persons(person_ids=ids, as_of=today)
        messages.info(
            request,
            _("%(examined)s persons recomputed, %(changed)s changed, %(failed)s failed.")
            % {"examined": result.examined, "changed": result.changed, "failed": len(result.failures)},
        )

    def save_model(self, request: HttpRequest, obj: Person, form: PersonAdminForm, change: bool) -> None:
        resident_id = person_save(person=obj, today=timezone.localdate())
        for warning in resident_id.warnings:
            messages.warning(request, warning)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, PersonEvent) and instance.recorded_by_id is None:
                instance.recorded_by = request.user
            instance.save()
        for deleted in formset.deleted_objects:
            deleted.delete()
        formset.save_m2m()


class SearchByPersonMixin:
    """Lists of person-owned rows are searched the way persons are: by ID number, phone or name
    start; the persons searched are those the user serves (the rows are scoped as well)."""

    search_fields = ["person__id_number", "person__name", "person__phone"]
    search_help_text = gettext_lazy(
        "Resident ID number (whole or its beginning), mobile number, or the beginning of the name."
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        if not search_term.strip():
            return queryset, False
        persons = person_search(query=search_term, queryset=persons_queryset(user=request.user))
        return queryset.filter(person__in=persons), False


@admin.register(PersonEvent)
class PersonEventAdmin(SearchByPersonMixin, RegionScopedAdminMixin, HistoryAdmin):
    region_path = "person__household_region"
    form = PersonEventAdminForm
    list_display = ["person", "kind", "date", "recorded_by", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["person", "recorded_by"]
    autocomplete_fields = ["person", "related_person"]
    show_full_result_count = False

    def save_model(self, request: HttpRequest, obj: PersonEvent, form: Any, change: bool) -> None:
        if obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Enrollment)
class EnrollmentAdmin(SearchByPersonMixin, RegionScopedAdminMixin, HistoryAdmin):
    region_path = "person__household_region"
    form = EnrollmentAdminForm
    list_display = ["person", "scheme", "region", "start_date", "end_date", "status"]
    list_filter = ["scheme", "status", "region"]
    list_select_related = ["person", "region"]
    autocomplete_fields = ["person"]
    show_full_result_count = False


@admin.register(FamilyRelation)
class FamilyRelationAdmin(SearchByPersonMixin, RegionScopedAdminMixin, HistoryAdmin):
    region_path = "person__household_region"
    form = FamilyRelationAdminForm
    list_display = ["person", "kind", "relative"]
    autocomplete_fields = ["person", "relative"]
    list_select_related = ["person", "relative"]
    show_full_result_count = False


@admin.register(StaffRegion)
class StaffRegionAdmin(HistoryAdmin):
    list_display = ["user", "region"]
    list_select_related = ["user", "region"]
    autocomplete_fields = ["user"]


import enrollment.admin_api  # noqa: E402, F401 - registers the API clients and the access log
from enrollment import admin_cases  # noqa: E402, F401 - registers the case screens
