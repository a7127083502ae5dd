"""`carecalc test FILE...`: officers' test files (YAML, .xlsx) and a report that says what differs."""

import pytest
from openpyxl import Workbook

from care_services.cli import main
from subsidy_rules.case_files import CaseFileError, load_cases, run_files

YAML = """
defaults:
  scheme: childcare_operation
  date: 2024-01-01
  jurisdiction: "360403"
  facts: {inclusive: true, monthly_fee: 800, local_inclusive_price: 900, enrolled_under_3: 30}
cases:
  - name: 30 children
    reference: 九府办字[2022]113号 附件3 第23项
    expect: {eligible: true, amount: 6000, funding: {县级: 6000}}
  - name: a wrong expectation
    reference: 九府办字[2022]113号 附件3 第23项
    facts: {enrolled_under_3: 10}
    expect: {amount: 3000, criteria: {fee_within_guidance: false}}
"""


def test_a_yaml_file_passes_and_fails_with_the_differences_said(tmp_path, capsys):
    path = tmp_path / "nursery.yaml"
    path.write_text(YAML, encoding="utf-8")
    outcomes = run_files([path])
    assert [o.passed for o in outcomes] == [True, False]
    assert outcomes[1].differences == [("amount", 3000, 2000), ("criteria.fee_within_guidance", False, True)]
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out
    assert "✘ nursery.yaml #2：a wrong expectation（九府办字[2022]113号 附件3 第23项）" in out
    assert "amount：预期 3000，实际 2000" in out and "共2个用例，通过1个，未通过1个" in out


def test_a_workbook_of_cases(tmp_path, capsys):
    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "补贴项目", "测算日期", "行政区划代码", "条款", "普惠托育机构", "月收费（元）", "当地普惠指导价（元/月）",
                  "实际收托3岁以下婴幼儿数", "预期：是否符合", "预期：金额", "预期：资金：县级"])
    sheet.append(["普惠机构30人", "childcare_operation", "2024-01-01", "360403", "附件3 第23项", "是", 800, 900, 30, "是", 6000, 6000])
    sheet.append(["收费高于指导价", "childcare_operation", "2024-01-01", "360403", "附件3 第23项", "是", 1000, 900, 30, "否", 0, None])
    path = tmp_path / "cases.xlsx"
    book.save(path)
    cases = load_cases(path)
    assert cases[0].facts == {"inclusive": True, "monthly_fee": 800, "local_inclusive_price": 900, "enrolled_under_3": 30}
    assert main(["test", str(path)]) == 0
    assert "共2个用例，通过2个，未通过0个" in capsys.readouterr().out


@pytest.mark.parametrize("text, message", [
    ("- {scheme: nope, date: 2024-01-01, jurisdiction: '360403', expect: {amount: 1}}", "nope"),
    ("- {scheme: childcare_operation, date: 2024-01-01, expect: {amount: 1}}", "jurisdiction"),
    ("- {scheme: childcare_operation, date: 2024-01-01, jurisdiction: '360403', expect: {amout: 1}}", "amout"),
    ("[unclosed", "YAML"),
])
def test_a_file_that_cannot_be_read_names_the_problem(tmp_path, capsys, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseFileError, match=message):
        load_cases(path)
    assert main(["test", str(path)]) == 2
