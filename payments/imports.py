"""The reconciliation import: daily files of payments received from the tax bureau and the banks.

A file (CSV in UTF-8, with or without BOM, or GB18030; or XLSX) has one payment a row: ID number,
name, scheme, coverage period, amount, channel, transaction reference, paid-at time, under English
or Chinese headers. Every row ends as one `ImportRow`:

- accepted: recorded now (payment, decision, ledger rows, recompute mark), exactly as
  `payments.services.payment_record` would record it;
- duplicate: its (channel, reference) is already recorded for the same person and amount;
- rejected: with a reason code and a message in the user's language. A rejected row never blocks
  the others.

Speed: rows are sorted by person and processed in chunks of about `DEFAULT_CHUNK_SIZE` rows, one
transaction each. A chunk's rows are parsed and checked without the database first (by the process
that evaluates them). The chunk then locks its persons (the lock `payment_record` takes, so single
payments and other imports wait for it), reads the persons, the references already recorded, the
policy rows and the rules' facts with a fixed number of queries, evaluates every row with the same
code as the single path (`premium_quote_under`, `quote_check`, `recorded_match`), builds the rows
with the same builders (`decision_build`, `payment_fields`, `ledger_rows_build`; the first and the
last once per distinct input, see `_write`) and writes decisions, payments, ledger rows, their
history rows (what `bulk_create_with_history` writes) and the row outcomes with COPY, the recompute
marks with one upsert. A person's rows are never split between chunks and are evaluated in order of
payment time, in rounds: the second row of a person is evaluated after the first one's ledger rows
are written, on facts read again. Rows whose reference is recorded are settled before any facts are
read, so a re-import is cheap. `workers` > 1 shares the chunks out to forked processes (the
command's --workers; the rules are Python, one core per process). `bench/import_bench.py` measures
it; PostgreSQL's side (the indexes and foreign keys of the rows written) is now about half of it.

Counts: a batch's counts are taken from its row outcomes when it finishes; a batch without
`finished_at` did not finish, and its rows show what was done.

Concurrency: the unique constraints decide. Under the person locks nobody else can record a
payment for these persons, so a reference recorded by another import or a single payment is
visible before we evaluate; what remains (the same reference recorded concurrently for another
person, a ledger row written without the lock) makes the COPY fail with IntegrityError, and the
chunk is rolled back and done again person by person, now seeing the other writer's rows (a person
still in conflict after three attempts is rejected with CONCURRENT_CHANGE).

Recomputing statuses: every accepted person is marked (`RecomputeRequest`) in the chunk's
transaction. After a chunk commits, `recompute_soon` is called for its persons when they are at
most `RECOMPUTE_NOW_LIMIT` (a clerk's daily file); larger chunks rely on the marks, which the
nightly run picks up, instead of flooding the broker with one task per person.

A dry run does everything inside transactions that are rolled back, so the preview is exactly what
the import would do (including a person's later rows seeing the earlier ones), and writes only the
batch and its row outcomes.
"""

import csv
import datetime
import functools
import hashlib
import io
import json
import logging
import multiprocessing
import re
import unicodedata
import zipfile
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from asgiref.local import Local
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.db.models import Count, JSONField, Model, Q
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from eligibility.models import BenefitDecision, RecomputeRequest
from eligibility.rules import EmployeeKind, EmployeePayment, Frequency, MalformedInput, ResidentPayment, Result
from eligibility.selectors import PersonFacts, facts_for_persons
from eligibility.services import decision_build, ledger_rows_build
from eligibility.tasks import recompute_soon
from enrollment.identity import normalize_id_number, parse_id_number
from enrollment.models import Person, Region, Scheme
from enrollment.scoping import regions_of
from payments.models import (
    Channel,
    ImportBatch,
    ImportOutcome,
    ImportRow,
    LedgerEntry,
    Payment,
    PolicyProfile,
)
from payments.policy import NoPolicy, policy_row_for, policy_row_in_force
from payments.services import (
    PaymentRefused,
    PaymentRequest,
    Quote,
    payment_build,
    payment_fields,
    premium_quote_under,
    quote_check,
    recorded_match,
)

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 1000
RECOMPUTE_NOW_LIMIT = 200
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A header row may sit below a title line or two ("2026年11月缴费明细").
HEADER_SEARCH_ROWS = 10
# Excel keeps 15 significant digits; a float cell read back may carry binary noise beyond them.
EXCEL_DIGITS = 15
# Limits of what a file may hold, checked while it is read so that a hostile or broken file is refused
# with a message before it fills the memory: data rows (the tax bureau's largest daily file is about
# 100,000), characters in one CSV line (a payment row is about 200), and for an XLSX (a zip archive)
# the members and the bytes they expand to, read from the archive's central directory before
# anything is inflated (a "zip bomb" of a few kB can expand to gigabytes; Python's zipfile never
# inflates a member beyond the size the directory declares, so the declared sizes are a safe bound).
MAX_DATA_ROWS = 1_000_000
MAX_CSV_LINE_CHARS = 10_000
MAX_XLSX_MEMBERS = 1_000
MAX_XLSX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_XLSX_COLUMNS = 1_000

COLUMNS = ["id_number", "name", "scheme", "period", "amount", "channel", "reference", "paid_at"]
HEADER_NAMES = {
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "证件号码", "id number", "id no", "resident id number"],
    "name": ["姓名", "name"],
    "scheme": ["险种", "scheme"],
    "period": ["所属期", "coverage period", "period"],
    "amount": ["金额", "缴费金额", "amount"],
    "channel": ["缴费渠道", "渠道", "channel"],
    "reference": ["交易流水号", "流水号", "transaction reference", "reference"],
    "paid_at": ["缴费时间", "paid at", "paid-at timestamp", "paid at timestamp", "timestamp"],
}
# The names banks and the tax bureau print, besides our codes and our labels in both languages.
CHANNEL_NAMES = {
    Channel.TAX_WECHAT: ["税务微信", "微信", "微信公众号", "税务微信公众号"],
    Channel.ALIPAY_GANFUTONG: ["支付宝", "赣服通", "支付宝/赣服通", "支付宝赣服通"],
    Channel.UNIONPAY: ["云闪付", "银联", "银联云闪付"],
    Channel.TAX_HALL_POS: ["办税服务厅POS机", "办税服务厅POS", "办税服务厅", "POS"],
    Channel.BANK_COUNTER: ["银行柜面", "银行柜台", "银行"],
    Channel.COMMUNITY: ["社区代收点", "社区", "村居代收点"],
    Channel.CLERK_COUNTER: ["医保经办窗口", "经办窗口", "医保窗口"],
}
SCHEME_NAMES = {
    Scheme.RESIDENT: ["城乡居民医保", "居民医保", "城乡居民基本医疗保险", "城乡居民医疗保险", "居民"],
    Scheme.EMPLOYEE_FLEXIBLE: [
        "职工医保（灵活就业人员）",
        "职工医保（灵活就业）",
        "灵活就业人员医保",
        "灵活就业人员",
        "灵活就业",
        "flexible",
    ],
    Scheme.EMPLOYEE_UNIT: ["职工医保（单位职工）", "单位职工", "unit"],
}
EMPLOYEE_KIND_OF_SCHEME = {Scheme.EMPLOYEE_UNIT: EmployeeKind.UNIT, Scheme.EMPLOYEE_FLEXIBLE: EmployeeKind.FLEXIBLE}

YEAR = r"(\d{4})"
MONTH = r"(\d{4})(?:[-.年](\d{1,2})月?|(\d{2}))"
YEAR_PATTERN = re.compile(rf"{YEAR}年?")
MONTH_PATTERN = re.compile(MONTH)
RANGE_PATTERN = re.compile(rf"{MONTH}\s*(?:~|-|/|至|—|–)\s*{MONTH}")
TIMESTAMP_PATTERN = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
COMPACT_TIMESTAMP_PATTERN = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})")
AMOUNT_PATTERN = re.compile(r"\d+(?:\.\d{1,2})?")
CENT = Decimal("0.01")


class ImportFileError(Exception):
    """The file cannot be read at all (not CSV or XLSX, undecodable, no header row); the message
    says why in the user's language."""


def _key(text: object) -> str:
    """Header, channel and scheme names compared without case, spaces or width differences."""
    return re.sub(r"[\s_]+", " ", unicodedata.normalize("NFKC", str(text)).strip().lower()).replace(" ", "")


def _names(table: dict[str, list[str]], choices: type[Channel] | type[Scheme]) -> dict[str, str]:
    names: dict[str, str] = {}
    for code, label in choices.choices:
        names[_key(code)] = code
        for language in ("en", "zh-hans"):
            with override(language):
                names[_key(str(label))] = code
    for code, aliases in table.items():
        names.update({_key(alias): code for alias in aliases})
    return names


_lookup_tables: dict[str, dict[str, str]] = {}


def _lookup(kind: str) -> dict[str, str]:
    # Built on first use: the labels are translated, which needs the app registry ready.
    if kind not in _lookup_tables:
        _lookup_tables["header"] = {_key(n): column for column, names in HEADER_NAMES.items() for n in names}
        _lookup_tables["header"].update({_key(column): column for column in COLUMNS})
        _lookup_tables["channel"] = _names(CHANNEL_NAMES, Channel)
        _lookup_tables["scheme"] = _names(SCHEME_NAMES, Scheme)
    return _lookup_tables[kind]


def _column_label(column: str) -> str:
    labels = {
        "id_number": _("ID number"),
        "name": _("name"),
        "scheme": _("scheme"),
        "period": _("coverage period"),
        "amount": _("amount"),
        "channel": _("channel"),
        "reference": _("transaction reference"),
        "paid_at": _("paid at"),
    }
    return labels[column]


# --------------------------------------------------------------------------------------------
# Reading the file


@dataclass(frozen=True)
class RawRow:
    number: int
    values: dict[str, Any]


@dataclass(frozen=True)
class ParsedFile:
    file_format: str
    encoding: str
    rows: list[RawRow]


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The file is neither UTF-8 nor GB18030 text; save it as CSV (UTF-8) or XLSX."))


def _table_rows(content: bytes) -> tuple[str, str, Iterator[tuple[int, list[Any]]]]:
    """(format, encoding, numbered rows) of the file; row numbers are the file's own (1 = first)."""
    if content.startswith(b"PK\x03\x04"):
        return "xlsx", "", _xlsx_rows(content)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("Old Excel files (.xls) are not supported; save the file as XLSX or CSV."))
    text, encoding = _decode(content)
    if "\x00" in text:
        raise ImportFileError(_("The file is not a CSV or XLSX file."))
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(_csv_lines(text), delimiter=delimiter)
    return "csv", encoding, ((index, row) for index, row in enumerate(reader, start=1))


def _csv_lines(text: str) -> Iterator[str]:
    """The lines of the text, refusing an overlong one before csv splits it into cells (a line of
    millions of commas would otherwise become a list of millions of cells)."""
    for line in io.StringIO(text, newline=""):
        if len(line) > MAX_CSV_LINE_CHARS:
            raise ImportFileError(
                _("A line of the file is longer than %(limit)s characters; this is not a payment file.")
                % {"limit": f"{MAX_CSV_LINE_CHARS:,}"}
            )
        yield line


def _xlsx_unreadable() -> ImportFileError:
    return ImportFileError(
        _(
            "The XLSX file cannot be read: it holds XML that spreadsheet programs do not write (a document type "
            "or entity declaration). Save it again from the spreadsheet program, or import it as CSV."
        )
    )


def _xlsx_declares_entities(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether an XML part of the archive declares a document type or entities. Excel and WPS never
    write one; in a hostile file it is a billion-laughs expansion or an external entity. Text in cells
    is escaped (`&lt;!DOCTYPE`), so the raw markers appear only as declarations. Read in blocks, with
    the end of the previous block kept so that a marker across two blocks is found."""
    tail = b""
    with archive.open(member) as stream:
        while block := stream.read(1 << 20):
            window = tail + block
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                return True
            tail = window[-(len(b"<!DOCTYPE") - 1) :]
    return False


def _xlsx_check_archive(content: bytes) -> None:
    """Refuse an XLSX whose members would expand beyond the limits, before openpyxl inflates any,
    or whose XML declares entities."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            _xlsx_check_sizes(members)
            if any(_xlsx_declares_entities(archive, m) for m in members if not m.filename.endswith("/")):
                raise _xlsx_unreadable()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise ImportFileError(_("The XLSX file cannot be opened: %(problem)s") % {"problem": error}) from None


def _xlsx_check_sizes(members: list[zipfile.ZipInfo]) -> None:
    expanded = sum(member.file_size for member in members)
    if len(members) > MAX_XLSX_MEMBERS or expanded > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise ImportFileError(
            _(
                "The XLSX file would expand to %(size)s MB in %(count)s parts; at most %(limit)s MB in "
                "%(members)s parts are accepted. Save the sheet again or import it as CSV."
            )
            % {
                "size": f"{expanded / 1048576:,.0f}",
                "count": len(members),
                "limit": MAX_XLSX_UNCOMPRESSED_BYTES // 1048576,
                "members": MAX_XLSX_MEMBERS,
            }
        )


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    _xlsx_check_archive(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except ElementTree.ParseError:
        raise _xlsx_unreadable() from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError(_("The XLSX file cannot be opened: %(problem)s") % {"problem": error}) from None
    if not workbook.worksheets:
        raise ImportFileError(_("The XLSX file has no worksheet."))
    sheet = workbook.worksheets[0]
    # The sheet's declared size (its <dimension>): read-only openpyxl pads every row to the declared
    # width and fills the declared height, so a few bytes can ask for 16,384 x 1,048,576 empty cells.
    if (sheet.max_column or 0) > MAX_XLSX_COLUMNS or (sheet.max_row or 0) > MAX_DATA_ROWS + HEADER_SEARCH_ROWS:
        raise ImportFileError(
            _("The sheet is declared as %(rows)s rows by %(columns)s columns; at most %(limit)s rows are accepted.")
            % {
                "rows": f"{sheet.max_row or 0:,}",
                "columns": f"{sheet.max_column or 0:,}",
                "limit": f"{MAX_DATA_ROWS:,}",
            }
        )
    return _xlsx_sheet_rows(sheet)


def _xlsx_sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    # The sheet is parsed while it is iterated; XML the parser refuses (malformed, or declarations
    # in an encoding the archive check does not see) is a file that cannot be read, not a crash.
    try:
        for index, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield index, list(row)
    except ElementTree.ParseError:
        raise _xlsx_unreadable() from None


def _header(cells: list[Any]) -> dict[int, str] | None:
    names = _lookup("header")
    found = {index: names[_key(cell)] for index, cell in enumerate(cells) if cell is not None and _key(cell) in names}
    return found if set(found.values()) == set(COLUMNS) else None


def payment_file_read(*, content: bytes) -> ParsedFile:
    """The data rows of a CSV or XLSX payment file, by column; ImportFileError if it cannot be read."""
    if not content.strip():
        raise ImportFileError(_("The file is empty."))
    try:
        file_format, encoding, numbered = _table_rows(content)
        columns: dict[int, str] | None = None
        rows: list[RawRow] = []
        lines_after_header = 0
        for number, cells in numbered:
            if columns is None:
                columns = _header(cells)
                if columns is None and number >= HEADER_SEARCH_ROWS:
                    break
                continue
            lines_after_header += 1
            if lines_after_header > MAX_DATA_ROWS:
                # Blank lines count too, so the refusal comes before the rows kept in memory pass the limit.
                raise ImportFileError(
                    _("The file has more than %(limit)s rows; split it into smaller files.")
                    % {"limit": f"{MAX_DATA_ROWS:,}"}
                )
            if all(cell is None or str(cell).strip() == "" for cell in cells):
                continue
            values = {column: (cells[i] if i < len(cells) else None) for i, column in columns.items()}
            rows.append(RawRow(number, values))
    except csv.Error as error:
        raise ImportFileError(_("The CSV file cannot be read: %(problem)s") % {"problem": error}) from None
    if columns is None:
        raise ImportFileError(
            _("No header row with the columns %(columns)s was found in the first %(count)s rows.")
            % {"columns": ", ".join(_column_label(c) for c in COLUMNS), "count": HEADER_SEARCH_ROWS}
        )
    return ParsedFile(file_format=file_format, encoding=encoding, rows=rows)


# --------------------------------------------------------------------------------------------
# Checking a row without the database


class RowRejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class Row:
    """One data row: what was given, what it means once parsed, and what became of it."""

    number: int
    id_given: str
    name_given: str
    reference_given: str
    id_number: str = ""
    person_id: int | None = None
    channel: str = ""
    reference: str = ""
    request: PaymentRequest | None = None
    amount: Decimal = Decimal(0)
    paid_at: datetime.datetime | None = None
    paid_on: datetime.date | None = None
    outcome: str = ""
    code: str = ""
    message: str = ""
    payment_id: int | None = None

    def reject(self, code: str, message: str) -> None:
        self.outcome, self.code, self.message, self.payment_id = ImportOutcome.REJECTED, code, message, None

    def reset(self) -> None:
        self.outcome, self.code, self.message, self.payment_id = "", "", "", None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if type(value) is str and value.isascii():
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _without_spaces(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@functools.lru_cache(maxsize=4096)
def _code(kind: str, text: str) -> str | None:
    # Channels, schemes and periods repeat on almost every row: look each spelling up once.
    return _lookup(kind).get(_key(text))


def _scheme(value: Any) -> str:
    text = _text(value)
    scheme = _code("scheme", text)
    if scheme is None:
        raise RowRejected("UNKNOWN_SCHEME", _("Unknown scheme: %(value)s") % {"value": text or "—"})
    return scheme


def _channel(value: Any) -> str:
    text = _text(value)
    channel = _code("channel", text)
    if channel is None:
        raise RowRejected("UNKNOWN_CHANNEL", _("Unknown payment channel: %(channel)s") % {"channel": text or "—"})
    return channel


def _month(year: str, month: str | None, compact: str | None) -> datetime.date:
    return datetime.date(int(year), int(month or compact or "0"), 1)


@functools.lru_cache(maxsize=4096)
def _period_cached(text: str, scheme: str) -> PaymentRequest | None:
    try:
        return _period(text, scheme)
    except RowRejected:
        return None  # not cached: the message is in the language of each import


def _period(value: Any, scheme: str) -> PaymentRequest:
    """`2025` is a resident year; `2025-07~2025-12` (or `2025-07/2025-12`, `202507-202512`) employee
    months paid at once; a single month (`2025-07`, `202507`) is a monthly payment (EMP-1)."""
    if isinstance(value, datetime.date):
        value = f"{value:%Y-%m}"
    text = _text(value).replace(" ", "")
    bad = RowRejected(
        "PERIOD_INVALID",
        _("The coverage period %(value)s names a month that does not exist.") % {"value": text or "—"},
    )
    try:
        if scheme == Scheme.RESIDENT:
            match = YEAR_PATTERN.fullmatch(text)
            if match is None:
                raise RowRejected(
                    "PERIOD_INVALID",
                    _("A resident payment covers a year, e.g. 2025; %(value)s is not one.") % {"value": text or "—"},
                )
            return PaymentRequest.resident_year(int(match.group(1)))
        kind = EMPLOYEE_KIND_OF_SCHEME[scheme]
        match = RANGE_PATTERN.fullmatch(text)
        if match is not None:
            first, last = _month(*match.group(1, 2, 3)), _month(*match.group(4, 5, 6))
            frequency = Frequency.ANNUAL
        elif (match := MONTH_PATTERN.fullmatch(text)) is not None:
            first = last = _month(*match.group(1, 2, 3))
            frequency = Frequency.MONTHLY
        else:
            raise RowRejected(
                "PERIOD_INVALID",
                _("An employee payment covers months, e.g. 2025-07~2025-12; %(value)s is not such a period.")
                % {"value": text or "—"},
            )
    except ValueError:
        raise bad from None
    if first > last:
        raise RowRejected("PERIOD_INVALID", _("The coverage period %(value)s ends before it starts.") % {"value": text})
    return PaymentRequest.employee_months(first, last, employee_kind=kind, frequency=frequency)


def _amount(value: Any) -> Decimal:
    """Yuan as Decimal, never through float arithmetic; more than two decimals is refused."""
    if isinstance(value, float):
        text = format(value, f".{EXCEL_DIGITS}g")
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        text = _text(value).lstrip("¥￥").replace(",", "").strip()
        if AMOUNT_PATTERN.fullmatch(text) is None:
            raise _amount_invalid(text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _amount_invalid(text) from None
    if not number.is_finite() or number < 0 or number != number.quantize(CENT):
        raise _amount_invalid(text)
    return number.quantize(CENT)


def _amount_invalid(text: str) -> RowRejected:
    return RowRejected(
        "AMOUNT_INVALID",
        _("The amount %(value)s is not a sum of money in yuan with at most two decimals.") % {"value": text or "—"},
    )


def _paid_at(value: Any, now: datetime.datetime) -> datetime.datetime:
    """Timestamps without a zone are Asia/Shanghai local time (the payment date is the Shanghai
    date, DATE-1)."""
    text = _text(value)
    found: datetime.datetime | None
    if isinstance(value, datetime.datetime):
        found = value
    elif isinstance(value, datetime.date):
        found = datetime.datetime.combine(value, datetime.time())
    else:
        try:
            # The usual spellings (2025-11-03 10:15:00, ISO 8601 with a zone) parse in C.
            found = datetime.datetime.fromisoformat(text)
        except ValueError:
            found = _paid_at_other(text)
    if found is None:
        raise RowRejected(
            "DATE_INVALID",
            _("The payment time %(value)s is not a date and time such as 2025-11-03 10:15:00.")
            % {"value": text or "—"},
        )
    moment = found
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=SHANGHAI)
    if moment > now:
        raise RowRejected("DATE_INVALID", _("The payment time %(value)s is in the future.") % {"value": text})
    return moment


def _paid_at_other(text: str) -> datetime.datetime | None:
    """2025/11/3 8:05, 2025.11.03 10:15:09, 20251103101509, with or without a zone."""
    try:
        if (compact := COMPACT_TIMESTAMP_PATTERN.fullmatch(text)) is not None:
            return datetime.datetime(*(int(part) for part in compact.groups()))  # noqa: DTZ001 - naive: Shanghai
        match = TIMESTAMP_PATTERN.fullmatch(text)
        if match is None:
            return None
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        moment = datetime.datetime(  # noqa: DTZ001 - the zone, when given, is set below
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        return None
    if zone is None:
        return moment
    minutes = 0 if zone == "Z" else (int(zone[1:3]) * 60 + int(zone[-2:])) * (-1 if zone[0] == "-" else 1)
    return moment.replace(tzinfo=datetime.timezone(datetime.timedelta(minutes=minutes)))


def _registered(numbers: set[str], scope: frozenset[int] | None) -> set[str]:
    """Which of these ID numbers are in the register (in the regions of `scope`, None: all), in one
    query: the numbers travel as one array parameter (an IN list of 100,000 parameters costs seconds
    to build and to plan)."""
    if not numbers:
        return set()
    where, params = _in_scope(scope)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id_number FROM {Person._meta.db_table} WHERE id_number = ANY(%s){where}",
            [sorted(numbers), *params],
        )
        return {number for (number,) in cursor.fetchall()}


def _in_scope(scope: frozenset[int] | None) -> tuple[str, list[Any]]:
    """The SQL condition that keeps the persons of the uploader's regions (`enrollment.scoping`)."""
    if scope is None:
        return "", []
    return " AND household_region_id = ANY(%s)", [sorted(scope)]


def _id_number_check(number: str, *, today: datetime.date) -> None:
    try:
        parse_id_number(number, today=today)
    except ValidationError as error:
        raise RowRejected("ID_NUMBER_INVALID", " ".join(error.messages)) from None
    except KeyError:
        # python-stdnum's division table lacks the county of some area codes (e.g. 361099) and
        # raises KeyError from the birth-place lookup, which comes after the length, birth-date
        # and check-digit checks: the number passed those.
        pass


def _id_number(raw: RawRow) -> str:
    """The row's ID number as the register writes it (`normalize_id_number`, which leaves the
    usual 18 ASCII letters and digits as they are but for the case)."""
    given = _text(raw.values["id_number"])[:40]
    return given.upper() if given.isascii() and given.isalnum() else normalize_id_number(given)


def _row_parse(raw: RawRow, *, today: datetime.date, now: datetime.datetime, registered: set[str]) -> Row:
    values = raw.values
    row = Row(
        number=raw.number,
        id_given=_text(values["id_number"])[:40],
        name_given=_text(values["name"])[:60],
        reference_given=_text(values["reference"])[:64],
    )
    try:
        row.id_number = _id_number(raw)
        # A registered number was checked when the person was registered; checking it again costs
        # 0.2 ms a row (the birth-place table), a third of the time budget of the whole import.
        if row.id_number not in registered:
            _id_number_check(row.id_number, today=today)
        if not _without_spaces(row.name_given):
            raise RowRejected("NAME_MISSING", _("The name is missing."))
        scheme = _scheme(values["scheme"])
        period = values["period"]
        row.request = (isinstance(period, str) and _period_cached(period, scheme)) or _period(period, scheme)
        row.amount = _amount(values["amount"])
        row.channel = _channel(values["channel"])
        row.reference = _text(values["reference"])
        if not row.reference:
            raise RowRejected("REFERENCE_MISSING", _("The transaction reference is missing."))
        if len(row.reference) > Payment._meta.get_field("reference").max_length:
            raise RowRejected("REFERENCE_INVALID", _("The transaction reference is longer than 64 characters."))
        row.paid_at = _paid_at(values["paid_at"], now)
        row.paid_on = timezone.localtime(row.paid_at, SHANGHAI).date()
    except RowRejected as refusal:
        row.reject(refusal.code, refusal.message)
    return row


# --------------------------------------------------------------------------------------------
# Evaluating and writing a chunk


@dataclass
class _Context:
    batch: ImportBatch
    user: AbstractBaseUser | None
    dry_run: bool
    now: datetime.datetime
    today: datetime.date
    # References accepted by this import so far: a dry run rolls its payments back, so a later
    # chunk would not find them in the database.
    accepted: dict[tuple[str, str], tuple[int, Decimal, int | None]] = field(default_factory=dict)
    no_policy: dict[tuple[str, int, str], str] = field(default_factory=dict)
    # The regions whose persons this import may read and pay for: the uploader's (enrollment.scoping);
    # None, every region (the command, run by the operator, and staff who work in every region).
    scope: frozenset[int] | None = None
    regions: dict[int, Region] = field(default_factory=dict)
    # The builders' rows for one input, copied for every accepted row with the same input (`_write`).
    decisions: dict[Hashable, "_DecisionTemplate"] = field(default_factory=dict)
    ledgers: dict[Hashable, list[list[str]]] = field(default_factory=dict)


@dataclass
class _Accepted:
    row: Row
    person: Person
    quote: Quote


class _Written(NamedTuple):
    """A payment written by this chunk: what a later row with the same reference is settled with
    (a model instance is made only then, not for every accepted row)."""

    pk: int
    person_id: int
    channel: str
    reference: str
    amount: Decimal
    paid_on: datetime.date

    def payment(self) -> Payment:
        return Payment.from_db(connection.alias, _attnames(Payment, PAYMENT_COLUMNS), list(self))


_Recorded = dict[tuple[str, str], Payment | _Written]
Payable = ResidentPayment | EmployeePayment
# What is read of persons and recorded payments, in the order of the models' fields (`from_db`).
PERSON_COLUMNS = ("id", "id_number", "name", "household_region_id")
PAYMENT_COLUMNS = ("id", "person_id", "channel", "reference", "amount", "paid_on")


@functools.cache
def _attnames(model: type[Model], names: tuple[str, ...]) -> list[str]:
    ordered = [f.attname for f in model._meta.concrete_fields if f.attname in names]
    assert ordered == list(names), f"{names} are not in the order of {model.__name__}'s fields"
    return ordered


def _persons_locked(ctx: _Context, id_numbers: set[str]) -> dict[str, Person]:
    """The chunk's registered persons by ID number, locked FOR UPDATE (the lock `payment_record`
    takes) in primary-key order, so that two imports of overlapping files wait for each other
    instead of deadlocking. The numbers travel as one array parameter: an IN list of a thousand
    parameters costs more to build and to plan than the query costs to run.

    Only the persons of the uploader's regions are found: another region's person is, for this
    import, a number nobody has (the same outcome and message), so a file reveals nothing about them
    and records nothing for them; their own service hall imports those rows."""
    table = Person._meta.db_table
    where, params = _in_scope(ctx.scope)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(_attnames(Person, PERSON_COLUMNS))} FROM {table}"
            f" WHERE id_number = ANY(%s){where} ORDER BY id FOR UPDATE",
            [sorted(id_numbers), *params],
        )
        found = cursor.fetchall()
    missing = {region_id for *_, region_id in found} - set(ctx.regions)
    if missing:
        ctx.regions.update(Region.objects.in_bulk(missing))
    persons = {}
    for values in found:
        person = Person.from_db(connection.alias, _attnames(Person, PERSON_COLUMNS), values)
        person.household_region = ctx.regions[values[-1]]
        persons[person.id_number] = person
    return persons


def _recorded(keys: set[tuple[str, str]]) -> _Recorded:
    """The payments already recorded under these (channel, reference) keys, joined on the unique
    index of (channel, reference)."""
    if not keys:
        return {}
    channels, references = zip(*sorted(keys), strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(f'p.{column}' for column in _attnames(Payment, PAYMENT_COLUMNS))}"
            f" FROM {Payment._meta.db_table} p"
            " JOIN unnest(%s::text[], %s::text[]) AS k (channel, reference)"
            " ON p.channel = k.channel AND p.reference = k.reference",
            [list(channels), list(references)],
        )
        found = cursor.fetchall()
    payments = (Payment.from_db(connection.alias, _attnames(Payment, PAYMENT_COLUMNS), values) for values in found)
    return {(payment.channel, payment.reference): payment for payment in payments}


def _policy_rows(region_ids: Iterable[int]) -> dict[tuple[int, int, str], list[PolicyProfile]]:
    rows: dict[tuple[int, int, str], list[PolicyProfile]] = defaultdict(list)
    for row in PolicyProfile.objects.published().filter(region_id__in=set(region_ids)).order_by("effective_from"):
        rows[(row.region_id, row.coverage_year, row.scope)].append(row)
    return rows


def _no_policy_message(ctx: _Context, person: Person, request: PaymentRequest, on: datetime.date) -> str:
    key = (person.household_region.code, request.coverage_year, request.scope)
    if key not in ctx.no_policy:
        try:
            policy_row_for(region_code=key[0], year=key[1], scope=key[2], on=on)
            ctx.no_policy[key] = _("No policy is configured.")
        except NoPolicy as error:
            ctx.no_policy[key] = str(error)
    return ctx.no_policy[key]


def _evaluate(
    ctx: _Context,
    row: Row,
    person: Person,
    facts: PersonFacts,
    recorded: _Recorded,
    policies: dict[tuple[int, int, str], list[PolicyProfile]],
) -> _Accepted | None:
    """Decide one row as `payment_record` would; returns what to write when it is accepted."""
    assert row.request is not None and row.paid_on is not None
    if _settle_recorded(ctx, row, recorded):
        return None
    try:
        candidates = policies.get((person.household_region_id, row.request.coverage_year, row.request.scope))
        if not candidates:
            raise PaymentRefused("NO_POLICY", _no_policy_message(ctx, person, row.request, row.paid_on))
        quote = premium_quote_under(
            person=person,
            request=row.request,
            on=row.paid_on,
            policy_row=policy_row_in_force(candidates, row.paid_on),
            facts=facts,
        )
        quote_check(quote=quote, amount=row.amount)
    except PaymentRefused as refusal:
        row.reject(refusal.code, refusal.message)
        return None
    except MalformedInput as error:
        row.reject("RULES_INPUT_INVALID", _("The rules cannot evaluate this payment: %(problem)s") % {"problem": error})
        return None
    row.outcome, row.code = ImportOutcome.ACCEPTED, ""  # the message is the decision's explanation
    return _Accepted(row, person, quote)


def _settle_recorded(ctx: _Context, row: Row, recorded: _Recorded) -> bool:
    """A row whose reference is recorded: a duplicate of that payment, or a conflict when it was
    recorded for another person or amount. False when the reference is new."""
    key = (row.channel, row.reference)
    assert row.person_id is not None
    try:
        if key in recorded:
            found = recorded[key]
            if isinstance(found, _Written):
                found = recorded[key] = found.payment()
            outcome = recorded_match(payment=found, person_id=row.person_id, amount=row.amount)
            row.outcome, row.payment_id = ImportOutcome.DUPLICATE, outcome.payment.pk
            row.code, row.message = "ALREADY_RECORDED", _duplicate_message(row, outcome.payment.paid_on)
            return True
        if key in ctx.accepted:
            person_id, amount, payment_id = ctx.accepted[key]
            if person_id != row.person_id or amount != row.amount:
                raise PaymentRefused(
                    "REFERENCE_CONFLICT",
                    _("Reference %(reference)s of %(channel)s is already recorded for another payment.")
                    % {"reference": row.reference, "channel": Channel(row.channel).label},
                )
            row.outcome, row.payment_id = ImportOutcome.DUPLICATE, payment_id
            row.code, row.message = "ALREADY_RECORDED", _duplicate_message(row, None)
            return True
    except PaymentRefused as refusal:
        row.reject(refusal.code, refusal.message)
        return True
    return False


def _duplicate_message(row: Row, paid_on: datetime.date | None) -> str:
    if paid_on is None:
        return _("Reference %(reference)s is recorded by an earlier row of this file.") % {"reference": row.reference}
    return _("Reference %(reference)s is already recorded (paid on %(day)s).") % {
        "reference": row.reference,
        "day": paid_on.isoformat(),
    }


@functools.cache
def _sequence(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (name,) = cursor.fetchone()
    return name


def _reserve_ids(model: type[Model], count: int) -> list[int]:
    """`count` primary keys from the table's sequence (named once: `pg_get_serial_sequence` in the
    statement would look it up again for every key, eight times the cost of `nextval`)."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [_sequence(model._meta.db_table), count]
        )
        return [pk for (pk,) in cursor.fetchall()]


# COPY's text format: a line per row, the columns separated by tabs, NULL as \N, and backslash,
# tab, newline and carriage return escaped in values.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_BLOCK = 2000


def _copy_text(value: Any) -> str:
    """A value in COPY's text format, as PostgreSQL reads it back: ISO dates and times (with their
    zone), Decimal's own digits, t/f."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError(f"a naive timestamp cannot be stored: {value}")
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"no COPY text for {type(value).__name__}")


def _copy_line(values: Iterable[Any]) -> str:
    return "\t".join(map(_copy_text, values)) + "\n"


def _copy(table: str, columns: list[str], lines: Iterable[str]) -> None:
    """COPY rows (lines in COPY's text format) into a table, inside the current transaction; a
    violated constraint raises Django's IntegrityError like any other write.

    The lines are formatted here rather than by psycopg's `write_row` (10 µs a row): a decision's
    or a ledger row's columns are formatted once per distinct input (`_write`), and a row is the
    join of those texts with its own keys."""
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.copy(statement) as copy:
        block: list[str] = []
        for line in lines:
            block.append(line)
            if len(block) == COPY_BLOCK:
                copy.write("".join(block))
                block.clear()
        if block:
            copy.write("".join(block))


# Defaults that are the same value for every row; any other callable default (a uuid4, a clock)
# could not be copied from one row to the next.
SHARED_DEFAULTS = (list, dict)
HISTORY_EXTRA = ["history_date", "history_change_reason", "history_type", "history_user_id"]


@dataclass(frozen=True)
class _Table:
    """How a model's rows are written with COPY: its columns in order, where each attribute sits
    in a row, the timestamps set on insert, and its history table (what `bulk_create_with_history`
    writes: the row's tracked columns, type "+", the user, the time) when it keeps one.

    A row is a list of its columns' COPY texts."""

    table: str
    columns: list[str]
    attnames: list[str]
    position: dict[str, int]
    json: frozenset[str]
    stamps: tuple[int, ...]
    history_table: str | None
    history_columns: list[str]
    tracked: tuple[int, ...]

    def cell(self, attname: str, value: Any) -> str:
        """The COPY text of one attribute's value (a JSON field's value serialised)."""
        if attname in self.json and value is not None:
            value = json.dumps(value, ensure_ascii=False)
        return _copy_text(value)

    def row(self, obj: Model) -> list[str]:
        """The COPY row of a model instance."""
        return [self.cell(name, getattr(obj, name)) for name in self.attnames]


@functools.cache
def _table(model: type[Model]) -> _Table:
    fields = list(model._meta.concrete_fields)
    for f in fields:
        if f.has_default() and callable(f.default) and f.default not in SHARED_DEFAULTS:
            raise TypeError(f"{model.__name__}.{f.name}: a callable default cannot be copied between rows")
    position = {f.attname: index for index, f in enumerate(fields)}
    stamps = tuple(
        index for index, f in enumerate(fields) if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    )
    history = getattr(model, "history", None)
    history_table, history_columns, tracked = None, [], ()
    if history is not None:
        historical = history.model
        own = [f for f in historical._meta.concrete_fields if f.attname != "history_id"]
        unknown = [f.attname for f in own if f.attname not in position and f.attname not in HISTORY_EXTRA]
        assert not unknown, f"history columns of {model.__name__} not in the row: {unknown}"
        kept = [f for f in own if f.attname in position]
        history_table = historical._meta.db_table
        history_columns = [f.column for f in kept] + [historical._meta.get_field(n).column for n in HISTORY_EXTRA]
        tracked = tuple(position[f.attname] for f in kept)
    return _Table(
        table=model._meta.db_table,
        columns=[f.column for f in fields],
        attnames=[f.attname for f in fields],
        position=position,
        json=frozenset(f.attname for f in fields if isinstance(f, JSONField)),
        stamps=stamps,
        history_table=history_table,
        history_columns=history_columns,
        tracked=tracked,
    )


def _insert(model: type[Model], rows: list[list[str]], *, user_id: int | None, now: datetime.datetime) -> None:
    """COPY rows (primary keys set) into a model's table, with the insert time, and their history
    rows.

    The ORM's bulk_create spends about 130 µs a row in Python; COPY makes a 100,000-row file fit
    in a minute. Primary keys come from the table's sequence (`_reserve_ids`), so that the rows
    written after them can refer to them.
    """
    if not rows:
        return
    table = _table(model)
    stamp = _copy_text(now)
    for row in rows:
        for index in table.stamps:
            row[index] = stamp
    _copy(table.table, table.columns, ("\t".join(row) + "\n" for row in rows))
    if table.history_table is None:
        return
    extra = "\t" + "\t".join(map(_copy_text, [now, None, "+", user_id])) + "\n"
    tracked = table.tracked
    if tracked == tuple(range(len(table.columns))):
        lines = ("\t".join(row) + extra for row in rows)
    else:
        lines = ("\t".join([row[i] for i in tracked]) + extra for row in rows)
    _copy(table.history_table, table.history_columns, lines)


@dataclass(frozen=True)
class _DecisionTemplate:
    """A decision `decision_build` made, and its COPY row."""

    decision: BenefitDecision
    columns: list[str]


def _exact(value: Any) -> Any:
    """A dictionary key for a value of the rules' result. Its fields are typed, so equal values
    are the same input, except for amounts: Decimal("400") == Decimal("400.00"), but they are
    stored and explained differently, so their text is the key."""
    if isinstance(value, tuple):
        return tuple(map(_exact, value))
    if isinstance(value, Decimal):
        return (Decimal, str(value))
    return value


def _result_key(result: Result) -> tuple[Any, ...]:
    return tuple(map(_exact, vars(result).values()))


def _decision_template(
    ctx: _Context, item: _Accepted, action: Payable, result_key: tuple[Any, ...]
) -> _DecisionTemplate:
    """`decision_build` reads the person only to refer to it: its decision for one (action, result,
    profile name) is every person's, but for the person's key."""
    key = (action, result_key, item.quote.profile_name)
    template = ctx.decisions.get(key)
    if template is None:
        decision = decision_build(
            person=item.person, action=action, result=item.quote.result, profile_name=item.quote.profile_name
        )
        template = ctx.decisions[key] = _DecisionTemplate(decision, _table(BenefitDecision).row(decision))
    return template


def _ledger_template(ctx: _Context, item: _Accepted, action: Payable, result_key: tuple[Any, ...]) -> list[list[str]]:
    """`ledger_rows_build` reads the person, the decision and the payment only to refer to them (and
    the person's region): its rows for one (action, result, region) are every such payment's, but
    for those three keys."""
    key = (action, result_key, item.person.household_region_id)
    template = ctx.ledgers.get(key)
    if template is None:
        row, quote = item.row, item.quote
        assert row.request is not None and row.paid_at is not None
        decision = decision_build(
            person=item.person, action=action, result=quote.result, profile_name=quote.profile_name
        )
        payment = payment_build(
            person=item.person,
            request=row.request,
            quote=quote,
            decision=decision,
            channel=row.channel,
            reference=row.reference,
            amount=row.amount,
            paid_at=row.paid_at,
            recorded_by=ctx.user,
        )
        entries = ledger_rows_build(decision=decision, action=action, result=quote.result, payment=payment)
        table = _table(LedgerEntry)
        template = ctx.ledgers[key] = [table.row(entry) for entry in entries]
    return template


def _write(ctx: _Context, accepted: list[_Accepted]) -> list[int]:
    """Decisions, payments and ledger rows of accepted rows, written with COPY; returns the
    payments' primary keys.

    The single path's builders make the rows: `decision_build`, `payment_fields` (what
    `payment_build` is made of) and `ledger_rows_build`. A decision depends only on the action,
    the rules' result and the profile's name, and its ledger rows only on these and the person's
    region: the person, the decision and the payment appear in them as keys and nothing else. So
    these two builders run once per distinct input of an import (`_decision_template`,
    `_ledger_template`), and every accepted row with that input gets a copy of their rows with its
    own keys. The inputs repeat: persons with the same history paying for the same period on the
    same day get the same result (the bench's file, five months of payments, has about 200
    distinct inputs among 30,000 accepted rows), and the builders' model instances cost more than
    the rules (about 60 µs each, a dozen for a year of months).
    """
    now = timezone.now()
    user = None if ctx.user is None else ctx.user.pk
    user_id = _copy_text(user)
    language = get_language()
    decision_table, payment_table, ledger_table = _table(BenefitDecision), _table(Payment), _table(LedgerEntry)
    at_decision = decision_table.position
    at_payment = payment_table.position
    at_ledger = ledger_table.position
    payment_defaults = payment_table.row(Payment())
    decision_ids = _reserve_ids(BenefitDecision, len(accepted))
    payment_ids = _reserve_ids(Payment, len(accepted))
    decisions: list[list[str]] = []
    payments: list[list[str]] = []
    ledger: list[list[str]] = []
    for item, decision_pk, payment_pk in zip(accepted, decision_ids, payment_ids, strict=True):
        row, quote = item.row, item.quote
        assert row.request is not None and row.paid_at is not None
        person_id, decision_id, payment_id = str(item.person.pk), str(decision_pk), str(payment_pk)
        action = row.request.action(quote.paid_on)
        result_key = _result_key(quote.result)
        template = _decision_template(ctx, item, action, result_key)
        columns = template.columns.copy()
        columns[at_decision["id"]], columns[at_decision["person_id"]] = decision_id, person_id
        decisions.append(columns)
        row.message = template.decision.explanation_in(language)
        columns = payment_defaults.copy()
        own = payment_fields(
            request=row.request,
            quote=quote,
            scheme=template.decision.scheme,
            channel=row.channel,
            reference=row.reference,
            amount=row.amount,
            paid_at=row.paid_at,
        )
        for name, value in own.items():
            columns[at_payment[name]] = payment_table.cell(name, value)
        columns[at_payment["id"]], columns[at_payment["person_id"]] = payment_id, person_id
        columns[at_payment["decision_id"]], columns[at_payment["recorded_by_id"]] = decision_id, user_id
        payments.append(columns)
        for entry in _ledger_template(ctx, item, action, result_key):
            columns = entry.copy()
            columns[at_ledger["person_id"]] = person_id
            columns[at_ledger["decision_id"]], columns[at_ledger["payment_id"]] = decision_id, payment_id
            ledger.append(columns)
    for columns, pk in zip(ledger, _reserve_ids(LedgerEntry, len(ledger)), strict=True):
        columns[at_ledger["id"]] = str(pk)
    _insert(BenefitDecision, decisions, user_id=user, now=now)
    _insert(Payment, payments, user_id=user, now=now)
    _insert(LedgerEntry, ledger, user_id=user, now=now)
    return payment_ids


def _chunk_evaluate(ctx: _Context, rows: list[Row]) -> set[int]:
    """Evaluate and write one chunk (inside its transaction); returns the persons marked."""
    persons = _persons_locked(ctx, {row.id_number for row in rows})
    queues: dict[int, deque[Row]] = defaultdict(deque)
    for row in rows:
        person = persons.get(row.id_number)
        if person is None:
            row.reject("UNKNOWN_PERSON", _("No insured person with this ID number is registered."))
        elif _without_spaces(row.name_given) != _without_spaces(person.name):
            row.reject(
                "NAME_MISMATCH",
                _("The name %(name)s does not match the name registered for this ID number.")
                % {"name": row.name_given},
            )
        else:
            row.person_id = person.pk
            queues[person.pk].append(row)
    if not queues:
        return set()
    by_pk = {person.pk: person for person in persons.values()}
    recorded = _recorded({(row.channel, row.reference) for queue in queues.values() for row in queue})
    for pk, queue in queues.items():
        # Rows of one person in order of payment time (the file's order breaks ties); those
        # already recorded are settled now and need no facts (a re-import reads none).
        queues[pk] = deque(
            row
            for row in sorted(queue, key=lambda r: (r.paid_at, r.number))
            if not _settle_recorded(ctx, row, recorded)
        )
    queues = {pk: queue for pk, queue in queues.items() if queue}
    if not queues:
        return set()
    policies = _policy_rows(by_pk[pk].household_region_id for pk in queues)
    facts = facts_for_persons(list(queues))
    marked: set[int] = set()
    while queues:
        # One round: the next row of every person. Two rows with one reference wait for each
        # other, so the second sees the first one's payment.
        round_rows: list[Row] = []
        claimed: set[tuple[str, str]] = set()
        for queue in queues.values():
            key = (queue[0].channel, queue[0].reference)
            if key not in claimed:
                claimed.add(key)
                round_rows.append(queue.popleft())
        queues = {pk: queue for pk, queue in queues.items() if queue}
        accepted = []
        for row in round_rows:
            person = persons[row.id_number]
            item = _evaluate(ctx, row, person, facts[person.pk], recorded, policies)
            if item is not None:
                accepted.append(item)
        if not accepted:
            continue
        for item, payment_id in zip(accepted, _write(ctx, accepted), strict=True):
            row = item.row
            row.payment_id = payment_id
            recorded[(row.channel, row.reference)] = _Written(
                payment_id, item.person.pk, row.channel, row.reference, row.amount, item.quote.paid_on
            )
            marked.add(item.person.pk)
        again = [item.person.pk for item in accepted if item.person.pk in queues]
        if again:
            facts.update(facts_for_persons(again))
    if marked:
        _marks_write(marked)
    return marked


def _marks_write(person_ids: set[int]) -> None:
    """The recompute marks of the chunk's accepted persons (what `payment_record` writes for one),
    in one statement: the ORM's bulk upsert of a thousand instances costs more than the rows."""
    table = RecomputeRequest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (person_id, requested_at) SELECT unnest(%s::bigint[]), %s"
            " ON CONFLICT (person_id) DO UPDATE SET requested_at = EXCLUDED.requested_at",
            [sorted(person_ids), timezone.now()],
        )


def _outcomes_write(ctx: _Context, rows: list[Row]) -> None:
    _copy(
        ImportRow._meta.db_table,
        ["batch_id", "row_number", "id_number", "name", "reference", "outcome", "reason_code", "message", "payment_id"],
        (
            _copy_line(
                (
                    ctx.batch.pk,
                    row.number,
                    row.id_given,
                    row.name_given,
                    row.reference_given,
                    row.outcome,
                    row.code,
                    row.message,
                    row.payment_id,
                )
            )
            for row in rows
        ),
    )


def _recompute(person_ids: list[int]) -> None:
    for person_id in person_ids:
        recompute_soon(person_id)


def _chunk_run(ctx: _Context, rows: list[Row], settled: list[Row] | None = None) -> None:
    """One chunk in one transaction: evaluated, written, its outcomes recorded (with those of the
    `settled` rows, rejected when they were parsed). A dry run rolls the writes back and records
    the outcomes afterwards."""
    settled = settled or []
    with transaction.atomic():
        marked = _chunk_evaluate(ctx, rows)
        if ctx.dry_run:
            transaction.set_rollback(True)
        else:
            _outcomes_write(ctx, settled + rows)
            if marked and len(marked) <= RECOMPUTE_NOW_LIMIT:
                persons = sorted(marked)
                transaction.on_commit(lambda: _recompute(persons))
    created = {row.payment_id for row in rows if row.outcome == ImportOutcome.ACCEPTED}
    for row in rows:
        if row.outcome == ImportOutcome.ACCEPTED:
            ctx.accepted[(row.channel, row.reference)] = (
                _person_of(row),
                row.amount,
                None if ctx.dry_run else row.payment_id,
            )
    if ctx.dry_run:
        for row in rows:
            if row.payment_id in created:
                row.payment_id = None  # rolled back with the dry run
        with transaction.atomic():
            _outcomes_write(ctx, settled + rows)


def _person_of(row: Row) -> int:
    assert row.person_id is not None
    return row.person_id


def _retryable(error: Exception) -> bool:
    """A unique constraint another writer won, or a deadlock PostgreSQL broke by aborting us."""
    if isinstance(error, IntegrityError):
        return True
    return getattr(error.__cause__, "sqlstate", None) in {"40P01", "40001"}


CHUNK_RETRIES = 3


def _rows_parse(ctx: _Context, raws: list[RawRow]) -> list[Row]:
    """The chunk's rows checked without the database but for one query (which ID numbers are
    registered); done by the process that evaluates them, so that a large file is parsed on every
    core."""
    registered = _registered({_id_number(raw) for raw in raws}, ctx.scope)
    return [_row_parse(raw, today=ctx.today, now=ctx.now, registered=registered) for raw in raws]


def _chunk_process(ctx: _Context, raws: list[RawRow]) -> None:
    rows = _rows_parse(ctx, raws)
    settled = [row for row in rows if row.outcome]
    rows = [row for row in rows if not row.outcome]
    if not rows:
        with transaction.atomic():
            _outcomes_write(ctx, settled)
        return
    try:
        _chunk_run(ctx, rows, settled)
        return
    except (IntegrityError, OperationalError) as error:
        if not _retryable(error):
            raise
        logger.info(
            "import %s: chunk conflicted with another writer (%s); redoing it person by person", ctx.batch.pk, error
        )
    if settled:
        with transaction.atomic():
            _outcomes_write(ctx, settled)
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.id_number].append(row)
    for group in groups.values():
        for _attempt in range(CHUNK_RETRIES):
            for row in group:
                row.reset()
            try:
                _chunk_run(ctx, group)
                break
            except (IntegrityError, OperationalError) as error:
                if not _retryable(error):
                    raise
        else:
            for row in group:
                row.reject(
                    "CONCURRENT_CHANGE",
                    _("Another user changed this person's payments during the import; import the file again."),
                )
            with transaction.atomic():
                _outcomes_write(ctx, group)


def _chunks(rows: list[tuple[str, RawRow]], size: int) -> Iterator[list[RawRow]]:
    """Chunks of about `size` rows of (ID number, row) sorted by ID number; a person's rows are
    never split."""
    chunk: list[RawRow] = []
    last = ""
    for id_number, raw in rows:
        if len(chunk) >= size and id_number != last:
            yield chunk
            chunk = []
        chunk.append(raw)
        last = id_number
    if chunk:
        yield chunk


def _chunks_in_processes(ctx: _Context, chunks: list[list[RawRow]], workers: int) -> None:
    """Chunks shared out to `workers` forked processes, each with its own database connection, so
    that a large file uses every core (the rules and the row building are Python, bound by one
    core per process). Chunks never share a person, so the processes do not wait for each
    other's locks; a reference two of them record at once is settled by the unique constraint.
    """
    context = multiprocessing.get_context("fork")
    language = get_language()
    connections.close_all()  # a forked child must not use the parent's socket
    children = [
        context.Process(target=_child, args=(ctx, chunks[index::workers], language), name=f"import-{index}")
        for index in range(workers)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join()
    failed = [child.name for child in children if child.exitcode != 0]
    if failed:
        raise RuntimeError(f"import {ctx.batch.pk}: worker processes {', '.join(failed)} failed; see their log")


# Connection objects a forked child inherited, kept referenced so that no finaliser closes the
# parent's sockets from the child (the child ends with os._exit, which runs none).
_INHERITED_CONNECTIONS: list[object] = []


def _forget_inherited_connections() -> None:
    """Start the child with no database connection at all.

    The parent closes its connections before forking, but Django keeps them per thread, or per
    context while an event loop runs in the thread (as under Playwright's sync API): a connection
    opened outside the loop is not closed by `close_all` inside it, and the child, whose copy of the
    loop is no longer running, would find it and talk over the parent's socket.
    """
    _INHERITED_CONNECTIONS.append(connections._connections)
    connections._connections = Local(connections.thread_critical)


def _child(ctx: _Context, chunks: list[list[RawRow]], language: str) -> None:
    _forget_inherited_connections()
    try:
        with override(language):
            for chunk in chunks:
                _chunk_process(ctx, chunk)
    finally:
        connections.close_all()


class ImportRefused(Exception):
    """The import cannot start (a preview confirmed twice, a batch that is not a preview)."""


def payments_import(
    *,
    content: bytes,
    file_name: str,
    uploaded_by: AbstractBaseUser | None = None,
    dry_run: bool = False,
    confirms: ImportBatch | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int = 1,
) -> ImportBatch:
    """Import a payment file (or preview it with `dry_run`) and return the finished batch.

    `workers` > 1 shares the chunks out to that many forked processes (the command does this for
    large files; a web process should not fork). A dry run that does so cannot see a reference
    that two persons' rows in different processes share.

    Raises ImportFileError, before anything is written, when the file cannot be read at all.
    Rows that cannot be accepted are recorded as rejected with their reason; the others go on.
    """
    parsed = payment_file_read(content=content)
    now = timezone.now()
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                file_name=file_name[:255],
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                file_format=parsed.file_format,
                encoding=parsed.encoding,
                uploaded_by=uploaded_by,
                dry_run=dry_run,
                confirms=confirms,
                started_at=now,
            )
    except IntegrityError:
        raise ImportRefused(_("This preview has already been imported.")) from None
    ctx = _Context(
        batch=batch,
        user=uploaded_by,
        dry_run=dry_run,
        now=now,
        today=timezone.localdate(now),
        scope=None if uploaded_by is None else regions_of(uploaded_by),
    )
    # Sorted by person so that a person's rows share a chunk, and every import locks persons in
    # the same order; each chunk's rows are parsed where the chunk is evaluated.
    keyed = sorted(((_id_number(raw), raw) for raw in parsed.rows), key=lambda pair: (pair[0], pair[1].number))
    chunks = list(_chunks(keyed, chunk_size))
    # Inside a transaction (a test, a caller's atomic block) other connections would not see
    # its rows: one process then.
    workers = 1 if connection.in_atomic_block else min(workers, len(chunks))
    if workers > 1:
        _chunks_in_processes(ctx, chunks, workers)
    else:
        for chunk in chunks:
            _chunk_process(ctx, chunk)
    counted = batch.lines.aggregate(
        rows=Count("pk"),
        accepted=Count("pk", filter=Q(outcome=ImportOutcome.ACCEPTED)),
        duplicate=Count("pk", filter=Q(outcome=ImportOutcome.DUPLICATE)),
        rejected=Count("pk", filter=Q(outcome=ImportOutcome.REJECTED)),
    )
    ImportBatch.objects.filter(pk=batch.pk).update(finished_at=timezone.now(), **counted)
    batch.refresh_from_db(fields=["finished_at", "rows", "accepted", "duplicate", "rejected"])
    logger.info(
        "import %s (%s%s): %s rows, %s accepted, %s duplicate, %s rejected",
        batch.pk,
        batch.file_name,
        ", dry run" if dry_run else "",
        batch.rows,
        batch.accepted,
        batch.duplicate,
        batch.rejected,
    )
    return batch


def payments_import_confirm(*, preview: ImportBatch, by: AbstractBaseUser | None) -> ImportBatch:
    """Import exactly the file a dry run previewed; a preview is imported once."""
    if not preview.dry_run:
        raise ImportRefused(_("Only a preview (dry run) can be confirmed."))
    confirmed = ImportBatch.objects.defer("content").filter(confirms=preview).first()
    if confirmed is not None and confirmed.finished_at is None:
        # An import cut short (the database connection lost, the process killed) keeps the chunks
        # it committed and holds the preview's one confirmation; saying "already imported" would
        # hide the rows it never reached. A new upload is safe: recorded references are duplicates.
        raise ImportRefused(
            _(
                "The import of this preview (#%(batch)s, started %(started)s) did not finish: it is still "
                "running or was interrupted. If it was interrupted, upload the file again and confirm: the "
                "payments already recorded are reported as duplicates and the others are recorded."
            )
            % {"batch": confirmed.pk, "started": timezone.localtime(confirmed.started_at).strftime("%Y-%m-%d %H:%M")}
        )
    if confirmed is not None:
        raise ImportRefused(_("This preview has already been imported."))
    return payments_import(
        content=bytes(preview.content), file_name=preview.file_name, uploaded_by=by, confirms=preview
    )


# --------------------------------------------------------------------------------------------
# The report


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # The file came from outside: a name like "=HYPERLINK(...)" must not become a formula when
    # the clerk opens the report in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def import_report_rows(*, batch: ImportBatch) -> Iterator[list[str]]:
    """The report of a batch: the counts, then one line per row of the file (in file order)."""
    yield [_("file"), _cell(batch.file_name)]
    yield ["SHA-256", batch.sha256]
    yield [_("dry run (preview)"), _("yes") if batch.dry_run else _("no")]
    yield [_("started at"), timezone.localtime(batch.started_at).strftime("%Y-%m-%d %H:%M:%S")]
    for label, count in [
        (_("rows"), batch.rows),
        (_("accepted"), batch.accepted),
        (_("duplicates"), batch.duplicate),
        (_("rejected"), batch.rejected),
    ]:
        yield [label, str(count)]
    yield []
    yield [
        _("row"),
        _("outcome"),
        _("reason code"),
        _("message"),
        _("ID number as given"),
        _("name as given"),
        _("transaction reference"),
        _("payment"),
    ]
    labels = {value: str(label) for value, label in ImportOutcome.choices}
    lines = batch.lines.order_by("row_number").values_list(
        "row_number", "outcome", "reason_code", "message", "id_number", "name", "reference", "payment_id"
    )
    for number, outcome, code, message, id_number, name, reference, payment_id in lines.iterator(chunk_size=2000):
        yield [
            str(number),
            labels[outcome],
            code,
            _cell(message),
            _cell(id_number),
            _cell(name),
            _cell(reference),
            "" if payment_id is None else str(payment_id),
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def import_report_csv(*, batch: ImportBatch) -> Iterator[bytes]:
    """The report as CSV in UTF-8 with a BOM (so that spreadsheet programs read the Chinese)."""
    writer = csv.writer(_Echo())
    yield b"\xef\xbb\xbf"
    for line in import_report_rows(batch=batch):
        yield writer.writerow(line).encode("utf-8")
