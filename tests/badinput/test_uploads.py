"""Hostile files as case documents (portal and admin) and as payment import files: a renamed
executable, a zip bomb, an oversized or empty file, binary garbage, a wrong encoding, a CSV of
1,000,001 rows or one 50 MB line. Each is refused with a clear message and leaves nothing stored
(no row, no file on disk), never a 500. Scans are served only through permission-checked views."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from enrollment import cases
from enrollment.models import Case, CaseDocument, CaseKind
from payments import imports
from payments.imports import ImportFileError, payment_file_read, payments_import
from payments.models import ImportBatch, Payment
from tests.badinput.conftest import assert_refused_on_the_form, page, staff_client
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x90" * 200
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
HEADER = "身份证号,姓名,险种,所属期,金额,缴费渠道,交易流水号,缴费时间\n"


def zip_bomb(*, member: str = "xl/sharedStrings.xml", expanded_mb: int = 120) -> bytes:
    """A few hundred kB that a zip reader would inflate to `expanded_mb` MB of zeros."""
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    with archive, archive.open(member, "w", force_zip64=True) as stream:
        chunk = b"\x00" * (1024 * 1024)
        for _ in range(expanded_mb):
            stream.write(chunk)
    return buffer.getvalue()


BOMB = zip_bomb()

# What a resident or a clerk could attach instead of a scan: (id, file name, content, client content type).
NOT_SCANS = [
    ("elf_as_pdf", "scan.pdf", ELF, "application/pdf"),
    ("elf_as_jpg", "scan.jpg", ELF, "image/jpeg"),
    ("exe_as_png", "scan.png", WINDOWS_EXE, "image/png"),
    ("zip_bomb_as_pdf", "scan.pdf", BOMB, "application/pdf"),
    ("html_as_pdf", "scan.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
    ("pdf_header_late", "scan.pdf", b"   " + PDF, "application/pdf"),
    ("empty", "scan.pdf", b"", "application/pdf"),
]


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- portal application scans ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "content_type"), [n[1:] for n in NOT_SCANS], ids=[n[0] for n in NOT_SCANS])
def test_the_portal_refuses_a_file_that_is_no_scan_and_opens_no_case(
    resident_web, resident, private_root, name, content, content_type
):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    data = {"person": resident.pk, "start_date": "2026-03-01", "doc_id_card": upload}

    response = resident_web.post(reverse("portal:application_form", kwargs={"kind": CaseKind.FLEXIBLE_ENROLMENT}), data)

    body = assert_refused_on_the_form(response)
    # Either the browser sent no file at all (empty), or the type check answered.
    assert "Only PDF, JPEG and PNG files are accepted" in body or "The submitted file is empty." in body
    assert Case.objects.count() == 0
    assert stored_files(private_root) == []


def test_the_portal_refuses_a_scan_over_the_limit(resident_web, resident, private_root, settings):
    settings.CASE_DOCUMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("scan.pdf", PDF + b"0" * 2048, content_type="application/pdf")

    response = resident_web.post(
        reverse("portal:application_form", kwargs={"kind": CaseKind.FLEXIBLE_ENROLMENT}),
        {"person": resident.pk, "start_date": "2026-03-01", "doc_id_card": upload},
    )

    assert_refused_on_the_form(response, field_message="The file is too large")
    assert Case.objects.count() == 0
    assert stored_files(private_root) == []


# --- admin case documents ----------------------------------------------------------------------


@pytest.fixture
def case(clerk, nanchang):
    person = PersonFactory(household_region=nanchang)
    return cases.case_open(
        person=person, region=nanchang, kind=CaseKind.RESIDENT_ENROLMENT, details={"start_date": "2026-01-01"}, by=clerk
    )


def checklist_post(case, uploads):
    data = {"start_date": "2026-01-01", "transitions-TOTAL_FORMS": "0", "transitions-INITIAL_FORMS": "0"}
    documents = list(case.documents.order_by("id"))
    data.update({"documents-TOTAL_FORMS": str(len(documents)), "documents-INITIAL_FORMS": str(len(documents))})
    for i, document in enumerate(documents):
        data[f"documents-{i}-id"] = str(document.pk)
        data[f"documents-{i}-case"] = str(case.pk)
        if document.code in uploads:
            data[f"documents-{i}-upload"] = uploads[document.code]
    return data


@pytest.mark.parametrize(("name", "content", "content_type"), [n[1:] for n in NOT_SCANS], ids=[n[0] for n in NOT_SCANS])
def test_the_case_screen_refuses_a_file_that_is_no_scan(clerk, case, private_root, name, content, content_type):
    upload = SimpleUploadedFile(name, content, content_type=content_type)

    response = staff_client(clerk).post(
        reverse("admin:enrollment_case_change", args=[case.pk]), checklist_post(case, {"id_card": upload})
    )

    assert_refused_on_the_form(response)
    assert not CaseDocument.objects.filter(case=case).exclude(file="").exists()
    assert stored_files(private_root) == []


@pytest.mark.parametrize(("name", "content", "content_type"), [n[1:] for n in NOT_SCANS], ids=[n[0] for n in NOT_SCANS])
def test_the_upload_service_checks_the_content_not_the_name(clerk, case, name, content, content_type):
    document = case.documents.get(code="id_card")
    with pytest.raises(Exception) as refused:
        cases.case_document_upload(document=document, upload=SimpleUploadedFile(name, content, content_type), by=clerk)
    assert type(refused.value).__name__ == "ValidationError"
    document.refresh_from_db()
    assert not document.file and not document.received


# --- who may fetch a scan ------------------------------------------------------------------------


def test_a_scan_is_served_only_to_its_resident_and_the_clerks_of_its_region(
    resident_web, resident, other_resident, other_region_clerk, clerk, policies
):
    # given the resident's application with a scan
    resident_web.post(
        reverse("portal:application_form", kwargs={"kind": CaseKind.FLEXIBLE_ENROLMENT}),
        {"person": resident.pk, "start_date": "2026-03-01", "doc_id_card": SimpleUploadedFile("id.pdf", PDF)},
    )
    case = Case.objects.get()
    document = case.documents.get(code="id_card")
    portal_url = reverse("portal:application_document", kwargs={"case_id": case.pk, "document_id": document.pk})
    admin_url = reverse("admin:enrollment_case_document_download", args=[case.pk, document.pk])
    other = Client()
    other.force_login(other_resident.user)

    # then the owner and the region's clerk get the file, nobody else does
    assert resident_web.get(portal_url).status_code == 200
    assert staff_client(clerk).get(admin_url).status_code == 200
    refused = {
        "other resident, portal": other.get(portal_url),
        "other resident, admin": other.get(admin_url),
        "anonymous, portal": Client().get(portal_url),
        "anonymous, admin": Client().get(admin_url),
        "other region's clerk, admin": staff_client(other_region_clerk).get(admin_url),
        "other region's clerk, portal": staff_client(other_region_clerk).get(portal_url),
    }
    for who, response in refused.items():
        assert response.status_code in (302, 403, 404), who
        assert not getattr(response, "streaming", False) and PDF not in response.content, who
        if response.status_code == 302:
            assert "login" in response["Location"], who


def test_no_url_serves_the_media_or_the_scans_folder(settings):
    for path in ("/media/x.pdf", f"/{settings.MEDIA_URL.strip('/')}/case_documents/x.pdf", "/var/case_documents/x"):
        with pytest.raises(Resolver404):
            resolve(path)
    storage = CaseDocument._meta.get_field("file").storage
    assert storage.base_url is None or not str(storage.base_url).strip("/"), "scans must have no public URL"
    assert not str(settings.CASE_DOCUMENT_ROOT).startswith(str(settings.STATIC_ROOT))


# --- payment import files ------------------------------------------------------------------------


def refused_message(content: bytes) -> str:
    with translation.override("en"), pytest.raises(ImportFileError) as refused:
        payment_file_read(content=content)
    return str(refused.value)


def test_an_xlsx_zip_bomb_is_refused_from_the_central_directory():
    assert len(BOMB) < 1024 * 1024  # small on the wire

    message = refused_message(BOMB)

    assert "would expand to 120 MB" in message and "at most 100 MB" in message


def test_an_xlsx_of_too_many_parts_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(imports.MAX_XLSX_MEMBERS + 1):
            archive.writestr(f"xl/part{index}.xml", b"")

    assert "parts" in refused_message(buffer.getvalue())


def test_an_xlsx_declaring_a_huge_sheet_is_refused_before_reading_it():
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["身份证号"])
    sheet.cell(row=imports.MAX_DATA_ROWS + 100, column=2000, value="x")  # a far corner: the declared size
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert "The sheet is declared as" in refused_message(buffer.getvalue())


def test_a_csv_of_1_000_001_rows_is_refused_with_the_limit():
    content = (HEADER + "\n" * 1_000_001).encode()

    assert refused_message(content) == "The file has more than 1,000,000 rows; split it into smaller files."


def test_a_csv_with_a_50_mb_line_is_refused_before_it_is_split_into_cells():
    content = (HEADER + "," * (50 * 1024 * 1024)).encode()

    message = refused_message(content)

    assert message == "A line of the file is longer than 10,000 characters; this is not a payment file."


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (ELF, "not a CSV or XLSX file"),
        (WINDOWS_EXE, "neither UTF-8 nor GB18030"),
        (bytes(range(256)) * 4, "neither UTF-8 nor GB18030"),
        (PDF, "No header row"),
        (b"PK\x03\x04garbage", "cannot be opened"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Old Excel files"),
        (b"   \n\t\r\n", "The file is empty."),
        (b"<script>alert(1)</script>\n", "No header row"),
    ],
    ids=["elf", "exe", "binary", "pdf", "broken_zip", "xls", "blank", "script"],
)
def test_a_file_that_is_no_payment_file_is_refused_with_a_clear_message(content, words):
    assert words in refused_message(content)


def test_a_gbk_file_from_the_channels_is_read():
    # given the tax bureau's file in GBK (GB18030 reads it: GBK is its two-byte subset)
    line = "360102199003071236,王小明,城乡居民医保,2026,400.00,税务微信,WX-GBK-1,2025-11-03 10:15:00\n"
    parsed = payment_file_read(content=(HEADER + line).encode("gbk"))

    assert parsed.encoding == "gb18030"
    assert parsed.rows[0].values["name"] == "王小明"


def test_an_xlsx_that_is_really_a_csv_is_read_as_the_csv_it_is(nanchang, policies):
    line = "360102199003071236,王小明,城乡居民医保,2026,400.00,税务微信,WX-1,2025-11-03 10:15:00\n"
    batch = payments_import(content=(HEADER + line).encode(), file_name="daily.xlsx", dry_run=True)

    assert batch.file_format == "csv" and batch.rows == 1


@pytest.fixture
def importer(clerk):
    return staff_client(clerk)


IMPORT_UPLOADS = [
    ("zip_bomb", "daily.xlsx", BOMB, "would expand to"),
    ("elf_as_csv", "daily.csv", ELF, "not a CSV or XLSX file"),
    ("exe_as_xlsx", "daily.xlsx", WINDOWS_EXE, "neither UTF-8 nor GB18030"),
    ("empty", "daily.csv", b"", "The submitted file is empty."),
    ("exe_name", "daily.exe", b"a,b\n", "Only CSV and XLSX files can be imported."),
    ("script_name", "<script>alert(1)</script>.csv", b"\xff\xfe\x00garbage", "neither UTF-8 nor GB18030"),
]


@pytest.mark.parametrize(
    ("name", "content", "words"), [u[1:] for u in IMPORT_UPLOADS], ids=[u[0] for u in IMPORT_UPLOADS]
)
def test_the_import_screen_refuses_a_hostile_file_and_records_no_batch(importer, name, content, words):
    response = importer.post(reverse("admin:payments_importbatch_upload"), {"file": SimpleUploadedFile(name, content)})

    body = assert_refused_on_the_form(response)
    assert words in body.replace("&quot;", '"').replace("&#x27;", "'")
    assert "<script>alert(1)</script>" not in body
    assert ImportBatch.objects.count() == 0 and Payment.objects.count() == 0


def test_the_import_screen_refuses_a_file_over_its_size_limit(importer, monkeypatch):
    from payments import admin_imports

    monkeypatch.setattr(admin_imports, "MAX_UPLOAD_BYTES", 1024)
    upload = SimpleUploadedFile("daily.csv", (HEADER + "x" * 2048).encode())

    response = importer.post(reverse("admin:payments_importbatch_upload"), {"file": upload})

    assert_refused_on_the_form(response, field_message="The file is larger than")
    assert ImportBatch.objects.count() == 0
    assert page(response)
