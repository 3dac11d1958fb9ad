"""Admin screens of the reconciliation import (registered from payments/admin.py).

Upload a file → the dry-run preview (counts, every row's outcome) → confirm → the import of the
very content that was previewed; every batch is listed with its counts and its report downloads
as CSV. The screens collect the file and show what `payments.imports` answers.
"""

import csv
import io
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from enrollment.identity import mask_id_number
from enrollment.models import StaffRegion
from enrollment.scoping import (
    OUT_OF_SCOPE_MESSAGE,
    RegionScopedAdminMixin,
    identifiers_shown,
    regions_of,
    sees_full_identifiers,
)
from payments.imports import (
    ImportFileError,
    ImportRefused,
    import_report_csv,
    import_report_rows,
    payments_import,
    payments_import_confirm,
)
from payments.models import ImportBatch, ImportOutcome

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ALLOWED_SUFFIXES = {".csv", ".xlsx"}


# --- for readers without the whole identifiers (enrollment.view_full_identifiers) -----------------


def _line_masked(line: Any) -> Any:
    """A preview line with the ID number as given masked, and any number quoted in its message."""
    line.id_number = mask_id_number(line.id_number) if line.id_number else line.id_number
    line.message = identifiers_shown(line.message, full=False)
    return line


def _report_masked(batch: ImportBatch) -> Any:
    """The CSV report with every ID and phone number masked, the "ID number as given" column whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield b"\xef\xbb\xbf"
    # The counts, an empty line, the header of the rows' lines, then one line per row.
    header_seen, lines_seen = False, False
    for line in import_report_rows(batch=batch):
        cells = [identifiers_shown(cell, full=False) for cell in line]
        if lines_seen and len(cells) > ID_COLUMN and cells[ID_COLUMN]:
            cells[ID_COLUMN] = mask_id_number(line[ID_COLUMN])
        lines_seen = lines_seen or header_seen
        header_seen = header_seen or not line
        writer.writerow(cells)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


# Where `import_report_rows` puts the ID number as given in a row's line.
ID_COLUMN = 4
ROWS_PER_PAGE = 200
IMPORT_PERMISSION = "payments.import_payments"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Payment file"),
        help_text=gettext_lazy("CSV (UTF-8 or GB18030) or XLSX, at most 20 MB."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise ValidationError(_("Only CSV and XLSX files can be imported."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)s MB; split it or import it with the command.")
                % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


@admin.register(ImportBatch)
class ImportBatchAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    """Batches are written by the import service only; clerks upload, preview, confirm and read.

    A batch has no region of its own (a channel's file may pay for persons of several regions):
    it belongs to the service hall that imported it, i.e. to the regions of the staff member who
    uploaded it. Clerks of a hall see and confirm each other's previews, not other halls' files;
    batches imported by the command (no uploader) are seen by administrators and analysts only.
    """

    region_path = "uploaded_by__staff_regions__region"

    list_display = [
        "started_at",
        "file_name",
        "dry_run",
        "rows",
        "accepted",
        "duplicate",
        "rejected",
        "uploaded_by",
        "links",
    ]
    list_filter = ["dry_run"]
    list_select_related = ["uploaded_by"]
    search_fields = ["file_name", "sha256"]
    date_hierarchy = "started_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportBatch]:
        return super().get_queryset(request).defer("content")

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet[ImportBatch]) -> QuerySet[ImportBatch]:
        # Through a subquery rather than the join along `region_path`: an uploader serving two
        # regions would otherwise list each batch twice.
        regions = regions_of(request.user)
        if regions is None:
            return queryset
        uploaders = StaffRegion.objects.filter(region__in=sorted(regions)).values("user_id")
        return queryset.filter(uploaded_by__in=uploaders)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Importing implies reading the batches, but only those of the user's hall.
        return super().has_view_permission(request, obj) or (
            self.has_import_permission(request) and self.in_scope(request, obj)
        )

    def has_import_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(IMPORT_PERMISSION))

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("upload/", wrap(self.upload_view), name="payments_importbatch_upload"),
            path("<int:object_id>/preview/", wrap(self.preview_view), name="payments_importbatch_preview"),
            path(
                "<int:object_id>/confirm/", wrap(require_POST(self.confirm_view)), name="payments_importbatch_confirm"
            ),
            path("<int:object_id>/report.csv", wrap(self.report_view), name="payments_importbatch_report"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # A batch has no form: its page is the outcome table.
        return HttpResponseRedirect(reverse("admin:payments_importbatch_preview", args=[object_id]))

    @admin.display(description=gettext_lazy("report"))
    def links(self, obj: ImportBatch) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:payments_importbatch_preview", args=[obj.pk]),
            _("rows"),
            reverse("admin:payments_importbatch_report", args=[obj.pk]),
            _("CSV"),
        )

    def _batch(self, request: HttpRequest, object_id: int, *, content: bool = False) -> ImportBatch:
        """The batch if the user may see it: 404 if there is none, 403 if another hall imported it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        batches = self.scope_queryset(request, ImportBatch.objects.select_related("uploaded_by"))
        batch = (batches if content else batches.defer("content")).filter(pk=object_id).first()
        if batch is None:
            if ImportBatch.objects.filter(pk=object_id).exists():
                raise PermissionDenied(str(OUT_OF_SCOPE_MESSAGE))
            raise Http404
        return batch

    def _context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "has_view_permission": self.has_view_permission(request),
        }

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """The upload always runs a dry run first; the clerk confirms from the preview."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = payments_import(
                    content=upload.read(), file_name=upload.name, uploaded_by=request.user, dry_run=True
                )
            except ImportFileError as error:
                form.add_error("file", str(error))
            else:
                return HttpResponseRedirect(reverse("admin:payments_importbatch_preview", args=[batch.pk]))
        context = {**self._context(request, _("Import a payment file")), "form": form}
        return TemplateResponse(request, "admin/payments/importbatch/upload.html", context)

    def preview_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        batch = self._batch(request, object_id)
        outcome = request.GET.get("outcome", "")
        lines = batch.lines.select_related("payment").order_by("row_number")
        if outcome in ImportOutcome.values:
            lines = lines.filter(outcome=outcome)
        page = Paginator(lines, ROWS_PER_PAGE).get_page(request.GET.get("page"))
        if not sees_full_identifiers(request.user):
            page.object_list = [_line_masked(line) for line in page.object_list]
        confirmed = ImportBatch.objects.defer("content").filter(confirms=batch).first()
        earlier = (
            ImportBatch.objects.defer("content")
            .filter(sha256=batch.sha256, dry_run=False, started_at__lt=batch.started_at)
            .order_by("-started_at")
            .first()
        )
        title = _("Preview of %(file)s") if batch.dry_run else _("Import of %(file)s")
        context = {
            **self._context(request, title % {"file": batch.file_name}),
            "batch": batch,
            "page": page,
            "outcome": outcome,
            "outcomes": ImportOutcome.choices,
            "confirmed": confirmed,
            "earlier": earlier,
            "can_confirm": batch.dry_run
            and confirmed is None
            and batch.finished_at is not None
            and self.has_import_permission(request),
        }
        return TemplateResponse(request, "admin/payments/importbatch/preview.html", context)

    def confirm_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        preview = self._batch(request, object_id, content=True)
        try:
            batch = payments_import_confirm(preview=preview, by=request.user)
        except (ImportRefused, ImportFileError) as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse("admin:payments_importbatch_preview", args=[preview.pk]))
        messages.success(
            request,
            _("Imported: %(accepted)s accepted, %(duplicate)s duplicates, %(rejected)s rejected.")
            % {"accepted": batch.accepted, "duplicate": batch.duplicate, "rejected": batch.rejected},
        )
        return HttpResponseRedirect(reverse("admin:payments_importbatch_preview", args=[batch.pk]))

    def report_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        batch = self._batch(request, object_id)
        report = import_report_csv(batch=batch) if sees_full_identifiers(request.user) else _report_masked(batch)
        response = StreamingHttpResponse(report, content_type="text/csv; charset=utf-8")
        kind = "preview" if batch.dry_run else "import"
        response["Content-Disposition"] = f'attachment; filename="payment-{kind}-{batch.pk}-report.csv"'
        return response
