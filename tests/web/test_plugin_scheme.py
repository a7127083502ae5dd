"""A scheme declared outside the package (a temporary directory on CARECALC_SCHEME_PATH's mechanism): yearly, paid
by a fund, using another scheme's result — seen in evaluate, the form, batch evaluation and the budget, with no
engine file or shipped scheme touched."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from subsidy_rules import plugins
from subsidy_rules.engine import evaluate, get_scheme
from tests.web.test_pages import token_of

TOY = '''
from subsidy_rules.engine import Criterion, Payer, Scheme, boolean, fact, register, yuan
from subsidy_rules.parameters import Reference

LOTTERY = Payer("welfare_lottery_fund", "福彩公益金", "welfare lottery fund", "fund")
RULE = Reference("某县试行办法", "第三条", "对享受保育费补助的普惠托育机构，每年从福彩公益金中按其月补助额的一定比例给予奖励")


def formula(f, out):
    out["crit.receives_operation_subsidy"] = boolean(f["childcare_operation.eligible"])
    out["crit.rated_good"] = boolean(f["rated_good"])
    share = f.p("toy_bonus.share_of_monthly")
    out["x.share"] = share
    out["amount"] = f["childcare_operation.amount"] * share
    out["fund.welfare_lottery_fund"] = out["amount"]


register(Scheme(
    id="toy_bonus", title_zh="普惠托育年度奖励（试行）", title_en="Yearly bonus for inclusive nurseries (trial)",
    source="某县试行办法 第三条", unit="CNY/year", period="yearly", settlement_month=12, payers=(LOTTERY,),
    uses=("childcare_operation",), in_force="toy_bonus.share_of_monthly", sector="childcare",
    facts=(fact("rated_good", "年度评估良好", "boolean", "rated good in the yearly review"),),
    criteria=(Criterion("receives_operation_subsidy", "享受保育费补助", "receives the operating subsidy",
                        ("inclusive", "monthly_fee", "local_inclusive_price"), RULE),
              Criterion("rated_good", "年度评估良好", "rated good", ("rated_good",), RULE)),
    formula=formula,
    steps=lambda row: [f"保育费补助{yuan(row['fact.childcare_operation.amount'])}×{row['x.share']} = {yuan(row['amount'])}"],
))
'''

PARAMETERS = '''
share_of_monthly:
  description: 奖励占月补助额的比例 / bonus as a share of the monthly subsidy
  unit: share
  kind: exact
  reference: {document: 某县试行办法, clause: 第三条, quote: 按其月补助额的一定比例给予奖励}
  values:
    2023-01-01: {value: 0.5}
'''
NURSERY = dict(inclusive=True, monthly_fee=800, local_inclusive_price=900, enrolled_under_3=30, rated_good=True)


@pytest.fixture
def toy(tmp_path):
    (tmp_path / "toy_bonus.py").write_text(textwrap.dedent(TOY), encoding="utf-8")
    (tmp_path / "parameters" / "360403").mkdir(parents=True)
    (tmp_path / "parameters" / "360403" / "toy_bonus.yaml").write_text(PARAMETERS, encoding="utf-8")
    assert plugins.load_directory(tmp_path) == ["toy_bonus"]
    yield tmp_path
    plugins.unload_directory(tmp_path)


def test_a_plugin_scheme_is_evaluated_with_the_other_schemes_result(toy):
    answer = evaluate("toy_bonus", NURSERY, date="2024-01-01", jurisdiction="360403")
    assert answer["eligible"] is True and answer["amount"] == 3_000  # 30 × 200 (第23项) × 0.5: the shipped formula
    assert answer["period"] == "yearly" and answer["funding"] == {"welfare_lottery_fund": 3_000}
    assert answer["payers"]["welfare_lottery_fund"] == {"zh": "福彩公益金", "en": "welfare lottery fund", "kind": "fund"}
    not_paid = evaluate("toy_bonus", NURSERY | dict(monthly_fee=1000), date="2024-01-01", jurisdiction="360403")
    assert not_paid["eligible"] is False  # the operating subsidy's own criterion decides
    assert {"inclusive", "enrolled_under_3", "rated_good"} <= set(get_scheme("toy_bonus").fact_names)
    elsewhere = evaluate("toy_bonus", NURSERY, date="2024-01-01", jurisdiction="360402")
    assert elsewhere["in_force"] is False and "浔阳区" in elsewhere["not_in_force"]["message_zh"]


def test_a_plugin_scheme_in_batch_and_in_the_budget(toy):
    from subsidy_rules.batch import evaluate_cases
    from subsidy_rules.budget import Horizon, payer_labels, project

    results = evaluate_cases("toy_bonus", pd.DataFrame([NURSERY, NURSERY | dict(rated_good=False)]),
                             date=pd.Timestamp("2024-01-01").date(), jurisdiction="360403")
    assert results["amount"].tolist() == [3_000, 0]
    caseload = pd.DataFrame([dict(scheme="toy_bonus", jurisdiction="360403", start="2024-03", end="2025-06", **NURSERY)])
    projection = project(caseload, None, Horizon.years(2024, 2026))
    booked = {(r.month, r.level): r.amount for r in projection.long().itertuples()}
    assert booked == {("2024-12", "welfare_lottery_fund"): 3_000}  # yearly, in December, while on the books
    assert payer_labels()["welfare_lottery_fund"] == "福彩公益金"


def test_a_plugin_scheme_on_the_form(toy, web_app):
    client = web_app.test_client()
    form = client.get("/check/toy_bonus").get_data(as_text=True)
    assert "普惠托育年度奖励（试行）" in form and "年度评估良好" in form and "实际收托3岁以下婴幼儿数" in form
    answer = client.post("/check/toy_bonus", data={
        "csrf_token": token_of(form), "jurisdiction": "360403", "date": "2024-01-01", "fact.inclusive": "是",
        "fact.monthly_fee": "800", "fact.local_inclusive_price": "900", "fact.enrolled_under_3": "30",
        "fact.rated_good": "是"}).get_data(as_text=True)
    assert "✔ 符合条件" in answer and "3,000.00" in answer and "福彩公益金" in answer
    listed = client.get("/check").get_data(as_text=True)
    assert "普惠托育年度奖励（试行）" in listed
