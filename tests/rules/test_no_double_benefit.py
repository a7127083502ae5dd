"""宜府办发〔2023〕20号 四（三）: the person's own living and care benefits are integrated, never paid twice, and what is
left of a fund stays the person's own."""

import pytest

from subsidy_rules.engine import evaluate
from tests.rules.test_golden import PERSON

INSTITUTION = PERSON | dict(requested_service="institutional_care", institution_type="private")


@pytest.mark.parametrize("case, facts, integrated, fallback, remaining", [
    ("Y四(三)1 home care: 两项补贴 800 above the 600 standard — 600 integrated, 200 stays the person's",
     PERSON | dict(two_subsidies_month=800), 600, 0, {"two_subsidies": 200}),
    ("Y四(三)1 home care: 低保 and other benefits are not integrated (不得统筹整合低保资金)",
     PERSON | dict(two_subsidies_month=100, dibao_month=500, other_care_benefits_month=300), 100, 500,
     {"two_subsidies": 0, "dibao": 500, "other_care": 300}),
    ("Y四(三)2 institution: 两项补贴、低保、老龄补贴等 — other care benefits too, in the 审批表's order",
     INSTITUTION | dict(two_subsidies_month=300, elderly_allowance_month=100, dibao_month=400, other_care_benefits_month=400),
     1_000, 0, {"two_subsidies": 0, "elderly_allowance": 0, "dibao": 0, "other_care": 200}),
    ("Y四(三)2 institution: funds below the standard, finance pays the rest",
     INSTITUTION | dict(two_subsidies_month=150, other_care_benefits_month=50), 200, 800,
     {"two_subsidies": 0, "other_care": 0}),
])
def test_integration_records_what_remains(case, facts, integrated, fallback, remaining):
    answer = evaluate("disability_care", facts, date="2024-04-01", jurisdiction="360902")
    assert answer["funding"] == {"integrated": integrated, "finance_fallback": fallback}
    assert answer["remaining"] == remaining


def test_the_remaining_two_subsidies_are_said_in_the_steps():
    answer = evaluate("disability_care", PERSON | dict(two_subsidies_month=800), date="2024-04-01", jurisdiction="360902")
    assert any("统筹整合残疾人两项补贴 600.00元，剩余 200.00元由本人继续享受" in step for step in answer["steps"])
