"""Golden cases worked by hand from the policy texts. Each case id names the clause it checks.

Amounts in CNY. "J" is 九府办字[2022]113号, "Y" is 宜府办发〔2023〕20号.
"""

import pytest

from subsidy_rules.engine import evaluate
from subsidy_rules.parameters import ParameterError
from tests.rules.conftest import override

# ------------------------------------------------------------------------- elderly_institution_construction
OWNED = dict(ownership="private_non_profit", premises="self_built", ordinary_beds=100, nursing_beds=50,
             built_to_standard=True, in_central_city=True, opened_on="2022-06-01")
RENTED = OWNED | dict(premises="rented", lease_years=5)

CONSTRUCTION = [
    # id, facts, eligible, amount, funding
    ("J附件3-13 owned non-profit central: 100x3000+50x5000; city 100x1500+50x2500; county 50% of province",
     OWNED, True, 1_100_000, dict(province=550_000, city=275_000, county=275_000)),
    ("J附件3-13 rented 5 years: province halved; city 750/1250 per bed",
     RENTED, True, 550_000, dict(province=275_000, city=137_500, county=137_500)),
    ("J附件3-13 public-built-private-run leased 10 years: as rented",
     RENTED | dict(premises="public_built_private_run", lease_years=10), True, 550_000,
     dict(province=275_000, city=137_500, county=137_500)),
    ("J附件3-13 lease of 4 years: no city top-up (租用期5年以上)",
     RENTED | dict(lease_years=4), True, 412_500, dict(province=275_000, city=0, county=137_500)),
    ("J附件3-13 29 beds: below 30张床位以上, no city top-up",
     OWNED | dict(ordinary_beds=29, nursing_beds=0), True, 130_500, dict(province=87_000, city=0, county=43_500)),
    ("J附件3-13 30 beds: 以上 includes 30",
     OWNED | dict(ordinary_beds=30, nursing_beds=0), True, 180_000, dict(province=90_000, city=45_000, county=45_000)),
    ("J附件3-13 11 months of operation: not 运营满一年",
     OWNED | dict(opened_on="2023-01-02"), True, 825_000, dict(province=550_000, city=0, county=275_000)),
    ("J附件3-13 exactly one year of operation",
     OWNED | dict(opened_on="2023-01-01"), True, 1_100_000, dict(province=550_000, city=275_000, county=275_000)),
    ("J附件3-13 ordinary-bed part capped at 75万",
     OWNED | dict(ordinary_beds=600, nursing_beds=0), True, 3_450_000,
     dict(province=1_800_000, city=750_000, county=900_000)),
    ("J附件3-13 nursing-bed part capped at 125万",
     OWNED | dict(ordinary_beds=0, nursing_beds=600), True, 5_750_000,
     dict(province=3_000_000, city=1_250_000, county=1_500_000)),
    ("J附件3-13 rented ordinary part capped at 37.5万",
     RENTED | dict(ordinary_beds=600, nursing_beds=0, lease_years=6), True, 1_725_000,
     dict(province=900_000, city=375_000, county=450_000)),
    ("J附件3-13 rented nursing part capped at 62.5万",
     RENTED | dict(ordinary_beds=0, nursing_beds=600, lease_years=6), True, 2_875_000,
     dict(province=1_500_000, city=625_000, county=750_000)),
    ("J附件3-13 for-profit: province and county only (市级限非营利性)",
     OWNED | dict(ownership="private_for_profit"), True, 825_000, dict(province=550_000, city=0, county=275_000)),
    ("J附件3-13 public institution: not 民办, nothing", OWNED | dict(ownership="public"), False, 0,
     dict(province=0, city=0, county=0)),
    ("J附件3-13 outside the central city: no city top-up",
     OWNED | dict(in_central_city=False), True, 825_000, dict(province=550_000, city=0, county=275_000)),
    ("J附件3-13 not built to standard: nothing", OWNED | dict(built_to_standard=False), False, 0, {}),
    ("J附件3-13 rented 20 beds: size condition applies to rented premises too (configured reading)",
     RENTED | dict(ordinary_beds=20, nursing_beds=0), True, 45_000, dict(province=30_000, city=0, county=15_000)),
]


@pytest.mark.parametrize("case, facts, eligible, amount, funding", CONSTRUCTION, ids=[c[0] for c in CONSTRUCTION])
def test_elderly_institution_construction(case, facts, eligible, amount, funding):
    answer = evaluate("elderly_institution_construction", facts, date="2024-01-01", jurisdiction="360402")
    assert answer["eligible"] is eligible
    assert answer["amount"] == amount and answer["unit"] == "CNY"
    for level, value in funding.items():
        assert answer["funding"][level] == value


def test_J附件3_16_county_raises_its_stacking_share(parameter_tree):
    parameters = parameter_tree({"360402/elderly_institution_construction.yaml":
                                 override(["county", "stack_share_of_province"], 0.6)})
    answer = evaluate("elderly_institution_construction", OWNED, date="2024-01-01", jurisdiction="360402",
                      parameters=parameters)
    assert answer["funding"]["county"] == 330_000 and answer["amount"] == 1_155_000


def test_J附件3_16_county_cannot_lower_its_stacking_share(parameter_tree):
    with pytest.raises(ParameterError, match=r"360402/elderly_institution_construction.yaml.*stack_share_of_province.*floor"):
        parameter_tree({"360402/elderly_institution_construction.yaml": override(["county", "stack_share_of_province"], 0.4)})


def test_J附件3_13_outside_jiujiang_only_the_provincial_subsidy():
    answer = evaluate("elderly_institution_construction", OWNED, date="2024-01-01", jurisdiction="360902")
    assert answer["amount"] == 550_000 and answer["funding"] == {"province": 550_000, "city": 0, "county": 0}


def test_J附件3_13_missing_premises_leaves_the_amount_open():
    facts = {k: v for k, v in OWNED.items() if k != "premises"}
    answer = evaluate("elderly_institution_construction", facts, date="2024-01-01", jurisdiction="360402")
    assert answer["eligible"] is True and answer["amount"] is None
    assert "premises" in answer["missing_facts"]


# ---------------------------------------------------------------------------- elderly_institution_operation
STAY = dict(in_central_city=True, ownership="private_non_profit", built_to_standard=True, resident_local_hukou=True,
            government_supported=False, admitted_on="2024-05-15", subsidy_started_on="2023-01-01", birth_date="1950-03-01")
OPERATION = [
    ("J附件3-14 本辖区户籍老年人: a resident of 59 is not 老年人 (老年人权益保障法 第二条)",
     STAY | dict(birth_date="1964-06-16"), False, 0),
    ("J附件3-14 a resident 60 on the day", STAY | dict(birth_date="1964-06-15"), True, 50),
    ("J附件3-17 公建民营 receives the non-profit private institutions' bed subsidy",
     STAY | dict(ownership="public_built_private_run"), True, 50),
    ("J附件3-14 one month stay exactly: 50 per bed per month", STAY, True, 50),
    ("J附件3-14 a day short of a month", STAY | dict(admitted_on="2024-05-16"), False, 0),
    ("J附件3-14 government-supported resident excluded", STAY | dict(government_supported=True), False, 0),
    ("J附件3-14 three years of subsidy used up", STAY | dict(subsidy_started_on="2021-06-15"), False, 0),
    ("J附件3-14 last month of the three years", STAY | dict(subsidy_started_on="2021-06-16"), True, 50),
    ("J附件3-14 first claim (no start date)", STAY | dict(subsidy_started_on=None), True, 50),
    ("J附件3-14 public institution not covered (configured reading)", STAY | dict(ownership="public"), False, 0),
    ("J附件3-14 resident without local hukou", STAY | dict(resident_local_hukou=False), False, 0),
    ("J附件3-14 outside the central city", STAY | dict(in_central_city=False), False, 0),
]


@pytest.mark.parametrize("case, facts, eligible, amount", OPERATION, ids=[c[0] for c in OPERATION])
def test_elderly_institution_operation(case, facts, eligible, amount):
    answer = evaluate("elderly_institution_operation", facts, date="2024-06-15", jurisdiction="360403")
    assert answer["eligible"] is eligible and answer["amount"] == amount and answer["unit"] == "CNY/month"
    if eligible:
        assert answer["funding"] == {"province": 0, "city": 50, "county": 0}


def test_J附件3_14_unknown_admission_date_is_named():
    answer = evaluate("elderly_institution_operation", STAY | dict(admitted_on=None), date="2024-06-15",
                      jurisdiction="360403")
    assert answer["eligible"] is None and answer["missing_facts"] == ["admitted_on"] and answer["amount"] is None
    unknown_age = evaluate("elderly_institution_operation", STAY | dict(birth_date=None), date="2024-06-15",
                           jurisdiction="360403")
    assert unknown_age["eligible"] is None and unknown_age["missing_facts"] == ["birth_date"]


# ----------------------------------------------------------------------- elderly_disability_care_operation
CARE_OPERATION = [
    ("J附件3-16 disabled resident: at least 200", dict(birth_date="1944-03-01", care_level="disabled"), True, 200),
    ("J附件3-16 semi-disabled resident: at least 100", dict(birth_date="1944-03-01", care_level="semi_disabled"), True, 100),
    ("J附件3-16 independent resident: nothing", dict(birth_date="1944-03-01", care_level="independent"), False, 0),
    ("J附件3-16 aged 59: not 老年人", dict(birth_date="1964-01-02", care_level="disabled"), False, 0),
    ("J附件3-16 60 on the day", dict(birth_date="1964-01-01", care_level="disabled"), True, 200),
]


@pytest.mark.parametrize("case, facts, eligible, amount", CARE_OPERATION, ids=[c[0] for c in CARE_OPERATION])
def test_elderly_disability_care_operation(case, facts, eligible, amount):
    answer = evaluate("elderly_disability_care_operation", facts, date="2024-01-01", jurisdiction="360424")
    assert answer["eligible"] is eligible and answer["amount"] == amount
    if eligible:
        assert answer["funding"]["county"] == amount


def test_J附件3_16_county_raises_the_floor(parameter_tree):
    parameters = parameter_tree({"360424/elderly_disability_care_operation.yaml": override(["per_disabled_resident_month"], 300)})
    answer = evaluate("elderly_disability_care_operation", dict(birth_date="1944-03-01", care_level="disabled"),
                      date="2024-01-01", jurisdiction="360424", parameters=parameters)
    assert answer["amount"] == 300
    other = evaluate("elderly_disability_care_operation", dict(birth_date="1944-03-01", care_level="disabled"),
                     date="2024-01-01", jurisdiction="360425", parameters=parameters)
    assert other["amount"] == 200  # only that county


def test_J附件3_16_county_cannot_lower_the_floor(parameter_tree):
    with pytest.raises(ParameterError, match=r"360424/elderly_disability_care_operation.yaml:.*per_disabled_resident_month.*below the floor 200"):
        parameter_tree({"360424/elderly_disability_care_operation.yaml": override(["per_disabled_resident_month"], 150)})


# ------------------------------------------------------------------------------------ community_care_center
CENTRE = dict(component="construction", built_to_plan_and_standard=True, in_central_city=True)
COMMUNITY = [
    ("J附件3-15 district construction, no approved amounts: 10万 + 5万 + district match 5万", "360403", CENTRE,
     True, 200_000, dict(province=100_000, city=50_000, county=50_000), "CNY"),
    ("J附件3-15 district construction with approved 15万 and 8万", "360403",
     CENTRE | dict(province_approved_amount=150_000, city_approved_amount=80_000),
     True, 310_000, dict(province=150_000, city=80_000, county=80_000), "CNY"),
    ("J附件3-15 county outside the central city: province only, county top-up not configured", "360424",
     CENTRE | dict(in_central_city=False), True, 100_000, dict(province=100_000, city=0, county=0), "CNY"),
    ("J附件3-15 approved 25万 is outside 10-20万", "360403", CENTRE | dict(province_approved_amount=250_000),
     False, 0, {}, "CNY"),
    ("J附件3-15 operation 7 months: 1万/year + district match", "360402",
     dict(component="operation", built_to_plan_and_standard=True, in_central_city=True, opened_on="2023-06-01"),
     True, 20_000, dict(province=0, city=10_000, county=10_000), "CNY/year"),
    ("J附件3-15 operation 5 months: not 半年以上", "360402",
     dict(component="operation", built_to_plan_and_standard=True, in_central_city=True, opened_on="2023-07-02"),
     False, 0, {}, "CNY/year"),
    ("J附件3-15 operation exactly 6 months", "360402",
     dict(component="operation", built_to_plan_and_standard=True, in_central_city=True, opened_on="2023-07-01"),
     True, 20_000, dict(city=10_000, county=10_000), "CNY/year"),
    ("J附件3-15 operation outside the central city", "360424",
     dict(component="operation", built_to_plan_and_standard=True, in_central_city=False, opened_on="2022-01-01"),
     False, 0, {}, "CNY/year"),
    ("J附件3-15 county operation in the central city: city only (no district match)", "360424",
     dict(component="operation", built_to_plan_and_standard=True, in_central_city=True, opened_on="2022-01-01"),
     True, 10_000, dict(city=10_000, county=0), "CNY/year"),
]


@pytest.mark.parametrize("case, jurisdiction, facts, eligible, amount, funding, unit", COMMUNITY, ids=[c[0] for c in COMMUNITY])
def test_community_care_center(case, jurisdiction, facts, eligible, amount, funding, unit):
    answer = evaluate("community_care_center", facts, date="2024-01-01", jurisdiction=jurisdiction)
    assert answer["eligible"] is eligible and answer["amount"] == amount and answer["unit"] == unit
    for level, value in funding.items():
        assert answer["funding"][level] == value


def test_J附件3_15_county_sets_its_own_top_up(parameter_tree):
    parameters = parameter_tree({"360424/community_care_center.yaml":
                                 override(["county", "construction_topup"], 30000, kind="exact")})
    answer = evaluate("community_care_center", CENTRE | dict(in_central_city=False), date="2024-01-01",
                      jurisdiction="360424", parameters=parameters)
    assert answer["amount"] == 130_000 and answer["funding"]["county"] == 30_000


def test_J附件3_15_unconfigured_county_top_up_is_said():
    answer = evaluate("community_care_center", CENTRE | dict(in_central_city=False), date="2024-01-01", jurisdiction="360424")
    assert any("未配置" in step for step in answer["steps"])
    assert any("按区间下限计" in step for step in answer["steps"])


def test_J附件3_15_range_override_outside_the_range_is_refused(parameter_tree):
    with pytest.raises(ParameterError, match="outside the range 100000–200000"):
        parameter_tree({"3604/community_care_center_province.yaml": ""} | {
            "360424/community_care_center.yaml": override(["province", "construction"], 250000, kind="range")})


# ---------------------------------------------------------------------------------------- home_care_service
HOME = dict(birth_date="1950-05-01", special_hardship=True, living_at_home=True)
HOME_CASES = [
    ("J附件2-3 special-hardship elderly at home: 200 a month", HOME, True, 200),
    ("J附件2-3 not in special hardship", HOME | dict(special_hardship=False), False, 0),
    ("J附件2-3 living in an institution", HOME | dict(living_at_home=False), False, 0),
    ("J附件2-3 aged 59", HOME | dict(birth_date="1964-06-01"), False, 0),
]


@pytest.mark.parametrize("case, facts, eligible, amount", HOME_CASES, ids=[c[0] for c in HOME_CASES])
def test_home_care_service(case, facts, eligible, amount):
    answer = evaluate("home_care_service", facts, date="2024-01-01", jurisdiction="360481")
    assert answer["eligible"] is eligible and answer["amount"] == amount
    if eligible:
        assert answer["funding"]["county"] == 200


def test_J附件2_3_unknown_hardship_is_named():
    answer = evaluate("home_care_service", HOME | dict(special_hardship=None), date="2024-01-01", jurisdiction="360481")
    assert answer["eligible"] is None and answer["missing_facts"] == ["special_hardship"]


# ----------------------------------------------------------------------------------- childcare_construction
BUILD = dict(in_planning_or_construction=True)
CHILDCARE_BUILD = [
    ("J附件3-22 urban new 100 places x600, city:county 4:6", BUILD | dict(area="urban", construction="new", slots_added=100),
     True, 60_000, dict(city=24_000, county=36_000)),
    ("J附件3-22 rural new 100 places x500", BUILD | dict(area="rural", construction="new", slots_added=100),
     True, 50_000, dict(city=20_000, county=30_000)),
    ("J附件3-22 urban expansion 50 new places x500", BUILD | dict(area="urban", construction="expansion", slots_added=50),
     True, 25_000, dict(city=10_000, county=15_000)),
    ("J附件3-22 rural renovation 50 new places x400", BUILD | dict(area="rural", construction="renovation", slots_added=50),
     True, 20_000, dict(city=8_000, county=12_000)),
    ("J附件3-22 urban renovation-expansion 10 places", BUILD | dict(area="urban", construction="renovation_expansion", slots_added=10),
     True, 5_000, dict(city=2_000, county=3_000)),
    ("J附件3-22 government-invested: county part agreed locally",
     BUILD | dict(area="urban", construction="new", slots_added=100, government_or_joint_investment=True, county_part_agreed=10_000),
     True, 34_000, dict(city=24_000, county=10_000)),
    ("J附件3-22 not in the planning or construction period",
     dict(in_planning_or_construction=False, area="urban", construction="new", slots_added=100), False, 0, {}),
]


@pytest.mark.parametrize("case, facts, eligible, amount, funding", CHILDCARE_BUILD, ids=[c[0] for c in CHILDCARE_BUILD])
def test_childcare_construction(case, facts, eligible, amount, funding):
    answer = evaluate("childcare_construction", facts, date="2024-01-01", jurisdiction="360430")
    assert answer["eligible"] is eligible and answer["amount"] == amount
    for level, value in funding.items():
        assert answer["funding"][level] == value


def test_J附件3_22_joint_investment_without_an_agreed_county_part():
    answer = evaluate("childcare_construction", BUILD | dict(area="urban", construction="new", slots_added=100,
                                                             government_or_joint_investment=True),
                      date="2024-01-01", jurisdiction="360430")
    assert answer["eligible"] is True and answer["amount"] is None
    assert answer["missing_facts"] == ["county_part_agreed"]


# -------------------------------------------------------------------------------------- childcare_operation
PUHUI = dict(inclusive=True, monthly_fee=1200, local_inclusive_price=1300, market_average_fee=1700, enrolled_under_3=30)
CHILDCARE_RUN = [
    ("J附件3-23 普惠 institution, 30 children x200", PUHUI, True, 6_000),
    ("J附件3-23 fee above the 普惠 price", PUHUI | dict(monthly_fee=1400), False, 0),
    ("J附件3-23 guide price above 80% of the market average: still paid (三（二）力争 is a target, a warning)",
     PUHUI | dict(local_inclusive_price=1400, monthly_fee=1300), True, 6_000),
    ("J附件3-23 charging exactly the guide price (按照当地政府普惠指导价招收)",
     PUHUI | dict(local_inclusive_price=1300, monthly_fee=1300), True, 6_000),
    ("J三(二) 普惠 price exactly 80% of the market average", PUHUI | dict(market_average_fee=1500, local_inclusive_price=1200), True, 6_000),
    ("J三(二) no market average given: the price check does not apply", PUHUI | dict(market_average_fee=None), True, 6_000),
    ("J附件3-23 not a 普惠 institution", PUHUI | dict(inclusive=False), False, 0),
]


@pytest.mark.parametrize("case, facts, eligible, amount", CHILDCARE_RUN, ids=[c[0] for c in CHILDCARE_RUN])
def test_childcare_operation(case, facts, eligible, amount):
    answer = evaluate("childcare_operation", facts, date="2024-01-01", jurisdiction="360403")
    assert answer["eligible"] is eligible and answer["amount"] == amount and answer["unit"] == "CNY/month"
    above = facts.get("market_average_fee") and facts["local_inclusive_price"] > 0.8 * facts["market_average_fee"]
    assert [w["id"] for w in answer["warnings"]] == (["guidance_above_market_share"] if above else [])
    assert "guidance_above_market_share" not in [c["id"] for c in answer["criteria"]]


def test_J三_二_the_80_percent_warning_cites_its_clause_and_says_it_is_still_paid():
    answer = evaluate("childcare_operation", PUHUI | dict(local_inclusive_price=1400, monthly_fee=1300),
                      date="2024-01-01", jurisdiction="360403")
    (warning,) = answer["warnings"]
    assert warning["reference"]["clause"] == "三（二）增加普惠服务供给" and "80%" in warning["reference"]["quote"]
    assert any("不影响本项补助" in step for step in answer["steps"])


def test_J附件3_23_county_raises_the_floor_to_300(parameter_tree):
    parameters = parameter_tree({"360403/childcare_operation.yaml": override(["per_child_month"], 300)})
    answer = evaluate("childcare_operation", PUHUI, date="2024-01-01", jurisdiction="360403", parameters=parameters)
    assert answer["amount"] == 9_000 and answer["funding"]["county"] == 9_000


# ------------------------------------------------------------------------------------------ disability_care
PERSON = dict(hukou_division_code="360902", birth_date="1960-05-01", dibao_household=True, at_risk_of_poverty=False,
              disability_category="physical", disability_grade=1, tekun_supported=False,
              adl_eating=True, adl_dressing=True, adl_transfer=True, adl_toileting=True,
              adl_walking_indoors=False, adl_bathing=False,
              requested_service="home_care", two_subsidies_month=150, approved_on="2024-03-15")
DISABILITY = [
    ("Y四(一) home care 600; 两项补贴 150 integrated, 450 from finance", PERSON, True, 600,
     dict(integrated=150, finance_fallback=450)),
    ("Y四(二) day care 600; 低保 may not be integrated", PERSON | dict(requested_service="day_care", two_subsidies_month=100, dibao_month=300),
     True, 600, dict(integrated=100, finance_fallback=500)),
    ("Y四(三) private institution 1000; 两项补贴, 低保 and 老龄补贴 integrated",
     PERSON | dict(requested_service="institutional_care", institution_type="private", two_subsidies_month=150,
                   dibao_month=400, elderly_allowance_month=100), True, 1_000, dict(integrated=650, finance_fallback=350)),
    ("Y四(三) comprehensive institution: integration capped at the payment",
     PERSON | dict(requested_service="institutional_care", institution_type="comprehensive_disability",
                   two_subsidies_month=300, dibao_month=700, elderly_allowance_month=200), True, 1_000,
     dict(integrated=1_000, finance_fallback=0)),
    ("Y三(一)2 aged 15", PERSON | dict(birth_date="2008-04-02"), False, 0, {}),
    ("Y三(一)2 16 on the day", PERSON | dict(birth_date="2008-04-01"), True, 600, {}),
    ("Y三(一)6 only 3 activities failed", PERSON | dict(adl_toileting=False), False, 0, {}),
    ("Y三(一)4 grade 3", PERSON | dict(disability_grade=3), False, 0, {}),
    ("Y三(一)4 hearing disability not covered", PERSON | dict(disability_category="hearing"), False, 0, {}),
    ("Y三(一)4 mental disability grade 2", PERSON | dict(disability_category="mental", disability_grade=2), True, 600, {}),
    ("Y三(一)5 already in 特困 support", PERSON | dict(tekun_supported=True), False, 0, {}),
    ("Y三(一)4 no disability certificate", PERSON | dict(has_disability_certificate=False, disability_category=None,
                                                      disability_grade=None), False, 0, {}),
    ("Y三(一)1 Jiujiang hukou", PERSON | dict(hukou_division_code="360402"), False, 0, {}),
    ("Y三(一)3 neither 低保 nor at risk", PERSON | dict(dibao_household=False, at_risk_of_poverty=False), False, 0, {}),
    ("Y三(一)3 at risk of poverty only", PERSON | dict(dibao_household=False, at_risk_of_poverty=True), True, 600, {}),
    ("Y三(一)6 four failures known, two unknown: decided", PERSON | dict(adl_walking_indoors=None, adl_bathing=None), True, 600, {}),
    ("Y三(一)6 one failure, three passes, two unknown: cannot reach four",
     PERSON | dict(adl_dressing=False, adl_transfer=False, adl_toileting=False, adl_walking_indoors=None, adl_bathing=None),
     False, 0, {}),
]


@pytest.mark.parametrize("case, facts, eligible, amount, funding", DISABILITY, ids=[c[0] for c in DISABILITY])
def test_disability_care(case, facts, eligible, amount, funding):
    answer = evaluate("disability_care", facts, date="2024-04-01", jurisdiction="360902")
    assert answer["eligible"] is eligible and answer["amount"] == amount and answer["unit"] == "CNY/month"
    for level, value in funding.items():
        assert answer["funding"][level] == value


def test_Y三_一_6_unknown_activities_that_could_decide_are_named():
    facts = PERSON | dict(adl_toileting=False, adl_transfer=False, adl_walking_indoors=None, adl_bathing=None)
    answer = evaluate("disability_care", facts, date="2024-04-01", jurisdiction="360902")
    assert answer["eligible"] is None and answer["amount"] is None
    assert answer["missing_facts"] == ["adl_walking_indoors", "adl_bathing"]


def test_Y五_五_payment_starts_the_month_after_approval():
    assert evaluate("disability_care", PERSON, date="2024-04-01", jurisdiction="360902")["first_payment_month"] == "2024-04"
    december = evaluate("disability_care", PERSON | dict(approved_on="2024-12-20"), date="2024-12-21", jurisdiction="360902")
    assert december["first_payment_month"] == "2025-01"


def test_Y四_三_public_institution_needs_the_tekun_standard_configured():
    facts = PERSON | dict(requested_service="institutional_care", institution_type="public_elderly")
    answer = evaluate("disability_care", facts, date="2024-04-01", jurisdiction="360902")
    assert answer["eligible"] is True and answer["amount"] is None
    assert any("尚未配置" in step for step in answer["steps"])


def test_Y四_三_public_institution_once_configured(parameter_tree):
    parameters = parameter_tree({"360902/disability_care.yaml": (
        override(["public_institution_support_month"], 800, kind="exact")
        + override(["public_institution_care_month"], 1200, kind="exact"))})
    facts = PERSON | dict(requested_service="institutional_care", institution_type="public_elderly",
                          two_subsidies_month=150, dibao_month=500)
    answer = evaluate("disability_care", facts, date="2024-04-01", jurisdiction="360902", parameters=parameters)
    assert answer["amount"] == 2_000 and answer["funding"] == {"integrated": 650, "finance_fallback": 1_350}


def test_Y四_county_raises_home_care_to_700(parameter_tree):
    parameters = parameter_tree({"360902/disability_care.yaml": override(["home_care_month"], 700)})
    answer = evaluate("disability_care", PERSON, date="2024-04-01", jurisdiction="360902", parameters=parameters)
    assert answer["amount"] == 700 and answer["funding"]["finance_fallback"] == 550


def test_Y四_county_cannot_pay_less_than_600(parameter_tree):
    with pytest.raises(ParameterError, match=r"360902/disability_care.yaml:disability_care.home_care_month.*below the floor 600"):
        parameter_tree({"360902/disability_care.yaml": override(["home_care_month"], 500)})


def test_Y_scheme_does_not_apply_in_jiujiang():
    answer = evaluate("disability_care", PERSON, date="2024-04-01", jurisdiction="360402")
    assert answer["in_force"] is False and answer["eligible"] is False and answer["amount"] == 0
    assert answer["criteria"] == []  # no "年满16周岁 ✘" for a person the policy does not cover
    where = answer["not_in_force"]
    assert where["in_force_in"][0]["jurisdiction"] == "3609" and where["in_force_in"][0]["name_zh"] == "宜春市"
    assert "宜春市" in where["message_zh"] and "濂溪区" in where["message_zh"]


def test_Y_scheme_before_its_date_is_not_in_force():
    answer = evaluate("disability_care", PERSON, date="2023-01-01", jurisdiction="360902")
    assert answer["in_force"] is False and answer["not_in_force"]["in_force_in"][0]["from"] > "2023-01-01"


@pytest.mark.parametrize("code", ["360499", "369999", "990000", "3699", "36040", "abc"])
def test_an_unknown_division_code_is_an_input_error(code):
    from subsidy_rules.engine import FactError

    with pytest.raises(FactError) as raised:
        evaluate("disability_care", PERSON, date="2024-04-01", jurisdiction=code)
    assert "jurisdiction" in raised.value.errors


def test_a_row_with_a_bad_fact_has_no_amount_and_no_funding():
    import pandas as pd

    from subsidy_rules.engine import evaluate_frame

    frame = pd.DataFrame([PERSON, PERSON | dict(approved_on="not a date")])
    result = evaluate_frame("disability_care", frame, date="2024-04-01", jurisdiction="360902")
    assert result["amount"].iloc[0] == 600 and result["fund.integrated"].iloc[0] == 150
    assert pd.isna(result["eligible"].iloc[1]) and pd.isna(result["amount"].iloc[1])
    assert pd.isna(result["fund.integrated"].iloc[1]) and pd.isna(result["fund.finance_fallback"].iloc[1])
    assert "approved_on" in result["fact_errors"].iloc[1]


@pytest.mark.parametrize("scheme, facts", [("elderly_institution_construction", OWNED), ("community_care_center", CENTRE)])
def test_jiangxi_subsidies_do_not_apply_outside_jiangxi(scheme, facts):
    answer = evaluate(scheme, facts, date="2024-01-01", jurisdiction="110105")  # a Beijing district
    assert answer["in_force"] is False and answer["eligible"] is False and answer["amount"] == 0
    assert answer["not_in_force"]["in_force_in"][0]["name_zh"] == "江西省"
