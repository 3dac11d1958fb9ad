"""`manage.py ensure_roles`: create the staff roles and give them exactly their permissions.

Run at every release after `migrate`: a release that adds a permission to a role (e.g. the full
identifiers of the register) reaches the existing groups only this way.
"""

from typing import Any

from django.core.management.base import BaseCommand

from enrollment.roles import roles_ensure


class Command(BaseCommand):
    help = "Create the staff role groups and set exactly their permissions (safe to repeat)."

    def handle(self, *args: Any, **options: Any) -> None:
        groups = roles_ensure()
        for name, group in groups.items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
