"""Every workbook carecalc writes keeps text that came from a user or a file as text, never a formula (issue 15, 1):
one test per workbook, each with a formula-looking name, read back with openpyxl and checked in the file's XML."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from care_services.spreadsheet import read_sheets
from care_services.workbook import Column, ReportBook, chinese_amount, round_fen, sheet_title
from tests.workflow.conftest import county  # noqa: F401  (the fixture: a county with staff)

ATTACK = '=HYPERLINK("http://x.example","y")'
PAYLOADS = (ATTACK, "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "＝1+1")


def formula_cells(path) -> list[str]:
    """The <f> (formula) elements of every sheet: carecalc never writes one."""
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if re.match(r"xl/worksheets/sheet\d+\.xml", n)]
        return [m for n in sheets for m in re.findall(r"<f[ >].*?</f>", archive.read(n).decode())]


def cells_with(path, text: str) -> list:
    book = load_workbook(path)
    return [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row
            if isinstance(c.value, str) and text in c.value]


def assert_kept_as_text(path, text: str = ATTACK) -> None:
    assert formula_cells(path) == []
    found = cells_with(path, text)
    assert found, f"{text!r} not found"
    for cell in found:
        assert cell.data_type == "s"
        if cell.value.startswith(("=", "+", "-", "@")):
            assert cell.quotePrefix  # shown as typed, and still text when the cell is edited


def test_every_payload_is_written_as_typed(tmp_path):
    path = tmp_path / "t.xlsx"
    with ReportBook(path) as book:
        sheet = book.sheet("t")
        sheet.table([Column("文本")], ([p] for p in (*PAYLOADS, "正常\ud800文本")))
    # calamine (the reader carecalc uses) unescapes the OOXML _x000D_ for a carriage return as Excel does
    values = [row[0] for row in read_sheets(path)["t"]()[1:]]
    assert values == [*PAYLOADS, "正常\ufffd文本"]  # a lone surrogate cannot be stored: replaced, no crash
    assert formula_cells(path) == []
    assert all(c.quotePrefix for row in load_workbook(path)["t"].iter_rows(min_row=2, max_row=5) for c in row)


def test_sheet_titles_are_made_valid_and_unique():
    assert sheet_title("方案:A/B?") == "方案_A_B_"
    assert sheet_title("'=1+1'") == "=1+1"
    assert len(sheet_title("长" * 40)) == 31
    assert sheet_title("资金层级", ["资金层级"]) == "资金层级(2)"
    assert sheet_title("   ") == "Sheet" and sheet_title("History") == "History_"


def test_money_is_rounded_to_the_fen_half_up_and_written_in_capitals():
    assert [round_fen(v) for v in (2.675, 1.005, 3689.785045740464, None)] == [2.68, 1.01, 3689.79, None]
    assert chinese_amount(1600) == "人民币壹仟陆佰元整"
    assert chinese_amount(10010.01) == "人民币壹万零壹拾元零壹分"
    assert chinese_amount(100200300.4) == "人民币壹亿零贰拾万零叁佰元肆角整"
    assert chinese_amount(0.05) == "人民币伍分"


def test_totals_are_summed_from_the_rounded_lines(tmp_path):
    path = tmp_path / "t.xlsx"
    with ReportBook(path) as book:
        book.sheet("t").table([Column("项目"), Column("金额（元）", "money", total=True)],
                              [["a", 0.005], ["b", 0.005], ["c", 0.005]], total_label="合计")
    rows = list(load_workbook(path)["t"].iter_rows(values_only=True))
    assert rows[-1] == ("合计", 0.03) and sum(r[1] for r in rows[1:-1]) == pytest.approx(0.03)


def test_template_and_export(tmp_path):
    from care_services.spreadsheet import read_workbook, write_workbook
    from tests.test_spreadsheet import sample_records

    person = {**sample_records("people")[0], "name": ATTACK}
    path = tmp_path / "people.xlsx"
    write_workbook(path, "people", [person])
    assert_kept_as_text(path)
    assert read_workbook(path, "people").records[0]["name"] == ATTACK  # and it reads back as typed


def test_import_error_report(tmp_path):
    from care_services.spreadsheet import ImportResult, RowError, write_error_report

    result = ImportResult("people", "Sheet1")
    result.errors.append(RowError("=Sheet1", 3, "B", "姓名", ATTACK, "原因", "reason"))
    path = tmp_path / "errors.xlsx"
    write_error_report(path, result)
    assert_kept_as_text(path)
    assert_kept_as_text(path, "=Sheet1")


def test_batch_result(tmp_path):
    from subsidy_rules.batch import evaluate_cases, read_cases, write_results
    from subsidy_rules.engine import get_scheme

    scheme = get_scheme("disability_care")
    source = tmp_path / "cases.xlsx"
    with ReportBook(source) as book:  # (pandas' to_excel would itself write these as formulas)
        book.sheet("Sheet1").table([Column("出生日期"), Column("申请服务类别"), Column("户籍地区划代码")],
                                   [["1960-05-01", ATTACK, "=1+1"]])
    cases = read_cases(source, scheme)
    results = evaluate_cases(scheme.id, cases, date=dt.date(2024, 4, 1), jurisdiction="360902")
    path = tmp_path / "result.xlsx"
    write_results(path, scheme, cases, results)
    assert_kept_as_text(path)
    assert_kept_as_text(path, "=1+1")


def test_budget_report_with_a_formula_and_a_colon_in_the_scenario_name(tmp_path):
    from subsidy_rules.budget import Scenario, project
    from subsidy_rules.budget_report import write_report
    from subsidy_rules.parameters import default_parameters
    from tests.budget.test_projection import HORIZON, NURSERY, PIPELINE

    cases = pd.DataFrame([NURSERY])
    name = "=1+1:方案/甲"
    projections = [project(cases, PIPELINE, HORIZON, Scenario(s, default_parameters())) for s in ("基准", name)]
    buffer = io.BytesIO()
    write_report(projections, buffer)  # a ':' in a sheet title used to be a 500
    buffer.seek(0)
    path = tmp_path / "budget.xlsx"
    path.write_bytes(buffer.getvalue())
    assert_kept_as_text(path, "=1+1")
    assert all(":" not in title and "/" not in title for title in load_workbook(path).sheetnames)


@pytest.fixture
def paid_county(county):
    from tests.workflow.conftest import submit, walk

    case = submit(county, 1, name=ATTACK, community_name="+1+1", carer_or_institution="@SUM(A1)",
                  bank_account_name="@SUM(A1)")
    return county, case, walk


def test_notice(paid_county, tmp_path):
    from care_services import notice
    from care_services.db import session_scope

    county, case, walk = paid_county
    walk(county, case, until="in_notice")
    path = tmp_path / "notice.xlsx"
    with session_scope(county) as session:
        assert notice.write_xlsx(path, session, "360902", "+1+1") == 1
    assert_kept_as_text(path, "=*")  # the masked name "=*****" used to become a formula
    assert_kept_as_text(path, "+1+1")


def test_payroll(paid_county, tmp_path):
    from care_services import payroll
    from care_services.db import session_scope

    county, case, walk = paid_county
    walk(county, case)
    path = tmp_path / "roll.xlsx"
    with session_scope(county) as session:
        roll = payroll.generate(session, "2024-04", "360902", by="test")
        payroll.write_roll(path, roll, "袁州区")
    assert_kept_as_text(path)
    assert_kept_as_text(path, "@SUM(A1)")


def test_rendered_rows_read_back_as_xlsxwriter_writes_them(tmp_path):
    """The fast path (rows rendered as XML in constant-memory mode) and xlsxwriter's own cell path agree."""
    import numpy as np

    columns = [Column("文本"), Column("金额（元）", "money", total=True), Column("人数", "integer", total=True),
               Column("日期", "date"), Column("是否"), Column("编号", "id")]
    rows = [["a & <b> _x0041_ \x01", 1.005, 3, dt.date(2024, 2, 29), True, "360902"],
            ["  空格 ", np.float64(2.675), np.int64(4), pd.Timestamp("2023-01-01"), np.bool_(False), "0012"],
            [ATTACK, float("nan"), None, None, None, "x\ny"], ["\r=1", pd.NA, 0, pd.NaT, False, ""]]
    read = {}
    for streaming in (True, False):
        path = tmp_path / f"{streaming}.xlsx"
        with ReportBook(path, constant_memory=streaming) as book:
            book.sheet("t").table(columns, rows, total_label="合计")
        book = load_workbook(path)
        read[streaming] = [[(c.number_format, c.data_type, c.quotePrefix, c.border.left.style)
                            for c in row] for row in book["t"].iter_rows()]
        read[streaming, "calamine"] = read_sheets(path)["t"]()  # values as Excel shows them (escapes undone)
    assert read[True] == read[False] and read[True, "calamine"] == read[False, "calamine"]
    assert read[True, "calamine"][-1][:3] == ["合计", 3.69, 7]  # 1.01 + 2.68, from the rounded lines


# ------------------------------------------------------------------------- staff language in every workbook

RAW_ID = re.compile(r"\b[a-z]+_[a-z_]+\b")  # disability_care, finance_fallback…
ENGLISH = re.compile(r"\b[A-Za-z]{4,}\b")


def staff_language(path, allowed: set[str] = frozenset()) -> list[str]:
    """Cell texts with a raw id or an English word (user names and typed input excepted via ``allowed``)."""
    book = load_workbook(path)
    found = []
    for sheet in book.worksheets:
        if sheet.sheet_state == "hidden":
            continue
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                text = str(value) if isinstance(value, str) else ""
                for word in (*RAW_ID.findall(text), *ENGLISH.findall(text)):
                    if word not in allowed:
                        found.append(f"{sheet.title}: {text}")
    return found


@pytest.mark.parametrize("args", [["people"], ["divisions"], ["projects"], ["cases", "--scheme", "disability_care"],
                                  ["cases", "--scheme", "childcare_operation"], ["caseload"]])
def test_templates_speak_chinese(tmp_path, args):
    from care_services.cli import main

    path = tmp_path / "t.xlsx"
    assert main(["template", *args, "--output", str(path)]) == 0
    assert staff_language(path) == []


def test_the_notice_speaks_chinese(paid_county, tmp_path):
    from care_services import notice
    from care_services.db import session_scope

    county, case, walk = paid_county
    walk(county, case, until="in_notice")
    with session_scope(county) as session:
        notice.write_xlsx(tmp_path / "notice.xlsx", session, "360902")
    assert staff_language(tmp_path / "notice.xlsx", {"HYPERLINK", "http", "example"}) == []


def test_the_roll_and_the_bank_list_speak_chinese(paid_county, tmp_path):
    from care_services import payroll
    from care_services.db import session_scope
    from tests.workflow.conftest import staff

    county, case, walk = paid_county
    walk(county, case)
    with session_scope(county) as session:
        roll = payroll.generate(session, "2024-04", "360902", by="zhou")
        payroll.write_roll(tmp_path / "roll.xlsx", roll, "袁州区")
        payroll.write_roll(tmp_path / "bank.xlsx", roll, "袁州区",
                           bank=payroll.bank_details(session, roll, staff(session, "zhou")))
    for name in ("roll.xlsx", "bank.xlsx"):  # the user name of who generated it is the only Latin text
        assert staff_language(tmp_path / name, {"HYPERLINK", "http", "example", "zhou"}) == []


def test_the_error_report_speaks_chinese(tmp_path):
    from care_services.spreadsheet import read_workbook, write_error_report
    from tests.test_spreadsheet import officials_workbook

    source = tmp_path / "applicants.xlsx"
    officials_workbook(source)
    write_error_report(tmp_path / "errors.xlsx", read_workbook(source, "people"))
    assert staff_language(tmp_path / "errors.xlsx", {"Sheet"}) == []


def test_plan_workbook(tmp_path):
    from allocator.planning import PlacementProblem
    from allocator.report import write_plan_workbook
    from allocator.sample import jiujiang_county_table, jiujiang_projects
    from allocator.solver import SolverOptions

    districts, projects = jiujiang_county_table(), jiujiang_projects()
    projects["name"] = ATTACK  # a planner's upload names its projects as a formula
    districts.loc[districts.index[0], "name"] = "=1+1"
    problem = PlacementProblem.from_frames(districts, projects, plan_year=2025, budget=500_000_000)
    result = problem.solve("shortfall", SolverOptions("highs", 60))
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(result, path)
    assert formula_cells(path) == []
    for text in (ATTACK, "=1+1"):
        found = cells_with(path, text)
        assert found and all(c.data_type == "s" and c.quotePrefix for c in found if c.value.startswith("="))
