"""Applications in the resident portal (issue 7 item 5): apply, upload, pre-check, answer the clerk."""

import datetime
import zoneinfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from enrollment import cases
from enrollment.models import Case, CaseKind, CaseState, FamilyRelation, RelationKind
from payments.models import LedgerEntry, PolicyProfile
from tests.factories import PersonFactory, UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
D = datetime.date
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.CASE_DOCUMENT_ROOT = tmp_path / "private" / "case_documents"
    return settings.CASE_DOCUMENT_ROOT


@pytest.fixture(autouse=True)
def monday(monkeypatch):
    """Monday 2 March 2026, 10:00 in Beijing (a working week, inside the 2026 policy year)."""
    moment = datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(datetime.UTC))


@pytest.fixture
def web(resident, policies):
    client = Client()
    client.force_login(resident.user)
    return client


@pytest.fixture
def english(web):
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return web


def pdf(name="scan.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def form_url(kind):
    return reverse("portal:application_form", kwargs={"kind": kind})


def paid_as_resident(person, year):
    LedgerEntry.objects.create(
        person=person,
        region=person.household_region,
        scheme="resident",
        period=D(year, 1, 1),
        paid_on=D(year - 1, 11, 1),
    )


def paid_as_flexible(person, year):
    for month in range(1, 13):
        LedgerEntry.objects.create(
            person=person,
            region=person.household_region,
            scheme="employee_flexible",
            period=D(year, month, 1),
            paid_on=D(year, 1, 5),
        )


# Each kind the portal offers: what the resident types, and the checklist the case must get.
KINDS = [
    (
        CaseKind.FLEXIBLE_ENROLMENT,
        {"start_date": "2026-03-01"},
        {"id_card", "flexible_employment_registration"},
    ),
    (
        CaseKind.BACK_PAYMENT,
        {"cover_from": "2026-01", "cover_to": "2026-12"},
        {"id_card", "payment_records", "employee_stop_proof"},
    ),
    (
        CaseKind.SCHEME_SWITCH,
        {"scheme": "employee_flexible", "start_date": "2026-04-01"},
        {"id_card", "flexible_employment_registration", "employee_stop_proof"},
    ),
    (
        CaseKind.SPECIAL_GROUP,
        {"group": "veteran_discharge", "event_date": "2026-02-10"},
        {"id_card", "household_register", "discharge_certificate"},
    ),
]


@pytest.mark.parametrize(("kind", "typed", "checklist"), KINDS)
def test_each_kind_submitted_becomes_a_submitted_case_in_the_clerks_region_queue(
    web, resident, clerk, nanchang, kind, typed, checklist
):
    # given a scan of the ID card (and, for a back payment, flexible-worker months paid up to 2025)
    if kind == CaseKind.BACK_PAYMENT:
        paid_as_flexible(resident, 2025)
    # when the resident submits the application
    response = web.post(form_url(kind), {"person": resident.pk, **typed, "doc_id_card": pdf("身份证.pdf")})

    # then one submitted case waits, unassigned, in the queue of the person's region
    case = Case.objects.get(person=resident, kind=kind)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:application_detail", kwargs={"case_id": case.pk})
    assert case.state == CaseState.SUBMITTED and case.assigned_to is None
    assert case.opened_by == resident.user and case.region == nanchang
    assert case.due_on == D(2026, 3, 9)
    assert case in cases.cases_unassigned(user=clerk)
    assert {doc.code for doc in case.documents.all()} == checklist
    scan = case.documents.get(code="id_card")
    assert scan.received and not scan.verified and scan.original_name == "身份证.pdf"
    assert scan.content_type == "application/pdf" and scan.file.read() == PDF
    assert list(case.transitions.values_list("action", flat=True)) == ["open", "submit"]


def test_the_list_and_the_detail_show_the_application(web, resident):
    web.post(form_url(CaseKind.FLEXIBLE_ENROLMENT), {"person": resident.pk, "start_date": "2026-03-01"})
    case = Case.objects.get(person=resident)

    listing = web.get(reverse("portal:applications")).content.decode()
    detail = web.get(reverse("portal:application_detail", kwargs={"case_id": case.pk})).content.decode()

    assert f"#{case.pk}" in listing and "已受理" in listing
    assert "2026-03-09" in detail and "灵活就业人员参保登记" in detail


def test_a_parent_applies_for_a_newborn_child(web, resident, nanchang):
    child = PersonFactory(household_region=nanchang, born=D(2026, 2, 20))
    FamilyRelation.objects.create(person=child, relative=resident, kind=RelationKind.PARENT)

    response = web.post(
        form_url(CaseKind.SPECIAL_GROUP),
        {"person": child.pk, "group": "newborn", "doc_birth_certificate": pdf("出生证明.pdf")},
    )

    case = Case.objects.get(person=child)
    assert response.status_code == 302 and case.state == CaseState.SUBMITTED
    assert case.documents.get(code="birth_certificate").file
    assert {d.code for d in case.documents.all()} == {
        "household_register",
        "birth_certificate",
        "parent_id_card",
        "photos",
    }


def test_another_persons_id_in_the_form_is_refused(web, other_resident):
    response = web.post(
        form_url(CaseKind.FLEXIBLE_ENROLMENT), {"person": other_resident.pk, "start_date": "2026-03-01"}
    )

    assert response.status_code == 400
    assert not Case.objects.exists()


def test_a_too_large_upload_is_refused_with_a_message_and_the_typed_fields_kept(web, settings, resident):
    settings.CASE_DOCUMENT_MAX_BYTES = 16
    response = web.post(
        form_url(CaseKind.BACK_PAYMENT),
        {"person": resident.pk, "cover_from": "2025-10", "cover_to": "2025-12", "doc_id_card": pdf()},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "文件过大" in page and "上限为" in page
    assert 'value="2025-10"' in page and 'value="2025-12"' in page
    assert not Case.objects.exists()
    assert not [path for path in settings.CASE_DOCUMENT_ROOT.rglob("*") if path.is_file()]


def test_a_file_of_the_wrong_type_is_refused_in_english_with_the_typed_fields_kept(english, resident):
    exe = SimpleUploadedFile("id.pdf", b"MZ\x90\x00 not a scan", content_type="application/pdf")
    response = english.post(
        form_url(CaseKind.FLEXIBLE_ENROLMENT), {"person": resident.pk, "start_date": "2026-03-15", "doc_id_card": exe}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Only PDF, JPEG and PNG files are accepted" in page
    assert 'value="2026-03-15"' in page
    assert not Case.objects.exists()


def test_a_date_in_the_wrong_format_is_refused_and_the_other_fields_kept(english, resident):
    response = english.post(
        form_url(CaseKind.SPECIAL_GROUP),
        {"person": resident.pk, "group": "returned_from_abroad", "event_date": "3/2/26"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter the date as YYYY-MM-DD" in page
    assert 'value="3/2/26"' in page and '<option value="returned_from_abroad" selected>' in page
    assert not Case.objects.exists()


def test_the_details_check_of_the_clerks_is_applied_field_by_field(english, resident):
    response = english.post(
        form_url(CaseKind.BACK_PAYMENT), {"person": resident.pk, "cover_from": "2025-12", "cover_to": "2025-10"}
    )

    assert response.status_code == 400
    assert "The last month covered cannot be before the first." in response.content.decode()
    assert not Case.objects.exists()


def test_a_document_not_on_the_checklist_is_refused(english, resident):
    response = english.post(
        form_url(CaseKind.FLEXIBLE_ENROLMENT),
        {"person": resident.pk, "start_date": "2026-03-01", "doc_employee_stop_proof": pdf()},
    )

    assert response.status_code == 400
    assert "This document is not needed for what you chose" in response.content.decode()
    assert not Case.objects.exists()


# --- the rule check before submitting ----------------------------------------------------------


def test_the_rule_refusal_is_shown_when_the_form_opens_in_chinese(web, resident):
    paid_as_resident(resident, 2026)

    page = web.get(form_url(CaseKind.FLEXIBLE_ENROLMENT)).content.decode()

    assert "您已缴纳当年居民医保费" in page and "EMP-3" in page and "RESIDENT_PAID_SAME_YEAR" in page


def test_the_rule_refusal_is_explained_and_nothing_submitted_in_english(english, resident):
    paid_as_resident(resident, 2026)

    response = english.post(
        form_url(CaseKind.FLEXIBLE_ENROLMENT), {"person": resident.pk, "start_date": "2026-03-01", "doc_id_card": pdf()}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "You have paid the resident premium for this year" in page and "EMP-3" in page
    assert 'value="2026-03-01"' in page
    assert not Case.objects.exists()


def test_a_flexible_worker_from_next_year_is_not_refused(web, resident):
    # EMP-3 says "you may enrol from next year"; 2027's policy is not configured yet, which is no refusal
    # (removed here whatever years profiles.json holds: the data file gains next year's profiles in autumn)
    PolicyProfile.objects.filter(coverage_year=2027).delete()
    paid_as_resident(resident, 2026)

    check = web.post(
        form_url(CaseKind.FLEXIBLE_ENROLMENT), {"person": resident.pk, "start_date": "2027-01-01", "check": "1"}
    ).content.decode()
    response = web.post(form_url(CaseKind.FLEXIBLE_ENROLMENT), {"person": resident.pk, "start_date": "2027-01-01"})

    assert 'class="notice notice-error"' not in check and "未配置2027年度" in check
    assert response.status_code == 302
    assert Case.objects.get(person=resident).state == CaseState.SUBMITTED


def test_check_first_shows_the_quote_and_writes_nothing(english, resident):
    response = english.post(
        form_url(CaseKind.FLEXIBLE_ENROLMENT), {"person": resident.pk, "start_date": "2026-03-01", "check": "1"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The rules accept this application today." in page and "¥" in page
    assert not Case.objects.exists()


def test_a_switch_into_the_scheme_already_held_is_refused_before_submitting(english, resident, nanchang):
    from tests.factories import EnrollmentFactory

    EnrollmentFactory(person=resident, region=nanchang, scheme="resident")
    response = english.post(
        form_url(CaseKind.SCHEME_SWITCH), {"person": resident.pk, "scheme": "resident", "start_date": "2026-04-01"}
    )

    assert response.status_code == 400
    assert "You are already enrolled in this scheme" in response.content.decode()
    assert not Case.objects.exists()


# --- the clerk's request for information and the answer ----------------------------------------


def submitted(web, resident):
    web.post(
        form_url(CaseKind.FLEXIBLE_ENROLMENT), {"person": resident.pk, "start_date": "2026-03-01", "doc_id_card": pdf()}
    )
    return Case.objects.get(person=resident)


def test_the_needs_information_round_trip(web, resident, clerk, monkeypatch):
    case = submitted(web, resident)
    cases.case_start_review(case=case, by=clerk)
    cases.case_request_information(case=case, by=clerk, reason="请上传社区出具的灵活就业登记证明")
    detail_url = reverse("portal:application_detail", kwargs={"case_id": case.pk})

    # the resident sees the request on the case, with an upload for each document of the checklist
    page = web.get(detail_url).content.decode()
    assert "请上传社区出具的灵活就业登记证明" in page and 'name="doc_flexible_employment_registration"' in page

    # two working days later the resident answers with a message and the missing scan
    later = datetime.datetime(2026, 3, 4, 9, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: later.astimezone(datetime.UTC))
    web.force_login(resident.user)  # signs in again: a session lasts at most SESSION_COOKIE_AGE (8 hours)
    response = web.post(
        reverse("portal:application_answer", kwargs={"case_id": case.pk}),
        {"message": "已上传登记证明", "doc_flexible_employment_registration": pdf("登记.pdf")},
    )

    case.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == detail_url
    assert case.state == CaseState.IN_REVIEW and case.waiting_since is None
    assert case.due_on == D(2026, 3, 11)  # moved by the two working days spent waiting
    answer = case.transitions.order_by("-pk").first()
    assert (answer.action, answer.by, answer.reason) == ("resident_answer", resident.user, "已上传登记证明")
    assert case.documents.get(code="flexible_employment_registration").original_name == "登记.pdf"
    assert "已上传登记证明" in web.get(detail_url).content.decode()


def test_the_waiting_application_is_flagged_on_the_list(english, resident, clerk):
    case = submitted(english, resident)
    cases.case_request_information(case=case, by=clerk, reason="bring the card")

    page = english.get(reverse("portal:applications")).content.decode()

    assert f"Application #{case.pk}" in page and "needs information from you" in page


def test_an_empty_answer_is_refused(english, resident, clerk):
    case = submitted(english, resident)
    cases.case_request_information(case=case, by=clerk, reason="bring the card")

    response = english.post(reverse("portal:application_answer", kwargs={"case_id": case.pk}), {"message": "  "})

    case.refresh_from_db()
    assert response.status_code == 400
    assert "Write an answer or attach at least one document." in response.content.decode()
    assert case.state == CaseState.NEEDS_INFORMATION


def test_an_answer_with_a_too_large_file_keeps_the_message(web, settings, resident, clerk):
    case = submitted(web, resident)
    cases.case_request_information(case=case, by=clerk, reason="bring the card")
    settings.CASE_DOCUMENT_MAX_BYTES = 16

    response = web.post(
        reverse("portal:application_answer", kwargs={"case_id": case.pk}),
        {"message": "这是我的回复", "doc_id_card": pdf()},
    )

    case.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 400 and "文件过大" in page and "这是我的回复" in page
    assert case.state == CaseState.NEEDS_INFORMATION


def test_an_answer_when_nothing_is_asked_is_refused(english, resident):
    case = submitted(english, resident)

    response = english.post(reverse("portal:application_answer", kwargs={"case_id": case.pk}), {"message": "hello"})

    case.refresh_from_db()
    assert response.status_code == 400
    assert "it is not waiting for an answer from you" in response.content.decode()
    assert case.state == CaseState.SUBMITTED


# --- the documents are served only to their owner ----------------------------------------------


def test_the_resident_downloads_their_own_scan_as_an_attachment(web, resident):
    case = submitted(web, resident)
    document = case.documents.get(code="id_card")

    response = web.get(reverse("portal:application_document", kwargs={"case_id": case.pk, "document_id": document.pk}))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert not str(settings.CASE_DOCUMENT_ROOT).startswith(str(settings.STATIC_ROOT))


def test_another_residents_case_is_404_on_every_application_url(web, resident, other_resident, policies):
    # given another resident's application with a scan
    other = Client()
    other.force_login(other_resident.user)
    theirs = submitted(other, other_resident)
    cases.case_request_information(
        case=theirs, by=UserFactory(username="root", is_superuser=True, is_staff=True), reason="x"
    )
    document = theirs.documents.get(code="id_card")
    ids = {"case_id": theirs.pk}

    # when the resident tries its ids, then nothing answers
    assert web.get(reverse("portal:application_detail", kwargs=ids)).status_code == 404
    assert web.get(reverse("portal:application_answer", kwargs=ids)).status_code == 404
    assert web.post(reverse("portal:application_answer", kwargs=ids), {"message": "mine"}).status_code == 404
    download = reverse("portal:application_document", kwargs={**ids, "document_id": document.pk})
    assert web.get(download).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == CaseState.NEEDS_INFORMATION
    assert f"#{theirs.pk}" not in web.get(reverse("portal:applications")).content.decode()


def test_a_document_of_my_case_under_another_case_id_is_404(web, resident, other_resident):
    mine = submitted(web, resident)
    other = Client()
    other.force_login(other_resident.user)
    theirs = submitted(other, other_resident)

    url = reverse(
        "portal:application_document",
        kwargs={"case_id": mine.pk, "document_id": theirs.documents.get(code="id_card").pk},
    )
    assert web.get(url).status_code == 404


# --- CSRF and the services themselves ----------------------------------------------------------


def test_csrf_is_enforced_on_every_application_form(resident, clerk, policies):
    case = cases.case_apply(
        person=resident,
        kind=CaseKind.FLEXIBLE_ENROLMENT,
        details={"start_date": "2026-03-01"},
        by=resident.user,
        uploads={},
    )
    cases.case_request_information(case=case, by=clerk, reason="bring the card")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(resident.user)

    new = strict.post(
        form_url(CaseKind.BACK_PAYMENT), {"person": resident.pk, "cover_from": "2025-10", "cover_to": "2025-12"}
    )
    answer = strict.post(reverse("portal:application_answer", kwargs={"case_id": case.pk}), {"message": "hi"})

    assert new.status_code == 403 and answer.status_code == 403
    case.refresh_from_db()
    assert case.state == CaseState.NEEDS_INFORMATION
    assert not Case.objects.filter(kind=CaseKind.BACK_PAYMENT).exists()
    form_page = strict.get(form_url(CaseKind.BACK_PAYMENT)).content.decode()
    assert form_page.count('name="csrfmiddlewaretoken"') >= 2  # the application form and the language switch


def test_case_apply_refuses_a_person_the_account_may_not_act_for(resident, other_resident, policies):
    with translation.override("en"), pytest.raises(ValidationError, match="only apply for yourself"):
        cases.case_apply(
            person=other_resident,
            kind=CaseKind.FLEXIBLE_ENROLMENT,
            details={"start_date": "2026-03-01"},
            by=resident.user,
            uploads={},
        )
    assert not Case.objects.exists()


def test_a_refused_application_leaves_no_file_behind(resident, policies, private_root):
    details = {"start_date": "2026-03-01"}
    cases.case_apply(person=resident, kind=CaseKind.FLEXIBLE_ENROLMENT, details=details, by=resident.user, uploads={})

    with translation.override("en"), pytest.raises(ValidationError, match="already has an open case"):
        cases.case_apply(
            person=resident,
            kind=CaseKind.FLEXIBLE_ENROLMENT,
            details=details,
            by=resident.user,
            uploads={"id_card": pdf()},
        )
    assert Case.objects.count() == 1
    assert not [path for path in private_root.rglob("*") if path.is_file()]


def test_case_apply_refuses_a_scan_for_a_document_off_the_checklist(resident, policies, private_root):
    with translation.override("en"), pytest.raises(ValidationError, match="not on this application's checklist"):
        cases.case_apply(
            person=resident,
            kind=CaseKind.FLEXIBLE_ENROLMENT,
            details={"start_date": "2026-03-01"},
            by=resident.user,
            uploads={"id_card": pdf(), "birth_certificate": SimpleUploadedFile("b.png", PNG)},
        )
    assert not Case.objects.exists()
    assert not [path for path in private_root.rglob("*") if path.is_file()]


def test_case_answer_refuses_another_account(resident, other_resident, clerk, policies):
    case = cases.case_apply(
        person=resident,
        kind=CaseKind.FLEXIBLE_ENROLMENT,
        details={"start_date": "2026-03-01"},
        by=resident.user,
        uploads={},
    )
    cases.case_request_information(case=case, by=clerk, reason="bring the card")

    with translation.override("en"), pytest.raises(ValidationError, match="only apply for yourself"):
        cases.case_answer(case=case, by=other_resident.user, message="not mine", uploads={})
    case.refresh_from_db()
    assert case.state == CaseState.NEEDS_INFORMATION
