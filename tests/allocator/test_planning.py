"""The placement model on small instances whose optimal plans are worked out by hand in the comments."""

import datetime as dt

import pandas as pd
import pytest

from allocator.data import PlanningInputError
from allocator.planning import CITY_WIDE, PlacementProblem
from allocator.sample import jiujiang_districts, jiujiang_projects, largest_remainder
from allocator.solver import SolverOptions
from allocator.targets import load_targets
from subsidy_rules.parameters import default_parameters

BACKENDS = ["highs", "cp-sat"]
PER_1000 = ("childcare_slots_per_1000",)


def districts(*rows):
    columns = ["division_code", "name", "population", "childcare_slots", "inclusive_slots", "elderly_beds",
               "nursing_beds", "aged_60_plus"]
    return pd.DataFrame([dict(zip(columns, row)) for row in rows])


def projects(*rows):
    columns = ["code", "division_code", "kind", "capacity", "cost", "earliest_year", "ownership"]
    return pd.DataFrame([dict(zip(columns, row)) for row in rows])


# 10,000 residents need ceil(3.8 x 10) = 38 places by 2023 and 45 by 2025; A has 30.
A = ("A", "甲区", 10_000, 30, 30, 0, 0, 1_000)
CANDIDATES_A = projects(
    ("P1", "A", "childcare", 20, 1_000_000, 2023, "public"),
    ("P2", "A", "childcare", 10, 300_000, 2023, "public"),
    ("P3", "A", "childcare", 15, 600_000, 2024, "public"),
)


def solve(district_rows, project_rows, backend="highs", objective="shortfall", **options):
    problem = PlacementProblem.from_frames(district_rows, project_rows, plan_year=options.pop("plan_year", 2025),
                                           only_targets=options.pop("only_targets", PER_1000), **options)
    return problem, problem.solve(objective, SolverOptions(backend, time_limit_s=30))


@pytest.mark.parametrize("backend", BACKENDS)
def test_cheapest_plan_meeting_both_checkpoints(backend):
    # P2 in 2023 gives 40 >= 38; P3 (from 2024) then gives 55 >= 45 in 2025: 900,000 < P1's 1,000,000.
    _, result = solve(districts(A), CANDIDATES_A, backend)
    assert result.status == "optimal" and result.all_met
    assert set(result.plan["code"]) == {"P2", "P3"}
    assert result.spending["total"] == 900_000
    assert dict(zip(result.plan["code"], result.plan["year"])) == {"P2": 2023, "P3": 2024}
    row = result.districts.set_index("division_code").loc["A"]
    assert row["slots_per_1000_before"] == pytest.approx(3.0) and row["slots_per_1000_after"] == pytest.approx(5.5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_tight_budget_leaves_the_least_shortfall_and_says_the_budget_binds(backend):
    # 800,000: P2 alone (short 5 in 2025) beats P3 alone (short 8 in 2023); P1 and P2+P3 cost too much.
    _, result = solve(districts(A), CANDIDATES_A, backend, budget=800_000)
    assert list(result.plan["code"]) == ["P2"]
    unmet = result.targets[~result.targets["met"]]
    assert list(zip(unmet["year"], unmet["shortfall"], unmet["reason"])) == [(2025, 5, "budget")]
    assert result.phases[0][1].objective == 5


def test_cost_objective_meets_every_target_or_explains_why_not():
    _, met = solve(districts(A), CANDIDATES_A, objective="cost")
    assert met.status == "optimal" and met.spending["total"] == 900_000
    _, impossible = solve(districts(A), CANDIDATES_A, objective="cost", budget=800_000)
    assert impossible.status == "infeasible"
    assert impossible.messages[0][0].startswith("在给定预算和候选项目下无法达到全部目标")
    assert list(impossible.plan["code"]) == ["P2"]  # the least-shortfall plan, with its reason
    assert impossible.targets.loc[~impossible.targets["met"], "reason"].tolist() == ["budget"]


def test_reasons_no_candidates_capacity_and_trade_off():
    rows = districts(
        ("C", "丙区", 10_000, 0, 0, 0, 0, 1_000),  # nothing to build
        ("D", "丁区", 10_000, 0, 0, 0, 0, 1_000),  # one 10-place project: 35 short however it is used
        # 40 places, 24 inclusive (60%). A private 10-place project would fill the 5 missing places but
        # push the inclusive share to 24/50 and leave 6 inclusive places missing: building it is worse.
        ("E", "戊区", 10_000, 40, 24, 0, 0, 1_000),
    )
    candidates = projects(("PD", "D", "childcare", 10, 100_000, 2023, "public"),
                          ("PE", "E", "childcare", 10, 100_000, 2023, "private"))
    _, result = solve(rows, candidates, plan_year=2025, first_year=2025,
                      only_targets=("childcare_slots_per_1000", "childcare_inclusive_share"))
    assert list(result.plan["code"]) == ["PD"]
    unmet = result.targets[~result.targets["met"]].set_index(["unit", "target"])
    assert unmet.loc[("C", "childcare_slots_per_1000"), "reason"] == "no_candidates"
    assert unmet.loc[("C", "childcare_slots_per_1000"), "shortfall"] == 45
    assert unmet.loc[("D", "childcare_slots_per_1000"), ["shortfall", "reason"]].tolist() == [35, "capacity"]
    assert unmet.loc[("E", "childcare_slots_per_1000"), ["shortfall", "reason"]].tolist() == [5, "trade_off"]
    assert ("E", "childcare_inclusive_share") not in unmet.index


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_scalable_project_is_built_only_as_large_as_needed(backend):
    # 100,000 residents need 450 places by 2025 and have 320: 130 short. Project X adds 100 to 150 places,
    # 1,500,000 at full size (10,000 a place): the cheapest plan builds 130 places for 1,300,000.
    rows = districts(("S", "伸缩区", 100_000, 320, 320, 0, 0, 10_000))
    candidates = pd.DataFrame([{"code": "X", "division_code": "S", "kind": "childcare", "capacity": 100,
                                "capacity_max": 150, "cost": 1_500_000, "earliest_year": 2025,
                                "ownership": "public"}])
    _, result = solve(rows, candidates, backend, first_year=2025)
    assert result.all_met
    assert result.plan["capacity"].tolist() == [130] and result.plan["cost"].tolist() == [1_300_000]


def test_yearly_budgets_move_a_project_to_a_later_year():
    # Only 2024 has money (700,000): nothing is built in 2023, so 2023 stays 8 short whatever happens. P2 and P3
    # together (900,000) do not fit; P3 in 2024 meets 2025 (45), P2 would leave it 5 short: P3 in 2024.
    _, result = solve(districts(A), CANDIDATES_A.iloc[1:], budget_per_year={2023: 0, 2024: 700_000, 2025: 0})
    assert dict(zip(result.plan["code"], result.plan["year"])) == {"P3": 2024}
    unmet = result.targets[~result.targets["met"]]
    assert list(zip(unmet["year"], unmet["shortfall"], unmet["reason"])) == [(2023, 8, "budget")]


def test_construction_subsidies_by_funding_level_from_the_rules_engine():
    # Private elderly home of 100 beds in 修水县 (not the central city), 60% nursing (the plan's assumption):
    # province 40 x 3,000 + 60 x 5,000 = 420,000; the county stacks 50% of it = 210,000 (附件3 第13项).
    # A private urban new childcare centre of 100 places: 100 x 600 = 60,000, city 40% / county 60% (第22项).
    rows = districts(("360424", "修水县", 1_000_000, 0, 0, 0, 0, 200_000))
    candidates = projects(("E1", "360424", "elderly", 100, 5_000_000, 2023, "private"),
                          ("C1", "360424", "childcare", 100, 2_000_000, 2023, "private"))
    _, result = solve(rows, candidates, only_targets=("childcare_slots_per_1000", "elderly_beds_total"),
                      scopes={"elderly_beds_total": "aggregate"})
    plan = result.plan.set_index("code")
    assert plan.loc["E1", ["fund.province", "fund.city", "fund.county", "nursing_beds"]].tolist() == [420_000, 0, 210_000, 60]
    assert plan.loc["C1", ["fund.province", "fund.city", "fund.county"]].tolist() == [0, 24_000, 36_000]
    summary = result.subsidy_summary().set_index("scheme")
    assert summary.loc["elderly_institution_construction", "subsidy"] == 630_000
    assert result.spending["subsidies_by_level"] == {"province": 420_000, "city": 24_000, "county": 246_000}


def test_a_funding_level_budget_caps_the_subsidies_it_pays():
    # The province will pay at most 400,000 of item-13 subsidies: the 420,000 private home is out, the public
    # one (no item-13 subsidy) is in although it costs more. The one district carries the city's 30,000 beds of
    # 2025 and has 29,950: either home closes the gap.
    rows = districts(("360424", "修水县", 1_000_000, 0, 0, 29_950, 0, 200_000))
    candidates = projects(("E1", "360424", "elderly", 100, 5_000_000, 2023, "private"),
                          ("E2", "360424", "elderly", 100, 6_000_000, 2023, "public"))
    kwargs = dict(only_targets=("elderly_beds_total",), scopes={"elderly_beds_total": "proportional"})
    _, free = solve(rows, candidates, objective="cost", **kwargs)
    _, capped = solve(rows, candidates, objective="cost", level_budgets={"province": 400_000}, **kwargs)
    assert list(free.plan["code"]) == ["E1"] and list(capped.plan["code"]) == ["E2"]


def test_targets_come_from_the_parameters_with_their_checkpoints():
    targets = load_targets(default_parameters(), "360400", 2023, 2025, only=PER_1000)
    assert [(t.year, t.value) for t in targets] == [(2023, 3.8), (2025, 4.5)]
    assert targets[0].reference.document == "九府办字[2022]113号" and "表2" in targets[0].reference.clause
    in_between = load_targets(default_parameters(), "360400", 2023, 2024, only=PER_1000)
    assert [(t.year, t.value) for t in in_between] == [(2023, 3.8), (2024, 3.8)]  # the 2023 target holds in 2024
    nursing = load_targets(default_parameters(), "360400", 2023, 2025, only=("elderly_nursing_share",))
    assert [t.value for t in nursing] == [0.55, 0.6]
    with pytest.raises(ValueError):
        load_targets(default_parameters(), "360400", 2023, 2025, scopes={"elderly_nursing_share": "proportional"})


def test_residential_area_targets_apply_only_where_the_area_type_is_given():
    rows = districts(("N", "新区", 10_000, 90, 90, 0, 0, 0), ("O", "老区", 10_000, 70, 70, 0, 0, 0),
                     ("P", "其他", 10_000, 50, 50, 0, 0, 0))
    rows["residential_area"] = ["新建居住区", "老城区", None]
    _, result = solve(rows, projects(), first_year=2025,
                      only_targets=("new_residential_slots_per_1000", "old_residential_slots_per_1000"))
    table = result.targets.set_index("unit")
    assert table.loc["N", ["required", "shortfall"]].tolist() == [100, 10]  # 10 per 1,000
    assert table.loc["O", ["required", "shortfall"]].tolist() == [80, 10]  # 8 per 1,000
    assert "P" not in table.index


def test_bad_input_lists_every_problem_with_row_and_field():
    bad_districts = districts(A).assign(population=["很多"])
    with pytest.raises(PlanningInputError) as error:
        PlacementProblem.from_frames(bad_districts, CANDIDATES_A, plan_year=2025)
    assert error.value.problems[0].row == 2 and error.value.problems[0].column == "常住人口"
    with pytest.raises(PlanningInputError) as error:
        PlacementProblem.from_frames(districts(A), CANDIDATES_A.assign(division_code="Z"), plan_year=2025)
    assert "不在区划表中" in str(error.value) and "is not in the districts table" in str(error.value)
    with pytest.raises(PlanningInputError) as error:
        PlacementProblem.from_frames(districts(A).drop(columns=["population"]), CANDIDATES_A, plan_year=2025)
    assert "缺少必填列" in str(error.value)


def test_coverage_and_distance_objectives_on_a_line():
    # Districts at km 0, 10 and 20; candidate sites next to each. Budget for one site.
    rows = districts(("L", "左", 10_000, 0, 0, 0, 0, 0), ("M", "中", 30_000, 0, 0, 0, 0, 0),
                     ("R", "右", 10_000, 0, 0, 0, 0, 0))
    rows = rows.assign(x_km=[0.0, 10.0, 20.0], y_km=0.0, under_3=[200, 600, 200])
    sites = projects(("SL", "L", "childcare", 200, 1_000_000, 2025, "public"),
                     ("SM", "M", "childcare", 200, 1_000_000, 2025, "public"),
                     ("SR", "R", "childcare", 200, 1_000_000, 2025, "public")).assign(x_km=[0.5, 10.5, 19.5], y_km=0.0)
    problem = PlacementProblem.from_frames(rows, sites, plan_year=2025, first_year=2025, budget=1_000_000,
                                           only_targets=PER_1000)
    covered = problem.solve("coverage", SolverOptions("highs", 10), radius_km=1.0)
    assert list(covered.plan["code"]) == ["SM"]  # the middle district has the most children under 3
    # Need: L 45, M 135, R 45 places (4.5 per 1,000); one 200-place site. The middle site serves M at 0.5 km,
    # R at 9.5 km and 20 of L at 10.5 km (705 place-km); the left one would carry M 9.5 km (1,695): middle wins,
    # and 25 places stay unserved.
    nearest = problem.solve("distance", SolverOptions("highs", 10))
    assert list(nearest.plan["code"]) == ["SM"]
    assert any("未能全部满足" in zh for zh, _ in nearest.messages)


def test_jiujiang_sample_supply_adds_up_and_both_backends_agree():
    sample = jiujiang_districts()
    assert sample[["elderly_beds", "nursing_beds", "childcare_slots"]].sum().tolist() == [26_800, 14_200, 16_800]
    assert len(sample) == 13 and sample["estimated"].all()
    objectives = {}
    for backend in BACKENDS:
        problem = PlacementProblem.from_frames(sample, jiujiang_projects(), plan_year=2025, budget=5e8)
        result = problem.solve("shortfall", SolverOptions(backend, time_limit_s=60))
        assert result.status == "optimal"
        objectives[backend] = [round(stats.objective) for _, stats in result.phases]
        city = result.targets[(result.targets["unit"] == CITY_WIDE) & (result.targets["year"] == 2025)]
        beds = city[city["target"] == "elderly_beds_total"]
        assert len(beds) == 1 and bool(beds["met"].iloc[0])
    assert objectives["highs"] == objectives["cp-sat"]
    assert set(problem.excluded["code"]) == {"JJ-E-02", "JJ-C-13"}  # no capacity stated in 附件4


def test_largest_remainder_keeps_the_total():
    shares = largest_remainder(10, pd.Series([1, 1, 1], index=list("abc")))
    assert shares.sum() == 10 and sorted(shares) == [3, 3, 4]


def test_dates_of_targets_are_year_ends():
    parameter = default_parameters().find("planning_targets.childcare_slots_per_1000", "360400", dt.date(2025, 12, 31))
    assert [d for d, _ in parameter.values] == [dt.date(2023, 12, 31), dt.date(2025, 12, 31)]


@pytest.mark.parametrize("budget_share", [0.5, 0.03])
def test_district_by_district_shortcut_gives_the_coupled_models_answer(budget_share, monkeypatch):
    # With an ample budget the shortcut applies (and must agree with the one big model); with a tight one the
    # relaxation's plan does not fit and the coupled model decides.
    from allocator.synthetic import SYNTHETIC_TARGETS, synthetic_instance

    rows, candidates, budget = synthetic_instance(6, 90, seed=3, budget_share=budget_share)
    problem = PlacementProblem.from_frames(rows, candidates, plan_year=2025, budget=budget, only_targets=SYNTHETIC_TARGETS)
    shortcut = problem.solve("shortfall", SolverOptions("highs", 60))
    monkeypatch.setattr(PlacementProblem, "_lexicographic_by_district", lambda *args: None)
    coupled = problem.solve("shortfall", SolverOptions("highs", 60))
    assert shortcut.status == coupled.status == "optimal"
    assert [round(s.objective) for _, s in shortcut.phases] == [round(s.objective) for _, s in coupled.phases]
    used_shortcut = any("各区划分别求解" in zh for zh, _ in shortcut.messages)
    assert used_shortcut == (budget_share == 0.5)
    assert shortcut.spending["total"] <= budget


def test_progress_reports_incumbent_and_bound():
    from allocator.solver import _HIGHS_ROW

    match = _HIGHS_ROW.match(" T       0       0         0   0.00%   9362            9360               0.02%        0      0")
    assert match and match.group(1) == "9362" and match.group(2) == "9360"
    from allocator.synthetic import SYNTHETIC_TARGETS, synthetic_instance

    rows, candidates, budget = synthetic_instance(6, 90, seed=3, budget_share=0.03)
    problem = PlacementProblem.from_frames(rows, candidates, plan_year=2025, budget=budget, only_targets=SYNTHETIC_TARGETS)
    seen = []
    problem.solve("shortfall", SolverOptions("cp-sat", 30), seen.append)
    assert seen and any(p.incumbent is not None for p in seen)
    assert "当前最优" in seen[-1].line() and "差距" in seen[-1].line()


def test_a_distance_table_replaces_coordinates():
    # By road the middle site is out of reach of the right district; the left site is 1 km from the left one.
    rows = districts(("L", "左", 10_000, 0, 0, 0, 0, 0), ("R", "右", 30_000, 0, 0, 0, 0, 0))
    rows = rows.assign(under_3=[200, 600])
    sites = projects(("S1", "L", "childcare", 100, 500_000, 2025, "public"),
                     ("S2", "R", "childcare", 100, 500_000, 2025, "public"))
    table = pd.DataFrame({"项目编号": ["S1", "S2"], "区划代码": ["L", "L"], "距离（公里）": [1.0, 0.5]})
    problem = PlacementProblem.from_frames(rows, sites, plan_year=2025, first_year=2025, budget=500_000,
                                           only_targets=PER_1000, distances=table)
    covered = problem.solve("coverage", SolverOptions("highs", 10), radius_km=2.0)
    assert any("200人" in zh for zh, _ in covered.messages)  # only L can be reached, by either site
    with pytest.raises(PlanningInputError):
        PlacementProblem.from_frames(rows, sites, plan_year=2025, distances=table.assign(项目编号="S9"))


def test_inconsistent_rows_are_refused_with_their_row():
    with pytest.raises(PlanningInputError) as error:
        PlacementProblem.from_frames(districts(A), CANDIDATES_A.assign(capacity_max=[10, 10, 10]), plan_year=2025)
    assert [p.row for p in error.value.problems] == [2, 4]  # P1 (20 > 10) and P3 (15 > 10); P2 is 10
    with pytest.raises(PlanningInputError) as error:
        PlacementProblem.from_frames(districts(("Q", "q", 1000, 5, 6, 10, 11, 0)), projects(), plan_year=2025)
    assert {p.column for p in error.value.problems} == {"现有护理型床位", "现有普惠托位"}
