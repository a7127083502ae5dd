"""`carecalc allocate` end to end: spreadsheets in, plan workbook out, errors as exit code 2 with a message."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from openpyxl import load_workbook

from allocator.command import parse_amount
from allocator.sample import jiujiang_districts, jiujiang_projects
from care_services.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "care_services.cli", *args], capture_output=True, text=True)


def test_amounts_in_yuan_wan_and_yi():
    assert parse_amount("500000000") == parse_amount("5亿") == parse_amount("50000万") == parse_amount("5e8") == 5e8
    assert parse_amount("1,200,000元") == 1_200_000


def test_sample_plan_workbook_has_every_sheet_and_coloured_ratios(tmp_path):
    output = tmp_path / "plan.xlsx"
    answer = run("allocate", "--sample", "--year", "2025", "--budget", "5亿", "--output", str(output))
    assert answer.returncode == 0, answer.stderr
    assert "已证明最优" in answer.stdout and "选中项目" in answer.stdout
    assert "HighsMipSolverData" not in answer.stdout  # the solver's own chatter stays off stdout
    book = load_workbook(output)
    assert book.sheetnames == ["概要", "指标", "选中项目", "适老化改造", "区划对比", "目标明细", "补贴", "未纳入"]
    districts = book["区划对比"]
    assert [c.value for c in districts[3]][:4] == ["区划代码", "名称", "层级", "常住人口"]  # under title and unit
    lines = list(districts.iter_rows(min_row=4, max_row=18, values_only=True))
    assert len([r for r in lines if r[0]]) == 14 and lines[13][1] == "全市"  # 13 counties, then the city row
    rules = [rule for rng in districts.conditional_formatting for rule in rng.rules]
    assert {rule.type for rule in rules} >= {"cellIs", "dataBar"}
    plan = book["选中项目"]
    codes = [row[0] for row in plan.iter_rows(min_row=4, values_only=True)]
    codes = codes[:codes.index(None)]  # the table, up to the blank row before the signature lines
    assert codes[-1] == "合计" and codes[:-1] and all(code.startswith("JJ-") for code in codes[:-1])
    excluded = [row[0] for row in book["未纳入"].iter_rows(min_row=4, values_only=True)]
    assert sorted(excluded[:excluded.index(None)]) == ["JJ-C-13", "JJ-E-02"]


def test_spreadsheet_input_and_json_output(tmp_path, capsys):
    districts, projects = tmp_path / "districts.xlsx", tmp_path / "projects.xlsx"
    jiujiang_districts().rename(columns={"division_code": "区划代码", "population": "常住人口"}).to_excel(districts, index=False)
    jiujiang_projects().to_excel(projects, index=False)
    code = main(["allocate", "--districts", str(districts), "--projects", str(projects), "--year", "2023",
                 "--budget", "1亿", "--objective", "cost", "--backend", "cp-sat", "--json"])
    assert code == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["objective"] == "cost" and answer["status"] in ("optimal", "infeasible")
    assert {"plan", "districts", "targets", "subsidies", "phases", "explanation"} <= set(answer)
    assert all(row["year"] == 2023 for row in answer["targets"])


@pytest.mark.parametrize("arguments, fragment", [
    (["--year", "2025"], "--districts"),
    (["--sample", "--year", "2025", "--level-budget", "town=5"], "province/city/county"),
    (["--sample", "--year", "2025", "--scope", "elderly_beds_total=everywhere"], "elderly_beds_total"),
    (["--sample", "--year", "2025", "--gap", "2"], "relative_gap"),
    (["--sample", "--year", "2020"], "2023"),
])
def test_bad_options_exit_2_with_a_message(arguments, fragment):
    answer = run("allocate", *arguments)
    assert answer.returncode == 2 and fragment in answer.stderr and "Traceback" not in answer.stderr


def test_bad_cells_are_listed_row_by_row(tmp_path):
    districts, projects = tmp_path / "d.csv", tmp_path / "p.csv"
    pd.DataFrame({"区划代码": ["A", "B"], "常住人口": ["10000", "-5"]}).to_csv(districts, index=False)
    pd.DataFrame({"项目编号": ["X"], "区划代码": ["C"], "项目类别": ["托育"], "新增托位": ["10"],
                  "总投资（万元）": ["100"]}).to_csv(projects, index=False)
    answer = run("allocate", "--districts", str(districts), "--projects", str(projects), "--year", "2025")
    assert answer.returncode == 2
    assert "区划表 districts 第3行 常住人口" in answer.stderr and "must not be negative" in answer.stderr
    assert "Traceback" not in answer.stderr


def test_yearly_budgets_from_the_command_line():
    answer = run("allocate", "--sample", "--year", "2025", "--budget-per-year", "2023=1亿,2024=1亿,2025=1亿", "--json")
    assert answer.returncode == 0, answer.stderr
    spending = json.loads(answer.stdout)["spending"]
    assert all(amount <= 1e8 for amount in spending["by_year"].values())
    refused = run("allocate", "--sample", "--year", "2025", "--budget-per-year", "2023=1亿,x=3")
    assert refused.returncode == 2 and "four-digit years" in refused.stderr


def test_township_sample_template_and_household_cost_from_the_command_line(tmp_path):
    template = tmp_path / "规划单位.xlsx"
    answer = run("allocate", "--template", f"districts={template}")
    assert answer.returncode == 0 and template.exists()
    assert run("allocate", "--sample").returncode == 2  # no plan year
    output = tmp_path / "plan.xlsx"
    answer = run("allocate", "--sample", "--units", "township", "--year", "2025", "--budget", "5亿",
                 "--household-cost", "4000", "--output", str(output), "--time-limit", "120")
    assert answer.returncode == 0, answer.stderr
    assert "指标" in answer.stdout and "适老化改造" in answer.stdout
    book = load_workbook(output)
    adaptation = list(book["适老化改造"].iter_rows(min_row=4, values_only=True))
    total = next(r for r in adaptation if r[0] == "合计")
    homes, cost = total[3], total[4]
    assert cost == pytest.approx(homes * 4000 / 10_000)
