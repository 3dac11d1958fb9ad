"""The reconciliation import: every outcome, both header languages, encodings, XLSX, idempotency,
dry runs, a person's rows in order, conflicts with other writers, the command."""

import csv
import datetime as dt
import io
import os
import subprocess
import sys
import threading
import zipfile
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import Workbook

from eligibility.models import BenefitDecision, EligibilitySnapshot, RecomputeRequest
from payments import imports
from payments.imports import ImportFileError, import_report_rows, payments_import
from payments.models import ImportBatch, ImportRow, LedgerEntry, Payment
from payments.policy_years import policy_profiles_load
from payments.services import PaymentRequest, payment_record
from tests.factories import PersonFactory, RegionFactory, make_id_number

pytestmark = pytest.mark.django_db
D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
HEADER_EN = ["ID number", "name", "scheme", "coverage period", "amount", "channel", "transaction reference", "paid at"]
HEADER_ZH = ["身份证号", "姓名", "险种", "所属期", "金额", "缴费渠道", "交易流水号", "缴费时间"]
FLEX_MONTH = Decimal("420.60")  # Nanchang: 6240.00 x 0.065 + 15.00 large-amount fee


def line(person, reference, *, scheme="resident", period="2026", amount="400.00", channel="tax_wechat", **changes):
    values = {
        "id": person.id_number,
        "name": person.name,
        "scheme": scheme,
        "period": period,
        "amount": amount,
        "channel": channel,
        "reference": reference,
        "paid_at": "2025-11-10 10:00:00",
    }
    values.update(changes)
    return [values[key] for key in ("id", "name", "scheme", "period", "amount", "channel", "reference", "paid_at")]


def local(text: str) -> dt.datetime:
    """A timestamp without a zone, as spreadsheet cells hold them."""
    return dt.datetime.fromisoformat(text)


def csv_file(rows, *, header=HEADER_EN, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def outcomes(batch) -> dict[int, tuple[str, str]]:
    return {row.row_number: (row.outcome, row.reason_code) for row in batch.lines.all()}


def written() -> tuple[int, ...]:
    from simple_history.utils import get_history_model_for_model

    return (
        Payment.objects.count(),
        BenefitDecision.objects.count(),
        LedgerEntry.objects.count(),
        RecomputeRequest.objects.count(),
        get_history_model_for_model(Payment).objects.count(),
        get_history_model_for_model(LedgerEntry).objects.count(),
    )


@pytest.fixture
def person(nanchang, policies):
    """A resident who paid 2025: paying 2026 in the collection period gives cover from 1 January."""
    person = PersonFactory(household_region=nanchang, name="张三")
    LedgerEntry.objects.create(
        person=person, region=nanchang, scheme="resident", period=D(2025, 1, 1), paid_on=D(2024, 11, 1)
    )
    return person


@pytest.fixture
def others(nanchang, policies):
    return [PersonFactory(household_region=nanchang) for _ in range(6)]


def test_every_outcome_kind_and_a_rejected_row_never_blocks_the_others(person, others, nanchang):
    # given
    paid_2026 = others[0]
    LedgerEntry.objects.create(
        person=paid_2026, region=nanchang, scheme="resident", period=D(2026, 1, 1), paid_on=D(2025, 10, 20)
    )
    recorded = payment_record(
        person=others[1],
        request=PaymentRequest.resident_year(2026),
        channel="tax_wechat",
        reference="DUP-1",
        amount=Decimal("400.00"),
        paid_at=dt.datetime(2025, 11, 1, 9, tzinfo=SHANGHAI),
    ).payment
    bad_check_digit = person.id_number[:-1] + ("1" if person.id_number[-1] != "1" else "2")
    rows = [
        line(person, "OK-1", name="张 三"),  # 2: spaces do not matter
        line(others[1], "DUP-1", paid_at="2025-11-01 09:00:00"),  # 3
        line(others[2], "X-3", id=make_id_number()),  # 4: nobody has this number
        line(others[2], "X-4", name="李四"),  # 5
        line(others[2], "X-5", id=bad_check_digit),  # 6
        line(others[3], "X-6", amount="350.00"),  # 7
        line(others[3], "X-7", paid_at="2025-13-40 10:00"),  # 8
        line(others[3], "X-8", period="2026年上半年"),  # 9
        line(others[3], "X-9", channel="现金"),  # 10
        line(others[3], "X-10", scheme="商业保险"),  # 11
        line(others[4], "X-11", scheme="employee_flexible", period="2026-01", amount="420.60",
             paid_at="2025-12-20 10:00"),  # 12: a single month is a monthly payment
        line(paid_2026, "X-12"),  # 13
        line(others[3], "X-13", amount="400.001"),  # 14
        line(others[5], "OK-2", scheme="employee_flexible", period="2026-01~2026-12", amount=str(FLEX_MONTH * 12),
             paid_at="2025-12-20 10:00"),  # 15
        line(others[3], "OK-3"),  # 16: after six rejected rows of the same person
    ]  # fmt: skip

    # when
    batch = payments_import(content=csv_file(rows), file_name="daily.csv")

    # then
    assert outcomes(batch) == {
        2: ("accepted", ""),
        3: ("duplicate", "ALREADY_RECORDED"),
        4: ("rejected", "UNKNOWN_PERSON"),
        5: ("rejected", "NAME_MISMATCH"),
        6: ("rejected", "ID_NUMBER_INVALID"),
        7: ("rejected", "AMOUNT_MISMATCH"),
        8: ("rejected", "DATE_INVALID"),
        9: ("rejected", "PERIOD_INVALID"),
        10: ("rejected", "UNKNOWN_CHANNEL"),
        11: ("rejected", "UNKNOWN_SCHEME"),
        12: ("rejected", "FLEX_MONTHLY_NOT_ALLOWED"),
        13: ("rejected", "RES_ALREADY_PAID"),
        14: ("rejected", "AMOUNT_INVALID"),
        15: ("accepted", ""),
        16: ("accepted", ""),
    }
    assert (batch.rows, batch.accepted, batch.duplicate, batch.rejected) == (15, 3, 1, 11)
    assert batch.finished_at is not None and batch.file_format == "csv" and not batch.dry_run
    assert batch.lines.get(row_number=3).payment == recorded
    accepted = batch.lines.get(row_number=2).payment
    assert (accepted.person, accepted.channel, accepted.amount, accepted.paid_on) == (
        person,
        "tax_wechat",
        Decimal("400.00"),
        D(2025, 11, 10),
    )
    assert accepted.decision.benefits_from == D(2026, 1, 1)
    assert LedgerEntry.objects.get(payment=accepted).amount_paid == Decimal("400.00")
    assert LedgerEntry.objects.filter(payment=batch.lines.get(row_number=15).payment).count() == 12
    assert set(RecomputeRequest.objects.values_list("person_id", flat=True)) >= {person.pk, others[5].pk}
    assert Payment.objects.count() == 4  # the three accepted and the one recorded before


def test_messages_are_in_the_users_language(person):
    rows = [line(person, "A-1", amount="350.00"), line(person, "A-2", channel="现金")]
    with translation.override("zh-hans"):
        chinese = payments_import(content=csv_file(rows), file_name="zh.csv", dry_run=True)
    with translation.override("en"):
        english = payments_import(content=csv_file(rows), file_name="en.csv", dry_run=True)
    assert "现金" in chinese.lines.get(row_number=3).message
    assert "渠道" in chinese.lines.get(row_number=3).message
    assert "Unknown payment channel" in english.lines.get(row_number=3).message
    assert "400.00" in english.lines.get(row_number=2).message and "differs" in english.lines.get(row_number=2).message


def test_chinese_headers_and_names_in_a_gb18030_file(person, others):
    rows = [
        line(person, "GB-1", scheme="城乡居民医保", channel="税务微信公众号"),
        line(others[0], "GB-2", scheme="居民医保", channel="支付宝"),
        line(others[1], "GB-3", scheme="灵活就业", period="2026-01~2026-12", amount=str(FLEX_MONTH * 12),
             channel="银行柜面", paid_at="2025/12/20 10:00"),
    ]  # fmt: skip
    content = csv_file(rows, header=HEADER_ZH, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # a real GB18030 file, not UTF-8 by accident

    batch = payments_import(content=content, file_name="银行对账.csv")

    assert (batch.accepted, batch.rejected, batch.encoding) == (3, 0, "gb18030")
    channels = sorted(Payment.objects.values_list("channel", "scheme"))
    assert channels == [
        ("alipay_ganfutong", "resident"),
        ("bank_counter", "employee_flexible"),
        ("tax_wechat", "resident"),
    ]


def test_english_headers_in_utf8_with_a_byte_order_mark(person):
    content = b"\xef\xbb\xbf" + csv_file([line(person, "BOM-1")])
    batch = payments_import(content=content, file_name="tax.csv")
    assert (batch.accepted, batch.encoding) == (1, "utf-8-sig")


def test_an_xlsx_file_with_a_title_row_typed_cells_and_chinese_headers(person, others):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025年11月缴费明细"])
    sheet.append(HEADER_ZH)
    sheet.append([person.id_number, "张三", "城乡居民医保", 2026, 400.0, "微信", "XL-1", local("2025-11-10 10:00")])
    sheet.append([others[0].id_number, others[0].name, "职工医保（灵活就业人员）", "2026-01~2026-12",
                  float(FLEX_MONTH * 12), "云闪付", "XL-2", local("2025-12-20 10:00")])  # fmt: skip
    sheet.append([others[1].id_number, others[1].name, "城乡居民医保", 2026, 400.004, "微信", "XL-3", "2025-11-10"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = payments_import(content=buffer.getvalue(), file_name="bank.xlsx")

    assert batch.file_format == "xlsx"
    assert outcomes(batch) == {3: ("accepted", ""), 4: ("accepted", ""), 5: ("rejected", "AMOUNT_INVALID")}
    assert Payment.objects.get(reference="XL-2").amount == Decimal("5047.20")


@pytest.mark.parametrize("period", ["2026-01~2026-12", "2026-01/2026-12", "202601-202612", "2026年1月至2026年12月"])
def test_employee_period_formats(person, period):
    row = line(person, "P-1", scheme="employee_flexible", period=period, amount=str(FLEX_MONTH * 12))
    batch = payments_import(content=csv_file([row]), file_name="p.csv")
    assert batch.accepted == 1
    payment = Payment.objects.get(reference="P-1")
    assert (payment.cover_from, payment.cover_to) == (D(2026, 1, 1), D(2026, 12, 1))


@pytest.mark.parametrize(
    ("period", "scheme"),
    [("2026-12~2026-01", "employee_flexible"), ("2026-13~2026-12", "employee_flexible"), ("2026", "employee_flexible"),
     ("2026-01~2026-12", "resident"), ("", "resident")],
)  # fmt: skip
def test_malformed_periods_are_rejected(person, period, scheme):
    batch = payments_import(content=csv_file([line(person, "P-1", scheme=scheme, period=period)]), file_name="p.csv")
    assert outcomes(batch) == {2: ("rejected", "PERIOD_INVALID")}


@pytest.mark.parametrize(
    ("paid_at", "paid_on"),
    [
        ("2025-12-31T16:30:00Z", D(2026, 1, 1)),  # UTC evening is the next morning in Shanghai
        ("2025-12-31 23:30:00+00:00", D(2026, 1, 1)),
        ("2025-12-31 23:30", D(2025, 12, 31)),  # no zone: Shanghai local time
        ("20251231233000", D(2025, 12, 31)),
        ("2025/11/5 8:05:09", D(2025, 11, 5)),
    ],
)
def test_the_payment_date_is_the_shanghai_date_of_the_timestamp(person, paid_at, paid_on):
    batch = payments_import(content=csv_file([line(person, "T-1", paid_at=paid_at)]), file_name="t.csv")
    assert batch.accepted == 1
    assert Payment.objects.get(reference="T-1").paid_on == paid_on


def test_a_payment_time_in_the_future_is_refused(person):
    batch = payments_import(content=csv_file([line(person, "F-1", paid_at="2099-01-01 10:00")]), file_name="f.csv")
    assert outcomes(batch) == {2: ("rejected", "DATE_INVALID")}


@pytest.mark.parametrize(("amount", "accepted"), [("¥400.00", True), ("400", True), ("4e2", False), ("-400", False)])
def test_amount_formats(person, amount, accepted):
    batch = payments_import(content=csv_file([line(person, "M-1", amount=amount)]), file_name="m.csv")
    assert batch.accepted == int(accepted)
    assert Payment.objects.filter(reference="M-1").exists() == accepted


def test_importing_the_same_file_again_changes_nothing(person, others):
    content = csv_file([line(person, "R-1"), line(others[0], "R-2"), line(others[1], "R-3", amount="1.00")])
    first = payments_import(content=content, file_name="again.csv")
    before = written()

    second = payments_import(content=content, file_name="again.csv")

    assert (first.accepted, first.duplicate, first.rejected) == (2, 0, 1)
    assert (second.accepted, second.duplicate, second.rejected) == (0, 2, 1)
    assert written() == before
    assert {row.payment_id for row in second.lines.filter(outcome="duplicate")} == {
        row.payment_id for row in first.lines.filter(outcome="accepted")
    }


def test_a_dry_run_writes_nothing_but_the_preview_and_predicts_the_import(person, others):
    content = csv_file(
        [
            line(person, "D-1"),
            line(others[0], "D-2", amount="1.00"),
            line(others[1], "D-3", scheme="employee_flexible", period="2025-07~2025-12", amount=str(FLEX_MONTH * 6),
                 paid_at="2025-07-05 10:00"),
            line(others[1], "D-4", scheme="employee_flexible", period="2026-01~2026-12", amount=str(FLEX_MONTH * 12),
                 paid_at="2025-12-20 10:00"),
            line(others[1], "D-4", scheme="employee_flexible", period="2026-01~2026-12", amount=str(FLEX_MONTH * 12),
                 paid_at="2025-12-20 10:00"),
        ]
    )  # fmt: skip
    before = written()

    preview = payments_import(content=content, file_name="dry.csv", dry_run=True)

    assert written() == before
    assert preview.dry_run and preview.lines.count() == 5
    assert not preview.lines.filter(payment__isnull=False).exists()
    real = payments_import(content=content, file_name="dry.csv")
    assert outcomes(preview) == outcomes(real)
    assert outcomes(real)[6] == ("duplicate", "ALREADY_RECORDED")  # the same reference twice in one file
    assert (preview.accepted, preview.duplicate, preview.rejected) == (real.accepted, real.duplicate, real.rejected)


def test_a_persons_rows_are_evaluated_in_order_of_payment_time(person):
    # given: the file lists next year's months before the months that lead up to them
    next_year = line(person, "E-2", scheme="employee_flexible", period="2026-01~2026-12",
                     amount=str(FLEX_MONTH * 12), paid_at="2025-12-20 10:00")  # fmt: skip
    this_year = line(person, "E-1", scheme="employee_flexible", period="2025-07~2025-12",
                     amount=str(FLEX_MONTH * 6), paid_at="2025-07-05 10:00")  # fmt: skip
    LedgerEntry.objects.filter(person=person).delete()  # no resident year in 2025: EMP-3 does not apply

    # when
    batch = payments_import(content=csv_file([next_year, this_year]), file_name="order.csv")

    # then: December 2025 is covered when 2026 is evaluated, so no waiting (EMP-5, gap 0)
    assert batch.accepted == 2
    decision = Payment.objects.get(reference="E-2").decision
    assert decision.benefits_from == D(2026, 1, 1) and decision.gap_months == 0
    assert LedgerEntry.objects.filter(person=person).count() == 18


def test_a_chunk_costs_a_fixed_number_of_queries(nanchang, policies):
    def file_of(count: int, prefix: str) -> bytes:
        persons = [PersonFactory(household_region=nanchang) for _ in range(count)]
        return csv_file([line(p, f"{prefix}-{i}") for i, p in enumerate(persons)])

    small, large = file_of(2, "Q"), file_of(20, "R")
    with CaptureQueriesContext(connection) as few:
        payments_import(content=small, file_name="small.csv")
    with CaptureQueriesContext(connection) as many:
        payments_import(content=large, file_name="large.csv")
    assert len(many.captured_queries) == len(few.captured_queries)
    assert Payment.objects.count() == 22


def test_the_same_reference_for_another_person_is_a_conflict(person, others):
    rows = [line(person, "SAME"), line(others[0], "SAME")]
    batch = payments_import(content=csv_file(rows), file_name="c.csv", chunk_size=1)
    assert sorted(code for _, code in outcomes(batch).values()) == ["", "REFERENCE_CONFLICT"]
    assert Payment.objects.filter(reference="SAME").count() == 1


def test_small_chunks_give_the_same_outcomes(person, others):
    rows = [line(p, f"S-{i}") for i, p in enumerate([person, *others])] + [line(others[0], "S-9", amount="9.00")]
    batch = payments_import(content=csv_file(rows), file_name="s.csv", chunk_size=2)
    assert (batch.accepted, batch.rejected) == (7, 1)


def test_a_ledger_row_written_by_another_writer_meanwhile_redoes_the_chunk_person_by_person(
    person, others, nanchang, monkeypatch
):
    # given: someone records 2026 for `person` without the lock, just after the chunk read its
    # facts; the retry finds that row in place (committed, in real life)
    real = imports.facts_for_persons
    calls = []

    def another_writer():
        LedgerEntry.objects.get_or_create(
            person=person,
            region=nanchang,
            scheme="resident",
            period=D(2026, 1, 1),
            defaults={"paid_on": D(2025, 11, 9)},
        )

    def facts_with_a_concurrent_write(ids):
        if calls:
            another_writer()
            return real(ids)
        calls.append(ids)
        facts = real(ids)
        another_writer()
        return facts

    monkeypatch.setattr(imports, "facts_for_persons", facts_with_a_concurrent_write)

    # when
    batch = payments_import(content=csv_file([line(person, "C-1"), line(others[0], "C-2")]), file_name="c.csv")

    # then: the conflict costs only that row; the other person's payment goes in
    assert outcomes(batch) == {2: ("rejected", "RES_ALREADY_PAID"), 3: ("accepted", "")}
    assert not Payment.objects.filter(reference="C-1").exists()
    assert Payment.objects.filter(reference="C-2").count() == 1
    assert LedgerEntry.objects.filter(person=person, period=D(2026, 1, 1)).count() == 1


def test_statuses_are_recomputed_after_a_small_import(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payments_import(content=csv_file([line(person, "RC-1")]), file_name="r.csv")
    assert EligibilitySnapshot.objects.get(person=person).benefits_from == D(2026, 1, 1)
    assert not RecomputeRequest.objects.filter(person=person).exists()


def test_a_large_chunk_leaves_the_marks_for_the_nightly_run(person, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(imports, "RECOMPUTE_NOW_LIMIT", 0)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        payments_import(content=csv_file([line(person, "RC-2")]), file_name="r.csv")
    assert callbacks == []
    assert RecomputeRequest.objects.filter(person=person).exists()
    assert not EligibilitySnapshot.objects.filter(person=person).exists()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"a,b,c\n1,2,3\n", "No header row"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"PK\x03\x04 not really a zip", "cannot be opened"),
        (b"\xff\xfe\x00\x00\x81\x30\xff\xff", "neither UTF-8 nor GB18030"),
    ],
)
def test_a_file_that_cannot_be_read_writes_nothing(db, content, words):
    with translation.override("en"), pytest.raises(ImportFileError) as info:
        payments_import(content=content, file_name="broken.csv")
    assert words in str(info.value)
    assert not ImportBatch.objects.exists()


def test_the_report_has_the_counts_and_every_row(person):
    batch = payments_import(
        content=csv_file([line(person, "RP-1"), line(person, "=cmd|x", amount="1.001")]), file_name="r.csv"
    )
    with translation.override("en"):
        report = list(import_report_rows(batch=batch))
    assert ["rows", "2"] in report and ["accepted", "1"] in report and ["rejected", "1"] in report
    header = report.index(
        ["row", "outcome", "reason code", "message", "ID number as given", "name as given", "transaction reference",
         "payment"]
    )  # fmt: skip
    lines = report[header + 1 :]
    assert [line_[:3] for line_ in lines] == [["2", "accepted", ""], ["3", "rejected", "AMOUNT_INVALID"]]
    assert lines[1][6] == "'=cmd|x"  # a formula from outside stays text in a spreadsheet


def test_command_imports_and_exits_0_even_with_rejected_rows(person, tmp_path):
    path = tmp_path / "daily.csv"
    path.write_bytes(csv_file([line(person, "CMD-1"), line(person, "CMD-2", channel="现金")]))
    report = tmp_path / "report.csv"
    out = io.StringIO()

    with translation.override("en"):
        call_command("import_payments", str(path), "--report", str(report), stdout=out)  # no CommandError: exit 0

    printed = out.getvalue()
    assert "accepted: 1" in printed and "rejected: 1" in printed and str(report) in printed
    batch = ImportBatch.objects.get()
    assert f"/admin/payments/importbatch/{batch.pk}/report.csv" in printed
    assert "UNKNOWN_CHANNEL" in report.read_bytes().decode("utf-8-sig")


def test_command_dry_run_records_nothing(person, tmp_path):
    path = tmp_path / "daily.csv"
    path.write_bytes(csv_file([line(person, "CMD-3")]))
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_payments", str(path), "--dry-run", stdout=out)
    assert "Preview" in out.getvalue() and "accepted: 1" in out.getvalue()
    assert not Payment.objects.exists() and ImportBatch.objects.get().dry_run


@pytest.mark.parametrize("content", [None, b"\x00\x01garbage\x00"], ids=["missing", "garbage"])
def test_command_exits_2_when_the_file_cannot_be_read(tmp_path, content):
    # A real process: the exit status is what cron and the operators see. The file is refused
    # before the database is touched.
    path = tmp_path / "broken.csv"
    if content is not None:
        path.write_bytes(content)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "import_payments", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "broken.csv" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_of_one_file_record_each_payment_once():
    region = RegionFactory(code="360100")
    policy_profiles_load()
    persons = [PersonFactory(household_region=region) for _ in range(12)]
    rows = [line(p, f"CC-{i}") for i, p in enumerate(persons)]
    rows += [line(persons[0], "CC-X", scheme="employee_flexible", period="2026-01~2026-12",
                  amount=str(FLEX_MONTH * 12), paid_at="2025-12-20 10:00")]  # fmt: skip
    content = csv_file(rows)
    batches, errors = [], []
    barrier = threading.Barrier(3)

    def worker():
        try:
            barrier.wait()
            batches.append(payments_import(content=content, file_name="same.csv", chunk_size=4))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Payment.objects.count() == 12 and LedgerEntry.objects.count() == 12
    assert sum(batch.accepted for batch in batches) == 12
    assert all(batch.accepted + batch.duplicate == 12 and batch.rejected == 1 for batch in batches)
    # The flexible row is refused the same way by everyone: 2026 is a resident year by then (EMP-3).
    assert set(ImportRow.objects.filter(reference="CC-X").values_list("reason_code", flat=True)) == {
        "RESIDENT_PAID_SAME_YEAR"
    }


# --------------------------------------------------------------------------------------------
# The rows the import copies from one evaluation, and how it writes them


KEYS = {"id", "person_id", "decision_id", "payment_id", "reference", "created_at", "history_id", "history_date"}


def columns(obj, *, without=KEYS) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in without}


def rows_of(payment: Payment) -> tuple:
    """Everything written for a payment but for the keys that make it this person's."""
    from simple_history.utils import get_history_model_for_model

    def by_period(rows):
        return sorted(rows, key=lambda values: str(values["period"]))

    return (
        columns(payment.decision),
        columns(payment),
        by_period(columns(entry) for entry in payment.ledger_entries.all()),
        [columns(row) for row in get_history_model_for_model(Payment).objects.filter(id=payment.pk)],
        by_period(
            columns(row) for row in get_history_model_for_model(LedgerEntry).objects.filter(payment_id=payment.pk)
        ),
    )


def resident_2025(region):
    person = PersonFactory(household_region=region)
    LedgerEntry.objects.create(
        person=person, region=region, scheme="resident", period=D(2025, 1, 1), paid_on=D(2024, 11, 1)
    )
    return person


def flexible_2025(region):
    person = PersonFactory(household_region=region)
    for month in range(7, 13):
        LedgerEntry.objects.create(
            person=person, region=region, scheme="employee_flexible", period=D(2025, month, 1), paid_on=D(2025, 7, 3)
        )
    return person


def test_rows_copied_from_one_evaluation_are_the_rows_the_single_path_writes(nanchang, fuzhou, policies, monkeypatch):
    # given: persons with the same facts (born the same day, the same history), in two regions,
    # paying the same period on the same day; one of each kind pays through payment_record
    residents = [resident_2025(nanchang) for _ in range(3)] + [resident_2025(fuzhou)]
    flexible = [flexible_2025(nanchang) for _ in range(3)]
    single_resident, single_flexible = resident_2025(nanchang), flexible_2025(nanchang)
    flex = {"scheme": "employee_flexible", "period": "2026-01~2026-12", "amount": str(FLEX_MONTH * 12),
            "paid_at": "2025-12-20 10:00:00"}  # fmt: skip
    rows = [line(p, f"RES-{i}") for i, p in enumerate(residents)]
    rows += [line(p, f"FLEX-{i}", **flex) for i, p in enumerate(flexible)]
    built = []
    real_build = imports.decision_build
    monkeypatch.setattr(imports, "decision_build", lambda **kw: built.append(kw) or real_build(**kw))
    for person, request, amount, paid_at in [
        (single_resident, PaymentRequest.resident_year(2026), Decimal("400.00"),
         dt.datetime(2025, 11, 10, 10, tzinfo=SHANGHAI)),
        (single_flexible, PaymentRequest.employee_months(D(2026, 1, 1), D(2026, 12, 1)), FLEX_MONTH * 12,
         dt.datetime(2025, 12, 20, 10, tzinfo=SHANGHAI)),
    ]:  # fmt: skip
        payment_record(person=person, request=request, channel="tax_wechat", reference=f"ONE-{person.pk}",
                       amount=amount, paid_at=paid_at)  # fmt: skip

    # when
    with translation.override("en"):
        batch = payments_import(content=csv_file(rows), file_name="twins.csv")

    # then: the builders ran once per distinct input (a decision per kind, ledger rows per kind
    # and region), and every row is what the single path writes, but for whose it is
    assert batch.accepted == 7
    assert len(built) == 2 + 3
    expected = {"RES": rows_of(Payment.objects.get(person=single_resident)),
                "FLEX": rows_of(Payment.objects.get(person=single_flexible))}  # fmt: skip
    for person in residents + flexible:
        payment = Payment.objects.get(person=person)
        decision, own, ledger, history, ledger_history = rows_of(payment)
        kind = payment.reference.split("-")[0]
        assert (decision, own, history) == (expected[kind][0], expected[kind][1], expected[kind][3])
        region = {"region_id": person.household_region_id}  # the ledger rows are in the person's region
        assert ledger == [{**values, **region} for values in expected[kind][2]]
        assert ledger_history == [{**values, **region} for values in expected[kind][4]]
        assert payment.decision.person_id == person.pk
        assert set(payment.ledger_entries.values_list("person_id", "decision_id")) == {(person.pk, payment.decision_id)}
        assert batch.lines.get(reference=payment.reference).message == payment.decision.explanation["en"]


def test_equal_results_with_amounts_written_differently_are_different_inputs():
    from eligibility.rules import ActionKind, Result

    plain = Result(action_kind=ActionKind.RESIDENT_PAYMENT, accepted=True, premium_due=Decimal("400"))
    cents = Result(action_kind=ActionKind.RESIDENT_PAYMENT, accepted=True, premium_due=Decimal("400.00"))
    assert plain == cents
    assert imports._result_key(plain) != imports._result_key(cents)
    assert imports._result_key(plain) == imports._result_key(
        Result(action_kind=ActionKind.RESIDENT_PAYMENT, accepted=True, premium_due=Decimal("400"))
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "\\N"),
        ("a\tb\\c\nd\re", "a\\tb\\\\c\\nd\\re"),
        (True, "t"),
        (0, "0"),
        (Decimal("420.60"), "420.60"),
        (D(2026, 1, 1), "2026-01-01"),
        (dt.datetime(2025, 11, 10, 10, 0, tzinfo=SHANGHAI), "2025-11-10T10:00:00+08:00"),
    ],
)
def test_copy_text(value, text):
    assert imports._copy_text(value) == text


def test_copy_text_refuses_a_naive_timestamp_and_unknown_types():
    with pytest.raises(ValueError, match="naive"):
        imports._copy_text(dt.datetime(2025, 11, 10, 10))  # noqa: DTZ001 - the point of the test
    with pytest.raises(TypeError):
        imports._copy_text(1.5)


def test_tabs_backslashes_and_line_breaks_are_stored_as_given(person, others):
    rows = [line(person, "A\\B\tC"), line(others[0], "N-1", name="王\t\\五\n六")]
    batch = payments_import(content=csv_file(rows), file_name="escapes.csv")
    assert outcomes(batch) == {2: ("accepted", ""), 3: ("rejected", "NAME_MISMATCH")}
    assert Payment.objects.get(person=person).reference == "A\\B\tC"
    assert batch.lines.get(row_number=2).reference == "A\\B\tC"
    assert batch.lines.get(row_number=3).name == "王\t\\五\n六"
    assert "王\t\\五\n六" in batch.lines.get(row_number=3).message


def test_rows_rejected_when_parsed_in_chunks_of_their_own(person, others):
    rows = [line(person, "K-1"), line(others[0], "K-2", amount="abc"), line(others[1], "K-3", channel="现金"),
            line(others[2], "K-4"), line(others[2], "K-5", paid_at="someday")]  # fmt: skip
    batch = payments_import(content=csv_file(rows), file_name="k.csv", chunk_size=1)
    assert outcomes(batch) == {
        2: ("accepted", ""),
        3: ("rejected", "AMOUNT_INVALID"),
        4: ("rejected", "UNKNOWN_CHANNEL"),
        5: ("accepted", ""),
        6: ("rejected", "DATE_INVALID"),
    }
    assert (batch.rows, batch.accepted, batch.rejected) == (5, 2, 3)


@pytest.mark.django_db(transaction=True)
def test_worker_processes_parse_and_import_their_chunks():
    region = RegionFactory(code="360100")
    policy_profiles_load()
    persons = [resident_2025(region) for _ in range(6)]
    rows = [line(p, f"W-{i}") for i, p in enumerate(persons)]
    rows += [line(persons[0], "W-X", amount="1.00"), line(persons[1], "W-Y", channel="现金"), rows[2]]
    content = csv_file(rows)

    batch = payments_import(content=content, file_name="w.csv", chunk_size=2, workers=2)
    again = payments_import(content=content, file_name="w.csv", chunk_size=2, workers=2)

    assert (batch.rows, batch.accepted, batch.duplicate, batch.rejected) == (9, 6, 1, 2)
    assert outcomes(batch)[10] == ("duplicate", "ALREADY_RECORDED")  # the same line twice in the file
    codes = {code for _, code in outcomes(batch).values()}
    assert codes == {"", "ALREADY_RECORDED", "RES_ALREADY_PAID", "UNKNOWN_CHANNEL"}  # W-X: 2026 is paid by W-0
    assert (again.accepted, again.duplicate, again.rejected) == (0, 7, 2)
    assert Payment.objects.count() == 6 and LedgerEntry.objects.filter(payment__isnull=False).count() == 6


# --- issue 16 -------------------------------------------------------------------------------------


def test_finding_2_rows_of_persons_outside_the_uploaders_regions_read_as_unknown_numbers(
    person, clerk, fuzhou, policies
):
    # given a clerk of Nanchang with a file that holds a Fuzhou person's rows (one with a wrong name)
    # and a number nobody has
    elsewhere = PersonFactory(household_region=fuzhou, name="李四")
    unknown = make_id_number(birth_date=D(1980, 2, 3))
    content = csv_file(
        [
            line(person, "R-1"),
            line(elsewhere, "R-2"),
            line(elsewhere, "R-3", name="李五"),
            line(elsewhere, "R-4", id=unknown),
        ]
    )
    # when the clerk previews and imports it
    with translation.override("en"):
        preview = payments_import(content=content, file_name="daily.csv", uploaded_by=clerk, dry_run=True)
        batch = payments_import(content=content, file_name="daily.csv", uploaded_by=clerk)
    # then the Fuzhou rows are refused exactly as the unknown number is, saying nothing of the person
    for each in (preview, batch):
        rows = {row.row_number: row for row in each.lines.all()}
        assert rows[2].outcome == "accepted"
        assert {(rows[n].outcome, rows[n].reason_code, rows[n].message) for n in (3, 4, 5)} == {
            ("rejected", "UNKNOWN_PERSON", rows[5].message)
        }
        assert rows[3].payment_id is None and rows[4].payment_id is None
    assert not Payment.objects.filter(person=elsewhere).exists()
    assert list(Payment.objects.values_list("reference", flat=True)) == ["R-1"]


def test_finding_2_a_clerk_of_the_persons_region_and_the_command_import_the_same_rows(
    person, other_region_clerk, fuzhou, policies
):
    elsewhere = PersonFactory(household_region=fuzhou, name="李四")
    content = csv_file([line(person, "R-1"), line(elsewhere, "R-2")])
    batch = payments_import(content=content, file_name="daily.csv", uploaded_by=other_region_clerk)
    assert outcomes(batch) == {2: ("rejected", "UNKNOWN_PERSON"), 3: ("accepted", "")}
    # the command (no uploader) works for every region
    batch = payments_import(content=content, file_name="daily.csv")
    assert outcomes(batch) == {2: ("accepted", ""), 3: ("duplicate", "ALREADY_RECORDED")}


def xlsx_with_a_doctype(declaration: str, reference: str) -> bytes:
    """An XLSX whose sheet declares entities and uses one in a cell below the header."""
    workbook = Workbook()
    workbook.active.append(HEADER_EN)
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    cell = f'<row r="2"><c r="A2" t="inlineStr"><is><t>{reference}</t></is></c></row></sheetData>'
    with zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                head, _, rest = data.partition(b"?>") if data.startswith(b"<?xml") else (b"", b"", data)
                data = (head + b"?>" if head else b"") + declaration.encode() + rest
                data = data.replace(b"</sheetData>", cell.encode())
            target.writestr(member, data)
    return out.getvalue()


LAUGHS = "".join(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10 if level else "lol"}">' for level in range(10))


@pytest.mark.parametrize(
    ("declaration", "reference"),
    [
        (f"<!DOCTYPE worksheet [{LAUGHS}]>", "&lol9;"),
        ('<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>', "&secret;"),
        ('<!DOCTYPE worksheet [<!ENTITY a "aaaa">]>', "&a;"),
    ],
    ids=["billion-laughs", "external-entity", "internal-entity"],
)
def test_finding_11_an_xlsx_with_an_entity_declaration_cannot_be_read(db, declaration, reference):
    content = xlsx_with_a_doctype(declaration, reference)
    with translation.override("en"), pytest.raises(ImportFileError) as info:
        payments_import(content=content, file_name="laughs.xlsx")
    assert "cannot be read" in str(info.value)
    assert not ImportBatch.objects.exists()
