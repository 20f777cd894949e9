"""The streaming xlsx writer: what it writes reads back the same in openpyxl and in our own reader."""
from __future__ import annotations

import datetime
import io

import openpyxl

from zhuli.imports.readers import read_table
from zhuli.imports.xlsx import column_letter, write_xlsx


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_values_read_back_in_openpyxl_and_calamine():
    headers = [f"列{i}" for i in range(30)]
    row = ["=1+1", "a & b <c>", "控制\x01字符", "000001", "", None, datetime.date(2024, 5, 6),
           datetime.datetime(2024, 5, 6, 14, 30), 42, "多行\n文本"] + ["x"] * 20
    buffer = io.BytesIO()
    write_xlsx(buffer, sheet_name="客户/导出[1]", headers=headers, rows=[row, ["末行"]])

    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet.title == "客户导出1"
    assert [c.value for c in sheet[1]] == headers
    values = [c.value for c in sheet[2]]
    assert values[:6] == ["=1+1", "a & b <c>", "控制字符", "000001", None, None]
    assert sheet["A2"].data_type == "s"  # text, never a formula
    assert values[6] == datetime.datetime(2024, 5, 6) and sheet["G2"].number_format == "yyyy-mm-dd"
    assert values[7] == datetime.datetime(2024, 5, 6, 14, 30)
    assert values[8] == 42 and values[9] == "多行\n文本" and values[29] == "x"
    assert sheet["A3"].value == "末行" and sheet.freeze_panes == "A2"

    table = read_table(buffer.getvalue())
    assert table.headers == headers
    assert table.rows[0][0] == 2 and table.rows[0][1][:4] == ["=1+1", "a & b <c>", "控制字符", "000001"]
    assert table.rows[0][1][6] == datetime.date(2024, 5, 6)


def test_an_empty_export_is_still_a_workbook():
    buffer = io.BytesIO()
    write_xlsx(buffer, sheet_name="导出", headers=["客户名称"], rows=[])
    assert openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active["A1"].value == "客户名称"
