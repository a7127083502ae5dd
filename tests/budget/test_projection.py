"""Budget projections against yearly totals worked by hand (CNY). J = 九府办字[2022]113号, Y = 宜府办发〔2023〕20号."""

import pandas as pd
import pytest

from subsidy_rules.budget import Assumptions, Horizon, Scenario, compare, project
from subsidy_rules.engine import evaluate
from subsidy_rules.parameters import default_parameters

HORIZON = Horizon.years(2023, 2027)
HOME = dict(scheme="home_care_service", jurisdiction="360481", start="2023-07", end="2024-06",
            birth_date="1950-05-01", special_hardship=True, living_at_home=True)
DISABLED = dict(scheme="disability_care", jurisdiction="360902", start="2024-04", end=None,
                hukou_division_code="360902", birth_date="1960-05-01", dibao_household=True, at_risk_of_poverty=False,
                disability_category="physical", disability_grade=1, tekun_supported=False, adl_eating=True,
                adl_dressing=True, adl_transfer=True, adl_toileting=True, adl_walking_indoors=False,
                adl_bathing=False, requested_service="home_care", two_subsidies_month=150, approved_on="2024-03-15")
NURSERY = dict(scheme="childcare_operation", jurisdiction="360403", start="2023-01", end="2023-12", inclusive=True,
               monthly_fee=1200, local_inclusive_price=1300, market_average_fee=1700, enrolled_under_3=30)
RESIDENT = dict(scheme="elderly_disability_care_operation", jurisdiction="360424", start="2025-03", end="2025-05",
                birth_date="1940-01-01", care_level="disabled")


def yearly(projection, **where):
    table = projection.long()
    for key, value in where.items():
        table = table[table[key] == value]
    return table.groupby(["year", "level"])["amount"].sum().to_dict()


def test_worked_case_1_home_care_200_a_month_for_twelve_months():
    # J附件2-3: 200 a month from the county, 2023-07..2024-06: 6 months in each year.
    p = project(pd.DataFrame([HOME]), None, HORIZON)
    assert yearly(p) == {(2023, "county"): 1_200, (2024, "county"): 1_200}


def test_worked_case_2_disability_home_care_split_into_integrated_and_new_money():
    # Y四(一): 600 a month, 150 of it the person's 两项补贴 (integrated), 450 new finance money; from 2024-04.
    p = project(pd.DataFrame([DISABLED]), None, HORIZON)
    totals = yearly(p)
    assert totals[(2024, "integrated")] == 9 * 150 and totals[(2024, "finance_fallback")] == 9 * 450
    for year in (2025, 2026, 2027):
        assert totals[(year, "integrated")] == 1_800 and totals[(year, "finance_fallback")] == 5_400


def test_worked_case_3_inclusive_nursery_200_per_child_month():
    # J附件3-23: 30 children x 200 = 6,000 a month for 2023.
    assert yearly(project(pd.DataFrame([NURSERY]), None, HORIZON)) == {(2023, "county"): 72_000}


def test_worked_case_4_disabled_resident_of_a_home_three_months():
    # J附件3-16: a disabled resident, 200 a month, 2025-03..2025-05.
    assert yearly(project(pd.DataFrame([RESIDENT]), None, HORIZON)) == {(2025, "county"): 600}


PIPELINE = pd.DataFrame([
    # A private urban nursery of 100 places in 武宁县, done 2024-06 (inclusive, at the local inclusive price).
    dict(code="N1", kind="childcare", division_code="360423", completion="2024-06", capacity=100, area="urban",
         construction="new", in_planning_or_construction=True, government_or_joint_investment=False,
         inclusive=True, monthly_fee=1200, local_inclusive_price=1300, market_average_fee=1700),
    # A non-profit home of 100 beds (40 ordinary, 60 nursing) in 浔阳区 (central city), done 2023-06.
    dict(code="H1", kind="elderly", division_code="360403", completion="2023-06", capacity=100,
         ownership="private_non_profit", premises="self_built", ordinary_beds=40, nursing_beds=60,
         built_to_standard=True, in_central_city=True, resident_local_hukou=True, government_supported=False),
])


def test_worked_case_5_a_nursery_triggers_construction_then_operation():
    # J附件3-22: 100 x 600 = 60,000 in 2024-06, city 40% / county 60%.
    # J附件3-23: 70% enrolment -> 70 children x 200 = 14,000 a month from 2024-07.
    p = project(None, PIPELINE[PIPELINE["code"] == "N1"], HORIZON, Scenario("baseline", default_parameters()))
    by_scheme = p.by("scheme", "year", "level").set_index(["scheme", "year", "level"])["amount"].to_dict()
    assert by_scheme[("childcare_construction", 2024, "city")] == 24_000
    assert by_scheme[("childcare_construction", 2024, "county")] == 36_000
    assert by_scheme[("childcare_operation", 2024, "county")] == 6 * 14_000
    assert by_scheme[("childcare_operation", 2027, "county")] == 12 * 14_000


def test_worked_case_6_a_home_triggers_construction_a_year_later_and_36_months_of_bed_subsidy():
    # J附件3-13 (booked after 运营满一年, 2024-06): province 40x3000 + 60x5000 = 420,000; city 40x1500 + 60x2500
    # = 210,000; county 50% of the province = 210,000.
    # J附件3-14: 70% occupancy -> 70 beds x 50 = 3,500 a month, 2023-07..2026-06 (three years).
    p = project(None, PIPELINE[PIPELINE["code"] == "H1"], HORIZON)
    by_scheme = p.by("scheme", "year", "level").set_index(["scheme", "year", "level"])["amount"].to_dict()
    assert [by_scheme[("elderly_institution_construction", 2024, level)] for level in ("province", "city", "county")] \
        == [420_000, 210_000, 210_000]
    operation = {year: by_scheme.get(("elderly_institution_operation", year, "city"), 0) for year in range(2023, 2028)}
    assert operation == {2023: 21_000, 2024: 42_000, 2025: 42_000, 2026: 21_000, 2027: 0}


def test_totals_reconcile_with_individual_evaluations():
    cases = pd.DataFrame([HOME, DISABLED, NURSERY, RESIDENT] * 3).assign(
        start=["2023-01", "2024-04", "2023-02", "2025-03"] * 3, end=["2027-12", None, "2026-01", "2025-05"] * 3)
    p = project(cases, None, HORIZON)
    expected = 0.0
    for row in cases.to_dict(orient="records"):
        facts = {k: v for k, v in row.items() if k not in ("scheme", "jurisdiction", "start", "end") and pd.notna(v)}
        months = pd.period_range(row["start"], row["end"] if pd.notna(row["end"]) else "2027-12", freq="M")
        answer = evaluate(row["scheme"], facts, date=months[0].start_time.date(), jurisdiction=row["jurisdiction"])
        expected += answer["amount"] * len(months)
    assert p.total() == pytest.approx(expected, abs=0.005)


def test_chunks_give_the_same_answer_as_one_frame():
    cases = pd.DataFrame([HOME, DISABLED, NURSERY, RESIDENT] * 5)
    whole = project(cases, None, HORIZON).monthly
    chunked = project((cases.iloc[i:i + 3] for i in range(0, len(cases), 3)), None, HORIZON).monthly
    pd.testing.assert_frame_equal(whole, chunked)


def test_scenarios_side_by_side_with_exact_differences():
    base = Scenario("baseline", default_parameters())
    reform = Scenario.from_mapping({"name": "托育运营300元", "parameters": {"childcare_operation.per_child_month": 300},
                                    "assumptions": {"enrolment": 0.85}})
    cases = pd.DataFrame([NURSERY])
    runs = [project(cases, PIPELINE, HORIZON, s) for s in (base, reform)]
    table = compare(runs, by=("scheme", "year")).set_index(["scheme", "year"])
    # the nursery: 30 x (300 - 200) x 12 = 36,000 more in 2023
    assert table.loc[("childcare_operation", 2023), "托育运营300元 − baseline"] == 36_000
    # the new nursery, 2025: 85 x 300 x 12 - 70 x 200 x 12 = 306,000 - 168,000
    assert table.loc[("childcare_operation", 2025), "托育运营300元 − baseline"] == 138_000
    assert table.loc[("childcare_construction", 2024), "托育运营300元 − baseline"] == 0


def test_a_reform_from_a_date_cuts_the_months():
    # 300 a child from 2023-07: 6 x 30 x 200 + 6 x 30 x 300 = 36,000 + 54,000
    reform = Scenario.from_mapping({"parameters": {"childcare_operation.per_child_month":
                                                   {"value": 300, "start": "2023-07-01"}}})
    assert yearly(project(pd.DataFrame([NURSERY]), None, HORIZON, reform)) == {(2023, "county"): 90_000}


def test_missing_facts_are_counted_not_guessed():
    p = project(pd.DataFrame([HOME | dict(special_hardship=None)]), None, HORIZON)
    assert p.total() == 0 and p.undetermined()["months"].sum() == 12


def test_growth_and_bad_input():
    grown = project(pd.DataFrame([NURSERY | dict(end="2024-12")]), None, HORIZON,
                    Scenario("growth", default_parameters(), Assumptions(caseload_growth=0.1)))
    totals = yearly(grown)
    assert totals[(2024, "county")] > 72_000 * 1.09 and totals[(2023, "county")] < 72_000 * 1.06
    with pytest.raises(ValueError):
        project(pd.DataFrame([HOME | dict(start="2023-13")]), None, HORIZON)
    with pytest.raises(ValueError):
        Assumptions(occupancy=1.5)


def test_schemes_are_booked_by_their_declared_period():
    """A one-off (附件3 第22项) is booked once in its month; a yearly amount (第15项 运营补贴 每年1万元) in the
    settlement month (December) of each year on the books; a monthly one every month."""
    build = dict(scheme="childcare_construction", jurisdiction="360403", start="2024-03", end=None, area="urban",
                 construction="new", slots_added=10, in_planning_or_construction=True)
    centre = dict(scheme="community_care_center", jurisdiction="360402", start="2023-07", end="2025-06",
                  component="operation", built_to_plan_and_standard=True, in_central_city=True, opened_on="2022-01-01")
    projection = project(pd.DataFrame([build, centre]), None, HORIZON)
    months = projection.by("scheme", "month")
    booked = {(r.scheme, r.month): r.amount for r in months.itertuples()}
    assert booked == {("childcare_construction", "2024-03"): 6_000,
                      # 市级 1万元 a year and 濂溪区's match 不低于市级 (第15项)
                      ("community_care_center", "2023-12"): 20_000, ("community_care_center", "2024-12"): 20_000}


def test_a_policy_in_force_mid_month_pays_from_the_next_month():
    # 宜府办发〔2023〕20号 is dated 2023-09-19: amounts are evaluated on the 1st of each month, so October is the
    # first month paid: 3 x 600 in 2023 (150 integrated + 450 new money a month).
    p = project(pd.DataFrame([DISABLED | dict(start="2023-01", end="2023-12", approved_on="2022-12-31")]), None, HORIZON)
    assert yearly(p) == {(2023, "integrated"): 450, (2023, "finance_fallback"): 1_350}


def test_a_row_can_stand_for_several_identical_recipients():
    single = project(pd.DataFrame([HOME]), None, HORIZON)
    triple = project(pd.DataFrame([HOME | dict(count=3)]), None, HORIZON)
    assert triple.total() == 3 * single.total() == 7_200


def test_nothing_to_project_is_a_projection_of_zero():
    """An empty caseload and no pipeline (found by schemathesis through the web API): zero, not a crash."""
    from subsidy_rules.budget import Horizon, Scenario, project
    from subsidy_rules.budget_report import report_json
    from subsidy_rules.parameters import default_parameters

    empty = project(None, None, Horizon.years(2024, 2025), Scenario("baseline", default_parameters()))
    assert empty.total() == 0 and empty.by("year").empty and empty.undetermined().empty
    assert report_json([empty])["scenarios"][0]["total"] == 0
