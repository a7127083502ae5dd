"""An answer under a scenario marks each changed value beside the document's (with its quoted phrase); a scenario
below a 不低于 floor is flagged wherever it is loaded, and still evaluated as a what-if (subsidy_rules/scenario.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook

from care_services.cli import main
from subsidy_rules import scenario as scenario_file
from subsidy_rules.parameters import ParameterError, default_parameters
from tests.rules.test_golden import PERSON

NURSING = "elderly_institution_construction.province.per_bed_nursing"
HOME_CARE = "disability_care.home_care_month"
INSTITUTION = {"ownership": "private_non_profit", "premises": "self_built", "ordinary_beds": 100, "nursing_beds": 50,
               "built_to_standard": True, "in_central_city": True, "opened_on": "2022-06-01"}


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_mark_puts_the_scenario_value_beside_the_documents_value_and_phrase():
    applied = scenario_file.apply({"name": "护理型6000元", "parameters": {NURSING: 6000}})
    mark = applied.mark(NURSING, "360402", dt.date(2024, 1, 1))
    assert mark["scenario_value"] == 6000 and mark["original_value"] == 5000 and mark["unit"] == "CNY/bed"
    assert mark["title_zh"] == "省级护理型床位一次性建设补助" and mark["reference"]["clause"] == "附件3 第13项"
    assert "5000元" in mark["phrase"] and mark["below_floor"] is False
    assert mark["text_zh"].startswith("省级护理型床位一次性建设补助：方案值 6,000元/床，原文“")
    assert "为 5,000元/床" in mark["text_zh"]
    assert applied.mark("elderly_institution_construction.province.per_bed_ordinary", "360402",
                        dt.date(2024, 1, 1)) is None  # not changed: no mark
    assert applied.below_floor() == []


def test_the_phrase_is_the_part_of_the_quote_that_states_the_value():
    quote = "对提供居家照护服务的个人、组织或机构，按每人每月不低于600元的标准给予补助"
    assert scenario_file.quoted_phrase(quote, 600, "CNY/month") == "按每人每月不低于600元的标准给予补助"
    assert scenario_file.quoted_phrase("最高补助标准分别为75万元、125万元", 750000, "CNY") == "最高补助标准分别为75万元、125万元"
    assert scenario_file.quoted_phrase("当地财政按照不低于省级标准的50%叠加落实建设补贴", 0.5, "share").endswith("50%叠加落实建设补贴")
    assert scenario_file.quoted_phrase("运营满一年的", 12, "months") == "运营满一年的"  # not written as 12: the quote
    assert scenario_file.shown_value(0.5, "share") == "50%" and scenario_file.shown_value(6000, "CNY/bed") == "6,000元/床"


@pytest.mark.parametrize("change", [500, {"value": 500, "jurisdiction": "360902"}])
def test_a_value_below_a_floor_is_flagged_and_kept(change):
    applied = scenario_file.apply({"name": "居家照护500元", "parameters": {HOME_CARE: change}})
    flags = applied.below_floor()
    assert len(flags) == 1
    flag = flags[0]
    assert flag["scenario_value"] == 500 and flag["floor_value"] == 600 and flag["floor_jurisdiction"] == "3609"
    assert flag["text_zh"].startswith("低于政策底线：") and "原文“按每人每月不低于600元的标准给予补助”" in flag["text_zh"]
    assert "below the policy floor" in flag["text_en"]
    # the what-if runs: the value is in the scenario's parameters, not refused
    assert applied.parameters.get(HOME_CARE, "360902", dt.date(2024, 4, 1)) == 500


def test_county_overrides_below_a_floor_are_still_refused():
    """Only a scenario (a projection) keeps a value below a floor; the county's recorded values never do."""
    from subsidy_rules.parameters import Change

    with pytest.raises(ParameterError):
        default_parameters().with_changes([Change(HOME_CARE, 500, "360902")])


def test_raising_a_floor_is_not_flagged():
    applied = scenario_file.apply({"parameters": {HOME_CARE: 700}})
    assert applied.below_floor() == []
    assert applied.describe()["changes"][0]["original_value"] == 600


def test_cli_evaluate_marks_the_changed_value(tmp_path, capsys):
    facts = write(tmp_path, "institution.json", json.dumps(INSTITUTION))
    reform = write(tmp_path, "reform.yaml", f"name: 护理型床位6000元\nparameters:\n  {NURSING}: 6000\n")
    assert main(["evaluate", "elderly_institution_construction", "--facts", facts, "--jurisdiction", "360402",
                 "--date", "2024-01-01", "--scenario", reform]) == 0
    captured = capsys.readouterr()
    answer = json.loads(captured.out)
    assert answer["scenario"]["name"] == "护理型床位6000元" and answer["scenario"]["below_floor"] == []
    [mark] = answer["scenario"]["changes"]
    assert (mark["name"], mark["scenario_value"], mark["original_value"]) == (NURSING, 6000, 5000)
    used = next(p for p in answer["parameters"] if p["name"] == NURSING)
    assert used["value"] == 6000 and used["scenario"]["original_value"] == 5000  # marked where it is listed
    assert "方案值 6,000元/床" in captured.err  # and told to the reader on stderr
    assert answer["funding"]["province"] == 600_000  # 100 × 3000 + 50 × 6000


def test_cli_evaluate_below_a_floor_runs_flagged(tmp_path, capsys):
    facts = write(tmp_path, "person.json", json.dumps(PERSON))
    low = write(tmp_path, "low.yaml", f"name: 居家照护500元\nparameters:\n  {HOME_CARE}: {{value: 500, jurisdiction: '360902'}}\n")
    assert main(["evaluate", "disability_care", "--facts", facts, "--jurisdiction", "360902", "--date", "2024-04-01",
                 "--scenario", low]) == 0
    captured = capsys.readouterr()
    answer = json.loads(captured.out)
    assert answer["amount"] == 500  # evaluated as the what-if
    [flag] = answer["scenario"]["below_floor"]
    assert flag["floor_value"] == 600 and flag["text_zh"].startswith("低于政策底线")
    assert not any("（不低于标准）" in step for step in answer["steps"])  # the steps no longer call it the floor
    assert any("低于政策底线" in step for step in answer["steps"])
    assert any("below the policy floor" in step for step in answer["steps_en"])  # and so does the English
    assert not any("not below the standard" in step for step in answer["steps_en"])
    assert "警告 / warning：低于政策底线" in captured.err


def test_the_batch_result_has_a_scenario_sheet(tmp_path, capsys):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    facts = list(PERSON)
    sheet.append(["姓名", *facts])
    sheet.append(["张三", *[PERSON[k] for k in facts]])
    cases = tmp_path / "cases.xlsx"
    book.save(cases)
    low = write(tmp_path, "low.yaml", f"name: 居家照护500元\nparameters:\n  {HOME_CARE}: 500\n")
    output = tmp_path / "out.xlsx"
    assert main(["evaluate", "disability_care", "--input", str(cases), "--jurisdiction", "360902",
                 "--date", "2024-04-01", "--scenario", low, "--output", str(output)]) == 0
    assert "方案值 500元/月" in capsys.readouterr().err
    result = load_workbook(output)
    assert result.sheetnames == ["测算结果", "方案说明"]
    rows = [r for r in result["方案说明"].iter_rows(values_only=True)]
    assert rows[0][0] == "测算方案：居家照护500元"
    assert any(r[0] and str(r[0]).startswith("低于政策底线") for r in rows)
    header = rows.index(("参数", "适用区划", "起始日期", "方案值", "原文值", "原文", "依据", "是否低于政策底线"))
    assert rows[header + 1] == ("居家照护补助（不低于）", "袁州区（360902）", "2024-04-01", "500元/月", "600元/月",
                                "“按每人每月不低于600元的标准给予补助”", "宜府办发〔2023〕20号 四（一）居家照护", "是")
    assert result["方案说明"].page_setup.orientation == "landscape"
    assert result["测算结果"]["A1"].value == "行号"


def test_a_scenario_naming_no_parameter_exits_2(tmp_path, capsys):
    facts = write(tmp_path, "person.json", json.dumps(PERSON))
    bad = write(tmp_path, "bad.yaml", "parameters:\n  disability_care.nothing: 5\n")
    assert main(["evaluate", "disability_care", "--facts", facts, "--jurisdiction", "360902", "--scenario", bad]) == 2
    assert "方案文件有误" in capsys.readouterr().err


@pytest.mark.parametrize("value, fragment", [
    ("6000元", "应为数字"), (True, "应为数字"), ([1, 2], "应为数字"), (float("nan"), "应为数字"), (-1, "不能为负数")])
def test_a_value_of_the_wrong_type_is_refused_when_read(value, fragment):
    with pytest.raises(scenario_file.ScenarioError, match=fragment):
        scenario_file.checked({"parameters": {NURSING: value}})


def test_a_flag_takes_true_or_false_and_an_unknown_parameter_is_named():
    flag = next(name for (name, _), p in default_parameters().parameters.items() if p.unit == "flag"
                and all(isinstance(v, bool) for _, v in p.values))
    with pytest.raises(scenario_file.ScenarioError, match="是或否"):
        scenario_file.checked({"parameters": {flag: [1]}})
    assert scenario_file.checked({"parameters": {flag: False}})["parameters"] == {flag: False}
    with pytest.raises(scenario_file.ScenarioError, match="no.such.thing"):
        scenario_file.checked({"parameters": {"no.such.thing": 1}})


def test_the_scenario_sheets_pass_the_staff_language_scan(tmp_path):
    from care_services.workbook import ReportBook
    from tests.test_workbook_safety import staff_language

    applied = scenario_file.apply({"name": "两项改动", "parameters": {NURSING: 6000, HOME_CARE: 500}})
    path = tmp_path / "方案.xlsx"
    with ReportBook(path) as book:
        scenario_file.write_scenario_sheet(book, applied.describe())
    assert staff_language(path) == []
    rows = list(load_workbook(path)["方案说明"].iter_rows(values_only=True))
    assert any(r[0] == "省级护理型床位一次性建设补助" and r[3] == "6,000元/床" and r[4] == "5,000元/床" for r in rows)
