"""The plan workbook as a 发改委/民政局 planner files it and 财政 reads it: every indicator with its status, the
chosen projects, the homes adapted, districts before/after (coloured against the targets), each target per unit
with its reason, subsidies by funding level and the candidates set aside.

Chinese only: sheet names, headers and values (公办/民办, 新建/改扩建, 全市, 县（市、区）…); money in 万元 with two
decimals and 合计 rows; every sheet prints on A4 landscape, fit to the page width, with its header row repeated and
the sheet's title and unit in the page header. Tables are written by care_services.spreadsheet.write_frame."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, DataBarRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from allocator.data import FACILITY_TYPE_ZH
from allocator.planning import LEVELS, OBJECTIVES, REASONS, STATUS_OF_INDICATOR, PlacementResult
from allocator.solver import STATUS_ZH
from allocator.targets import MEASURED_ON_ZH
from care_services.spreadsheet import HEADER_FONT, openpyxl_cell, write_frame

RED = PatternFill("solid", fgColor="F8CBAD")
GREEN = PatternFill("solid", fgColor="C6EFCE")
GREY = PatternFill("solid", fgColor="EDEDED")
WAN = "#,##0.00"  # 万元, two decimals
COUNT = "#,##0"
PERCENT = "0.0%"
RATIO = "0.00"
TOTAL_FONT = Font(bold=True)

KIND_ZH = {"elderly": "养老", "childcare": "托育"}
OWNERSHIP_ZH = {"public": "公办", "private": "民办", "private_non_profit": "民办非营利", "private_for_profit": "民办营利"}
CONSTRUCTION_ZH = {"new": "新建", "renovation": "改建", "expansion": "扩建", "renovation_expansion": "改扩建"}
SCOPE_ZH = {"each_district": "各区划", "each_county": "各县（市、区）", "aggregate": "全市",
            "proportional": "按60岁及以上人口分解到县"}
LEVEL_ZH = {"province": "省级", "city": "市级", "county": "县级"}
UNIT_LEVEL_ZH = {"city": "全市", "county": "县（市、区）", "township": "乡镇（街道）"}
SCHEME_ZH = {"elderly_institution_construction": "养老机构建设补贴", "childcare_construction": "托育机构建设补贴"}
BACKEND_ZH = {"highs": "HiGHS", "cp-sat": "CP-SAT", "scip": "SCIP"}

DISTRICT_HEADERS = {
    "division_code": "区划代码", "name": "名称", "level": "层级", "population": "常住人口",
    "elderly_beds_before": "养老床位（前）", "elderly_beds_after": "养老床位（后）",
    "nursing_share_before": "护理型占比（前）", "nursing_share_after": "护理型占比（后）",
    "childcare_slots_before": "托位（前）", "childcare_slots_after": "托位（后）",
    "slots_per_1000_before": "每千人口托位（前）", "slots_per_1000_after": "每千人口托位（后）",
    "inclusive_share_before": "普惠占比（前）", "inclusive_share_after": "普惠占比（后）", "estimated": "现状为估算",
}
PLAN_HEADERS = {
    "code": "项目编号", "name": "项目名称", "division_code": "区划代码", "division_name": "区划", "kind": "类别",
    "facility_type": "设施类型", "year": "建成年份", "capacity": "新增床位/托位", "nursing_beds": "其中护理型床位",
    "inclusive_places": "其中普惠托位", "private_beds": "其中社会力量运营床位", "sites": "设施个数",
    "ownership": "性质", "construction": "建设性质", "cost": "投资（万元）", "scheme": "补贴项目",
    "fund.province": "省级补助（万元）", "fund.city": "市级补助（万元）", "fund.county": "县级补助（万元）",
    "subsidy": "补助合计（万元）", "subsidy_undetermined": "补助待定",
}
INDICATOR_HEADERS = {
    "target_zh": "指标", "year": "年份", "value": "目标值", "measured_on": "考核单位", "scope": "考核范围",
    "status": "状态", "units": "考核单位数", "units_short": "未达标单位数", "shortfall": "缺口合计",
    "shortfall_unit": "缺口单位", "reasons": "原因", "estimated": "现状含估算", "citation": "依据", "quote": "原文",
}
TARGET_HEADERS = {
    "target_zh": "指标", "year": "年份", "value": "目标值", "scope": "考核范围", "measured_on": "考核单位",
    "unit_name": "区划", "required": "需达到", "achieved": "规划后达到", "before": "规划前", "after": "规划后",
    "met": "是否达标", "shortfall": "缺口", "shortfall_unit": "缺口单位", "reason_zh": "原因", "estimated": "现状为估算",
    "citation": "依据",
}
ADAPTATION_HEADERS = {"county_name": "县（市、区）", "county": "区划代码", "year": "年份", "households": "改造户数",
                      "cost": "费用（万元）"}
SUBSIDY_HEADERS = {"scheme": "补贴项目", "fund.province": "省级（万元）", "fund.city": "市级（万元）",
                   "fund.county": "县级（万元）", "subsidy": "合计（万元）", "undetermined_projects": "补助待定的项目数"}
EXCLUDED_HEADERS = {"code": "项目编号", "name": "项目名称", "kind": "类别", "division_code": "区划代码", "reason_zh": "原因"}
YES_NO = {True: "是", False: "否"}


def _wan(frame: pd.DataFrame, columns) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        if column in out:
            out[column] = pd.to_numeric(out[column], errors="coerce") / 10_000
    return out


def _shown_value(row) -> str:
    """A target value as people write it: 90%, 4.5, 8,000."""
    if row["measure"] in ("share", "coverage"):
        return f"{row['value']:.0%}"
    return f"{row['value']:,.0f}" if float(row["value"]).is_integer() else f"{row['value']:g}"


def _print_setup(sheet: Worksheet, title: str, unit: str | None = None) -> None:
    """A4 landscape, fit to the page width, the header row on every page, title and unit in the page header."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    if sheet.title != "概要":
        sheet.print_title_rows = "1:1"
    sheet.oddHeader.center.text = title
    if unit:
        sheet.oddHeader.right.text = unit
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"


def _fit_widths(sheet: Worksheet, widest: float = 60) -> None:
    """Column widths from the longest text in each column (a Chinese character is two widths), so nothing is cut."""
    for column in sheet.columns:
        longest = 0.0
        for cell in column:
            if cell.value is None:
                continue
            text = f"{cell.value:,.2f}" if isinstance(cell.value, float) else str(cell.value)
            longest = max(longest, sum(2.0 if ord(ch) > 0x2E80 else 1.1 for ch in text))
        letter = get_column_letter(column[0].column)
        sheet.column_dimensions[letter].width = max(8.0, min(widest, longest + 2))
        if longest + 2 > widest:
            for cell in column[1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _total_row(sheet: Worksheet, frame: pd.DataFrame, headers: dict[str, str], sums: dict[str, str]) -> None:
    """A 合计 row under the table: the sum of each column in ``sums`` (column -> number format)."""
    columns = [c for c in headers if c in frame.columns]
    row = sheet.max_row + 1
    sheet.cell(row=row, column=1, value="合计").font = TOTAL_FONT
    for index, column in enumerate(columns, start=1):
        if column in sums:
            cell = sheet.cell(row=row, column=index, value=float(pd.to_numeric(frame[column], errors="coerce").sum()))
            cell.number_format, cell.font = sums[column], TOTAL_FONT
    for index in range(1, len(columns) + 1):
        sheet.cell(row=row, column=index).fill = GREY


def _column(frame_columns: list[str], headers: dict[str, str], name: str) -> str:
    present = [c for c in headers if c in frame_columns]
    return get_column_letter(present.index(name) + 1)


def _table(book: Workbook, title: str, frame: pd.DataFrame, headers: dict[str, str],
           formats: dict[str, str] | None = None, unit: str | None = None, sums: dict[str, str] | None = None):
    sheet = book.create_sheet(title)
    shown = sum(c in frame.columns for c in headers)
    write_frame(sheet, frame, headers, formats, freeze="C2" if shown > 4 else "A2")
    if sums and len(frame):
        _total_row(sheet, frame, headers, sums)
    _fit_widths(sheet)
    _print_setup(sheet, title, unit)
    return sheet


def _reasons_zh(reasons: dict) -> str:
    return "；".join(f"{REASONS[k][0]}（{n}处）" for k, n in reasons.items()) if reasons else ""


def write_plan_workbook(result: PlacementResult, target: str | Path | IO[bytes]) -> None:
    book = Workbook()
    _summary(book.active, result)

    indicators = result.indicators.copy()
    if len(indicators):
        indicators["reasons"] = [
            _reasons_zh(r) if s == "short" else (n or "") for r, s, n in
            zip(indicators["reasons"], indicators["status"], indicators["not_applicable_zh"])]
        indicators["value"] = indicators.apply(_shown_value, axis=1)
        indicators["status"] = indicators["status"].map(lambda s: STATUS_OF_INDICATOR[s][0])
        indicators["measured_on"] = indicators["measured_on"].map(MEASURED_ON_ZH)
        indicators["scope"] = indicators["scope"].map(SCOPE_ZH)
        indicators["estimated"] = indicators["estimated"].map(YES_NO)
    sheet = _table(book, "指标", indicators, INDICATOR_HEADERS, {"shortfall": COUNT})
    if len(indicators):
        letter = _column(list(indicators.columns), INDICATOR_HEADERS, "status")
        cells = f"{letter}2:{letter}{len(indicators) + 1}"
        sheet.conditional_formatting.add(cells, CellIsRule(operator="equal", formula=['"未达标"'], fill=RED))
        sheet.conditional_formatting.add(cells, CellIsRule(operator="equal", formula=['"达标"'], fill=GREEN))

    money = ["cost", "fund.province", "fund.city", "fund.county", "subsidy"]
    plan = _wan(result.plan, money).assign(
        kind=result.plan["kind"].map(KIND_ZH),
        facility_type=result.plan.get("facility_type", pd.Series(dtype=object)).map(FACILITY_TYPE_ZH),
        ownership=result.plan["ownership"].map(OWNERSHIP_ZH),
        construction=result.plan["construction"].map(CONSTRUCTION_ZH),
        scheme=result.plan["scheme"].map(SCHEME_ZH),
        subsidy_undetermined=result.plan["subsidy_undetermined"].map(YES_NO))
    _table(book, "选中项目", plan, PLAN_HEADERS, dict.fromkeys(money, WAN), "单位：万元",
           {**dict.fromkeys(money, WAN), **dict.fromkeys(("capacity", "nursing_beds", "inclusive_places",
                                                         "private_beds", "sites"), COUNT)})

    adaptation = _wan(result.adaptation, ["cost"])
    _table(book, "适老化改造", adaptation, ADAPTATION_HEADERS, {"cost": WAN, "households": COUNT}, "单位：户、万元",
           {"households": COUNT, "cost": WAN})

    districts = result.districts.assign(level=result.districts["level"].map(UNIT_LEVEL_ZH),
                                        estimated=result.districts["estimated"].map(YES_NO))
    formats = {c: PERCENT for c in districts.columns if "share" in c}
    formats.update({c: RATIO for c in districts.columns if "per_1000" in c})
    formats.update({c: COUNT for c in ("population", "elderly_beds_before", "elderly_beds_after",
                                       "childcare_slots_before", "childcare_slots_after")})
    sheet = _table(book, "区划对比", districts, DISTRICT_HEADERS, formats)
    _colour_districts(sheet, result, districts)

    targets = result.targets.assign(
        met=result.targets["met"].map({True: "✓ 达标", False: "✗ 未达标"}),
        scope=result.targets["scope"].map(SCOPE_ZH), measured_on=result.targets["measured_on"].map(MEASURED_ON_ZH),
        estimated=result.targets["estimated"].map(YES_NO))
    if len(targets):
        targets["value"] = result.targets.apply(_shown_value, axis=1)
    sheet = _table(book, "目标明细", targets, TARGET_HEADERS, {"before": RATIO, "after": RATIO, "shortfall": COUNT})
    if len(targets):
        letter = _column(list(targets.columns), TARGET_HEADERS, "met")
        cells = f"{letter}2:{letter}{len(targets) + 1}"
        sheet.conditional_formatting.add(cells, CellIsRule(operator="equal", formula=['"✗ 未达标"'], fill=RED))
        sheet.conditional_formatting.add(cells, CellIsRule(operator="equal", formula=['"✓ 达标"'], fill=GREEN))

    subsidies = _wan(result.subsidy_summary(), money)
    subsidies["scheme"] = subsidies["scheme"].map(SCHEME_ZH).fillna("（无）")
    _table(book, "补贴", subsidies, SUBSIDY_HEADERS, dict.fromkeys(money, WAN), "单位：万元",
           {**dict.fromkeys(money, WAN), "undetermined_projects": COUNT})

    excluded = result.excluded.assign(kind=result.excluded["kind"].map(KIND_ZH))
    _table(book, "未纳入", excluded, EXCLUDED_HEADERS)
    book.save(target)


def _summary(sheet: Worksheet, result: PlacementResult) -> None:
    """Labels and values side by side in two columns that fit one printed page."""
    sheet.title = "概要"
    spending = result.spending
    rows: list[tuple[str, object, str | None]] = [
        ("规划目标", OBJECTIVES[result.objective].split(" / ")[0], None),
        ("求解状态", STATUS_ZH[result.status], None),
        ("选中项目数", len(result.plan), COUNT),
        ("项目投资（万元）", spending.get("projects", spending["total"]) / 10_000, WAN),
        ("适老化改造户数", int(result.adaptation["households"].sum()) if len(result.adaptation) else 0, COUNT),
        ("适老化改造费用（万元）", spending.get("households", 0.0) / 10_000, WAN),
        ("总投资（万元）", spending["total"] / 10_000, WAN),
        ("总预算（万元）", None if spending["budget"] is None else spending["budget"] / 10_000, WAN),
    ]
    for label, stats in result.phases:
        phase = label.split(" ")[0]
        rows += [(f"{phase}：目标值", stats.objective, COUNT), (f"{phase}：界", stats.bound, COUNT),
                 (f"{phase}：差距", stats.gap, "0.000%"), (f"{phase}：用时（秒）", round(stats.seconds, 2), RATIO),
                 (f"{phase}：求解器", BACKEND_ZH.get(stats.backend, stats.backend), None)]
    for level in LEVELS:
        rows.append((f"建设补助 {LEVEL_ZH[level]}（万元）", spending["subsidies_by_level"][level] / 10_000, WAN))
    if len(result.indicators):
        counts = result.indicators["status"].value_counts()
        rows += [("指标数（按年份）", len(result.indicators), COUNT), ("其中达标", int(counts.get("met", 0)), COUNT),
                 ("其中未达标", int(counts.get("short", 0)), COUNT),
                 ("其中不适用", int(counts.get("not_applicable", 0)), COUNT)]
    for zh, _ in result.messages:
        rows.append(("说明", zh, None))
    for number, (label, value, fmt) in enumerate(rows, start=1):
        openpyxl_cell(sheet, number, 1, label).font = HEADER_FONT
        cell = openpyxl_cell(sheet, number, 2, value)  # a message may quote a district's or project's name
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
        if fmt and isinstance(value, (int, float)):
            cell.number_format = fmt
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 28, 90
    _print_setup(sheet, "规划方案概要")
    sheet.page_setup.fitToHeight = 1  # the summary is one page: labels beside their values


def _colour_districts(sheet: Worksheet, result: PlacementResult, districts: pd.DataFrame) -> None:
    last = len(districts) + 1
    plan_year = int(result.targets["year"].max()) if len(result.targets) else None
    thresholds = {}
    for measure, column in (("childcare_slots_per_1000", "slots_per_1000"), ("childcare_inclusive_share", "inclusive_share"),
                            ("elderly_nursing_share", "nursing_share")):
        rows_ = result.targets[(result.targets["target"] == measure) & (result.targets["year"] == plan_year)]
        if len(rows_):
            thresholds[column] = float(rows_["value"].iloc[0])
    for column, threshold in thresholds.items():
        for suffix in ("_before", "_after"):
            letter = _column(list(districts.columns), DISTRICT_HEADERS, column + suffix)
            cells = f"{letter}2:{letter}{last}"
            sheet.conditional_formatting.add(cells, CellIsRule(operator="lessThan", formula=[str(threshold)], fill=RED))
            sheet.conditional_formatting.add(cells, CellIsRule(operator="greaterThanOrEqual", formula=[str(threshold)],
                                                               fill=GREEN))
    for column in ("elderly_beds_after", "childcare_slots_after"):
        letter = _column(list(districts.columns), DISTRICT_HEADERS, column)
        sheet.conditional_formatting.add(f"{letter}2:{letter}{last - 1}",
                                         DataBarRule(start_type="min", end_type="max", color="5B9BD5"))
