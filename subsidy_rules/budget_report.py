"""Budget projections in and out: caseload and pipeline workbooks, the Excel report with charts, the JSON."""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator
from importlib import resources
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd
from care_services.spreadsheet import ColumnSpec, find_header, frame_records, is_blank, is_example, read_sheets
from care_services.workbook import Column, ReportBook, ReportSheet, round_fen
from subsidy_rules.budget import PIPELINE_SCHEMES, Projection, compare, payer_labels, payer_order
from subsidy_rules import schemes as _schemes  # noqa: F401  (registers the schemes)
from subsidy_rules.engine import REGISTRY, all_schemes, get_scheme
from subsidy_rules.scenario import write_scenario_sheet

PERIOD_COLUMNS = (
    ColumnSpec("jurisdiction", "行政区划代码", "text", True, aliases=("区划代码", "县（市、区）代码")),
    ColumnSpec("start", "起始月份", "text", False, aliases=("开始月份", "发放起始月份")),
    ColumnSpec("end", "结束月份", "text", False, aliases=("终止月份", "发放结束月份")),
    ColumnSpec("count", "人数", "integer", False, aliases=("数量", "床位数")),
)
PIPELINE_COLUMNS = (
    ColumnSpec("code", "项目编号", "text", True, aliases=("编号",)),
    ColumnSpec("kind", "项目类别", "text", True, aliases=("类别",)),
    ColumnSpec("division_code", "区划代码", "text", True, aliases=("县（市、区）代码", "行政区划代码")),
    ColumnSpec("completion", "建成月份", "text", True, aliases=("完成时间", "end")),
    ColumnSpec("capacity", "新增床位（托位）", "integer", True,
               aliases=("新增床位", "新增托位", "capacity_added", "新增或建设床位（托位数）", "床位（托位）数")),
)
KIND_WORDS = {"养老": "elderly", "托育": "childcare"}
BOOLEAN_WORDS = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False}



class BudgetInputError(ValueError):
    pass


@dataclass(frozen=True)
class _Columns:
    columns: tuple[ColumnSpec, ...]


def _month_text(value) -> str | None:
    """Excel dates, '2024-03', '2024-03-15', '2024年3月', 2024 (a year: its December) → 'YYYY-MM'."""
    if is_blank(value):
        return None
    if hasattr(value, "year") and hasattr(value, "month"):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value).strip().replace("年", "-").replace("月", "").replace("/", "-")
    parts = [p for p in text.split("-") if p]
    if len(parts) == 1 and parts[0].isdigit() and len(parts[0]) == 4:
        return f"{parts[0]}-12"  # a year alone: done by its end
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
        return f"{int(parts[0]):04d}-{int(parts[1]):02d}"
    raise BudgetInputError(f"月份无法识别：{value!r}（应为YYYY-MM） / not a month: {value!r} (YYYY-MM)")


def _sheet_scheme(name: str) -> str | None:
    for scheme in all_schemes():
        if name.strip() in (scheme.id, scheme.title_zh):
            return scheme.id
    return None


def read_caseload(path: str | Path, chunk_rows: int = 50_000) -> Iterator[pd.DataFrame]:
    """One sheet per monthly scheme (named by its id or Chinese title), facts as columns: chunks of cases."""
    sheets = read_sheets(path)
    found = False
    for name, load in sheets.items():
        scheme_id = _sheet_scheme(name)
        if scheme_id is None:
            continue
        found = True
        scheme = get_scheme(scheme_id)
        rows = load()
        spec = _Columns((*scheme.facts, *PERIOD_COLUMNS))
        header_index, header_map = find_header(spec, rows)
        if not any(c.key == "jurisdiction" for c in header_map.values()):
            raise BudgetInputError(f"工作表“{name}”缺少行政区划代码列 / sheet {name!r} has no jurisdiction column")
        records = []
        for row in rows[header_index + 1:]:
            values = {c.key: (row[i] if i < len(row) else None) for i, c in header_map.items()}
            if all(is_blank(v) for v in values.values()) or is_example(row):
                continue
            values = {k: (None if is_blank(v) else v) for k, v in values.items()}
            values["start"], values["end"] = _month_text(values.get("start")), _month_text(values.get("end"))
            values["jurisdiction"] = str(values["jurisdiction"]).strip()
            records.append(values)
            if len(records) >= chunk_rows:
                yield pd.DataFrame(records).assign(scheme=scheme_id)
                records = []
        if records:
            yield pd.DataFrame(records).assign(scheme=scheme_id)
    if not found:
        names = "、".join(f"{s.id}（{s.title_zh}）" for s in all_schemes())
        raise BudgetInputError(f"没有以补贴项目命名的工作表：{names} / no sheet named after a scheme")


def read_pipeline(path: str | Path) -> pd.DataFrame:
    """Projects: code, kind, division_code, completion month, capacity, and any facts of the pipeline schemes."""
    rows = next(iter(read_sheets(path).values()))()
    facts = {f.key: f for pair in PIPELINE_SCHEMES.values() for s in pair for f in get_scheme(s).facts}
    spec = _Columns((*PIPELINE_COLUMNS, *facts.values()))
    header_index, header_map = find_header(spec, rows)
    missing = {c.key for c in PIPELINE_COLUMNS} - {c.key for c in header_map.values()}
    if missing:
        names = "、".join(c.zh for c in PIPELINE_COLUMNS if c.key in missing)
        raise BudgetInputError(f"项目表缺少列：{names} / the projects sheet lacks columns: {', '.join(sorted(missing))}")
    records, set_aside = [], []
    for number, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        values = {c.key: (row[i] if i < len(row) else None) for i, c in header_map.items()}
        if all(is_blank(v) for v in values.values()) or is_example(row):
            continue
        values = {k: (None if is_blank(v) else v) for k, v in values.items()}
        values["kind"] = KIND_WORDS.get(str(values["kind"]).strip(), str(values["kind"]).strip())
        if values["kind"] not in ("elderly", "childcare"):
            raise BudgetInputError(f"第{number}行 项目类别应为养老或托育 / row {number}: kind must be elderly or childcare")
        values["completion"] = _month_text(values["completion"])
        blank = [c.zh for c in PIPELINE_COLUMNS if c.key in ("division_code", "completion", "capacity")
                 and values.get(c.key) is None]
        if blank:  # the list leaves it open (e.g. a 管委会 zone, a capacity not stated): counted, not guessed
            set_aside.append({"row": number, "code": values.get("code"), "missing": blank})
            continue
        for key, value in list(values.items()):
            if key in facts and facts[key].kind == "boolean" and isinstance(value, str):
                values[key] = BOOLEAN_WORDS.get(value.strip().lower(), value)
        records.append(values)
    frame = pd.DataFrame(records)
    frame.attrs["set_aside"] = set_aside
    return frame


def write_caseload_template(target: str | Path | IO[bytes]) -> None:
    """The caseload workbook `carecalc budget --caseload` reads: a sheet per monthly scheme (named by its Chinese
    title), its facts plus 行政区划代码 / 起始月份 / 结束月份 / 人数, one example row each, and instructions."""
    from care_services.spreadsheet import write_example_row
    from subsidy_rules.batch import examples, shown_fact

    all_schemes()  # registered, in the documents' clause order
    monthly = [s for s in REGISTRY.values() if s.unit == "CNY/month"]
    with ReportBook(target) as book:
        for scheme in monthly:
            columns = [*PERIOD_COLUMNS, *scheme.facts]
            sheet = book.sheet(scheme.title_zh)
            sheet.header([Column(c.zh, required=c.required) for c in columns])
            example = examples().get(scheme.id, {})
            values = {**example.get("facts", {}), "jurisdiction": example.get("jurisdiction"),
                      "start": "2024-01", "end": "2027-12", "count": 1}
            write_example_row(sheet, [shown_fact(c, values.get(c.key)) for c in columns], [])
            sheet.column_format(0, {"num_format": "@"})
            sheet.ws.freeze_panes(1, 1)
            sheet.print_setup()
        notes = book.sheet("填写说明")
        notes.line("预算测算在册对象表填写说明", 1, bold=True)
        for text in ("每个按月发放的补贴项目一张工作表，表名为补贴项目名称；每行一个（或“人数”列所填的若干个）在册对象。",
                     "“起始月份”“结束月份”写作2024-01；空白表示测算期开始或结束。“行政区划代码”为县（市、区）代码。",
                     "事实列空白表示未知：该对象的金额计入“待定”表，不计入合计。第2行为示例，测算时跳过，可删除。"):
            notes.line(text, 1)
        notes.print_setup()


# ---------------------------------------------------------------------------------------------- output
# The report as a county 财政局 prints, signs and files it: Chinese only (scheme titles, fund names, county names
# beside codes), 单位：万元 to two decimals, 小计 and 合计 rows summed from the rounded lines, A4 landscape one page
# wide with the header on every page, each chart on a sheet of its own, 制表单位 / 制表时间 / 审核人 lines.

BASELINE_ZH = "基准方案"


def scenario_zh(name: str) -> str:
    return BASELINE_ZH if name == "baseline" else name


@functools.cache
def county_names() -> dict[str, str]:
    """Division code → name, from the shipped divisions (GB/T 2260)."""
    with resources.files("sample_data").joinpath("divisions.csv").open(encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def county_zh(code: str) -> str:
    return county_names().get(str(code), "（未知区划）")


def level_zh(payer: str) -> str:
    """A payer's Chinese name as its scheme declares it (省级, 统筹整合资金, a fund…)."""
    return payer_labels().get(payer, payer)


def scheme_zh(scheme_id: str) -> str:
    titles = {s.id: s.title_zh for s in all_schemes()}
    return titles.get(scheme_id, scheme_id)


def _years(projections: list[Projection]) -> list[int]:
    horizon = projections[0].horizon
    return list(range(horizon.first // 12, horizon.last // 12 + 1))


def _wan(frame: pd.DataFrame, keys: list[str], years: list[int]) -> pd.DataFrame:
    """Amounts in 万元 by ``keys`` with a column per year (0 where nothing is spent)."""
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *years])
    table = frame.pivot_table(index=keys, columns="year", values="amount", aggfunc="sum", fill_value=0.0) / 10_000
    return table.reindex(columns=years, fill_value=0.0).reset_index()


def _year_columns(years: list[int]) -> list[Column]:
    return [*[Column(f"{y}年", "wan", total=True) for y in years], Column("合计", "wan", total=True)]


def _with_total(values: list[float]) -> list[float]:
    rounded = [round_fen(float(v)) for v in values]
    return [*rounded, round_fen(sum(rounded))]  # the row's 合计 is the sum of its rounded years


def _heading(sheet: ReportSheet, title: str, width: int, projections: list[Projection]) -> None:
    labels = projections[0].horizon.labels()
    sheet.title_line(title, width)
    sheet.line(f"测算期：{labels[0]}至{labels[-1]}；方案：{'、'.join(scenario_zh(p.scenario) for p in projections)}", width)
    for p in projections:  # a scenario below a 不低于 floor is said so on every table it appears in
        for flag in (p.marks or {}).get("below_floor", []):
            sheet.line(f"方案“{scenario_zh(p.scenario)}”{flag['text_zh']}（仅作测算比较）", width, bold=True)
    sheet.line("单位：万元", width, align="right")


def write_report(projections: list[Projection], target: str | Path | IO[bytes], *, unit: str | None = None) -> None:
    """概要, 按资金层级 per scenario, 按补贴项目, 按县区 (county × year by funding level), 明细, 按月, 方案对比,
    待定, and each chart on its own sheet."""
    years = _years(projections)
    with ReportBook(target) as book:
        _summary(book, projections, years, unit)
        level_sheets = [_levels_sheet(book, p, projections, years, unit) for p in projections]
        _schemes_sheet(book, projections, years, unit)
        _counties_sheet(book, projections, years, unit)
        _detail_sheet(book, projections, unit)
        _monthly_sheet(book, projections, unit)
        if len(projections) > 1:
            _comparison_sheet(book, projections, years, unit)
        _undetermined_sheet(book, projections, unit)
        for p in projections:  # each scenario's changed values beside the document's, with the quoted phrase
            if p.marks is not None:
                write_scenario_sheet(book, p.marks, f"方案说明-{scenario_zh(p.scenario)}", unit)
        _charts(book, projections, years, level_sheets)


def _summary(book: ReportBook, projections: list[Projection], years: list[int], unit: str | None) -> None:
    base = projections[0]
    columns = [Column("年份", width=10), *[Column(scenario_zh(p.scenario), "wan", total=True) for p in projections],
               *[Column(f"{scenario_zh(p.scenario)}较{scenario_zh(base.scenario)}增减", "wan", total=True)
                 for p in projections[1:]]]
    sheet = book.sheet("概要")
    _heading(sheet, "一老一小补贴资金测算汇总表", len(columns), projections)
    by_year = [p.by("year").set_index("year")["amount"] for p in projections]
    rows = []
    for year in years:
        values = [round_fen(float(t.get(year, 0.0)) / 10_000) for t in by_year]
        rows.append([f"{year}年", *values, *[round_fen(v - values[0]) for v in values[1:]]])
    sheet.table(columns, rows, total_label="合计")
    sheet.signature(unit, width=len(columns))
    sheet.print_setup()


def _levels_sheet(book, p: Projection, projections, years, unit) -> str:
    present = set(p.long()["level"])
    levels = [lv for lv in payer_order() if lv in present] or ["province", "city", "county"]
    labels = payer_labels()
    columns = [Column("年份", width=10), *[Column(labels[lv], "wan", total=True) for lv in levels],
               Column("合计", "wan", total=True)]
    sheet = book.sheet(f"资金层级-{scenario_zh(p.scenario)}")
    _heading(sheet, f"{scenario_zh(p.scenario)}：分资金层级年度支出表", len(columns), projections)
    table = p.by("year", "level").pivot_table(index="year", columns="level", values="amount", fill_value=0.0)
    table = table.reindex(index=years, columns=levels, fill_value=0.0) / 10_000
    sheet.table(columns, ([f"{y}年", *_with_total(table.loc[y].tolist())] for y in years), total_label="合计")
    sheet.signature(unit, width=len(columns))
    sheet.print_setup()
    return sheet.name


def _schemes_sheet(book, projections, years, unit) -> None:
    columns = [Column("方案"), Column("补贴项目"), *_year_columns(years)]
    sheet = book.sheet("按补贴项目")
    _heading(sheet, "分补贴项目年度支出表", len(columns), projections)

    def groups():
        for p in projections:
            table = _wan(p.by("scheme", "year"), ["scheme"], years)
            rows = [[scenario_zh(p.scenario), scheme_zh(r["scheme"]), *_with_total([r[y] for y in years])]
                    for _, r in table.iterrows()]
            yield [scenario_zh(p.scenario), "小计"], rows

    sheet.grouped_table(columns, groups(), total_label=["合计"] if len(projections) == 1 else None, freeze=2)
    sheet.signature(unit, width=len(columns))
    sheet.print_setup()


def _counties_sheet(book, projections, years, unit) -> None:
    """County × year by funding level (省级/市级/县级; 统筹整合资金 and 财政兜底 for disability care)."""
    columns = [Column("方案"), Column("区划代码", "id"), Column("县（市、区）"), Column("资金层级"), *_year_columns(years)]
    sheet = book.sheet("按县区")
    _heading(sheet, "分县（市、区）分资金层级年度支出表", len(columns), projections)

    def groups():
        for p in projections:
            table = _wan(p.by("county", "level", "year"), ["county", "level"], years)
            for county, part in table.groupby("county", sort=True):
                part = part.assign(order=part["level"].map({lv: i for i, lv in enumerate(payer_order())})).sort_values("order")
                rows = [[scenario_zh(p.scenario), county, county_zh(county), level_zh(r["level"]),
                         *_with_total([r[y] for y in years])] for _, r in part.iterrows()]
                yield [scenario_zh(p.scenario), county, county_zh(county), "小计"], rows

    sheet.grouped_table(columns, groups(), total_label=["合计"] if len(projections) == 1 else None, freeze=3)
    sheet.signature(unit, width=len(columns))
    sheet.print_setup()


def _detail_sheet(book, projections, unit) -> None:
    columns = [Column("方案"), Column("补贴项目"), Column("年份", "integer"), Column("区划代码", "id"),
               Column("县（市、区）"), Column("资金层级"), Column("金额", "wan", total=True)]
    sheet = book.sheet("明细")
    _heading(sheet, "补贴资金测算明细表", len(columns), projections)
    rows = (
        [scenario_zh(p.scenario), scheme_zh(r.scheme), int(r.year), r.county, county_zh(r.county),
         level_zh(r.level), r.amount / 10_000]
        for p in projections for r in p.by("scheme", "year", "county", "level").itertuples(index=False)
    )
    sheet.table(columns, rows, total_label="合计" if len(projections) == 1 else None, autofilter=True)
    sheet.signature(unit, width=len(columns))
    sheet.print_setup()


def _monthly_sheet(book, projections, unit) -> None:
    columns = [Column("方案"), Column("月份"), Column("补贴项目"), Column("资金层级"), Column("金额", "wan", total=True)]
    sheet = book.sheet("按月")
    _heading(sheet, "分月支出表", len(columns), projections)
    rows = (
        [scenario_zh(p.scenario), r.month, scheme_zh(r.scheme), level_zh(r.level), r.amount / 10_000]
        for p in projections for r in p.by("month", "scheme", "level").itertuples(index=False)
    )
    sheet.table(columns, rows, total_label="合计" if len(projections) == 1 else None, autofilter=True)
    sheet.signature(unit, width=len(columns))
    sheet.print_setup()


def _comparison_sheet(book, projections, years, unit) -> None:
    names = [scenario_zh(p.scenario) for p in projections]
    columns = [Column("补贴项目"), Column("年份"), *[Column(n, "wan", total=True) for n in names],
               *[Column(f"{n}较{names[0]}增减", "wan", total=True) for n in names[1:]]]
    sheet = book.sheet("方案对比")
    _heading(sheet, "方案对比表", len(columns), projections)
    comparison = compare(projections, by=("scheme", "year"))
    rows = []
    for _, r in comparison.iterrows():
        values = [round_fen(r[p.scenario] / 10_000) for p in projections]
        rows.append([scheme_zh(r["scheme"]), f"{int(r['year'])}年", *values, *[round_fen(v - values[0]) for v in values[1:]]])
    sheet.table(columns, rows, total_label="合计", freeze=2)
    sheet.signature(unit, width=len(columns))
    sheet.print_setup()


def _undetermined_sheet(book, projections, unit) -> None:
    columns = [Column("方案"), Column("补贴项目"), Column("区划代码", "id"), Column("县（市、区）"),
               Column("无法测算的人月数（缺少事实）", "integer", total=True)]
    sheet = book.sheet("待定")
    sheet.title_line("缺少事实、金额待定的人月数", len(columns))
    sheet.line("以下对象因缺少事实无法测算金额，未计入上表；补齐事实后重新测算。", len(columns))
    rows = ([scenario_zh(p.scenario), scheme_zh(r.scheme), r.county, county_zh(r.county), int(r.months)]
            for p in projections for r in p.undetermined().itertuples(index=False))
    sheet.table(columns, rows, total_label="合计")
    sheet.signature(unit, width=len(columns))
    sheet.print_setup()


def _charts(book: ReportBook, projections: list[Projection], years: list[int], level_sheets: list[str]) -> None:
    """Each chart on a sheet of its own, drawn from the 概要 and 资金层级 tables (rows below their 3 heading lines)."""
    first, last = 4, 3 + len(years)  # the header row is row 4 (0-based 3), the years follow
    line = book.chart("line")
    for index, p in enumerate(projections, start=1):
        line.add_series({"name": scenario_zh(p.scenario), "categories": ["概要", first, 0, last, 0],
                         "values": ["概要", first, index, last, index], "marker": {"type": "circle"}})
    line.set_title({"name": "各方案年度支出（万元）"})
    line.set_y_axis({"name": "万元", "num_format": "#,##0"})
    line.set_x_axis({"name": "年份"})
    book.chart_sheet("年度支出图", line)
    for p, name in zip(projections, level_sheets):
        present = [lv for lv in payer_order() if lv in set(p.long()["level"])] or ["province", "city", "county"]
        bar = book.chart("column", "stacked")
        for index, level in enumerate(present, start=1):
            bar.add_series({"name": level_zh(level), "categories": [name, first, 0, last, 0],
                            "values": [name, first, index, last, index]})
        bar.set_title({"name": f"{scenario_zh(p.scenario)}：分资金层级年度支出（万元）"})
        bar.set_y_axis({"name": "万元", "num_format": "#,##0"})
        book.chart_sheet(f"资金层级图-{scenario_zh(p.scenario)}", bar)


def _fen(frame: pd.DataFrame) -> list[dict]:
    """Records with money rounded to the fen (a budget with growth gives fractions of a fen)."""
    money = [c for c in frame.columns if c == "amount" or frame[c].dtype.kind == "f" and c not in ("year", "months")]
    return frame_records(frame.assign(**{c: frame[c].round(2) for c in money}))


def report_json(projections: list[Projection]) -> dict:
    """The report's figures for the web app (money in 元, to the fen)."""
    out = {"horizon": {"first": projections[0].horizon.labels()[0], "last": projections[0].horizon.labels()[-1]},
           "scenarios": []}
    for p in projections:
        out["scenarios"].append({
            "name": p.scenario, "total": round(p.total(), 2),
            "by_year": _fen(p.by("year")), "by_year_level": _fen(p.by("year", "level")),
            "by_scheme_year": _fen(p.by("scheme", "year")), "by_county_year": _fen(p.by("county", "year")),
            "undetermined": frame_records(p.undetermined()),
            **({"changes": p.marks["changes"], "below_floor": p.marks["below_floor"]} if p.marks is not None else {}),
        })
    if len(projections) > 1:
        out["comparison"] = _fen(compare(projections, by=("scheme", "year")))
    return out
