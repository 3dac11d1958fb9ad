"""The clerk's import screens: upload → dry-run preview → confirm → list → report download."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payments import admin_imports
from payments.models import ImportBatch, LedgerEntry, Payment
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
HEADER = ["身份证号", "姓名", "险种", "所属期", "金额", "缴费渠道", "交易流水号", "缴费时间"]


@pytest.fixture
def importing_clerk(clerk):
    clerk.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="payments", codename__in=["import_payments", "view_importbatch"]
        )
    )
    return clerk


@pytest.fixture
def clerk_client(client, importing_clerk):
    client.force_login(importing_clerk)
    return client


@pytest.fixture
def daily_file(nanchang, policies):
    person = PersonFactory(household_region=nanchang, name="王芳")
    LedgerEntry.objects.create(
        person=person, region=nanchang, scheme="resident", period="2025-01-01", paid_on="2024-11-01"
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerow([person.id_number, "王芳", "城乡居民医保", "2026", "400.00", "微信", "ADM-1", "2025-11-10 10:00"])
    writer.writerow([person.id_number, "王芳", "城乡居民医保", "2026", "400.00", "现金", "ADM-2", "2025-11-10 10:00"])
    return SimpleUploadedFile("daily.csv", out.getvalue().encode("gb18030"), content_type="text/csv")


def test_upload_preview_confirm_and_download_the_report(clerk_client, daily_file, importing_clerk):
    # upload: a dry run, nothing recorded
    response = clerk_client.post(reverse("admin:payments_importbatch_upload"), {"file": daily_file})
    preview = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:payments_importbatch_preview", args=[preview.pk])
    assert preview.dry_run and preview.uploaded_by == importing_clerk
    assert not Payment.objects.exists()

    # the preview: counts and every row's outcome, with a confirm button
    page = clerk_client.get(response["Location"]).content.decode()
    assert 'id="count-accepted">1<' in page and 'id="count-rejected">1<' in page
    assert "UNKNOWN_CHANNEL" in page and "未知的缴费渠道" in page
    assert "import_confirm_form" in page

    # confirm: the previewed content is imported
    response = clerk_client.post(reverse("admin:payments_importbatch_confirm", args=[preview.pk]))
    imported = ImportBatch.objects.get(dry_run=False)
    assert response["Location"] == reverse("admin:payments_importbatch_preview", args=[imported.pk])
    assert imported.confirms == preview and imported.sha256 == preview.sha256
    assert (imported.accepted, imported.rejected) == (1, 1)
    payment = Payment.objects.get()
    assert payment.reference == "ADM-1" and payment.recorded_by == importing_clerk
    assert payment.history.get().history_user == importing_clerk

    # the preview cannot be confirmed twice
    assert "import_confirm_form" not in clerk_client.get(response["Location"]).content.decode()
    clerk_client.post(reverse("admin:payments_importbatch_confirm", args=[preview.pk]))
    assert ImportBatch.objects.filter(dry_run=False).count() == 1 and Payment.objects.count() == 1

    # the list shows both batches with their counts; each report downloads as CSV
    listing = clerk_client.get(reverse("admin:payments_importbatch_changelist")).content.decode()
    assert listing.count("daily.csv") == 2 and "payments/importbatch/upload/" in listing
    report = clerk_client.get(reverse("admin:payments_importbatch_report", args=[imported.pk]))
    assert report["Content-Type"].startswith("text/csv")
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["文件", "daily.csv"] and ["已接受", "1"] in lines and ["已拒绝", "1"] in lines
    assert any(line[:3] == ["3", "已拒绝", "UNKNOWN_CHANNEL"] for line in lines)
    assert any(line[:1] == ["2"] and line[-1] == str(payment.pk) for line in lines)


def test_the_preview_says_when_the_same_file_was_imported_before(clerk_client, daily_file):
    content = daily_file.read()
    clerk_client.post(reverse("admin:payments_importbatch_upload"), {"file": SimpleUploadedFile("a.csv", content)})
    first = ImportBatch.objects.get()
    clerk_client.post(reverse("admin:payments_importbatch_confirm", args=[first.pk]))
    clerk_client.post(reverse("admin:payments_importbatch_upload"), {"file": SimpleUploadedFile("b.csv", content)})
    second = ImportBatch.objects.filter(dry_run=True).latest("started_at")

    page = clerk_client.get(reverse("admin:payments_importbatch_preview", args=[second.pk])).content.decode()

    assert "已导入过内容相同的文件" in page
    assert 'id="count-duplicate">1<' in page


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("daily.txt", b"a,b", "只能导入CSV和XLSX文件"),
        ("daily.xls", b"a,b", "只能导入CSV和XLSX文件"),
        ("daily.csv", b"a,b,c\n1,2,3\n", "未找到包含"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_with_a_clear_message(clerk_client, name, content, message):
    response = clerk_client.post(
        reverse("admin:payments_importbatch_upload"), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_file_over_the_size_limit_is_refused(clerk_client, daily_file, monkeypatch):
    monkeypatch.setattr(admin_imports, "MAX_UPLOAD_BYTES", 10)
    response = clerk_client.post(reverse("admin:payments_importbatch_upload"), {"file": daily_file})
    assert "文件大于" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_staff_without_the_permission_cannot_import(client, analyst, daily_file):
    client.force_login(analyst)
    assert client.get(reverse("admin:payments_importbatch_upload")).status_code == 403
    assert client.post(reverse("admin:payments_importbatch_upload"), {"file": daily_file}).status_code == 403
    assert not ImportBatch.objects.exists()


def test_viewing_without_import_permission_shows_no_upload_or_confirm(client, analyst, clerk_client, daily_file):
    clerk_client.post(reverse("admin:payments_importbatch_upload"), {"file": daily_file})
    preview = ImportBatch.objects.get()
    analyst.user_permissions.set(Permission.objects.filter(codename="view_importbatch"))
    client = type(client)()
    client.force_login(analyst)

    listing = client.get(reverse("admin:payments_importbatch_changelist")).content.decode()
    page = client.get(reverse("admin:payments_importbatch_preview", args=[preview.pk])).content.decode()

    assert "payments/importbatch/upload/" not in listing
    assert "import_confirm_form" not in page
    assert client.post(reverse("admin:payments_importbatch_confirm", args=[preview.pk])).status_code == 403
