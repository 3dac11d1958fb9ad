"""Cases: the state machine, approvals through the register's services, checklists and uploads,
working-day deadlines and the region-scoped work queues."""

import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from enrollment import cases
from enrollment.models import (
    Case,
    CaseDocument,
    CaseKind,
    CaseState,
    CaseTransition,
    Enrollment,
    EnrollmentStatus,
    FamilyRelation,
    Person,
    PersonEvent,
    Scheme,
    WorkCalendarDay,
)
from enrollment.roles import CLERK, SUPERVISOR
from tests.factories import (
    CaseFactory,
    EnrollmentFactory,
    PersonFactory,
    StaffRegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CASE_PERMISSIONS = ["view_case", "add_case", "change_case"]


def grant(group, *codenames):
    group.permissions.add(*Permission.objects.filter(content_type__app_label="enrollment", codename__in=codenames))


@pytest.fixture(autouse=True)
def english():
    """The messages are matched in English here; the Chinese ones are checked on their own."""
    with translation.override("en"):
        yield


@pytest.fixture
def case_roles(roles):
    grant(roles[CLERK], *CASE_PERMISSIONS)
    grant(roles[SUPERVISOR], *CASE_PERMISSIONS, "approve_case")
    return roles


@pytest.fixture
def staff(case_roles, clerk):
    return clerk


@pytest.fixture
def supervisor(case_roles, nanchang):
    user = UserFactory(username="supervisor_nc", is_staff=True, groups=[case_roles[SUPERVISOR]])
    StaffRegionFactory(user=user, region=nanchang)
    return user


@pytest.fixture
def fz_clerk(case_roles, other_region_clerk):
    return other_region_clerk


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.CASE_DOCUMENT_ROOT = tmp_path / "private" / "case_documents"
    return settings.CASE_DOCUMENT_ROOT


def freeze(monkeypatch, moment: datetime.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(datetime.UTC))


@pytest.fixture
def monday(monkeypatch):
    """Monday 2 March 2026, 10:00 in Beijing."""
    freeze(monkeypatch, datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI))


def open_case(person, region, kind, details, by, **kwargs):
    return cases.case_open(person=person, region=region, kind=kind, details=details, by=by, **kwargs)


def verify_all(case, by):
    for document in case.documents.filter(required=True):
        cases.case_document_receive(document=document, by=by)
        cases.case_document_verify(document=document, by=by)


def to_review(case, by):
    cases.case_submit(case=case, by=by)
    cases.case_start_review(case=case, by=by)
    return case


def snapshot(case):
    case.refresh_from_db()
    return (
        case.state,
        case.decision_reason,
        case.outcome,
        case.transitions.count(),
        Enrollment.objects.count(),
        PersonEvent.objects.count(),
        list(Person.objects.order_by("pk").values_list("name", "phone", "id_number")),
    )


# --- the state machine -------------------------------------------------------------------------

ACTIONS = {
    "submit": lambda case, by: cases.case_submit(case=case, by=by),
    "start_review": lambda case, by: cases.case_start_review(case=case, by=by),
    "request_information": lambda case, by: cases.case_request_information(case=case, by=by, reason="bring the card"),
    "resume": lambda case, by: cases.case_resume(case=case, by=by),
    "approve": lambda case, by: cases.case_approve(case=case, by=by),
    "reject": lambda case, by: cases.case_reject(case=case, by=by, reason="not eligible"),
    "close": lambda case, by: cases.case_close(case=case, by=by, reason="resident withdrew"),
}
ALLOWED = {
    (CaseState.DRAFT, "submit"): CaseState.SUBMITTED,
    (CaseState.DRAFT, "close"): CaseState.CLOSED,
    (CaseState.SUBMITTED, "start_review"): CaseState.IN_REVIEW,
    (CaseState.SUBMITTED, "request_information"): CaseState.NEEDS_INFORMATION,
    (CaseState.SUBMITTED, "reject"): CaseState.REJECTED,
    (CaseState.SUBMITTED, "close"): CaseState.CLOSED,
    (CaseState.IN_REVIEW, "request_information"): CaseState.NEEDS_INFORMATION,
    (CaseState.IN_REVIEW, "approve"): CaseState.APPROVED,
    (CaseState.IN_REVIEW, "reject"): CaseState.REJECTED,
    (CaseState.IN_REVIEW, "close"): CaseState.CLOSED,
    (CaseState.NEEDS_INFORMATION, "resume"): CaseState.IN_REVIEW,
    (CaseState.NEEDS_INFORMATION, "reject"): CaseState.REJECTED,
    (CaseState.NEEDS_INFORMATION, "close"): CaseState.CLOSED,
    (CaseState.APPROVED, "close"): CaseState.CLOSED,
    (CaseState.REJECTED, "close"): CaseState.CLOSED,
}


def case_in_state(state, region):
    now = timezone.now()
    return CaseFactory(
        region=region,
        person=PersonFactory(household_region=region),
        state=state,
        submitted_at=None if state == CaseState.DRAFT else now,
        due_on=None if state == CaseState.DRAFT else D(2026, 3, 9),
        waiting_since=D(2026, 3, 2) if state == CaseState.NEEDS_INFORMATION else None,
        closed_at=now if state == CaseState.CLOSED else None,
        decision_reason="earlier reason" if state == CaseState.REJECTED else "",
    )


@pytest.mark.parametrize("state", CaseState.values)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_state_machine(state, action, supervisor, nanchang, monday):
    # given a case in `state` (a resident enrolment with nothing left to verify)
    case = case_in_state(state, nanchang)
    expected = ALLOWED.get((state, action))
    before = snapshot(case)
    if expected is None:
        # when / then: the move is refused with a message and nothing changes
        with pytest.raises(ValidationError) as info:
            ACTIONS[action](case, supervisor)
        assert info.value.messages[0]
        assert snapshot(case) == before
    else:
        ACTIONS[action](case, supervisor)
        case.refresh_from_db()
        assert case.state == expected
        move = case.transitions.get()
        assert (move.from_state, move.to_state, move.by) == (state, expected, supervisor)
        if action in ("request_information", "reject", "close") and state not in (
            CaseState.APPROVED,
            CaseState.REJECTED,
        ):
            assert move.reason


def test_every_move_of_the_table_is_offered_and_nothing_else(supervisor, nanchang, monday):
    for state in CaseState.values:
        case = case_in_state(state, nanchang)
        offered = {t.action for t in cases.transitions_available(case=case, user=supervisor)}
        offered = {"close" if a == "withdraw" else a for a in offered}
        assert offered == {action for (s, action) in ALLOWED if s == state}, state


def test_a_clerk_may_not_approve_or_reject(staff, nanchang, monday):
    case = case_in_state(CaseState.IN_REVIEW, nanchang)
    before = snapshot(case)
    with pytest.raises(ValidationError, match="supervisor"):
        cases.case_approve(case=case, by=staff)
    with pytest.raises(ValidationError, match="supervisor"):
        cases.case_reject(case=case, by=staff, reason="no")
    assert snapshot(case) == before
    assert "approve" not in {t.action for t in cases.transitions_available(case=case, user=staff)}


def test_rejecting_without_a_reason_is_refused_and_changes_nothing(supervisor, nanchang, monday):
    case = case_in_state(CaseState.IN_REVIEW, nanchang)
    before = snapshot(case)
    with pytest.raises(ValidationError, match="reason for the rejection"):
        cases.case_reject(case=case, by=supervisor, reason="   ")
    assert snapshot(case) == before


def test_the_refusal_is_in_chinese_for_a_chinese_clerk(supervisor, nanchang, monday):
    case = case_in_state(CaseState.IN_REVIEW, nanchang)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        cases.case_reject(case=case, by=supervisor, reason="")
    assert any("\u4e00" <= char <= "\u9fff" for char in " ".join(refused.value.messages))
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_REVIEW


def test_asking_for_information_needs_a_reason(supervisor, nanchang, monday):
    case = case_in_state(CaseState.IN_REVIEW, nanchang)
    with pytest.raises(ValidationError, match="must bring"):
        cases.case_request_information(case=case, by=supervisor, reason="")
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_REVIEW


def test_a_rejected_case_keeps_its_reason_in_the_database():
    with pytest.raises(Exception):  # noqa: B017 - the check constraint, whatever the driver's class
        CaseFactory(state=CaseState.REJECTED, submitted_at=timezone.now(), decision_reason="")


# --- approvals of each kind --------------------------------------------------------------------


def approve(case, clerk, supervisor):
    verify_all(case, clerk)
    to_review(case, clerk)
    return cases.case_approve(case=case, by=supervisor)


def test_resident_enrolment_creates_the_enrolment(staff, supervisor, nanchang, monday):
    person = PersonFactory(household_region=nanchang)
    case = open_case(person, nanchang, CaseKind.RESIDENT_ENROLMENT, {"start_date": "2026-01-01"}, staff)
    approve(case, staff, supervisor)
    enrollment = person.enrollments.get()
    assert (enrollment.scheme, enrollment.region, enrollment.start_date) == (Scheme.RESIDENT, nanchang, D(2026, 1, 1))
    assert case.state == CaseState.APPROVED and str(enrollment) in case.outcome


def test_flexible_enrolment_after_an_employee_stop_ends_the_unit_enrolment(staff, supervisor, nanchang, monday):
    person = PersonFactory(household_region=nanchang)
    unit = EnrollmentFactory(
        person=person,
        region=nanchang,
        scheme=Scheme.EMPLOYEE_UNIT,
        employer_name="洪都机械厂",
        start_date=D(2020, 1, 1),
    )
    case = open_case(
        person,
        nanchang,
        CaseKind.FLEXIBLE_ENROLMENT,
        {"start_date": "2026-03-01", "after_employee_stop": True},
        staff,
    )
    assert case.documents.filter(code="employee_stop_proof", required=True).exists()
    approve(case, staff, supervisor)
    unit.refresh_from_db()
    assert (unit.end_date, unit.status) == (D(2026, 2, 28), EnrollmentStatus.ENDED)
    flexible = person.enrollments.get(scheme=Scheme.EMPLOYEE_FLEXIBLE)
    assert flexible.start_date == D(2026, 3, 1) and flexible.end_date is None


def test_scheme_switch_ends_the_old_enrolment_and_creates_the_new(staff, supervisor, nanchang, monday):
    person = PersonFactory(household_region=nanchang)
    resident = EnrollmentFactory(person=person, region=nanchang, scheme=Scheme.RESIDENT, start_date=D(2019, 1, 1))
    details = {"scheme": Scheme.EMPLOYEE_UNIT, "start_date": "2026-04-01", "employer_name": "江铃汽车"}
    case = open_case(person, nanchang, CaseKind.SCHEME_SWITCH, details, staff)
    approve(case, staff, supervisor)
    resident.refresh_from_db()
    assert (resident.end_date, resident.status) == (D(2026, 3, 31), EnrollmentStatus.ENDED)
    unit = person.enrollments.get(scheme=Scheme.EMPLOYEE_UNIT)
    assert (unit.start_date, unit.employer_name) == (D(2026, 4, 1), "江铃汽车")


def test_transfer_in_ends_the_enrolment_of_the_other_region(staff, supervisor, nanchang, fuzhou, monday):
    person = PersonFactory(household_region=nanchang)
    old = EnrollmentFactory(person=person, region=fuzhou, scheme=Scheme.EMPLOYEE_FLEXIBLE, start_date=D(2022, 1, 1))
    details = {"scheme": Scheme.EMPLOYEE_FLEXIBLE, "start_date": "2026-03-01", "other_region": fuzhou.code}
    case = open_case(person, nanchang, CaseKind.TRANSFER_IN, details, staff)
    assert case.due_on is None
    approve(case, staff, supervisor)
    old.refresh_from_db()
    assert (old.end_date, old.status) == (D(2026, 2, 28), EnrollmentStatus.TRANSFERRED_OUT)
    new = person.enrollments.get(region=nanchang)
    assert new.start_date == D(2026, 3, 1) and "361000" in new.note


def test_transfer_out_starts_the_enrolment_in_the_receiving_region(staff, supervisor, nanchang, fuzhou, monday):
    person = PersonFactory(household_region=nanchang)
    here = EnrollmentFactory(person=person, region=nanchang, scheme=Scheme.RESIDENT, start_date=D(2021, 1, 1))
    details = {"scheme": Scheme.RESIDENT, "end_date": "2026-03-31", "other_region": fuzhou.code}
    case = open_case(person, nanchang, CaseKind.TRANSFER_OUT, details, staff)
    approve(case, staff, supervisor)
    here.refresh_from_db()
    assert (here.end_date, here.status) == (D(2026, 3, 31), EnrollmentStatus.TRANSFERRED_OUT)
    assert person.enrollments.get(region=fuzhou).start_date == D(2026, 4, 1)


def test_transfer_out_without_an_enrolment_here_is_refused(staff, supervisor, nanchang, fuzhou, monday):
    person = PersonFactory(household_region=nanchang)
    details = {"scheme": Scheme.RESIDENT, "end_date": "2026-03-31", "other_region": fuzhou.code}
    case = open_case(person, nanchang, CaseKind.TRANSFER_OUT, details, staff)
    verify_all(case, staff)
    to_review(case, staff)
    before = snapshot(case)
    with pytest.raises(ValidationError, match="no open enrolment"):
        cases.case_approve(case=case, by=supervisor)
    assert snapshot(case) == before


def test_special_group_records_the_event(staff, supervisor, nanchang, monday):
    person = PersonFactory(household_region=nanchang)
    details = {"group": "veteran_discharge", "event_date": "2026-01-15", "evidence": "退役证 2026-001"}
    case = open_case(person, nanchang, CaseKind.SPECIAL_GROUP, details, staff)
    assert set(case.documents.values_list("code", flat=True)) == {
        "id_card",
        "household_register",
        "discharge_certificate",
    }
    approve(case, staff, supervisor)
    event = person.events.get()
    assert (event.kind, event.date, event.recorded_by) == ("veteran_discharge", D(2026, 1, 15), supervisor)
    assert "退役证 2026-001" in event.evidence and f"#{case.pk}" in event.evidence


def test_newborn_is_enrolled_from_birth_with_the_parent(staff, supervisor, nanchang, monday):
    mother = PersonFactory(household_region=nanchang, born=D(1994, 5, 1))
    baby = PersonFactory(household_region=nanchang, born=D(2026, 1, 20))
    details = {"group": "newborn", "related_person": mother.pk}
    case = open_case(baby, nanchang, CaseKind.SPECIAL_GROUP, details, staff)
    assert case.documents.filter(code="birth_certificate").exists()
    assert not case.documents.filter(code="id_card").exists()
    approve(case, staff, supervisor)
    assert baby.enrollments.get().start_date == D(2026, 1, 20)
    assert FamilyRelation.objects.get(person=baby).relative == mother
    assert not PersonEvent.objects.exists()


def test_correction_changes_the_person_through_person_save(staff, supervisor, nanchang, monday):
    person = PersonFactory(household_region=nanchang, name="王晓明", phone="13800000000")
    case = open_case(person, nanchang, CaseKind.CORRECTION, {"new_name": "王小明", "new_phone": "13912345678"}, staff)
    approve(case, staff, supervisor)
    person.refresh_from_db()
    assert (person.name, person.phone) == ("王小明", "13912345678")
    assert "王晓明" in case.outcome


def test_a_correction_the_register_refuses_refuses_the_approval(staff, supervisor, nanchang, monday):
    person = PersonFactory(household_region=nanchang)
    other = PersonFactory(household_region=nanchang)
    case = open_case(person, nanchang, CaseKind.CORRECTION, {"new_id_number": other.id_number}, staff)
    verify_all(case, staff)
    to_review(case, staff)
    before = snapshot(case)
    with pytest.raises(ValidationError):
        cases.case_approve(case=case, by=supervisor)
    assert snapshot(case) == before


def test_a_back_payment_the_rules_refuse_cannot_be_approved(staff, supervisor, nanchang, policies, monday):
    # No earlier coverage: the rules have nothing to back-pay (BACKPAY_NOT_ALLOWED or similar).
    person = PersonFactory(household_region=nanchang)
    details = {"cover_from": "2025-01-01", "cover_to": "2025-06-01"}
    case = open_case(person, nanchang, CaseKind.BACK_PAYMENT, details, staff)
    quote = cases.case_quote(case=case, on=timezone.localdate())
    assert quote is not None and not quote.accepted
    verify_all(case, staff)
    to_review(case, staff)
    before = snapshot(case)
    with pytest.raises(ValidationError, match="refuse"):
        cases.case_approve(case=case, by=supervisor)
    assert snapshot(case) == before


def test_a_payment_case_links_the_recorded_payment(staff, supervisor, nanchang, policies, monday):
    from payments.models import Payment
    from payments.services import PaymentRequest, payment_record

    person = PersonFactory(household_region=nanchang)
    payment = payment_record(
        person=person,
        request=PaymentRequest.resident_year(2025),
        channel="tax_wechat",
        reference="WX-2024-1101",
        amount=Decimal("400.00"),
        paid_at=datetime.datetime(2024, 11, 1, 10, tzinfo=SHANGHAI),
    ).payment
    details = {"year": 2026, "repair_years": 1, "payment_channel": "tax_wechat", "payment_reference": "WX-NOPE"}
    case = open_case(person, nanchang, CaseKind.REPAIR_PAYMENT, details, staff)
    verify_all(case, staff)
    to_review(case, staff)
    with pytest.raises(ValidationError, match="record it first"):
        cases.case_approve(case=case, by=supervisor)
    cases.case_update(case=case, details={**details, "payment_reference": "WX-2024-1101"}, by=staff)
    cases.case_approve(case=case, by=supervisor)
    case.refresh_from_db()
    assert case.details["payment_id"] == payment.pk
    assert Payment.objects.count() == 1  # approval itself records no money


def test_approving_with_a_required_document_missing_is_refused(staff, supervisor, nanchang, monday):
    person = PersonFactory(household_region=nanchang)
    case = open_case(person, nanchang, CaseKind.RESIDENT_ENROLMENT, {"start_date": "2026-01-01"}, staff)
    verify_all(case, staff)
    photos = case.documents.get(code="photos")
    cases.case_document_verify(document=photos, by=staff, verified=False)
    to_review(case, staff)
    before = snapshot(case)
    with pytest.raises(ValidationError, match="not verified yet") as info:
        cases.case_approve(case=case, by=supervisor)
    assert "photos" in info.value.messages[0]
    assert snapshot(case) == before


def test_editing_a_closed_case_is_refused(staff, supervisor, nanchang, monday):
    person = PersonFactory(household_region=nanchang)
    case = open_case(person, nanchang, CaseKind.RESIDENT_ENROLMENT, {"start_date": "2026-01-01"}, staff)
    cases.case_close(case=case, by=staff, reason="resident moved away")
    document = case.documents.first()
    before = snapshot(case)
    with pytest.raises(ValidationError, match="closed"):
        cases.case_update(case=case, details={"start_date": "2026-02-01"}, by=staff)
    with pytest.raises(ValidationError, match="closed"):
        cases.case_document_receive(document=document, by=staff)
    with pytest.raises(ValidationError, match="closed"):
        cases.case_assign(case=case, assignee=supervisor, by=staff)
    assert snapshot(case) == before
    case.refresh_from_db()
    assert case.details == {"start_date": "2026-01-01"}
    assert not CaseDocument.objects.filter(case=case, received=True).exists()


def test_an_approved_case_cannot_be_edited_either(staff, supervisor, nanchang, monday):
    person = PersonFactory(household_region=nanchang)
    case = open_case(person, nanchang, CaseKind.RESIDENT_ENROLMENT, {"start_date": "2026-01-01"}, staff)
    approve(case, staff, supervisor)
    with pytest.raises(ValidationError, match="no longer be changed"):
        cases.case_update(case=case, details={"start_date": "2026-02-01"}, by=staff)


# --- opening: details and checklist --------------------------------------------------------------


def test_details_are_checked_per_kind(staff, nanchang, fuzhou):
    person = PersonFactory(household_region=nanchang)
    with pytest.raises(ValidationError) as info:
        open_case(person, nanchang, CaseKind.TRANSFER_IN, {"scheme": "resident"}, staff)
    assert set(info.value.message_dict) == {"start_date", "other_region"}
    with pytest.raises(ValidationError) as info:
        open_case(person, nanchang, CaseKind.CORRECTION, {"new_phone": "12345"}, staff)
    assert "new_phone" in info.value.message_dict
    assert not Case.objects.exists()


def test_one_open_case_per_person_and_kind(staff, nanchang):
    person = PersonFactory(household_region=nanchang)
    open_case(person, nanchang, CaseKind.RESIDENT_ENROLMENT, {"start_date": "2026-01-01"}, staff)
    with pytest.raises(ValidationError, match="already has an open case"):
        open_case(person, nanchang, CaseKind.RESIDENT_ENROLMENT, {"start_date": "2026-01-01"}, staff)


def test_conditional_documents_follow_the_details(staff, nanchang):
    person = PersonFactory(household_region=nanchang)
    case = open_case(person, nanchang, CaseKind.RESIDENT_ENROLMENT, {"start_date": "2026-01-01"}, staff)
    codes = set(case.documents.values_list("code", flat=True))
    assert {"id_card", "household_register", "photos", "family_insurance_proof"} == codes
    assert not case.documents.get(code="family_insurance_proof").required
    cases.case_update(
        case=case, details={"start_date": "2026-01-01", "low_income": True, "migrant_worker_child": True}, by=staff
    )
    codes = set(case.documents.values_list("code", flat=True))
    assert {"low_income_certificate", "parents_work_proof", "parents_labour_relation"} <= codes
    # received documents stay (as optional) when the details no longer call for them
    cases.case_document_receive(document=case.documents.get(code="parents_work_proof"), by=staff)
    cases.case_update(case=case, details={"start_date": "2026-01-01"}, by=staff)
    assert not case.documents.get(code="parents_work_proof").required
    assert not case.documents.filter(code="low_income_certificate").exists()


def test_a_clerk_cannot_open_a_case_in_another_region(fz_clerk, nanchang):
    person = PersonFactory(household_region=nanchang)
    with pytest.raises(ValidationError):
        open_case(person, nanchang, CaseKind.RESIDENT_ENROLMENT, {"start_date": "2026-01-01"}, fz_clerk)
    assert not Case.objects.exists()


def test_verifying_needs_receiving_first(staff, nanchang):
    person = PersonFactory(household_region=nanchang)
    case = open_case(person, nanchang, CaseKind.REPAIR_PAYMENT, {"year": 2026, "repair_years": 1}, staff)
    document = case.documents.get()
    with pytest.raises(ValidationError, match="received before"):
        cases.case_document_verify(document=document, by=staff)
    document.refresh_from_db()
    assert not document.verified
    cases.case_document_receive(document=document, by=staff)
    cases.case_document_verify(document=document, by=staff)
    cases.case_document_receive(document=document, by=staff, received=False)
    document.refresh_from_db()
    assert (document.received, document.verified, document.verified_by) == (False, False, None)


# --- uploads -----------------------------------------------------------------------------------


@pytest.fixture
def document(staff, nanchang):
    person = PersonFactory(household_region=nanchang)
    case = open_case(person, nanchang, CaseKind.REPAIR_PAYMENT, {"year": 2026, "repair_years": 1}, staff)
    return case.documents.get()


def test_an_upload_is_stored_outside_the_web_roots(staff, document, private_root):
    cases.case_document_upload(document=document, upload=SimpleUploadedFile("身份证.pdf", PDF), by=staff)
    document.refresh_from_db()
    stored = Path(document.file.path).resolve()
    assert stored.is_relative_to(Path(private_root).resolve())
    for web_root in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
        assert not stored.is_relative_to(Path(web_root).resolve())
    assert stored.read_bytes() == PDF
    assert "身份证" not in stored.name and stored.suffix == ".pdf"
    assert (document.original_name, document.content_type, document.size) == ("身份证.pdf", "application/pdf", len(PDF))
    assert document.received and document.uploaded_by == staff


def test_the_type_is_read_from_the_content_not_the_name(staff, document):
    cases.case_document_upload(document=document, upload=SimpleUploadedFile("scan.pdf", PNG), by=staff)
    document.refresh_from_db()
    assert document.content_type == "image/png" and document.file.name.endswith(".png")


@pytest.mark.parametrize("content", [b"MZ\x90\x00 an executable renamed", b"<html>not a scan</html>", b""])
def test_a_file_that_is_not_pdf_jpeg_or_png_is_refused(staff, document, private_root, content):
    with pytest.raises(ValidationError) as info:
        cases.case_document_upload(document=document, upload=SimpleUploadedFile("scan.pdf", content), by=staff)
    assert info.value.messages[0]
    document.refresh_from_db()
    assert not document.file and not document.received
    assert not Path(private_root).exists() or not any(Path(private_root).rglob("*.*"))


def test_a_file_over_the_limit_is_refused(staff, document, settings, private_root):
    settings.CASE_DOCUMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="too large"):
        cases.case_document_upload(document=document, upload=SimpleUploadedFile("big.pdf", PDF + b"0" * 1024), by=staff)
    document.refresh_from_db()
    assert not document.file and not document.received


def test_a_replaced_scan_must_be_verified_again(staff, document):
    cases.case_document_upload(document=document, upload=SimpleUploadedFile("a.pdf", PDF), by=staff)
    cases.case_document_verify(document=document, by=staff)
    cases.case_document_upload(document=document, upload=SimpleUploadedFile("b.png", PNG), by=staff)
    document.refresh_from_db()
    assert document.received and not document.verified and document.content_type == "image/png"


# --- deadlines ---------------------------------------------------------------------------------


def test_the_deadline_counts_working_days_across_a_holiday_week_and_a_make_up_saturday(staff, nanchang, monkeypatch):
    # given a transfer submitted on Friday 18 September 2026 (make-up Sunday 20 September, the
    # Mid-Autumn Festival 25-27 September and National Day 1-7 October in between)
    freeze(monkeypatch, datetime.datetime(2026, 9, 18, 16, tzinfo=SHANGHAI))
    person = PersonFactory(household_region=nanchang)
    details = {"scheme": Scheme.RESIDENT, "start_date": "2026-10-01", "other_region": "361000"}
    case = open_case(person, nanchang, CaseKind.TRANSFER_IN, details, staff)
    # when
    cases.case_submit(case=case, by=staff)
    # then: 10 working days later
    assert case.due_on == D(2026, 10, 9)
    assert not case.is_overdue(D(2026, 10, 9))
    assert case.is_overdue(D(2026, 10, 10))


def test_an_administrator_added_holiday_moves_the_deadline(staff, nanchang, monkeypatch):
    freeze(monkeypatch, datetime.datetime(2027, 3, 1, 9, tzinfo=SHANGHAI))  # a Monday, no 2027 data yet
    WorkCalendarDay.objects.create(date=D(2027, 3, 3), is_working_day=False, name="test", source="test")
    person = PersonFactory(household_region=nanchang)
    case = open_case(person, nanchang, CaseKind.RESIDENT_ENROLMENT, {"start_date": "2027-01-01"}, staff)
    cases.case_submit(case=case, by=staff)
    assert case.due_on == D(2027, 3, 9)  # 5 working days, Wednesday 3 March off


def test_waiting_for_the_resident_pauses_the_deadline(staff, nanchang, monkeypatch):
    freeze(monkeypatch, datetime.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI))
    person = PersonFactory(household_region=nanchang)
    case = open_case(person, nanchang, CaseKind.RESIDENT_ENROLMENT, {"start_date": "2026-01-01"}, staff)
    to_review(case, staff)
    assert case.due_on == D(2026, 3, 9)
    cases.case_request_information(case=case, by=staff, reason="bring the household register")
    assert not case.is_overdue(D(2026, 3, 20))  # waiting: not overdue
    freeze(monkeypatch, datetime.datetime(2026, 3, 5, 9, tzinfo=SHANGHAI))  # 3 working days later
    cases.case_resume(case=case, by=staff)
    assert case.due_on == D(2026, 3, 12)
    assert case.waiting_since is None


# --- queues ------------------------------------------------------------------------------------


def test_queues_are_scoped_by_region(staff, fz_clerk, supervisor, nanchang, fuzhou, monkeypatch):
    freeze(monkeypatch, datetime.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI))
    mine = open_case(
        PersonFactory(household_region=nanchang),
        nanchang,
        CaseKind.RESIDENT_ENROLMENT,
        {"start_date": "2026-01-01"},
        staff,
    )
    cases.case_submit(case=mine, by=staff)
    unassigned = open_case(
        PersonFactory(household_region=nanchang),
        nanchang,
        CaseKind.CORRECTION,
        {"new_name": "李四"},
        staff,
        assign=False,
    )
    cases.case_submit(case=unassigned, by=staff)
    waiting = open_case(
        PersonFactory(household_region=nanchang),
        nanchang,
        CaseKind.REPAIR_PAYMENT,
        {"year": 2026, "repair_years": 1},
        staff,
    )
    to_review(waiting, staff)
    cases.case_request_information(case=waiting, by=staff, reason="bring the ID card")
    elsewhere = open_case(
        PersonFactory(household_region=fuzhou),
        fuzhou,
        CaseKind.RESIDENT_ENROLMENT,
        {"start_date": "2026-01-01"},
        fz_clerk,
        assign=False,
    )
    cases.case_submit(case=elsewhere, by=fz_clerk)

    late = D(2026, 3, 20)
    assert set(cases.cases_my_open(user=staff)) == {mine, waiting}
    assert set(cases.cases_unassigned(user=staff)) == {unassigned}
    assert set(cases.cases_overdue(user=staff, as_of=late)) == {mine, unassigned}
    assert set(cases.cases_overdue(user=staff, as_of=D(2026, 3, 2))) == set()
    assert set(cases.cases_waiting_for_resident(user=staff)) == {waiting}
    # the other region's clerk sees only their own
    assert set(cases.cases_unassigned(user=fz_clerk)) == {elsewhere}
    assert set(cases.cases_overdue(user=fz_clerk, as_of=late)) == {elsewhere}
    assert set(cases.cases_waiting_for_resident(user=fz_clerk)) == set()


def test_assignment_only_to_staff_of_the_region(staff, fz_clerk, supervisor, nanchang):
    case = open_case(
        PersonFactory(household_region=nanchang),
        nanchang,
        CaseKind.RESIDENT_ENROLMENT,
        {"start_date": "2026-01-01"},
        staff,
    )
    with pytest.raises(ValidationError, match="does not serve"):
        cases.case_assign(case=case, assignee=fz_clerk, by=staff)
    cases.case_assign(case=case, assignee=supervisor, by=staff, reason="holiday cover")
    case.refresh_from_db()
    assert case.assigned_to == supervisor
    move = CaseTransition.objects.filter(case=case, action="assign").get()
    assert "holiday cover" in move.reason and move.by == staff
    with pytest.raises(ValidationError, match="region you do not serve"):
        cases.case_assign(case=case, assignee=fz_clerk, by=fz_clerk)
