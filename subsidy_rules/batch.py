"""Batch evaluation from and to workbooks: one row per case, facts by their English names or Chinese labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from care_services.spreadsheet import ColumnSpec, find_header, is_blank, read_sheets
from care_services.vocabulary import BOOLEAN
from subsidy_rules.engine import FUNDING_LEVELS, Scheme, evaluate_frame, get_scheme
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
    """Evaluate in chunks (bounded memory, a progress tick per chunk) and add the explanation columns.

    Missing facts and failed criteria come from the evaluation's columns for the whole chunk at once (rows with
    the same pattern share one answer), not from the rows one by one.
    """
    get_scheme(scheme_id)
    parts = []
    for start in range(0, len(cases), CHUNK_ROWS):
        chunk = cases.iloc[start:start + CHUNK_ROWS]
        result = evaluate_frame(scheme_id, chunk, date=date, jurisdiction=jurisdiction, parameters=parameters)
        evaluation = result.attrs["context"]
        result["missing_facts"] = [", ".join(names) for names in evaluation.missing_facts()]
        result["failed_criteria"] = [", ".join(names) for names in evaluation.failed_criteria()]
        parts.append(result)
        if progress:
            progress(min(start + CHUNK_ROWS, len(cases)))
    return pd.concat(parts) if parts else pd.DataFrame()


def _shown(value):
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, (bool, np.bool_)):
        return BOOLEAN[bool(value)]
    return value


def _decided(value) -> str:
    """是 / 否, or 待定 while unknown."""
    return "待定" if pd.isna(value) else BOOLEAN[bool(value)]


def write_results(path: str | Path, scheme: Scheme, cases: pd.DataFrame, results: pd.DataFrame) -> None:
    """The input facts, then the answer: eligibility, amount, funding, missing facts, failed criteria, errors."""
    workbook = Workbook(write_only=True)  # streams rows: a large batch is never held as cell objects
    sheet = workbook.create_sheet("测算结果")
    sheet.freeze_panes = "B2"
    funding = [level for level in FUNDING_LEVELS if f"fund.{level}" in results]
    fact_columns = [c for c in (*scheme.facts, *CONTEXT_COLUMNS) if c.key in cases]
    header = ["行号", *[c.zh for c in fact_columns], "是否符合", "金额（元）", "单位",
              *[f"资金:{level}" for level in funding], "缺少的事实", "不符合的条件",
              *[f"条件:{c.id}" for c in scheme.criteria], "输入错误"]
    sheet.append([_header_cell(sheet, title) for title in header])
    for position, (row_number, case) in enumerate(cases.iterrows()):
        out = results.iloc[position]
        errors = out.get("fact_errors") if "fact_errors" in results else None
        sheet.append([
            row_number,
            *[_shown(case.get(c.key)) for c in fact_columns],
            _decided(out["eligible"]),
            _shown(out["amount"]), out["unit"],
            *[_shown(out[f"fund.{level}"]) for level in funding],
            out["missing_facts"], out["failed_criteria"],
            *[_decided(out[f"crit.{c.id}"]) for c in scheme.criteria],
            "; ".join(f"{k}: {v['reason_zh']} / {v['reason_en']}" for k, v in errors.items()) if errors else None,
        ])
    workbook.save(path)


def _header_cell(sheet, title: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=title)
    cell.font = Font(bold=True)
    cell.fill = PatternFill("solid", fgColor="DDEBF7")
    return cell
