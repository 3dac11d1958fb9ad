"""Clerk screens of cases: work queues, the document checklist, transitions through the services.

Every write goes through `enrollment.cases`; this module only shows, asks and reports. Scans are
downloaded through `download_view`, which checks the permission and the region (no URL serves
CASE_DOCUMENT_ROOT).
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Q, QuerySet, Value
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment import cases
from enrollment.checklists import SPECIAL_GROUP_CHOICES, document_label
from enrollment.models import (
    Case,
    CaseDocument,
    CaseKind,
    CaseState,
    CaseTransition,
    Person,
    PremiumCategory,
    Scheme,
    StaffRegion,
    WorkCalendarDay,
)
from enrollment.roles import CASE_HANDLE_PERMISSION
from enrollment.scoping import (
    RegionScopedAdminMixin,
    RegionScopedInlineMixin,
    identifiers_shown,
    persons_queryset,
    sees_full_identifiers,
    user_shown,
)
from enrollment.selectors import person_get_by_id_number, person_search

# --- the case form: the kind's details as plain fields -----------------------------------------

DETAIL_FIELDS = [
    "start_date",
    "end_date",
    "scheme",
    "employer_name",
    "other_region",
    "after_employee_stop",
    "migrant_worker_child",
    "low_income",
    "severe_disability",
    "low_income_elderly",
    "cover_from",
    "cover_to",
    "year",
    "repair_years",
    "payment_channel",
    "payment_reference",
    "group",
    "event_date",
    "related_id_number",
    "evidence",
    "child_id_number",
    "child_name",
    "new_name",
    "new_phone",
    "new_id_number",
    "new_category",
]


def _channel_choices() -> list[tuple[str, Any]]:
    from payments.models import Channel

    return [("", "---------"), *Channel.choices]


class CaseAdminForm(forms.ModelForm):
    """The case and the details its kind needs (the service checks them per kind: a field the kind
    does not use is ignored)."""

    start_date = forms.DateField(label=gettext_lazy("start date"), required=False)
    end_date = forms.DateField(label=gettext_lazy("end date (transfer out)"), required=False)
    scheme = forms.ChoiceField(
        label=gettext_lazy("scheme"), choices=[("", "---------"), *Scheme.choices], required=False
    )
    employer_name = forms.CharField(label=gettext_lazy("employer"), max_length=120, required=False)
    other_region = forms.CharField(
        label=gettext_lazy("other region (division code)"),
        max_length=6,
        required=False,
        help_text=gettext_lazy("Transfers: the region the person comes from or goes to, e.g. 360100."),
    )
    after_employee_stop = forms.BooleanField(label=gettext_lazy("after employee insurance stopped"), required=False)
    migrant_worker_child = forms.BooleanField(label=gettext_lazy("child of migrant workers"), required=False)
    low_income = forms.BooleanField(label=gettext_lazy("minimum-living-guarantee recipient"), required=False)
    severe_disability = forms.BooleanField(label=gettext_lazy("severely disabled (grade 1 or 2)"), required=False)
    low_income_elderly = forms.BooleanField(label=gettext_lazy("aged 60 or over, low-income family"), required=False)
    cover_from = forms.DateField(label=gettext_lazy("first month covered"), required=False)
    cover_to = forms.DateField(label=gettext_lazy("last month covered"), required=False)
    year = forms.IntegerField(label=gettext_lazy("coverage year"), required=False)
    repair_years = forms.IntegerField(label=gettext_lazy("repair years"), required=False)
    payment_channel = forms.ChoiceField(label=gettext_lazy("payment channel"), choices=_channel_choices, required=False)
    payment_reference = forms.CharField(
        label=gettext_lazy("payment reference"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("When the payment is already recorded: it is linked to the case on approval."),
    )
    group = forms.ChoiceField(
        label=gettext_lazy("special group"), choices=[("", "---------"), *SPECIAL_GROUP_CHOICES], required=False
    )
    event_date = forms.DateField(label=gettext_lazy("event date"), required=False)
    related_id_number = forms.CharField(
        label=gettext_lazy("related person's ID number"),
        max_length=18,
        required=False,
        help_text=gettext_lazy("A newborn's parent or the veteran of a veteran's family, when registered."),
    )
    evidence = forms.CharField(label=gettext_lazy("evidence note"), required=False, widget=forms.Textarea({"rows": 2}))
    child_id_number = forms.CharField(
        label=gettext_lazy("newborn's ID number (to register)"),
        max_length=18,
        required=False,
        help_text=gettext_lazy("A newborn registration from the portal: the approval registers the child."),
    )
    child_name = forms.CharField(label=gettext_lazy("newborn's name (to register)"), max_length=60, required=False)
    new_name = forms.CharField(label=gettext_lazy("corrected name"), max_length=60, required=False)
    new_phone = forms.CharField(label=gettext_lazy("corrected mobile phone"), max_length=11, required=False)
    new_id_number = forms.CharField(label=gettext_lazy("corrected ID number"), max_length=18, required=False)
    new_category = forms.ChoiceField(
        label=gettext_lazy("corrected premium category"),
        choices=[("", "---------"), *PremiumCategory.choices],
        required=False,
    )

    # The staff user filling the form (CaseAdmin.get_form sets it); without one, no person is found.
    user: Any = None

    class Meta:
        model = Case
        fields = ["person", "region", "kind"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            details = dict(self.instance.details)
            related = details.pop("related_person", None)
            if related is not None:
                details["related_id_number"] = (
                    Person.objects.filter(pk=related).values_list("id_number", flat=True).first() or ""
                )
            for name in DETAIL_FIELDS:
                if name in details:
                    self.initial[name] = details[name]

    def details(self) -> dict[str, Any]:
        data = self.cleaned_data
        details = {name: data.get(name) for name in DETAIL_FIELDS if data.get(name) not in (None, "", False)}
        details.pop("related_id_number", None)
        if data.get("_related_person") is not None:
            details["related_person"] = data["_related_person"]
        return details

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        number = (cleaned.get("related_id_number") or "").strip()
        if number:
            # A person outside the user's regions answers as an unregistered one: the form must not
            # tell who is registered elsewhere.
            related = person_get_by_id_number(id_number=number, queryset=persons_queryset(user=self.user))
            if related is None:
                self.add_error(
                    "related_id_number", _("No person with this ID number is registered in the regions you serve.")
                )
            else:
                cleaned["_related_person"] = related.pk
        person = cleaned.get("person") or (self.instance.person if self.instance.pk else None)
        region = cleaned.get("region") or (self.instance.region if self.instance.pk else None)
        kind = cleaned.get("kind") or self.instance.kind
        # A saved case without a person is a newborn registration (the approval registers the child).
        has_person = person is not None or bool(self.instance.pk)
        if has_person and region is not None and kind and not self.errors:
            try:
                cases.case_details_clean(kind=kind, details=self.details(), person=person, region=region)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    target = "related_id_number" if field == "related_person" else field
                    self.add_error(target if target in self.fields else None, errors)
        return cleaned


# --- what the reader may see -----------------------------------------------------------------------
#
# The read-only displays below get the row only, not the request; the admin's querysets carry the
# reader's rights as two constant columns, so a row never shows more than its reader may see.
FULL = "reader_sees_full_identifiers"
HANDLES = "reader_handles_cases"


def with_reader_rights(queryset: QuerySet[Any], request: HttpRequest) -> QuerySet[Any]:
    return queryset.annotate(
        **{
            FULL: Value(sees_full_identifiers(request.user), output_field=BooleanField()),
            HANDLES: Value(bool(request.user.has_perm(CASE_HANDLE_PERMISSION)), output_field=BooleanField()),
        }
    )


def _full(obj: Any) -> bool:
    return bool(getattr(obj, FULL, False))


# --- the checklist inline ------------------------------------------------------------------------


class CaseDocumentForm(forms.ModelForm):
    upload = forms.FileField(label=gettext_lazy("upload a scan"), required=False)

    class Meta:
        model = CaseDocument
        fields = ["received", "verified"]

    def clean_upload(self) -> Any:
        upload = self.cleaned_data.get("upload")
        if upload:
            cases.case_document_check_upload(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("verified") and not cleaned.get("received") and not cleaned.get("upload"):
            self.add_error("verified", _("A document must be received before it is verified."))
        return cleaned

    def _post_clean(self) -> None:
        # The services write the ticks; the model's own validation would compare stale rows.
        pass


class CaseDocumentInline(RegionScopedInlineMixin, admin.TabularInline):
    model = CaseDocument
    form = CaseDocumentForm
    fields = ["document", "required", "received", "received_info", "verified", "verified_info", "scan", "upload"]
    readonly_fields = ["document", "required", "received_info", "verified_info", "scan"]
    extra = 0
    can_delete = False
    verbose_name = gettext_lazy("document")
    verbose_name_plural = gettext_lazy("document checklist")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseDocument]:
        return with_reader_rights(super().get_queryset(request), request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("enrollment.view_case") or request.user.has_perm(CASE_HANDLE_PERMISSION)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        editable = obj is None or obj.state in cases.EDITABLE_STATES
        return editable and request.user.has_perm(CASE_HANDLE_PERMISSION)

    @admin.display(description=gettext_lazy("document"))
    def document(self, obj: CaseDocument) -> str:
        return str(document_label(obj.code))

    @admin.display(description=gettext_lazy("received by"))
    def received_info(self, obj: CaseDocument) -> str:
        return _stamp(obj.received_by, obj.received_at, full=_full(obj))

    @admin.display(description=gettext_lazy("verified by"))
    def verified_info(self, obj: CaseDocument) -> str:
        return _stamp(obj.verified_by, obj.verified_at, full=_full(obj))

    @admin.display(description=gettext_lazy("scan"))
    def scan(self, obj: CaseDocument) -> str:
        if not obj.file:
            return "—"
        if not getattr(obj, HANDLES, False):
            # Scans (ID cards, household registers) are for the roles that handle the case.
            return _("received (%(size)s KB)") % {"size": (obj.size or 0) // 1024}
        url = reverse("admin:enrollment_case_document_download", args=[obj.case_id, obj.pk])
        return format_html(
            '<a href="{}">{}</a> ({} KB)', url, obj.original_name or _("download"), (obj.size or 0) // 1024
        )


def _stamp(user: Any, at: Any, *, full: bool) -> str:
    if user is None or at is None:
        return "—"
    return f"{user_shown(user, full=full)} {timezone.localtime(at):%Y-%m-%d %H:%M}"


class CaseTransitionInline(admin.TabularInline):
    model = CaseTransition
    fields = ["at", "action", "from_state", "to_state", "actor", "reason_shown"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("history of the case")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("enrollment.view_case") or request.user.has_perm(CASE_HANDLE_PERMISSION)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseTransition]:
        return with_reader_rights(super().get_queryset(request).select_related("by"), request)

    @admin.display(description=gettext_lazy("by"))
    def actor(self, obj: CaseTransition) -> str:
        return user_shown(obj.by, full=_full(obj))

    @admin.display(description=gettext_lazy("reason"))
    def reason_shown(self, obj: CaseTransition) -> str:
        return identifiers_shown(obj.reason, full=_full(obj)) or "—"


# --- queues ----------------------------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    title = gettext_lazy("work queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("mine", gettext_lazy("my open cases")),
            ("unassigned", gettext_lazy("unassigned in my regions")),
            ("overdue", gettext_lazy("overdue")),
            ("waiting", gettext_lazy("waiting for the resident")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case] | None:
        user = request.user
        selected = {
            "mine": lambda: cases.cases_my_open(user=user),
            "unassigned": lambda: cases.cases_unassigned(user=user),
            "overdue": lambda: cases.cases_overdue(user=user, as_of=timezone.localdate()),
            "waiting": lambda: cases.cases_waiting_for_resident(user=user),
        }.get(self.value() or "")
        if selected is None:
            return queryset
        return queryset.filter(pk__in=selected().values("pk"))


# --- the case admin ----------------------------------------------------------------------------


@admin.register(Case)
class CaseAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    region_path = "region"
    form = CaseAdminForm
    change_form_template = "admin/enrollment/case/change_form.html"
    list_display = ["number", "person_shown", "kind", "state", "region", "assigned_to", "due_on", "overdue"]
    list_filter = [QueueFilter, "state", "kind", "region"]
    list_select_related = ["person", "region", "assigned_to"]
    search_fields = ["person__id_number", "person__name"]
    search_help_text = gettext_lazy("Resident ID number (whole or its beginning) or the beginning of the name.")
    autocomplete_fields = ["person"]
    show_full_result_count = False
    list_per_page = 50
    actions = ["assign_to_me"]
    inlines = [CaseDocumentInline, CaseTransitionInline]

    STATUS_FIELDS = [
        "state",
        "assigned_to",
        "opened_by_shown",
        "submitted_at",
        "due_on",
        "overdue",
        "waiting_since",
        "closed_at",
        "decision_reason",
        "outcome",
        "quote",
        "payment_link",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        queryset = super().get_queryset(request).select_related("person", "region", "assigned_to", "opened_by")
        return with_reader_rights(queryset, request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Case], search_term: str
    ) -> tuple[QuerySet[Case], bool]:
        if not search_term.strip():
            return queryset, False
        # A newborn registration not yet approved is found by the child's whole ID number.
        child = Q(person__isnull=True, details__child_id_number=search_term.strip().upper())
        return queryset.filter(Q(person__in=person_search(query=search_term)) | child), False

    # Cases are never deleted: closing one keeps it, with its history.
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.state not in cases.EDITABLE_STATES:
            return False
        return super().has_change_permission(request, obj)

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        return list(self.inlines) if obj is not None else []

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["person", "region", "kind", "details_display", *self.STATUS_FIELDS]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[tuple[Any, dict[str, Any]]]:
        case_fields = ["person", "region", "kind"]
        if obj is None:
            return [
                (None, {"fields": case_fields}),
                (
                    _("Details"),
                    {
                        "fields": DETAIL_FIELDS,
                        "description": _(
                            "Fill in what the kind of case needs; the others are ignored. A resident not yet in "
                            "the register is registered first (Insured persons → Add)."
                        ),
                    },
                ),
            ]
        status = (_("Status"), {"fields": self.STATUS_FIELDS})
        if not self.has_change_permission(request, obj):
            return [(None, {"fields": [*case_fields, "details_display"]}), status]
        return [(None, {"fields": case_fields}), (_("Details"), {"fields": DETAIL_FIELDS}), status]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            kwargs["fields"] = []
        form = super().get_form(request, obj, change=change, **kwargs)
        # A class made for this request (modelform_factory), so the attribute is this user's only.
        form.user = request.user
        return form

    def save_model(self, request: HttpRequest, obj: Case, form: CaseAdminForm, change: bool) -> None:
        try:
            if change:
                saved = cases.case_update(case=obj, details=form.details(), by=request.user)
            else:
                saved = cases.case_open(
                    person=form.cleaned_data["person"],
                    region=form.cleaned_data["region"],
                    kind=form.cleaned_data["kind"],
                    details=form.details(),
                    by=request.user,
                )
        except ValidationError as error:
            # Checked by the form already; a refusal here means someone else changed the case meanwhile.
            raise PermissionDenied(" ".join(error.messages)) from None
        for field in Case._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not CaseDocument:
            return
        for document_form in formset.forms:
            if not document_form.has_changed():
                continue
            document = document_form.instance
            data = document_form.cleaned_data
            try:
                if data.get("upload"):
                    document = cases.case_document_upload(document=document, upload=data["upload"], by=request.user)
                if data.get("received") != document.received:
                    document = cases.case_document_receive(
                        document=document, by=request.user, received=bool(data.get("received"))
                    )
                if data.get("verified") != document.verified:
                    document = cases.case_document_verify(
                        document=document, by=request.user, verified=bool(data.get("verified"))
                    )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))

    def response_add(self, request: HttpRequest, obj: Case, post_url_continue: str | None = None) -> HttpResponse:
        # After opening, the clerk continues on the case: the checklist is there.
        messages.success(request, _("Case opened: %(case)s.") % {"case": obj})
        return HttpResponseRedirect(reverse("admin:enrollment_case_change", args=[obj.pk]))

    # --- read-only displays ----------------------------------------------------------------

    @admin.display(description=gettext_lazy("case"), ordering="pk")
    def number(self, obj: Case) -> str:
        return f"#{obj.pk}"

    @admin.display(description=gettext_lazy("person"), ordering="person__name")
    def person_shown(self, obj: Case) -> str:
        if obj.person is not None:
            return str(obj.person)
        # A newborn registration: the child enters the register when the case is approved.
        number = identifiers_shown(obj.details.get("child_id_number", ""), full=_full(obj))
        return _("%(name)s %(number)s (newborn, registered on approval)") % {
            "name": obj.details.get("child_name", "—"),
            "number": number,
        }

    @admin.display(description=gettext_lazy("overdue"), boolean=True)
    def overdue(self, obj: Case) -> bool:
        return obj.is_overdue(timezone.localdate())

    @admin.display(description=gettext_lazy("opened by"))
    def opened_by_shown(self, obj: Case) -> str:
        # A resident's application is opened by their account, whose user name is their ID number.
        return user_shown(obj.opened_by, full=_full(obj))

    @admin.display(description=gettext_lazy("details"))
    def details_display(self, obj: Case) -> str:
        labels = {name: CaseAdminForm.base_fields[name].label for name in DETAIL_FIELDS}
        labels["related_person"] = gettext_lazy("related person")
        full = _full(obj)
        return (
            format_html_join(
                "",
                "<div>{}: {}</div>",
                ((labels.get(key, key), identifiers_shown(value, full=full)) for key, value in obj.details.items()),
            )
            or "—"
        )

    @admin.display(description=gettext_lazy("premium quote"))
    def quote(self, obj: Case) -> str:
        quote = cases.case_quote(case=obj, on=timezone.localdate())
        if quote is None:
            return "—"
        amount = f"¥{quote.amount}" if quote.amount is not None else "—"
        return format_html("<strong>{}</strong><div>{}</div>", amount, quote.explanation)

    @admin.display(description=gettext_lazy("payment"))
    def payment_link(self, obj: Case) -> str:
        if obj.kind not in (CaseKind.BACK_PAYMENT, CaseKind.REPAIR_PAYMENT, CaseKind.FLEXIBLE_ENROLMENT):
            return "—"
        if obj.details.get("payment_id"):
            url = reverse("admin:payments_payment_change", args=[obj.details["payment_id"]])
            return format_html('<a href="{}">{}</a>', url, _("linked payment"))
        request = cases.case_payment_request(case=obj)
        if request is None or obj.state != CaseState.APPROVED:
            return "—"
        initial: dict[str, Any] = {"person": obj.person_id, "kind": request.kind}
        for name in ("year", "repair_years", "cover_from", "cover_to"):
            value = getattr(request, name)
            if value:
                # The record form's months are <input type="month">, which drops a full ISO date.
                initial[name] = f"{value:%Y-%m}" if hasattr(value, "isoformat") else value
        url = f"{reverse('admin:payments_payment_record')}?{urlencode(initial)}"
        return format_html('<a href="{}">{}</a>', url, _("Record the payment with this quote"))

    # --- transitions, assignment, downloads --------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/move/", wrap(self.move_view), name="enrollment_case_move"),
            path("<int:object_id>/assign/", wrap(self.assign_view), name="enrollment_case_assign"),
            path(
                "<int:object_id>/documents/<int:document_id>/download/",
                wrap(self.download_view),
                name="enrollment_case_document_download",
            ),
            *super().get_urls(),
        ]

    def _case_or_403(self, request: HttpRequest, object_id: int) -> Case:
        case = self.get_object(request, str(object_id))  # 403 for another region's case
        if case is None:
            raise Http404
        if not self.has_view_permission(request, case):
            raise PermissionDenied
        return case

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        case = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if case is not None:
            extra["transitions"] = cases.transitions_available(case=case, user=request.user)
            extra["can_assign"] = case.state in cases.EDITABLE_STATES and request.user.has_perm(
                "enrollment.change_case"
            )
            extra["assignees"] = self._assignees(case) if extra["can_assign"] else []
            extra["move_url"] = reverse("admin:enrollment_case_move", args=[case.pk])
            extra["assign_url"] = reverse("admin:enrollment_case_assign", args=[case.pk])
            extra["missing_documents"] = [str(document_label(d.code)) for d in cases.documents_missing(case=case)]
            registered = cases.newborn_registered_already(case=case)
            extra["registration_warning"] = (
                identifiers_shown(
                    cases.newborn_registered_message(person=registered, user=request.user),
                    full=sees_full_identifiers(request.user),
                )
                if registered is not None
                else ""
            )
            missing_years = cases.case_deadline_calendar_missing_years(case=case)
            extra["deadline_warning"] = (
                _(
                    "The %(years)s work calendar is not loaded: this deadline counts weekends only, without the "
                    "public holidays. Ask an administrator to load it."
                )
                % {"years": ", ".join(str(year) for year in missing_years)}
                if missing_years
                else ""
            )
        return super().change_view(request, object_id, form_url, extra)

    def _assignees(self, case: Case) -> list[Any]:
        users = get_user_model().objects.filter(is_active=True, is_staff=True)
        serving = StaffRegion.objects.filter(region=case.region).values("user_id")
        return list(users.filter(pk__in=serving).order_by("username"))

    def move_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        case = self._case_or_403(request, object_id)
        change_url = reverse("admin:enrollment_case_change", args=[case.pk])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        if not request.user.has_perm(CASE_HANDLE_PERMISSION):
            # The services refuse it too (enrollment.cases.transition_refusal); a read-only role gets 403.
            raise PermissionDenied(str(cases.NOT_HANDLER_MESSAGE))
        action = request.POST.get("action", "")
        reason = request.POST.get("reason", "")
        service = {
            "submit": lambda: cases.case_submit(case=case, by=request.user),
            "start_review": lambda: cases.case_start_review(case=case, by=request.user),
            "request_information": lambda: cases.case_request_information(case=case, by=request.user, reason=reason),
            "resume": lambda: cases.case_resume(case=case, by=request.user, reason=reason),
            "approve": lambda: cases.case_approve(case=case, by=request.user, reason=reason),
            "reject": lambda: cases.case_reject(case=case, by=request.user, reason=reason),
            "close": lambda: cases.case_close(case=case, by=request.user, reason=reason),
            "withdraw": lambda: cases.case_close(case=case, by=request.user, reason=reason),
        }.get(action)
        if service is None:
            messages.error(request, _("Unknown action: %(action)s") % {"action": action})
            return HttpResponseRedirect(change_url)
        try:
            service()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Case %(case)s is now %(state)s.") % {"case": f"#{case.pk}", "state": case.get_state_display()},
            )
            if case.outcome and action == "approve":
                messages.info(request, case.outcome)
        return HttpResponseRedirect(change_url)

    def assign_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        case = self._case_or_403(request, object_id)
        change_url = reverse("admin:enrollment_case_change", args=[case.pk])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        if not request.user.has_perm(CASE_HANDLE_PERMISSION):
            raise PermissionDenied(str(cases.NOT_HANDLER_MESSAGE))
        value = request.POST.get("assignee", "")
        assignee = None
        if request.POST.get("assign_me") or value == "me":
            assignee = request.user
        elif value:
            assignee = get_user_model().objects.filter(pk=value).first()
            if assignee is None:
                messages.error(request, _("Unknown user."))
                return HttpResponseRedirect(change_url)
        try:
            cases.case_assign(case=case, assignee=assignee, by=request.user, reason=request.POST.get("reason", ""))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Assignment saved."))
        return HttpResponseRedirect(change_url)

    def download_view(self, request: HttpRequest, object_id: int, document_id: int) -> HttpResponse:
        case = self._case_or_403(request, object_id)
        if not request.user.has_perm(CASE_HANDLE_PERMISSION):
            # ID cards and household registers: for the roles that handle cases, not for readers.
            raise PermissionDenied(_("Scans of case documents are for the staff who handle cases."))
        document = get_object_or_404(CaseDocument, pk=document_id, case=case)
        if not document.file:
            raise Http404
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=cases.document_download_name(document),
            content_type=document.content_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(description=gettext_lazy("Assign the selected cases to me"), permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        done, refused = 0, []
        for case in queryset:
            try:
                cases.case_assign(case=case, assignee=request.user, by=request.user)
            except ValidationError as error:
                refused.append(f"#{case.pk}: {' '.join(error.messages)}")
            else:
                done += 1
        messages.info(request, _("%(count)s cases assigned to you.") % {"count": done})
        for line in refused:
            messages.error(request, line)


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(admin.ModelAdmin):
    """`load_work_calendar` fills the years the chinesecalendar package knows; administrators correct a
    day or enter a year the package lacks from the State Council notice. A deleted package row comes
    back with the next load: to overrule the package, change the row instead (it becomes manual)."""

    list_display = ["date", "is_working_day", "name", "source", "origin"]
    list_filter = ["origin", "is_working_day"]
    date_hierarchy = "date"
    search_fields = ["name", "source"]
    readonly_fields = ["origin"]

    def save_model(self, request: HttpRequest, obj: WorkCalendarDay, form: Any, change: bool) -> None:
        # Whatever an administrator saves is theirs: `load_work_calendar` never overwrites it.
        obj.origin = WorkCalendarDay.Origin.MANUAL
        super().save_model(request, obj, form, change)
