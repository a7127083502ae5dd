"""Budget projections in and out: caseload and pipeline workbooks, the Excel report with charts, the JSON."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd
from care_services.spreadsheet import ColumnSpec, find_header, frame_records, is_blank, read_sheets, write_frame
from care_services.workbook import ReportBook, ReportSheet
from subsidy_rules.budget import LEVEL_ORDER, LEVEL_ZH, Projection, compare
from subsidy_rules import schemes as _schemes  # noqa: F401  (registers the schemes)
from subsidy_rules.engine import REGISTRY, get_scheme

PERIOD_COLUMNS = (
    ColumnSpec("jurisdiction", "行政区划代码", "text", True, aliases=("区划代码", "县（市、区）代码")),
    ColumnSpec("start", "起始月份", "text", False, aliases=("开始月份", "发放起始月份")),
    ColumnSpec("end", "结束月份", "text", False, aliases=("终止月份", "发放结束月份")),
    ColumnSpec("count", "人数", "integer", False, aliases=("数量", "床位数")),
)
PIPELINE_COLUMNS = (
    ColumnSpec("code", "项目编号", "text", True, aliases=("编号",)),
    ColumnSpec("kind", "项目类别", "text", True, aliases=("类别",)),
    ColumnSpec("division_code", "区划代码", "text", True, aliases=("县（市、区）代码",)),
    ColumnSpec("completion", "建成月份", "text", True, aliases=("完成时间", "end")),
    ColumnSpec("capacity", "新增床位（托位）", "integer", True, aliases=("新增床位", "新增托位", "capacity_added")),
)
PIPELINE_SCHEMES = ("elderly_institution_construction", "childcare_construction", "elderly_institution_operation",
                    "childcare_operation")
KIND_WORDS = {"养老": "elderly", "托育": "childcare"}
BOOLEAN_WORDS = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False}

YUAN = '#,##0.00"元"'
WAN = '#,##0.00"万元"'


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
    for scheme in REGISTRY.values():
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
            if all(is_blank(v) for v in values.values()):
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
        names = "、".join(f"{s.id}（{s.title_zh}）" for s in REGISTRY.values() if s.unit == "CNY/month")
        raise BudgetInputError(f"没有以按月补贴项目命名的工作表：{names} / no sheet named after a monthly scheme")


def read_pipeline(path: str | Path) -> pd.DataFrame:
    """Projects: code, kind, division_code, completion month, capacity, and any facts of the pipeline schemes."""
    rows = next(iter(read_sheets(path).values()))()
    facts = {f.key: f for s in PIPELINE_SCHEMES for f in get_scheme(s).facts}
    spec = _Columns((*PIPELINE_COLUMNS, *facts.values()))
    header_index, header_map = find_header(spec, rows)
    missing = {c.key for c in PIPELINE_COLUMNS} - {c.key for c in header_map.values()}
    if missing:
        raise BudgetInputError(f"项目表缺少列：{', '.join(sorted(missing))} / the projects sheet lacks columns")
    records = []
    for number, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        values = {c.key: (row[i] if i < len(row) else None) for i, c in header_map.items()}
        if all(is_blank(v) for v in values.values()):
            continue
        values = {k: (None if is_blank(v) else v) for k, v in values.items()}
        values["kind"] = KIND_WORDS.get(str(values["kind"]).strip(), str(values["kind"]).strip())
        if values["kind"] not in ("elderly", "childcare"):
            raise BudgetInputError(f"第{number}行 项目类别应为养老或托育 / row {number}: kind must be elderly or childcare")
        values["completion"] = _month_text(values["completion"])
        for key, value in list(values.items()):
            if key in facts and facts[key].kind == "boolean" and isinstance(value, str):
                values[key] = BOOLEAN_WORDS.get(value.strip().lower(), value)
        records.append(values)
    return pd.DataFrame(records)


# ---------------------------------------------------------------------------------------------- output


def _level_table(projection: Projection) -> pd.DataFrame:
    table = projection.by("year", "level").pivot_table(index="year", columns="level", values="amount", fill_value=0.0)
    levels = [lv for lv in LEVEL_ORDER if lv in table.columns]
    table = table[levels] / 10_000
    table.columns = [f"{LEVEL_ZH[lv]}（万元）" for lv in levels]
    return table.reset_index().rename(columns={"year": "年份"})


def _line_chart(book: ReportBook, sheet: ReportSheet, title: str, series: int, rows: int, first_row: int = 0):
    chart = book.chart("line")
    for index in range(series):
        chart.add_series({"name": [sheet.name, first_row, index + 1],
                          "categories": [sheet.name, first_row + 1, 0, first_row + rows, 0],
                          "values": [sheet.name, first_row + 1, index + 1, first_row + rows, index + 1],
                          "marker": {"type": "circle"}})
    chart.set_title({"name": title})
    chart.set_y_axis({"name": "万元"})
    chart.set_x_axis({"name": "年份"})
    return chart


def write_report(projections: list[Projection], target: str | Path | IO[bytes]) -> None:
    """Summary with a line per scenario, one sheet per breakdown, a stacked bar by funding level per scenario."""
    years = sorted({int(y) for p in projections for y in p.long()["year"].unique()}) or \
        list(range(projections[0].horizon.first // 12, projections[0].horizon.last // 12 + 1))
    table = pd.DataFrame({"年份": years})
    for p in projections:
        totals = p.by("year").set_index("year")["amount"]
        table[f"{p.scenario}（万元）"] = [float(totals.get(y, 0.0)) / 10_000 for y in years]
    base = projections[0].scenario
    for p in projections[1:]:
        table[f"{p.scenario} − {base}（万元）"] = table[f"{p.scenario}（万元）"] - table[f"{base}（万元）"]
    with ReportBook(target) as book:
        summary = book.sheet("概要 Summary")
        write_frame(summary, table, formats={c: WAN for c in table.columns if c != "年份"})
        summary.print_setup()
        charts = [("各方案年度支出图", _line_chart(book, summary, "各方案年度支出（万元）", len(projections), len(years)))]
        for p in projections:
            sheet = book.sheet(f"资金层级 {p.scenario}")
            levels = _level_table(p)
            write_frame(sheet, levels, formats={c: WAN for c in levels.columns if c != "年份"})
            sheet.print_setup()
            bar = book.chart("column", "stacked")
            for index in range(1, levels.shape[1]):
                bar.add_series({"name": [sheet.name, 0, index], "categories": [sheet.name, 1, 0, len(levels), 0],
                                "values": [sheet.name, 1, index, len(levels), index]})
            bar.set_title({"name": f"{p.scenario}：按资金层级（万元）"})
            bar.set_y_axis({"name": "万元"})
            charts.append((f"资金层级图 {p.scenario}", bar))

        frames = {"按补贴项目 By scheme": ("scheme", "year"), "按县 By county": ("county", "year"),
                  "按项目县层级 Detail": ("scheme", "year", "county", "level")}
        for title, keys in frames.items():
            sheet = book.sheet(title)
            parts = [p.by(*keys).assign(scenario=p.scenario) for p in projections]
            frame = pd.concat(parts, ignore_index=True)[["scenario", *keys, "amount"]]
            if "level" in frame:
                frame["level"] = frame["level"].map(LEVEL_ZH).fillna(frame["level"])
            write_frame(sheet, frame.rename(columns={"amount": "金额（元）"}), formats={"金额（元）": YUAN})
            sheet.print_setup()
        sheet = book.sheet("按月 Monthly")
        monthly = pd.concat([p.by("month", "scheme", "level").assign(scenario=p.scenario) for p in projections])
        write_frame(sheet, monthly[["scenario", "month", "scheme", "level", "amount"]].rename(
            columns={"amount": "金额（元）"}), formats={"金额（元）": YUAN})
        sheet.print_setup()
        if len(projections) > 1:
            sheet = book.sheet("方案对比 Scenarios")
            comparison = compare(projections, by=("scheme", "year"))
            write_frame(sheet, comparison, formats={c: YUAN for c in comparison.columns if c not in ("scheme", "year")})
            sheet.print_setup()
        sheet = book.sheet("待定 Undetermined")
        undetermined = pd.concat([p.undetermined().assign(scenario=p.scenario) for p in projections], ignore_index=True)
        write_frame(sheet, undetermined.rename(columns={"months": "无法测算的月数（缺少事实）"}))
        sheet.print_setup()
        for title, chart in charts:
            book.chart_sheet(title, chart)


def report_json(projections: list[Projection]) -> dict:
    """The report's figures for the web app."""
    out = {"horizon": {"first": projections[0].horizon.labels()[0], "last": projections[0].horizon.labels()[-1]},
           "scenarios": []}
    for p in projections:
        out["scenarios"].append({
            "name": p.scenario, "total": p.total(),
            "by_year": frame_records(p.by("year")), "by_year_level": frame_records(p.by("year", "level")),
            "by_scheme_year": frame_records(p.by("scheme", "year")), "by_county_year": frame_records(p.by("county", "year")),
            "undetermined": frame_records(p.undetermined()),
        })
    if len(projections) > 1:
        out["comparison"] = frame_records(compare(projections, by=("scheme", "year")))
    return out
