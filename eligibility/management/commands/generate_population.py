import datetime
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from eligibility.population import population_generate
from enrollment.models import Region


class Command(BaseCommand):
    help = "Generate a realistic synthetic population (persons, events, ledgers) for load tests."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--persons", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--region", default="360100", help="household region code (must exist)")
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day the histories lead up to, YYYY-MM-DD (default: today)",
        )

    def handle(
        self, *args: Any, persons: int, seed: int, region: str, as_of: datetime.date | None, **options: Any
    ) -> None:
        if persons < 1:
            raise CommandError("--persons must be at least 1")
        if not Region.objects.filter(code=region).exists():
            raise CommandError(f"region {region} does not exist: load the demo data or create it first")
        result = population_generate(persons=persons, seed=seed, region_code=region, as_of=as_of)
        self.stdout.write(
            f"{result.persons} persons, {result.ledger_rows} ledger rows, {result.events} events generated"
        )
