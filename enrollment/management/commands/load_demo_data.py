from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from enrollment.demo import DEMO_PASSWORD, demo_data_load, demo_logins


class Command(BaseCommand):
    help = "Load the demo regions, persons and accounts (once; running it again adds nothing)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="URL printed for the logins.")

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        if not settings.DEBUG:
            # The demo makes an `admin` superuser and staff accounts with the password published in the
            # README; in a production database they would be open to anyone who read it.
            raise CommandError(
                "The demo data is for a local development setup only: it creates accounts (an `admin` superuser "
                "among them) with the password published in the README. This configuration has DEBUG off "
                "(production); nothing was loaded. "
                "Run `make run`, or set DEBUG=1 on a database of your own."
            )
        result = demo_data_load()
        if result.changed:
            self.stdout.write(
                f"Demo data loaded: {result.regions_created} regions, {result.persons_created} persons, "
                f"{len(result.users_created)} accounts."
            )
        else:
            self.stdout.write("Demo data already loaded; nothing added.")
        if result.profiles_rolled_over:
            self.stdout.write(
                "The data files stop short of the policy years the demo needs: it rolled the latest published "
                f"profiles over (not a published notice): {', '.join(result.profiles_rolled_over)}."
            )
        self.stdout.write("")
        self.stdout.write(f"  App:    {base_url}/")
        self.stdout.write(f"  Admin:  {base_url}/admin/")
        self.stdout.write(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in demo_logins():
            self.stdout.write(f"    {login.username:<20} {login.role:<32} {base_url}{login.where}")
