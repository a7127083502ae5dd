"""The budget report (Excel with native charts, JSON) and `carecalc budget` from workbooks."""

import json
import re
import subprocess
import sys
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from subsidy_rules.budget import Horizon, Scenario, project
from subsidy_rules.budget_report import read_caseload, read_pipeline, report_json, write_report
from subsidy_rules.budget_sample import jiujiang_pipeline, synthetic_caseload
from subsidy_rules.parameters import default_parameters
from tests.budget.test_projection import HORIZON, NURSERY, PIPELINE


def run(*args):
    return subprocess.run([sys.executable, "-m", "care_services.cli", *args], capture_output=True, text=True)


def runs():
    reform = Scenario.from_mapping({"name": "托育300", "parameters": {"childcare_operation.per_child_month": 300}})
    cases = pd.DataFrame([NURSERY])
    return [project(cases, PIPELINE, HORIZON, s) for s in (Scenario("baseline", default_parameters()), reform)]


def test_excel_report_with_charts_formats_and_frozen_headers(tmp_path):
    path = tmp_path / "report.xlsx"
    projections = runs()
    write_report(projections, path)
    with zipfile.ZipFile(path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        xml = "".join(archive.read(n).decode() for n in charts)
    assert len(charts) == 3  # a line per scenario on the summary, a stacked bar per scenario
    assert "<c:lineChart>" in xml and "<c:barChart>" in xml and '<c:grouping val="stacked"' in xml
    with zipfile.ZipFile(path) as archive:
        assert len([n for n in archive.namelist() if n.startswith("xl/chartsheets/sheet")]) == 3  # each on its own
    book = load_workbook(path)
    assert book.sheetnames == ["概要", "资金层级-基准方案", "资金层级-托育300", "按补贴项目", "按县区", "明细", "按月",
                               "方案对比", "待定", "方案说明-托育300", "年度支出图", "资金层级图-基准方案", "资金层级图-托育300"]
    summary = book["概要"]
    assert summary["A3"].value == "单位：万元"
    assert [c.value for c in summary[4]] == ["年份", "基准方案", "托育300", "托育300较基准方案增减"]
    row_2023 = [c.value for c in summary[5]]
    assert row_2023[0] == "2023年" and row_2023[1] == pytest.approx(
        round(projections[0].by("year").set_index("year").loc[2023, "amount"] / 1e4, 2))
    assert row_2023[3] == pytest.approx(30 * 100 * 12 / 1e4)  # the nursery's 100 more per child-month
    assert summary["B5"].number_format == "#,##0.00" and summary.freeze_panes == "B5"
    for sheet in book.worksheets:  # every table prints: A4 landscape, one page wide, its header on every page
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToHeight == 0, sheet.title
        assert sheet.print_title_rows, sheet.title
        texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        assert any(t.startswith("制表时间：") and "北京时间" in t for t in texts), sheet.title
        assert any("审核人" in t for t in texts), sheet.title
        assert not [t for t in texts if re.search(r"[A-Za-z]{3,}|[a-z]+_[a-z]+", t)], sheet.title  # no English, no raw ids
    counties = list(book["按县区"].iter_rows(min_row=4, values_only=True))
    assert counties[0][:4] == ("方案", "区划代码", "县（市、区）", "资金层级")
    assert ("基准方案", "360403", "浔阳区", "省级") == counties[1][:4]
    subtotal = next(r for r in counties if r[3] == "小计" and r[1] == "360403")
    lines = [r for r in counties if r[1] == "360403" and r[0] == "基准方案" and r[3] != "小计"]
    assert subtotal[-1] == pytest.approx(sum(r[-1] for r in lines))  # 小计 from the rounded lines
    assert sum(1 for r in counties if r[3] == "小计") == 4
    level_rows = list(book["资金层级-基准方案"].iter_rows(min_row=4, values_only=True))
    total = next(r for r in level_rows if r[0] == "合计")
    assert total[-1] == pytest.approx(summary["B10"].value) and summary["A10"].value == "合计"
    schemes = [r[1] for r in book["按补贴项目"].iter_rows(min_row=5, values_only=True) if r[1]]
    assert "普惠托育机构保育费补助" in schemes


def test_json_has_the_same_figures():
    projections = runs()
    answer = report_json(projections)
    assert [s["name"] for s in answer["scenarios"]] == ["baseline", "托育300"]
    assert answer["scenarios"][0]["total"] == pytest.approx(projections[0].total())
    json.dumps(answer, ensure_ascii=False)  # serialisable as is


def test_caseload_and_pipeline_workbooks_with_chinese_headers(tmp_path):
    caseload = tmp_path / "caseload.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.title = "特殊困难老年人居家养老服务"
    sheet.append(["行政区划代码", "起始月份", "结束月份", "出生日期", "特殊困难老年人", "居住在家"])
    sheet.append(["360481", "2023-07", "2024年6月", "1950-05-01", True, True])
    book.save(caseload)
    p = project(read_caseload(caseload), None, HORIZON)
    assert p.by("year").set_index("year")["amount"].to_dict() == {2023: 1_200, 2024: 1_200}

    projects = tmp_path / "projects.xlsx"
    PIPELINE.rename(columns={"code": "项目编号", "kind": "项目类别", "division_code": "区划代码",
                             "completion": "建成月份", "capacity": "新增床位（托位）"}).assign(
        项目类别=["托育", "养老"]).to_excel(projects, index=False)
    frame = read_pipeline(projects)
    assert list(frame["kind"]) == ["childcare", "elderly"] and list(frame["completion"]) == ["2024-06", "2023-06"]
    pd.testing.assert_frame_equal(project(None, frame, HORIZON).monthly, project(None, PIPELINE, HORIZON).monthly,
                                  check_dtype=False)


def test_sample_pipeline_and_synthetic_caseload_make_a_report(tmp_path):
    pipeline = jiujiang_pipeline()
    assert len(pipeline) == 75 and pipeline["completion"].str.match(r"^\d{4}-\d{2}$").all()
    cases = synthetic_caseload(500, seed=3)
    p = project(cases, pipeline, Horizon.years(2023, 2027))
    assert p.total() > 0 and {"elderly_institution_construction", "disability_care"} <= set(p.by("scheme")["scheme"])
    write_report([p], tmp_path / "sample.xlsx")
    book = load_workbook(tmp_path / "sample.xlsx")
    assert book.sheetnames[0] == "概要"
    levels = {r[3] for r in book["按县区"].iter_rows(min_row=5, values_only=True) if r[3]}
    assert {"省级", "市级", "县级", "财政兜底（新增财政资金）"} <= levels  # and disability care's fallback
    detail = list(book["明细"].iter_rows(min_row=5, values_only=True))
    total = next(r for r in detail if r[0] == "合计")
    assert total[-1] == pytest.approx(round(sum(r[-1] for r in detail if r[0] == "基准方案"), 2))


def test_cli_budget(tmp_path):
    scenario = tmp_path / "reform.yaml"
    scenario.write_text("name: 护理型6000\nparameters:\n  elderly_institution_construction.province.per_bed_nursing: 6000\n",
                        encoding="utf-8")
    output = tmp_path / "budget.xlsx"
    answer = run("budget", "--sample", "--synthetic", "300", "--scenario", str(scenario), "--output", str(output),
                 "--json")
    assert answer.returncode == 0, answer.stderr
    figures = json.loads(answer.stdout)  # stdout: the JSON only
    assert [s["name"] for s in figures["scenarios"]] == ["baseline", "护理型6000"]
    assert output.exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("parameters:\n  no.such.parameter: 1\n", encoding="utf-8")
    refused = run("budget", "--sample", "--scenario", str(bad))
    assert refused.returncode == 2 and "no.such.parameter" in refused.stderr and "Traceback" not in refused.stderr
    changes = figures["scenarios"][1]["changes"]  # the scenario's changed value beside the document's
    assert [(m["scenario_value"], m["original_value"]) for m in changes] == [(6000, 5000)]
    assert figures["scenarios"][1]["below_floor"] == [] and "changes" not in figures["scenarios"][0]
    low = tmp_path / "low.yaml"
    low.write_text("name: 居家照护500元\nparameters:\n  disability_care.home_care_month: 500\n", encoding="utf-8")
    flagged = run("budget", "--synthetic", "300", "--scenario", str(low), "--output", str(output), "--json")
    assert flagged.returncode == 0, flagged.stderr  # projected as a what-if …
    assert "警告 / warning：方案“居家照护500元”低于政策底线" in flagged.stderr  # … and flagged
    [flag] = json.loads(flagged.stdout)["scenarios"][1]["below_floor"]
    assert flag["floor_value"] == 600 and "不低于600元" in flag["phrase"]
    book = load_workbook(output)
    notes = [str(c.value) for row in book["方案说明-居家照护500元"].iter_rows() for c in row if c.value]
    assert any(t.startswith("低于政策底线：") for t in notes) and "500元/月" in notes and "600元/月" in notes
    summary = [str(c.value) for row in book["概要"].iter_rows(max_row=4) for c in row if c.value]
    assert any("低于政策底线" in t for t in summary)  # said on the tables themselves, above the figures
    nothing = run("budget")
    assert nothing.returncode == 2 and "--caseload" in nothing.stderr
    below = run("budget", "--sample", "--occupancy", "1.5")
    assert below.returncode == 2 and "occupancy" in below.stderr


def test_sample_report_matches_hand_calculations():
    """The Jiujiang pipeline (附件4) plus a synthetic caseload plus four worked cases, checked by hand."""
    from tests.budget.test_projection import DISABLED, HOME, RESIDENT

    pipeline, synthetic = jiujiang_pipeline(), synthetic_caseload(300, seed=5)
    worked = pd.DataFrame([HOME, DISABLED, NURSERY, RESIDENT])
    full = project(pd.concat([synthetic, worked], ignore_index=True), pipeline, HORIZON)
    table = full.by("scheme", "year", "county", "level").set_index(["scheme", "year", "county", "level"])["amount"]
    # 彭泽县 2023: JJ-C-09 private renovation, 40 places x 500 = 20,000 (city 8,000, county 12,000). JJ-C-10 and
    # 德安县's JJ-C-02 are public: the county part of a government-invested nursery is set locally (第22项), so the
    # rules leave their amounts open and the report counts them as undetermined instead of guessing.
    assert table[("childcare_construction", 2023, "360430", "city")] == 8_000
    assert table[("childcare_construction", 2023, "360430", "county")] == 12_000
    open_ = full.undetermined().set_index(["scheme", "county"])["months"]
    assert open_[("childcare_construction", "360430")] == 1 and open_[("childcare_construction", "360426")] == 1
    assert ("childcare_construction", 2025, "360426", "city") not in table.index
    # 武宁县 2024: JJ-E-45 private, 500 beds done 2023-10, booked after a year: 200 ordinary x 3,000 + 300 nursing
    # x 5,000 = 2,100,000 from the province, 50% of it (1,050,000) from the county; no city part outside 中心城区.
    assert table[("elderly_institution_construction", 2024, "360423", "province")] == 2_100_000
    assert table[("elderly_institution_construction", 2024, "360423", "county")] == 1_050_000
    # The worked cases of test_projection add exactly their hand-computed amounts to the report.
    without = project(synthetic, pipeline, HORIZON).by("scheme", "year", "county", "level").set_index(
        ["scheme", "year", "county", "level"])["amount"]
    added = table.sub(without, fill_value=0.0)
    added = added[added != 0]
    assert added.to_dict() == {
        ("childcare_operation", 2023, "360403", "county"): 72_000,
        ("disability_care", 2024, "360902", "finance_fallback"): 9 * 450,
        ("disability_care", 2024, "360902", "integrated"): 9 * 150,
        **{("disability_care", y, "360902", "finance_fallback"): 5_400 for y in (2025, 2026, 2027)},
        **{("disability_care", y, "360902", "integrated"): 1_800 for y in (2025, 2026, 2027)},
        ("elderly_disability_care_operation", 2025, "360424", "county"): 600,
        ("home_care_service", 2023, "360481", "county"): 1_200,
        ("home_care_service", 2024, "360481", "county"): 1_200,
    }


def test_cli_budget_from_the_people_in_the_database(tmp_path, monkeypatch, capsys):
    from care_services.cli import main

    monkeypatch.setenv("CARECALC_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert main(["budget", "--people-from", "2024-01"]) == 2  # nobody yet: a message, not a crash
    assert main(["sample", "load"]) == 0
    assert main(["sample", "generate", "--people", "50", "--seed", "3", "--output", str(tmp_path / "p.xlsx"),
                 "--load"]) == 0
    capsys.readouterr()
    assert main(["budget", "--people-from", "2024-01", "--json"]) == 0
    out = capsys.readouterr().out
    figures = json.loads(out)  # stdout: the JSON only
    by_year = {row["year"]: row["amount"] for row in figures["scenarios"][0]["by_year"]}
    assert set(by_year) == {2024, 2025, 2026, 2027} and len(set(by_year.values())) == 1  # the same register each year
    assert main(["budget", "--people-from", "2024-13"]) == 2
