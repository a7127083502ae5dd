"""Putting validated rows into the database, and the bundled sample data."""

from __future__ import annotations

import csv
import io
from importlib import resources

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from care_services.db import session_scope, upsert
from care_services.spreadsheet import ImportResult, RowError, entity_spec, parse_rows

LEVEL_ORDER = {"province": 0, "city": 1, "county": 2, "township": 3}

# What `carecalc sample load` puts in the database, in dependency order. Sources: sample_data/SOURCES.md.
SAMPLE_FILES = (
    ("divisions", "divisions.csv"),
    ("divisions", "townships_2022.csv"),  # the 446 township-level units of both cities
    ("population", "population_2020.csv"),
    ("plan_indicators", "plan_indicators_jiujiang.csv"),
    ("supply", "supply_jiujiang.csv"),
    ("projects", "projects_jiujiang.csv"),
)


class SampleDataError(RuntimeError):
    """The bundled sample data does not pass its own validation: a bug in the repository, not user input."""


def _reference_problems(session: Session, result: ImportResult) -> None:
    """Move rows that point at divisions (or other rows) that do not exist from records to errors."""
    spec = entity_spec(result.entity)
    table = spec.model.__table__
    checks = []
    for column in table.columns:
        for foreign_key in column.foreign_keys:
            target = foreign_key.column
            known = set(session.scalars(select(target)))
            if target.table is table:  # a file may bring its own parents (a county with its city)
                known |= {r[target.key] for r in result.records}
            checks.append((column.key, known))
    if not checks:
        return
    kept, kept_rows = [], []
    for record, row in zip(result.records, result.record_rows):
        bad = [(key, record[key]) for key, known in checks if record.get(key) is not None and record[key] not in known]
        for key, value in bad:
            column = spec.column(key)
            result.errors.append(RowError(
                result.sheet, row, None, column.zh, value,
                f"代码{value}在行政区划表中不存在，请先导入该区划", f"no division with code {value}; import it first",
            ))
        if not bad:
            kept.append(record)
            kept_rows.append(row)
    result.records, result.record_rows = kept, kept_rows


def store(engine: Engine, result: ImportResult) -> ImportResult:
    """Write the good rows of ``result`` (one transaction); rows with unknown references join the errors."""
    spec = entity_spec(result.entity)
    with session_scope(engine) as session:
        _reference_problems(session, result)
        records = result.records
        if spec.name == "divisions":  # parents first, so the self-reference holds at every insert
            records = sorted(records, key=lambda r: LEVEL_ORDER[r["level"]])
        upsert(session, spec.model, records)
    result.errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    return result


def read_csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def read_sample(entity: str, filename: str) -> ImportResult:
    text = resources.files("sample_data").joinpath(filename).read_text(encoding="utf-8")
    result = parse_rows(entity_spec(entity), read_csv_rows(text), filename)
    if result.errors:
        raise SampleDataError("\n".join(str(e) for e in result.errors))
    return result


def load_sample(engine: Engine) -> dict[str, int]:
    """Load every bundled sample file (idempotent: rows are replaced by key). Returns rows per entity."""
    counts = {}
    for entity, filename in SAMPLE_FILES:
        result = store(engine, read_sample(entity, filename))
        if result.errors:
            raise SampleDataError("\n".join(str(e) for e in result.errors))
        counts[entity] = counts.get(entity, 0) + len(result.records)
    return counts
