"""Golden cases that need Python: county parameter files, dates of payment, batches. The hand-worked cases of
every clause are test files officers can read (tests/rules/cases/*.yaml, run by `carecalc test` and by
tests/rules/test_case_files.py).

"J" is 九府办字[2022]113号, "Y" is 宜府办发〔2023〕20号.
"""

import pytest

from subsidy_rules.engine import evaluate
from subsidy_rules.parameters import ParameterError
from tests.rules.conftest import override

OWNED = dict(ownership="private_non_profit", premises="self_built", ordinary_beds=100, nursing_beds=50,
             built_to_standard=True, in_central_city=True, opened_on="2022-06-01")
PERSON = dict(hukou_division_code="360902", birth_date="1960-05-01", dibao_household=True, at_risk_of_poverty=False,
              disability_category="physical", disability_grade=1, tekun_supported=False,
              adl_eating=True, adl_dressing=True, adl_transfer=True, adl_toileting=True,
              adl_walking_indoors=False, adl_bathing=False,
              requested_service="home_care", two_subsidies_month=150, approved_on="2024-03-15")


def test_J附件3_16_a_county_file_raises_its_stacking_share(parameter_tree):
    parameters = parameter_tree({"360402/elderly_institution_construction.yaml":
                                 override(["county", "stack_share_of_province"], 0.6)})
    answer = evaluate("elderly_institution_construction", OWNED, date="2024-01-01", jurisdiction="360402",
                      parameters=parameters)
    assert answer["funding"]["county"] == 330_000 and answer["amount"] == 1_155_000


def test_J附件3_16_a_county_file_cannot_lower_its_stacking_share(parameter_tree):
    with pytest.raises(ParameterError, match=r"360402/elderly_institution_construction.yaml.*stack_share_of_province.*floor"):
        parameter_tree({"360402/elderly_institution_construction.yaml": override(["county", "stack_share_of_province"], 0.4)})


def test_J附件3_15_a_county_file_sets_its_own_top_up(parameter_tree):
    parameters = parameter_tree({"360424/community_care_center.yaml":
                                 override(["county", "construction_topup"], 30_000, kind="exact")})
    answer = evaluate("community_care_center", dict(component="construction", built_to_plan_and_standard=True,
                                                    in_central_city=False), date="2024-01-01", jurisdiction="360424",
                      parameters=parameters)
    assert answer["amount"] == 130_000 and answer["funding"]["county"] == 30_000


def test_J附件3_15_range_override_outside_the_range_is_refused(parameter_tree):
    with pytest.raises(ParameterError, match="outside the range 100000–200000"):
        parameter_tree({"360424/community_care_center.yaml": override(["province", "construction"], 250000, kind="range")})


def test_Y五_五_payment_starts_the_month_after_approval():
    assert evaluate("disability_care", PERSON, date="2024-04-01", jurisdiction="360902")["first_payment_month"] == "2024-04"
    december = evaluate("disability_care", PERSON | dict(approved_on="2024-12-20"), date="2024-12-21", jurisdiction="360902")
    assert december["first_payment_month"] == "2025-01"


def test_a_row_with_a_bad_fact_has_no_amount_and_no_funding():
    import pandas as pd

    from subsidy_rules.engine import evaluate_frame

    frame = pd.DataFrame([PERSON, PERSON | dict(approved_on="not a date")])
    result = evaluate_frame("disability_care", frame, date="2024-04-01", jurisdiction="360902")
    assert result["amount"].iloc[0] == 600 and result["fund.integrated"].iloc[0] == 150
    assert pd.isna(result["eligible"].iloc[1]) and pd.isna(result["amount"].iloc[1])
    assert pd.isna(result["fund.integrated"].iloc[1]) and pd.isna(result["fund.finance_fallback"].iloc[1])
    assert "approved_on" in result["fact_errors"].iloc[1]


@pytest.mark.parametrize("code", ["360499", "369999", "990000", "3699", "36040", "abc"])
def test_an_unknown_division_code_is_an_input_error(code):
    from subsidy_rules.engine import FactError

    with pytest.raises(FactError) as raised:
        evaluate("disability_care", PERSON, date="2024-04-01", jurisdiction=code)
    assert "jurisdiction" in raised.value.errors


def test_Y_scheme_not_in_force_in_jiujiang_names_where_it_is():
    answer = evaluate("disability_care", PERSON, date="2024-04-01", jurisdiction="360402")
    assert answer["in_force"] is False and answer["criteria"] == []  # no "年满16周岁 ✘" for a person it does not cover
    where = answer["not_in_force"]
    assert where["in_force_in"][0]["jurisdiction"] == "3609" and where["in_force_in"][0]["name_zh"] == "宜春市"
    assert "宜春市" in where["message_zh"] and "濂溪区" in where["message_zh"] and "360402" in where["message_en"]


PLACED = dict(ownership="private_non_profit", person_category="rural_wubao", birth_date="1950-01-01", local_person=True,
              area="rural", care_level="independent")


def test_J附件3_17_the_default_is_labelled_and_a_county_file_sets_its_own(parameter_tree):
    from subsidy_rules.parameters import default_parameters

    parameter = default_parameters().parameters[("supported_elderly_placement.support_month.urban", "3604")]
    assert "第三方" in parameter.interpretation_zh and "third-party" in parameter.interpretation
    answer = evaluate("supported_elderly_placement", PLACED, date="2024-01-01", jurisdiction="360423")
    assert {p["name"]: p for p in answer["parameters"]}["supported_elderly_placement.support_month.rural"]["jurisdiction"] == "3604"
    parameters = parameter_tree({"360423/supported_elderly_placement.yaml":
                                 override(["support_month", "rural"], 800, kind="exact")})
    county = evaluate("supported_elderly_placement", PLACED, date="2024-01-01", jurisdiction="360423", parameters=parameters)
    assert county["amount"] == 870
