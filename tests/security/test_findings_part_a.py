"""Issue 16, part a: findings 1, 3, 8, 10 and 12 of the security review (and the access log's
name searches), each a test that failed before its fix.

The analyst reads everything and writes nothing; whole identifiers only for the roles that serve
residents; answers carrying personal data are never cached."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from enrollment import cases
from enrollment.models import Case, CaseKind, CaseState, CaseTransition
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture(autouse=True)
def case_documents(settings, tmp_path):
    settings.CASE_DOCUMENT_ROOT = tmp_path / "case_documents"


def _case(clerk, region, *, state=CaseState.DRAFT):
    person = PersonFactory(household_region=region)
    case = cases.case_open(
        person=person, region=region, kind=CaseKind.RESIDENT_ENROLMENT, details={"start_date": "2026-01-01"}, by=clerk
    )
    if state in (CaseState.SUBMITTED, CaseState.IN_REVIEW):
        cases.case_submit(case=case, by=clerk)
    if state == CaseState.IN_REVIEW:
        cases.case_start_review(case=case, by=clerk)
    return case


# --- finding 1: the analyst moves cases -------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "action", "reason"),
    [
        (CaseState.DRAFT, "submit", ""),
        (CaseState.SUBMITTED, "start_review", ""),
        (CaseState.SUBMITTED, "request_information", "Bring your household register, analyst says."),
        (CaseState.IN_REVIEW, "withdraw", "closed by the analyst"),
    ],
)
@pytest.mark.parametrize("region", ["nanchang", "fuzhou"])
def test_finding_1_the_analyst_cannot_move_a_case(
    client, request, clerk, other_region_clerk, analyst, state, action, reason, region
):
    # given a case in a region, opened by that region's clerk
    opener = clerk if region == "nanchang" else other_region_clerk
    case = _case(opener, request.getfixturevalue(region), state=state)
    transitions_before = CaseTransition.objects.filter(case=case).count()
    # when the analyst posts the move
    client.force_login(analyst)
    response = client.post(reverse("admin:enrollment_case_move", args=[case.pk]), {"action": action, "reason": reason})
    # then it is refused and nothing is written
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == state
    assert CaseTransition.objects.filter(case=case).count() == transitions_before


def test_finding_1_the_services_refuse_a_move_without_the_change_permission(clerk, analyst, nanchang):
    case = _case(clerk, nanchang)
    assert cases.transitions_available(case=case, user=analyst) == []
    assert cases.transition_refusal(case=case, action="submit", by=analyst) is not None
    with pytest.raises(cases.ValidationError):
        cases.case_submit(case=case, by=analyst)
    with pytest.raises(cases.ValidationError):
        cases.case_assign(case=case, assignee=analyst, by=analyst)
    case.refresh_from_db()
    assert case.state == CaseState.DRAFT


def test_finding_1_the_analyst_is_offered_no_move_and_cannot_assign(client, clerk, analyst, nanchang):
    case = _case(clerk, nanchang, state=CaseState.SUBMITTED)
    client.force_login(analyst)
    page = client.get(reverse("admin:enrollment_case_change", args=[case.pk]))
    assert page.status_code == 200
    assert page.context["transitions"] == []
    response = client.post(reverse("admin:enrollment_case_assign", args=[case.pk]), {"assignee": "me"})
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).assigned_to_id == clerk.pk


def test_finding_1_a_clerk_still_moves_cases_of_their_region(client, clerk, nanchang):
    case = _case(clerk, nanchang)
    client.force_login(clerk)
    response = client.post(reverse("admin:enrollment_case_move", args=[case.pk]), {"action": "submit"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


# --- finding 8: recompute by a read-only role, and the whole register in one request --------------


@pytest.fixture
def background_runs(monkeypatch):
    """The recompute runs asked of the workers (not started here: the request must only ask)."""
    from eligibility import tasks

    asked = []
    monkeypatch.setattr(tasks.nightly_recompute, "apply_async", lambda *args, **kwargs: asked.append(kwargs))
    return asked


def _recompute_action(client, persons, *, select_across=False, query=""):
    data = {"action": "recompute_eligibility", "_selected_action": [p.pk for p in persons], "index": "0"}
    if select_across:
        data["select_across"] = "1"
    return client.post(reverse("admin:enrollment_person_changelist") + query, data, follow=True)


def test_finding_8_the_analyst_cannot_recompute_a_person(client, analyst, nanchang, policies):
    from eligibility.models import EligibilitySnapshot

    person = PersonFactory(household_region=nanchang)
    client.force_login(analyst)
    response = client.post(reverse("admin:enrollment_person_recompute", args=[person.pk]))
    assert response.status_code == 403
    assert not EligibilitySnapshot.objects.filter(person=person).exists()
    page = client.get(reverse("admin:enrollment_person_change", args=[person.pk]))
    assert 'id="recompute-form"' not in page.content.decode()


def test_finding_8_the_analyst_cannot_recompute_the_register_from_the_list(
    client, analyst, nanchang, fuzhou, policies, background_runs, django_capture_on_commit_callbacks
):
    from eligibility.models import EligibilitySnapshot

    persons = [PersonFactory(household_region=nanchang), PersonFactory(household_region=fuzhou)]
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        _recompute_action(client, persons, select_across=True)
    assert not EligibilitySnapshot.objects.exists()
    assert background_runs == []


def test_finding_8_the_whole_register_goes_to_a_background_run(
    client, administrator, nanchang, fuzhou, policies, background_runs, django_capture_on_commit_callbacks
):
    from eligibility.models import EligibilitySnapshot

    persons = [PersonFactory(household_region=nanchang), PersonFactory(household_region=fuzhou)]
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = _recompute_action(client, persons, select_across=True)
    assert response.status_code == 200
    assert not EligibilitySnapshot.objects.exists()
    assert len(background_runs) == 1 and background_runs[0]["kwargs"]["full"] is True


def test_finding_8_a_large_selection_is_marked_and_recomputed_in_the_background(
    client, clerk, nanchang, fuzhou, policies, background_runs, django_capture_on_commit_callbacks, monkeypatch
):
    from eligibility.models import EligibilitySnapshot, RecomputeRequest
    from enrollment import admin as register_admin

    monkeypatch.setattr(register_admin, "RECOMPUTE_IN_REQUEST_LIMIT", 1)
    mine = [PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)]
    theirs = PersonFactory(household_region=fuzhou)
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        _recompute_action(client, mine, select_across=True)
    assert not EligibilitySnapshot.objects.exists()
    assert set(RecomputeRequest.objects.values_list("person_id", flat=True)) == {p.pk for p in mine}
    assert theirs.pk not in RecomputeRequest.objects.values_list("person_id", flat=True)
    assert len(background_runs) == 1 and background_runs[0]["kwargs"]["full"] is False


def test_finding_8_a_clerk_still_recomputes_a_small_selection_at_once(client, clerk, nanchang, policies):
    from eligibility.models import EligibilitySnapshot

    persons = [PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)]
    client.force_login(clerk)
    _recompute_action(client, persons)
    assert EligibilitySnapshot.objects.filter(person__in=persons).count() == 2


# --- finding 10: answers carrying personal data are never cached -----------------------------------


def _not_cached(response):
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def test_finding_10_the_portal_applications_are_not_cached(client, resident, nanchang):
    case = cases.case_apply(
        person=resident,
        kind=CaseKind.FLEXIBLE_ENROLMENT,
        details={"start_date": "2026-03-01"},
        by=resident.user,
        uploads={},
    )
    client.force_login(resident.user)
    listing = client.get(reverse("portal:applications"))
    detail = client.get(reverse("portal:application_detail", kwargs={"case_id": case.pk}))
    assert listing.status_code == 200 and detail.status_code == 200
    assert _not_cached(listing) and _not_cached(detail)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_finding_10_api_answers_are_not_cached(client, nanchang, fmt):
    from enrollment.api_clients import api_client_create
    from enrollment.models import ApiClientKind, ApiScope

    PersonFactory(household_region=nanchang)
    token = api_client_create(
        name="reporting", kind=ApiClientKind.REPORTING, scopes=[ApiScope.REPORTING_READ.value], regions=(), rate=""
    ).token
    response = client.get("/api/v1/persons", {"format": fmt}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert _not_cached(response)


# --- finding 12: another region's person answers as an unknown one ------------------------------------


def test_finding_12_a_related_person_of_another_region_answers_as_an_unregistered_one(client, clerk, nanchang, fuzhou):
    from enrollment.identity import build_id_number

    child = PersonFactory(household_region=nanchang)
    elsewhere = PersonFactory(household_region=fuzhou)
    unknown = build_id_number(area_code="360102", birth_date=datetime.date(1990, 5, 1), sequence=321)
    client.force_login(clerk)

    def open_with(related):
        response = client.post(
            reverse("admin:enrollment_case_add"),
            {
                "person": child.pk,
                "region": nanchang.pk,
                "kind": CaseKind.SPECIAL_GROUP,
                "group": "newborn",
                "event_date": "2026-02-01",
                "start_date": "2026-02-01",
                "related_id_number": related,
            },
        )
        assert response.status_code == 200
        return response.context["adminform"].form.errors.get("related_id_number")

    assert open_with(elsewhere.id_number) == open_with(unknown)
    assert open_with(unknown)
    assert not Case.objects.exists()


# --- also found: name searches in the access log ------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "absent"),
    [
        (
            '"GET /admin/enrollment/person/?q=%E5%BC%A0%E4%B8%89%E4%B8%B0 HTTP/1.1" 200 1234',
            "%E5%BC%A0%E4%B8%89%E4%B8%B0",
        ),
        ('"GET /admin/enrollment/case/?q=张三丰&state=submitted HTTP/1.1" 200 99', "张三丰"),
        ('"GET /admin/enrollment/person/?state=1&q=wang+xiaoming HTTP/1.1" 200 5', "wang+xiaoming"),
    ],
)
def test_also_found_name_searches_are_masked_in_the_access_log(line, absent):
    from config.log_filters import mask_personal_data

    masked = mask_personal_data(line)
    assert absent not in masked
    assert "q=" in masked and "HTTP/1.1" in masked


# --- finding 3: whole identifiers for the roles that serve residents only ------------------------------


NEW_PHONE = "13987654321"


@pytest.fixture
def applied(resident, clerk, nanchang):
    """A resident's own application (their account's user name is their ID number) with a scan
    they uploaded, and a correction case a clerk opened with a new ID number and phone."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from enrollment.identity import build_id_number

    resident.user.username = resident.id_number
    resident.user.save(update_fields=["username"])
    application = cases.case_apply(
        person=resident,
        kind=CaseKind.FLEXIBLE_ENROLMENT,
        details={"start_date": "2026-03-01"},
        by=resident.user,
        uploads={"id_card": SimpleUploadedFile("身份证.pdf", PDF, content_type="application/pdf")},
    )
    new_id = build_id_number(area_code="360102", birth_date=datetime.date(1985, 6, 15), sequence=555)
    other = PersonFactory(household_region=nanchang)
    correction = cases.case_open(
        person=other,
        region=nanchang,
        kind=CaseKind.CORRECTION,
        details={"new_id_number": new_id, "new_phone": NEW_PHONE},
        by=clerk,
    )
    return application, correction, new_id


def test_finding_3_the_analyst_sees_a_residents_application_with_identifiers_masked(client, analyst, resident, applied):
    from enrollment.identity import mask_id_number

    application, _correction, _new_id = applied
    client.force_login(analyst)
    page = client.get(reverse("admin:enrollment_case_change", args=[application.pk]))
    content = page.content.decode()
    assert page.status_code == 200
    # "opened by", "received by" and the history's actor are the resident, whose user name is the ID number
    assert resident.id_number not in content
    assert mask_id_number(resident.id_number) in content


def test_finding_3_the_analyst_sees_a_corrections_new_numbers_masked(client, analyst, applied):
    _application, correction, new_id = applied
    client.force_login(analyst)
    content = client.get(reverse("admin:enrollment_case_change", args=[correction.pk])).content.decode()
    assert new_id not in content and NEW_PHONE not in content
    assert "139****4321" in content


def test_finding_3_the_clerk_still_sees_the_whole_numbers(client, clerk, resident, applied):
    application, correction, new_id = applied
    client.force_login(clerk)
    assert (
        resident.id_number
        in client.get(reverse("admin:enrollment_case_change", args=[application.pk])).content.decode()
    )
    content = client.get(reverse("admin:enrollment_case_change", args=[correction.pk])).content.decode()
    assert new_id in content and NEW_PHONE in content


def test_finding_3_only_case_handlers_download_scans(client, analyst, clerk, applied):
    application, _correction, _new_id = applied
    document = application.documents.get(code="id_card")
    url = reverse("admin:enrollment_case_document_download", args=[application.pk, document.pk])
    client.force_login(analyst)
    assert client.get(url).status_code == 403
    page = client.get(reverse("admin:enrollment_case_change", args=[application.pk])).content.decode()
    assert url not in page
    client.force_login(clerk)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_finding_3_the_person_page_masks_the_portal_account_and_the_history(client, analyst, resident):
    from enrollment.models import Person

    resident.user.username = resident.id_number
    resident.user.save(update_fields=["username"])
    # a change recorded in the history, made by the resident (the portal's contact update)
    person = Person.objects.get(pk=resident.pk)
    person.phone = NEW_PHONE
    person._history_user = resident.user
    person.save()
    version = person.history.order_by("history_id").first()
    client.force_login(analyst)
    for url in [
        reverse("admin:enrollment_person_change", args=[resident.pk]),
        reverse("admin:enrollment_person_history", args=[resident.pk]),
        reverse("admin:enrollment_person_simple_history", args=[resident.pk, version.history_id]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert resident.id_number not in content, url
        assert NEW_PHONE not in content, url


def test_finding_3_the_analyst_reads_import_previews_and_reports_masked(client, clerk, analyst, nanchang, policies):
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from enrollment.identity import mask_id_number
    from payments.models import ImportBatch

    person = PersonFactory(household_region=nanchang, name="王芳", phone="13712345678")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["身份证号", "姓名", "险种", "所属期", "金额", "缴费渠道", "交易流水号", "缴费时间"])
    writer.writerow([person.id_number, "王芳", "城乡居民医保", "2026", "400.00", "微信", "SEC-1", "2025-11-10 10:00"])
    writer.writerow([person.id_number, "王小芳", "城乡居民医保", "2026", "400.00", "现金", "SEC-2", "2025-11-10 10:00"])
    upload = SimpleUploadedFile("daily.csv", out.getvalue().encode("gb18030"), content_type="text/csv")
    client.force_login(clerk)
    client.post(reverse("admin:payments_importbatch_upload"), {"file": upload})
    batch = ImportBatch.objects.get()
    assert (
        person.id_number in client.get(reverse("admin:payments_importbatch_preview", args=[batch.pk])).content.decode()
    )

    client.force_login(analyst)
    preview = client.get(reverse("admin:payments_importbatch_preview", args=[batch.pk]))
    report = client.get(reverse("admin:payments_importbatch_report", args=[batch.pk]))
    assert preview.status_code == 200 and report.status_code == 200
    preview_text = preview.content.decode()
    report_text = b"".join(report.streaming_content).decode("utf-8-sig")
    for text in (preview_text, report_text):
        assert person.id_number not in text
        assert mask_id_number(person.id_number) in text
