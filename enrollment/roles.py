"""Staff roles as Django groups. The clerk workspace issue refines them; the names are stable.

Permissions are named `app_label.codename`, as `User.has_perm` takes them, so a role can hold
permissions of any app (the register, payments, ...).
"""

from collections import defaultdict

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q

CLERK = "clerk"
SUPERVISOR = "supervisor"
ANALYST = "analyst"
ADMINISTRATOR = "administrator"

REGISTER_MODELS = ["person", "personevent", "enrollment", "familyrelation"]


def _register(actions: tuple[str, ...], models: list[str]) -> list[str]:
    return [f"enrollment.{action}_{model}" for model in models for action in actions]


# Payments and ledger rows are written by the payment services only: staff may read them, and
# `add_payment` opens the "record a payment" screen (which calls the service). Reversing a payment
# (`change_payment`) and changing the policy parameters are for supervisors and administrators.
PAYMENTS_READ = ["payments.view_payment", "payments.view_ledgerentry"]
PAYMENTS_RECORD = ["payments.add_payment"]
# The service hall reconciles the channels' daily files.
PAYMENTS_IMPORT = ["payments.import_payments", "payments.view_importbatch", "payments.add_importbatch"]
PAYMENTS_SUPERVISE = [
    "payments.change_payment",
    "payments.view_policyprofile",
    "payments.add_policyprofile",
    "payments.change_policyprofile",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CLERK: _register(("view", "add", "change"), REGISTER_MODELS)
    + ["enrollment.view_region"]
    + PAYMENTS_READ
    + PAYMENTS_RECORD
    + PAYMENTS_IMPORT,
    SUPERVISOR: _register(("view", "add", "change", "delete"), REGISTER_MODELS)
    + ["enrollment.view_region", "enrollment.change_region", "enrollment.view_staffregion"]
    + PAYMENTS_READ
    + PAYMENTS_RECORD
    + PAYMENTS_IMPORT
    + PAYMENTS_SUPERVISE,
    ANALYST: _register(("view",), [*REGISTER_MODELS, "region"]) + PAYMENTS_READ,
    ADMINISTRATOR: _register(("view", "add", "change", "delete"), [*REGISTER_MODELS, "region", "staffregion"])
    + PAYMENTS_READ
    + PAYMENTS_RECORD
    + PAYMENTS_IMPORT
    + PAYMENTS_SUPERVISE,
}


def _permissions(names: list[str]) -> list[Permission]:
    """The Permission rows of `app_label.codename` names; every name must exist."""
    by_app: dict[str, list[str]] = defaultdict(list)
    for name in names:
        app_label, _dot, codename = name.partition(".")
        by_app[app_label].append(codename)
    query = Q()
    for app_label, codenames in by_app.items():
        query |= Q(content_type__app_label=app_label, codename__in=codenames)
    found = list(Permission.objects.filter(query).select_related("content_type"))
    missing = set(names) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        # A misspelt name would otherwise leave a role silently without the permission.
        raise ImproperlyConfigured(f"Unknown permissions in ROLE_PERMISSIONS: {', '.join(sorted(missing))}")
    return found


def roles_ensure() -> dict[str, Group]:
    """Create the role groups and give them exactly their permissions (safe to run repeatedly)."""
    groups: dict[str, Group] = {}
    with transaction.atomic():
        for role, names in ROLE_PERMISSIONS.items():
            group, _ = Group.objects.get_or_create(name=role)
            group.permissions.set(_permissions(names))
            groups[role] = group
    return groups
