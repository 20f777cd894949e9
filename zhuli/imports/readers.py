"""Turn an uploaded customer list into a header row and numbered rows of cells.

Kept free of Django so the import pipeline, management commands and tests can use it
anywhere. Everything that comes out of here is already cleaned (stripped text, ``None``
for empty cells) but not interpreted: mapping headers to fields and validating values is
the caller's job; ``parse_date``/``parse_decimal``/``normalize_header`` help with it.

The file type is decided from the bytes, never from the name: Chinese web portals
routinely serve HTML tables or CSV as ``.xls``, and users rename files freely.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import itertools
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser

from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

Cell = str | datetime.date | None

EMPTY_FILE = "文件为空"
UNRECOGNISED_FORMAT = "无法识别的文件格式：请上传 .xlsx、.xls 或 .csv 文件"
NOT_A_SPREADSHEET_ARCHIVE = "压缩文件中没有电子表格：请上传 .xlsx、.xls 或 .csv 文件"
CORRUPT_WORKBOOK = "文件已损坏或不是有效的 Excel 文件，请在 Excel 中打开并重新保存后上传"
PASSWORD_PROTECTED = "文件设有打开密码，请取消密码保护后重新上传"
SPREADSHEET_XML_2003 = "不支持“XML 电子表格 2003”格式，请在 Excel 中另存为 .xlsx 后上传"
UNDECODABLE_TEXT = "文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV"
NO_DATA = "文件中没有数据"


class SpreadsheetError(Exception):
    """The upload cannot be read; ``str(error)`` is written for the end user."""


@dataclass
class Sheet:
    headers: list[str]
    # Row numbers are the ones the user sees in Excel, so error reports can point at them.
    rows: list[tuple[int, list[Cell]]]


def read_table(content: bytes, filename: str = "") -> Sheet:
    """Read the first sheet of an xlsx/xlsm/xlsb/ods/xls workbook, an HTML-table "xls" or a CSV.

    ``filename`` is accepted so callers can pass the upload as they got it, but it is
    deliberately ignored: the extension is too often wrong to be trusted.
    Raises SpreadsheetError, with a message for the user, for anything unreadable.
    """
    if not content:
        raise SpreadsheetError(EMPTY_FILE)
    if content.startswith(_ZIP_MAGIC):
        _ensure_archive_is_spreadsheet(content)
        return _read_workbook(content)
    if content.startswith(_OLE2_MAGIC):
        if _UTF16_ENCRYPTED_PACKAGE in content:
            # A password-protected xlsx is an OLE2 container holding the encrypted zip.
            raise SpreadsheetError(PASSWORD_PROTECTED)
        return _read_workbook(content)
    _reject_binary(content)
    text = _decode_text(content, declared=_declared_html_charset(content))
    markup = text.lstrip()[:1] == "<"
    if markup and _SPREADSHEET_XML_2003.search(text):
        raise SpreadsheetError(SPREADSHEET_XML_2003)
    if markup and _HTML_TABLE.search(text):
        return _read_html_table(text)
    if markup and _HTML_DOCUMENT.search(text[:4096]):
        raise SpreadsheetError(UNRECOGNISED_FORMAT)
    return _read_csv(text)


# ---------------------------------------------------------------------------
# Format detection

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_UTF16_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# Files people upload by mistake that need not contain a NUL early on, and whose bytes
# GB18030 (which accepts almost anything) would happily turn into nonsense text.
_BINARY_MAGICS = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",
    b"\xfd7zXZ",
)
_BOMS = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Files labelled GB2312/GBK routinely contain characters outside those sets; GB18030 is
# a superset of both, so decoding with it never loses what the author meant.
_GB_ALIASES = {"gb2312", "gbk", "gb18030"}
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.IGNORECASE)
_HTML_TABLE = re.compile(r"<table[\s>]", re.IGNORECASE)
_HTML_DOCUMENT = re.compile(r"<(?:!doctype|html|\?xml)", re.IGNORECASE)
_SPREADSHEET_XML_2003 = re.compile(r"urn:schemas-microsoft-com:office:spreadsheet", re.IGNORECASE)


def _bom_encoding(content: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return encoding
    return None


def _reject_binary(content: bytes) -> None:
    if _bom_encoding(content) in ("utf-16", "utf-32"):
        return  # NUL bytes are normal there
    if content.startswith(_BINARY_MAGICS) or b"\x00" in content[:4096]:
        raise SpreadsheetError(UNRECOGNISED_FORMAT)


def _declared_html_charset(content: bytes) -> str | None:
    match = _META_CHARSET.search(content[:65536])
    return match.group(1).decode("ascii") if match else None


def _decode_text(content: bytes, declared: str | None = None) -> str:
    """Decode by BOM, then the declared charset, then strict UTF-8, then GB18030.

    Decoding is always strict: a silently inserted U+FFFD would end up in customer
    names, so an undecodable file is rejected instead.
    """
    bom_encoding = _bom_encoding(content)
    candidates = [bom_encoding] if bom_encoding else [_canonical_codec(declared), "utf-8", "gb18030"]
    for encoding in candidates:
        if encoding is None:
            continue
        try:
            # A GB18030 BOM is not recognised as one by Python and survives decoding.
            return content.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(UNDECODABLE_TEXT)


def _canonical_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None  # e.g. Excel's "charset=unicode": fall back to detection
    return "gb18030" if codec in _GB_ALIASES else codec


def _read_head(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        return member.read(100)


def _ensure_archive_is_spreadsheet(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            mimetype = _read_head(archive, "mimetype") if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError) as exc:
        raise SpreadsheetError(CORRUPT_WORKBOOK) from exc
    is_excel = any(name.startswith("xl/workbook.") for name in names)
    is_ods = mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet")
    if not (is_excel or is_ods):
        raise SpreadsheetError(NOT_A_SPREADSHEET_ARCHIVE)


# ---------------------------------------------------------------------------
# Workbooks (calamine)


def _read_workbook(content: bytes) -> Sheet:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        index = _first_visible_worksheet(workbook)
        # skip_empty_area=False keeps leading blank rows, so row numbers match Excel's.
        values = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
    except PasswordError as exc:
        raise SpreadsheetError(PASSWORD_PROTECTED) from exc
    except Exception as exc:  # calamine reports every kind of damage with its own exceptions
        raise SpreadsheetError(CORRUPT_WORKBOOK) from exc
    return _build_sheet(enumerate(map(_workbook_row, values), start=1))


def _first_visible_worksheet(workbook: CalamineWorkbook) -> int:
    """Templates often keep lookup lists on a hidden first sheet; read what the user sees."""
    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            return index
    return 0


def _workbook_row(values: list[object]) -> list[Cell]:
    # Runs for every cell of files with a million cells: text, the common case, is
    # handled inline to save a call.
    return [(value.strip() or None) if type(value) is str else _workbook_cell(value) for value in values]


def _workbook_cell(value: object) -> Cell:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == datetime.time() else value
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return _format_duration(value)
    return _clean_text(str(value))


def format_number(value: float) -> str:
    """Plain decimal text: Excel stores phone numbers and codes as floats, and neither
    "13800138000.0" nor "1.38E+10" is what the user typed."""
    if not math.isfinite(value):
        return repr(value)
    if value.is_integer():
        return str(int(value))
    # repr gives the shortest text that round-trips; Decimal drops the exponent form.
    return format(Decimal(repr(value)), "f")


def _format_duration(value: datetime.timedelta) -> str:
    """Like Excel's [h]:mm:ss, which is how duration cells are displayed."""
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"


# ---------------------------------------------------------------------------
# CSV

_DELIMITERS = (",", "\t", ";")  # in order of preference when the evidence is equal
_SNIFF_SAMPLE_CHARS = 64 * 1024
_SNIFF_RECORDS = 50


def _read_csv(text: str) -> Sheet:
    delimiter = _sniff_delimiter(text)
    try:
        # Record numbers rather than line numbers: a quoted multi-line cell is still one
        # row when the user opens the file in Excel.
        return _build_sheet(enumerate(_csv_records(text, delimiter, strict=True), start=1))
    except _TextAfterClosingQuote:
        # Hand-made files contain things like "ABC"公司; Excel reads them, and so do we.
        return _build_sheet(enumerate(_csv_records(text, delimiter, strict=False), start=1))


class _TextAfterClosingQuote(Exception):
    pass


def _csv_records(text: str, delimiter: str, *, strict: bool) -> Iterator[list[Cell]]:
    """Yield cleaned records; an unclosed quote is an error, not one giant last cell.

    The lenient csv mode would silently fold the rest of the file into the cell that
    opened the quote, losing every row after it, so strict mode runs first.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    for number in itertools.count(1):
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if strict and "expected after" in str(exc):
                raise _TextAfterClosingQuote from exc
            raise SpreadsheetError(
                f"CSV 文件第 {number} 行格式有误：引号没有成对或单元格内容过长，请检查后重新上传"
            ) from exc
        yield [_clean_csv_field(field) for field in record]


def _clean_csv_field(value: str) -> str | None:
    # A file converted to CRLF as a whole also converts line breaks inside quoted cells.
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _clean_text(value)


def _sniff_delimiter(text: str) -> str:
    """Pick the delimiter under which the first records split most like the header row.

    csv.Sniffer is not used: it gives up on small CRLF files with a quoted last field
    (its quote pattern expects a bare LF) and its frequency fallback needs more lines
    than a short customer list has. Parsing with csv.reader honours quotes for free.
    The share of consistent records decides, not their count: a wrong delimiter breaks
    quoted multi-line cells into extra records. Ties go to the comma, the delimiter of
    nearly every CSV people have.
    """
    sample = text[:_SNIFF_SAMPLE_CHARS]
    if len(text) > _SNIFF_SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a cut record would count as inconsistent
    scores = {delimiter: _split_consistency(sample, delimiter) for delimiter in _DELIMITERS}
    return max(_DELIMITERS, key=lambda delimiter: scores[delimiter])


def _split_consistency(sample: str, delimiter: str) -> float:
    """Share of records as wide as the header; 0 if the delimiter does not split the header."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        records = [r for r in itertools.islice(reader, _SNIFF_RECORDS) if any(f.strip() for f in r)]
    except csv.Error:
        return 0.0
    width = len(records[0]) if records else 0
    if width < 2:
        return 0.0
    return sum(len(record) == width for record in records) / len(records)


# ---------------------------------------------------------------------------
# HTML tables saved as .xls

_MAX_COLSPAN = 1000  # the limits browsers apply, so a hostile attribute cannot exhaust memory
_MAX_ROWSPAN = 65534
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
_SPACE_AROUND_BREAK = re.compile(r" *\n *")


def _read_html_table(text: str) -> Sheet:
    parser = _FirstTableParser()
    parser.feed(text)
    parser.close()
    return _build_sheet(enumerate(parser.rows, start=1))


class _FirstTableParser(HTMLParser):
    """Collects the cells of the first top-level <table>, keeping columns aligned.

    Spanning cells are followed by empty cells so that every value stays under its own
    header, which is what Excel shows when it opens such a file.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[Cell]] = []
        self._depth = 0
        self._finished = False
        self._row: list[Cell] | None = None
        self._cell: list[str] | None = None
        self._cell_span = (1, 1)
        self._pending_rowspans: dict[int, int] = {}  # column -> rows below still covered
        self._covered: set[int] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and not self._finished:
            self._depth += 1
        if self._depth != 1:
            return
        if tag == "tr":
            self._end_row()
            self._start_row()
        elif tag in ("td", "th"):
            self._end_cell()
            if self._row is None:
                self._start_row()  # tolerate <td> without <tr>
            self._cell = []
            self._cell_span = (_span(attrs, "colspan", _MAX_COLSPAN), _span(attrs, "rowspan", _MAX_ROWSPAN))
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._depth:
            if self._depth == 1:
                self._end_row()
                self._finished = True
            self._depth -= 1
        elif self._depth == 1 and tag in ("td", "th"):
            self._end_cell()
        elif self._depth == 1 and tag == "tr":
            self._end_row()

    def handle_data(self, data: str) -> None:
        # Text of a nested table still belongs to the outer cell that contains it.
        if self._depth >= 1 and self._cell is not None:
            # &nbsp; is how HTML exporters write a space, not a different character.
            self._cell.append(_HTML_SPACE.sub(" ", data).replace("\xa0", " "))

    def close(self) -> None:
        super().close()
        self._end_row()

    def _start_row(self) -> None:
        self._row = []
        self._covered = {column for column, rows in self._pending_rowspans.items() if rows > 0}
        self._pending_rowspans = {c: rows - 1 for c, rows in self._pending_rowspans.items() if rows > 1}

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def _end_cell(self) -> None:
        if self._cell is None or self._row is None:
            return
        text = _SPACE_AROUND_BREAK.sub("\n", "".join(self._cell))
        self._cell = None
        while len(self._row) in self._covered:
            self._row.append(None)
        colspan, rowspan = self._cell_span
        first_column = len(self._row)
        self._row.append(_clean_text(text))
        self._row.extend([None] * (colspan - 1))
        if rowspan > 1:
            for column in range(first_column, first_column + colspan):
                self._pending_rowspans[column] = rowspan - 1


def _span(attrs: list[tuple[str, str | None]], name: str, limit: int) -> int:
    value = dict(attrs).get(name) or "1"
    digits = re.match(r"\s*(\d+)", value)
    return min(max(int(digits.group(1)), 1), limit) if digits else 1


# ---------------------------------------------------------------------------
# Shared row handling


def _clean_text(value: str) -> str | None:
    return value.strip() or None


def _build_sheet(records: Iterable[tuple[int, list[Cell]]]) -> Sheet:
    """Take the first non-blank record as the header row and align the rest to it.

    Each record must be a list of its own: it is padded or cut in place.
    """
    numbered = iter(records)
    headers = _take_headers(numbered)
    width = len(headers)
    rows: list[tuple[int, list[Cell]]] = []
    for number, cells in numbered:
        if len(cells) != width:
            del cells[width:]
            cells.extend([None] * (width - len(cells)))
        if _has_value(cells):
            rows.append((number, cells))
    return Sheet(headers=headers, rows=rows)


def _take_headers(numbered: Iterator[tuple[int, list[Cell]]]) -> list[str]:
    for _number, cells in numbered:
        if _has_value(cells):
            headers = ["" if cell is None else str(cell) for cell in cells]
            # Trailing separators ("名称,电话,,") and formatted-but-empty columns are noise.
            while headers and not headers[-1]:
                headers.pop()
            return headers
    raise SpreadsheetError(NO_DATA)


def _has_value(cells: list[Cell]) -> bool:
    return cells.count(None) < len(cells)  # C speed; any() with a generator is not


# ---------------------------------------------------------------------------
# Value helpers for callers

_DATE_YMD = re.compile(
    r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DATE_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_EXCEL_SERIAL = re.compile(r"(\d{1,5})(?:\.0*)?")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_EXCEL_FAKE_LEAP_DAY = 60  # Excel's 1900-02-29, a day that never existed
_MAX_EXCEL_SERIAL = 80000


def parse_date(value: object, *, allow_serial: bool = False) -> datetime.date | None:
    """Read a date the way people type them in China; ``None`` for an empty value.

    ``allow_serial`` accepts Excel day numbers (1900 system) for columns known to hold
    dates; elsewhere "25569" is more likely a typo than 1970-01-01.
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if allow_serial and isinstance(value, int) and not isinstance(value, bool):
        return _date_from_serial(value, str(value))
    if not isinstance(value, str):
        raise ValueError(f"日期格式无法识别：{value!r}")
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    for pattern in (_DATE_YMD, _DATE_CHINESE, _DATE_COMPACT):
        match = pattern.fullmatch(text)
        if match:
            return _date_from_parts(*match.groups(), original=value)
    serial = _EXCEL_SERIAL.fullmatch(text)
    if allow_serial and serial:
        return _date_from_serial(int(serial.group(1)), value)
    raise ValueError(f"日期格式无法识别：{value}")


def _date_from_parts(year: str, month: str, day: str, *, original: str) -> datetime.date:
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"日期格式无法识别：{original}（不存在的日期）") from None


def _date_from_serial(serial: int, original: str) -> datetime.date:
    if not 1 <= serial <= _MAX_EXCEL_SERIAL or serial == _EXCEL_FAKE_LEAP_DAY:
        raise ValueError(f"日期格式无法识别：{original}")
    # Excel counts 1900-02-29, so serials before it are one day off from the epoch.
    offset = serial if serial > _EXCEL_FAKE_LEAP_DAY else serial + 1
    return _EXCEL_EPOCH + datetime.timedelta(days=offset)


_CURRENCY_PREFIX = re.compile(r"^(?:[¥$]|RMB|CNY)\s*", re.IGNORECASE)
_CURRENCY_SUFFIX = re.compile(r"\s*元$")
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?")


def parse_decimal(value: object) -> Decimal | None:
    """Read an amount as written in Chinese spreadsheets; ``None`` for an empty value.

    Scientific notation is refused on purpose: "1.38E+10" in a CSV means Excel has
    already thrown digits away, and importing it would hide that.
    """
    if value is None:
        return None
    if isinstance(value, Decimal):
        return _finite(value, value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return _finite(Decimal(repr(value)), value)
    if not isinstance(value, str):
        raise ValueError(f"数字格式无法识别：{value!r}")
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    sign = ""
    if text[:1] in "-+":
        sign, text = text[0], text[1:].lstrip()
    text = _CURRENCY_SUFFIX.sub("", _CURRENCY_PREFIX.sub("", text))
    if not text or not any(ch.isdigit() for ch in text) or not _PLAIN_NUMBER.fullmatch(text):
        raise ValueError(f"数字格式无法识别：{value}")
    try:
        return Decimal(sign + text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"数字格式无法识别：{value}") from None


def _finite(number: Decimal, original: object) -> Decimal:
    if not number.is_finite():
        raise ValueError(f"数字格式无法识别：{original}")
    return number


# Marks around a header that carry no meaning of their own: "*姓名", "电话：", "★备注".
# Brackets are kept because they are usually part of the name: "金额(元)".
_HEADER_EDGE_CATEGORIES = {"Po", "Pd", "Pc", "Pi", "Pf", "So", "Sk"}


def normalize_header(header: str) -> str:
    """A comparison key for header names: "* 地 区：" and "地区" give the same key."""
    text = unicodedata.normalize("NFKC", header)
    # str.split() misses zero-width spaces and BOMs, which Cf covers.
    text = "".join(ch for ch in "".join(text.split()) if unicodedata.category(ch) != "Cf")
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) in _HEADER_EDGE_CATEGORIES:
        start += 1
    while end > start and unicodedata.category(text[end - 1]) in _HEADER_EDGE_CATEGORIES:
        end -= 1
    # Removing a space can leave a bare combining mark ("O ̄" -> "Ō" is NFKC of "O¯"), and
    # casefolding can un-normalise too, so normalise once more for a stable key.
    return unicodedata.normalize("NFKC", text[start:end].casefold())
