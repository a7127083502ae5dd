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


def test_chinese_only_sheet_names_headers_and_values(book):
    _, workbook = book
    assert all(not re.search(r"[A-Za-z]", name) for name in workbook.sheetnames)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert value not in RAW_IDS, (sheet.title, value)
    plan = workbook["选中项目"]
    header = [c.value for c in plan[1]]
    column = {name: i for i, name in enumerate(header)}
    values = [r for r in plan.iter_rows(min_row=2, values_only=True)]
    assert {r[column["性质"]] for r in values[:-1]} <= {"公办", "民办"}
    assert "改扩建" in {r[column["建设性质"]] for r in values[:-1]}


def test_every_table_prints_a4_landscape_fit_to_width_with_its_header_repeated(book):
    _, workbook = book
    for sheet in workbook.worksheets:
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
        if sheet.title != "概要":
            assert sheet.print_title_rows in ("1:1", "$1:$1"), sheet.title
    summary = workbook["概要"]
    assert summary.page_setup.fitToHeight == 1  # labels and values on one page
    assert summary["A1"].value == "规划目标" and summary["B1"].value


def test_money_in_wan_with_totals_and_names_not_cut(book):
    result, workbook = book
    plan = workbook["选中项目"]
    header = [c.value for c in plan[1]]
    cost = header.index("投资（万元）") + 1
    last = plan.max_row
    assert plan.cell(last, 1).value == "合计"
    assert plan.cell(last, cost).value == pytest.approx(result.plan["cost"].sum() / 10_000)
    assert plan.cell(last, cost).number_format == WAN and plan.cell(2, cost).number_format == WAN
    assert "单位：万元" in plan.oddHeader.right.text
    name = header.index("项目名称") + 1
    longest = max(len(str(plan.cell(r, name).value)) for r in range(2, last))
    assert plan.column_dimensions[chr(ord("A") + name - 1)].width >= min(60, 2 * longest)
    subsidies = workbook["补贴"]
    assert subsidies.cell(subsidies.max_row, 1).value == "合计"


def test_the_city_row_is_formatted_and_indicators_have_their_status(book):
    result, workbook = book
    districts = workbook["区划对比"]
    header = [c.value for c in districts[1]]
    city = next(r for r in range(2, districts.max_row + 1) if districts.cell(r, 2).value == "全市")
    share = header.index("护理型占比（后）") + 1
    assert districts.cell(city, share).number_format == "0.0%"
    indicators = workbook["指标"]
    rows = list(indicators.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(result.indicators)
    status = [c.value for c in indicators[1]].index("状态")
    assert {r[status] for r in rows} <= {"达标", "未达标", "不适用"}
