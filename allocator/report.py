"""The plan workbook: summary, chosen projects, districts before/after (coloured against the targets), targets,
subsidies by funding level, and the candidates set aside."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, DataBarRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from allocator.planning import LEVELS, OBJECTIVES, PlacementResult
from allocator.solver import STATUS_ZH
from care_services.spreadsheet import HEADER_FONT, write_frame

RED = PatternFill("solid", fgColor="F8CBAD")
GREEN = PatternFill("solid", fgColor="C6EFCE")
YUAN = '#,##0"元"'
PERCENT = "0.0%"
RATIO = "0.00"

DISTRICT_HEADERS = {
    "division_code": "区划代码", "name": "名称", "population": "常住人口",
    "elderly_beds_before": "养老床位（前）", "elderly_beds_after": "养老床位（后）",
    "nursing_share_before": "护理型占比（前）", "nursing_share_after": "护理型占比（后）",
    "childcare_slots_before": "托位（前）", "childcare_slots_after": "托位（后）",
    "slots_per_1000_before": "每千人口托位（前）", "slots_per_1000_after": "每千人口托位（后）",
    "inclusive_share_before": "普惠占比（前）", "inclusive_share_after": "普惠占比（后）",
}
PLAN_HEADERS = {
    "code": "项目编号", "name": "项目名称", "division_code": "区划代码", "division_name": "区划", "kind": "类别",
    "year": "建成年份", "capacity": "新增床位/托位", "nursing_beds": "其中护理型床位", "inclusive_places": "其中普惠托位",
    "ownership": "性质", "construction": "建设性质", "cost": "投资（元）", "scheme": "补贴项目",
    "fund.province": "省级补助（元）", "fund.city": "市级补助（元）", "fund.county": "县级补助（元）",
    "subsidy": "补助合计（元）", "subsidy_undetermined": "补助待定",
}
TARGET_HEADERS = {
    "target_zh": "目标", "year": "年份", "value": "目标值", "scope": "范围", "unit_name": "区划", "required": "需达到",
    "before": "规划前", "after": "规划后", "met": "是否达标", "shortfall": "缺口", "reason_zh": "原因",
    "reason_en": "reason", "citation": "依据",
}
KIND_ZH = {"elderly": "养老", "childcare": "托育"}


def _write_table(sheet, frame: pd.DataFrame, headers: dict[str, str], formats: dict[str, str] | None = None) -> None:
    shown = sum(c in frame.columns for c in headers)
    write_frame(sheet, frame, headers, formats, freeze="C2" if shown > 4 else "A2")


def _column(frame_columns: list[str], headers: dict[str, str], name: str) -> str:
    present = [c for c in headers if c in frame_columns]
    return get_column_letter(present.index(name) + 1)


def write_plan_workbook(result: PlacementResult, target: str | Path | IO[bytes]) -> None:
    book = Workbook()
    summary = book.active
    summary.title = "概要 Summary"
    rows = [
        ("规划目标 Objective", OBJECTIVES[result.objective]),
        ("状态 Status", f"{STATUS_ZH[result.status]} / {result.status}"),
        ("选中项目数 Projects chosen", len(result.plan)),
        ("总投资（元） Total cost", result.spending["total"]),
        ("总预算（元） Budget", result.spending["budget"]),
    ]
    for label, stats in result.phases:
        rows += [(f"{label} 目标值 objective", stats.objective), (f"{label} 界 bound", stats.bound),
                 (f"{label} 差距 gap", stats.gap), (f"{label} 用时（秒） seconds", round(stats.seconds, 2)),
                 (f"{label} 求解器 backend", stats.backend)]
    for level in LEVELS:
        rows.append((f"建设补助 {level}（元）", result.spending["subsidies_by_level"][level]))
    unmet = int((~result.targets["met"]).sum()) if len(result.targets) else 0
    rows.append(("未达标目标数 Targets not met", unmet))
    for zh, en in result.messages:
        rows.append(("说明 Note", f"{zh} / {en}"))
    summary.column_dimensions["A"].width, summary.column_dimensions["B"].width = 36, 70
    for number, (label, value) in enumerate(rows, start=1):
        summary.cell(row=number, column=1, value=label).font = HEADER_FONT
        cell = summary.cell(row=number, column=2, value=value)
        if isinstance(value, float) and ("元" in label or "cost" in label.lower()):
            cell.number_format = YUAN
        if "gap" in label and isinstance(value, float):
            cell.number_format = "0.000%"

    plan = result.plan.assign(kind=result.plan["kind"].map(KIND_ZH))
    sheet = book.create_sheet("选中项目 Plan")
    money = {c: YUAN for c in ("cost", "fund.province", "fund.city", "fund.county", "subsidy")}
    _write_table(sheet, plan, PLAN_HEADERS, money)

    sheet = book.create_sheet("区划对比 Districts")
    districts = result.districts
    formats = {c: PERCENT for c in districts.columns if "share" in c}
    formats.update({c: RATIO for c in districts.columns if "per_1000" in c})
    _write_table(sheet, districts, DISTRICT_HEADERS, formats)
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

    sheet = book.create_sheet("目标 Targets")
    targets = result.targets.assign(met=result.targets["met"].map({True: "✓ 达标", False: "✗ 未达标"}))
    formats = {"before": RATIO, "after": RATIO}
    _write_table(sheet, targets, TARGET_HEADERS, formats)
    letter = _column(list(targets.columns), TARGET_HEADERS, "met")
    cells = f"{letter}2:{letter}{len(targets) + 1}"
    sheet.conditional_formatting.add(cells, CellIsRule(operator="equal", formula=['"✗ 未达标"'], fill=RED))
    sheet.conditional_formatting.add(cells, CellIsRule(operator="equal", formula=['"✓ 达标"'], fill=GREEN))

    sheet = book.create_sheet("补贴 Subsidies")
    _write_table(sheet, result.subsidy_summary(), {
        "scheme": "补贴项目", "fund.province": "省级（元）", "fund.city": "市级（元）", "fund.county": "县级（元）",
        "subsidy": "合计（元）", "undetermined_projects": "补助待定的项目数"}, money)

    sheet = book.create_sheet("未纳入 Excluded")
    _write_table(sheet, result.excluded, {"code": "项目编号", "name": "项目名称", "kind": "类别",
                                          "division_code": "区划代码", "reason_zh": "原因", "reason_en": "reason"})
    book.save(target)
