"""Every `carecalc export` is read back by the command that consumes it: districts and projects by `allocate`,
projects by `budget`, entities by `import`; an unknown district in a projects table is an error naming its rows."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from allocator.data import PlanningInputError, districts_frame, projects_frame, read_table
from care_services.cli import main
from care_services.model import ENTITY_MODELS
from subsidy_rules.budget_report import read_pipeline


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("CARECALC_DATABASE_URL", f"sqlite:///{tmp_path / 'rt.sqlite3'}")
    assert main(["db", "upgrade"]) == 0 and main(["sample", "load"]) == 0


def test_exported_districts_and_projects_are_what_allocate_reads(db, tmp_path, capsys):
    districts, projects = tmp_path / "区划.xlsx", tmp_path / "项目.xlsx"
    assert main(["export", "districts", "--within", "360400", "--output", str(districts)]) == 0
    assert main(["export", "projects", "--output", str(projects)]) == 0
    frame = districts_frame(read_table(districts))
    assert len(frame) == 13 and frame.loc["360402", "name"] == "濂溪区" and frame["population"].sum() > 4_000_000
    assert frame["elderly_beds"].sum() == 26_800  # the city's published total, shared out
    planned, excluded = projects_frame(read_table(projects), frame, first_year=2023, default_nursing_share=0.55)
    rows = list(load_workbook(projects).active.iter_rows(values_only=True))
    column = rows[0].index("行政区划代码")
    coded = {r[0] for r in rows[1:] if r[column]} - set(excluded["code"])
    assert set(planned.loc[planned["division_code"].notna(), "code"]) == coded and len(coded) > 40  # none lost
    sheet = load_workbook(districts)["区划"]
    assert [c.value for c in sheet[1]][:3] == ["区划代码", "名称", "常住人口"] and sheet["A2"].number_format == "@"
    capsys.readouterr()
    code = main(["allocate", "--districts", str(districts), "--projects", str(projects), "--year", "2025",
                 "--budget", "50000万", "--time-limit", "20", "--json"])
    assert code == 0


def test_exported_projects_are_what_budget_reads(db, tmp_path):
    projects = tmp_path / "项目.xlsx"
    assert main(["export", "projects", "--output", str(projects)]) == 0
    frame = read_pipeline(projects)
    assert len(frame) > 50 and frame["division_code"].str.match(r"^\d{6}$").all()
    assert all("row" in item for item in frame.attrs["set_aside"])  # rows the list leaves open are named


def test_an_unknown_district_in_the_projects_table_names_its_rows(db, tmp_path):
    districts, projects = tmp_path / "区划.xlsx", tmp_path / "项目.xlsx"
    assert main(["export", "districts", "--within", "360400", "--output", str(districts)]) == 0
    assert main(["export", "projects", "--output", str(projects)]) == 0
    book = load_workbook(projects)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    column = header.index("县（市、区）代码") + 1 if "县（市、区）代码" in header else header.index("行政区划代码") + 1
    sheet.cell(row=3, column=column).value = "369999"
    sheet.cell(row=5, column=column).value = "369999"
    book.save(projects)
    with pytest.raises(PlanningInputError) as error:
        projects_frame(read_table(projects), districts_frame(read_table(districts)), first_year=2023,
                       default_nursing_share=0.55)
    assert "369999" in str(error.value) and "第3、5行" in str(error.value)


@pytest.mark.parametrize("entity", list(ENTITY_MODELS))
def test_every_entity_export_imports_back(db, tmp_path, entity, capsys):
    path = tmp_path / f"{entity}.xlsx"
    assert main(["export", entity, "--output", str(path)]) == 0
    assert main(["import", entity, str(path)]) == 0, capsys.readouterr().err
