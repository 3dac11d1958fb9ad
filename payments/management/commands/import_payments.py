"""`manage.py import_payments FILE [--dry-run] [--report PATH] [--chunk-size N] [--workers N]`.

Thin: `payments.imports.payments_import` does the work. Exit status 0 when the file was read (even
with rejected rows: they are in the report), 2 when it cannot be read at all (nothing is written).
"""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.translation import gettext as _

from payments.imports import DEFAULT_CHUNK_SIZE, ImportFileError, import_report_csv, payments_import

UNREADABLE = 2


class Command(BaseCommand):
    help = "Import a reconciliation file of payments received (CSV or XLSX) from the tax bureau or a bank."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV or XLSX file")
        parser.add_argument("--dry-run", action="store_true", help="evaluate every row and record nothing")
        parser.add_argument("--report", type=Path, default=None, help="also write the report (CSV) to this path")
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="rows per transaction")
        parser.add_argument(
            "--workers", type=int, default=1, help="processes to share the chunks out to (a large file: the cores)"
        )

    def handle(
        self,
        *args: Any,
        file: Path,
        dry_run: bool,
        report: Path | None,
        chunk_size: int,
        workers: int,
        **options: Any,
    ) -> None:
        if chunk_size < 1 or workers < 1:
            raise CommandError("--chunk-size and --workers must be at least 1")
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("The file %(file)s cannot be read: %(problem)s") % {"file": file, "problem": error.strerror},
                returncode=UNREADABLE,
            ) from None
        try:
            batch = payments_import(
                content=content, file_name=file.name, dry_run=dry_run, chunk_size=chunk_size, workers=workers
            )
        except ImportFileError as error:
            raise CommandError(f"{file}: {error}", returncode=UNREADABLE) from None
        self.stdout.write(
            (_("Preview (dry run, nothing recorded) of %(file)s") if dry_run else _("Import of %(file)s"))
            % {"file": file.name}
        )
        for label, count in [
            (_("rows"), batch.rows),
            (_("accepted"), batch.accepted),
            (_("duplicates"), batch.duplicate),
            (_("rejected"), batch.rejected),
        ]:
            self.stdout.write(f"  {label}: {count}")
        if report is not None:
            with report.open("wb") as out:
                for chunk in import_report_csv(batch=batch):
                    out.write(chunk)
            self.stdout.write(_("Report: %(path)s") % {"path": report})
        self.stdout.write(
            _("Report in the admin: %(url)s") % {"url": reverse("admin:payments_importbatch_report", args=[batch.pk])}
        )
