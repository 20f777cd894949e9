"""Tests for zhuli.imports.readers; they need no Django (run with ``-p no:django``)."""

from __future__ import annotations

import ast
import csv
import datetime
import io
import math
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zhuli.imports import readers
from zhuli.imports.readers import (
    Sheet,
    SpreadsheetError,
    format_number,
    normalize_header,
    parse_date,
    parse_decimal,
    read_table,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def xlsx(rows: list[list[object]], **sheet_options: object) -> bytes:
    """A small workbook written by openpyxl; cells are placed from A1 unless start_row is given."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    start_row = int(sheet_options.get("start_row", 1))
    start_column = int(sheet_options.get("start_column", 1))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.cell(row=start_row + r, column=start_column + c, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", **writer_options: object) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, **writer_options).writerows(rows)
    return buffer.getvalue().encode(encoding)


def all_text(sheet: Sheet) -> str:
    return "".join(sheet.headers) + "".join(str(cell) for _, cells in sheet.rows for cell in cells)


# ---------------------------------------------------------------------------
# Format detection and errors


def test_spreadsheet_error_is_a_plain_exception_with_the_message_as_text():
    error = SpreadsheetError("文件为空")
    assert isinstance(error, Exception)
    assert str(error) == "文件为空"


def test_empty_file_is_rejected():
    with pytest.raises(SpreadsheetError, match="^文件为空$"):
        read_table(b"", "客户.xlsx")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20, id="png"),
        pytest.param(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", id="pdf"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", id="jpeg"),
        pytest.param(b"\x1f\x8b\x08\x00" + bytes(range(256)), id="gzip"),
        pytest.param(b"name,phone\nabc\x00def,123\n", id="nul-in-text"),
        pytest.param(bytes(range(256)) * 4, id="binary-noise"),
    ],
)
def test_binary_files_are_rejected_as_unrecognised(content: bytes):
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(content, "客户.csv")
    assert str(excinfo.value) == readers.UNRECOGNISED_FORMAT
    assert str(excinfo.value).startswith("无法识别的文件格式")


def test_a_zip_that_is_not_a_spreadsheet_gets_its_own_message():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(buffer.getvalue(), "客户.xlsx")
    assert str(excinfo.value) == readers.NOT_A_SPREADSHEET_ARCHIVE


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"PK\x03\x04" + b"\x00" * 200, id="zip-header-then-junk"),
        pytest.param(fixture("customers.xlsx")[:2000], id="truncated-xlsx"),
        pytest.param(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 1000, id="ole2-junk"),
    ],
)
def test_damaged_workbooks_are_reported_as_such(content: bytes):
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(content)
    assert str(excinfo.value) in (readers.CORRUPT_WORKBOOK, readers.NOT_A_SPREADSHEET_ARCHIVE)


def test_password_protected_xlsx_is_recognised():
    # An encrypted xlsx is an OLE2 file whose directory names an "EncryptedPackage" stream.
    content = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 500 + "EncryptedPackage".encode("utf-16-le")
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(content, "客户.xlsx")
    assert str(excinfo.value) == readers.PASSWORD_PROTECTED


def test_spreadsheet_xml_2003_gets_a_save_as_hint():
    content = (
        '<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
        "<Worksheet><Table><Row><Cell><Data>名称</Data></Cell></Row></Table></Worksheet></Workbook>"
    ).encode()
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(content, "导出.xls")
    assert str(excinfo.value) == readers.SPREADSHEET_XML_2003


def test_html_page_without_a_table_is_not_read_as_csv():
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table("<!DOCTYPE html><html><body><p>登录已过期</p></body></html>".encode(), "导出.xls")
    assert str(excinfo.value) == readers.UNRECOGNISED_FORMAT


@pytest.mark.parametrize(
    ("name", "misleading_filename"),
    [
        ("customers.xlsx", "客户.csv"),
        ("customers.xls", "客户.xlsx"),
        ("customers-utf8.csv", "客户.xlsx"),
        ("customers-html.xls", "客户.csv"),
    ],
)
def test_type_comes_from_content_not_extension(name: str, misleading_filename: str):
    assert read_table(fixture(name), misleading_filename) == read_table(fixture(name), name)


def test_file_with_only_blank_rows_has_no_data():
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(b",,,\r\n  ,\t, \r\n")
    assert str(excinfo.value) == readers.NO_DATA


def test_workbook_with_empty_first_sheet_has_no_data():
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(xlsx([]))
    assert str(excinfo.value) == readers.NO_DATA


# ---------------------------------------------------------------------------
# Workbooks


EXPECTED_WORKBOOK_HEADERS = ["*客户名称", "手机", "生日", "客户代码", "年营业额", "VIP", "最近联系"]
EXPECTED_WORKBOOK_ROWS = [
    (2, ["平安银行", "13800138000", datetime.date(1991, 4, 3), "000001", "11424894787", "是", None]),
    (3, ["万 科Ａ", "13912345678", datetime.date(1991, 1, 29), "000002", "3.14", "否", None]),
    (5, ["张三", None, None, "000004", "0.1", None, datetime.datetime(2020, 1, 2, 3, 4, 5)]),
]


def test_xlsx_fixture():
    sheet = read_table(fixture("customers.xlsx"), "customers.xlsx")
    assert sheet.headers == [*EXPECTED_WORKBOOK_HEADERS, "序号"]
    # Column H only has a value on row 2: a day number in a column not formatted as a date.
    expected = [(number, [*cells, None]) for number, cells in EXPECTED_WORKBOOK_ROWS]
    expected[0][1][-1] = "25569"
    assert sheet.rows == expected


def test_xls_fixture_written_by_xlwt():
    assert fixture("customers.xls").startswith(bytes.fromhex("D0CF11E0A1B11AE1"))
    sheet = read_table(fixture("customers.xls"), "customers.xls")
    assert sheet.headers == EXPECTED_WORKBOOK_HEADERS
    assert sheet.rows == EXPECTED_WORKBOOK_ROWS


def test_ods_fixture():
    sheet = read_table(fixture("customers.ods"), "customers.ods")
    assert sheet.headers == ["客户名称", "手机", "生日"]
    assert sheet.rows == [(2, ["平安银行", "13800138000", datetime.date(1991, 4, 3)])]


def test_phone_number_stored_as_number_comes_back_as_typed():
    sheet = read_table(xlsx([["手机"], [13800138000], [13800138000.0]]))
    assert [cells for _, cells in sheet.rows] == [["13800138000"], ["13800138000"]]


def test_code_stored_as_text_keeps_its_leading_zeros():
    sheet = read_table(xlsx([["公司代码"], ["000001"], ["  000002 "]]))
    assert [cells for _, cells in sheet.rows] == [["000001"], ["000002"]]


def test_date_formatted_cell_is_a_date_and_datetime_keeps_its_time():
    sheet = read_table(
        xlsx([["生日", "联系时间"], [datetime.date(1991, 4, 3), datetime.datetime(2024, 5, 6, 7, 8, 9)]])
    )
    birthday, contacted = sheet.rows[0][1]
    assert type(birthday) is datetime.date
    assert birthday == datetime.date(1991, 4, 3)
    assert contacted == datetime.datetime(2024, 5, 6, 7, 8, 9)


def test_midnight_datetime_becomes_a_plain_date():
    sheet = read_table(xlsx([["日期"], [datetime.datetime(2024, 5, 6)]]))
    assert sheet.rows[0][1] == [datetime.date(2024, 5, 6)]
    assert type(sheet.rows[0][1][0]) is datetime.date


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (42, "42"),
        (-7.0, "-7"),
        (3.14, "3.14"),
        (0.1, "0.1"),
        (1e20, "100000000000000000000"),
        (1e-7, "0.0000001"),
        (-1234.5, "-1234.5"),
        (True, "是"),
        (False, "否"),
        ("  含空格  ", "含空格"),
        (datetime.time(3, 4, 5), "03:04:05"),
    ],
)
def test_workbook_cell_values_become_text(value: object, text: str):
    sheet = read_table(xlsx([["值"], [value]]))
    assert sheet.rows == [(2, [text])]


def test_duration_cell_is_written_like_excel_shows_it():
    workbook = openpyxl.Workbook()
    workbook.active.append(["时长"])
    workbook.active.append([datetime.timedelta(hours=30, minutes=5)])
    workbook.active["A2"].number_format = "[h]:mm:ss"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read_table(buffer.getvalue()).rows == [(2, ["30:05:00"])]


def test_workbook_row_numbers_count_leading_blank_rows():
    sheet = read_table(xlsx([["名称", "电话"], ["甲", "1"], [None, None], ["乙", "2"]], start_row=3))
    assert sheet.headers == ["名称", "电话"]
    assert [number for number, _ in sheet.rows] == [4, 6]


def test_workbook_leading_empty_column_keeps_alignment():
    sheet = read_table(xlsx([["名称", "电话"], ["甲", "1"]], start_column=2))
    assert sheet.headers == ["", "名称", "电话"]
    assert sheet.rows == [(2, [None, "甲", "1"])]


def test_hidden_first_sheet_is_skipped():
    workbook = openpyxl.Workbook()
    lookup = workbook.active
    lookup.title = "下拉选项"
    lookup.append(["选项"])
    lookup.sheet_state = "hidden"
    customers = workbook.create_sheet("客户")
    customers.append(["名称"])
    customers.append(["甲"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = read_table(buffer.getvalue())
    assert sheet.headers == ["名称"]
    assert sheet.rows == [(2, ["甲"])]


def test_only_the_first_sheet_is_read():
    workbook = openpyxl.Workbook()
    workbook.active.append(["第一"])
    workbook.create_sheet("其他").append(["第二"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read_table(buffer.getvalue()).headers == ["第一"]


def test_header_only_workbook_has_no_rows():
    sheet = read_table(xlsx([["名称", "电话"]]))
    assert sheet == Sheet(headers=["名称", "电话"], rows=[])


def test_non_text_header_cells_become_text():
    sheet = read_table(xlsx([[2023, 2024.0, "名称"], ["a", "b", "c"]]))
    assert sheet.headers == ["2023", "2024", "名称"]


def _fast_xlsx(header: list[str], rows: int) -> bytes:
    """A large but valid xlsx written directly; openpyxl needs ~20 s for 100,000 rows."""
    columns = [chr(ord("A") + i) for i in range(len(header))]

    def row_xml(number: int, values: list[object]) -> str:
        cells = []
        for column, value in zip(columns, values, strict=True):
            ref = f"{column}{number}"
            if isinstance(value, str):
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        return f'<row r="{number}">{"".join(cells)}</row>'

    body = [row_xml(1, header)]
    for n in range(rows):
        values = [f"客户{n}", 13800000000 + n, 3.5, "000001", n, f"地址{n}号", 1.25, "备注", f"c{n}", 0]
        body.append(row_xml(n + 2, values[: len(header)]))
    sheet_xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(body)}</sheetData></worksheet>"
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="客户" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_reading_100k_rows_of_xlsx_keeps_every_row():
    header = [f"列{i}" for i in range(10)]
    content = _fast_xlsx(header, rows=100_000)
    sheet = read_table(content, "大文件.xlsx")
    assert len(sheet.rows) == 100_000
    assert sheet.rows[0] == (
        2,
        ["客户0", "13800000000", "3.5", "000001", "0", "地址0号", "1.25", "备注", "c0", "0"],
    )
    assert sheet.rows[-1][0] == 100_001


# ---------------------------------------------------------------------------
# CSV

EXPECTED_CSV_HEADERS = ["客户名称", "手机", "生日", "客户代码", "年营业额", "备注"]
EXPECTED_CSV_ROWS = [
    (2, ["平安银行", "13800138000", "1991/4/3", "000001", "11,424,894,787", "Ping An Bank Co., Ltd."]),
    (3, ["万 科Ａ", "13912345678", "1991-01-29", "000002", "3.14", "含空格"]),
    # Row 4 is an empty line; the trailing ",,,,," row 6 produces nothing.
    (5, ["张三𡈼", None, "1991年4月3日", "000004", None, "多行\n备注"]),
]


@pytest.mark.parametrize("name", ["customers-utf8.csv", "customers-utf8-bom.csv", "customers-gb18030.csv"])
def test_csv_fixtures_in_every_encoding_read_the_same(name: str):
    content = fixture(name)
    assert b"\r\n" in content  # written with Excel's Windows line endings
    sheet = read_table(content, name)
    assert sheet.headers == EXPECTED_CSV_HEADERS
    assert sheet.rows == EXPECTED_CSV_ROWS


def test_gb18030_fixture_is_really_not_utf8():
    with pytest.raises(UnicodeDecodeError):
        fixture("customers-gb18030.csv").decode("utf-8")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_csv_with_utf16_or_utf32_bom(encoding: str):
    text = "名称\t电话\r\n张三\t13800138000\r\n"
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff"}.get(encoding, "")
    sheet = read_table((bom + text).encode(encoding))
    assert sheet.headers == ["名称", "电话"]
    assert sheet.rows == [(2, ["张三", "13800138000"])]


def test_gbk_csv_without_bom():
    sheet = read_table("名称,城市\n朱镕基,北京\n".encode("gbk"))
    assert sheet.rows == [(2, ["朱镕基", "北京"])]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"name,city\nCaf\xe9,Paris\n", id="latin-1"),
        pytest.param(b"name\n\x80abc\n", id="lone-0x80"),
        pytest.param(b"\xef\xbb\xbfname\n\xff\xfe\n", id="bom-but-invalid-utf8"),
    ],
)
def test_undecodable_csv_is_rejected_rather_than_mangled(content: bytes):
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(content, "客户.csv")
    assert str(excinfo.value) == readers.UNDECODABLE_TEXT


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiter_is_sniffed(delimiter: str):
    rows = [["名称", "电话", "备注"], ["张三", "13800138000", "a,b;c"], ["李四", "13900000000", ""]]
    sheet = read_table(csv_bytes(rows, delimiter=delimiter))
    assert sheet.headers == ["名称", "电话", "备注"]
    assert sheet.rows == [(2, ["张三", "13800138000", "a,b;c"]), (3, ["李四", "13900000000", None])]


def test_single_column_csv_falls_back_to_comma():
    sheet = read_table('名称\n张三\n李四;王五\n"赵六,钱七"\n'.encode())
    assert sheet.headers == ["名称"]
    assert sheet.rows == [(2, ["张三"]), (3, ["李四;王五"]), (4, ["赵六,钱七"])]


def test_sniffing_survives_a_quoted_last_field_with_crlf():
    # csv.Sniffer raises "Could not determine delimiter" on exactly this file.
    content = '名称;电话;备注\r\n张三;13800138000;"a,b;c"\r\n李四;13900000000;\r\n'.encode()
    assert read_table(content).headers == ["名称", "电话", "备注"]


def test_delimiter_inside_data_does_not_win_over_a_consistent_one():
    content = "名称\t地址\t电话\n甲\t北京,朝阳\t1\n乙\t上海,浦东,陆家嘴\t2\n丙\t广州\t3\n".encode()
    sheet = read_table(content)
    assert sheet.headers == ["名称", "地址", "电话"]
    assert sheet.rows[1] == (3, ["乙", "上海,浦东,陆家嘴", "2"])


def test_header_only_csv_prefers_comma_when_ambiguous():
    assert read_table("备注;说明,电话\r\n".encode()).headers == ["备注;说明", "电话"]


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_line_endings(newline: str):
    content = newline.join(["名称,电话", "张三,1", "李四,2", ""]).encode()
    assert read_table(content).rows == [(2, ["张三", "1"]), (3, ["李四", "2"])]


def test_quoted_fields_with_commas_quotes_and_newlines():
    content = '名称,地址\r\n"Ping An Bank Co., Ltd.","深圳市""罗湖区""\r\n深南东路"\r\n下一行,x\r\n'.encode()
    sheet = read_table(content)
    assert sheet.rows == [
        (2, ["Ping An Bank Co., Ltd.", '深圳市"罗湖区"\n深南东路']),
        (3, ["下一行", "x"]),
    ]


def test_blank_lines_before_header_shift_row_numbers():
    content = "\r\n ,  ,\r\n名称,电话\r\n张三,1\r\n\r\n李四,2\r\n".encode()
    sheet = read_table(content)
    assert sheet.headers == ["名称", "电话"]
    assert sheet.rows == [(4, ["张三", "1"]), (6, ["李四", "2"])]


def test_trailing_row_of_empty_cells_is_skipped():
    sheet = read_table("名称,电话,地址,城市\r\n张三,1,,\r\n,,,\r\n， , ,\u3000\r\n".encode())
    # "，" is a full-width comma typed into a cell, so that row is not blank.
    assert sheet.rows == [(2, ["张三", "1", None, None]), (4, ["，", None, None, None])]
    assert read_table("名称,电话\r\n张三,1\r\n,\r\n \t, \u3000\r\n".encode()).rows == [(2, ["张三", "1"])]


def test_headers_are_stripped_duplicates_kept_and_trailing_empty_ones_dropped():
    sheet = read_table(" 名称 ,电话, 电话 ,地 区,,\n甲,1,2,华南,,\n".encode())
    assert sheet.headers == ["名称", "电话", "电话", "地 区"]
    assert sheet.rows == [(2, ["甲", "1", "2", "华南"])]


def test_rows_are_aligned_to_the_header():
    sheet = read_table(b"a,b,c\n1\n1,2,3,4,5\n,,,,x\n")
    # The last row only has data under no header at all, which nothing could import.
    assert sheet.rows == [(2, ["1", None, None]), (3, ["1", "2", "3"])]


def test_cells_stay_text_in_csv():
    sheet = read_table("代码,日期,金额,是否\n000001,1991/4/3,1.50,TRUE\n".encode())
    assert sheet.rows == [(2, ["000001", "1991/4/3", "1.50", "TRUE"])]


def test_unclosed_quote_is_reported_instead_of_swallowing_the_rest_of_the_file():
    content = '名称,备注\n张三,1\n李四,"没有结束的引号\n王五,x\n赵六,y\n'.encode()
    with pytest.raises(SpreadsheetError, match="^CSV 文件第 3 行格式有误"):
        read_table(content)


def test_huge_cell_is_reported():
    content = ('名称,备注\n张三,"' + "长" * 200_000 + '"\n').encode()
    with pytest.raises(SpreadsheetError, match="^CSV 文件第 2 行格式有误"):
        read_table(content)


def test_text_after_a_closing_quote_is_tolerated_like_excel_does():
    sheet = read_table('名称,电话\n"ABC"公司,1\n"李四" ,2\n'.encode())
    assert sheet.rows == [(2, ["ABC公司", "1"]), (3, ["李四", "2"])]


def test_reading_a_large_gb18030_csv_keeps_every_row():
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([f"列{i}" for i in range(10)])
    for n in range(100_000):
        writer.writerow([f"客户{n}", "13800000000", "3.5", "000001", n, "地址", "1,250", "备注", "c", ""])
    content = buffer.getvalue().encode("gb18030")
    sheet = read_table(content)
    assert len(sheet.rows) == 100_000
    assert sheet.rows[-1][1][6] == "1,250"


# Cells drawn from common and rare Chinese characters plus what breaks naive CSV handling.
_cell_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),  # CJK Ext. B, 4 bytes in GB18030
        st.sampled_from(list("ＡＢ１２，。、；：“”（）　 abcXYZ019-_,;\"'\n\t¥·")),
    ),
    max_size=12,
)


@st.composite
def _tables(draw: st.DrawFn) -> list[list[str]]:
    # One column is left to explicit tests: "a;b" alone is honestly ambiguous.
    width = draw(st.integers(min_value=2, max_value=6))
    header = draw(st.lists(_cell_text.filter(lambda s: s.strip()), min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(_cell_text, min_size=width, max_size=width), max_size=8))
    return [header, *rows]


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_short_gbk_text_that_is_also_valid_utf8_reads_as_utf8():
    # A known limit of detection without a BOM: 蕖 in GBK is DE A1, which is also the
    # UTF-8 encoding of U+07A1. Each GBK character has well under a 10% chance of
    # forming valid UTF-8, so a real customer list (a header row alone has several
    # characters) is in practice never misread; hypothesis found this two-cell file.
    content = "0,蕖\r\n".encode("gb18030")
    assert read_table(content).headers == ["0", "\u07a1"]


@settings(max_examples=500, deadline=None)
@given(
    table=_tables(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
    lineterminator=st.sampled_from(["\r\n", "\n"]),
)
def test_csv_round_trip_of_random_chinese_text(table: list[list[str]], encoding: str, lineterminator: str):
    content = csv_bytes(table, encoding=encoding, lineterminator=lineterminator)
    sheet = read_table(content, "随机.csv")
    assert "\ufffd" not in all_text(sheet)
    # UTF-8 is tried first, so a GB18030 file that happens to be valid UTF-8 as well is
    # read as UTF-8: see test_short_gbk_text_that_is_also_valid_utf8_reads_as_utf8.
    assume(encoding != "gb18030" or not _is_utf8(content))
    header, *rows = table
    assert sheet.headers == [cell.strip() for cell in header]
    expected = []
    for number, row in enumerate(rows, start=2):
        cells = [cell.strip() or None for cell in row]
        if any(cells):
            expected.append((number, cells))
    assert sheet.rows == expected


# ---------------------------------------------------------------------------
# HTML tables saved as .xls


def test_html_xls_fixture_declared_gb2312_with_gbk_only_characters():
    content = fixture("customers-html.xls")
    with pytest.raises(UnicodeDecodeError):
        content.decode("gb2312")  # 镕 is GBK, not GB2312: the declared charset is a lie
    sheet = read_table(content, "customers-html.xls")
    assert sheet.headers == ["客户名称", "联系人", "电话", "客户代码", "地址"]
    assert sheet.rows == [
        (2, ["深圳市朱镕科技有限公司", "张 三", "13800138000", "000001", "广东省深圳市\n南山区"]),
        # Row 3 holds only &nbsp; and spaces; the second <table> is never read.
        (4, ["合并单元格公司", None, "0755-12345678", "000003", "北京市 & 天津市"]),
    ]


def test_html_without_meta_charset_is_detected_like_csv():
    html = "<table><tr><td>名称</td><td>电话</td></tr><tr><td>张三</td><td>1</td></tr></table>"
    for encoding in ("utf-8", "utf-8-sig", "gb18030", "utf-16"):
        sheet = read_table(html.encode(encoding), "导出.xls")
        assert sheet.rows == [(2, ["张三", "1"])], encoding


def test_html_with_wrong_meta_charset_falls_back_to_detection():
    html = (
        '<html><head><meta charset="utf-8"></head><table><tr><th>名称</th></tr><tr><td>张三</td></tr></table>'
    )
    assert read_table(html.encode("gbk")).rows == [(2, ["张三"])]


def test_html_with_unknown_meta_charset_falls_back_to_detection():
    html = '<meta http-equiv=Content-Type content="text/html; charset=unicode"><table><tr><td>名称</td></tr><tr><td>张三</td></tr></table>'
    assert read_table(html.encode("utf-16")).rows == [(2, ["张三"])]


def test_html_meta_charset_is_honoured_for_non_chinese_encodings():
    html = '<meta charset="big5"><table><tr><td>名稱</td></tr><tr><td>臺北</td></tr></table>'
    sheet = read_table(html.encode("big5"))
    assert sheet.headers == ["名稱"]
    assert sheet.rows == [(2, ["臺北"])]


def test_html_leading_whitespace_bom_and_uppercase_tags():
    html = "\ufeff \r\n <TABLE BORDER=1><TR><TH>名称</TH></TR><TR><TD>张三</TD></TR></TABLE>"
    assert read_table(html.encode("utf-8")).rows == [(2, ["张三"])]


def test_html_colspan_and_rowspan_keep_columns_aligned():
    html = (
        "<table>"
        "<tr><th>名称</th><th>联系人</th><th>电话</th><th>城市</th></tr>"
        '<tr><td rowspan="2">甲公司</td><td colspan="2">张三 1</td><td>北京</td></tr>'
        "<tr><td>李四</td><td>2</td><td>上海</td></tr>"
        "<tr><td>乙公司</td><td>王五</td><td>3</td><td>深圳</td></tr>"
        "</table>"
    )
    sheet = read_table(html.encode())
    assert sheet.rows == [
        (2, ["甲公司", "张三 1", None, "北京"]),
        (3, [None, "李四", "2", "上海"]),
        (4, ["乙公司", "王五", "3", "深圳"]),
    ]


def test_html_absurd_colspan_is_capped():
    html = '<table><tr><td>名称</td><td>电话</td></tr><tr><td colspan="999999999">张三</td><td>1</td></tr></table>'
    assert read_table(html.encode()).rows == [(2, ["张三", None])]


def test_html_nested_table_text_stays_in_its_cell():
    html = (
        "<table><tr><td>名称</td><td>备注</td></tr>"
        "<tr><td>张三</td><td><table><tr><td>嵌套</td><td>内容</td></tr></table></td></tr>"
        "<tr><td>李四</td><td>x</td></tr></table>"
    )
    sheet = read_table(html.encode())
    assert sheet.rows == [(2, ["张三", "嵌套内容"]), (3, ["李四", "x"])]


def test_html_whitespace_is_collapsed_and_entities_decoded():
    html = "<table><tr><td>名称</td></tr><tr><td>\n  深圳&amp;香港\n   有限公司 &lt;1&gt; </td></tr></table>"
    assert read_table(html.encode()).rows == [(2, ["深圳&香港 有限公司 <1>"])]


# ---------------------------------------------------------------------------
# The real SZSE list


@pytest.fixture(scope="module")
def szse_bytes() -> bytes:
    return fixture("szse-listed-companies.csv")


def test_szse_list(szse_bytes: bytes):
    sheet = read_table(szse_bytes, "szse-listed-companies.csv")
    assert len(sheet.rows) == 1589
    assert "地 区" in sheet.headers
    assert "B股 简 称" in sheet.headers
    first_number, first = sheet.rows[0]
    row = dict(zip(sheet.headers, first, strict=True))
    assert first_number == 2
    assert row["公司代码"] == "000001"
    assert row["英文名称"] == "Ping An Bank Co., Ltd."
    assert row["A股上市日期"] == "1991/4/3"
    assert parse_date(row["A股上市日期"]) == datetime.date(1991, 4, 3)
    assert parse_decimal(row["A股总股本"]) == Decimal(11424894787)
    # 1,589 companies on lines 2-1590; the empty row on line 1591 is gone.
    assert sheet.rows[-1][0] == 1590
    assert "\ufffd" not in all_text(sheet)
    assert all(len(cells) == len(sheet.headers) for _, cells in sheet.rows)
    assert {normalize_header(h) for h in sheet.headers} >= {"地区", "省份", "城市", "b股简称"}


def test_szse_list_encoded_as_gb18030_reads_the_same(szse_bytes: bytes):
    gb18030 = szse_bytes.decode("utf-8-sig").encode("gb18030")
    assert read_table(gb18030, "szse.csv") == read_table(szse_bytes, "szse.csv")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_szse_list_with_windows_line_endings_reads_the_same(szse_bytes: bytes, encoding: str):
    crlf = szse_bytes.decode("utf-8-sig").replace("\n", "\r\n").encode(encoding)
    assert read_table(crlf, "szse.csv") == read_table(szse_bytes, "szse.csv")


# ---------------------------------------------------------------------------
# format_number


@settings(max_examples=500)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_is_plain_and_exact(value: float):
    text = format_number(value)
    assert "e" not in text.lower()
    assert not text.endswith(".0")
    assert float(text) == value or (value == 0 and float(text) == 0)


def test_format_number_non_finite():
    assert format_number(math.inf) == "inf"


# ---------------------------------------------------------------------------
# parse_date


@pytest.mark.parametrize(
    "text",
    [
        "1991/4/3",
        "1991/04/03",
        "1991-04-03",
        "1991-4-3",
        "1991.4.3",
        "1991年4月3日",
        "1991 年 4 月 3 日",
        "1991年4月3号",
        "19910403",
        " 1991-04-03 ",
        "１９９１／４／３",
        "1991-04-03 00:00:00",
        "1991/4/3 14:30",
        "1991-04-03T08:00:00",
    ],
)
def test_parse_date_accepts_common_chinese_forms(text: str):
    assert parse_date(text) == datetime.date(1991, 4, 3)


@pytest.mark.parametrize(
    "text", ["3/4/1991", "91-4-3", "1991-13-01", "1991/2/30", "明天", "1991年4月", "2024-1"]
)
def test_parse_date_rejects_other_text(text: str):
    with pytest.raises(ValueError, match="^日期格式无法识别：") as excinfo:
        parse_date(text)
    assert text in str(excinfo.value)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_parse_date_empty_is_none(value: str | None):
    assert parse_date(value) is None


def test_parse_date_passes_dates_and_datetimes_through():
    assert parse_date(datetime.date(2024, 1, 2)) == datetime.date(2024, 1, 2)
    result = parse_date(datetime.datetime(2024, 1, 2, 3, 4))
    assert result == datetime.date(2024, 1, 2)
    assert type(result) is datetime.date


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        ("25569", datetime.date(1970, 1, 1)),
        ("25569.0", datetime.date(1970, 1, 1)),
        ("33331", datetime.date(1991, 4, 3)),
        ("1", datetime.date(1900, 1, 1)),
        ("59", datetime.date(1900, 2, 28)),
        ("61", datetime.date(1900, 3, 1)),
        ("80000", datetime.date(2119, 1, 11)),
        (45000, datetime.date(2023, 3, 15)),
    ],
)
def test_parse_date_excel_serials_when_allowed(serial: str | int, expected: datetime.date):
    assert parse_date(serial, allow_serial=True) == expected


@pytest.mark.parametrize("serial", ["0", "60", "80001", "25569.5", "-1"])
def test_parse_date_serials_out_of_range_or_fake(serial: str):
    with pytest.raises(ValueError, match="^日期格式无法识别："):
        parse_date(serial, allow_serial=True)


@pytest.mark.parametrize("value", ["25569", 25569, 3.5, True])
def test_parse_date_refuses_serials_unless_allowed(value: object):
    with pytest.raises(ValueError, match="^日期格式无法识别："):
        parse_date(value)


# ---------------------------------------------------------------------------
# parse_decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11,424,894,787", Decimal("11424894787")),
        ("1,234.50", Decimal("1234.50")),
        ("¥1,234.5", Decimal("1234.5")),
        ("￥1,234.5", Decimal("1234.5")),
        ("１２３４．５", Decimal("1234.5")),
        ("１，２３４", Decimal("1234")),
        ("RMB 100", Decimal("100")),
        ("100元", Decimal("100")),
        ("-1,000", Decimal("-1000")),
        ("-¥5", Decimal("-5")),
        ("+3.14", Decimal("3.14")),
        (".5", Decimal("0.5")),
        ("0", Decimal("0")),
        (" 42 ", Decimal("42")),
        (42, Decimal(42)),
        (3.14, Decimal("3.14")),
        (Decimal("7.5"), Decimal("7.5")),
    ],
)
def test_parse_decimal_accepts_written_amounts(text: object, expected: Decimal):
    assert parse_decimal(text) == expected


@pytest.mark.parametrize(
    "text", ["abc", "1,23", "1,2345", "1.2.3", "1.38E+10", "NaN", "inf", "12%", "5万", "--5", "¥", "-"]
)
def test_parse_decimal_rejects_other_text(text: str):
    with pytest.raises(ValueError, match="^数字格式无法识别：") as excinfo:
        parse_decimal(text)
    assert text in str(excinfo.value)


@pytest.mark.parametrize("value", [True, math.nan, Decimal("NaN"), object()])
def test_parse_decimal_rejects_non_numbers(value: object):
    with pytest.raises(ValueError, match="^数字格式无法识别："):
        parse_decimal(value)


@pytest.mark.parametrize("value", [None, "", "  "])
def test_parse_decimal_empty_is_none(value: str | None):
    assert parse_decimal(value) is None


# ---------------------------------------------------------------------------
# normalize_header


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("地 区", "地区"),
        ("B股 简 称", "b股简称"),
        ("\u3000省\u3000份\u3000", "省份"),
        ("城\t市\n", "城市"),
        ("*客户名称", "客户名称"),
        ("* 客户名称：", "客户名称"),
        ("客户名称:", "客户名称"),
        ("★备注", "备注"),
        ("\ufeff公司代码", "公司代码"),
        ("公司\u200b网址", "公司网址"),
        ("ＥＭＡＩＬ", "email"),
        ("E-Mail", "e-mail"),
        ("金额(元)", "金额(元)"),
        ("金额（元）", "金额(元)"),
        ("“名称”", "名称"),
        ("", ""),
        ("***", ""),
    ],
)
def test_normalize_header(header: str, expected: str):
    assert normalize_header(header) == expected


@given(st.text())
def test_normalize_header_is_idempotent_and_has_no_whitespace(header: str):
    normalized = normalize_header(header)
    assert normalize_header(normalized) == normalized
    assert not any(ch.isspace() for ch in normalized)


def test_readers_module_does_not_import_django():
    tree = ast.parse(Path(readers.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] == "django"}
