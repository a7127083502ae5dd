"""Templates for every input the README mentions: Chinese instructions, one example row (skipped when read, and a
valid input once its mark is removed), validation messages that say what a field wants."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from care_services.cli import main
from care_services.spreadsheet import EXAMPLE_MARK, read_workbook
from subsidy_rules.batch import evaluate_cases, examples, read_cases
from subsidy_rules.budget import Horizon, project
from subsidy_rules.budget_report import read_caseload
from subsidy_rules.engine import REGISTRY, get_scheme


def unmarked(path, out):
    """The template as an official would fill it: the example row kept, its mark deleted."""
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == EXAMPLE_MARK:
                    cell.value = None
    book.save(out)
    return out


def chinese_instructions(book):
    notes = book["填写说明"]
    texts = [str(c.value) for row in notes.iter_rows() for c in row if c.value]
    assert "填写说明" in texts[0]
    assert notes.page_setup.orientation == "landscape"
    return texts


@pytest.mark.parametrize("scheme_id", sorted(REGISTRY))
def test_batch_template_of_every_scheme(tmp_path, scheme_id):
    path = tmp_path / "cases.xlsx"
    assert main(["template", "cases", "--scheme", scheme_id, "--output", str(path)]) == 0
    scheme = get_scheme(scheme_id)
    book = load_workbook(path)
    sheet = book[scheme.title_zh]
    header = [c.value for c in sheet[1] if c.value]
    assert header[0] == "姓名或机构名称" and [f.zh for f in scheme.facts] == header[1:len(scheme.facts) + 1]
    assert EXAMPLE_MARK in [c.value for c in sheet[2]]
    chinese_instructions(book)
    numbers = [dv for dv in sheet.data_validations.dataValidation if dv.type in ("whole", "decimal", "date")]
    assert all("下拉列表" not in (dv.error or "") for dv in numbers)
    assert len(read_cases(path, scheme)) == 0  # the example row is skipped
    filled = read_cases(unmarked(path, tmp_path / "filled.xlsx"), scheme)
    example = examples()[scheme_id]
    result = evaluate_cases(scheme_id, filled, date=dt.date.fromisoformat(example["date"]), jurisdiction=None)
    assert bool(result["eligible"].iloc[0]) and filled["input:姓名或机构名称"].iloc[0] == example["name"]


def test_caseload_template(tmp_path):
    path = tmp_path / "caseload.xlsx"
    assert main(["template", "caseload", "--output", str(path)]) == 0
    book = load_workbook(path)
    monthly = [s.title_zh for s in REGISTRY.values() if s.unit == "CNY/month"]
    assert book.sheetnames[:len(monthly)] == monthly
    chinese_instructions(book)
    assert list(read_caseload(path)) == []
    chunks = list(read_caseload(unmarked(path, tmp_path / "filled.xlsx")))
    assert len(chunks) == len(monthly)
    assert project(chunks, None, Horizon.years(2024, 2025)).total() > 0


@pytest.mark.parametrize("entity", ["people", "divisions", "projects"])
def test_entity_templates_carry_an_example_row(tmp_path, entity):
    path = tmp_path / f"{entity}.xlsx"
    assert main(["template", entity, "--output", str(path)]) == 0
    book = load_workbook(path)
    chinese_instructions(book)
    assert read_workbook(path, entity).records == []
    filled = read_workbook(unmarked(path, tmp_path / "filled.xlsx"), entity)
    assert filled.errors == [] and len(filled.records) == 1
