"""Batch evaluation from and to workbooks: one row per case, facts by their English names or Chinese labels."""

from __future__ import annotations

import datetime as dt
import contextlib
import functools
import gc
import itertools
import time
from collections.abc import Callable, Iterable
from importlib import resources
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from care_services.spreadsheet import (
    EXAMPLE_MARK, KIND_LABELS, ColumnSpec, displayed, find_header, is_blank, read_sheets,
)
from care_services.vocabulary import UNIT
from care_services.workbook import ByColumn, Column, ReportBook
from subsidy_rules.engine import Scheme, evaluate_frame, get_scheme
from subsidy_rules.parameters import ParameterSet

CHUNK_ROWS = 20_000
CONTEXT_COLUMNS = (  # not facts: where and when the case is evaluated
    ColumnSpec("jurisdiction", "行政区划代码", "text", False, aliases=("区划代码", "县（市、区）代码")),
    ColumnSpec("date", "测算日期", "date", False, aliases=("日期",)),
)


@dataclass
class _Sheet:
    columns: tuple[ColumnSpec, ...]


INPUT_PREFIX = "input:"  # columns of the user's sheet that are not facts (姓名, 机构名称…): kept for the result


def read_cases(path: str | Path, scheme: Scheme, engine: str = "calamine") -> pd.DataFrame:
    """Cases as raw values (converted later, so a bad cell becomes that row's fact error, not a crash). Columns the
    scheme does not use (names, ids of institutions) are kept as ``input:<header>`` so the result shows them;
    ``attrs["input_columns"]`` lists every column of the sheet in its order as (frame column, header)."""
    sheets = read_sheets(path, engine)
    rows = next(iter(sheets.values()))()
    spec = _Sheet((*scheme.facts, *CONTEXT_COLUMNS))
    header_index, header_map = find_header(spec, rows)
    if not header_map:
        raise ValueError(
            f"工作表中没有{scheme.title_zh}的事实列（如{scheme.facts[0].zh}） / "
            f"no fact columns of {scheme.id} found in the first sheet (e.g. {scheme.facts[0].key})"
        )
    header = rows[header_index]
    keys: dict[int, str] = {i: c.key for i, c in header_map.items()}
    order = []
    for index, cell in enumerate(header):
        if index in keys:
            order.append((keys[index], str(cell).strip()))
        elif not is_blank(cell):
            keys[index] = f"{INPUT_PREFIX}{str(cell).strip()}"
            order.append((keys[index], str(cell).strip()))
    frame = _case_frame(rows[header_index + 1:], keys, list(header_map), first=header_index + 2)
    frame.attrs["input_columns"] = order
    return frame


def _case_frame(body: list[list], keys: dict[int, str], facts: list[int], *, first: int) -> pd.DataFrame:
    """The rows under the header as a frame, column by column: blank cells (empty, spaces, NaN) as None, rows
    with every fact blank and the template's example row left out, indexed by the row number Excel shows.
    Values are kept as typed; pandas infers each column's type as it would from the rows one by one."""
    n = len(body)
    if n and len(set(map(len, body))) == 1:  # a reader's rectangular grid: one 2-D array, its columns as views
        cells = list(np.array(body, dtype=object).T) if len(body[0]) else []
    else:
        cells = list(itertools.zip_longest(*body)) if n else []  # the sheet's columns (short rows padded with None)
    numbers = np.arange(first, first + n)
    columns, blanks = {}, {}
    for index in keys:
        values = np.empty(n, dtype=object)
        if index < len(cells):
            values[:] = cells[index]
        else:
            values[:] = None
        blanks[index] = _blank_cells(values)
        values[blanks[index]] = None
        columns[index] = values
    keep = ~np.logical_and.reduce([blanks[index] for index in facts]) if facts else np.ones(n, dtype=bool)
    for column in cells:
        if EXAMPLE_MARK in column:  # a C-speed scan; the few marked rows are then found one by one
            keep[[row for row, value in enumerate(column) if isinstance(value, str) and value == EXAMPLE_MARK]] = False
    frame = pd.DataFrame({keys[index]: values[keep] for index, values in columns.items()},
                         index=pd.Index(numbers[keep], name="row"), columns=list(keys.values()))
    return frame.infer_objects()


def _blank_cells(values: np.ndarray) -> np.ndarray:
    """Which cells are blank (:func:`is_blank`), deciding once per distinct value (a column repeats a few)."""
    codes, uniques = pd.factorize(values)  # None, NaN, NA and NaT: -1
    blank_unique = np.array([is_blank(value) for value in uniques] + [True], dtype=bool)
    return blank_unique[codes]


def evaluate_cases(
    scheme_id: str,
    cases: pd.DataFrame,
    *,
    date: dt.date | None,
    jurisdiction: str | None,
    parameters: ParameterSet | None = None,
    progress: Callable[[int], None] | None = None,
    timings: dict[str, list[float]] | None = None,
) -> pd.DataFrame:
    """Evaluate in chunks (bounded memory, a progress tick per chunk) and add the explanation columns.

    Missing facts and failed criteria come from the evaluation's columns for the whole chunk at once (rows with
    the same pattern share one answer), not from the rows one by one. ``timings`` (if given) gains the seconds
    spent evaluating and explaining ([wall, cpu] seconds).
    """
    get_scheme(scheme_id)
    parts, timings = [], timings if timings is not None else {}
    for start in range(0, len(cases), CHUNK_ROWS):
        chunk = cases.iloc[start:start + CHUNK_ROWS]
        with timed_phase(timings, "evaluate"):
            result = evaluate_frame(scheme_id, chunk, date=date, jurisdiction=jurisdiction, parameters=parameters)
        evaluation = result.attrs["context"]
        with timed_phase(timings, "explain"):
            result["missing_facts"] = _joined(evaluation.missing_facts())
            result["failed_criteria"] = _joined(evaluation.in_force_failures())
            result["warnings"] = _joined(evaluation.warnings())
        parts.append(result)
        if progress:
            progress(min(start + CHUNK_ROWS, len(cases)))
    return pd.concat(parts) if parts else pd.DataFrame()


@contextlib.contextmanager
def timed_phase(timings: dict[str, list[float]], phase: str):
    """Add the block's wall and CPU seconds to ``timings[phase]`` ([wall, cpu]; bench/cli_round_trip.py)."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        spent = timings.setdefault(phase, [0.0, 0.0])
        spent[0] += time.perf_counter() - wall
        spent[1] += time.process_time() - cpu


@contextlib.contextmanager
def few_collections(first_generation: int = 50_000):
    """A command-line batch with the garbage collector run less often: the objects alive so far (the modules) frozen
    out of its walks and a young generation of ``first_generation`` objects instead of 700. A batch allocates
    millions of lists, tuples and strings that hold no cycles; with CPython's defaults the collector spent 0.5 s CPU
    walking them in a 100,000-row round trip, 0.09 s so, peak memory the same (bench/cli_round_trip.py, issue 19).
    For a process of its own (the command line), not for a server's threads: the setting is the process's."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(first_generation, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _joined(names_by_row: list[list[str]]) -> list[str]:
    """Each row's ids joined by ', ' (rows share the same few lists: each joined once)."""
    joined: dict[tuple[str, ...], str] = {}
    return [joined.get(key) or joined.setdefault(key, ", ".join(key)) for key in map(tuple, names_by_row)]


def _input_column(spec: ColumnSpec | None, header: str) -> Column:
    """An input column under the header the user wrote (a fact's own title where it is one)."""
    if spec is None:
        return Column(header)
    return Column(spec.zh, "date" if spec.kind == "date" else "id" if spec.text_format else "text")


def _input_values(column: pd.Series, spec: ColumnSpec | None) -> list:
    """A column of the input as typed (dates as dates, blanks as blanks, a choice by its Chinese label: the sheet is
    read by staff, who never see a choice's id) for the result sheet."""
    values = column.astype(object).where(column.notna(), None).tolist()
    if any(issubclass(kind, pd.Timestamp) for kind in set(map(type, values))):
        values = [v.date() if isinstance(v, pd.Timestamp) else v for v in values]
    if spec is not None and spec.choices:
        label = spec.choices.get  # only a text can equal a choice's id: other values are kept as they are
        values = [label(v, v) for v in values]
    return values


def _decisions(column: pd.Series) -> list[str]:
    """是 / 否, or 待定 while unknown."""
    known = column.notna()
    return np.where(~known, "待定", np.where(column.where(known, False).astype(bool), "是", "否")).tolist()


def _titles(column: pd.Series, titles: dict[str, str]) -> list[str | None]:
    """Ids joined by ', ' (or lists of ids) as their Chinese titles joined by '、' (each distinct text once: rows
    share a few patterns)."""
    def shown(value) -> str | None:
        ids = value.split(", ") if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else []
        return "、".join(titles.get(i, i) for i in ids if i) or None

    values = column.tolist()
    if not all(kind is str for kind in set(map(type, values))):
        return [shown(value) for value in values]
    distinct = {value: shown(value) for value in set(values)}
    return [distinct[value] for value in values]


def _amounts(column: pd.Series) -> list[float]:
    return pd.to_numeric(column, errors="coerce").astype(float).tolist()  # NaN: no amount (a blank cell)


def result_table(scheme: Scheme, cases: pd.DataFrame, results: pd.DataFrame) -> tuple[list[Column], list[list]]:
    """The result sheet's columns and their values, column by column: the input as the user gave it, then the
    answer: eligibility, amount, funding, missing facts, failed conditions (by their Chinese titles), each
    condition, input errors."""
    funding = [payer for payer in scheme.payers if f"fund.{payer.id}" in results]
    specs = {c.key: c for c in (*scheme.facts, *CONTEXT_COLUMNS)}
    inputs = cases.attrs.get("input_columns") or [(c.key, c.zh) for c in specs.values() if c.key in cases]
    fact_titles = {c.key: c.zh for c in scheme.facts}
    criterion_titles = {c.id: c.title_zh for c in scheme.criteria} | {"not_in_force": "本政策在当地或该日期不适用"}
    advisory_titles = {c.id: c.title_zh for c in scheme.advisories}
    unit = UNIT.get(scheme.unit, scheme.unit)
    columns = [
        Column("行号", "integer", width=6),
        *[_input_column(specs.get(key), header) for key, header in inputs],
        Column("政策在当地有效"), Column("是否符合"), Column(f"金额（{unit}）", "money", total=True),
        *[Column(f"其中：{payer.zh}（{unit}）", "money", total=True) for payer in funding],
        Column("缺少的事实"), Column("不符合的条件"), Column("提示"),
        *[Column(f"条件：{c.title_zh}") for c in scheme.criteria], Column("输入错误"),
    ]
    errors = results["fact_errors"].tolist() if "fact_errors" in results else [None] * len(results)
    data = [
        cases.index.tolist(),
        *[_input_values(cases[key], specs.get(key)) for key, _ in inputs],
        _decisions(results["in_force"]), _decisions(results["eligible"]), _amounts(results["amount"]),
        *[_amounts(results[f"fund.{payer.id}"]) for payer in funding],
        _titles(results["missing_facts"], fact_titles), _titles(results["failed_criteria"], criterion_titles),
        _titles(results["warnings"], advisory_titles),
        *[_decisions(results[f"crit.{c.id}"]) for c in scheme.criteria],
        ["；".join(f"{fact_titles.get(k, k)}：{v['reason_zh']}" for k, v in e.items()) if e else None
         for e in errors],
    ]
    return columns, data


def write_results(path: str | Path, scheme: Scheme, cases: pd.DataFrame, results: pd.DataFrame,
                  scenario: dict | None = None) -> None:
    """The result table as a workbook, streamed (bench/xlsx_write.py measures 100,000 rows); under a scenario
    (``AppliedScenario.describe()``) a 方案说明 sheet marks each changed value and each floor it goes below."""
    columns, data = result_table(scheme, cases, results)
    with ReportBook(path) as book:
        sheet = book.sheet("测算结果")
        sheet.table(columns, ByColumn(data), total_label="合计", freeze=1, autofilter=True, fit_rows=2000, borders=False)
        sheet.print_setup()
        if scenario is not None:
            from subsidy_rules.scenario import write_scenario_sheet

            write_scenario_sheet(book, scenario)


# ------------------------------------------------------------------------------------------------ templates

NAME_HEADER = "姓名或机构名称"  # not a fact: kept beside the answer in the result


@functools.cache
def examples() -> dict[str, dict]:
    """One worked example per scheme (subsidy_rules/examples/cases.yaml)."""
    text = resources.files("subsidy_rules").joinpath("examples/cases.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


shown_fact = displayed  # a fact as an official types it (是/否, a choice's Chinese label)


def template_columns(scheme: Scheme) -> list[ColumnSpec]:
    """The template's columns; division codes as text so a typed code keeps its digits."""
    codes = ("jurisdiction", "hukou_division_code")
    return [replace(c, check=c.check or "division_code") if c.key in codes else c
            for c in (ColumnSpec("name", NAME_HEADER, "text", False), *scheme.facts, *CONTEXT_COLUMNS)]


def write_cases_template(target, scheme: Scheme, rows: Iterable[dict] = ()) -> None:
    """The batch-evaluation workbook of a scheme: a column per fact (Chinese titles, drop-downs, text for codes),
    one example row, and Chinese instructions; ``rows`` (dicts of facts plus name/jurisdiction/date) fill it."""
    from care_services.spreadsheet import EXAMPLE_MARK, _describe, add_validations, write_example_row

    columns = template_columns(scheme)
    example = examples().get(scheme.id, {})
    with ReportBook(target) as book:
        sheet = book.sheet(scheme.title_zh)
        sheet.header([Column(c.zh, note=_describe(c)) for c in columns])
        styles = [sheet.style({"num_format": "@"} if c.text_format else
                              {"num_format": "yyyy-mm-dd"} if c.kind == "date" else {}) for c in columns]
        if example:
            values = {**example.get("facts", {}), "name": example.get("name"),
                      "jurisdiction": example.get("jurisdiction"), "date": example.get("date")}
            write_example_row(sheet, [shown_fact(c, _as_date(c, values.get(c.key))) for c in columns], styles)
        for record in rows:
            for index, column in enumerate(columns):
                sheet.cell(sheet.row, index, shown_fact(column, record.get(column.key)), styles[index])
            sheet.row += 1
        add_validations(book, sheet, columns, sheet.row + 1000)
        sheet.ws.freeze_panes(1, 1)
        notes = book.sheet("填写说明")
        notes.line(f"《{scheme.title_zh}》批量测算表填写说明", 1, bold=True)
        notes.line(f"依据：{scheme.source}", 1)
        notes.line("每行一个申请对象（人或机构）；列名请勿修改，可在表头上方加标题行。空白格表示“未知”，"
                   "测算结果会列出缺少的事实。", 1)
        notes.line(f"“{NAME_HEADER}”及其他非事实列原样保留在结果中；“行政区划代码”和“测算日期”可不填，"
                   "由测算时统一指定的区划和日期补足。", 1)
        notes.line(f"第2行为示例（最后一格标有“{EXAMPLE_MARK}”），测算时跳过，可删除。", 1)
        notes.skip()
        notes.table([Column("列名", width=30), Column("类型", width=8), Column("可选值", width=60)],
                    ([c.zh, KIND_LABELS[c.kind][0], "、".join(c.choices.values()) if c.choices else
                      ("是、否" if c.kind == "boolean" else "")] for c in columns), freeze=None)
        notes.print_setup()
        sheet.print_setup()


def _as_date(column: ColumnSpec, value):
    if column.kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value
