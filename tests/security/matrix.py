"""The expected outcome of every route × role × method: the one table of the permission matrix
(tests/security/test_permission_matrix.py). A route of the URL configuration without an entry here
fails the matrix.

Classes: `allowed` (2xx, or 3xx to a page other than a sign-in page), `login` (redirect to a sign-in
page), `forbidden` (401, 403, 404 — an object outside the reader's reach —, 405, or the admin's
"does not exist" redirect to its index), `invalid` (400: a caller who may call, with a body that is
refused), `write` (a POST that changed the database). Every POST whose class is not `write` must
leave the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALLOWED, LOGIN, FORBIDDEN, INVALID, WRITE = "allowed", "login", "forbidden", "invalid", "write"

WEB_ROLES = ("anonymous", "resident", "other_region_clerk", "clerk", "supervisor", "analyst", "administrator")
API_ROLES = ("api_read", "api_read_unmasked", "api_read_region_b", "api_check")


def roles_for(family: str) -> tuple[str, ...]:
    # API clients are tried on the API only: elsewhere a bearer token is no credential at all, and
    # they would be the anonymous role again.
    return WEB_ROLES + API_ROLES if family == "api" else WEB_ROLES


CODES = {"A": ALLOWED, "L": LOGIN, "F": FORBIDDEN, "I": INVALID, "W": WRITE}


@dataclass(frozen=True)
class Variant:
    key: str
    region: str
    body: dict
    codes: str

    def expect(self, role: str, method: str) -> str:
        roles = WEB_ROLES + API_ROLES
        pair = self.codes.split()[roles.index(role)]
        code = pair[0] if method == "GET" else pair[1]
        return CODES.get(code, code)


@dataclass(frozen=True)
class Entry:
    """`codes`: for each role in WEB_ROLES (then API_ROLES on the API) the GET and the POST class by its
    initial, with the objects of region A (the clerk's); `other_region`: the same with the objects of
    region B (Fuzhou, the other region's clerk's), for the routes of one region's objects."""

    codes: str
    other_region: str | None = None
    body: dict = field(default_factory=dict)
    skip: str = ""

    @property
    def variants(self) -> list[Variant]:
        found = [Variant(self.key, "A", self.body, self.codes)]
        if self.other_region:
            found.append(Variant(f"{self.key}@B", "B", self.body, self.other_region))
        return found

    key: str = ""


def expected(key: str, family: str) -> Entry | None:
    entry = ROUTES.get(key)
    return None if entry is None else Entry(entry.codes, entry.other_region, entry.body, entry.skip, key)


# The table. Columns: anonymous, resident, other_region_clerk, clerk, supervisor, analyst,
# administrator; on the API then api_read, api_read_unmasked, api_read_region_b (reporting:read for
# Fuzhou only), api_check (eligibility:check). Each pair: the GET class, the POST class.
ROUTES: dict[str, Entry] = {
    "api-docs": Entry("AF AF AF AF AF AF AF"),
    "api-redoc": Entry("AF AF AF AF AF AF AF"),
    "api-schema": Entry("AF AF AF AF AF AF AF"),
    "healthz": Entry("AF AF AF AF AF AF AF"),
    "home": Entry("AF AF AF AF AF AF AF"),
    "payments:receipt": Entry("FF AF FF AF AF AF AF", other_region="FF FF AF FF FF AF AF"),
    "set_language": Entry("AA AA AA AA AA AA AA"),
    "admin/(?P<url>.*)$": Entry("LL LL FF FF FF FF FF"),
    "admin/auth/group/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/auth/user/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/eligibility/benefitdecision/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/eligibility/claimyear/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/eligibility/eligibilitysnapshot/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/eligibility/notification/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/eligibility/recomputerun/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/enrollment/apiclient/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/enrollment/case/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/enrollment/enrollment/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/enrollment/familyrelation/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/enrollment/person/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/enrollment/personaccess/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/enrollment/personevent/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/enrollment/region/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/enrollment/staffregion/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/enrollment/workcalendarday/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/payments/importbatch/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/payments/ledgerentry/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/payments/payment/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin/payments/policyprofile/<path:object_id>/": Entry("LL LL AA AA AA AA AA"),
    "admin:app_list": Entry("LL LL AA AA AA AA AA"),
    "admin:auth_group_add": Entry("LL LL FF FF FF FF FF"),
    "admin:auth_group_change": Entry("LL LL FF FF FF FF AF"),
    "admin:auth_group_changelist": Entry("LL LL FF FF FF FF AA"),
    "admin:auth_group_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:auth_group_history": Entry("LL LL FF FF FF FF AA"),
    "admin:auth_user_add": Entry("LL LL FF FF FF FF AA"),
    "admin:auth_user_change": Entry("LL LL FF FF FF FF AA"),
    "admin:auth_user_changelist": Entry("LL LL FF FF FF FF AA"),
    "admin:auth_user_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:auth_user_history": Entry("LL LL FF FF FF FF AA"),
    "admin:auth_user_password_change": Entry("LL LL FF FF FF FF AA"),
    "admin:autocomplete": Entry("LL LL FF FF FF FF FF"),
    "admin:eligibility_benefitdecision_add": Entry("LL LL FF FF FF FF FF"),
    "admin:eligibility_benefitdecision_change": Entry("LL LL FF AF AF AF AF", other_region="LL LL AF FF FF AF AF"),
    "admin:eligibility_benefitdecision_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:eligibility_benefitdecision_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:eligibility_benefitdecision_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:eligibility_claimyear_add": Entry("LL LL FF FF FF FF FF"),
    "admin:eligibility_claimyear_change": Entry("LL LL FF AF AA AF AA", other_region="LL LL AF FF FF AF AA"),
    "admin:eligibility_claimyear_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:eligibility_claimyear_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:eligibility_claimyear_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:eligibility_eligibilitysnapshot_add": Entry("LL LL FF FF FF FF FF"),
    "admin:eligibility_eligibilitysnapshot_change": Entry("LL LL FF AF AF AF AF", other_region="LL LL AF FF FF AF AF"),
    "admin:eligibility_eligibilitysnapshot_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:eligibility_eligibilitysnapshot_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:eligibility_eligibilitysnapshot_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:eligibility_notification_add": Entry("LL LL FF FF FF FF FF"),
    "admin:eligibility_notification_change": Entry("LL LL FF AF AF AF AF", other_region="LL LL AF FF FF AF AF"),
    "admin:eligibility_notification_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:eligibility_notification_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:eligibility_notification_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:eligibility_recomputerun_add": Entry("LL LL FF FF FF FF FF"),
    "admin:eligibility_recomputerun_change": Entry("LL LL FF FF AF AF AF"),
    "admin:eligibility_recomputerun_changelist": Entry("LL LL FF FF AA AA AA"),
    "admin:eligibility_recomputerun_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:eligibility_recomputerun_history": Entry("LL LL FF FF AA AA AA"),
    "admin:enrollment_apiclient_add": Entry("LL LL FF FF FF FF AA"),
    "admin:enrollment_apiclient_change": Entry("LL LL FF FF FF FF AA"),
    "admin:enrollment_apiclient_changelist": Entry("LL LL FF FF FF FF AA"),
    "admin:enrollment_apiclient_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:enrollment_apiclient_history": Entry("LL LL FF FF FF FF AA"),
    "admin:enrollment_apiclient_reissue": Entry("LL LL FF FF FF FF AW"),
    "admin:enrollment_case_add": Entry("LL LL AA AA AA FF AA"),
    "admin:enrollment_case_assign": Entry("LL LL FF AA AA AF AA", other_region="LL LL AA FF FF AF AA"),
    "admin:enrollment_case_change": Entry("LL LL FF AA AA AF AA", other_region="LL LL AA FF FF AF AA"),
    "admin:enrollment_case_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_case_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:enrollment_case_document_download": Entry("LL LL FF AA AA FF AA", other_region="LL LL AA FF FF FF AA"),
    "admin:enrollment_case_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:enrollment_case_move": Entry(
        "LL LL FF AW AW AF AW", other_region="LL LL AW FF FF AF AW", body={"action": "start_review"}
    ),
    "admin:enrollment_enrollment_add": Entry("LL LL AA AA AA FF AA"),
    "admin:enrollment_enrollment_change": Entry("LL LL FF AA AA AF AA", other_region="LL LL AA FF FF AF AA"),
    "admin:enrollment_enrollment_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_enrollment_delete": Entry("LL LL FF FF AW FF AW", other_region="LL LL FF FF FF FF AW"),
    "admin:enrollment_enrollment_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:enrollment_enrollment_simple_history": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_familyrelation_add": Entry("LL LL AA AA AA FF AA"),
    "admin:enrollment_familyrelation_change": Entry("LL LL FF AA AA AF AA", other_region="LL LL AA FF FF AF AA"),
    "admin:enrollment_familyrelation_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_familyrelation_delete": Entry("LL LL FF FF AW FF AW", other_region="LL LL FF FF FF FF AW"),
    "admin:enrollment_familyrelation_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:enrollment_familyrelation_simple_history": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_person_add": Entry("LL LL AA AA AA FF AA"),
    "admin:enrollment_person_change": Entry("LL LL FF AA AA AF AA", other_region="LL LL AA FF FF AF AA"),
    "admin:enrollment_person_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_person_delete": Entry("LL LL FF FF AA FF AA", other_region="LL LL FF FF FF FF AA"),
    "admin:enrollment_person_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:enrollment_person_quote": Entry("LL LL FF AA AA AF AA", other_region="LL LL AA FF FF AF AA"),
    "admin:enrollment_person_recompute": Entry("LL LL FF FW FW FF FW", other_region="LL LL FW FF FF FF FW"),
    "admin:enrollment_person_simple_history": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_personaccess_add": Entry("LL LL FF FF FF FF FF"),
    "admin:enrollment_personaccess_change": Entry("LL LL FF FF AF FF AF", other_region="LL LL FF FF FF FF AF"),
    "admin:enrollment_personaccess_changelist": Entry("LL LL FF FF AA FF AA"),
    "admin:enrollment_personaccess_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:enrollment_personaccess_history": Entry("LL LL FF FF AA FF AA", other_region="LL LL FF FF FF FF AA"),
    "admin:enrollment_personevent_add": Entry("LL LL AA AA AA FF AA"),
    "admin:enrollment_personevent_change": Entry("LL LL FF AA AA AF AA", other_region="LL LL AA FF FF AF AA"),
    "admin:enrollment_personevent_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_personevent_delete": Entry("LL LL FF FF AW FF AW", other_region="LL LL FF FF FF FF AW"),
    "admin:enrollment_personevent_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:enrollment_personevent_simple_history": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_region_add": Entry("LL LL FF FF FF FF AA"),
    "admin:enrollment_region_change": Entry("LL LL AF AF AF AF AA"),
    "admin:enrollment_region_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_region_delete": Entry("LL LL FF FF FF FF AA"),
    "admin:enrollment_region_history": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_region_simple_history": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_staffregion_add": Entry("LL LL FF FF FF FF AA"),
    "admin:enrollment_staffregion_change": Entry("LL LL FF FF AF FF AA"),
    "admin:enrollment_staffregion_changelist": Entry("LL LL FF FF AA FF AA"),
    "admin:enrollment_staffregion_delete": Entry("LL LL FF FF FF FF AW"),
    "admin:enrollment_staffregion_history": Entry("LL LL FF FF AA FF AA"),
    "admin:enrollment_staffregion_simple_history": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_workcalendarday_add": Entry("LL LL FF FF FF FF AA"),
    "admin:enrollment_workcalendarday_change": Entry("LL LL AF AF AF AF AA"),
    "admin:enrollment_workcalendarday_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:enrollment_workcalendarday_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:enrollment_workcalendarday_history": Entry("LL LL AA AA AA AA AA"),
    "admin:index": Entry("LL LL AA AA AA AA AA"),
    "admin:jsi18n": Entry("LL LL AF AF AF AF AF"),
    "admin:login": Entry("AA AA AA AA AA AA AA"),
    "admin:logout": Entry("AA AA FA FA FA FA FA"),
    "admin:password_change": Entry("LL LL AA AA AA AA AA"),
    "admin:password_change_done": Entry("LL LL AF AF AF AF AF"),
    "admin:payments_importbatch_add": Entry("LL LL FF FF FF FF FF"),
    "admin:payments_importbatch_change": Entry("LL LL AA AA AA AA AA"),
    "admin:payments_importbatch_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:payments_importbatch_confirm": Entry("LL LL FF FW FW FF FW", other_region="LL LL FW FF FF FF FW"),
    "admin:payments_importbatch_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:payments_importbatch_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:payments_importbatch_preview": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:payments_importbatch_report": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:payments_importbatch_upload": Entry("LL LL AA AA AA FF AA"),
    "admin:payments_ledgerentry_add": Entry("LL LL FF FF FF FF FF"),
    "admin:payments_ledgerentry_change": Entry("LL LL FF AF AF AF AF", other_region="LL LL AF FF FF AF AF"),
    "admin:payments_ledgerentry_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:payments_ledgerentry_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:payments_ledgerentry_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:payments_payment_add": Entry("LL LL AA AA AA AA AA"),
    "admin:payments_payment_change": Entry("LL LL FF AF AF AF AF", other_region="LL LL AF FF FF AF AF"),
    "admin:payments_payment_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:payments_payment_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:payments_payment_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:payments_payment_record": Entry("LL LL AA AA AA FF AA"),
    "admin:payments_payment_reverse": Entry("LL LL FF FF AA FF AA", other_region="LL LL FF FF FF FF AA"),
    "admin:payments_policyprofile_add": Entry("LL LL FF FF AA FF AA"),
    "admin:payments_policyprofile_change": Entry("LL LL FF AF AA AF AA", other_region="LL LL AF FF FF AF AA"),
    "admin:payments_policyprofile_changelist": Entry("LL LL AA AA AA AA AA"),
    "admin:payments_policyprofile_delete": Entry("LL LL FF FF FF FF FF"),
    "admin:payments_policyprofile_history": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:payments_policyprofile_preview": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:payments_policyprofile_progress": Entry("LL LL FF AA AA AA AA", other_region="LL LL AA FF FF AA AA"),
    "admin:payments_policyprofile_publish": Entry("LL LL FF FF AW FF AW", other_region="LL LL FF FF FF FF AW"),
    "admin:payments_policyprofile_rollover": Entry("LL LL FF FF AA FF AA"),
    "admin:payments_policyprofile_simple_history": Entry("LL LL AA AA AA AA AA"),
    "admin:view_on_site": Entry("LL LL FF FF FF FF FF"),
    "api/v1/^.*$": Entry("FF FF FF FF FF FF FF FF FF FF FF"),
    "portal:account": Entry("LL AA FF FF FF FF FF"),
    "portal:application_answer": Entry("LL AI FF FF FF FF FF", other_region="LL FF FF FF FF FF FF"),
    "portal:application_detail": Entry("LL AA FF FF FF FF FF", other_region="LL FF FF FF FF FF FF"),
    "portal:application_document": Entry("LL AA FF FF FF FF FF", other_region="LL FF FF FF FF FF FF"),
    "portal:application_form": Entry("LL AI FF FF FF FF FF"),
    "portal:application_new": Entry("LL AA FF FF FF FF FF"),
    "portal:applications": Entry("LL AA FF FF FF FF FF"),
    "portal:calculator": Entry("LF AF FF FF FF FF FF"),
    "portal:children": Entry("LL AA FF FF FF FF FF"),
    "portal:dashboard": Entry("LF AF FF FF FF FF FF"),
    "portal:login": Entry("AA AA AA AA AA AA AA"),
    "portal:logout": Entry("FL FL FL FL FL FL FL"),
    "portal:password_change": Entry("LL AA FF FF FF FF FF"),
    "portal:password_reset": Entry("AA AA AA AA AA AA AA"),
    "portal:password_reset_confirm": Entry("AA AA AA AA AA AA AA"),
    "portal:payments": Entry("LF AF FF FF FF FF FF"),
    "portal:register": Entry("AA AA AA AA AA AA AA"),
    "portal:register_confirm": Entry("AA AA AA AA AA AA AA"),
    "v1:aggregates-cases": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:aggregates-continuity": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:aggregates-insured-persons": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:aggregates-interruptions": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:aggregates-payments-by-channel-month": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:aggregates-waiting-ending": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:cases-detail": Entry("FF FF FF AF AF AF AF AF AF FF FF", other_region="FF FF AF FF FF AF AF AF AF AF FF"),
    "v1:cases-list": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:eligibility-check": Entry("FF FF FI FI FI FI FI FF FF FF FI"),
    "v1:enrollments-detail": Entry("FF FF FF AF AF AF AF AF AF FF FF", other_region="FF FF AF FF FF AF AF AF AF AF FF"),
    "v1:enrollments-list": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:job-runs-detail": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:job-runs-list": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:ledger-detail": Entry("FF FF FF AF AF AF AF AF AF FF FF", other_region="FF FF AF FF FF AF AF AF AF AF FF"),
    "v1:ledger-list": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:payments-detail": Entry("FF FF FF AF AF AF AF AF AF FF FF", other_region="FF FF AF FF FF AF AF AF AF AF FF"),
    "v1:payments-list": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:persons-detail": Entry("FF FF FF AF AF AF AF AF AF FF FF", other_region="FF FF AF FF FF AF AF AF AF AF FF"),
    "v1:persons-list": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:snapshots-detail": Entry("FF FF FF AF AF AF AF AF AF FF FF", other_region="FF FF AF FF FF AF AF AF AF AF FF"),
    "v1:snapshots-list": Entry("FF FF AF AF AF AF AF AF AF AF FF"),
    "v1:whoami": Entry("FF FF AF AF AF AF AF AF AF AF AF"),
}
