"""九府办字[2022]113号 附件3 第17项: the same-level finance pays per person placed, at the 特困 standards."""

import pytest

from subsidy_rules.engine import evaluate
from tests.rules.conftest import override

PLACED = dict(ownership="private_non_profit", person_category="rural_wubao", birth_date="1950-01-01", local_person=True,
              area="rural", care_level="independent")


@pytest.mark.parametrize("case, facts, eligible, amount", [
    ("J附件3-17 rural 五保, independent: support 670 + care 70 (2021 default)", PLACED, True, 740),
    ("J附件3-17 rural, semi-disabled: the rural disabled support 995 + care 300", PLACED | dict(care_level="semi_disabled"), True, 1_295),
    ("J附件3-17 urban 三无, disabled: 995 + 1200", PLACED | dict(person_category="urban_sanwu", area="urban",
                                                              care_level="disabled"), True, 2_195),
    ("J附件3-17 公建民营 receives the non-profit private policy", PLACED | dict(ownership="public_built_private_run"), True, 740),
    ("J附件3-17 a for-profit home is not paid", PLACED | dict(ownership="private_for_profit"), False, 0),
    ("J附件3-17 a person outside the three categories", PLACED | dict(person_category=None), None, None),
    ("J附件3-17 a person of another jurisdiction (特区内 read as 辖区内)", PLACED | dict(local_person=False), False, 0),
])
def test_supported_elderly_placement(case, facts, eligible, amount):
    answer = evaluate("supported_elderly_placement", facts, date="2024-01-01", jurisdiction="360423")
    assert answer["eligible"] is eligible and answer["amount"] == amount
    if eligible:
        assert answer["funding"] == {"province": 0, "city": 0, "county": amount}  # 同级财政: the county (configured)
        assert answer["period"] == "monthly"


def test_J附件3_17_the_default_is_labelled_and_a_county_sets_its_own(parameter_tree):
    answer = evaluate("supported_elderly_placement", PLACED, date="2024-01-01", jurisdiction="360423")
    used = {p["name"]: p for p in answer["parameters"]}
    assert used["supported_elderly_placement.support_month.rural"]["jurisdiction"] == "3604"
    parameters = parameter_tree({"360423/supported_elderly_placement.yaml": override(["support_month", "rural"], 800, kind="exact")})
    county = evaluate("supported_elderly_placement", PLACED, date="2024-01-01", jurisdiction="360423", parameters=parameters)
    assert county["amount"] == 870


def test_J附件3_17_default_values_say_they_are_not_official():
    from subsidy_rules.parameters import default_parameters

    parameter = default_parameters().parameters[("supported_elderly_placement.support_month.urban", "3604")]
    assert "第三方" in parameter.interpretation_zh and "third-party" in parameter.interpretation
