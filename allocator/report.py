"""The plan workbook as a 发改委/民政局 planner files it and 财政 reads it: every indicator with its status, the
chosen projects, the homes adapted, districts before/after (coloured against the targets), each target per unit
with its reason, subsidies by funding level and the candidates set aside.

Chinese only: sheet names, headers and values (公办/民办, 新建/改扩建, 全市, 县（市、区）…); money in 万元 with two
decimals and 合计 rows summed from the rounded lines; every sheet prints on A4 landscape, fit to the page width,
with its header row repeated, the sheet's title and unit in the page header, and the 制表单位 / 制表时间 (北京时间) /
审核人 lines under the table. Written by care_services.workbook.ReportBook (xlsxwriter, streamed; text from the
input tables — project and district names — is always text, never a formula)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO

import pandas as pd

from allocator.data import FACILITY_TYPE_ZH
from allocator.planning import LEVELS, OBJECTIVES, REASONS, STATUS_OF_INDICATOR, PlacementResult
from allocator.solver import STATUS_ZH
from allocator.targets import MEASURED_ON_ZH
from care_services.workbook import Column, ReportBook, ReportSheet, text_width

RED = "#F8CBAD"
GREEN = "#C6EFCE"
WAN = "#,##0.00"  # 万元, two decimals
COUNT = "#,##0"
PERCENT = "0.0%"
RATIO = "0.00"
WIDEST = 60  # a column of names is as wide as its longest name up to this; longer ones wrap

KIND_ZH = {"elderly": "养老", "childcare": "托育"}
OWNERSHIP_ZH = {"public": "公办", "private": "民办", "private_non_profit": "民办非营利", "private_for_profit": "民办营利"}
CONSTRUCTION_ZH = {"new": "新建", "renovation": "改建", "expansion": "扩建", "renovation_expansion": "改扩建"}
SCOPE_ZH = {"each_district": "各区划", "each_county": "各县（市、区）", "aggregate": "全市",
            "proportional": "按60岁及以上人口分解到县"}
LEVEL_ZH = {"province": "省级", "city": "市级", "county": "县级"}
UNIT_LEVEL_ZH = {"city": "全市", "county": "县（市、区）", "township": "乡镇（街道）"}
SCHEME_ZH = {"elderly_institution_construction": "养老机构建设补贴", "childcare_construction": "托育机构建设补贴"}
# The solver by what it is, not by its product name: a Chinese workbook shows no English (DEVELOPERS.md, staff
# language); the product name is in the planning page's technical details and the JSON result.
BACKEND_ZH = {"highs": "开源线性与混合整数规划求解器", "cp-sat": "开源约束规划求解器",
              "scip": "开源混合整数规划求解器"}

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


def _reasons_zh(reasons: dict) -> str:
    return "；".join(f"{REASONS[k][0]}（{n}处）" for k, n in reasons.items()) if reasons else ""


class _Table:
    """One sheet's table: the frame's columns picked and labelled by ``headers``, with their kinds."""

    def __init__(self, frame: pd.DataFrame, headers: dict[str, str], formats: dict[str, str] | None = None,
                 totals: Sequence[str] = ()):
        formats = formats or {}
        self.keys = [c for c in headers if c in frame.columns]
        self.frame = frame
        self.columns = []
        for key in self.keys:
            fmt = formats.get(key)
            kind = "wan" if fmt == WAN else "integer" if fmt == COUNT else "number" if fmt else "text"
            width, wrap = None, False
            if kind == "text" and frame[key].notna().any():  # names are never cut: as wide as the longest, up
                longest = max(text_width(str(v)) for v in frame[key].dropna().tolist())  # to WIDEST, then wrapped
                if longest > 30:
                    width, wrap = min(WIDEST, longest + 1.5), longest + 1.5 > WIDEST
            self.columns.append(Column(headers[key], kind, num_format=fmt if kind == "number" else None,
                                       width=width, total=key in totals, wrap=wrap))

    def position(self, key: str) -> int:
        return self.keys.index(key)

    def rows(self):
        for record in self.frame[self.keys].astype(object).itertuples(index=False, name=None):
            yield [None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in record]


def _table(book: ReportBook, title: str, frame: pd.DataFrame, headers: dict[str, str],
           formats: dict[str, str] | None = None, unit: str | None = None,
           totals: Sequence[str] = ()) -> tuple[ReportSheet, _Table, int]:
    """A sheet: its title, the unit line, the table (with a 合计 row when ``totals``), the signature lines and the
    print set-up. Returns the sheet, the table and the sheet row (0-based) of the table's first line."""
    table = _Table(frame, headers, formats, totals)
    sheet = book.sheet(title)
    width = max(1, len(table.columns))
    sheet.title_line(f"规划方案：{title}", width)
    if unit:
        sheet.line(unit, width, align="right")
    else:
        sheet.skip()
    first = sheet.row + 1  # under the header
    sheet.table(table.columns, table.rows(), total_label="合计" if totals and len(frame) else None,
                freeze=2 if len(table.columns) > 4 else 0, autofilter=bool(len(frame)))
    sheet.signature(width=width, roles=("制表人", "审核人", "负责人"))
    sheet.print_setup()
    sheet.ws.set_header(f"&C{title}" + (f"&R{unit}" if unit else ""))
    return sheet, table, first


def _colour(sheet: ReportSheet, column: int, first: int, last: int, rules: Sequence[tuple[str, object, str]]) -> None:
    """Conditional fills on one column's lines: (criteria, value, colour)."""
    if last < first:
        return
    for criteria, value, colour in rules:
        sheet.ws.conditional_format(first, column, last, column, {
            "type": "cell", "criteria": criteria, "value": value, "format": sheet.book.format(bg_color=colour)})


def write_plan_workbook(result: PlacementResult, target: str | Path | IO[bytes]) -> None:
    with ReportBook(target) as book:
        _summary(book, result)

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
        sheet, table, first = _table(book, "指标", indicators, INDICATOR_HEADERS, {"shortfall": COUNT})
        if len(indicators):
            _colour(sheet, table.position("status"), first, first + len(indicators) - 1,
                    [("==", '"未达标"', RED), ("==", '"达标"', GREEN)])

        money = ["cost", "fund.province", "fund.city", "fund.county", "subsidy"]
        counts = ("capacity", "nursing_beds", "inclusive_places", "private_beds", "sites")
        plan = _wan(result.plan, money).assign(
            kind=result.plan["kind"].map(KIND_ZH),
            facility_type=result.plan.get("facility_type", pd.Series(dtype=object)).map(FACILITY_TYPE_ZH),
            ownership=result.plan["ownership"].map(OWNERSHIP_ZH),
            construction=result.plan["construction"].map(CONSTRUCTION_ZH),
            scheme=result.plan["scheme"].map(SCHEME_ZH),
            subsidy_undetermined=result.plan["subsidy_undetermined"].map(YES_NO))
        _table(book, "选中项目", plan, PLAN_HEADERS, {**dict.fromkeys(money, WAN), **dict.fromkeys(counts, COUNT)},
               "单位：万元", [*money, *counts])

        adaptation = _wan(result.adaptation, ["cost"])
        _table(book, "适老化改造", adaptation, ADAPTATION_HEADERS, {"cost": WAN, "households": COUNT}, "单位：户、万元",
               ["households", "cost"])

        districts = result.districts.assign(level=result.districts["level"].map(UNIT_LEVEL_ZH),
                                            estimated=result.districts["estimated"].map(YES_NO))
        formats = {c: PERCENT for c in districts.columns if "share" in c}
        formats.update({c: RATIO for c in districts.columns if "per_1000" in c})
        formats.update({c: COUNT for c in ("population", "elderly_beds_before", "elderly_beds_after",
                                           "childcare_slots_before", "childcare_slots_after")})
        sheet, table, first = _table(book, "区划对比", districts, DISTRICT_HEADERS, formats)
        _colour_districts(sheet, table, first, result, districts)

        targets = result.targets.assign(
            met=result.targets["met"].map({True: "✓ 达标", False: "✗ 未达标"}),
            scope=result.targets["scope"].map(SCOPE_ZH), measured_on=result.targets["measured_on"].map(MEASURED_ON_ZH),
            estimated=result.targets["estimated"].map(YES_NO))
        if len(targets):
            targets["value"] = result.targets.apply(_shown_value, axis=1)
        sheet, table, first = _table(book, "目标明细", targets, TARGET_HEADERS,
                                     {"before": RATIO, "after": RATIO, "shortfall": COUNT})
        if len(targets):
            _colour(sheet, table.position("met"), first, first + len(targets) - 1,
                    [("==", '"✗ 未达标"', RED), ("==", '"✓ 达标"', GREEN)])

        subsidies = _wan(result.subsidy_summary(), money)
        subsidies["scheme"] = subsidies["scheme"].map(SCHEME_ZH).fillna("（无）")
        _table(book, "补贴", subsidies, SUBSIDY_HEADERS, {**dict.fromkeys(money, WAN), "undetermined_projects": COUNT},
               "单位：万元", [*money, "undetermined_projects"])

        excluded = result.excluded.assign(kind=result.excluded["kind"].map(KIND_ZH))
        _table(book, "未纳入", excluded, EXCLUDED_HEADERS)


def _summary(book: ReportBook, result: PlacementResult) -> None:
    """Labels and values side by side in two columns that print on one page."""
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
    sheet = book.sheet("概要")
    sheet.title_line("规划方案概要", 2)
    label_style = sheet.style({"bold": True, "border": 1, "bg_color": "#DDEBF7", "valign": "top"})
    for label, value, fmt in rows:
        money = fmt == WAN and isinstance(value, float)
        shown = round(value, 2) if money else value  # 万元 to two decimals, as the cell shows it
        sheet.cell(sheet.row, 0, label, label_style, fit=False)
        # a message may quote a district's or project's name: written as text, wrapped beside its label
        sheet.cell(sheet.row, 1, shown, {"border": 1, "text_wrap": True, "valign": "top", "align": "left",
                                         **({"num_format": fmt} if fmt and isinstance(value, (int, float)) else {})},
                   fit=False)
        sheet.row += 1
    sheet.set_width(0, 28)
    sheet.set_width(1, 90)
    sheet.signature(width=2, roles=("制表人", "审核人", "负责人"))
    sheet.print_setup(fit_width=False)
    sheet.ws.fit_to_pages(1, 1)  # the summary is one page: labels beside their values
    sheet.ws.set_header("&C规划方案概要")


def _colour_districts(sheet: ReportSheet, table: _Table, first: int, result: PlacementResult,
                      districts: pd.DataFrame) -> None:
    last = first + len(districts) - 1
    plan_year = int(result.targets["year"].max()) if len(result.targets) else None
    thresholds = {}
    for measure, column in (("childcare_slots_per_1000", "slots_per_1000"), ("childcare_inclusive_share", "inclusive_share"),
                            ("elderly_nursing_share", "nursing_share")):
        rows_ = result.targets[(result.targets["target"] == measure) & (result.targets["year"] == plan_year)]
        if len(rows_):
            thresholds[column] = float(rows_["value"].iloc[0])
    for column, threshold in thresholds.items():
        for suffix in ("_before", "_after"):
            if column + suffix in table.keys:
                _colour(sheet, table.position(column + suffix), first, last,
                        [("<", threshold, RED), (">=", threshold, GREEN)])
    for column in ("elderly_beds_after", "childcare_slots_after"):
        if column in table.keys and last - 1 >= first:
            position = table.position(column)
            sheet.ws.conditional_format(first, position, last - 1, position,
                                        {"type": "data_bar", "bar_color": "#5B9BD5"})
