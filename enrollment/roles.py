"""Staff roles as Django groups; the names are stable.

clerk: the register, payments (record, import) and cases of their regions; supervisor: as a clerk,
plus deleting register rows, reversing payments, policy parameters, approving cases and the
recompute runs; analyst: reads everything (all regions, see enrollment/scoping.py), writes nothing;
administrator: everything, including staff accounts and their regions.

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

# The register's person-owned rows; military service is edited on the person page.
REGISTER_MODELS = ["person", "personevent", "enrollment", "familyrelation", "militaryservice"]


def _register(actions: tuple[str, ...], models: list[str]) -> list[str]:
    return [f"enrollment.{action}_{model}" for model in models for action in actions]


# Payments and ledger rows are written by the payment services only: staff may read them, and
# `add_payment` opens the "record a payment" screen (which calls the service). Reversing a payment
# (`change_payment`) and changing the policy parameters are for supervisors and administrators.
PAYMENTS_READ = ["payments.view_payment", "payments.view_ledgerentry", "payments.view_policyprofile"]
PAYMENTS_RECORD = ["payments.add_payment"]
# The service hall reconciles the channels' daily files.
PAYMENTS_IMPORT = ["payments.import_payments", "payments.view_importbatch", "payments.add_importbatch"]
PAYMENTS_SUPERVISE = [
    "payments.change_payment",
    "payments.add_policyprofile",
    "payments.change_policyprofile",
]
# What the rules decided, per person: read by everyone at the counter; claim years (reimbursed
# amounts) are corrected by supervisors.
ELIGIBILITY_READ = [
    "eligibility.view_eligibilitysnapshot",
    "eligibility.view_benefitdecision",
    "eligibility.view_notification",
    "eligibility.view_claimyear",
]
ELIGIBILITY_SUPERVISE = ["eligibility.change_claimyear"]
# Recompute runs are whole-city jobs: not region-scoped, so not for clerks.
ELIGIBILITY_RUNS = ["eligibility.view_recomputerun", "eligibility.view_recomputechunk"]

# Cases (enrollment.Case, with its custom `approve_case` permission: supervisors decide).
CASE_CLERK = ["enrollment.view_case", "enrollment.add_case", "enrollment.change_case"]
# Handling a case — every move, the checklist, assignment, its scans — needs this permission (with the
# case's region); `view_case` alone only reads. Approving and rejecting also need `approve_case`.
CASE_HANDLE_PERMISSION = "enrollment.change_case"
CASE_APPROVE_PERMISSION = "enrollment.approve_case"
CASE_SUPERVISOR = [*CASE_CLERK, "enrollment.approve_case"]
CASE_READ = ["enrollment.view_case"]
# The holiday calendar behind case deadlines: everyone reads it, administrators add each new year.
WORK_CALENDAR_READ = ["enrollment.view_workcalendarday"]
WORK_CALENDAR_EDIT = [*WORK_CALENDAR_READ, "enrollment.add_workcalendarday", "enrollment.change_workcalendarday"]

USERS_ADMINISTER = ["auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group"]
# API clients (tokens) are an administrator's; who read which person's record, a supervisor's too.
API_CLIENTS_ADMINISTER = ["enrollment.view_apiclient", "enrollment.add_apiclient", "enrollment.change_apiclient"]
ACCESS_LOG_READ = ["enrollment.view_personaccess"]
# Whole ID and phone numbers: for the roles that serve residents, not for analysts.
FULL_IDENTIFIERS = ["enrollment.view_full_identifiers"]

# Recomputing a person's stored status writes it: for the roles that change the register (clerks,
# supervisors, administrators), never for a read-only one.
RECOMPUTE_PERMISSION = "enrollment.change_person"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CLERK: _register(("view", "add", "change"), REGISTER_MODELS)
    + ["enrollment.view_region"]
    + PAYMENTS_READ
    + PAYMENTS_RECORD
    + PAYMENTS_IMPORT
    + ELIGIBILITY_READ
    + CASE_CLERK
    + WORK_CALENDAR_READ
    + FULL_IDENTIFIERS,
    SUPERVISOR: _register(("view", "add", "change", "delete"), REGISTER_MODELS)
    + ["enrollment.view_region", "enrollment.view_staffregion"]
    + PAYMENTS_READ
    + PAYMENTS_RECORD
    + PAYMENTS_IMPORT
    + PAYMENTS_SUPERVISE
    + ELIGIBILITY_READ
    + ELIGIBILITY_SUPERVISE
    + ELIGIBILITY_RUNS
    + CASE_SUPERVISOR
    + WORK_CALENDAR_READ
    + ACCESS_LOG_READ
    + FULL_IDENTIFIERS,
    ANALYST: _register(("view",), [*REGISTER_MODELS, "region"])
    + PAYMENTS_READ
    + ["payments.view_importbatch"]
    + ELIGIBILITY_READ
    + ELIGIBILITY_RUNS
    + CASE_READ
    + WORK_CALENDAR_READ,
    ADMINISTRATOR: _register(("view", "add", "change", "delete"), [*REGISTER_MODELS, "region", "staffregion"])
    + PAYMENTS_READ
    + PAYMENTS_RECORD
    + PAYMENTS_IMPORT
    + PAYMENTS_SUPERVISE
    + ELIGIBILITY_READ
    + ELIGIBILITY_SUPERVISE
    + ELIGIBILITY_RUNS
    + CASE_SUPERVISOR
    + WORK_CALENDAR_EDIT
    + USERS_ADMINISTER
    + API_CLIENTS_ADMINISTER
    + ACCESS_LOG_READ
    + FULL_IDENTIFIERS,
}


def role_permissions(role: str) -> list[str]:
    """The permission names of a role."""
    return ROLE_PERMISSIONS[role]


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
        for role in ROLE_PERMISSIONS:
            group, _ = Group.objects.get_or_create(name=role)
            group.permissions.set(_permissions(role_permissions(role)))
            groups[role] = group
    return groups
