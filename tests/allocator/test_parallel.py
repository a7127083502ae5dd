"""Independent districts solved in parallel processes (allocator/parallel.py) give the one-after-the-other plan."""

from __future__ import annotations

import pandas as pd
import pytest

from allocator import parallel
from allocator.planning import PlacementProblem
from allocator.solver import SolverOptions
from allocator.synthetic import SYNTHETIC_TARGETS, synthetic_instance


@pytest.mark.parametrize("budget_share", [0.5, 0.03])
def test_districts_solved_in_parallel_processes_give_the_same_plan(budget_share, monkeypatch):
    # ample budget: the district-by-district path answers; tight: it stops early and the coupled model decides
    rows, candidates, budget = synthetic_instance(8, 120, seed=5, budget_share=budget_share)
    problem = PlacementProblem.from_frames(rows, candidates, plan_year=2025, budget=budget,
                                           only_targets=SYNTHETIC_TARGETS)
    monkeypatch.setenv(parallel.PROCESSES_VARIABLE, "1")
    alone = problem.solve("shortfall", SolverOptions("highs", 60))

    pools = []

    class CountedPool(parallel.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            pools.append(self._max_workers)

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", CountedPool)
    monkeypatch.setattr(parallel, "PARALLEL_FROM_CANDIDATES", 0)  # a small instance, so the test stays quick
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setenv(parallel.PROCESSES_VARIABLE, "2")
    spread = problem.solve("shortfall", SolverOptions("highs", 60))

    assert pools == [2]  # the districts went to two processes
    assert parallel._prepared(problem)[1]  # which got the prepared problem itself, not its fields to prepare again
    by_district = any("各区划分别求解" in zh for zh, _ in spread.messages)
    assert by_district == (budget_share == 0.5) == any("各区划分别求解" in zh for zh, _ in alone.messages)
    assert spread.status == alone.status == "optimal"
    assert [round(s.objective) for _, s in spread.phases] == [round(s.objective) for _, s in alone.phases]
    columns = ["code", "year", "capacity", "nursing_beds", "cost"]
    pd.testing.assert_frame_equal(spread.plan[columns].reset_index(drop=True), alone.plan[columns].reset_index(drop=True))
    pd.testing.assert_frame_equal(spread.targets, alone.targets)


def test_small_problems_and_single_districts_stay_in_this_process(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 8)
    monkeypatch.delenv(parallel.PROCESSES_VARIABLE, raising=False)
    assert parallel.processes_for(candidates=50, districts=10) == 1
    assert parallel.processes_for(candidates=5000, districts=1) == 1
    assert parallel.processes_for(candidates=5000, districts=3) == 3
    monkeypatch.setenv(parallel.PROCESSES_VARIABLE, "2")
    assert parallel.processes_for(candidates=5000, districts=10) == 2


def test_a_part_gets_its_fair_share_of_the_time_left_and_never_the_whole_limit_again():
    import datetime as dt

    options = SolverOptions("highs", 60)
    now = dt.datetime.now()
    solving = 60 * (1 - PlacementProblem.EXPLANATION_SHARE)  # the explanation keeps its share
    assert PlacementProblem.part_time_limit(options, now, parts_left=100) == pytest.approx(solving / 100, rel=0.01)
    assert PlacementProblem.part_time_limit(options, now, parts_left=10, processes=2) == pytest.approx(
        solving / 5, rel=0.01)
    late = now - dt.timedelta(seconds=120)  # the limit has passed: the least, not a last try of 1.2 s per part
    assert PlacementProblem.part_time_limit(options, late, parts_left=100) == PlacementProblem.PART_LEAST_S


def test_parts_the_time_stops_keep_their_plans_and_bounds(monkeypatch):
    """A county whose phases the time limit stops is not solved again as one coupled model: its best plan and
    bound stand, and the union is a plan (status feasible) whose summed bound is still a bound."""
    from allocator import planning
    from allocator.solver import SolveStats

    rows, candidates, budget = synthetic_instance(6, 90, seed=5, budget_share=0.5)
    problem = PlacementProblem.from_frames(rows, candidates, plan_year=2025, budget=budget,
                                           only_targets=SYNTHETIC_TARGETS)
    monkeypatch.setenv(parallel.PROCESSES_VARIABLE, "1")
    exact = problem.solve("shortfall", SolverOptions("highs", 60))
    real = planning.solve_model
    limits = []

    def stopped_by_time(model, options, on_progress, **kwargs):  # the backend's answer, reported as stopped early
        limits.append(kwargs["time_limit_s"])
        result, stats = real(model, options, on_progress, **kwargs)
        bound = None if stats.bound is None else stats.bound - 1.0
        return result, SolveStats(stats.backend, "feasible", stats.objective, bound, stats.seconds)

    monkeypatch.setattr(planning, "solve_model", stopped_by_time)
    stopped = problem.solve("shortfall", SolverOptions("highs", 60))
    assert any("各区划分别求解" in zh for zh, _ in stopped.messages)  # still county by county
    assert stopped.status == "feasible"
    assert [round(s.objective) for _, s in stopped.phases] == [round(s.objective) for _, s in exact.phases]
    first = stopped.phases[0][1]
    assert first.bound is not None and first.bound <= first.objective
    assert max(limits) <= 60  # no part was given more than the whole limit
