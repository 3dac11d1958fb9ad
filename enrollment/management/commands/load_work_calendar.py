"""`manage.py load_work_calendar [--year Y ...]`: fill the work calendar from the chinesecalendar package.

Without --year it loads this year and next year (from today's date in the project's time zone), so
a yearly cron run picks up the new notice once the package carries it. A year the package does not
know is a warning, not a failure: the exit code stays 0 and the year can be entered in the admin.
"""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from enrollment.work_calendar import PACKAGE, YearFill, work_calendar_fill


def _dates(days: tuple[Any, ...]) -> str:
    return ", ".join(day.isoformat() for day in days)


class Command(BaseCommand):
    help = "Fill the work calendar (holidays and make-up days) from the chinesecalendar package."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--year", type=int, action="append", dest="years", help="a year to load (repeat it); default this and next"
        )

    def handle(self, *args: Any, years: list[int] | None, **options: Any) -> None:
        if not years:
            this_year = timezone.localdate().year
            years = [this_year, this_year + 1]
        result = work_calendar_fill(years=years)
        for fill in result.years:
            self._report(fill)

    def _report(self, fill: YearFill) -> None:
        kept = f"; kept {len(fill.kept)} rows entered by hand" if fill.kept else ""
        if not fill.in_package:
            if fill.kept:
                self.stdout.write(f"{fill.year}: not in {PACKAGE}{kept}")
            else:
                self.stderr.write(
                    self.style.WARNING(
                        f"no holiday data for {fill.year} in {PACKAGE}: add the year in the admin from the "
                        "State Council notice, or upgrade the package"
                    )
                )
            return
        self.stdout.write(
            f"{fill.year}: {len(fill.created)} added, {len(fill.updated)} updated, {len(fill.deleted)} removed, "
            f"{fill.unchanged} unchanged{kept}"
        )
        for label, days in (("added", fill.created), ("updated", fill.updated), ("removed", fill.deleted)):
            if days:
                self.stdout.write(f"  {label}: {_dates(days)}")
        if fill.overriding:
            self.stdout.write(f"  entered by hand and different from the package: {_dates(fill.overriding)}")
