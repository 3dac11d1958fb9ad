"""The case screens through the test client: a clerk opens a case, ticks and uploads the checklist
and submits; a supervisor approves; a clerk of another region is refused everywhere."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from enrollment import cases
from enrollment.models import Case, CaseDocument, CaseKind, CaseState, Scheme
from enrollment.roles import CLERK, SUPERVISOR
from tests.factories import TEST_PASSWORD, PersonFactory, StaffRegionFactory, UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"


def login(client, user, language="en"):
    client.cookies["django_language"] = language
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def grant(group, *codenames):
    group.permissions.add(*Permission.objects.filter(content_type__app_label="enrollment", codename__in=codenames))


@pytest.fixture(autouse=True)
def setup(roles, settings, tmp_path, monkeypatch):
    settings.CASE_DOCUMENT_ROOT = tmp_path / "case_documents"
    grant(roles[CLERK], "view_case", "add_case", "change_case")
    grant(roles[SUPERVISOR], "view_case", "add_case", "change_case", "approve_case")
    moment = datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(datetime.UTC))


@pytest.fixture
def supervisor(roles, nanchang):
    user = UserFactory(username="supervisor_nc", is_staff=True, groups=[roles[SUPERVISOR]])
    StaffRegionFactory(user=user, region=nanchang)
    return user


@pytest.fixture
def case(clerk, nanchang):
    person = PersonFactory(household_region=nanchang)
    return cases.case_open(
        person=person, region=nanchang, kind=CaseKind.RESIDENT_ENROLMENT, details={"start_date": "2026-01-01"}, by=clerk
    )


def change_url(case):
    return reverse("admin:enrollment_case_change", args=[case.pk])


def move(client, case, action, reason=""):
    return client.post(reverse("admin:enrollment_case_move", args=[case.pk]), {"action": action, "reason": reason})


def checklist_post(case, *, uploads=None, received=True, verified=True):
    data = {"start_date": "2026-01-01", "transitions-TOTAL_FORMS": "0", "transitions-INITIAL_FORMS": "0"}
    documents = list(case.documents.order_by("id"))
    data.update(
        {
            "documents-TOTAL_FORMS": str(len(documents)),
            "documents-INITIAL_FORMS": str(len(documents)),
            "documents-MIN_NUM_FORMS": "0",
            "documents-MAX_NUM_FORMS": "1000",
        }
    )
    for i, document in enumerate(documents):
        data[f"documents-{i}-id"] = str(document.pk)
        data[f"documents-{i}-case"] = str(case.pk)
        if received and document.required:
            data[f"documents-{i}-received"] = "on"
        if verified and document.required:
            data[f"documents-{i}-verified"] = "on"
        if uploads and document.code in uploads:
            data[f"documents-{i}-upload"] = uploads[document.code]
    return data


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_clerk_opens_a_case_from_the_add_form(client, clerk, nanchang):
    person = PersonFactory(household_region=nanchang)
    login(client, clerk)
    response = client.get(reverse("admin:enrollment_case_add"))
    assert response.status_code == 200
    response = client.post(
        reverse("admin:enrollment_case_add"),
        {"person": person.pk, "region": nanchang.pk, "kind": CaseKind.TRANSFER_IN, "scheme": Scheme.RESIDENT},
    )
    # the kind's missing details are shown on the form and nothing is written
    assert response.status_code == 200
    assert "This detail is required" in response.content.decode()
    assert not Case.objects.exists()
    response = client.post(
        reverse("admin:enrollment_case_add"),
        {
            "person": person.pk,
            "region": nanchang.pk,
            "kind": CaseKind.TRANSFER_IN,
            "scheme": Scheme.RESIDENT,
            "start_date": "2026-03-01",
            "other_region": "361000",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == change_url(case)
    assert case.details == {"scheme": "resident", "start_date": "2026-03-01", "other_region": "361000"}
    assert case.assigned_to == clerk and case.documents.filter(code="insurance_certificate").exists()


def test_clerk_ticks_the_checklist_submits_and_a_supervisor_approves(client, clerk, supervisor, case):
    login(client, clerk)
    page = client.get(change_url(case))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Submit" in body and "Approve" not in body  # a clerk is not offered the approval

    # the clerk ticks every required document and uploads the ID card scan
    data = checklist_post(case, uploads={"id_card": SimpleUploadedFile("id.pdf", PDF)})
    response = client.post(change_url(case), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    id_card = case.documents.get(code="id_card")
    assert id_card.file and id_card.received_by == clerk
    assert all(d.verified for d in case.documents.filter(required=True))

    assert move(client, case, "submit").status_code == 302
    assert move(client, case, "start_review").status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW and case.due_on == datetime.date(2026, 3, 9)

    # a clerk's approval is refused with a message
    response = move(client, case, "approve")
    assert any("supervisor" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW

    client.logout()
    login(client, supervisor)
    assert "Approve" in client.get(change_url(case)).content.decode()
    response = move(client, case, "approve")
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert case.person.enrollments.get().start_date == datetime.date(2026, 1, 1)
    # the decided case is read-only; its history lists every move
    page = client.get(change_url(case)).content.decode()
    assert 'name="start_date"' not in page
    assert list(case.transitions.values_list("action", flat=True)) == ["open", "submit", "start_review", "approve"]


def test_a_bad_upload_is_refused_on_the_form(client, clerk, case):
    login(client, clerk)
    data = checklist_post(case, uploads={"id_card": SimpleUploadedFile("id.pdf", b"MZ not a pdf")}, verified=False)
    response = client.post(change_url(case), data)
    assert response.status_code == 200
    assert "Only PDF, JPEG and PNG" in response.content.decode()
    assert not case.documents.filter(received=True).exists()


def test_reject_without_reason_shows_a_message_and_changes_nothing(client, clerk, supervisor, case):
    cases.case_submit(case=case, by=clerk)
    login(client, supervisor)
    response = move(client, case, "reject", reason="")
    assert any("reason for the rejection" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED and case.transitions.count() == 2


def test_assign_to_me_and_reassign(client, clerk, supervisor, case):
    login(client, supervisor)
    client.post(reverse("admin:enrollment_case_assign", args=[case.pk]), {"assign_me": "1", "assignee": ""})
    case.refresh_from_db()
    assert case.assigned_to == supervisor
    client.post(reverse("admin:enrollment_case_assign", args=[case.pk]), {"assignee": clerk.pk})
    case.refresh_from_db()
    assert case.assigned_to == clerk


def test_the_queues_and_the_overdue_flag_in_the_list(client, clerk, case):
    cases.case_submit(case=case, by=clerk)
    Case.objects.filter(pk=case.pk).update(due_on=datetime.date(2026, 2, 27))
    login(client, clerk)
    listing = client.get(reverse("admin:enrollment_case_changelist"), {"queue": "overdue"})
    assert listing.status_code == 200
    assert f"#{case.pk}" in listing.content.decode()
    assert 'alt="True"' in listing.content.decode()  # the overdue flag
    waiting = client.get(reverse("admin:enrollment_case_changelist"), {"queue": "waiting"})
    assert f"#{case.pk}" not in waiting.content.decode()


def test_download_checks_the_permission_and_the_region(client, clerk, other_region_clerk, case):
    document = case.documents.get(code="id_card")
    cases.case_document_upload(document=document, upload=SimpleUploadedFile("身份证.pdf", PDF), by=clerk)
    url = reverse("admin:enrollment_case_document_download", args=[case.pk, document.pk])
    login(client, clerk)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    client.logout()

    login(client, other_region_clerk)
    assert client.get(url).status_code == 403
    assert client.get(change_url(case)).status_code == 403
    response = move(client, case, "submit")
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == CaseState.DRAFT
    listing = client.get(reverse("admin:enrollment_case_changelist"))
    assert f"#{case.pk}" not in listing.content.decode()


def test_anonymous_and_unprivileged_users_cannot_download(client, roles, case, clerk):
    document = case.documents.get(code="id_card")
    cases.case_document_upload(document=document, upload=SimpleUploadedFile("a.pdf", PDF), by=clerk)
    url = reverse("admin:enrollment_case_document_download", args=[case.pk, document.pk])
    assert client.get(url).status_code == 302  # to the login page
    nobody = UserFactory(username="staff_without_perms", is_staff=True)
    StaffRegionFactory(user=nobody, region=case.region)
    login(client, nobody)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    ("uploaded", "kept"),
    [
        ("scan.pdf.bat", "scan.pdf"),
        ("户口簿.hta", "户口簿.pdf"),
        ("passwd.html", "passwd.pdf"),
        ("身份证.PDF", "身份证.PDF"),
        (".hta", "scan.pdf"),
    ],
)
def test_finding_6_a_scan_is_stored_and_served_under_the_extension_of_its_content(client, clerk, case, uploaded, kept):
    # given a PDF by content under a name that says otherwise (issue 16, finding 6)
    document = case.documents.get(code="id_card")
    cases.case_document_upload(document=document, upload=SimpleUploadedFile(uploaded, PDF), by=clerk)
    document.refresh_from_db()
    # then the name kept and the name served carry the sniffed type's extension
    assert document.original_name == kept
    login(client, clerk)
    response = client.get(reverse("admin:enrollment_case_document_download", args=[case.pk, document.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].rstrip('"').lower().endswith(".pdf")


def test_finding_6_a_name_stored_before_the_fix_is_served_with_the_right_extension(client, clerk, case):
    document = case.documents.get(code="id_card")
    cases.case_document_upload(document=document, upload=SimpleUploadedFile("a.pdf", PDF), by=clerk)
    CaseDocument.objects.filter(pk=document.pk).update(original_name="passwd.html")
    login(client, clerk)
    response = client.get(reverse("admin:enrollment_case_document_download", args=[case.pk, document.pk]))
    assert 'filename="passwd.pdf"' in response["Content-Disposition"]
