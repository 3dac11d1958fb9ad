"""Region scoping of the clerk workspace (enrollment/scoping.py): who may do what, in which region.

The matrix below is the specification: for every registered admin model, what each role may do
with an object of a region it serves. A role that does not serve the object's region may do
nothing with it, whatever its permissions — tried through the direct URLs, as a curious clerk
would. The walk over `admin.site._registry` keeps a future screen from forgetting the scoping.
"""

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from eligibility.models import ClaimYear, EligibilitySnapshot, Notification, RecomputeRun
from enrollment.models import Case, Enrollment, FamilyRelation, Person, PersonAccess, PersonEvent, Region
from enrollment.scoping import (
    LargeTablePaginator,
    RegionScopedAdminMixin,
    regions_of,
    scope_queryset,
)
from enrollment.selectors import person_search
from payments.models import ImportBatch, LedgerEntry, Payment, PolicyProfile
from payments.policy_years import policy_rollover
from payments.services import PaymentRequest, payment_record
from tests.factories import (
    EnrollmentFactory,
    PersonEventFactory,
    PersonFactory,
    StaffRegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

V, A, C, D = "view", "add", "change", "delete"
REGISTER = {"clerk": {V, A, C}, "supervisor": {V, A, C, D}, "analyst": {V}, "administrator": {V, A, C, D}}
READ_ONLY = {"clerk": {V}, "supervisor": {V}, "analyst": {V}, "administrator": {V}}

# model label → what each role may do with an object of a region it serves ("add" = open the
# screen that creates one: the admin's add form, the payment record screen, the file upload).
MATRIX: dict[str, dict[str, set[str]]] = {
    "enrollment.person": REGISTER,
    "enrollment.personevent": REGISTER,
    "enrollment.enrollment": REGISTER,
    "enrollment.familyrelation": REGISTER,
    "payments.payment": {"clerk": {V, A}, "supervisor": {V, A}, "analyst": {V}, "administrator": {V, A}},
    "payments.ledgerentry": READ_ONLY,
    "payments.importbatch": {"clerk": {V, A}, "supervisor": {V, A}, "analyst": {V}, "administrator": {V, A}},
    "payments.policyprofile": {"clerk": {V}, "supervisor": {V, A, C}, "analyst": {V}, "administrator": {V, A, C}},
    "eligibility.eligibilitysnapshot": READ_ONLY,
    "eligibility.benefitdecision": READ_ONLY,
    "eligibility.notification": READ_ONLY,
    "eligibility.claimyear": {"clerk": {V}, "supervisor": {V, C}, "analyst": {V}, "administrator": {V, C}},
    # Whole-city jobs: no region, not for clerks.
    "eligibility.recomputerun": {"clerk": set(), "supervisor": {V}, "analyst": {V}, "administrator": {V}},
    # Cases: their screens and transitions are tested with the cases; here only reading and scoping.
    "enrollment.case": {"clerk": {V}, "supervisor": {V}, "analyst": {V}, "administrator": {V}},
    # Who looked at whom: supervisors of the region and administrators; nobody writes a row.
    "enrollment.personaccess": {"clerk": set(), "supervisor": {V}, "analyst": set(), "administrator": {V}},
}
# Registered screens without person data, not region-scoped on purpose.
NOT_PERSON_DATA = {
    "enrollment.region",  # reference data every clerk needs to read
    "enrollment.staffregion",  # administrators only (role permissions)
    "enrollment.workcalendarday",  # the agency's working days
    "enrollment.apiclient",  # administrators only (tests/enrollment/test_api_clients_admin.py)
    "auth.user",
    "auth.group",
}
# Checked through `view` only; the other actions of these screens are tested with their features.
VIEW_ONLY_CHECKS = {"enrollment.case", "enrollment.personaccess"}
WITH_HISTORY = {
    "enrollment.person",
    "enrollment.personevent",
    "enrollment.enrollment",
    "enrollment.familyrelation",
    "payments.policyprofile",
}

# role fixture → (role kind in MATRIX, regions served: "A" Nanchang, "B" Fuzhou)
ROLES = {
    "clerk": ("clerk", {"A"}),
    "other_region_clerk": ("clerk", {"B"}),
    "supervisor": ("supervisor", {"A"}),
    "analyst": ("analyst", {"A", "B"}),
    "administrator": ("administrator", {"A", "B"}),
    "regionless_clerk": ("clerk", set()),
}
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _uploader(roles, region, name):
    user = UserFactory(username=name, is_staff=True, groups=[roles["clerk"]])
    StaffRegionFactory(user=user, region=region)
    return user


def _region_objects(region, key, roles):
    person = PersonFactory(household_region=region, name=f"居民{key}")
    relative = PersonFactory(household_region=region, name=f"亲属{key}")
    payment = payment_record(
        person=person,
        request=PaymentRequest.resident_year(2025),
        channel="tax_wechat",
        reference=f"WX-{key}",
        amount=Decimal("400.00"),
        paid_at=dt.datetime(2024, 11, 10, 9, 30, tzinfo=SHANGHAI),
    ).payment
    content = f"file of {key}".encode()
    return {
        "enrollment.person": person,
        "enrollment.personevent": PersonEventFactory(person=person),
        "enrollment.enrollment": EnrollmentFactory(person=person, region=region),
        "enrollment.familyrelation": FamilyRelation.objects.create(person=person, relative=relative, kind="parent"),
        "payments.payment": payment,
        "payments.ledgerentry": LedgerEntry.objects.filter(payment=payment).first(),
        "payments.importbatch": ImportBatch.objects.create(
            file_name=f"tax-{key}.csv",
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            uploaded_by=_uploader(roles, region, f"uploader_{key}"),
            dry_run=True,
            started_at=timezone.now(),
        ),
        # A draft: published profiles are read-only for everyone (a change is a new draft).
        "payments.policyprofile": policy_rollover(
            sources=[PolicyProfile.objects.published().filter(region=region).order_by("-coverage_year").first()],
            actor=None,
        ).created[0],
        "eligibility.eligibilitysnapshot": EligibilitySnapshot.objects.create(
            person=relative,
            as_of=dt.date(2026, 1, 1),
            state="not_enrolled",
            rules_version="t",
            computed_at=timezone.now(),
        ),
        "eligibility.benefitdecision": payment.decision,
        "eligibility.notification": Notification.objects.create(
            person=person,
            kind="gap_deadline",
            subject_on=dt.date(2026, 3, 31),
            send_on=dt.date(2026, 3, 1),
            expires_on=dt.date(2026, 3, 31),
            fingerprint=f"f{key}",
            params={"deadline": "2026-03-31", "last_month": "2025-12", "after": "2026-04-01", "grace": 3},
        ),
        "eligibility.claimyear": ClaimYear.objects.create(person=person, year=2025, reimbursed=Decimal("10.00")),
        "enrollment.case": Case.objects.create(region=region, person=person, kind="resident_enrolment"),
        "enrollment.personaccess": PersonAccess.objects.create(
            at=timezone.now(),
            person=person,
            channel="admin",
            user=_uploader(roles, region, f"reader_{key}"),
            action="admin:person.page",
        ),
    }


@pytest.fixture
def world(roles, nanchang, fuzhou, policies):
    run = RecomputeRun.objects.create(
        as_of=dt.date(2026, 1, 1),
        mode="full",
        status="done",
        triggered_by="test",
        chunk_size=100,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    objects = {"A": _region_objects(nanchang, "A", roles), "B": _region_objects(fuzhou, "B", roles)}
    for region in objects.values():
        region["eligibility.recomputerun"] = run
    return objects


def _url(label, view, obj=None):
    app, model = label.split(".")
    if label == "payments.importbatch" and view in ("change", "link"):
        return reverse("admin:payments_importbatch_preview", args=[obj.pk])
    if view == "add":
        special = {
            "payments.payment": "admin:payments_payment_record",
            "payments.importbatch": "admin:payments_importbatch_upload",
        }
        return reverse(special.get(label, f"admin:{app}_{model}_add"))
    if view == "link":
        view = "change"
    if view == "list":
        return reverse(f"admin:{app}_{model}_changelist")
    return reverse(f"admin:{app}_{model}_{view}", args=[obj.pk])


def test_the_matrix_covers_every_registered_screen():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered - NOT_PERSON_DATA == set(MATRIX), "add the new screen to MATRIX (or to NOT_PERSON_DATA)"


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("label", list(MATRIX))
def test_permission_matrix(client, world, label, role, request):
    # given: a user of the role, and an object of the model in each region
    user = request.getfixturevalue(role)
    kind, serves = ROLES[role]
    rights = MATRIX[label][kind]
    client.force_login(user)
    scoped = label != "eligibility.recomputerun"

    def may(action, key):
        return action in rights and (key in serves or not scoped)

    # the list: reachable with the view permission, and showing exactly the served regions' rows
    listing = client.get(_url(label, "list"))
    assert listing.status_code == (200 if V in rights else 403)
    if listing.status_code == 200:
        page = listing.content.decode()
        for key, objects in world.items():
            assert (_url(label, "link", objects[label]) in page) == may(V, key), key

    for key, objects in world.items():
        obj = objects[label]
        # the object's page, opened by its URL (a clerk of another region types the number)
        view = client.get(_url(label, "change", obj))
        assert view.status_code == (200 if may(V, key) else 403), (key, "view")
        if label in VIEW_ONLY_CHECKS or label == "payments.importbatch":
            continue
        # saving (an empty form: allowed → the form answers with its errors; refused → 403)
        saving = client.post(_url(label, "change", obj), {})
        assert saving.status_code == (200 if may(C, key) else 403), (key, "change")
        deleting = client.get(_url(label, "delete", obj))
        assert deleting.status_code == (200 if may(D, key) else 403), (key, "delete")
        if label in WITH_HISTORY:
            history = client.get(_url(label, "history", obj))
            assert history.status_code == (200 if may(V, key) else 403), (key, "history")
        deleting = client.post(_url(label, "delete", obj), {"post": "yes"})
        if not may(D, key):
            assert deleting.status_code == 403, (key, "delete POST")
            assert type(obj).objects.filter(pk=obj.pk).exists()

    if label not in VIEW_ONLY_CHECKS and label != "eligibility.recomputerun":
        adding = client.get(_url(label, "add"))
        assert adding.status_code == (200 if A in rights else 403), "add"


def test_another_regions_object_is_refused_with_a_clear_message(client, clerk, world):
    client.force_login(clerk)
    response = client.get(_url("enrollment.person", "change", world["B"]["enrollment.person"]))
    assert response.status_code == 403
    # the refusal is a PermissionDenied carrying the reason (rendered by the 403 handler)
    from django.core.exceptions import PermissionDenied

    from enrollment.admin import PersonAdmin

    person_admin = PersonAdmin(Person, admin.site)
    http = RequestFactory().get("/")
    http.user = clerk
    with translation.override("en"), pytest.raises(PermissionDenied, match="region you do not serve"):
        person_admin.get_object(http, str(world["B"]["enrollment.person"].pk))
    assert person_admin.get_object(http, "999999999") is None  # no such row: Django's usual answer
    client.cookies["django_language"] = "zh-hans"
    page = client.get(_url("enrollment.person", "change", world["B"]["enrollment.person"])).content.decode()
    assert "该记录属于您未负责的统筹区" in page  # the clerk reads why, in Chinese


def test_a_custom_action_runs_only_on_the_users_rows(client, clerk, world):
    # given: a clerk of A selecting a person of B (a forged POST)
    own, foreign = world["A"]["enrollment.person"], world["B"]["enrollment.person"]
    client.force_login(clerk)

    # when
    response = client.post(
        reverse("admin:enrollment_person_changelist"),
        {"action": "recompute_eligibility", "_selected_action": [own.pk, foreign.pk]},
        follow=True,
    )

    # then: only the own person was recomputed
    assert response.status_code == 200
    assert EligibilitySnapshot.objects.filter(person=own).exists()
    assert not EligibilitySnapshot.objects.filter(person=foreign).exists()


def test_delete_selected_does_not_reach_another_region(client, supervisor, world):
    foreign_event = world["B"]["enrollment.personevent"]
    client.force_login(supervisor)
    client.post(
        reverse("admin:enrollment_personevent_changelist"),
        {"action": "delete_selected", "_selected_action": [foreign_event.pk], "post": "yes"},
    )
    assert PersonEvent.objects.filter(pk=foreign_event.pk).exists()


def test_the_person_autocomplete_offers_only_the_users_persons(client, clerk, world):
    client.force_login(clerk)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "enrollment", "model_name": "personevent", "field_name": "person", "term": "居民"},
    )
    names = [row["text"] for row in response.json()["results"]]
    assert response.status_code == 200
    assert any("居民A" in name for name in names) and not any("居民B" in name for name in names)


def test_the_payment_record_screen_offers_only_the_users_persons(client, clerk, world):
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    foreign = world["B"]["enrollment.person"]
    response = client.post(
        reverse("admin:payments_payment_record"),
        {
            "person": foreign.pk,
            "kind": "resident_year",
            "year": "2025",
            "repair_years": "0",
            "_quote": "1",
            "paid_at": "2024-11-10T10:00",
            "employee_kind": "flexible",
            "frequency": "annual",
        },
    )
    assert response.status_code == 200
    assert "Choose a person registered in one of the regions you serve." in response.content.decode()


def test_saving_a_person_into_another_region_is_refused(client, clerk, fuzhou, nanchang, world):
    from tests.enrollment.test_admin import person_form

    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    before = Person.objects.count()

    response = client.post(reverse("admin:enrollment_person_add"), person_form(fuzhou, name="越界"))

    assert response.status_code == 200
    assert "Choose one of the regions you serve." in response.content.decode()
    assert Person.objects.count() == before
    # and the same form in the own region saves
    saved = client.post(reverse("admin:enrollment_person_add"), person_form(nanchang, name="本地"))
    assert saved.status_code == 302 and Person.objects.filter(name="本地").exists()


def test_moving_a_persons_row_to_another_regions_person_is_refused(client, clerk, world):
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    event = world["A"]["enrollment.personevent"]
    response = client.post(
        _url("enrollment.personevent", "change", event),
        {"person": world["B"]["enrollment.person"].pk, "kind": event.kind, "date": "2025-04-10", "evidence": "x"},
    )
    assert "Choose a person registered in one of the regions you serve." in response.content.decode()
    event.refresh_from_db()
    assert event.person == world["A"]["enrollment.person"]


def test_the_region_filter_offers_only_the_users_regions(client, clerk, administrator, world, nanchang, fuzhou):
    # given: a clerk serving two regions, and a third region nobody here serves
    Region.objects.create(code="360700", name_zh="赣州市", name_en="Ganzhou", province="江西省", province_en="Jiangxi")
    StaffRegionFactory(user=clerk, region=fuzhou)
    client.force_login(clerk)
    page = client.get(reverse("admin:enrollment_person_changelist")).content.decode()
    assert f"household_region__id__exact={nanchang.pk}" in page and f"household_region__id__exact={fuzhou.pk}" in page
    assert "赣州市" not in page
    client.force_login(administrator)
    assert "赣州市" in client.get(reverse("admin:enrollment_person_changelist")).content.decode()


def test_a_clerk_with_one_region_sees_only_it_and_one_with_none_sees_nothing(clerk, regionless_clerk, world, nanchang):
    persons = Person.objects.all()
    assert set(scope_queryset(user=clerk, queryset=persons, region_path="household_region")) == set(
        Person.objects.filter(household_region=nanchang)
    )
    assert not scope_queryset(user=regionless_clerk, queryset=persons, region_path="household_region").exists()


def test_regions_of_each_role(
    clerk,
    other_region_clerk,
    supervisor,
    analyst,
    administrator,
    regionless_clerk,
    nanchang,
    fuzhou,
    django_assert_num_queries,
):
    assert regions_of(clerk) == frozenset({nanchang.pk})
    assert regions_of(other_region_clerk) == frozenset({fuzhou.pk})
    assert regions_of(supervisor) == frozenset({nanchang.pk})
    assert regions_of(analyst) is None and regions_of(administrator) is None
    assert regions_of(regionless_clerk) == frozenset()
    with django_assert_num_queries(0):  # cached for the rest of the request
        regions_of(clerk)
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    assert regions_of(superuser) is None


def test_an_analyst_who_is_also_a_clerk_is_scoped_like_a_clerk(roles, analyst, nanchang):
    analyst.groups.add(roles["clerk"])
    StaffRegionFactory(user=analyst, region=nanchang)
    assert regions_of(analyst) == frozenset({nanchang.pk})


def test_scoping_is_one_query_without_per_row_checks(clerk, nanchang, django_assert_num_queries):
    for _ in range(5):
        PersonFactory(household_region=nanchang)
    regions_of(clerk)
    with django_assert_num_queries(1):
        list(scope_queryset(user=clerk, queryset=Person.objects.all(), region_path="household_region"))


def test_an_import_batch_belongs_to_the_hall_that_uploaded_it(client, clerk, other_region_clerk, world):
    own, foreign = world["A"]["payments.importbatch"], world["B"]["payments.importbatch"]
    client.force_login(clerk)
    assert client.get(reverse("admin:payments_importbatch_report", args=[own.pk])).status_code == 200
    assert client.get(reverse("admin:payments_importbatch_report", args=[foreign.pk])).status_code == 403
    assert client.post(reverse("admin:payments_importbatch_confirm", args=[foreign.pk])).status_code == 403
    assert not ImportBatch.objects.filter(confirms=foreign).exists()
    # the import permission lets a clerk read their hall's batches, not another hall's
    batch_admin = admin.site._registry[ImportBatch]
    http = RequestFactory().get("/")
    http.user = clerk
    assert batch_admin.has_view_permission(http, own) and not batch_admin.has_view_permission(http, foreign)


def test_a_payment_of_another_region_cannot_be_reversed(client, supervisor, world):
    foreign = world["B"]["payments.payment"]
    client.force_login(supervisor)
    response = client.post(reverse("admin:payments_payment_reverse", args=[foreign.pk]), {"reason": "重复缴费"})
    assert response.status_code == 403
    foreign.refresh_from_db()
    assert foreign.status == "recorded"


def test_person_search_finds_a_mobile_number_and_an_id_prefix_of_the_same_digits(nanchang):
    caller = PersonFactory(household_region=nanchang, phone="13912345678")
    PersonFactory(household_region=nanchang, phone="13800000000")
    assert list(person_search(query="139 1234 5678")) == [caller]
    assert list(person_search(query="１３９１２３４５６７８")) == [caller]  # full-width, from a phone keyboard


def test_person_list_is_searched_by_mobile_number(client, clerk, world):
    person = world["A"]["enrollment.person"]
    Person.objects.filter(pk=person.pk).update(phone="13712345678")
    client.force_login(clerk)
    page = client.get(reverse("admin:enrollment_person_changelist"), {"q": "13712345678"}).content.decode()
    assert "居民A" in page and "亲属A" not in page


# --- the guard for future screens ----------------------------------------------------------


def _holds_person_data(model):
    if model is Person or model is ImportBatch:  # a batch's rows name persons
        return True
    return any(getattr(field, "related_model", None) is Person for field in model._meta.get_fields() if field.concrete)


def test_every_screen_with_person_data_is_region_scoped():
    unscoped = []
    for model, model_admin in admin.site._registry.items():
        if not _holds_person_data(model):
            continue
        if not isinstance(model_admin, RegionScopedAdminMixin):
            unscoped.append(model._meta.label)
            continue
        assert model_admin.region_path, model._meta.label
        path_end = get_fields_from_path(model, model_admin.region_path)[-1]
        assert path_end.related_model is Region, (model._meta.label, model_admin.region_path)
        assert issubclass(model_admin.paginator, LargeTablePaginator), model._meta.label
    assert not unscoped, f"person data without region scoping: {unscoped}"


def test_the_guard_recognises_person_data():
    assert _holds_person_data(Payment) and _holds_person_data(Enrollment) and _holds_person_data(ImportBatch)
    assert not _holds_person_data(Region) and not _holds_person_data(RecomputeRun)


def test_everyone_reads_the_work_calendar_and_only_administrators_add_to_it(client, clerk, administrator):
    client.force_login(clerk)
    assert client.get(reverse("admin:enrollment_workcalendarday_changelist")).status_code == 200
    assert client.get(reverse("admin:enrollment_workcalendarday_add")).status_code == 403
    client.force_login(administrator)
    assert client.get(reverse("admin:enrollment_workcalendarday_add")).status_code == 200
