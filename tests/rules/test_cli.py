"""carecalc evaluate and carecalc schemes."""

import json

import pytest
from openpyxl import Workbook, load_workbook

from care_services.cli import main
from subsidy_rules.engine import REGISTRY
from tests.rules.test_golden import PERSON


def write_json(tmp_path, data, name="facts.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_evaluate_one_case_prints_the_answer(tmp_path, capsys):
    assert main(["evaluate", "disability_care", "--facts", write_json(tmp_path, PERSON), "--date", "2024-04-01",
                 "--jurisdiction", "360902"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["eligible"] is True and answer["amount"] == 600 and answer["unit"] == "CNY/month"
    assert answer["funding"] == {"integrated": 150, "finance_fallback": 450}
    assert answer["first_payment_month"] == "2024-04"
    severe = next(c for c in answer["criteria"] if c["id"] == "severe_adl")
    assert severe["passed"] is True and severe["reference"]["document"] == "宜府办发〔2023〕20号"
    assert severe["facts"]["adl_eating"] is True
    assert any(p["name"] == "disability_care.home_care_month" and p["jurisdiction"] == "3609" and p["kind"] == "floor"
               for p in answer["parameters"])


@pytest.mark.parametrize("bad, fact, fragment", [
    ({"requested_service": "hospital"}, "requested_service", "不在可选值中"),
    ({"disability_grade": -1}, "disability_grade", "不能小于"),
    ({"birth_date": "1960-13-40"}, "birth_date", "应为日期"),
    ({"favourite_colour": "red"}, "favourite_colour", "不是该补贴项目的事实项"),
])
def test_bad_facts_name_the_fact(tmp_path, capsys, bad, fact, fragment):
    code = main(["evaluate", "disability_care", "--facts", write_json(tmp_path, PERSON | bad), "--jurisdiction", "360902"])
    assert code == 2
    errors = json.loads(capsys.readouterr().out)["fact_errors"]
    assert fragment in errors[fact]["reason_zh"] and errors[fact]["reason_en"]


def test_negative_beds_are_refused(tmp_path, capsys):
    facts = {"ownership": "private_non_profit", "ordinary_beds": -5}
    assert main(["evaluate", "elderly_institution_construction", "--facts", write_json(tmp_path, facts),
                 "--jurisdiction", "360402"]) == 2
    assert "ordinary_beds" in json.loads(capsys.readouterr().out)["fact_errors"]


def test_usage_errors(tmp_path, capsys):
    assert main(["evaluate", "no_such_scheme", "--facts", write_json(tmp_path, {}), "--jurisdiction", "360902"]) == 2
    assert "未知补贴项目" in capsys.readouterr().err
    assert main(["evaluate", "disability_care", "--facts", write_json(tmp_path, PERSON)]) == 2
    assert "--jurisdiction" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert main(["evaluate", "disability_care", "--facts", str(broken), "--jurisdiction", "360902"]) == 2
    assert "JSON" in capsys.readouterr().err


def test_batch_workbook_with_chinese_headers(tmp_path, capsys):
    source = tmp_path / "cases.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2024年4月申请汇总"])
    sheet.append(["户籍地区划代码", "出生日期", "低保户", "易返贫致贫人口", "残疾类别", "残疾等级", "已纳入特困供养",
                  "不能自主吃饭", "不能自主穿衣", "不能自主上下床", "不能自主如厕", "不能室内行走", "不能自主洗澡",
                  "申请服务类别", "残疾人两项补贴（元/月）"])
    sheet.append(["360902", "1960-05-01", "是", "否", "肢体", 1, "否", "是", "是", "是", "是", "否", "否", "居家照护", 150])
    sheet.append(["360902", "2009-01-01", "是", "否", "肢体", 1, "否", "是", "是", "是", "是", "否", "否", "居家照护", 150])
    sheet.append(["360902", "1960-05-01", "是", "否", "肢体", 1, "否", "是", "是", "是", "是", "否", "否", "送餐", 150])
    sheet.append(["360921", "1970-02-02", None, "是", "精神", 2, "否", "是", "是", "是", "是", "是", None, "机构托养", None])
    workbook.save(source)
    output = tmp_path / "result.xlsx"
    code = main(["evaluate", "disability_care", "--input", str(source), "--output", str(output), "--date", "2024-04-01",
                 "--jurisdiction", "360902"])
    assert code == 2  # one row has a bad fact
    printed = capsys.readouterr()
    assert "测算4行，符合2行，输入有误1行" in printed.out and "100%" in printed.err
    book = load_workbook(output)
    rows = list(book["测算结果"].iter_rows(values_only=True))
    header = rows[0]
    integrated = "其中：统筹整合资金（元/月）"
    column = {name: header.index(name) for name in ("行号", "是否符合", "金额（元/月）", integrated, "不符合的条件", "输入错误",
                                                    "缺少的事实")}
    first, too_young, bad, institution, total = rows[1:]
    assert (first[column["行号"]], first[column["是否符合"]], first[column["金额（元/月）"]], first[column[integrated]]) == (3, "是", 600, 150)
    assert too_young[column["是否符合"]] == "否" and too_young[column["不符合的条件"]] == "年满16周岁"
    assert bad[column["是否符合"]] == "待定" and "申请服务类别" in bad[column["输入错误"]]
    # Eligible (at risk of poverty, grade-2 mental, 5 activities failed); the amount waits for the institution type.
    assert institution[column["是否符合"]] == "是" and institution[column["金额（元/月）"]] is None
    assert institution[column["缺少的事实"]] == "托养机构类型"
    assert total[0] == "合计" and total[column["金额（元/月）"]] == 600
    assert all(not cell or not any("a" <= ch <= "z" for ch in str(cell)) for row in rows for cell in row)  # no raw ids
    sheet = book["测算结果"]
    assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.orientation == "landscape"
    assert sheet.cell(2, column["金额（元/月）"] + 1).number_format == "#,##0.00"


def test_scenario_file_changes_the_answer(tmp_path, capsys):
    scenario = tmp_path / "reform.yaml"
    scenario.write_text("disability_care.home_care_month: 800\n", encoding="utf-8")
    assert main(["evaluate", "disability_care", "--facts", write_json(tmp_path, PERSON), "--date", "2024-04-01",
                 "--jurisdiction", "360902", "--scenario", str(scenario)]) == 0
    assert json.loads(capsys.readouterr().out)["amount"] == 800
    bad = tmp_path / "bad.yaml"
    bad.write_text("disability_care.no_such: 1\n", encoding="utf-8")
    assert main(["evaluate", "disability_care", "--facts", write_json(tmp_path, PERSON), "--jurisdiction", "360902",
                 "--scenario", str(bad)]) == 2


def test_schemes_lists_every_scheme_with_facts_and_parameters(capsys):
    assert main(["schemes", "--json"]) == 0
    listing = {s["id"]: s for s in json.loads(capsys.readouterr().out)}
    assert set(listing) == set(REGISTRY) and len(listing) >= 9  # every registered scheme, none hand-listed
    disability = listing["disability_care"]
    assert "adl_bathing" in [f["name"] for f in disability["facts"]]
    assert any(p["name"] == "disability_care.home_care_month" for p in disability["parameters"])
    assert listing["community_care_center"]["periods"] == {"construction": "once", "operation": "yearly"}
    assert [p["id"] for p in disability["payers"]] == ["integrated", "finance_fallback"]
    assert main(["schemes"]) == 0
    assert "childcare_operation.per_child_month @3604 [floor" in capsys.readouterr().out


def test_facts_from_standard_input():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "care_services.cli", "evaluate", "disability_care", "--facts", "/dev/stdin",
         "--jurisdiction", "360902", "--date", "2024-04-01"],
        input=json.dumps(PERSON), capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["amount"] == 600
