"""The batch round trip works column by column (issue 19): reading the cases, converting each distinct cell once and
rendering each column's distinct values once. These tests hold the column-wise code to the cell-by-cell answer it
replaced: the same frame from the same sheet, the same cells in the result workbook, user text never a formula."""

from __future__ import annotations

import datetime as dt
import math
import zipfile

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from care_services.distinct import MISSING, distinct_values, spread
from care_services.spreadsheet import EXAMPLE_MARK, is_blank, read_sheets
from care_services import workbook
from care_services.workbook import ByColumn, Column, ReportBook
from subsidy_rules.batch import evaluate_cases, read_cases, write_results
from subsidy_rules.engine import get_scheme
from tests.test_workbook_safety import PAYLOADS, assert_kept_as_text


def test_equal_values_of_different_types_stay_apart():
    values = [True, 1, 1.0, "1", -0.0, 0.0, None, float("nan"), pd.NA, np.int64(1), 1, "1", dt.date(2024, 1, 1),
              dt.datetime(2024, 1, 1), -0.0]
    codes, distinct = distinct_values(values)
    rebuilt = [None if code == MISSING else distinct[code] for code in codes]
    for value, back in zip(values, rebuilt):
        if back is None:
            assert value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
        else:
            assert type(back) is type(value) and back == value
            if isinstance(value, float) and value == 0:
                assert math.copysign(1, back) == math.copysign(1, value)  # -0.0 is not 0.0
    assert codes[1] == codes[10] and codes[3] == codes[11] and codes[4] == codes[14] != codes[5]
    assert len({codes[0], codes[1], codes[2], codes[3], codes[9]}) == 5
    assert spread(["a", "b"], np.array([1, MISSING, 0]), "blank") == ["b", "blank", "a"]


def _cells(path, sheet: str = "t") -> list[list]:
    book = load_workbook(path)
    return [[(c.value, c.data_type, c.number_format, c.quotePrefix, c.border.left.style) for c in row]
            for row in book[sheet].iter_rows()]


def _sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_each_distinct_value_rendered_once_writes_the_cells_rendered_one_by_one(tmp_path, monkeypatch):
    """Past a few hundred rows, each column's distinct values are rendered once and the cells assembled from them:
    the sheet's XML is byte for byte the XML of the same table rendered cell by cell, with mixed types (True, 1,
    1.0), -0.0, NaN, NA, NaT, old dates, times, huge numbers, formula-looking text and short rows."""
    columns = [Column("文本"), Column("金额（元）", "money", total=True), Column("人数", "integer", total=True),
               Column("日期", "date"), Column("混合"), Column("编号", "id")]
    kinds = [["a & <b> _x0041_ \x01", 1.005, 3, dt.date(2024, 2, 29), True, "360902"],
             ["  空格 ", np.float64(2.675), np.int64(4), pd.Timestamp("2023-01-01"), 1, "0012"],
             [PAYLOADS[0], float("nan"), None, None, 1.0, "x\ny"],
             ["\r=1", pd.NA, 0, pd.NaT, -0.0, ""],
             ["-5", -0.0, 7, dt.date(1900, 1, 5), 0.0, None],
             ["是", math.inf, 10**17, dt.datetime(2024, 3, 1, 8, 30), np.bool_(False), "@x"],
             ["短行", 2.5]]
    rows = [list(kinds[i % len(kinds)]) for i in range(700)]
    written = {}
    for by_value in (True, False):
        if not by_value:
            monkeypatch.setattr(workbook, "BY_VALUE_FROM", 10**9)
        path = tmp_path / f"{by_value}.xlsx"
        with ReportBook(path) as book:
            totals = book.sheet("t").table(columns, rows, total_label="合计")
        written[by_value] = _sheet_xml(path), totals, _cells(path)
    assert written[True] == written[False]
    assert_kept_as_text(tmp_path / "True.xlsx", PAYLOADS[0])


def test_a_table_by_column_is_the_table_by_row(tmp_path):
    columns = [Column("行号", "integer"), Column("金额（元）", "money", total=True), Column("姓名")]
    data = [list(range(2, 1002)), [float(i % 7) * 100.005 for i in range(1000)], [PAYLOADS[i % 7] for i in range(1000)]]
    for name, rows in (("rows", list(zip(*data))), ("columns", ByColumn(data))):
        with ReportBook(tmp_path / f"{name}.xlsx") as book:
            book.sheet("t").table(columns, rows, total_label="合计")
    assert _cells(tmp_path / "rows.xlsx") == _cells(tmp_path / "columns.xlsx")


def _cases_row_by_row(path, scheme) -> pd.DataFrame:
    """read_cases as it was written before issue 19: the frame built from one dict per row."""
    from care_services.spreadsheet import find_header, is_example
    from subsidy_rules.batch import CONTEXT_COLUMNS, INPUT_PREFIX, _Sheet

    rows = next(iter(read_sheets(path).values()))()
    header_index, header_map = find_header(_Sheet((*scheme.facts, *CONTEXT_COLUMNS)), rows)
    keys = {i: c.key for i, c in header_map.items()}
    for index, cell in enumerate(rows[header_index]):
        if index not in keys and not is_blank(cell):
            keys[index] = f"{INPUT_PREFIX}{str(cell).strip()}"
    records, numbers = [], []
    for number, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        values = {key: (row[i] if i < len(row) else None) for i, key in keys.items()}
        if all(is_blank(values[c.key]) for c in header_map.values()) or is_example(row):
            continue
        records.append({k: (None if is_blank(v) else v) for k, v in values.items()})
        numbers.append(number)
    return pd.DataFrame(records, index=pd.Index(numbers, name="row"), columns=list(keys.values()))


def _awkward_sheet(path, rows: int = 600) -> None:
    """Cases as officials type them: a title line, blanks typed as spaces, a blank row, the example row, numbers
    typed as text, dates as dates, formula-looking names, an extra column and a short row."""
    with ReportBook(path) as book:
        sheet = book.sheet("申请")
        sheet.line("2024年申请汇总")
        body = []
        for i in range(rows):
            body.append([PAYLOADS[i % len(PAYLOADS)] if i % 3 else f"申请人{i}",
                         dt.date(1950 + i % 60, 1 + i % 12, 1) if i % 2 else f"19{50 + i % 40}-03-0{1 + i % 9}",
                         "360902" if i % 5 else "  ", ["是", "否", " ", None][i % 4], "肢体" if i % 7 else "城市",
                         i % 4 + 1 if i % 3 else str(i % 4 + 1), "居家照护", 150.0 if i % 2 else None,
                         "备注" if i % 11 == 0 else None])
        body[10] = [None] * 9  # a blank row
        body[20] = ["示例", "1960-01-01", "360902", "是", "肢体", 1, "居家照护", None, EXAMPLE_MARK]
        body[30] = ["短行", "1970-01-01"]
        sheet.table([Column("姓名"), Column("出生日期"), Column("户籍地区划代码"), Column("是否低保家庭"),
                     Column("残疾类别"), Column("残疾等级", "integer"), Column("申请服务类别"),
                     Column("两项补贴月额"), Column("备注")], body, freeze=None)


def test_cases_are_read_column_by_column_as_they_were_row_by_row(tmp_path):
    scheme = get_scheme("disability_care")
    source = tmp_path / "cases.xlsx"
    _awkward_sheet(source)
    cases = read_cases(source, scheme)
    pd.testing.assert_frame_equal(cases, _cases_row_by_row(source, scheme), check_exact=True)
    assert 23 not in cases.index and 13 not in cases.index  # the example row, the blank row (title 1, header 2)
    assert len(cases) == 598


def test_many_rows_keep_user_text_as_text_in_the_result(tmp_path):
    scheme = get_scheme("disability_care")
    source = tmp_path / "cases.xlsx"
    _awkward_sheet(source)
    cases = read_cases(source, scheme)
    results = evaluate_cases(scheme.id, cases, date=dt.date(2024, 4, 1), jurisdiction="360902")
    path = tmp_path / "result.xlsx"
    write_results(path, scheme, cases, results)
    for payload in PAYLOADS:
        if payload.startswith(("=", "+", "-", "@")):
            assert_kept_as_text(path, payload)
    table = read_sheets(path)["测算结果"]()
    assert table[-1][0] == "合计" and len(table) == 1 + 598 + 1


def test_the_result_workbook_packed_fast_holds_the_parts_xlsxwriter_packs(tmp_path, monkeypatch):
    """The write path packs the workbook in two ways of its own (the row file copied as bytes into the sheet, the
    zip deflated at level 1): every part of the result workbook is byte for byte the part xlsxwriter's own packing
    writes, and the fast file is deflated less (larger: that is the trade)."""
    import xlsxwriter.worksheet

    scheme = get_scheme("disability_care")
    source = tmp_path / "cases.xlsx"
    _awkward_sheet(source)
    cases = read_cases(source, scheme)
    results = evaluate_cases(scheme.id, cases, date=dt.date(2024, 4, 1), jurisdiction="360902")
    fast, stock = tmp_path / "fast.xlsx", tmp_path / "stock.xlsx"
    write_results(fast, scheme, cases, results)
    monkeypatch.setattr(workbook.StreamingWorksheet, "_write_optimized_sheet_data",
                        xlsxwriter.worksheet.Worksheet._write_optimized_sheet_data)
    monkeypatch.setattr(workbook, "ZIP_LEVEL", None)  # zipfile's default: zlib's level 6
    write_results(stock, scheme, cases, results)
    with zipfile.ZipFile(fast) as ours, zipfile.ZipFile(stock) as theirs:
        assert ours.namelist() == theirs.namelist()
        for name in ours.namelist():
            if name != "docProps/core.xml":  # the time it was made, to the second
                assert ours.read(name) == theirs.read(name), name
        sheet = ours.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.compress_type == zipfile.ZIP_DEFLATED
        assert sheet.compress_size > theirs.getinfo("xl/worksheets/sheet1.xml").compress_size


def test_a_command_line_batch_runs_the_collector_less_often_and_puts_it_back():
    import gc

    from subsidy_rules.batch import few_collections

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with few_collections(12_345):
        assert gc.get_threshold()[0] == 12_345 and gc.get_freeze_count() > frozen
        assert gc.get_threshold()[1:] == before[1:]
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
