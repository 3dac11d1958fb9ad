"""Policy years in the clerk workspace: supervisors roll a year over, edit the draft, compare it with
last year, preview its effect, and publish it; publishing starts the full recompute.

The screens only collect input and show answers: the work is `payments.policy_years` (roll-over,
checks, diff, publish) and `eligibility.policy_preview` (the effect on a sample of persons).
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from eligibility.models import RecomputeRun
from eligibility.policy_preview import policy_preview
from eligibility.tasks import recompute_everyone_soon
from enrollment.models import Region
from enrollment.scoping import RegionScopedAdminMixin, regions_of, scope_queryset
from payments.models import PolicyProfile
from payments.policy_forms import PolicyProfileAdminForm
from payments.policy_parameters import GROUP_TITLES, PARAMETERS
from payments.policy_years import (
    PolicyYearRefused,
    policy_diff,
    policy_publish,
    policy_rollover,
    policy_row_findings,
    previous_year_row,
)

BASE_FIELDS = ["region", "scope", "coverage_year", "effective_from", "name", "title"]


def latest_published_of_year(queryset: QuerySet[PolicyProfile], year: int) -> list[PolicyProfile]:
    """Per region and scope, the published row of `year` in force at the year's end (the latest start)."""
    rows = queryset.published().filter(coverage_year=year).select_related("region")
    latest = rows.values("region_id", "scope").annotate(last=Max("effective_from"))
    wanted = {(item["region_id"], item["scope"], item["last"]) for item in latest}
    return [row for row in rows if (row.region_id, row.scope, row.effective_from) in wanted]


class ProvinceRolloverForm(forms.Form):
    province = forms.ChoiceField(label=gettext_lazy("province"))
    from_year = forms.IntegerField(label=gettext_lazy("roll over the coverage year"), min_value=2000, max_value=2999)

    def __init__(self, *args: Any, provinces: list[str], default_year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [(name, name) for name in provinces]
        self.fields["from_year"].initial = default_year


class PublishForm(forms.Form):
    warnings_checked = forms.BooleanField(
        label=gettext_lazy("I have checked the warnings above: the values are those of the published notice."),
        required=False,
    )


@admin.register(PolicyProfile)
class PolicyProfileAdmin(RegionScopedAdminMixin, SimpleHistoryAdmin):
    """Supervisors and administrators keep the policy years of their regions; clerks and analysts read them.

    A published profile is read-only: a change in the course of a year is a new draft with a later
    start day, published in its turn.
    """

    region_path = "region"
    form = PolicyProfileAdminForm
    change_form_template = "admin/payments/policyprofile/change_form.html"
    change_list_template = "admin/payments/policyprofile/change_list.html"
    list_display = ["region", "scope", "coverage_year", "effective_from", "name", "status_label", "published_at"]
    list_filter = ["status", "scope", "coverage_year", "region"]
    list_select_related = ["region"]
    search_fields = ["name", "title", "region__code", "region__name_zh"]
    ordering = ["region__code", "-coverage_year", "scope", "-effective_from"]
    actions = ["roll_over"]

    # --- list and form -------------------------------------------------------------------

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_label(self, obj: PolicyProfile) -> str:
        return format_html(
            '<span class="policy-status policy-status-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=gettext_lazy("parameters"))
    def parameters_table(self, obj: PolicyProfile) -> str:
        rows = []
        for name, parameter in PARAMETERS.items():
            if name in obj.params:
                value = obj.params[name]
                shown = "—" if value is None else str(value)
                rows.append(
                    format_html(
                        "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                        GROUP_TITLES[parameter.group],
                        parameter.label,
                        f"{shown} {parameter.unit}".strip(),
                        name,
                    )
                )
        header = format_html(
            "<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>",
            _("group"),
            _("parameter"),
            _("value"),
            _("name"),
        )
        return format_html('<table class="policy-parameters">{}<tbody>{}</tbody></table>', header, "".join(rows))

    def get_fieldsets(self, request: HttpRequest, obj: PolicyProfile | None = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            return [
                (None, {"fields": [*BASE_FIELDS, "status", "published_at", "published_by", "rolled_over_from"]}),
                (gettext_lazy("parameters"), {"fields": ["parameters_table", "flexible_rate_tiers"]}),
                (None, {"fields": ["notes", "updated_at"]}),
            ]
        return [
            (None, {"fields": BASE_FIELDS}),
            *PolicyProfileAdminForm.group_fieldsets(),
            (gettext_lazy("flexible workers: rate tiers"), {"fields": ["flexible_rate_tiers"]}),
            (None, {"fields": ["notes"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: PolicyProfile | None = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            return [
                *BASE_FIELDS,
                "status",
                "published_at",
                "published_by",
                "rolled_over_from",
                "parameters_table",
                "flexible_rate_tiers",
                "notes",
                "updated_at",
            ]
        return []

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        # The parameter fields are made by the form itself; Django must not look for them on the model.
        kwargs["fields"] = None
        if obj is not None and not self.has_change_permission(request, obj):
            kwargs["form"] = forms.ModelForm
            kwargs["fields"] = []
        return super().get_form(request, obj, change, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: PolicyProfile | None = None) -> bool:
        if obj is not None and obj.is_published:
            return False
        return bool(super().has_change_permission(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A profile is replaced by a row with a later start day, never deleted from the clerk screens.
        return False

    def may_prepare(self, request: HttpRequest) -> bool:
        """Whether the user prepares policy years (supervisors, administrators)."""
        return bool(request.user.has_perm("payments.change_policyprofile"))

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # simple_history saves a POSTed revert for anyone who may view the history; reverting is a
        # change, and goes through the same form (and checks) as one.
        obj = self.get_object(request, object_id)
        if request.method == "POST" and not self.has_change_permission(request, obj):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"may_prepare": self.may_prepare(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        extra: dict[str, Any] = dict(extra_context or {})
        if obj is not None and self.has_view_permission(request, obj):
            previous = previous_year_row(obj)
            diff = policy_diff(row=obj, previous=previous)
            extra.update(
                policy=obj,
                previous=previous,
                diff=[line for line in diff if line.change != "same"],
                unchanged_count=sum(1 for line in diff if line.change == "same"),
                findings=None if obj.is_published else policy_row_findings(obj),
                may_publish=not obj.is_published and self.may_prepare(request),
                may_roll_over=obj.is_published and self.may_prepare(request),
                recompute=self.recompute_of(obj),
            )
        return super().change_view(request, object_id, form_url, extra)

    @staticmethod
    def recompute_of(obj: PolicyProfile) -> RecomputeRun | None:
        if obj.published_at is None:
            return None
        return RecomputeRun.objects.filter(started_at__gte=obj.published_at).order_by("started_at").first()

    # --- roll-over, preview, publish ---------------------------------------------------

    @admin.action(description=gettext_lazy("Roll the selected profiles over to the next year (drafts)"))
    def roll_over(self, request: HttpRequest, queryset: QuerySet[PolicyProfile]) -> HttpResponseRedirect | None:
        if not self.may_prepare(request):
            raise PermissionDenied
        return self._rolled_over(request, list(queryset.select_related("region")))

    def _rolled_over(self, request: HttpRequest, sources: list[PolicyProfile]) -> HttpResponseRedirect | None:
        result = policy_rollover(sources=sources, actor=request.user)
        for reason in result.skipped:
            self.message_user(request, reason, messages.WARNING)
        if not result.created:
            self.message_user(request, _("No draft was created."), messages.WARNING)
            return None
        self.message_user(
            request,
            _("%(count)s drafts created for %(year)s: %(names)s. Edit what the new notice changes, then publish each.")
            % {
                "count": len(result.created),
                "year": result.created[0].coverage_year,
                "names": ", ".join(f"{row.name} · {row.region.code}" for row in result.created),
            },
            messages.SUCCESS,
        )
        url = reverse("admin:payments_policyprofile_changelist")
        return HttpResponseRedirect(f"{url}?status__exact=draft&coverage_year={result.created[0].coverage_year}")

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("rollover/", wrap(self.province_rollover_view), name="payments_policyprofile_rollover"),
            path("<int:object_id>/preview/", wrap(self.preview_view), name="payments_policyprofile_preview"),
            path("<int:object_id>/publish/", wrap(self.publish_view), name="payments_policyprofile_publish"),
            path("<int:object_id>/progress/", wrap(self.progress_view), name="payments_policyprofile_progress"),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, title: str, **values: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **values}

    def _object_or_403(self, request: HttpRequest, object_id: int) -> PolicyProfile:
        obj = self.get_object(request, str(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    def province_rollover_view(self, request: HttpRequest) -> HttpResponse:
        if not self.may_prepare(request):
            raise PermissionDenied
        regions = scope_queryset(user=request.user, queryset=Region.objects.all(), region_path="pk")
        provinces = sorted(set(regions.values_list("province", flat=True)))
        rows = scope_queryset(user=request.user, queryset=PolicyProfile.objects.published(), region_path="region")
        default_year = rows.aggregate(last=Max("coverage_year"))["last"] or timezone.localdate().year
        form = ProvinceRolloverForm(
            request.POST if request.method == "POST" else None, provinces=provinces, default_year=default_year
        )
        if request.method == "POST" and form.is_valid():
            in_province = rows.filter(region__province=form.cleaned_data["province"])
            sources = latest_published_of_year(in_province, form.cleaned_data["from_year"])
            if not sources:
                form.add_error(
                    None,
                    _("No published profile of %(year)s in %(province)s to roll over.")
                    % {"year": form.cleaned_data["from_year"], "province": form.cleaned_data["province"]},
                )
            else:
                redirect = self._rolled_over(request, sources)
                if redirect is not None:
                    return redirect
        title = _("Roll a province's policy profiles over to the next year")
        context = self._context(request, title, form=form, limited=regions_of(request.user) is not None)
        return TemplateResponse(request, "admin/payments/policyprofile/rollover.html", context)

    def preview_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        obj = self._object_or_403(request, object_id)
        preview = policy_preview(row=obj, as_of=timezone.localdate())
        title = _("What publishing %(profile)s would change") % {"profile": f"{obj.name} · {obj.region}"}
        context = self._context(request, title, policy=obj, preview=preview)
        return TemplateResponse(request, "admin/payments/policyprofile/preview.html", context)

    def publish_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        obj = self._object_or_403(request, object_id)
        if not self.may_prepare(request) or not self.in_scope(request, obj):
            raise PermissionDenied
        change_url = reverse("admin:payments_policyprofile_change", args=[obj.pk])
        if obj.is_published:
            self.message_user(request, _("This profile is already published."), messages.INFO)
            return HttpResponseRedirect(change_url)
        form = PublishForm(request.POST if request.method == "POST" else None)
        findings = policy_row_findings(obj)
        refusal: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    policy_publish(row=obj, actor=request.user, warnings_accepted=form.cleaned_data["warnings_checked"])
                    as_of = timezone.localdate()
                    trigger = f"policy {obj.name} {obj.region.code}"
                    transaction.on_commit(lambda: recompute_everyone_soon(as_of=as_of, triggered_by=trigger))
            except PolicyYearRefused as refused:
                refusal = refused.messages
            else:
                self.message_user(
                    request,
                    _("%(profile)s is published and in force. Everyone's status is being recomputed.")
                    % {"profile": obj.name},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        previous = previous_year_row(obj)
        lines = policy_diff(row=obj, previous=previous)
        title = _("Publish %(profile)s") % {"profile": f"{obj.name} · {obj.region}"}
        context = self._context(
            request,
            title,
            policy=obj,
            form=form,
            findings=findings,
            refusal=refusal,
            previous=previous,
            diff=[line for line in lines if line.change != "same"],
            unchanged_count=sum(1 for line in lines if line.change == "same"),
        )
        return TemplateResponse(request, "admin/payments/policyprofile/publish.html", context)

    def progress_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The recompute started by publishing, as a fragment the change page refreshes."""
        obj = self._object_or_403(request, object_id)
        context = self._context(request, "", policy=obj, recompute=self.recompute_of(obj))
        return TemplateResponse(request, "admin/payments/policyprofile/_progress.html", context)
