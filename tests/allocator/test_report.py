"""The plan workbook as 财政 reads it (issue 18's plan-workbook points, issue 20's indicators): read back and checked."""

import io
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from allocator.planning import PlacementProblem
from allocator.report import WAN, write_plan_workbook
from allocator.solver import SolverOptions

RAW_IDS = {"public", "private", "renovation_expansion", "each_district", "each_county", "aggregate", "elderly",
           "childcare", "budget", "trade_off", "no_candidates", "capacity", "community", "county", "city",
           "elderly_institution_construction", "childcare_construction", "optimal", "feasible", "highs", "cp-sat"}


@pytest.fixture(scope="module")
def book():
    districts = pd.DataFrame([
        {"division_code": "360402", "name": "濂溪区", "population": 100_000, "aged_60_plus": 15_000, "childcare_slots": 300,
         "inclusive_slots": 30, "elderly_beds": 900, "nursing_beds": 400, "communities": 10,
         "communities_elderly_covered": 8, "estimated": True},
        {"division_code": "360403", "name": "浔阳区", "population": 80_000, "aged_60_plus": 12_000, "childcare_slots": 200,
         "inclusive_slots": 20, "elderly_beds": 700, "nursing_beds": 300, "communities": 12,
         "communities_elderly_covered": 9}])
    projects = pd.DataFrame([
        {"code": "P1", "name": "濂溪区婴幼儿照护综合服务中心（一个很长很长的项目名称，打印时不能被截断）", "division_code": "360402",
         "kind": "childcare", "capacity": 200, "investment_10k_cny": 900, "ownership": "public",
         "construction": "renovation_expansion"},
        {"code": "P2", "name": "浔阳区社区居家养老服务中心", "division_code": "360403", "kind": "elderly", "capacity": 60,
         "investment_10k_cny": 300, "ownership": "private", "facility_type": "community_care", "sites": 3},
        {"code": "P3", "name": "濂溪区嵌入式养老院", "division_code": "360402", "kind": "elderly", "capacity": 40,
         "investment_10k_cny": 200, "ownership": "public", "facility_type": "community_care", "sites": 1}])
    problem = PlacementProblem.from_frames(districts, projects, plan_year=2025, budget=5e7)
    result = problem.solve("shortfall", SolverOptions("highs", time_limit_s=30))
    target = io.BytesIO()
    write_plan_workbook(result, target)
    return result, load_workbook(io.BytesIO(target.getvalue()))


HEADER_ROW = 3  # 1: the sheet's title, 2: its unit, 3: the table's header


def header_of(sheet) -> list:
    return [c.value for c in sheet[HEADER_ROW]]


def lines_of(sheet) -> list[tuple]:
    """The table's lines under its header, up to (not including) the blank row before the signature lines."""
    found = []
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        if all(v is None for v in row):
            break
        found.append(row)
    return found


def test_chinese_only_sheet_names_headers_and_values(book):
    _, workbook = book
    assert all(not re.search(r"[A-Za-z]", name) for name in workbook.sheetnames)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert value not in RAW_IDS, (sheet.title, value)
                    assert not re.search(r"[a-z]+_[a-z]+", value), (sheet.title, value)  # no raw ids in any text
    plan = workbook["选中项目"]
    column = {name: i for i, name in enumerate(header_of(plan))}
    values = lines_of(plan)
    assert {r[column["性质"]] for r in values[:-1]} <= {"公办", "民办"}
    assert "改扩建" in {r[column["建设性质"]] for r in values[:-1]}


def test_every_table_prints_a4_landscape_fit_to_width_with_its_header_repeated(book):
    _, workbook = book
    for sheet in workbook.worksheets:
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.page_setup.fitToWidth in (None, 1), sheet.title  # 1 is the default, left out of the file
        if sheet.title != "概要":
            assert sheet.page_setup.fitToHeight == 0, sheet.title  # as many pages down as it needs
            assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}", sheet.title
            assert sheet.freeze_panes in (f"A{HEADER_ROW + 1}", f"C{HEADER_ROW + 1}"), sheet.title
            assert sheet["A1"].value == f"规划方案：{sheet.title}" and sheet.oddHeader.center.text == sheet.title
        texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        assert any(t.startswith("制表单位：") for t in texts), sheet.title
        assert any(t.startswith("制表时间：") and t.endswith("（北京时间）") for t in texts), sheet.title
        assert any("审核人：" in t for t in texts), sheet.title
        assert "第 &P 页" in sheet.oddFooter.center.text, sheet.title
    summary = workbook["概要"]
    assert summary.page_setup.fitToHeight in (None, 1)  # labels and values on one page
    assert summary["A1"].value == "规划方案概要"
    assert summary["A2"].value == "规划目标" and summary["B2"].value
    assert summary.column_dimensions["B"].width >= 80 and summary["B2"].alignment.wrap_text


def test_money_in_wan_with_totals_and_names_not_cut(book):
    result, workbook = book
    plan = workbook["选中项目"]
    header = header_of(plan)
    cost = header.index("投资（万元）") + 1
    lines = lines_of(plan)
    last = HEADER_ROW + len(lines)
    assert plan.cell(last, 1).value == "合计" and plan.cell(last, 1).font.bold
    assert plan.cell(last, cost).value == pytest.approx(result.plan["cost"].sum() / 10_000)
    assert plan.cell(last, cost).number_format == WAN and plan.cell(HEADER_ROW + 1, cost).number_format == WAN
    for key in ("省级补助（万元）", "市级补助（万元）", "县级补助（万元）", "补助合计（万元）"):
        column = header.index(key)
        assert plan.cell(last, column + 1).value == pytest.approx(sum(r[column] or 0 for r in lines[:-1]))
        assert plan.cell(HEADER_ROW + 1, column + 1).number_format == WAN
    capacity = header.index("新增床位/托位")
    assert plan.cell(last, capacity + 1).value == sum(r[capacity] for r in lines[:-1])
    assert plan.cell(HEADER_ROW + 1, capacity + 1).number_format == "#,##0"
    assert plan["A2"].value == "单位：万元" and "单位：万元" in plan.oddHeader.right.text
    name = header.index("项目名称") + 1
    longest = max(len(str(plan.cell(r, name).value)) for r in range(HEADER_ROW + 1, last))
    assert plan.column_dimensions[chr(ord("A") + name - 1)].width >= min(60, 2 * longest)
    subsidies = workbook["补贴"]
    subsidy_lines = lines_of(subsidies)
    assert subsidy_lines[-1][0] == "合计"
    total = header_of(subsidies).index("合计（万元）")
    assert subsidy_lines[-1][total] == pytest.approx(sum(r[total] for r in subsidy_lines[:-1]))
    assert subsidies.cell(HEADER_ROW + 1, total + 1).number_format == WAN
    adaptation = lines_of(workbook["适老化改造"])
    if len(result.adaptation):
        assert adaptation[-1][0] == "合计"
    summary = {r[0]: r[1] for r in workbook["概要"].iter_rows(values_only=True)}
    assert summary["总投资（万元）"] == pytest.approx(round(result.spending["total"] / 10_000, 2))


def test_the_city_row_is_formatted_and_indicators_have_their_status(book):
    result, workbook = book
    districts = workbook["区划对比"]
    header = header_of(districts)
    city = next(r for r in range(HEADER_ROW + 1, districts.max_row + 1) if districts.cell(r, 2).value == "全市")
    share = header.index("护理型占比（后）") + 1
    assert districts.cell(city, share).number_format == "0.0%"
    rules = [rule for rng in districts.conditional_formatting for rule in rng.rules]
    assert {rule.type for rule in rules} >= {"cellIs", "dataBar"}
    indicators = workbook["指标"]
    rows = lines_of(indicators)
    assert len(rows) == len(result.indicators)
    status = header_of(indicators).index("状态")
    assert {r[status] for r in rows} <= {"达标", "未达标", "不适用"}
    coloured = [str(rng.sqref) for rng in indicators.conditional_formatting]
    letter = chr(ord("A") + status)
    assert coloured == [f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + len(rows)}"]


def test_the_staff_language_scan_finds_no_english_and_no_raw_ids(book, tmp_path):
    from tests.test_workbook_safety import staff_language

    result, _ = book
    path = tmp_path / "规划方案.xlsx"
    write_plan_workbook(result, path)
    assert staff_language(path, {"HiGHS"}) == []  # the solver's name is a proper name
