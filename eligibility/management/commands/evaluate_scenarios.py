"""``manage.py evaluate_scenarios FILE [FILE ...] [--profiles PROFILES.json]`` (FORMAT.md).

Thin: all the work is done by ``eligibility.rules.scenarios.run_files``; this command only
passes the arguments and exits with its status (0 passed, 1 failed, 2 malformed).
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from eligibility.rules.scenarios import run_files


class Command(BaseCommand):
    help = "Evaluate rule scenarios (FORMAT.md) through the eligibility rules engine."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="scenario files (JSON lists)")
        parser.add_argument("--profiles", default=None, help="profiles file (default: the project's copy)")

    def handle(self, *args: Any, **options: Any) -> None:
        status = run_files(options["files"], options["profiles"], out=self.stdout, err=self.stderr)
        sys.exit(status)
