"""Administrator screens of the REST API: API clients (their tokens) and the personal-data access log.

A token is shown once, on the page that answers the creation or the re-issue, and nowhere else: it
is not kept (only its hash is), not put in the messages framework (the cookie storage would carry
it back to the browser on every request), not written to any log or to the admin's change history.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.api_clients import api_client_create, api_client_issue_token, api_client_revoke, scopes_validate
from enrollment.identity import mask_id_number, normalize_id_number
from enrollment.models import ApiClient, ApiScope, PersonAccess, Region
from enrollment.scoping import ReadOnlyAdminMixin, RegionScopedAdminMixin

# --- API clients --------------------------------------------------------------------------------


class ApiClientState:
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"

    LABELS = {
        # Not "active": that text is already an enrolment's state (参保中) in the catalogue.
        ACTIVE: gettext_lazy("valid"),
        REVOKED: gettext_lazy("revoked"),
        EXPIRED: gettext_lazy("expired"),
    }


def api_client_state(client: ApiClient, *, now: Any) -> str:
    if client.revoked_at is not None:
        return ApiClientState.REVOKED
    if client.expires_at is not None and client.expires_at <= now:
        return ApiClientState.EXPIRED
    return ApiClientState.ACTIVE


class ApiClientAdminForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("scopes"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        # Empty is refused by scopes_validate, with its own message.
        required=False,
        help_text=gettext_lazy("Full ID and phone numbers (unmasked) need reporting:read as well."),
    )
    regions = forms.ModelMultipleChoiceField(
        label=gettext_lazy("regions"),
        queryset=Region.objects.order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("Leave empty for every region."),
    )

    class Meta:
        model = ApiClient
        fields = ["name", "kind", "scopes", "regions", "rate", "contact", "expires_at"]

    def clean_scopes(self) -> list[str]:
        return scopes_validate(self.cleaned_data.get("scopes") or [])

    def clean_expires_at(self) -> Any:
        expires_at = self.cleaned_data.get("expires_at")
        # A date already past would create a token that never works; an existing client keeps its date.
        if expires_at is not None and "expires_at" in self.changed_data and expires_at <= timezone.now():
            raise ValidationError(_("The expiry must lie in the future."), code="expiry_in_past")
        return expires_at


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientAdminForm
    change_form_template = "admin/enrollment/apiclient/change_form.html"
    list_display = ["name", "kind", "scopes_display", "regions_display", "created_at", "last_used_at", "state"]
    list_filter = ["kind"]
    search_fields = ["name"]
    actions = ["revoke"]
    STATUS_FIELDS = [
        "token_display",
        "state",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiClient]:
        return super().get_queryset(request).select_related("created_by", "revoked_by").prefetch_related("regions")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = ["name", "kind", "scopes", "regions", "rate", "contact", "expires_at"]
        return fields if obj is None else [*fields, *self.STATUS_FIELDS]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else list(self.STATUS_FIELDS)

    # Revoking, not deleting: the access log names the client (and protects it).
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.revoked_at is not None:
            return False  # a revoked client stays revoked, as it was when revoked
        return super().has_change_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- list columns and read-only fields

    @admin.display(description=gettext_lazy("scopes"))
    def scopes_display(self, obj: ApiClient) -> str:
        return ", ".join(obj.scopes)

    @admin.display(description=gettext_lazy("regions"))
    def regions_display(self, obj: ApiClient) -> str:
        # The prefetched rows, so the list makes one query for every client's regions.
        regions = sorted(obj.regions.all(), key=lambda region: region.code)
        return ", ".join(str(region) for region in regions) or str(_("all regions"))

    @admin.display(description=gettext_lazy("state"))
    def state(self, obj: ApiClient) -> str:
        return str(ApiClientState.LABELS[api_client_state(obj, now=timezone.now())])

    @admin.display(description=gettext_lazy("token"))
    def token_display(self, obj: ApiClient) -> str:
        # Only the public prefix, so that the client's IT can tell which of their tokens this is.
        return _("begins with %(prefix)s; not stored, cannot be shown again") % {"prefix": f"mi_{obj.token_prefix}_…"}

    # --- creating through the service, then the token page

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        issued = api_client_create(
            name=data["name"],
            kind=data["kind"],
            scopes=data["scopes"],
            regions=data["regions"],
            rate=data["rate"],
            contact=data["contact"],
            expires_at=data["expires_at"],
            created_by=request.user,
        )
        # Kept on the request object only, for the answer to this request.
        request._issued_token = issued.token  # type: ignore[attr-defined]
        return issued.client

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: str | None = None) -> HttpResponse:
        return self._token_page(request, obj, request._issued_token, created=True)  # type: ignore[attr-defined]

    def _token_page(self, request: HttpRequest, client: ApiClient, token: str, *, created: bool) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("The token of %(name)s") % {"name": client.name},
            "client": client,
            "token": token,
            "created": created,
            "change_url": reverse("admin:enrollment_apiclient_change", args=[client.pk]),
        }
        response = TemplateResponse(request, "admin/enrollment/apiclient/token.html", context)
        # Neither the browser's cache nor a proxy may keep the page holding the token.
        add_never_cache_headers(response)
        response["Cache-Control"] += ", no-store, private"
        return response

    # --- revoking (an action with a confirmation page)

    @admin.action(description=gettext_lazy("Revoke the selected clients' tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> HttpResponse | None:
        active = list(queryset.filter(revoked_at__isnull=True))
        if not active:
            self.message_user(request, _("The selected clients are already revoked."), messages.WARNING)
            return None
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Revoke API clients"),
                "clients": active,
                "selected": [str(client.pk) for client in active],
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/enrollment/apiclient/revoke_confirmation.html", context)
        with transaction.atomic():
            for client in active:
                api_client_revoke(client=client, by=request.user)
                self.log_change(request, client, [{"changed": {"fields": ["revoked_at", "revoked_by"]}}])
        self.message_user(request, _("API clients revoked: %(count)d.") % {"count": len(active)}, messages.SUCCESS)
        return None

    # --- issuing a new token (a button on the change page)

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:object_id>/reissue/",
                self.admin_site.admin_view(self.reissue_view),
                name="enrollment_apiclient_reissue",
            )
        ]
        return custom + super().get_urls()

    def reissue_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        client = get_object_or_404(ApiClient, pk=object_id)
        if not self.has_change_permission(request, client):
            raise PermissionDenied
        if request.method == "POST":
            with transaction.atomic():
                locked = ApiClient.objects.select_for_update().get(pk=client.pk)
                if locked.revoked_at is not None:
                    raise PermissionDenied
                token = api_client_issue_token(client=locked)
                locked.save(update_fields=["token_prefix", "token_hash"])
                self.log_change(request, locked, [{"changed": {"fields": ["token"]}}])
            return self._token_page(request, locked, token, created=False)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Issue a new token for %(name)s") % {"name": client.name},
            "client": client,
            "change_url": reverse("admin:enrollment_apiclient_change", args=[client.pk]),
        }
        return TemplateResponse(request, "admin/enrollment/apiclient/reissue.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and self.has_change_permission(request, obj):
            extra_context["reissue_url"] = reverse("admin:enrollment_apiclient_reissue", args=[obj.pk])
        return super().change_view(request, object_id, form_url, extra_context)


# --- the personal-data access log -----------------------------------------------------------------


@admin.register(PersonAccess)
class PersonAccessAdmin(RegionScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only: nobody adds, changes or deletes a row here, whatever their permissions."""

    region_path = "person__household_region"
    list_display = ["at", "person_display", "channel", "actor", "action"]
    list_filter = ["channel", "at"]
    list_select_related = ["person", "user", "api_client"]
    fields = ["at", "person_display", "channel", "actor", "action"]
    readonly_fields = fields
    search_fields = ["person__id_number"]
    search_help_text = gettext_lazy("The person's whole resident ID number.")
    ordering = ["-at", "-pk"]
    show_full_result_count = False
    list_per_page = 100
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[PersonAccess]:
        return super().get_queryset(request).select_related("person", "user", "api_client")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PersonAccess], search_term: str
    ) -> tuple[QuerySet[PersonAccess], bool]:
        # The exact number only (uses the unique index): the log answers "who read this person's data".
        number = normalize_id_number(search_term)
        if not number:
            return queryset, False
        return queryset.filter(person__id_number=number), False

    @admin.display(description=gettext_lazy("person"), ordering="person__id_number")
    def person_display(self, obj: PersonAccess) -> str:
        return f"{mask_id_number(obj.person.id_number)} {obj.person.name}"

    @admin.display(description=gettext_lazy("by"))
    def actor(self, obj: PersonAccess) -> str:
        if obj.api_client is not None:
            return _("API client %(name)s") % {"name": obj.api_client.name}
        if obj.user is not None:
            return obj.user.get_username()
        return "—"
