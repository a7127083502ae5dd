"""Batch evaluation from and to workbooks: one row per case, facts by their English names or Chinese labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from care_services.spreadsheet import ColumnSpec, find_header, is_blank, read_sheets
from care_services.vocabulary import BOOLEAN, UNIT
from care_services.workbook import Column, ReportBook
from subsidy_rules.budget import LEVEL_ZH
from subsidy_rules.engine import FUNDING_LEVELS, Scheme, evaluate_frame, falsity, get_scheme, missing_facts
from subsidy_rules.parameters import ParameterSet

CHUNK_ROWS = 20_000
CONTEXT_COLUMNS = (
    ColumnSpec("jurisdiction", "行政区划代码", "text", False, aliases=("区划代码", "县（市、区）代码")),
    ColumnSpec("date", "测算日期", "date", False, aliases=("日期",)),
)


@dataclass
class _Sheet:
    columns: tuple[ColumnSpec, ...]


def read_cases(path: str | Path, scheme: Scheme, engine: str = "calamine") -> pd.DataFrame:
    """Cases as raw values (converted later, so a bad cell becomes that row's fact error, not a crash)."""
    sheets = read_sheets(path, engine)
    rows = next(iter(sheets.values()))()
    spec = _Sheet((*scheme.facts, *CONTEXT_COLUMNS))
    header_index, header_map = find_header(spec, rows)
    if not header_map:
        raise ValueError(
            f"工作表中没有{scheme.id}的事实列（如{scheme.facts[0].key}或{scheme.facts[0].zh}） / "
            f"no fact columns of {scheme.id} found in the first sheet"
        )
    records, numbers = [], []
    for number, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        values = {c.key: (row[i] if i < len(row) else None) for i, c in header_map.items()}
        if all(is_blank(v) for v in values.values()):
            continue
        records.append({k: (None if is_blank(v) else v) for k, v in values.items()})
        numbers.append(number)
    return pd.DataFrame(records, index=pd.Index(numbers, name="row"))


def evaluate_cases(
    scheme_id: str,
    cases: pd.DataFrame,
    *,
    date: dt.date | None,
    jurisdiction: str | None,
    parameters: ParameterSet | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Evaluate in chunks (bounded memory, a progress tick per chunk) and add the explanation columns."""
    scheme = get_scheme(scheme_id)
    parts = []
    for start in range(0, len(cases), CHUNK_ROWS):
        chunk = cases.iloc[start:start + CHUNK_ROWS]
        result = evaluate_frame(scheme_id, chunk, date=date, jurisdiction=jurisdiction, parameters=parameters)
        facts = result.attrs["context"].facts
        result["missing_facts"] = [
            ", ".join(missing_facts(scheme, facts.row(i), result.iloc[i])) for i in range(len(result))
        ]
        result["failed_criteria"] = [
            ", ".join(c.id for c in scheme.criteria if falsity(result.iloc[i][f"crit.{c.id}"]))
            for i in range(len(result))
        ]
        parts.append(result)
        if progress:
            progress(min(start + CHUNK_ROWS, len(cases)))
    return pd.concat(parts) if parts else pd.DataFrame()


def _input_values(column: pd.Series) -> list:
    """A column of the input as typed (dates as dates, blanks as blanks) for the result sheet."""
    return [None if _blank(v) else (v.date() if isinstance(v, pd.Timestamp) else v) for v in column.tolist()]


def _blank(value) -> bool:
    return value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value))


def _decisions(column: pd.Series) -> list[str]:
    """是 / 否, or 待定 while unknown."""
    return ["待定" if _blank(v) else BOOLEAN[bool(v)] for v in column.tolist()]


def _titles(column: pd.Series, titles: dict[str, str]) -> list[str | None]:
    """Ids joined by ', ' (or lists of ids) as their Chinese titles joined by '、'."""
    shown = []
    for value in column.tolist():
        ids = value.split(", ") if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else []
        shown.append("、".join(titles.get(i, i) for i in ids if i) or None)
    return shown


def _amounts(column: pd.Series) -> list[float | None]:
    return [None if _blank(v) else float(v) for v in column.tolist()]


def result_table(scheme: Scheme, cases: pd.DataFrame, results: pd.DataFrame) -> tuple[list[Column], list[list]]:
    """The result sheet's columns and their values, column by column: the input as the user gave it, then the
    answer: eligibility, amount, funding, missing facts, failed conditions (by their Chinese titles), each
    condition, input errors."""
    funding = [level for level in FUNDING_LEVELS if f"fund.{level}" in results]
    fact_columns = [c for c in (*scheme.facts, *CONTEXT_COLUMNS) if c.key in cases]
    fact_titles = {c.key: c.zh for c in scheme.facts}
    criterion_titles = {c.id: c.title_zh for c in scheme.criteria}
    unit = UNIT.get(scheme.unit, scheme.unit)
    columns = [
        Column("行号", "integer", width=6),
        *[Column(c.zh, "date" if c.kind == "date" else "id" if c.text_format else "text") for c in fact_columns],
        Column("是否符合"), Column(f"金额（{unit}）", "money", total=True),
        *[Column(f"其中：{LEVEL_ZH.get(level, level)}（{unit}）", "money", total=True) for level in funding],
        Column("缺少的事实"), Column("不符合的条件"),
        *[Column(f"条件：{c.title_zh}") for c in scheme.criteria], Column("输入错误"),
    ]
    errors = results["fact_errors"].tolist() if "fact_errors" in results else [None] * len(results)
    data = [
        cases.index.tolist(),
        *[_input_values(cases[c.key]) for c in fact_columns],
        _decisions(results["eligible"]), _amounts(results["amount"]),
        *[_amounts(results[f"fund.{level}"]) for level in funding],
        _titles(results["missing_facts"], fact_titles), _titles(results["failed_criteria"], criterion_titles),
        *[_decisions(results[f"crit.{c.id}"]) for c in scheme.criteria],
        ["；".join(f"{fact_titles.get(k, k)}：{v['reason_zh']}" for k, v in e.items()) if e else None
         for e in errors],
    ]
    return columns, data


def write_results(path: str | Path, scheme: Scheme, cases: pd.DataFrame, results: pd.DataFrame) -> None:
    """The result table as a workbook, streamed (bench/xlsx_write.py measures 100,000 rows)."""
    columns, data = result_table(scheme, cases, results)
    with ReportBook(path) as book:
        sheet = book.sheet("测算结果")
        sheet.table(columns, zip(*data), total_label="合计", freeze=1, autofilter=True, fit_rows=2000, borders=False)
        sheet.print_setup()
