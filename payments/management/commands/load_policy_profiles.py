"""`manage.py load_policy_profiles [--profiles FILE ...] [--regions FILE]`.

Thin: `payments.policy_years.policy_profiles_load` does the work (idempotently); this command passes the
files and prints what it did. Regions of the table that are not in the register are skipped.
"""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from payments.policy_years import policy_profiles_load


class Command(BaseCommand):
    help = "Load and publish the policy profiles of the profiles files for the regions of region_profiles.json."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--profiles",
            type=Path,
            action="append",
            default=None,
            help="a profiles file, repeatable (default: the project's profiles.json and profiles_rolled_over.json)",
        )
        parser.add_argument(
            "--regions", type=Path, default=None, help="region table file (default: the project's copy)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = policy_profiles_load(profiles_paths=options["profiles"], region_table_path=options["regions"])
        except (OSError, ValueError, KeyError, ValidationError) as error:
            # Nothing was written: the load runs in one transaction.
            raise CommandError(f"policy profiles not loaded: {error}") from None
        self.stdout.write(f"created: {result.created}")
        self.stdout.write(f"updated: {result.updated}")
        skipped = ", ".join(result.skipped_regions) or "-"
        self.stdout.write(f"skipped regions (not in the register): {skipped}")
