"""Staff roles as Django groups. The clerk workspace issue refines them; the names are stable."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

CLERK = "clerk"
SUPERVISOR = "supervisor"
ANALYST = "analyst"
ADMINISTRATOR = "administrator"

REGISTER_MODELS = ["person", "personevent", "enrollment", "familyrelation"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CLERK: [f"{action}_{model}" for model in REGISTER_MODELS for action in ("view", "add", "change")] + ["view_region"],
    SUPERVISOR: [f"{action}_{model}" for model in REGISTER_MODELS for action in ("view", "add", "change", "delete")]
    + ["view_region", "change_region", "view_staffregion"],
    ANALYST: [f"view_{model}" for model in [*REGISTER_MODELS, "region"]],
    ADMINISTRATOR: [
        f"{action}_{model}"
        for model in [*REGISTER_MODELS, "region", "staffregion"]
        for action in ("view", "add", "change", "delete")
    ],
}


def roles_ensure() -> dict[str, Group]:
    """Create the role groups and give them exactly their permissions (safe to run repeatedly)."""
    groups: dict[str, Group] = {}
    with transaction.atomic():
        for role, codenames in ROLE_PERMISSIONS.items():
            group, _ = Group.objects.get_or_create(name=role)
            permissions = Permission.objects.filter(content_type__app_label="enrollment", codename__in=codenames)
            group.permissions.set(permissions)
            groups[role] = group
    return groups
