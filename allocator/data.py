"""Districts and candidate projects as the allocator reads them: columns, defaults, checks, the Jiujiang sample.

Planners bring spreadsheets with Chinese or English headers; ``districts_frame`` and ``projects_frame`` turn them
into typed frames or raise ``PlanningInputError`` listing every bad cell (row, column, reason in both languages).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from care_services.spreadsheet import is_blank, normalise_label, read_sheets


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    kind: str  # text, integer, number, coordinate, boolean, share, year, choice
    required: bool = False  # the column must be present
    default: Any = None
    may_be_blank: bool = False  # a required column whose blank cells are allowed (the row is then set aside)
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()


DISTRICT_COLUMNS = (
    Column("division_code", "区划代码", "text", True, aliases=("代码", "区县代码", "乡镇代码")),
    Column("name", "名称", "text", aliases=("区划名称", "县（市、区）")),
    Column("population", "常住人口", "integer", True, aliases=("总人口", "人口", "total")),
    Column("aged_60_plus", "60岁及以上人口", "integer", default=0, aliases=("60岁以上人口",)),
    Column("under_3", "3岁以下人口", "integer", default=0, aliases=("0-3岁人口",)),
    Column("elderly_beds", "现有养老床位", "integer", default=0, aliases=("养老床位",)),
    Column("nursing_beds", "现有护理型床位", "integer", default=0, aliases=("护理型床位",)),
    Column("childcare_slots", "现有托位", "integer", default=0, aliases=("托位", "托位数")),
    Column("inclusive_slots", "现有普惠托位", "integer", default=0, aliases=("普惠托位",)),
    Column("residential_area", "居住区类型", "choice", choices=("new", "old"),
           aliases=("居住区",)),
    Column("area", "城乡", "choice", default="urban", choices=("urban", "rural")),
    Column("in_central_city", "位于中心城区", "boolean", default=False, aliases=("中心城区",)),
    Column("x_km", "横坐标（公里）", "coordinate"),
    Column("y_km", "纵坐标（公里）", "coordinate"),
    Column("estimated", "现有供给为估算", "boolean", default=False),
    # township-level units and the coverage, count and floor-space targets (issue 20)
    Column("county_code", "所属县（市、区）代码", "text", aliases=("县级代码", "所属县代码")),
    Column("township_kind", "乡镇类型", "choice", choices=("street", "town", "township", "other"),
           aliases=("乡级类型",)),
    Column("communities", "城市社区数", "integer", default=0, aliases=("社区数",)),
    Column("villages", "行政村数", "integer", default=0, aliases=("村数",)),
    Column("communities_elderly_covered", "已有养老服务设施的社区数", "integer", default=0),
    Column("villages_mutual_aid_covered", "已有互助养老设施的行政村数", "integer", default=0),
    Column("communities_childcare_covered", "已有托育服务的社区数", "integer", default=0),
    Column("streets_covered", "已有综合养老机构（街道）", "boolean", default=False),
    Column("households", "户数", "integer", default=0),
    Column("elderly_floor_space", "现有社区养老设施面积（平方米）", "number", default=0.0),
    Column("private_operated_beds", "现有社会力量运营床位", "integer", default=0, aliases=("社会力量运营床位",)),
    Column("public_inclusive_childcare_institutions", "现有公办或普惠托育机构数", "integer", default=0),
    Column("guidance_centres", "现有市级托育指导中心数", "integer", default=0),
    Column("adapted_households", "已完成适老化改造户数", "integer", default=0),
    Column("estimate_note", "估算说明", "text"),
)
# a township unit's kind from the ending of its name (as ../shared/data/README.md derives it)
TOWNSHIP_ENDINGS = (("街道", "street"), ("镇", "town"), ("乡", "township"))


def township_kind(name: str) -> str:
    return next((kind for ending, kind in TOWNSHIP_ENDINGS if name.endswith(ending)), "other")

FACILITY_TYPES = ("institution", "comprehensive_institution", "community_care", "rural_mutual_aid",
                  "childcare_institution", "community_childcare", "city_guidance_centre")
FACILITY_TYPE_ZH = {
    "institution": "养老机构", "comprehensive_institution": "综合养老机构", "community_care": "城镇社区居家养老服务设施",
    "rural_mutual_aid": "农村互助养老服务设施", "childcare_institution": "托育机构", "community_childcare": "社区托育服务设施",
    "city_guidance_centre": "市级托育指导中心",
}
ELDERLY_TYPES = ("institution", "comprehensive_institution", "community_care", "rural_mutual_aid")
# 附件4's project categories (项目类型) that name a facility type of the plan's targets; any other elderly category
# (公办养老机构, 乡镇敬老院…) is an institution
FACILITY_OF_PROJECT_TYPE = {"城镇社区居家养老服务设施": "community_care", "农村互助养老服务设施": "rural_mutual_aid",
                            "嵌入式养老院": "comprehensive_institution", "社区嵌入式养老院": "comprehensive_institution"}

PROJECT_COLUMNS = (
    Column("code", "项目编号", "text", True, aliases=("编号",)),
    Column("name", "项目名称", "text", aliases=("名称",)),
    Column("division_code", "区划代码", "text", aliases=("县（市、区）代码", "所在区划代码", "行政区划代码")),
    Column("kind", "项目类别", "choice", True, choices=("elderly", "childcare"), aliases=("类别",)),
    Column("construction", "建设性质", "choice", default="new",
           choices=("new", "renovation", "expansion", "renovation_expansion")),
    Column("capacity", "新增床位（托位）", "integer", True, may_be_blank=True, aliases=("新增床位", "新增托位", "床位（托位）数", "capacity_added",
                                                                            "新增或建设床位（托位数）")),
    Column("capacity_max", "床位（托位）数上限", "integer", aliases=("capacity_added_max", "可扩展至")),
    Column("nursing_share", "护理型床位占比", "share"),
    Column("inclusive", "普惠托位", "boolean", aliases=("普惠",)),
    Column("ownership", "性质", "choice", choices=("public", "private", "private_non_profit", "private_for_profit"),
           aliases=("举办性质",)),
    Column("cost", "总投资（元）", "number", aliases=("投资（元）",)),
    Column("investment_10k_cny", "总投资（万元）", "number", aliases=("总投资", "投资（万元）")),
    Column("earliest_year", "最早建成年份", "year", aliases=("最早年份", "建成年份")),
    Column("area", "城乡", "choice", choices=("urban", "rural")),
    Column("premises", "用房方式", "choice", default="self_built",
           choices=("self_built", "purchased", "rented", "public_built_private_run")),
    Column("x_km", "横坐标（公里）", "coordinate"),
    Column("y_km", "纵坐标（公里）", "coordinate"),
    Column("facility_type", "设施类型", "choice", choices=FACILITY_TYPES),
    # 附件4's own category (what `carecalc export projects` writes): where no 设施类型 is given, it decides one
    Column("project_type", "项目类型", "text"),
    Column("sites", "设施个数", "integer", default=1, aliases=("个数",)),
    Column("covers", "覆盖社区（村）数", "integer", aliases=("覆盖社区数", "覆盖村数")),
    Column("floor_area", "建筑面积（平方米）", "number", default=0.0, aliases=("建筑面积",)),
    Column("social_operated", "社会力量运营", "boolean"),
)

DISTANCE_COLUMNS = (
    Column("code", "项目编号", "text", True, aliases=("编号",)),
    Column("division_code", "区划代码", "text", True, aliases=("县（市、区）代码", "乡镇代码")),
    Column("km", "距离（公里）", "number", True, aliases=("距离", "distance_km")),
)

CHOICE_WORDS = {
    "新建": "new", "改建": "renovation", "扩建": "expansion", "改扩建": "renovation_expansion",
    "养老": "elderly", "托育": "childcare", "公办": "public", "民办": "private",
    "民办非营利": "private_non_profit", "民办营利": "private_for_profit",
    "城市": "urban", "农村": "rural", "新建居住区": "new", "老城区": "old", "已建成居住区": "old",
    "自建": "self_built", "购买": "purchased", "租赁": "rented", "公建民营": "public_built_private_run",
    "街道": "street", "镇": "town", "乡": "township", "其他": "other",
    **{zh: key for key, zh in FACILITY_TYPE_ZH.items()}, "具备综合功能的养老机构": "comprehensive_institution",
    "嵌入式养老院": "comprehensive_institution", "社区养老服务设施": "community_care", "颐养之家": "rural_mutual_aid",
    "社区托育": "community_childcare", "综合性托育服务指导中心": "city_guidance_centre",
}
TRUE_WORDS = {"true", "1", "yes", "y", "是", "√", "普惠"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "×", ""}


@dataclass(frozen=True)
class InputProblem:
    table: str
    row: int | None  # spreadsheet row (header is row 1) or None for the whole table
    column: str
    reason_zh: str
    reason_en: str

    def __str__(self) -> str:
        where = f"{self.table} 第{self.row}行 " if self.row else f"{self.table} "
        return f"{where}{self.column}：{self.reason_zh} / {self.reason_en}"

    def as_dict(self) -> dict:
        return {"table": self.table, "row": self.row, "field": self.column,
                "reason_zh": self.reason_zh, "reason_en": self.reason_en}


class PlanningInputError(ValueError):
    def __init__(self, problems: Iterable[InputProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _convert(column: Column, value: Any) -> Any:
    """Convert one cell or raise ValueError(zh, en)."""
    if column.kind == "text":
        text = str(value).strip()
        return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text
    if column.kind in ("integer", "year"):
        number = float(str(value).replace(",", "")) if not isinstance(value, (int, float)) else float(value)
        if not number.is_integer():
            raise ValueError("应为整数", "must be a whole number")
        if number < 0:
            raise ValueError("不能为负数", "must not be negative")
        if column.kind == "year" and not 2000 <= number <= 2100:
            raise ValueError("应为2000-2100之间的年份", "must be a year between 2000 and 2100")
        return int(number)
    if column.kind == "coordinate":
        number = float(str(value).replace(",", "").strip())
        if not math.isfinite(number):
            raise ValueError("应为数字", "must be a number")
        return number
    if column.kind in ("number", "share"):
        text = str(value).replace(",", "").strip()
        share = column.kind == "share" and text.endswith("%")
        number = float(text.rstrip("%")) / (100 if share else 1)
        if not math.isfinite(number) or number < 0:
            raise ValueError("应为非负数", "must be a non-negative number")
        if column.kind == "share" and number > 1:
            raise ValueError("占比应在0到1之间（或0%-100%）", "a share must be between 0 and 1 (or 0%-100%)")
        return number
    if column.kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ValueError("应为是/否", "must be yes or no")
    if column.kind == "choice":
        text = str(value).strip()
        text = CHOICE_WORDS.get(text, text)
        if text not in column.choices:
            raise ValueError(f"应为以下之一：{'、'.join(column.choices)}", f"must be one of {', '.join(column.choices)}")
        return text
    raise AssertionError(column.kind)


def _header_map(columns: tuple[Column, ...], headers: Iterable[Any]) -> dict[Any, Column]:
    lookup = {}
    for column in columns:
        for label in (column.name, column.zh, *column.aliases):
            lookup[normalise_label(label)] = column
    return {h: lookup[normalise_label(h)] for h in headers if normalise_label(h) in lookup}


def typed_frame(raw: pd.DataFrame, columns: tuple[Column, ...], table: str, unique: bool = True) -> pd.DataFrame:
    """Rename known headers, convert every cell, fill defaults; collect every problem before raising."""
    mapping = _header_map(columns, raw.columns)
    problems: list[InputProblem] = []
    seen = set()
    for column in mapping.values():
        if column.name in seen:
            problems.append(InputProblem(table, None, column.zh, "列重复", "the column appears twice"))
        seen.add(column.name)
    for column in columns:
        if column.required and column.name not in seen:
            problems.append(InputProblem(table, None, f"{column.zh}（{column.name}）", "缺少必填列", "required column missing"))
    if problems:
        raise PlanningInputError(problems)
    frame = raw.rename(columns={h: c.name for h, c in mapping.items()})[[c.name for c in mapping.values()]]
    out = {}
    for column in columns:
        values = []
        source = frame[column.name] if column.name in frame else pd.Series([None] * len(frame), index=frame.index)
        for position, value in enumerate(source.tolist()):
            if is_blank(value):
                if column.required and not column.may_be_blank:
                    problems.append(InputProblem(table, position + 2, column.zh, "不能为空", "must not be blank"))
                values.append(column.default)
                continue
            try:
                values.append(_convert(column, value))
            except ValueError as error:
                zh, en = error.args if len(error.args) == 2 else ("无法识别", str(error))
                problems.append(InputProblem(table, position + 2, column.zh, f"“{value}”{zh}", f"'{value}' {en}"))
                values.append(None)
        out[column.name] = values
    if problems:
        raise PlanningInputError(problems)
    result = pd.DataFrame(out)
    if not unique:
        return result
    key = columns[0].name
    duplicated = result[key][result[key].duplicated()].tolist()
    if duplicated:
        raise PlanningInputError([InputProblem(table, None, columns[0].zh, f"重复：{'、'.join(map(str, duplicated[:5]))}",
                                               f"duplicated: {', '.join(map(str, duplicated[:5]))}")])
    return result


def districts_frame(raw: pd.DataFrame) -> pd.DataFrame:
    frame = typed_frame(raw, DISTRICT_COLUMNS, "区划表 districts")
    problems = []
    for column, zh, total, what_zh, what_en in (
            ("nursing_beds", "现有护理型床位", "elderly_beds", "多于现有养老床位", "more than the existing beds"),
            ("inclusive_slots", "现有普惠托位", "childcare_slots", "多于现有托位", "more than the existing places")):
        for position in np.flatnonzero((frame[column] > frame[total]).to_numpy()):
            problems.append(InputProblem("区划表 districts", int(position) + 2, zh, what_zh, what_en))
    for column, zh, total in (("communities_elderly_covered", "已有养老服务设施的社区数", "communities"),
                              ("communities_childcare_covered", "已有托育服务的社区数", "communities"),
                              ("villages_mutual_aid_covered", "已有互助养老设施的行政村数", "villages"),
                              ("private_operated_beds", "现有社会力量运营床位", "elderly_beds")):
        for position in np.flatnonzero((frame[column] > frame[total]).to_numpy()):
            problems.append(InputProblem("区划表 districts", int(position) + 2, zh, f"多于{total}列的数",
                                         f"more than the {total} column"))
    if problems:
        raise PlanningInputError(problems)
    frame["name"] = frame["name"].fillna(frame["division_code"])
    code = frame["division_code"].astype(str)
    frame["county_code"] = frame["county_code"].fillna(code.where(code.str.len() != 9, code.str[:6]))
    kind = [township_kind(name) if len(c) == 9 else None for name, c in zip(frame["name"].astype(str), code)]
    frame["township_kind"] = frame["township_kind"].fillna(pd.Series(kind, index=frame.index, dtype=object))
    frame["streets"] = (frame["township_kind"] == "street").astype(int)
    frame["streets_covered"] = (frame["streets_covered"].astype(bool) & (frame["streets"] == 1)).astype(int)
    return frame.set_index("division_code", drop=False)


def projects_frame(raw: pd.DataFrame, districts: pd.DataFrame, *, first_year: int,
                   default_nursing_share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Candidates ready to plan, and the rows left out with the reason (e.g. capacity not stated)."""
    frame = typed_frame(raw, PROJECT_COLUMNS, "项目表 projects") if len(raw) else pd.DataFrame(
        columns=[c.name for c in PROJECT_COLUMNS])
    problems = []
    # a project may name a row of the districts table or, in a township-level table, the county of rows
    known = set(districts.index) | (set(districts["county_code"]) if len(districts) else set())
    unknown = sorted(set(frame["division_code"].dropna()) - known)
    for code in unknown:  # never dropped silently: the plan would spend nothing there
        rows = [position + 2 for position in np.flatnonzero((frame["division_code"] == code).to_numpy())]
        shown = "、".join(map(str, rows[:20])) + ("…" if len(rows) > 20 else "")
        problems.append(InputProblem("项目表 projects", rows[0] if len(rows) == 1 else None, "区划代码",
                                     f"“{code}”不在区划表中（第{shown}行）",
                                     f"'{code}' is not in the districts table (rows {', '.join(map(str, rows[:20]))})"))
    if problems:
        raise PlanningInputError(problems)
    cost = frame["cost"].astype("Float64")
    cost = cost.fillna(frame["investment_10k_cny"].astype("Float64") * 10_000)
    frame["cost"] = cost.round().astype("Int64")
    frame["capacity_max"] = frame["capacity_max"].fillna(frame["capacity"])
    frame["earliest_year"] = frame["earliest_year"].fillna(first_year).clip(lower=first_year).astype(int)
    elderly = frame["kind"] == "elderly"
    frame["nursing_share"] = frame["nursing_share"].where(~elderly, frame["nursing_share"].fillna(default_nursing_share))
    frame["nursing_share"] = frame["nursing_share"].where(elderly, 0.0).astype(float)
    # Public childcare is inclusive (普惠) unless the file says otherwise; private places only when stated.
    inclusive = frame["inclusive"].astype("boolean").fillna(frame["ownership"] == "public")
    frame["inclusive"] = inclusive.where(~elderly, False).astype(bool)
    district_area = frame["division_code"].map(districts["area"]) if len(districts) else None
    frame["area"] = frame["area"].fillna(district_area).fillna("urban")
    from_category = frame["project_type"].map(FACILITY_OF_PROJECT_TYPE).where(elderly)
    frame["facility_type"] = frame["facility_type"].fillna(from_category).fillna(pd.Series(
        np.where(elderly, "institution", "childcare_institution"), index=frame.index))
    wrong = elderly.to_numpy() != frame["facility_type"].isin(ELDERLY_TYPES).to_numpy()
    if wrong.any():
        raise PlanningInputError([InputProblem("项目表 projects", int(position) + 2, "设施类型", "与项目类别不符",
                                               "does not match the project kind") for position in np.flatnonzero(wrong)])
    frame["sites"] = frame["sites"].fillna(1).astype(int)
    frame["covers"] = frame["covers"].fillna(frame["sites"]).astype(int)
    frame["floor_area"] = frame["floor_area"].fillna(0.0).astype(float)
    private = frame["ownership"].isin(("private", "private_non_profit", "private_for_profit"))
    private |= frame["premises"] == "public_built_private_run"
    frame["social_operated"] = frame["social_operated"].astype("boolean").fillna(private).astype(bool) & elderly
    capacity, maximum = frame["capacity"].astype("Float64"), frame["capacity_max"].astype("Float64")
    no_capacity = (capacity.isna() | (capacity == 0)).fillna(True).to_numpy(dtype=bool)
    no_cost = frame["cost"].isna().to_numpy() & ~no_capacity
    too_small = ((maximum < capacity).fillna(False).to_numpy(dtype=bool)) & ~no_capacity & ~no_cost
    if too_small.any():
        raise PlanningInputError([InputProblem("项目表 projects", int(position) + 2, "床位（托位）数上限",
                                               "小于新增数", "smaller than the capacity")
                                  for position in np.flatnonzero(too_small)])
    drop = no_capacity | no_cost
    excluded = frame.loc[drop, ["code", "name", "kind", "division_code"]].assign(
        reason_zh=np.where(no_capacity[drop], "未写明新增床位（托位）数", "未写明总投资"),
        reason_en=np.where(no_capacity[drop], "capacity not stated", "cost not stated"))
    frame = frame.loc[~drop]
    frame["capacity"] = frame["capacity"].astype(int)
    frame["capacity_max"] = frame["capacity_max"].astype(int)
    frame["cost"] = frame["cost"].astype("int64")
    return frame.reset_index(drop=True), excluded.reset_index(drop=True)


def distances_frame(raw: pd.DataFrame, districts: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """Project-to-district distances; every code must name a row of the other two tables."""
    frame = typed_frame(raw, DISTANCE_COLUMNS, "距离表 distances", unique=False)
    problems = [InputProblem("距离表 distances", None, "项目编号", f"“{code}”不在项目表中",
                             f"'{code}' is not in the projects table")
                for code in sorted(set(frame["code"]) - set(projects["code"]))]
    problems += [InputProblem("距离表 distances", None, "区划代码", f"“{code}”不在区划表中",
                              f"'{code}' is not in the districts table")
                 for code in sorted(set(frame["division_code"]) - set(districts.index))]
    if problems:
        raise PlanningInputError(problems)
    return frame


def read_table(path: str | Path) -> pd.DataFrame:
    """The first sheet of a workbook (or a CSV) whose header row names our columns."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    sheets = read_sheets(path)
    known = {normalise_label(label) for column in (*DISTRICT_COLUMNS, *PROJECT_COLUMNS, *DISTANCE_COLUMNS)
             for label in (column.name, column.zh, *column.aliases)}
    for rows in (load() for load in sheets.values()):
        for index, row in enumerate(rows[:20]):
            if sum(normalise_label(cell) in known for cell in row if cell is not None) >= 2:
                header = [str(cell) if cell is not None else f"_{i}" for i, cell in enumerate(row)]
                body = [list(r) + [None] * (len(header) - len(r)) for r in rows[index + 1:]]
                body = [r[:len(header)] for r in body if any(not is_blank(c) for c in r)]
                return pd.DataFrame(body, columns=header)
    raise PlanningInputError([InputProblem(path.name, None, "表头", "找不到含区划或项目列名的表头行",
                                           "no header row with district or project columns found")])


# ------------------------------------------------------------------------------------------- templates

KIND_ZH = {"text": "文字", "integer": "整数", "number": "数字", "coordinate": "数字（公里）", "boolean": "是/否",
           "share": "占比（如60%）", "year": "年份", "choice": "从可选值中选"}
CHOICE_ZH = {value: word for word, value in reversed(list(CHOICE_WORDS.items()))}
EXAMPLES = {
    "districts": {"division_code": "360402001", "name": "十里街道", "county_code": "360402", "township_kind": "街道",
                  "population": 35000, "aged_60_plus": 5000, "under_3": 1000, "communities": 6, "villages": 0,
                  "communities_elderly_covered": 5, "communities_childcare_covered": 2, "streets_covered": "是",
                  "elderly_beds": 160, "nursing_beds": 90, "childcare_slots": 120, "inclusive_slots": 12,
                  "households": 11000, "residential_area": "老城区", "elderly_floor_space": 1200,
                  "estimated": "否"},
    "projects": {"code": "XM-001", "name": "十里街道社区居家养老服务中心", "division_code": "360402001", "kind": "养老",
                 "facility_type": "城镇社区居家养老服务设施", "construction": "新建", "capacity": 30,
                 "ownership": "公办", "investment_10k_cny": 300, "earliest_year": 2024, "sites": 1, "covers": 2,
                 "floor_area": 800},
}
NOTES = {
    "division_code": "县（市、区）6位或乡镇（街道）9位统计用区划代码", "county_code": "乡镇行所属县的6位代码；不填则取代码前6位",
    "communities": "城市社区个数", "villages": "行政村个数", "estimated": "现状数字为估算时填“是”，方案中会标明“估算”",
    "facility_type": "决定计入哪项覆盖或设施数指标", "sites": "一个项目含多处设施时的个数（如127家颐养之家）",
    "covers": "能覆盖的社区或行政村个数，默认等于设施个数", "division_code_projects": "可填本表的乡镇代码，或只填县代码",
}


def write_planning_template(target, table: str) -> None:
    """A planning table's template: Chinese headers (required ones in red), one example row, and 填写说明."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    columns = {"districts": DISTRICT_COLUMNS, "projects": PROJECT_COLUMNS}[table]
    columns = tuple(c for c in columns if c.name not in ("estimate_note",))
    book = Workbook()
    sheet = book.active
    sheet.title = {"districts": "规划单位", "projects": "候选项目"}[table]
    example = EXAMPLES[table]
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.zh)
        cell.font, cell.fill = Font(bold=True, color="C00000" if column.required else "000000"), fill
        value = example.get(column.name)
        sheet.cell(row=2, column=index, value=value)
        sheet.column_dimensions[cell.column_letter].width = max(10, 2.2 * len(column.zh) + 2)
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "类型", "可选值", "说明"])
    for cell in notes[1]:
        cell.font, cell.fill = Font(bold=True), fill
    for column in columns:
        note = NOTES.get(f"{column.name}_{table}", NOTES.get(column.name, ""))
        choices = "、".join(CHOICE_ZH.get(c, c) for c in column.choices)
        notes.append([column.zh, "是" if column.required else "否", KIND_ZH[column.kind], choices, note])
    notes.append([])
    notes.append(["第2行为示例，请替换或删除；表头须保留。"])
    for letter, width in zip("ABCDE", (30, 10, 16, 50, 60)):
        notes.column_dimensions[letter].width = width
    book.save(target)
